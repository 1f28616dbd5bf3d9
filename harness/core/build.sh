#!/bin/bash
# Configure and build the test kernel with kunit.py: the s390 QEMU options of
# kunit.py, harness/core/kernel.config, the .kunitconfig files of the series and
# any further config fragments (make stress adds harness/core/debug.config).
#
#   build.sh TREE OUT [FRAGMENT...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$2"
tree=$(cd "$1" && pwd -P) out=$(cd "$2" && pwd -P)
shift 2
args=(--kunitconfig="$TOP/harness/core/kernel.config")
for frag in "$@"; do
	args+=(--kunitconfig="$(cd "$(dirname "$frag")" && pwd)/$(basename "$frag")")
done
kunitconfigs=$(series_kunitconfigs "$tree") || exit 1
for kc in $kunitconfigs; do
	args+=(--kunitconfig="$kc")
done

log=$out/build.log
CCACHE_BASEDIR=$(ccache_basedir "$tree")
make_options=("CC=$KCC" "$(file_prefix_map "$tree" "$out")")

# kunit.py build configures first (two make olddefconfig runs, 15 s of a
# 30 s no-op build). What it configures follows from the fragments, the
# tree's Kconfig files and the compiler alone: when none of them changed
# since the last kunit.py build in OUT (kunit.py's own s390 options
# included), its .config would come out the same, and make alone builds
# what kunit.py build would.
config_key() {
	{
		cat "${args[@]#--kunitconfig=}" "$tree/tools/testing/kunit/qemu_configs/s390.py"
		printf '%s\n' "${make_options[@]}"
		"${CROSS_COMPILE}gcc" --version | head -n 1
		(cd "$tree" && git ls-files -z -- '*Kconfig*' | xargs -0 sha1sum)
	} | sha1sum | cut -d' ' -f1
}
key=$(config_key)
keyfile=$out/.harness-config-key

build() {
	if [ -s "$out/.config" ] && [ "$(cat "$keyfile" 2>/dev/null)" = "$key" ]; then
		echo "the configuration inputs are those of the last kunit.py build: make alone"
		make -C "$tree" ARCH="$ARCH" O="$out" --jobs="$JOBS" \
			CROSS_COMPILE="$CROSS_COMPILE" "${make_options[@]}"
		return
	fi
	rm -f "$keyfile"
	(cd "$tree" && python3 tools/testing/kunit/kunit.py build --arch=s390 \
		--cross_compile="$CROSS_COMPILE" --build_dir="$out" --jobs="$JOBS" \
		"${make_options[@]/#/--make_options=}" "${args[@]}") &&
		echo "$key" >"$keyfile"
}

if ! build >"$log" 2>&1 </dev/null; then
	echo "error: kernel build failed in $tree; first errors (full log: $log):" >&2
	grep -m 10 -E 'error:|Error [0-9]|ERROR:|not in .config|missing' "$log" | sed 's/^/    /' >&2 ||
		tail -n 20 "$log" | sed 's/^/    /' >&2
	exit 1
fi
