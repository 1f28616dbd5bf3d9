#!/bin/bash
# Build the guest: a static s390x /init and the kselftest programs of the
# series, packed by the kernel's own gen_init_cpio.
#
#   initramfs.sh TREE OUT OUTPUT.cpio
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$2"
TREE=$(cd "$1" && pwd -P) OUT=$(cd "$2" && pwd -P) initrd=$3
guest=$OUT/guest
mkdir -p "$guest"

${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror \
	-o "$guest/init" "$TOP/harness/guest/init.c"

# The selftests of the series, when it has them (not on the bare base).
progs=()
if [ -f "$TREE/tools/testing/selftests/iommu/Makefile" ]; then
	make -s -C "$TREE" O="$OUT" headers >/dev/null
	make -s -C "$TREE/tools/testing/selftests" O="$OUT" TARGETS=iommu \
		LDFLAGS=-static >"$guest/selftests-build.log" 2>&1 ||
		{ cat "$guest/selftests-build.log" >&2; die "building the iommu selftests failed"; }
	mapfile -t progs < <(iommu_selftests "$TREE" "$OUT")
fi

{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "dir /proc 0755 0 0"
	echo "dir /sys 0755 0 0"
	echo "dir /tests 0755 0 0"
	echo "file /init $guest/init 0755 0 0"
	for p in "${progs[@]}"; do
		echo "file /tests/$(basename "$p") $p 0755 0 0"
	done
} >"$guest/initramfs.list"
"$OUT/usr/gen_init_cpio" "$guest/initramfs.list" >"$initrd"
