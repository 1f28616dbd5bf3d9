#!/bin/bash
# The nested VFIO test (a make test step; make nested): L0, qemu-system-s390x
# on this host, boots L1, the kernel under test, with one zPCI virtio-rng
# function. L1 binds it to vfio-pci and runs Debian's s390x QEMU, which
# passes it through to L2, a small guest whose DMA API drives it: every
# RPCIT of L2 is intercepted by that QEMU and shadowed into L1's IOMMU
# through VFIO type1. L1's init (guest/nested-l1.c) runs L2
# (guest/nested-l2.c) once per policy: lazy, strict, and lazy under
# resource pressure, prints KTAP and powers off; report.py counts it.
# L0 is the QEMU of harness/qemu/, and a second function (uid 3) is the
# one it models as ISM (pft=5, refresh=off): a fourth L2 run, "ism",
# passes that one through (strict), and L0's trace of it is judged here:
#
#   l0:ism.function_found_its_translations   it did DMA (IOTLB misses)
#   l0:ism.no_ism_error        no refresh over a translation in use, no
#                              refresh that failed
#   l0:ism.no_refresh_after_map   L1 refreshed none of its maps
#
#   run.sh [series|base]      L1 = build/linux (base + series, the
#                             default) or the base (worktree at tag base)
#   NESTED_TREE=DIR [NESTED_NAME=NAME] run.sh
#                             L1 built from another tree (a mutation)
#
# L2 always runs the series kernel. Both kernels come from
# harness/nested/kernel.config (make allnoconfig), built in build/nested/out-NAME.
# Results, console log and summary: build/nested/results-NAME/.
#
# Environment: NESTED_RUNS (lazy,strict,pressure), NESTED_KIB (64 KiB per
# L2 read pass), NESTED_DMA_LIMIT (64), NESTED_L2_TIMEOUT (900 s per L2
# run), NESTED_TIMEOUT (the whole L0 boot; default from the others).
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"

N=$BUILD/nested
ROOT=$BUILD/s390x/root
name=${1:-series}
case $name in
series)	l1_tree=$TREE ;;
base)	l1_tree=$N/src-base ;;
*)	die "usage: run.sh [series|base]" ;;
esac
if [ -n "${NESTED_TREE:-}" ]; then
	l1_tree=$(cd "$NESTED_TREE" && pwd)
	name=${NESTED_NAME:-custom}
fi
RES=$N/results-$name
LOG=$RES/console.log
RUNS=${NESTED_RUNS:-lazy,strict,pressure,ism}
L2_TIMEOUT=${NESTED_L2_TIMEOUT:-900}
# The DMA range QEMU gives its zPCI functions, cut to L1's memory (-m 2048)
# by the DMA API of 6.1: its reserved regions must be the rest.
DMA_RANGE=0x100000000-0x17fffffff
nruns=$(tr ',' '\n' <<<"$RUNS" | grep -c .)
TIMEOUT=${NESTED_TIMEOUT:-$((nruns * L2_TIMEOUT + 300))}
# Options the test relies on; allnoconfig drops what it cannot satisfy.
MUST=(PCI S390_IOMMU VFIO VFIO_IOMMU_TYPE1 VFIO_PCI VIRTIO_PCI
      HW_RANDOM_VIRTIO DEBUG_FS BLK_DEV_INITRD DEVTMPFS)

"$TOP/harness/core/deps.sh" qemu-system-misc:s390x
"$TOP/harness/core/prepare.sh" >/dev/null
l0_qemu=$("$TOP/harness/qemu/build.sh") || die "building the ISM model's QEMU"
rm -rf "$RES"
mkdir -p "$N" "$RES"

# Configure (when the fragment changed) and build the kernel of a tree.
# The series' is built in the tip's copy of build/linux in the cache dir
# (lib.sh: build_tip), where the last clean clone left its build.
build_kernel() {	# build_kernel NAME TREE
	local out=$N/out-$1 o t0 basedir=$CCACHE_BASEDIR
	if [ "$1" = series ]; then
		out=$(tip_out "$out") && sync_tip || die "the tip's tree in $TIP"
		set -- "$1" "$TIP_TREE"
		basedir=$(ccache_basedir "$TIP_TREE")
	fi
	mkdir -p "$out"
	if ! cmp -s "$TOP/harness/nested/kernel.config" "$out/nested.config"; then
		CCACHE_BASEDIR=$basedir nice -n 19 make -s -C "$2" O="$out" CC="$KCC" "$(file_prefix_map "$2" "$out")" KCONFIG_ALLCONFIG="$TOP/harness/nested/kernel.config" \
			allnoconfig >"$out/build.log" 2>&1 ||
			die "allnoconfig failed for $1 (log: $out/build.log)"
		cp "$TOP/harness/nested/kernel.config" "$out/nested.config"
	fi
	t0=$(date +%s)
	CCACHE_BASEDIR=$basedir nice -n 19 make -C "$2" O="$out" CC="$KCC" "$(file_prefix_map "$2" "$out")" -j"$JOBS" bzImage >"$out/build.log" 2>&1 </dev/null || {
		grep -m 10 -E 'error:|Error [0-9]' "$out/build.log" | sed 's/^/    /' >&2
		die "kernel build failed for $1 (log: $out/build.log)"
	}
	for o in "${MUST[@]}"; do
		grep -q "^CONFIG_$o=y" "$out/.config" ||
			die "CONFIG_$o is not =y in $out/.config"
	done
	step "nested: kernel $1 ($(make -s -C "$2" kernelversion)) built in $(($(date +%s) - t0))s"
}

