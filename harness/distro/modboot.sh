#!/bin/bash
# Boot a modular kernel in QEMU and run the VFIO selftests on it: the
# initramfs has our own static /init (harness/guest/modinit.c: it loads
# the modules of MODDIR/order with finit_module, then does what init.c
# does) and the selftests of the tree, and harness/core/boot.sh boots it with
# the same two zPCI functions as make. harness/core/report.py reads the console
# log (KUNIT_EXPECTED=0: a distribution config has no KUnit, so only the
# selftests of harness/core/manifest are expected). Used by deb-boot.sh (make deb) and boot.sh (make check).
#
#   modboot.sh KERNEL MODDIR SRC OBJ RESULTS
#
# MODDIR has the .ko files and "order" (file names, dependencies first);
# SRC and OBJ are the tree and a configured build of it (selftests,
# headers, gen_init_cpio).
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"

kernel=$1 moddir=$2 src=$3 obj=$4 res=$5
guest=$res/guest
rm -rf "$res"
mkdir -p "$guest"

${CROSS_COMPILE}gcc -static -O2 -Wall -Wextra -Werror -I"$TOP/harness/guest" \
	-o "$guest/init" "$TOP/harness/guest/modinit.c"
make -s -C "$src" O="$obj" headers >/dev/null
make -s -C "$src/tools/testing/selftests" O="$obj" TARGETS=iommu \
	LDFLAGS=-static >"$guest/selftests-build.log" 2>&1 ||
	{ cat "$guest/selftests-build.log" >&2; die "building the iommu selftests failed"; }
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "dir /proc 0755 0 0"
	echo "dir /sys 0755 0 0"
	echo "dir /tests 0755 0 0"
	echo "dir /modules 0755 0 0"
	echo "file /init $guest/init 0755 0 0"
	echo "file /modules/order $moddir/order 0644 0 0"
	while read -r m; do
		echo "file /modules/$m $moddir/$m 0644 0 0"
	done <"$moddir/order"
	iommu_selftests "$src" "$obj" | while read -r p; do
		echo "file /tests/$(basename "$p") $p 0755 0 0"
	done
} >"$guest/initramfs.list"
"$obj/usr/gen_init_cpio" "$guest/initramfs.list" >"$guest/initramfs.cpio"

t0=$(date +%s)
rc=0
"$TOP/harness/core/boot.sh" "$kernel" "$guest/initramfs.cpio" "$res/console.log" || rc=$?
grep '^# modinit: ' "$res/console.log" | sed 's/^# /    /' || true
KUNIT_EXPECTED=0 python3 "$TOP/harness/core/report.py" "$res/console.log" "$res" "$src" \
	"$obj/.config" \
	>"$res/report.txt" || rc=1
step "guest ran in $(($(date +%s) - t0))s; results in ${res#"$TOP"/}"
cat "$res/report.txt"
exit $rc
