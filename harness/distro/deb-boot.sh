#!/bin/bash
# Boot the kernel of a package of make deb in QEMU and run the VFIO
# selftests on it: vmlinuz and modules come from the linux-image .deb
# (unpacked with dpkg-deb, not installed); the modules the tests need and
# their dependencies (the package's modules.dep) go into the initramfs,
# and harness/distro/modboot.sh packs, boots and reports.
#
#   deb-boot.sh PKGDIR KERNELRELEASE SRC OBJ
#
# PKGDIR has the .deb files; SRC and OBJ are the tree and the build
# directory it was made from (for the selftests, headers, gen_init_cpio).
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"

pkgdir=$1 krel=$2 src=$3 obj=$4
# The modules the tests need; the rest of their dependencies come from
# the package's modules.dep.
DEB_MODULES=${DEB_MODULES:-vfio_iommu_type1 vfio-pci}
res=$pkgdir/results
root=$pkgdir/root
guest=$pkgdir/guest
rm -rf "$root" "$guest"
mkdir -p "$root" "$guest/modules"

deb=$(ls "$pkgdir"/linux-image-"$krel"_*.deb)
dpkg-deb -x "$deb" "$root"
kernel=$root/boot/vmlinuz-$krel
moddir=$root/lib/modules/$krel
[ -f "$kernel" ] || die "no boot/vmlinuz-$krel in $(basename "$deb")"
[ -f "$moddir/modules.dep" ] || die "no modules.dep in $(basename "$deb")"

# Dependencies first, each module once (modules.dep lists every
# dependency of a module, direct or not).
python3 - "$moddir" "$guest/modules" $DEB_MODULES <<'PY'
import os, shutil, sys
moddir, out, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
deps, byname = {}, {}
for line in open(os.path.join(moddir, 'modules.dep')):
    mod, _, rest = line.partition(':')
    deps[mod] = rest.split()
    byname[os.path.basename(mod).split('.ko')[0].replace('-', '_')] = mod
order = []
def visit(mod):
    if mod in order:
        return
    for d in deps.get(mod, []):
        visit(d)
    order.append(mod)
for w in wanted:
    key = w.replace('-', '_')
    if key not in byname:
        sys.exit(f'error: module {w} is not in the package')
    visit(byname[key])
with open(os.path.join(out, 'order'), 'w') as f:
    for mod in order:
        shutil.copy(os.path.join(moddir, mod), out)
        f.write(os.path.basename(mod) + '\n')
PY
step "booting $(basename "$deb") ($krel): modules $(tr '\n' ' ' <"$guest/modules/order")"

make -s -C "$src" O="$obj" headers >/dev/null
make -s -C "$src/tools/testing/selftests" O="$obj" TARGETS=iommu \
	LDFLAGS=-static >"$guest/selftests-build.log" 2>&1 ||
	{ cat "$guest/selftests-build.log" >&2; die "building the iommu selftests failed"; }
# The selftests beside the packages, for an administrator to copy
rm -rf "$pkgdir/selftests" && mkdir -p "$pkgdir/selftests"
for p in "$obj"/kselftest/iommu/*; do
	[ -x "$p" ] && [ -f "$p" ] && cp "$p" "$pkgdir/selftests/"
done
exec "$TOP/harness/distro/modboot.sh" "$kernel" "$guest/modules" "$src" "$obj" "$res"