if [ "$name" = base ]; then
	if [ ! -d "$l1_tree" ]; then
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$l1_tree" base
	fi
	git -C "$l1_tree" checkout -q --detach base
fi
build_kernel series "$TREE"
[ "$name" = series ] || build_kernel "$name" "$l1_tree"

# The shared libraries ELF files need, recursively, as paths in $ROOT.
find_lib() {
	local d
	for d in lib/s390x-linux-gnu usr/lib/s390x-linux-gnu lib usr/lib; do
		[ -e "$ROOT/$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}
closure() {
	local queue=("$@") seen=" " f lib p
	while [ ${#queue[@]} -gt 0 ]; do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		for lib in $("${CROSS_COMPILE}readelf" -d "$ROOT/$f" |
				sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			case $seen in *" $lib "*) continue ;; esac
			seen="$seen$lib "
			p=$(find_lib "$lib") ||
				die "$lib, needed by $f, is in no s390x package of $ROOT"
			echo "$p"
			queue+=("$p")
		done
	done
}
# A file of $ROOT with its symlinks resolved, never outside $ROOT.
real() {
	local r
	r=$(realpath "$ROOT/$1")
	case $r in "$ROOT"/*) echo "$r" ;; *) die "$1 leaves $ROOT ($r)" ;; esac
}

# L2: the series kernel and its init, packed by gen_init_cpio.
mkdir -p "$N/l2" "$N/l1"
${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror \
	-o "$N/l2/init" "$TOP/harness/guest/nested-l2.c"
cat >"$N/l2/initramfs.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $N/l2/init 0755 0 0
EOF
"$N/out-series/usr/gen_init_cpio" "$N/l2/initramfs.list" >"$N/l2/initramfs.cpio"

# L1: its init, QEMU with the libraries it loads, the firmware QEMU looks
# for (from the host's qemu-system-data) and L2.
${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror \
	-o "$N/l1/init" "$TOP/harness/guest/nested-l1.c"
qemu=usr/bin/qemu-system-s390x
[ -x "$ROOT/$qemu" ] || die "$ROOT/$qemu missing (harness/core/s390x-debs.sh)"
libs=$(closure "$qemu")
{
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /init $N/l1/init 0755 0 0"
	echo "file /$qemu $ROOT/$qemu 0755 0 0"
	echo "file /lib/ld64.so.1 $(real lib/ld64.so.1) 0755 0 0"
	for l in $libs; do
		echo "file /$l $(real "$l") 0755 0 0"
	done
	echo "file /usr/share/qemu/s390-ccw.img /usr/share/qemu/s390-ccw.img 0644 0 0"
	echo "file /l2/bzImage $N/out-series/arch/s390/boot/bzImage 0644 0 0"
	echo "file /l2/initramfs.cpio $N/l2/initramfs.cpio 0644 0 0"
} >"$N/l1/files.list"
{
	echo /proc
	echo /sys
	# every directory above a file; sorted, parents come first
	sed -n 's/^[a-z]* \(\/[^ ]*\) .*/\1/p' "$N/l1/files.list" | while read -r d; do
		while d=$(dirname "$d") && [ "$d" != / ]; do echo "$d"; done
	done
} | sort -u | sed 's/.*/dir & 0755 0 0/' >"$N/l1/initramfs.list"
cat "$N/l1/files.list" >>"$N/l1/initramfs.list"
"$N/out-series/usr/gen_init_cpio" "$N/l1/initramfs.list" >"$N/l1/initramfs.cpio"

step "nested: booting L1 ($name) in qemu-system-s390x; L1 runs L2 with the function passed through: ${RUNS//,/, } (timeout ${TIMEOUT}s, console log: $LOG)"
t0=$(date +%s)
rc=0
timeout --kill-after=10 "$TIMEOUT" nice -n 19 "$l0_qemu" -L /usr/share/qemu \
	-machine s390-ccw-virtio -cpu qemu -m 2048 -smp 2 \
	-nodefaults -nographic -no-reboot -serial stdio \
	-kernel "$N/out-$name/arch/s390/boot/bzImage" -initrd "$N/l1/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 NESTED_DEVICE=0001:00:00.0 NESTED_DMA_RANGE=$DMA_RANGE NESTED_RUNS=$RUNS NESTED_KIB=${NESTED_KIB:-64} NESTED_DMA_LIMIT=${NESTED_DMA_LIMIT:-64} NESTED_L2_TIMEOUT=$L2_TIMEOUT" \
	-device zpci,uid=1,fid=0,target=rng0 \
	-device virtio-rng-pci,id=rng0,disable-legacy=on,iommu_platform=on \
	-device zpci,uid=3,fid=2,target=ism0,pft=5,refresh=off \
	-device virtio-rng-pci,id=ism0,disable-legacy=on,iommu_platform=on \
	-trace s390_pci_rpcit -trace s390_pci_iotlb_fill -trace s390_pci_ism_in_use \
	-D "$RES/l0-trace.log" \
	</dev/null >"$LOG" 2>&1 || rc=$?
step "nested: L1 ran in $(($(date +%s) - t0))s"
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "error: L1 did not power off within ${TIMEOUT}s; console log: $LOG" >&2
	tail -n 20 "$LOG" | sed 's/^/    /' >&2
elif [ $rc -ne 0 ]; then
	echo "error: qemu-system-s390x (L0) exited with $rc; console log: $LOG" >&2
	tail -n 20 "$LOG" | sed 's/^/    /' >&2
fi

# A run that hung has no KTAP: report.py then fails it, naming the log.
KUNIT_EXPECTED=0 MANIFEST=$TOP/harness/nested/manifest \
	python3 "$TOP/harness/core/report.py" "$LOG" "$RES" "$l1_tree" "$N/out-$name/.config" \
	>"$RES/report.txt" || rc=1
grep -v '^guest: [0-9]* passed' "$RES/report.txt" || true	# its failures, if any
# L0's checks of the ISM function (fid 2), added to report.py's summary
python3 - "$RES" "$LOG" "$TOP/harness/ism" <<'PY' >"$RES/l0.txt" || rc=1
import json, sys
res, log = sys.argv[1:3]
sys.path.insert(0, sys.argv[3])
from report import read_trace	# harness/ism/report.py: the same trace
t = read_trace(res + '/l0-trace.log', fid=2)
seen, fills, in_use = t['ok'], len(t['fills']), t['in_use']
errors, after_map = t['errors'], t['made']
checks = [
    ('function_found_its_translations', seen and fills > 0,
     '%d IOTLB misses filled' % fills),
    ('no_ism_error', seen and fills > 0 and in_use == 0 and errors == 0,
     '%d refreshes over a translation in use, %d failed' % (in_use, errors)),
    ('no_refresh_after_map', seen and fills > 0 and after_map == 0,
     '%d refreshes after a map' % after_map),
]
s = json.load(open(res + '/summary.json'))
for name, ok, why in checks:
    s['results'].append({'name': 'l0:ism.' + name, 'status': 'PASS' if ok else 'FAIL'})
    s['passed' if ok else 'failed'] += 1
    print('  %s l0:ism.%s (%s)' % ('PASS' if ok else 'FAIL', name, why))
json.dump(s, open(res + '/summary.json', 'w'), indent=1)
print('nested: %d passed, %d failed, %d skipped (console log: %s)'
      % (s['passed'], s['failed'], s['skipped'], log))
sys.exit(1 if s['failed'] else 0)
PY
cat "$RES/l0.txt"

# RPCITs per L2 read, from the "# NESTED" lines of L1's KTAP
python3 - "$LOG" "$RES" "$name" <<'PY'
import json, re, sys
log, res, name = sys.argv[1:4]
text = open(log, errors='replace').read()
ktap = text.split('### guest tests begin')[-1].split('### guest tests end')[0]
runs = []
for m in re.finditer(r'^# NESTED (.*)$', ktap, re.M):
    runs.append(dict(kv.split('=', 1) for kv in m.group(1).split()))
ok = {m.group(2): not m.group(1) for m in
      re.finditer(r'^(not )?ok \d+ l2_(\S+)', ktap, re.M)}
rows = ['| L1 | L2 run | result | L1 RPCITs per L2 read (map/unmap/global per read) '
        '| L0 FMB RPCITs per read | L2 global RPCITs | s |',
        '|---|---|---|--:|--:|--:|--:|']
for r in runs:
    n = int(r['reads'])
    sw = 'n/a'
    if r.get('per_read'):
        sw = '%s (%.3f/%.3f/%.3f)' % (r['per_read'], int(r['map']) / n,
                                      int(r['unmap']) / n, int(r['global']) / n)
    rows.append('| %s | %s | %s | %s | %s | %s | %s |' % (
        name, r['run'], 'pass' if ok.get(r['run']) else 'FAIL', sw,
        r.get('fmb_per_read', 'n/a'), r['l2_global'], r['seconds']))
open(res + '/nested.md', 'w').write('\n'.join(rows) + '\n')
json.dump({'l1': name, 'runs': runs, 'ok': ok}, open(res + '/nested.json', 'w'),
          indent=1)
print('\n'.join(rows))
PY
case $name in
series)	target="make nested" ;;
base)	target="make nested BASE=1" ;;
*)	target="NESTED_TREE=$NESTED_TREE NESTED_NAME=$name harness/nested/run.sh" ;;
esac
{
	cat "$RES/nested.md"
	echo
	grep '^nested: [0-9]* passed' "$RES/l0.txt" | sed 's/ (console log: .*//'
} >"$RES/published.md"
publish "nested-$name.md" "$target" "$RES/published.md"
exit $rc
