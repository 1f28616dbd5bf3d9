#!/bin/bash
# Unpack Debian packages of s390x, with their recursive Depends, under
# build/s390x/root: programs for the guests, not for this host, so they are
# fetched with apt-get download (multiarch) and dpkg-deb -x, not installed.
# The .debs stay in build/s390x/debs; nothing is fetched or unpacked again
# while the versions apt offers are those of the tree.
#
#   s390x-debs.sh PACKAGE[:s390x]...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S390X=$BUILD/s390x
ROOT=$S390X/root
pkgs=()
for p in "$@"; do
	pkgs+=("${p%:s390x}:s390x")
done

# Multiarch once; apt needs the lists of s390x to name its packages.
if ! dpkg --print-foreign-architectures | grep -qx s390x ||
   ! apt-cache show "${pkgs[0]}" >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || die "s390x packages are unknown to apt and we are not root (dpkg --add-architecture s390x; apt-get update)"
	step "adding the s390x architecture to apt (multiarch)"
	flock "$APT_LOCK" dpkg --add-architecture s390x
	flock "$APT_LOCK" apt-get update -qq >/dev/null || die "apt-get update failed"
fi

# Real s390x packages only: "<virtual>" entries are provided by others,
# and arch-all or host packages (qemu-system-data) are the host's own.
list=$(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "${pkgs[@]}" |
	grep -E '^[a-z0-9][^ ]*:s390x$' | sort -u)
# One line per package: file name (name_version_arch.deb) and URI.
# shellcheck disable=SC2086 # one argument per package
uris=$(flock "$APT_LOCK" apt-get download --print-uris $list |
	sed -n "s/^'\([^']*\)' \([^ ]*\) .*/\2 \1/p" | sort)
[ -n "$uris" ] || die "apt-get download --print-uris found nothing for ${pkgs[*]}"
if [ -f "$ROOT/.debs" ] && [ "$(cat "$ROOT/.debs")" = "$(cut -d' ' -f1 <<<"$uris")" ]; then
	exit 0
fi

mkdir -p "$S390X/debs"
step "fetching $(wc -l <<<"$uris") s390x packages (${pkgs[*]} and their Depends)"
missing=()
while read -r file _; do
	[ -s "$S390X/debs/$file" ] || missing+=("${file%%_*}:s390x=$(sed 's/^[^_]*_\([^_]*\)_.*/\1/; s/%3a/:/' <<<"$file")")
done <<<"$uris"
if [ ${#missing[@]} -gt 0 ]; then
	(cd "$S390X/debs" && flock "$APT_LOCK" apt-get download -q "${missing[@]}") >"$S390X/download.log" 2>&1 ||
		{ tail -n 20 "$S390X/download.log" >&2; die "apt-get download failed (log: $S390X/download.log)"; }
fi

rm -rf "$ROOT" "$ROOT.tmp"
mkdir -p "$ROOT.tmp"
while read -r file _; do
	dpkg-deb -x "$S390X/debs/$file" "$ROOT.tmp" ||
		die "dpkg-deb -x $S390X/debs/$file failed"
done <<<"$uris"
cut -d' ' -f1 <<<"$uris" >"$ROOT.tmp/.debs"
mv "$ROOT.tmp" "$ROOT"
