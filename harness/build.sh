#!/bin/bash
# Configure and build the test kernel with kunit.py: the s390 QEMU options of
# kunit.py, harness/kernel.config, the .kunitconfig files of the series and
# any further config fragments (make stress adds harness/debug.config).
#
#   build.sh TREE OUT [FRAGMENT...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$2"
tree=$(cd "$1" && pwd) out=$(cd "$2" && pwd)
shift 2
args=(--kunitconfig="$TOP/harness/kernel.config")
for frag in "$@"; do
	args+=(--kunitconfig="$(cd "$(dirname "$frag")" && pwd)/$(basename "$frag")")
done
kunitconfigs=$(series_kunitconfigs "$tree") || exit 1
for kc in $kunitconfigs; do
	args+=(--kunitconfig="$kc")
done

log=$out/build.log
if ! (cd "$tree" && python3 tools/testing/kunit/kunit.py build --arch=s390 \
	--cross_compile="$CROSS_COMPILE" --build_dir="$out" --jobs="$JOBS" \
	--make_options="CC=$KCC" --make_options="$(file_prefix_map "$tree" "$out")" \
	"${args[@]}") >"$log" 2>&1 </dev/null; then
	echo "error: kernel build failed in $tree; first errors (full log: $log):" >&2
	grep -m 10 -E 'error:|Error [0-9]|ERROR:|not in .config|missing' "$log" | sed 's/^/    /' >&2 ||
		tail -n 20 "$log" | sed 's/^/    /' >&2
	exit 1
fi
