#!/bin/bash
# The QEMU of the ISM boots (make ism): Debian's QEMU source package, the
# same version as the installed qemu-system-misc, with Debian's patches and
# then the patches of this folder (QEMU's git format-patch form), built for
# s390x-softmmu only. The binary is kept under the user's cache dir, keyed
# by the source version and the patches, so that a rerun and the next clean
# clone reuse it. Every other boot uses Debian's unpatched qemu-system-s390x.
#
#   build.sh          prints the path of the binary (building it if needed)
#
# The binary has no firmware of its own: run it with -L /usr/share/qemu.
set -euo pipefail
. "$(dirname "$0")/../core/lib.sh"

QDIR=$TOP/harness/qemu
"$TOP/harness/core/deps.sh" dpkg-dev ninja-build meson pkg-config libglib2.0-dev \
	libpixman-1-dev zlib1g-dev libfdt-dev >&2

ver=$(dpkg-query -W -f='${source:Version}' qemu-system-misc)
key=$( (echo "$ver"; cat "$QDIR"/*.patch; sed -n '/^configure_args=/,/^$/p' "$0") |
	sha256sum | cut -c1-16)
dir=$CACHE/qemu/${ver//:/_}-$key
bin=$dir/qemu-system-s390x
# one build at a time (two clones may ask at once); the second waits
mkdir -p "$CACHE/qemu"
exec 9>"$CACHE/qemu/.lock"
flock 9
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

# apt-get source needs a deb-src entry for the suites the machine uses.
has_source() {
	apt-cache showsrc qemu 2>/dev/null | grep -c "^Version: $ver\$" >/dev/null
}
ensure_deb_src() {
	has_source && return 0
	[ "$(id -u)" -eq 0 ] || die "no deb-src entry for qemu $ver and not root; add one"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/s390-series-src.sources
	elif grep -qs '^deb ' /etc/apt/sources.list; then
		sed -n 's/^deb /deb-src /p' /etc/apt/sources.list \
			>/etc/apt/sources.list.d/s390-series-src.list
	fi
	flock "$APT_LOCK" apt-get update -qq >/dev/null 2>&1 || true
	has_source || die "apt-get source cannot find qemu $ver"
}

t0=$(date +%s)
ensure_deb_src
rm -rf "$dir"
mkdir -p "$dir/dl"
step "qemu: apt-get source qemu=$ver" >&2
(cd "$dir/dl" && flock "$APT_LOCK" apt-get source -q --download-only "qemu=$ver") >"$dir/source.log" 2>&1 ||
	{ tail -n 20 "$dir/source.log" >&2; die "apt-get source qemu=$ver failed"; }
dpkg-source -x "$dir"/dl/qemu_*.dsc "$dir/src" >>"$dir/source.log" 2>&1 ||
	{ tail -n 20 "$dir/source.log" >&2; die "dpkg-source -x failed"; }
for p in "$QDIR"/*.patch; do
	patch -d "$dir/src" -p1 -s --no-backup-if-mismatch <"$p" ||
		die "$(basename "$p") does not apply to qemu $ver"
done

# No debug information (-g): the harness never runs QEMU in a debugger,
# and without it the compiler has less to do on a new machine, where
# ccache holds nothing yet.
configure_args=(--target-list=s390x-softmmu --without-default-features
	--disable-docs --disable-install-blobs --disable-debug-info
	--cc="ccache gcc")

step "qemu: building s390x-softmmu with $(ls "$QDIR"/*.patch | wc -l) patch(es)" >&2
mkdir -p "$dir/build"
(
	cd "$dir/build"
	export CCACHE_BASEDIR=$dir
	"$dir/src/configure" "${configure_args[@]}" &&
		nice -n 5 ninja -j"$JOBS" qemu-system-s390x
) >"$dir/build.log" 2>&1 </dev/null ||
	{ tail -n 30 "$dir/build.log" >&2; die "building qemu failed (log: $dir/build.log)"; }
mv "$dir/build/qemu-system-s390x" "$bin"
rm -rf "$dir/src" "$dir/build" "$dir/dl"
step "qemu: built in $(($(date +%s) - t0))s: $bin" >&2
echo "$bin"
