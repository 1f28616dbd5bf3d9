# Shared settings for the harness scripts (sourced, not run).
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BUILD=${BUILD:-$TOP/build}
TREE=$BUILD/linux		# base + series, a git tree (tag "base")
OUT=$BUILD/out			# out-of-tree kernel build (O=)
RESULTS=$BUILD/results		# logs, KTAP/TAP, JSON
DEBUG_OUT=$BUILD/out-debug	# make stress: the same with harness/core/debug.config
DEBUG_RESULTS=$BUILD/results-debug
PATCHES=$TOP/patches
BASE_TARBALL=/usr/src/linux-source-6.1.tar.xz
BASE_PKG=linux-source-6.1
ARCH=s390
CROSS_COMPILE=s390x-linux-gnu-
export ARCH CROSS_COMPILE
JOBS=${JOBS:-$(nproc)}

# What outlives build/ (a clean clone, CI on the same machine): the compiler
# cache and the QEMU of harness/qemu/, under the user's cache dir. ccache
# sees paths below TOP as relative ones, so another clone hits the same
# entries.
CACHE=${SERIES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/s390-iommu-series}
export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G}
# Kbuild's own absolute -fmacro-prefix-map (it never matches the relative
# paths ccache compiles with, see file_prefix_map) and the assembler's
# include path name the clone: leave them out of the hash.
export CCACHE_IGNOREOPTIONS=${CCACHE_IGNOREOPTIONS:-"-fmacro-prefix-map=/* -Wa,-I/*"}
KCC="ccache ${CROSS_COMPILE}gcc"

# apt-get and dpkg refuse to run while another holds their locks, and make
# test runs parts beside each other: the harness runs each of its apt-get
# and dpkg calls that install, fetch or read lists under this lock
# (flock "$APT_LOCK" COMMAND...), waiting for the others.
APT_LOCK=${TMPDIR:-/tmp}/s390-iommu-series.apt.lock

# ccache hands the compiler the source as a path relative to the build
# directory (../linux/…), which Kbuild's -fmacro-prefix-map=$(srctree)/=
# does not strip: strip that one too, so __FILE__ (WARN and BUG
# reports) stays drivers/…, as without ccache.
file_prefix_map() {	# file_prefix_map TREE OUT
	echo "KCPPFLAGS=-fmacro-prefix-map=$(realpath -m --relative-to="$2" "$1")/="
}

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

# CPU time (user + system) of the children that shell PID (default: this
# script's, $$) has waited for, in seconds: fields 16 and 17 of
# /proc/PID/stat (a command substitution's "times" would not see them).
cpu_seconds() {	# cpu_seconds [PID]
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d\n", ($14 + $15) / hz }' "/proc/${1:-$$}/stat"
}

# One item of make check: "ok     NAME" or "FAILED NAME" with the start of
# DETAIL FILE, counted in the caller's $passed and $failed.
result() {	# result NAME STATUS [DETAIL FILE]
	if [ "$2" = 0 ]; then
		passed=$((passed + 1))
		echo "ok     $1"
	else
		failed=$((failed + 1))
		echo "FAILED $1"
		[ -n "${3:-}" ] && [ -s "$3" ] && head -n 15 "$3" | sed 's/^/         /'
	fi
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
	done <"$TOP/harness/core/kunitconfigs"
}

# The tree that make check and make prove walk, and its build, where make
# ism and make attach-cost find the base built. Both live in the user's
# cache dir, as make check's distro tree does: kept, a clean clone
# rebuilds only what differs from the last commit built there (the base,
# four minutes as ccache hits in a new build directory, becomes one
# checkout away from the tip). The tree is a git repository of its own
# that fetches base and HEAD from build/linux (the base commit is the
# same in every clone); one make at a time (lock_worktree). Their names
# are those of build/ (linux, out), as are the tip's below: with
# ccache_basedir, a file that the series leaves as it is compiles to the
# same hash in every one of these trees, so that on a new machine the
# base's build here is served ccache hits (preprocessed mode: the
# series' Kconfig symbols change autoconf.h) for what the tip's build
# compiled first.
WT=$CACHE/worktree/linux
BOUT=$CACHE/worktree/out

