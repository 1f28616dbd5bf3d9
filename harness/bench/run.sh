#!/bin/bash
# make bench: IOTLB refreshes (RPCIT), IOMMU map calls, interrupts-off
# time and guest time of DMA mapping on a zPCI function, measured the same
# way on the base, on base + series and on upstream 6.12 (Debian
# linux-source-6.12, a measuring stick only). Prints a table; writes it,
# JSON, a PNG chart and the worst IRQs-off traces to build/bench/.
#
# Each kernel is configured from harness/bench/kernel.config (make olddefconfig,
# no KUnit; irqsoff tracer and CONFIG_DMA_MAP_BENCHMARK on) and booted
# three times with the same QEMU command and the same static guest program
# (harness/guest/bench.c as /init, with the dma_map_benchmark tool of that
# kernel's tree as /bin/dma_map_benchmark):
#   vfio        VFIO type1 MAP_DMA/UNMAP_DMA workloads, -m $VFIO_MEM, each
#               phase under the irqsoff tracer (worst section per phase)
#   dma-lazy    reads of /dev/hwrng through the DMA API, default policy,
#               then dma_map_benchmark on the same function
#   dma-strict  the same with s390_iommu=strict
# The DMA boots have less memory ($DMA_MEM): the DMA API range is as
# large as memory, and the reads must wrap its IOVA allocator.
#
# Kernels are built in build/bench/src-NAME/bench-out: a subdirectory of
# the source, so that Kbuild names sources relatively (srctree "..") and
# ccache (lib.sh) serves the series the base's objects of
# every file the series does not change.
#
# Guest time is QEMU's instruction count (-icount shift=0: 1 ns per
# instruction, one vCPU) unless BENCH_ICOUNT=0 (host time, two vCPUs): on
# a loaded host, host time puts milliseconds of vCPU preemption into
# IRQs-off sections of microseconds.
#
# Environment: BENCH_ICOUNT (1), BENCH_REPS (5), BENCH_1G_REPS (3),
# BENCH_VFIO_BOOTS (vfio boots per kernel: 1 with icount, 2 without; the
# IRQs-off noise is measured over all repetitions), BENCH_DMA_OPS (reads
# per repetition, 16384), BENCH_MB_REPS (dma_map_benchmark runs, 3),
# BENCH_MB_SECONDS (guest seconds per run, 2), VFIO_MEM (3072), DMA_MEM (256: a
# 64 Ki-page DMA range, wrapped once by the 5 x 16384 reads),
# BENCH_MODES ("vfio dma": which boots run; the logs of the others stay),
# BENCH_KERNELS ("base series 6.12"), BENCH_BUILD_ONLY (1: stop after the
# builds), BENCH_OUT (build/bench: where results/, the report and the
# guest's cpio go; another one lets two runs share the kernels).
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"

B=$BUILD/bench
OUTD=${BENCH_OUT:-$B}	# results/, the guest's cpio and the report
RES=$OUTD/results
TARBALL_612=/usr/src/linux-source-6.12.tar.xz
KERNELS=${BENCH_KERNELS:-base series 6.12}
REPS=${BENCH_REPS:-5}
REPS_1G=${BENCH_1G_REPS:-3}
ICOUNT=${BENCH_ICOUNT:-1}
if [ "$ICOUNT" = 1 ]; then
	# Guest time counts instructions (1 ns each), not host time: the
	# host's load and the vCPU threads' scheduling do not enter the
	# numbers. QEMU's own work (RPCIT, the virtio device) takes none.
	# One vCPU: icount runs vCPUs round robin, up to the next timer
	# (a tick) each, and a section open on one vCPU would grow by the
	# other's turn.
	CLOCK=(-icount shift=0,sleep=off)
	SMP=1
	BOOTS=${BENCH_VFIO_BOOTS:-1}
else
	CLOCK=()
	SMP=2
	BOOTS=${BENCH_VFIO_BOOTS:-2}
fi
DMA_OPS=${BENCH_DMA_OPS:-16384}
MB_REPS=${BENCH_MB_REPS:-3}
MB_SECONDS=${BENCH_MB_SECONDS:-2}
VFIO_MEM=${VFIO_MEM:-3072}
DMA_MEM=${DMA_MEM:-256}
DEVICE=0001:00:00.0
# Must be =y on every kernel, or the numbers compare different things.
MUST=(PCI S390_IOMMU VFIO VFIO_IOMMU_TYPE1 VFIO_PCI VIRTIO_PCI
      HW_RANDOM_VIRTIO DEBUG_FS FUNCTION_TRACER FUNCTION_PROFILER
      HUGETLBFS TRANSPARENT_HUGEPAGE BLK_DEV_INITRD DEVTMPFS
      IRQSOFF_TRACER DMA_MAP_BENCHMARK)

