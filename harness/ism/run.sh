#!/bin/bash
# make ism (part of make test): the failure the series is about, on the
# base, and its absence with the series, in the QEMU of harness/qemu/
# (pft=5: the refresh rules of ISM; refresh=off: no refresh after a map).
#
# Each kernel boots with one zPCI function, a virtio-rng that QEMU models as
# ISM, and harness/guest/ism.c as /init. It first maps and unmaps 64 pages
# through VFIO at the start of the function's DMA range (QEMU's sdma,
# 0x100000000: the IOMMU API path), then the virtio-rng driver maps one
# IOVA page per request through the DMA API until the IOVA allocator has
# gone round the DMA range (memory size: 32768 pages at 128 MiB) ISM_MAPS /
# 32767 times. harness/ism/report.py reads the console and QEMU's trace of
# the function and prints, per kernel,
#
#   ism KERNEL: maps N, wraps N, error events N, global RPCITs N, RPCITs after map N, RPCITs per unmap X.XX
#
# and its named tests: the base must show the error at its first wrap and
# stop reading; the series and 6.12 must go on without an error event,
# with no refresh after a map (VFIO's included) and one per unmap.
#
#   run.sh [KERNEL...]      base, series, 6.12 (default: all three)
#
# The series is the kernel of make (build/out, built if it is not of
# build/linux as it is); the base is built with the
# same harness/core/kernel.config in the worktree of make check, which reuses it.
# 6.12 (upstream 53f8e9ad7653 never defers ISM's flushes; Debian's
# linux-source-6.12) is the kernel of make bench and make compare, built
# by bench/run.sh if it is not (kept in the user's cache dir); its IOVA
# allocator reuses IOVAs at once, so it is not asked to wrap. It builds
# virtio-pci and virtio-rng in, and the s390 TRNG, which ism.c puts
# behind the function's rng.
# KERNEL may also be NAME:OUT, a kernel already built in OUT and judged as
# NAME is (make prove: series:OUT, prove's build with a fix undone).
# ISM_RESULTS: where the logs and summary.json go (build/ism/results).
set -uo pipefail
. "$(dirname "$0")/../core/lib.sh"

ISM=$BUILD/ism
KERNELS=${*:-base series 6.12}
MEM=128
MAPS=${ISM_MAPS:-81920}
MODULES="rng-core virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio-rng"

RES=${ISM_RESULTS:-$ISM/results}
rm -rf "$RES"
mkdir -p "$RES" "$ISM"
fail() {	# a step failed before any test ran: one counted failure
	echo "error: $*" >&2
	echo '{"passed": 0, "failed": 1, "results": []}' >"$RES/summary.json"
	echo "ism: 0 passed, 1 failed"
	exit 1
}

# report.py must fail each broken run of its made-up logs first
python3 "$TOP/harness/ism/test_report.py" 2>"$RES/test_report.log" ||
	{ cat "$RES/test_report.log" >&2; fail "harness/ism/test_report.py"; }
"$TOP/harness/core/deps.sh" || fail "deps.sh"
"$TOP/harness/core/prepare.sh" || fail "prepare.sh"
# The locks of the trees it builds in: the tip's (build/out) before the
# bisect tree's (the base), in make test's order; make prove's kernels
# (NAME:OUT) are built already.
case " $KERNELS " in
*" series "*) lock_tip || fail "the lock of the tip" ;;
esac
case " $KERNELS " in
*" base "*) lock_worktree || fail "the lock of the bisect tree" ;;
esac
qemu=$("$TOP/harness/qemu/build.sh") || fail "building the ISM model's QEMU"
${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror -I"$TOP/harness/guest" \
	-o "$ISM/init" "$TOP/harness/guest/ism.c" || fail "building ism.c"

# The build of KERNEL: "OUT", built if it is not.
kernel_build() {
	case $1 in
	*:*)
		echo "${1#*:}"
		;;
	series)
		tip_built "$OUT" || build_tip "$OUT" >&2 || return 1
		echo "$OUT"
		;;
	base)
		build_base >&2 || return 1
		echo "$BOUT"
		;;
	6.12)
		BENCH_BUILD_ONLY=1 BENCH_KERNELS=6.12 "$TOP/harness/bench/run.sh" >&2 ||
			return 1
		echo "$BUILD/bench/src-6.12/bench-out"
		;;
	*)
		echo "error: no kernel $1 (base, series, 6.12)" >&2
		return 1
		;;
	esac
}

