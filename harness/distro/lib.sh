# What make check's distro items (check.sh) and make deb (deb.sh) share:
# Debian's own s390x kernel config, configuring a tree with it plus
# fragments, and make with ccache. Sourced, not run.
# shellcheck shell=bash

[ -n "${TOP:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/../core/lib.sh"
DISTRO=$BUILD/distro
# The tree and the build of make check's distro items live in the user's
# cache dir (lib.sh), not in build/: Debian's config builds some 10,000
# objects for vmlinux.o, which take minutes even as ccache hits. Kept,
# the base and the tip each rebuild only what differs from the other (and
# a clean clone, only what differs from the last run): git writes only
# the files that change, and make compares times. The source is a git
# repository of its own that fetches base and tip from build/linux
# (whose base commit is the same in every clone); one user at a time.
DISTRO_SRC=$CACHE/distro/src
DISTRO_OUT=$CACHE/distro/out
DISTRO_CONFIG_PKG=linux-config-6.1
DISTRO_CONFIG_NAME=config.s390x_none_s390x
# ccache (lib.sh) in depend mode: no extra preprocessor run per file on a
# cold cache; a warm cache serves the base <-> tip switches of a rerun, a
# make deb rebuild and the next clean clone.
export CCACHE_DEPEND=${CCACHE_DEPEND:-1}
DISTRO_MAKE=(ARCH="$ARCH" CROSS_COMPILE="$CROSS_COMPILE"
	     CC="$KCC" HOSTCC="ccache gcc")

# Print the path of Debian's s390x config, fetching it once per package
# version: the s390x architecture is added to dpkg (multiarch) and the
# package is downloaded and unpacked with dpkg-deb, never installed. A
# cached config is used when the package cannot be had.
distro_base_config() {
	local ver deb cfg dir=$DISTRO/config
	mkdir -p "$dir"
	if ! dpkg --print-foreign-architectures | grep -qx s390x; then
		[ "$(id -u)" -eq 0 ] || { echo "error: dpkg has no s390x architecture and we are not root" >&2; return 1; }
		flock "$APT_LOCK" dpkg --add-architecture s390x
	fi
	ver=$(apt-cache policy "$DISTRO_CONFIG_PKG:s390x" 2>/dev/null | sed -n 's/^  Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		flock "$APT_LOCK" apt-get update -qq >/dev/null 2>&1 || true
		ver=$(apt-cache policy "$DISTRO_CONFIG_PKG:s390x" 2>/dev/null | sed -n 's/^  Candidate: //p')
	fi
	if [ -n "$ver" ] && [ "$ver" != "(none)" ]; then
		cfg=$dir/$DISTRO_CONFIG_NAME-$ver
		if [ ! -s "$cfg" ]; then
			rm -rf "$dir/x" && mkdir -p "$dir/x"
			(cd "$dir" && flock "$APT_LOCK" apt-get download -q "$DISTRO_CONFIG_PKG:s390x=$ver") >"$dir/download.log" 2>&1 &&
				deb=$(ls "$dir"/"${DISTRO_CONFIG_PKG}"_*_s390x.deb | tail -n 1) &&
				dpkg-deb -x "$deb" "$dir/x" &&
				xz -dc "$dir/x/usr/src/$DISTRO_CONFIG_PKG/$DISTRO_CONFIG_NAME.xz" >"$cfg.tmp" &&
				mv "$cfg.tmp" "$cfg" || { rm -f "$cfg.tmp"; cat "$dir/download.log" >&2; }
		fi
		[ -s "$cfg" ] && { echo "$cfg"; return 0; }
	fi
	cfg=$(ls "$dir/$DISTRO_CONFIG_NAME"-* 2>/dev/null | grep -v '\.tmp$' | tail -n 1)
	[ -n "$cfg" ] || { echo "error: cannot get $DISTRO_CONFIG_PKG:s390x (apt-get download)" >&2; return 1; }
	echo "warning: $DISTRO_CONFIG_PKG:s390x not available, using the cached ${cfg##*/}" >&2
	echo "$cfg"
}

distro_make() {	# distro_make SRC OUT [make arguments...]
	local src=$1 out=$2
	shift 2
	make -C "$src" O="$out" "${DISTRO_MAKE[@]}" "$@" </dev/null
}

# Debian's config, then each FRAGMENT (later lines win), then make
# olddefconfig. Fails, naming them, if a fragment's settings did not stick.
distro_configure() {	# distro_configure SRC OUT FRAGMENT...
	local src=$1 out=$2 base line sym val bad=0
	shift 2
	base=$(distro_base_config) || return 1
	mkdir -p "$out"
	cat "$base" "$@" >"$out/.config"
	distro_make "$src" "$out" olddefconfig >"$out/olddefconfig.log" 2>&1 ||
		{ cat "$out/olddefconfig.log" >&2; return 1; }
	for line in $(cat "$@" | grep -E '^(CONFIG_[A-Z0-9_]+=|# CONFIG_[A-Z0-9_]+ is not set)' | tr ' ' '@'); do
		line=${line//@/ }
		case "$line" in
		'# '*)	sym=${line#\# }; sym=${sym%% *}
			grep -qE "^$sym=" "$out/.config" && { echo "error: $sym is set in $out/.config" >&2; bad=1; } ;;
		*)	sym=${line%%=*}; val=${line#*=}
			grep -qxF "$sym=$val" "$out/.config" ||
				{ echo "error: $sym=$val did not stick: $(grep -E "^(# )?$sym[= ]" "$out/.config" || echo "$sym is not in the config (dependencies?)")" >&2; bad=1; } ;;
		esac
	done
	cp "$base" "$out/debian.config"
	return $bad
}

# The enabled (=y or =m) options of a .config, sorted.
enabled_options() {	# enabled_options CONFIG
	grep -E '^CONFIG_[A-Z0-9_]+=[ym]$' "$1" | sort
}
