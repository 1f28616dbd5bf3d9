#!/bin/bash
# make attach-cost: what setting up and tearing down a VFIO type1
# container costs on the base and with the series (patch 7 makes every
# attach and detach of an s390 domain wait for an RCU grace period).
# Boots each test kernel with one zPCI virtio-rng function and
# guest/attach.c as /init, under -icount shift=0,sleep=off with one vCPU,
# so that time is guest time (1 ns a guest instruction, idle skipped to
# the next timer) and the host's load does not enter it. Prints a table.
#
#   attach-cost.sh            base (built in the bisect worktree) and series
#   ATTACH_CYCLES=N           cycles per kernel (default 20)
# Not part of make test; results in build/attach-cost/.
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"

"$TOP/harness/core/deps.sh" gnuplot-nox
"$TOP/harness/core/prepare.sh" >/dev/null
lock_tip && lock_worktree
RES=$BUILD/attach-cost
mkdir -p "$RES"
${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror -I"$TOP/harness/guest" \
	-o "$RES/init" "$TOP/harness/guest/attach.c"

kernel() {	# kernel NAME: the build directory of NAME, built if needed
	case $1 in
	series)
		build_tip "$OUT" >&2 || return 1
		echo "$OUT"
		;;
	base)
		build_base >&2 || return 1
		echo "$BOUT"
		;;
	esac
}

printf '| kernel | setup: median us | setup: mean us | teardown: median us | teardown: mean us |\n' >"$RES/table.md"
printf '|---|--:|--:|--:|--:|\n' >>"$RES/table.md"
: >"$RES/attach-cost.dat"	# NAME SETUP_MEDIAN TEARDOWN_MEDIAN, for the chart
for name in base series; do
	step "attach cost: $name"
	out=$(kernel "$name")
	printf 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\ndir /proc 0755 0 0\ndir /sys 0755 0 0\nfile /init %s 0755 0 0\n' \
		"$RES/init" >"$RES/$name.list"
	"$out/usr/gen_init_cpio" "$RES/$name.list" >"$RES/$name.cpio"
	timeout --kill-after=10 900 qemu-system-s390x -machine s390-ccw-virtio \
		-cpu qemu -m 512 -smp 1 -icount shift=0,sleep=off \
		-nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$out/arch/s390/boot/bzImage" -initrd "$RES/$name.cpio" \
		-append "console=ttyS0 panic=-1 ATTACH_DEVICE=0001:00:00.0 ATTACH_CYCLES=${ATTACH_CYCLES:-20}" \
		-device zpci,uid=1,fid=0,target=rng0 \
		-device virtio-rng-pci,id=rng0 </dev/null >"$RES/$name.console.log" 2>&1 ||
		die "the $name guest failed; console log: $RES/$name.console.log"
	grep '^ATTACH error' "$RES/$name.console.log" && die "$name: see $RES/$name.console.log"
	setup=$(sed -n 's/^ATTACH setup .*median_us=\([0-9]*\) mean_us=\([0-9]*\).*/\1 | \2/p' "$RES/$name.console.log")
	teardown=$(sed -n 's/^ATTACH teardown .*median_us=\([0-9]*\) mean_us=\([0-9]*\).*/\1 | \2/p' "$RES/$name.console.log")
	[ -n "$setup" ] && [ -n "$teardown" ] || die "$name: no ATTACH lines in $RES/$name.console.log"
	echo "| $name | $setup | $teardown |" >>"$RES/table.md"
	echo "$name ${setup%% *} ${teardown%% *}" >>"$RES/attach-cost.dat"
done
{
	echo "attach cost, ${ATTACH_CYCLES:-20} cycles per kernel, guest time (-icount shift=0,sleep=off), $(git -C "$TREE" log -1 --format=%h HEAD):"
	echo
	cat "$RES/table.md"
} >"$RES/attach-cost.md"
echo
cat "$RES/attach-cost.md"

# The medians as bars, log scale: the series' grace periods are orders of
# magnitude longer than the base's whole setup and teardown.
gnuplot <<GP || die "gnuplot failed"
set terminal svg size 700,420 noenhanced font 'sans,11'
set output '$RES/attach-cost.svg'
set title 'VFIO container setup and teardown, guest us, median'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [1:*]
set grid ytics
set key top left
plot '$RES/attach-cost.dat' using 2:xtic(1) title 'setup', '' using 3 title 'teardown'
GP
publish attach-cost.md "make attach-cost" "$RES/attach-cost.md" "$RES/attach-cost.svg"
