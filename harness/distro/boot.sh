#!/bin/bash
# Boot the kernel of make check's distro build (Debian's s390x config +
# harness/distro/series.config, no debug information; $DISTRO_OUT, left at
# the tip of the series by harness/distro/check.sh) with VFIO as modules and run
# the VFIO selftests on it (harness/distro/modboot.sh). What it adds to that
# build: the final link (bzImage) and the .ko files of the modules the
# tests need; make deb boots the package's kernel the same way.
#
# The .ko files are made as scripts/Makefile.modfinal makes them, from
# the .mod.c files that check.sh's modpost wrote: 6.1's single .ko
# targets are unreliable (see check.sh), and a full "make modules" builds
# all 2,000 modules. The compiler flags are those of a module object of
# the same build.
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"
. "$TOP/harness/distro/lib.sh"

src=$DISTRO_SRC obj=$DISTRO_OUT res=$DISTRO/boot mdir=$DISTRO/boot-modules
# dependencies first (kvm.ko is not one: vfio-pci's zPCI KVM support
# goes through a hook in the kernel; it would not load under TCG anyway)
MODS="virt/lib/irqbypass drivers/vfio/vfio drivers/vfio/vfio_virqfd
      drivers/vfio/vfio_iommu_type1 drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci"

[ -f "$obj/vmlinux.o" ] && [ -f "$obj/drivers/vfio/vfio.mod.c" ] ||
	die "no distro build in $obj: run harness/distro/check.sh (make check) first"
[ "$(git -C "$src" rev-parse HEAD)" = "$(git -C "$TREE" rev-parse HEAD)" ] ||
	die "$src is not at the tip of build/linux: run harness/distro/check.sh first"

t0=$(date +%s)
distro_make "$src" "$obj" -j"$JOBS" bzImage >"$obj/bzImage.log" 2>&1 ||
	{ tail -n 20 "$obj/bzImage.log" >&2; die "make bzImage failed (log: $obj/bzImage.log)"; }
ref=$(sed -n 's/^\(saved\)\{0,1\}cmd_[^ ]* := //p' "$obj/drivers/vfio/.vfio_main.o.cmd" | sed 's/^ccache //')
ldflags=$(sed -n 's/^\(saved\)\{0,1\}cmd_[^ ]* := //p' "$obj/.vmlinux.o.cmd" |
	sed -E 's/^[^ ]*ld //; s/ -r -o vmlinux.o.*//')
rm -rf "$mdir" && mkdir -p "$mdir"
: >"$mdir/order"
for m in $MODS; do
	name=$(basename "$m") mn=$(basename "$m" | tr - _)
	# shellcheck disable=SC2001
	cmd=$(echo "$ref" | sed -E \
		-e "s|-Wp,-MMD,[^ ]+|-Wp,-MMD,$(dirname "$m")/.$name.mod.o.d|" \
		-e "s|-DKBUILD_BASENAME='\"[^\"]*\"'|-DKBUILD_BASENAME='\"$mn.mod\"'|" \
		-e "s|-DKBUILD_MODNAME='\"[^\"]*\"'|-DKBUILD_MODNAME='\"$mn\"'|" \
		-e "s|-D__KBUILD_MODNAME=kmod_[A-Za-z0-9_]+|-D__KBUILD_MODNAME=kmod_$mn|" \
		-e "s| -c -o [^ ]+ [^ ]+\.c| -c -o $m.mod.o $m.mod.c|")
	(cd "$obj" && eval "$cmd" &&
		# shellcheck disable=SC2086
		${CROSS_COMPILE}ld -r $ldflags --build-id=sha1 -T scripts/module.lds \
			-o "$m.ko" "$m.o" "$m.mod.o") || die "linking $m.ko failed"
	cp "$obj/$m.ko" "$mdir/"
	echo "$name.ko" >>"$mdir/order"
done
step "distro build: bzImage and $(echo $MODS) linked in $(($(date +%s) - t0))s"
"$TOP/harness/distro/modboot.sh" "$obj/arch/s390/boot/bzImage" "$mdir" "$src" "$obj" "$res"
