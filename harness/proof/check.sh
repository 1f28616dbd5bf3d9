#!/bin/bash
# make check: the series as a maintainer receives it.
#  - checkpatch.pl --strict on every patch
#  - patches/ is exactly what git format-patch makes of the tree
#  - the documentation adds no Sphinx warning (make SPHINXDIRS=s390
#    htmldocs, and the other pages it changes built alone) and the C files
#    and headers no kernel-doc warning over the base (harness/proof/docs.sh)
#  - every patch, applied in turn, builds, adds no W=1 or sparse (C=2)
#    warning to the files the series touches, and passes the tests it
#    and the patches before it add (one QEMU boot per patch)
# Prints one line per check and a last line "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../core/lib.sh"
. "$(dirname "$0")/docs.sh"
. "$TOP/harness/distro/check.sh"

"$TOP/harness/core/deps.sh" || exit 1
"$TOP/harness/core/prepare.sh" || exit 1
lock_worktree || exit 1

CHECKS=$RESULTS/checks
mkdir -p "$CHECKS"
passed=0 failed=0

# 1. checkpatch. Two checks cannot work on this tree and are replaced:
#  - UNKNOWN_COMMIT_ID: the base has no upstream history, so every commit
#    a message cites is "unknown";
#  - FILE_PATH_CHANGES wants MAINTAINERS touched by any patch that adds a
#    file; instead, every file the series adds must have a maintainer.
# (checkpatch runs spdxcheck.py with Debian's python3, which has ply.)
for p in $(series_patches); do
	name=$(basename "$p" .patch)
	(cd "$TREE" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --terse \
		--no-summary --show-types --ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES \
		"$p") >"$CHECKS/$name.checkpatch" 2>&1
	[ ! -s "$CHECKS/$name.checkpatch" ]
	result "checkpatch --strict $name" $? "$CHECKS/$name.checkpatch"
done

: >"$CHECKS/maintainers"
for f in $(git -C "$TREE" diff --name-only --diff-filter=A base HEAD); do
	(cd "$TREE" && perl scripts/get_maintainer.pl --no-git --no-git-fallback -f "$f") |
		grep -E '\((maintainer|supporter):' |
		grep -qvE 'KERNEL SELFTEST FRAMEWORK|THE REST' ||
		echo "$f: no maintainer or supporter beyond the generic entries" >>"$CHECKS/maintainers"
done
[ ! -s "$CHECKS/maintainers" ]
result "every file the series adds has a maintainer (get_maintainer.pl)" $? "$CHECKS/maintainers"

# 2. patches/ regenerates from the tree without a change
regen=$(mktemp -d)
"$TOP/harness/core/export.sh" "$regen" >/dev/null 2>&1
diff -ru --exclude=series "$PATCHES" "$regen" >"$CHECKS/regenerate.diff" 2>&1
result "patches/ is what format-patch makes of build/linux" $? "$CHECKS/regenerate.diff"
rm -rf "$regen"

# 3. documentation and kernel-doc comments: no warning over the base, at
# the tip of the series (the build of the s390 book takes seconds)
docs_check "$CHECKS" || result "docs: the tree has a HEAD" 1

# 3b. Debian's s390x config with VFIO, ISM as modules: base and tip build,
# the modules of the touched directories link, no new warning, the
# series' Kconfig symbols stay off (harness/distro/check.sh)
distro_check "$CHECKS"

# 4. bisectability: build, warnings and tests after every patch. Without
# sparse, C=1 would check nothing and find nothing: that is a failure.
command -v sparse >/dev/null
result "sparse is installed (C=1 checks with it)" $?
commits=$(git -C "$TREE" rev-list --reverse base..HEAD)
files=$(git -C "$TREE" diff --name-only base HEAD -- '*.c' | grep -v '^tools/')

ensure_worktree base || exit 1

# Objects of the touched files that the test kernel builds (a test file
# included from its driver has no object of its own).
objects() {
	local f
	for f in $files; do
		[ -f "$BOUT/${f%.c}.o" ] && echo "${f%.c}.o"
	done
}

# The objects of objects() that commit C compiles differently from its
# parent: those whose dependencies (Kbuild's .cmd file) name a C file that
# C changes. A change to anything else that can reach the compiler (a
# header, a Kconfig or Makefile) may reach them all: all of them. An
# object that C leaves alone compiles as at the step before, which
# checked it.
changed_objects() {	# changed_objects C
	local f o changed others
	changed=$(git -C "$TREE" diff --name-only "$1^" "$1")
	others=$(grep -vE '\.c$|^Documentation/|^tools/|^MAINTAINERS$' <<<"$changed")
	for o in $(objects); do
		if [ -n "$others" ]; then
			echo "$o"
			continue
		fi
		for f in $(grep '\.c$' <<<"$changed"); do
			if grep -qE "/${f//./\\.}( |\$)" "$BOUT/$(dirname "$o")/.$(basename "$o").cmd"; then
				echo "$o"
				break
			fi
		done
	done
}

warnings() {	# warnings OUTFILE OBJECT...: their W=1 and sparse warnings
	local out=$1 o
	shift
	[ $# -gt 0 ] || { : >"$out"; return 0; }
	for o; do
		touch "$WT/${o%.o}.c"
	done
	CCACHE_BASEDIR=$(ccache_basedir "$WT") \
		make -s -C "$WT" O="$BOUT" CC="$KCC" "$(file_prefix_map "$WT" "$BOUT")" \
		-j"$JOBS" W=1 C=1 "$@" 2>&1 |
		grep -E 'warning:|error:' |
		sed -E -e "s|$WT/||g" -e 's/:[0-9]+:[0-9]+:/:/' -e 's/:[0-9]+:/:/' |
		sort -u >"$out"
}

step "building the base in the bisect worktree (full build, then incremental)" >&2
if build_base >"$CHECKS/base.build" 2>&1; then
	# shellcheck disable=SC2046
	warnings "$CHECKS/base.warnings" $(objects)
else
	result "base builds" 1 "$CHECKS/base.build"
fi

i=0
for c in $commits; do
	i=$((i + 1))
	subj=$(git -C "$TREE" log -1 --format=%s "$c")
	tag=$(printf '%04d' $i)
	if ! git -C "$WT" checkout -q --detach "$c" 2>"$CHECKS/$tag.checkout"; then
		result "$tag checks out in the bisect tree: $subj" 1 "$CHECKS/$tag.checkout"
		continue
	fi
	if ! "$TOP/harness/core/build.sh" "$WT" "$BOUT" >"$CHECKS/$tag.build" 2>&1; then
		result "$tag builds: $subj" 1 "$CHECKS/$tag.build"
		continue
	fi
	result "$tag builds: $subj" 0

	# shellcheck disable=SC2046
	warnings "$CHECKS/$tag.warnings" $(changed_objects "$c")
	comm -13 "$CHECKS/base.warnings" "$CHECKS/$tag.warnings" >"$CHECKS/$tag.new-warnings"
	[ ! -s "$CHECKS/$tag.new-warnings" ]
	result "$tag adds no W=1/sparse warning" $? "$CHECKS/$tag.new-warnings"

	# W=1 C=1 recompiled the touched objects with more warnings and the
	# same code: the image build.sh linked is the one to test (the next
	# build.sh compiles them again with the usual flags).
	if test_kernel "$WT" "$BOUT" "$CHECKS/$tag.console.log" "$CHECKS/$tag.results" \
		>"$CHECKS/$tag.tests" 2>&1; then
		result "$tag passes its tests" 0
	else
		result "$tag passes its tests" 1 "$CHECKS/$tag.tests"
	fi
done

echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
