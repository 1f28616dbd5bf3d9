# Shared settings for the harness scripts (sourced, not run).
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux		# base + series, a git tree (tag "base")
OUT=$BUILD/out			# out-of-tree kernel build (O=)
RESULTS=$BUILD/results		# logs, KTAP/TAP, JSON
PATCHES=$TOP/patches
BASE_TARBALL=/usr/src/linux-source-6.1.tar.xz
BASE_PKG=linux-source-6.1
ARCH=s390
CROSS_COMPILE=s390x-linux-gnu-
export ARCH CROSS_COMPILE
JOBS=${JOBS:-$(nproc)}

# Patches of the series, in order, without the cover letter.
series_patches() {
	find "$PATCHES" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-*' | sort
}

die() {
	echo "error: $*" >&2
	exit 1
}

step() {
	echo "==> $*"
}

# The .kunitconfig files of the suites that the kernel tree $1 defines,
# one per line. Fails, naming it, if a suite's .kunitconfig is missing.
series_kunitconfigs() {
	local tree=$1 sym kc
	while read -r sym kc; do
		case "$sym" in ''|'#'*) continue ;; esac
		grep -rqs --include='Kconfig*' "^config $sym\$" "$tree/arch/s390" \
			"$tree/drivers/iommu" "$tree/drivers/vfio" || continue
		[ -f "$tree/$kc" ] || {
			echo "error: the tree defines $sym but has no $kc" >&2
			return 1
		}
		echo "$tree/$kc"
	done <"$TOP/harness/kunitconfigs"
}
