#!/bin/bash
# The documentation of the series adds no warning to the base's:
#  - make SPHINXDIRS="$DOCS_BOOKS" htmldocs (s390), at the base and at the
#    series tip, out of tree into build/docs-out/{base,series};
#  - the pages outside those books that the series changes, or whose
#    included files it changes (admin-guide/kernel-parameters.rst for
#    kernel-parameters.txt), built alone with the kernel's conf.py: the
#    whole admin-guide book takes minutes;
#  - scripts/kernel-doc -none -v on the C files and headers the series
#    touches (6.1's kernel-doc has no -Wall; -v turns on the same extra
#    checks: Return sections and short descriptions).
# Warnings are compared without their line numbers, as a multiset: one
# more of the same warning in the same file counts as new.
#
# Sourced by check.sh (docs_check); run alone it prints the same items.
# The books are built in build/docs-src, a worktree of build/linux that
# is created when missing and left at the series tip. Sphinx only reports
# the warnings of the documents it reads, so every build rereads all its
# sources (-E); the worktree and the output directories are reused.
# shellcheck shell=bash

[ -n "${TOP:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/../core/lib.sh"
DWT=$BUILD/docs-src
DOUT=$BUILD/docs-out
DOCS_BOOKS=${DOCS_BOOKS:-s390}
# Debian's python3 and sphinx-build, not a python3 earlier on PATH
DOCS_PATH=/usr/bin:$PATH

# Put the docs worktree at REV, creating it if missing. The worktree's
# own top level is checked first: git -C into a directory that is not a
# worktree would act on the repository around it.
docs_worktree() {	# docs_worktree REV
	if [ ! -e "$DWT/.git" ]; then
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$DWT" "$1" || return 1
	fi
	[ "$(git -C "$DWT" rev-parse --show-toplevel 2>/dev/null)" = "$DWT" ] ||
		{ echo "$DWT is not a worktree of its own" >&2; return 1; }
	git -C "$DWT" checkout -q -f --detach "$1" && git -C "$DWT" clean -qfdx
}

# Sphinx or kernel-doc messages on stdin -> the warnings, one a line:
# informational lines dropped, the lines that follow a message (the
# source line it quotes) joined to it with " | ", paths relative to the
# tree, line numbers dropped, sorted.
docs_warnings() {	# docs_warnings ROOT [NEWROOT]: paths under ROOT
	sed -E -e '/^Using .* theme$/d' -e '/^source directory: /d' \
		-e '/^load additional sphinx-config: /d' -e '/^[[:space:]]*$/d' |
		awk '/^[^ \t]+:[0-9]+: |^[A-Z]+: / { if (m != "") print m; m = $0; next }
			{ m = (m == "" ? $0 : m " | " $0) }
			END { if (m != "") print m }' |
		sed -E -e "s|$1/|${2:-}|g" -e 's/:[0-9]+:/:/' | sort
}

# make SPHINXDIRS="$DOCS_BOOKS" htmldocs of the worktree as it is, into
# $DOUT/NAME; warnings to stdout. Fails if make does.
docs_books() {	# docs_books NAME
	local rc
	mkdir -p "$DOUT/$1"
	PATH=$DOCS_PATH make -s -C "$DWT" O="$DOUT" BUILDDIR="$DOUT/$1" \
		SPHINXBUILD=/usr/bin/sphinx-build SPHINXOPTS="-E -q" \
		SPHINXDIRS="$DOCS_BOOKS" -j"$JOBS" htmldocs \
		>"$DOUT/$1.log" 2>"$DOUT/$1.stderr"
	rc=$?
	docs_warnings "$DWT" <"$DOUT/$1.stderr"
	return $rc
}

# The pages outside $DOCS_BOOKS that the changes base..REV reach, relative
# to Documentation/: changed .rst files, and the .rst files of the same
# directory that include a changed file of another kind.
docs_pages() {	# docs_pages REV
	local f d b name
	git -C "$TREE" diff --name-only base "$1" -- Documentation | while read -r f; do
		d=${f#Documentation/}
		for b in $DOCS_BOOKS; do
			case "$d" in "$b"/*) continue 2 ;; esac
		done
		case "$f" in
		*.rst)	echo "$d" ;;
		*)	name=$(printf '%s' "${f##*/}" | sed 's/[.[\*^$]/\\&/g')
			git -C "$TREE" grep -lE \
				"^\.\.[[:space:]]+(include|literalinclude)::[[:space:]]+${name}[[:space:]]*\$" \
				"$1" -- "${f%/*}" | sed "s|^$1:||" |
				while read -r p; do
					[ "${p%/*}" = "${f%/*}" ] && [ "${p%.rst}" != "$p" ] &&
						echo "${p#Documentation/}"
				done ;;
		esac
	done | sort -u
}

# Build PAGES of REV (those that exist there) alone, with the files they
# include, into $DOUT/pages-NAME; warnings to stdout. Uses the conf.py and
# extensions of the worktree. Fails if sphinx-build does.
docs_pages_build() {	# docs_pages_build NAME REV PAGE...
	local name=$1 rev=$2 top=$DOUT/pages-$1 p inc t rc
	shift 2
	rm -rf "$top/src"
	mkdir -p "$top/src"
	printf '.. toctree::\n\n' >"$top/src/index.rst"
	for p in "$@"; do
		git -C "$TREE" cat-file -e "$rev:Documentation/$p" 2>/dev/null || continue
		mkdir -p "$top/src/${p%/*}"
		git -C "$TREE" show "$rev:Documentation/$p" >"$top/src/$p"
		printf '   %s\n' "${p%.rst}" >>"$top/src/index.rst"
		sed -nE 's/^\.\.[[:space:]]+(include|literalinclude)::[[:space:]]+([^/$][^[:space:]]*)[[:space:]]*$/\2/p' \
			"$top/src/$p" | while read -r inc; do
			t=$(realpath -m --relative-to=/D "/D/${p%/*}/$inc")
			case "$t" in ../*) continue ;; esac
			mkdir -p "$top/src/${t%/*}"
			git -C "$TREE" show "$rev:Documentation/$t" >"$top/src/$t" 2>/dev/null ||
				rm -f "$top/src/$t"
		done
	done
	PATH=$DOCS_PATH /usr/bin/sphinx-build -b html -q -E -j "$JOBS" \
		-c "$DWT/Documentation" -D kerneldoc_srctree="$DWT" \
		-D kerneldoc_bin="$DWT/scripts/kernel-doc" \
		-d "$top/doctrees" "$top/src" "$top/html" \
		>"$top.log" 2>"$top.stderr"
	rc=$?
	docs_warnings "$top/src" Documentation/ <"$top.stderr"
	return $rc
}

# scripts/kernel-doc -none -v on the FILEs the worktree has, output to
# $DOUT/kernel-doc-NAME.log; warnings to stdout. Fails if kernel-doc does.
docs_kerneldoc() {	# docs_kerneldoc NAME FILE...
	local log=$DOUT/kernel-doc-$1.log f files=() rc
	shift
	: >"$log"
	for f in "$@"; do
		[ -f "$DWT/$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || return 0
	(cd "$DWT" && perl scripts/kernel-doc -none -v "${files[@]}") >"$log" 2>&1
	rc=$?
	grep -vE ': info: Scanning doc for |^[0-9]+ (warnings|errors)$' "$log" |
		docs_warnings "$DWT"
	return $rc
}

# The items of make check, via result NAME STATUS [DETAIL FILE] (check.sh's);
# the warnings of each side and what the series adds go to DIR/docs.*.
docs_check() {	# docs_check DIR
	local dir=$1 tip side rev pages files kind st
	mkdir -p "$dir" "$DOUT"
	tip=$(git -C "$TREE" rev-parse HEAD) || return 1
	pages=$(docs_pages "$tip")
	files=$(git -C "$TREE" diff --name-only base "$tip" -- '*.c' '*.h')
	for kind in books pages kernel-doc; do
		: >"$dir/docs.failed.$kind"
	done
	# The base first, so that the worktree stays at the tip.
	for side in base series; do
		rev=base
		[ $side = series ] && rev=$tip
		for kind in books pages kernel-doc; do
			: >"$dir/docs.$side.$kind"
		done
		if ! docs_worktree "$rev" >"$dir/docs.worktree" 2>&1; then
			for kind in books pages kernel-doc; do
				{ echo "could not put $DWT at $side ($rev):"; cat "$dir/docs.worktree"; } \
					>>"$dir/docs.failed.$kind"
			done
			continue
		fi
		docs_books $side >"$dir/docs.$side.books" ||
			echo "make htmldocs failed at $side, see $DOUT/$side.stderr" >>"$dir/docs.failed.books"
		# shellcheck disable=SC2086
		[ -z "$pages" ] || docs_pages_build $side "$rev" $pages >"$dir/docs.$side.pages" ||
			echo "sphinx-build failed at $side, see $DOUT/pages-$side.stderr" >>"$dir/docs.failed.pages"
		# shellcheck disable=SC2086
		docs_kerneldoc $side $files >"$dir/docs.$side.kernel-doc" ||
			echo "kernel-doc failed at $side, see $DOUT/kernel-doc-$side.log" >>"$dir/docs.failed.kernel-doc"
	done
	for kind in books pages kernel-doc; do
		[ $kind = pages ] && [ -z "$pages" ] && continue
		{ cat "$dir/docs.failed.$kind"
		  comm -13 "$dir/docs.base.$kind" "$dir/docs.series.$kind"; } >"$dir/docs.new.$kind"
		st=0
		[ -s "$dir/docs.new.$kind" ] && st=1
		case $kind in
		books)	result "docs: make SPHINXDIRS=\"$DOCS_BOOKS\" htmldocs, no warning over the base" \
				$st "$dir/docs.new.$kind" ;;
		pages)	result "docs: ${pages//$'\n'/ } built alone, no warning over the base" \
				$st "$dir/docs.new.$kind" ;;
		kernel-doc) result "docs: kernel-doc -none -v on the series' C files and headers, no warning over the base" \
				$st "$dir/docs.new.$kind" ;;
		esac
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	passed=0 failed=0
	docs_check "$RESULTS/checks"
	echo "docs: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
fi
