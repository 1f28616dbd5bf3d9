#!/bin/bash
# make bench: IOTLB refreshes (RPCIT), IOMMU map calls and guest time of
# DMA mapping on a zPCI function, measured the same way on the base, on
# base + series and on upstream 6.12 (Debian linux-source-6.12, a
# measuring stick only). Prints a table; writes it, JSON and a PNG chart
# to build/bench/.
#
# Each kernel is configured from harness/bench.config (make olddefconfig,
# no KUnit) and booted three times with the same QEMU command and the same
# static guest program (harness/guest/bench.c as /init):
#   vfio        VFIO type1 MAP_DMA/UNMAP_DMA workloads, -m $VFIO_MEM
#   dma-lazy    reads of /dev/hwrng through the DMA API, default policy
#   dma-strict  the same with s390_iommu=strict
# The DMA boots have less memory ($DMA_MEM): the DMA API range is as
# large as memory, and the reads must wrap its IOVA allocator.
#
# Environment: BENCH_REPS (5), BENCH_DMA_OPS (reads per repetition,
# 16384), VFIO_MEM (3072), DMA_MEM (256: a 64 Ki-page DMA range, wrapped
# once by the 5 x 16384 reads), BENCH_KERNELS ("base series 6.12").
set -euo pipefail
. "$(dirname "$0")/lib.sh"

B=$BUILD/bench
RES=$B/results
TARBALL_612=/usr/src/linux-source-6.12.tar.xz
KERNELS=${BENCH_KERNELS:-base series 6.12}
REPS=${BENCH_REPS:-5}
DMA_OPS=${BENCH_DMA_OPS:-16384}
VFIO_MEM=${VFIO_MEM:-3072}
DMA_MEM=${DMA_MEM:-256}
DEVICE=0001:00:00.0
# Must be =y on every kernel, or the numbers compare different things.
MUST=(PCI S390_IOMMU VFIO VFIO_IOMMU_TYPE1 VFIO_PCI VIRTIO_PCI
      HW_RANDOM_VIRTIO DEBUG_FS FUNCTION_TRACER FUNCTION_PROFILER
      HUGETLBFS TRANSPARENT_HUGEPAGE BLK_DEV_INITRD DEVTMPFS)

"$TOP/harness/deps.sh" linux-source-6.12 gnuplot-nox
if [ ! -d "$TREE" ]; then
	"$TOP/harness/prepare.sh"
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

unpack_612() {
	local dir=$B/src-6.12
	[ -f "$dir/Makefile" ] && return 0
	[ -r "$TARBALL_612" ] || die "$TARBALL_612 missing: apt-get install linux-source-6.12"
	step "unpacking linux-source-6.12"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xf "$TARBALL_612" -C "$dir.tmp" --strip-components=1
	mv "$dir.tmp" "$dir"
}

# Configure (when the fragment changed) and build the kernel of TREE.
build_kernel() {	# build_kernel NAME TREE
	local out=$B/out-$1 o
	mkdir -p "$out"
	if ! cmp -s "$TOP/harness/bench.config" "$out/bench.config"; then
		cp "$TOP/harness/bench.config" "$out/.config"
		make -s -C "$2" O="$out" olddefconfig >"$out/build.log" 2>&1 ||
			die "olddefconfig failed for $1 (log: $out/build.log)"
		cp "$TOP/harness/bench.config" "$out/bench.config"
	fi
	step "building $1 ($(make -s -C "$2" kernelversion))"
	make -C "$2" O="$out" -j"$JOBS" bzImage >"$out/build.log" 2>&1 </dev/null || {
		grep -m 10 -E 'error:|Error [0-9]' "$out/build.log" | sed 's/^/    /' >&2
		die "kernel build failed for $1 (log: $out/build.log)"
	}
	for o in "${MUST[@]}"; do
		grep -q "^CONFIG_$o=y" "$out/.config" ||
			die "CONFIG_$o is not =y in $out/.config"
	done
}

# The same QEMU command for every kernel; MEM and kernel parameters vary
# by workload only.
boot() {	# boot NAME MODE MEM [kernel parameters...]
	local name=$1 mode=$2 mem=$3 log=$RES/$1-$2.log rc=0
	shift 3
	step "booting $name: $mode"
	timeout --kill-after=10 "${BOOT_TIMEOUT:-1800}" qemu-system-s390x \
		-machine s390-ccw-virtio -cpu max -m "$mem" -smp 2 \
		-nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$B/out-$name/arch/s390/boot/bzImage" -initrd "$B/bench.cpio" \
		-append "console=ttyS0 panic=-1 BENCH_MODE=${mode%%-*} BENCH_DEVICE=$DEVICE BENCH_REPS=$REPS BENCH_DMA_OPS=$DMA_OPS $*" \
		-device zpci,uid=1,fid=0,target=rng0 \
		-device virtio-rng-pci,id=rng0,disable-legacy=on,iommu_platform=on \
		</dev/null >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || ! grep -q '^### bench end' "$log"; then
		tail -n 20 "$log" | sed 's/^/    /' >&2
		die "$name ($mode) did not finish (rc $rc); console log: $log"
	fi
	grep '^BENCHERR' "$log" | sed "s/^/    $name $mode: /" >&2 || true
}

worktree "$B/src-base" base
worktree "$B/src-series" series
unpack_612
for k in $KERNELS; do
	build_kernel "$k" "$B/src-$k"
done

# One static guest for all kernels, packed by the base's gen_init_cpio.
first=${KERNELS%% *}
${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror \
	-o "$B/bench-init" "$TOP/harness/guest/bench.c"
cat >"$B/bench.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $B/bench-init 0755 0 0
EOF
"$B/out-$first/usr/gen_init_cpio" "$B/bench.list" >"$B/bench.cpio"

{
	echo "base $(cat "$BUILD/base-version" 2>/dev/null || echo '?') $(git -C "$B/src-base" rev-parse --short HEAD)"
	echo "series $(git -C "$B/src-series" log -1 --format='%h %s' HEAD)"
	echo "6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12)"
	echo "qemu $(qemu-system-s390x --version | head -n 1)"
	echo "reps $REPS dma_ops $DMA_OPS vfio_mem $VFIO_MEM dma_mem $DMA_MEM"
} >"$RES/meta.txt"

for k in $KERNELS; do
	boot "$k" vfio "$VFIO_MEM"
	boot "$k" dma-lazy "$DMA_MEM"
	boot "$k" dma-strict "$DMA_MEM" s390_iommu=strict
done

python3 "$TOP/harness/bench-report.py" "$RES" "$B"
