#!/bin/bash
# Boot the kernel in QEMU with two zPCI virtio-rng functions and the test
# initramfs; the console goes to a log. A guest that does not power off in
# time is killed, and the log is kept.
#
#   boot.sh KERNEL INITRAMFS LOG [extra kernel parameters...]
#
# 0001:00:00.0 (uid 1) is handed to vfio-pci by the guest's init; it offers
# VIRTIO_F_ACCESS_PLATFORM so that its DMA goes through the zPCI IOMMU.
# 0002:00:00.0 (uid 2) stays without a driver: it is the one function the
# KUnit suite s390_iommu_function is given (s390_iommu.test_function=).
# VFIO_ALLOW_DMA_FAULT=1 lets vfio_virtio_rng make 0001:00:00.0 fault on
# purpose; nothing runs after it on that function.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=$1 initrd=$2 log=$3
shift 3
timeout=${BOOT_TIMEOUT:-900}

# The DMA range QEMU reports for its zPCI functions, cut to the memory size
# (-m 1024) by the DMA API of 6.1.
cmdline="console=ttyS0 panic=-1 s390_iommu.test_function=0002:00:00.0"
# The one KUnit test that warns on purpose runs only when asked for
cmdline="$cmdline s390_iommu.test_warning=1"
cmdline="$cmdline VFIO_DEVICE=0001:00:00.0 ZPCI_DMA_RANGE=0x100000000-0x13fffffff"
cmdline="$cmdline VFIO_ALLOW_DMA_FAULT=1"
cmdline="$cmdline TEST_TIMEOUT=${TEST_TIMEOUT:-300} $*"
set +e
timeout --kill-after=10 "$timeout" qemu-system-s390x \
	-machine s390-ccw-virtio -cpu qemu -m 1024 -smp 2 \
	-nodefaults -nographic -no-reboot -serial stdio \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-device zpci,uid=1,fid=0,target=vfio0 \
	-device virtio-rng-pci,id=vfio0,disable-legacy=on,iommu_platform=on \
	-device zpci,uid=2,fid=1,target=kunit0 \
	-device virtio-rng-pci,id=kunit0 \
	</dev/null >"$log" 2>&1
rc=$?
set -e
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "error: the guest did not power off within ${timeout}s; console log: $log" >&2
	tail -n 20 "$log" | sed 's/^/    /' >&2
	exit 1
fi
if [ $rc -ne 0 ]; then
	echo "error: qemu-system-s390x exited with $rc; console log: $log" >&2
	tail -n 20 "$log" | sed 's/^/    /' >&2
	exit 1
fi
grep -q '^### guest tests end' "$log" || {
	echo "error: the guest stopped before its tests ended; console log: $log" >&2
	tail -n 20 "$log" | sed 's/^/    /' >&2
	exit 1
}