"$TOP/harness/core/deps.sh" linux-source-6.12 gnuplot-nox
if [ ! -d "$TREE" ]; then
	"$TOP/harness/core/prepare.sh"
fi
mkdir -p "$B" "$RES"

# A worktree of build/linux detached at REV, moved there if it is not.
worktree() {	# worktree DIR REV
	local rev
	rev=$(git -C "$TREE" rev-parse "$2^{commit}")
	if [ ! -d "$1" ]; then
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$1" "$rev"
	elif [ "$(git -C "$1" rev-parse HEAD)" != "$rev" ]; then
		step "moving $(basename "$1") to $2 ($(git -C "$TREE" log -1 --format=%h "$rev"))"
		git -C "$1" checkout -q --detach "$rev"
	fi
}

# 6.12 is Debian's source as it comes: its tree and its build are kept in
# the user's cache dir, one per package version, so that a clean clone
# (and make ism, which boots it too) reuses them; build/bench/src-6.12
# links there. Kbuild names the sources relatively (see above), so the
# build does not depend on where the tree is. One user at a time.
unpack_612() {
	local ver dir
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	dir=$CACHE/linux-source-6.12/$ver
	mkdir -p "$CACHE/linux-source-6.12"
	exec 7>"$CACHE/linux-source-6.12/.lock"
	flock 7
	if [ ! -f "$dir/Makefile" ]; then
		[ -r "$TARBALL_612" ] || die "$TARBALL_612 missing: apt-get install linux-source-6.12"
		step "unpacking linux-source-6.12 $ver"
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		tar -xf "$TARBALL_612" -C "$dir.tmp" --strip-components=1
		mv "$dir.tmp" "$dir"
	fi
	[ -L "$B/src-6.12" ] || rm -rf "$B/src-6.12"
	ln -sfn "$dir" "$B/src-6.12"
}

# Configure (when the fragment changed) and build the kernel of TREE in
# TREE/bench-out.
build_kernel() {	# build_kernel NAME TREE
	local out=$2/bench-out o t0
	mkdir -p "$out"
	if ! cmp -s "$TOP/harness/bench/kernel.config" "$out/bench.config"; then
		cp "$TOP/harness/bench/kernel.config" "$out/.config"
		make -s -C "$2" O="$out" CC="$KCC" olddefconfig >"$out/build.log" 2>&1 ||
			die "olddefconfig failed for $1 (log: $out/build.log)"
		cp "$TOP/harness/bench/kernel.config" "$out/bench.config"
	fi
	step "building $1 ($(make -s -C "$2" kernelversion))"
	t0=$(date +%s)
	make -C "$2" O="$out" CC="$KCC" -j"$JOBS" bzImage >"$out/build.log" 2>&1 </dev/null || {
		grep -m 10 -E 'error:|Error [0-9]' "$out/build.log" | sed 's/^/    /' >&2
		die "kernel build failed for $1 (log: $out/build.log)"
	}
	step "built $1 in $(($(date +%s) - t0))s"
	for o in "${MUST[@]}"; do
		grep -q "^CONFIG_$o=y" "$out/.config" ||
			die "CONFIG_$o is not =y in $out/.config"
	done
}

# The kernel's own DMA API benchmark tool, from TREE, static for s390x,
# with TREE's struct map_benchmark (include/linux/map_benchmark.h).
build_tool() {	# build_tool NAME TREE
	local dir=$B/tool-$1 src=$2/tools/testing/selftests/dma/dma_map_benchmark.c
	[ -f "$src" ] || die "$1 has no $src"
	mkdir -p "$dir/inc/linux"
	cp "$2/include/linux/map_benchmark.h" "$dir/inc/linux/"
	${CROSS_COMPILE}gcc -static -O2 -I"$dir/inc" -o "$dir/dma_map_benchmark" "$src" ||
		die "cannot build dma_map_benchmark of $1"
}

