#!/bin/bash
# make compare: what a VFIO user gets from the s390 IOMMU driver for each
# kind of request, good and bad, on the base, on base + series and on
# 6.12, side by side. Boots the kernels of make bench (built here if they
# are not yet) with harness/guest/compare.c as /init and one zPCI
# virtio-rng function; writes the table to build/bench/compare.md and
# prints it. It judges nothing: the table is what the guests answered.
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"

B=$BUILD/bench
OUTD=$B/compare
KERNELS=${BENCH_KERNELS:-base series 6.12}
DEVICE=0001:00:00.0

BENCH_BUILD_ONLY=1 "$TOP/harness/bench/run.sh"
mkdir -p "$OUTD"

first=${KERNELS%% *}
${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror \
	-o "$OUTD/compare-init" "$TOP/harness/guest/compare.c"
cat >"$OUTD/compare.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $OUTD/compare-init 0755 0 0
EOF
"$B/src-$first/bench-out/usr/gen_init_cpio" "$OUTD/compare.list" >"$OUTD/compare.cpio"

for k in $KERNELS; do
	step "booting $k"
	log=$OUTD/$k.log
	timeout --kill-after=10 "${BOOT_TIMEOUT:-900}" qemu-system-s390x \
		-machine s390-ccw-virtio -cpu max -m 1024 -smp 2 \
		-nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$B/src-$k/bench-out/arch/s390/boot/bzImage" \
		-initrd "$OUTD/compare.cpio" \
		-append "console=ttyS0 panic=-1 VFIO_DEVICE=$DEVICE" \
		-device zpci,uid=1,fid=0,target=rng0 \
		-device virtio-rng-pci,id=rng0,disable-legacy=on,iommu_platform=on \
		</dev/null >"$log" 2>&1 || true
	grep -q '^### compare end' "$log" ||
		die "$k did not finish; console log: $log"
done

python3 - "$OUTD" $KERNELS <<'PY' | tee "$OUTD/compare.md"
import sys
outd, kernels = sys.argv[1], sys.argv[2:]
names = {'base': '6.1 base', 'series': 'series', '6.12': '6.12'}
rows, answers = [], {}
for k in kernels:
    for line in open('%s/%s.log' % (outd, k), errors='replace'):
        if not line.startswith('compare: '):
            continue
        request, _, answer = line[9:].rstrip('\n').partition(' | ')
        if request not in rows:
            rows.append(request)
        answers[(request, k)] = answer
print('| request | ' + ' | '.join(names.get(k, k) for k in kernels) + ' |')
print('|---' * (len(kernels) + 1) + '|')
for r in rows:
    print('| %s | %s |' % (r, ' | '.join(answers.get((r, k), '-') for k in kernels)))
PY
publish compare.md "make compare" "$OUTD/compare.md"