# The CCACHE_BASEDIR for a build of TREE: the clone (above) for a tree in
# it; for one outside (WT), its parent, so that a tree and build of the
# same names side by side hash alike wherever they are.
ccache_basedir() {	# ccache_basedir TREE
	case $1/ in
	"$TOP"/*) echo "$TOP" ;;
	*) dirname "$1" ;;
	esac
}

# Hold the lock of the tree until this script and its children end. A
# make that finds it held waits for the other to end.
lock_worktree() {
	hold_lock "$CACHE/worktree" BISECT_LOCKED
}

# Hold DIR/.lock until this script and its children end (they inherit
# the open file), waiting for another holder to end; a child that finds
# VAR set in its environment holds it already.
hold_lock() {	# hold_lock DIR VAR
	local fd
	[ -n "${!2:-}" ] && return 0
	mkdir -p "$1" && exec {fd}>"$1/.lock" && flock "$fd" || return 1
	export "$2=1"
}

# SRC, a git repository of its own in the cache dir, at REV of build/linux
# and nothing else in it, with every commit from base to build/linux's
# HEAD. Checkout writes only the files that differ from what the tree
# holds, so make rebuilds in OUT only what they change. A SRC that is not
# such a repository is made anew, and OUT with it.
cached_checkout() {	# cached_checkout SRC OUT REV
	local src=$1 rev tip
	rev=$(git -C "$TREE" rev-parse "$3^{commit}") &&
		tip=$(git -C "$TREE" rev-parse HEAD) || return 1
	if [ "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)" != "$src" ]; then
		rm -rf "$src" "$2"
		git init -q "$src" || return 1
	fi
	if ! git -C "$src" cat-file -e "$rev^{commit}" 2>/dev/null ||
	   ! git -C "$src" cat-file -e "$tip^{commit}" 2>/dev/null; then
		git -C "$src" fetch -q --no-tags "$TREE" \
			+refs/tags/base:refs/tags/base +HEAD:refs/heads/tip || return 1
	fi
	git -C "$src" checkout -q -f --detach "$rev" && git -C "$src" clean -qfdx
}

# make prove's tree and build: the same as the bisect tree's, but its
# own, so that make prove and make check can run at once; the names are the
# bisect tree's (ccache_basedir). Its own lock (lock_prove_tree).
PROVE_WT=$CACHE/prove/linux
PROVE_BOUT=$CACHE/prove/out

lock_prove_tree() {
	hold_lock "$CACHE/prove" PROVE_LOCKED
}

# $WT at REV, under its lock (make check and make prove check out the
# commits from base to HEAD there).
ensure_worktree() {	# ensure_worktree REV
	lock_worktree && cached_checkout "$WT" "$BOUT" "$1"
}

# The tip of the series is built the same way: in a copy of build/linux
# in the cache dir, $TIP_TREE, whose builds there ($TIP/out, out-debug,
# nested/out-series) the clone's build/out, build/out-debug and
# build/nested/out-series link to. A clean clone then rebuilds only what
# differs from the last tip built on this machine, where a new build
# directory costs Kbuild's work for each of its thousand objects, ccache
# hits or not (140 s for the test kernel). Names as in build/, so that
# they hash alike (ccache_basedir). One make test, or one make that
# builds the tip, at a time (lock_tip).
TIP=$CACHE/tip
TIP_TREE=$TIP/linux

lock_tip() {
	hold_lock "$TIP" TIP_LOCKED
}

# What build/linux holds: its HEAD, its uncommitted changes and its
# untracked files, as one key.
tip_state() {
	{
		git -C "$TREE" rev-parse HEAD
		git -C "$TREE" diff --binary HEAD
		git -C "$TREE" ls-files -z --others --exclude-standard |
			(cd "$TREE" && xargs -0 -r sha1sum)
	} | sha1sum | cut -d' ' -f1
}

# $TIP_TREE as build/linux is, uncommitted changes and untracked files
# included (the developer loop builds them); the files it writes get a
# new time, so make rebuilds what they change. Under lock_tip.
sync_tip() {
	lock_tip && cached_checkout "$TIP_TREE" "$TIP/out" HEAD || return 1
	if ! git -C "$TREE" diff --quiet HEAD; then
		git -C "$TREE" diff --binary HEAD | git -C "$TIP_TREE" apply || return 1
	fi
	git -C "$TREE" ls-files -z --others --exclude-standard |
		tar -C "$TREE" --null -T - -cf - | tar -C "$TIP_TREE" -xmf -
}

# Make OUT, a build directory in build/, a link to its place in $TIP;
# prints that place (Kbuild is given it, not the link).
tip_out() {	# tip_out OUT
	local real=$TIP/${1#"$BUILD"/}
	mkdir -p "$real" "$(dirname "$1")" || return 1
	if [ "$(readlink "$1")" != "$real" ]; then
		rm -rf "$1" && ln -s "$real" "$1" || return 1
	fi
	echo "$real"
}

# Build the tip in OUT (a directory of build/, see tip_out) with any
# further config FRAGMENTs; OUT then names the state of build/linux it
# was built from (tip_built).
build_tip() {	# build_tip OUT [FRAGMENT...]
	local out
	out=$(tip_out "$1") && sync_tip || return 1
	shift
	rm -f "$out/.harness-tree-state"
	"$TOP/harness/core/build.sh" "$TIP_TREE" "$out" "$@" &&
		tip_state >"$out/.harness-tree-state"
}

# OUT holds a build of build/linux as it is now.
tip_built() {	# tip_built OUT
	[ -f "$1/arch/s390/boot/bzImage" ] &&
		[ "$(cat "$1/.harness-tree-state" 2>/dev/null)" = "$(tip_state)" ]
}

# The base, built in $BOUT, where make check, make ism and make
# attach-cost all find it.
build_base() {
	ensure_worktree base && "$TOP/harness/core/build.sh" "$WT" "$BOUT"
}

# Pack the selftests of TREE with the kernel built in OUT, boot it with the
# console to CONSOLE and report the results into RESULTS_DIR. Fails if any
# step or any test does.
# The iommu selftest programs built in OUT that TREE has a source of: OUT
# may hold one that another commit built there (make check's bisect walk).
iommu_selftests() {	# iommu_selftests TREE OUT
	local p
	for p in "$2"/kselftest/iommu/*; do
		if [ -x "$p" ] && [ -f "$p" ] &&
			[ -f "$1/tools/testing/selftests/iommu/$(basename "$p").c" ]; then
			echo "$p"
		fi
	done
}

test_kernel() {	# test_kernel TREE OUT CONSOLE RESULTS_DIR
	local suites
	suites=$(series_kunitconfigs "$1") || return 1
	"$TOP/harness/core/initramfs.sh" "$1" "$2" "$2/initramfs.cpio" &&
		"$TOP/harness/core/boot.sh" "$2/arch/s390/boot/bzImage" "$2/initramfs.cpio" \
			"$3" ${KERNEL_ARGS:-} &&
		KUNIT_EXPECTED=$([ -n "$suites" ] && echo 1 || echo 0) \
			python3 "$TOP/harness/core/report.py" "$3" "$4" "$1" "$2/.config"
}

# The main job and make stress: build the kernel of the series in OUT (with
# any further config FRAGMENTs), boot it and write what report.py says to
# RESULTS_DIR/report.txt, each step timed. Fails if the build or any test
# does.
build_and_test() {	# build_and_test OUT RESULTS_DIR [FRAGMENT...]
	local out=$1 res=$2 t0 rc=0
	shift 2
	rm -f "$res/summary.json" "$res/report.txt"
	step "building the s390x kernel (kunit.py build, O=${out#"$TOP"/}${*:+ + ${*//"$TOP"\//}})"
	t0=$(date +%s)
	build_tip "$out" "$@" || return 1
	step "kernel built in $(($(date +%s) - t0))s"

	mkdir -p "$res"
	step "packing the guest initramfs, booting in qemu-system-s390x with two zPCI functions"
	t0=$(date +%s)
	test_kernel "$TIP_TREE" "$out" "$res/console.log" "$res" >"$res/report.txt" || rc=$?
	step "guest ran in $(($(date +%s) - t0))s"
	return $rc
}

# What a benchmark target printed, kept where the docs link it: docs/
# results/NAME is written only by the target named in its first line, with
# the commit of this repository (marked when patches/ or harness/ had
# uncommitted changes),
# the tip of the series it measured and the date above what it printed.
# Further FILEs (a chart) are copied beside it unchanged.
publish() {	# publish NAME TARGET TEXT_FILE [FILE...]
	local name=$1 target=$2 text=$3 dir=$TOP/docs/results dirty=
	shift 3
	mkdir -p "$dir"
	[ -z "$(git -C "$TOP" status --porcelain -- patches harness Makefile)" ] ||
		dirty=' (with uncommitted changes to patches/ or harness/)'
	{
		printf '`%s` at %s%s, series %s, %s:\n\n' "$target" \
			"$(git -C "$TOP" log -1 --format='%h (%s)')" "$dirty" \
			"$(git -C "$TREE" log -1 --format='%h (%s)')" \
			"$(date -u '+%Y-%m-%d %H:%M UTC')"
		cat "$text"
	} >"$dir/$name"
	[ $# -eq 0 ] || cp "$@" "$dir/"
	step "written: docs/results/$name${*:+ and $(basename -a "$@" | tr '\n' ' ')}"
}