# The initramfs of a kernel built in OUT: /init and /modules.
pack() {	# pack OUT DIR
	local m ko
	mkdir -p "$2"
	: >"$2/order"
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "dir /proc 0755 0 0"
		echo "dir /sys 0755 0 0"
		echo "dir /modules 0755 0 0"
		echo "file /init $ISM/init 0755 0 0"
		echo "file /modules/order $2/order 0644 0 0"
		for m in $MODULES; do
			ko=$(find "$1/drivers" -name "$m.ko" | head -n 1)
			[ -n "$ko" ] || continue
			echo "$m.ko" >>"$2/order"
			echo "file /modules/$m.ko $ko 0644 0 0"
		done
	} >"$2/initramfs.list"
	"$1/usr/gen_init_cpio" "$2/initramfs.list" >"$2/initramfs.cpio"
}

# Wait for QEMU (PID) to exit; how it ended goes to $how. Once the guest printed
# its end, QEMU gets 10 s to power off (the series and 6.12 take under
# one): a kernel whose function is in the error state (the base) can hang
# in its power-off, after the tests. QEMU ends on SIGTERM as on a power
# off, its trace written out.
watch_guest() {	# watch_guest PID CONSOLE
	local end=$((SECONDS + ${ISM_TIMEOUT:-600})) i
	how=
	while kill -0 "$1" 2>/dev/null; do
		if grep -q '^### ism end' "$2"; then
			for i in $(seq 10); do
				kill -0 "$1" 2>/dev/null || break
				sleep 1
			done
			kill "$1" 2>/dev/null && how="ended by the harness 10 s after the guest's end"
			break
		fi
		if [ $SECONDS -ge $end ]; then
			kill "$1" 2>/dev/null && how="killed: no guest end within ${ISM_TIMEOUT:-600}s"
			break
		fi
		sleep 1
	done
	wait "$1"
	how=${how:-exit $?}
}

names=
for k in $KERNELS; do
	res=$RES/${k%%:*}
	names="$names ${k%%:*}"
	mkdir -p "$res"
	step "ism: $k kernel"
	if ! read -r out < <(kernel_build "$k"); then
		echo "error: the $k kernel did not build" >"$res/console.log"
		continue
	fi
	pack "$out" "$res"
	step "ism: booting $k with one zPCI function modelled as ISM ($MAPS maps)"
	t0=$(date +%s)
	"$qemu" -L /usr/share/qemu \
		-machine s390-ccw-virtio -cpu qemu -m $MEM -smp 1 \
		-nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$out/arch/s390/boot/bzImage" -initrd "$res/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 kunit.filter_glob=none ISM_MAPS=$MAPS ISM_VFIO_IOVA=0x100000000" \
		-device zpci,uid=3,fid=2,target=ism0,pft=5,refresh=off \
		-device virtio-rng-pci,id=ism0,disable-legacy=on,iommu_platform=on \
		-trace 's390_pci_*' -D "$res/qemu-trace.log" \
		</dev/null >"$res/console.log" 2>&1 &
	watch_guest $! "$res/console.log"
	step "ism: $k ran in $(($(date +%s) - t0))s (QEMU: $how)"
done

# shellcheck disable=SC2086
python3 "$TOP/harness/ism/report.py" "$RES" $names | tee "$RES/report.txt"
rc=${PIPESTATUS[0]}
# The line per kernel and the count, where docs/ism.md links them (not
# for the boots of make prove, which have their own ISM_RESULTS)
if [ -z "${ISM_RESULTS:-}" ]; then
	{
		echo '```'
		grep -E '^ism [^ ]+: maps |^ism: [0-9]+ passed' "$RES/report.txt"
		echo '```'
	} >"$RES/lines.md"
	publish ism.md "make ism${*:+ $*}" "$RES/lines.md"
fi
exit "$rc"
