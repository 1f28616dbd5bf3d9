#!/bin/bash
# make deb (not part of make test): a Debian package of the kernel of the
# series for s390x, cross compiled with make bindeb-pkg from Debian's own
# s390x config (config.s390x_none_s390x of linux-config-6.1:s390x) plus
# harness/distro/series.config (VFIO, VFIO_PCI, VFIO_IOMMU_TYPE1 and ISM as
# modules, SMC), then its kernel booted in QEMU with the modules from the
# package (harness/distro/deb-boot.sh) and the VFIO selftests run on it.
#
#   DEB_VARIANT=full     Debian's config as it is, with its debug
#                        information (also a linux-image-...-dbg package);
#                        kernel release 6.1.N-s390-iommu-vfio
#   DEB_VARIANT=trimmed  (the default) the same without the subsystems no
#                        s390 machine has (harness/distro/trim.config) and
#                        without debug information; about half the modules;
#                        kernel release 6.1.N-s390-iommu-vfio-trim
#   DEB_BOOT=0           build the package only
#
# Sources: build/deb/src, a worktree of build/linux at the tip of the
# series; objects: build/deb/out-VARIANT (incremental); packages:
# build/deb/VARIANT/*.deb. ccache (build/ccache) is shared with make
# check's distro build.
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"
. "$TOP/harness/distro/lib.sh"

VARIANT=${DEB_VARIANT:-trimmed}
DEB=$BUILD/deb
SRC=$DEB/src
DOBJ=$DEB/out-$VARIANT
PKGDIR=$DEB/$VARIANT
case "$VARIANT" in
full)	frags=("$TOP/harness/distro/series.config")
	localversion=-s390-iommu-vfio ;;
trimmed) frags=("$TOP/harness/distro/series.config" "$TOP/harness/distro/trim.config"
		"$TOP/harness/distro/nodebug.config")
	localversion=-s390-iommu-vfio-trim ;;
*)	die "DEB_VARIANT is full or trimmed, not $VARIANT" ;;
esac

"$TOP/harness/core/deps.sh" ccache dpkg-dev fakeroot xz-utils
"$TOP/harness/core/prepare.sh"

if [ ! -e "$SRC/.git" ]; then
	git -C "$TREE" worktree prune
	git -C "$TREE" worktree add -q --detach "$SRC" HEAD
fi
[ "$(git -C "$SRC" rev-parse HEAD)" = "$(git -C "$TREE" rev-parse HEAD)" ] ||
	git -C "$SRC" checkout -q -f --detach "$(git -C "$TREE" rev-parse HEAD)"
git -C "$SRC" clean -qfdx

mkdir -p "$DOBJ" "$PKGDIR"
cfg=$(distro_base_config)
distro_configure "$SRC" "$DOBJ" "${frags[@]}" || die "configuring $DOBJ failed"
kver=$(distro_make "$SRC" "$DOBJ" -s kernelversion)
krel=$kver$localversion
step "make bindeb-pkg ($VARIANT): ${cfg##*/} + ${frags[*]//"$TOP"\//}, $(grep -c '=m$' "$DOBJ/.config") modules, kernel release $krel"

# CPU time (user + system) of the children this shell has waited for, in
# seconds (/proc/PID/stat; a subshell's "times" would not see them)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d\n", ($14 + $15) / hz }' "/proc/$$/stat"; }
t0=$(date +%s) c0=$(cpu)
rm -f "$DEB"/*.deb "$DEB"/*.buildinfo "$DEB"/*.changes
if ! distro_make "$SRC" "$DOBJ" -j"$JOBS" LOCALVERSION="$localversion" \
	KDEB_PKGVERSION="$krel-1" DPKG_FLAGS=-d bindeb-pkg >"$DOBJ/bindeb-pkg.log" 2>&1; then
	grep -m 10 -E 'error:|Error [0-9]|ERROR:|dpkg-buildpackage: error' "$DOBJ/bindeb-pkg.log" | sed 's/^/    /' >&2
	die "make bindeb-pkg failed (log: $DOBJ/bindeb-pkg.log)"
fi
t1=$(date +%s) c1=$(cpu)
rm -f "$PKGDIR"/*.deb
mv "$DEB"/*.deb "$PKGDIR"/
rm -f "$DEB"/*.buildinfo "$DEB"/*.changes
step "packages built in $((t1 - t0))s (CPU $((c1 - c0))s, ccache: $(ccache -s | sed -n 's/^ *Hits: *\([0-9]* \/ *[0-9]*\).*/\1/p' | head -n 1) hits) in ${PKGDIR#"$TOP"/}:"
for d in "$PKGDIR"/*.deb; do
	printf '    %s  %s\n' "$(du -h "$d" | cut -f1)" "$(basename "$d")"
done

[ "${DEB_BOOT:-1}" = 0 ] && exit 0
"$TOP/harness/distro/deb-boot.sh" "$PKGDIR" "$krel" "$SRC" "$DOBJ"
