#!/bin/bash
# Install the Debian packages the harness needs, only those that are missing.
# usage: deps.sh [EXTRA_PACKAGE...]  (make bench asks for what only it needs)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# NAME:s390x is not installed: harness/core/s390x-debs.sh unpacks it with its
# Depends under build/ for the nested guest, once the host has its own.
native=() foreign=()
for p in "$@"; do
	case $p in *:s390x) foreign+=("$p") ;; *) native+=("$p") ;; esac
done
if [ ${#foreign[@]} -gt 0 ]; then
	"$0" "${native[@]}" && exec "$(dirname "$0")/s390x-debs.sh" "${foreign[@]}"
	exit 1
fi

PKGS=(make gcc gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-system-misc
      linux-source-6.1 flex bison bc libelf-dev libssl-dev cpio xz-utils
      python3 python3-ply python3-git perl git sparse rsync kmod
      python3-sphinx python3-sphinx-rtd-theme graphviz ccache python3-pytest "$@")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (${missing[*]}) and not root; install them with apt-get" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
flock "$APT_LOCK" apt-get update -qq >/dev/null ||
	{ echo "deps: apt-get update failed" >&2; exit 1; }
log=$(mktemp)
if ! flock "$APT_LOCK" apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
	echo "deps: apt-get install failed; last lines of the log:" >&2
	tail -n 20 "$log" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