# The same QEMU command for every kernel; MEM and kernel parameters vary
# by workload only.
boot() {	# boot NAME MODE MEM [kernel parameters...]
	local name=$1 mode=$2 mem=$3 log=$RES/$1-$2.log rc=0 t0
	shift 3
	# the vfio boots of round 2, 3 ... log to NAME-vfio.2.log, ...
	[ "${round:-1}" -gt 1 ] && log=$RES/$name-$mode.$round.log
	step "booting $name: $mode${round:+ (round $round)}"
	t0=$(date +%s)
	timeout --kill-after=10 "${BOOT_TIMEOUT:-1800}" qemu-system-s390x \
		-machine s390-ccw-virtio -cpu max -m "$mem" -smp "$SMP" "${CLOCK[@]}" \
		-nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$B/src-$name/bench-out/arch/s390/boot/bzImage" -initrd "$OUTD/bench-$name.cpio" \
		-append "console=ttyS0 panic=-1 BENCH_MODE=${mode%%-*} BENCH_DEVICE=$DEVICE BENCH_REPS=$REPS BENCH_1G_REPS=$REPS_1G BENCH_DMA_OPS=$DMA_OPS BENCH_MB_REPS=$MB_REPS BENCH_MB_SECONDS=$MB_SECONDS $*" \
		-device zpci,uid=1,fid=0,target=rng0 \
		-device virtio-rng-pci,id=rng0,disable-legacy=on,iommu_platform=on \
		</dev/null >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || ! grep -q '^### bench end' "$log"; then
		tail -n 20 "$log" | sed 's/^/    /' >&2
		die "$name ($mode) did not finish (rc $rc); console log: $log"
	fi
	grep '^BENCHERR' "$log" | sed "s/^/    $name $mode: /" >&2 || true
	echo "$name $(basename "$log" .log | cut -d- -f2-) $(($(date +%s) - t0))" >>"$RES/durations.txt"
}

for k in $KERNELS; do
	case $k in
	6.12)	unpack_612 ;;
	*)	worktree "$B/src-$k" "$k" ;;
	esac
done
for k in $KERNELS; do
	build_kernel "$k" "$B/src-$k"
	build_tool "$k" "$B/src-$k"
done
exec 7>&-	# the 6.12 tree's lock (unpack_612): built, only read from now on
[ "${BENCH_BUILD_ONLY:-0}" = 1 ] && exit 0

# One static guest for all kernels, packed by the base's gen_init_cpio
# with the dma_map_benchmark of each kernel.
first=${KERNELS%% *}
${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror \
	-o "$OUTD/bench-init" "$TOP/harness/guest/bench.c"
for k in $KERNELS; do
	cat >"$OUTD/bench-$k.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /bin 0755 0 0
file /init $OUTD/bench-init 0755 0 0
file /bin/dma_map_benchmark $B/tool-$k/dma_map_benchmark 0755 0 0
EOF
	"$B/src-$first/bench-out/usr/gen_init_cpio" "$OUTD/bench-$k.list" >"$OUTD/bench-$k.cpio"
done

{
	echo "base $(cat "$BUILD/base-version" 2>/dev/null || echo '?') $(git -C "$B/src-base" rev-parse --short HEAD)"
	echo "series $(git -C "$B/src-series" log -1 --format='%h %s' HEAD)"
	echo "6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12)"
	echo "qemu $(qemu-system-s390x --version | head -n 1)"
	if [ "$ICOUNT" = 1 ]; then
		echo "clock: -icount shift=0,sleep=off, -smp 1 (guest time = instructions, 1 ns each; host load does not enter it)"
	else
		echo "clock: host time, -smp 2 (TCG without icount: host load and scheduling enter every time)"
	fi
	echo "reps $REPS (1 GiB: $REPS_1G) x $BOOTS vfio boots, dma_ops $DMA_OPS vfio_mem $VFIO_MEM dma_mem $DMA_MEM"
	echo "dma_map_benchmark: $MB_REPS runs x ${MB_SECONDS}s, 1 thread, granule 1 page, 64-bit mask"
} >"$RES/meta.txt"

# BENCH_MODES="vfio dma" (the default) or one of them: the other's logs
# of an earlier run stay and are reported again.
MODES=${BENCH_MODES:-vfio dma}
t0=$(date +%s)
if [[ " $MODES " == *" vfio "* ]]; then
	rm -f "$RES"/*-vfio*.log
	[ ! -f "$RES/durations.txt" ] || sed -i '/^[^ ]* vfio[ .]/d' "$RES/durations.txt"
	# The vfio boots round by round, each round over all kernels, so that
	# a change in the host's load hits every kernel alike.
	for round in $(seq 1 "$BOOTS"); do
		for k in $KERNELS; do
			boot "$k" vfio "$VFIO_MEM"
		done
	done
	round=
fi
if [[ " $MODES " == *" dma "* ]]; then
	rm -f "$RES"/*-dma-*.log
	[ ! -f "$RES/durations.txt" ] || sed -i '/^[^ ]* dma-/d' "$RES/durations.txt"
	for k in $KERNELS; do
		boot "$k" dma-lazy "$DMA_MEM"
		boot "$k" dma-strict "$DMA_MEM" s390_iommu=strict
	done
fi

step "guests ran in $(($(date +%s) - t0))s"

python3 "$TOP/harness/bench/report.py" "$RES" "$OUTD"
chart=$OUTD/bench.svg
[ -f "$chart" ] || chart=
publish bench.md "make bench" "$OUTD/bench.md" ${chart:+"$chart"}
