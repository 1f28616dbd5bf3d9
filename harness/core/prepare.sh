#!/bin/bash
# Unpack Debian's linux-source-6.1 into build/linux as a git tree with one
# commit tagged "base", then git am the series from patches/.
#
# The tree is reused between runs. It is rebuilt from the base when
# patches/ changed since it was last applied; a tree with local commits
# (the developer loop) is kept as it is and never overwritten.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

stamp_dir=$TREE/.git/series-harness
series_hash() {
	series_patches | xargs -r cat | sha256sum | cut -d' ' -f1
}

# The base commit as unpack_base makes it, kept per package version in
# the user's cache dir: a clean clone's tree is cloned from it in seconds,
# where unpacking the tarball and adding its files to git takes a minute.
# The commit is the same either way (fixed dates and names).
base_repo() {	# base_repo VERSION
	echo "$CACHE/base/$1.git"
}

unpack_base() {
	local ver tmp repo
	[ -r "$BASE_TARBALL" ] || die "$BASE_TARBALL missing: apt-get install $BASE_PKG"
	ver=$(dpkg-query -W -f='${Version}' "$BASE_PKG")
	repo=$(base_repo "$ver")
	rm -rf "$TREE" "$TREE.tmp"
	tmp=$TREE.tmp
	if git -C "$repo" rev-parse -q --verify refs/tags/base >/dev/null 2>&1; then
		step "cloning $BASE_PKG $ver from $repo"
		git clone -q -b base-branch "$repo" "$tmp" &&
			git -C "$tmp" remote remove origin || die "could not clone $repo"
	else
		step "unpacking $BASE_PKG $ver"
		mkdir -p "$tmp"
		tar -xf "$BASE_TARBALL" -C "$tmp" --strip-components=1
		(
			cd "$tmp"
			git init -q -b base-branch
			# The tarball's top-level .gitignore may ignore
			# everything (Debian packaging); add every file the
			# tarball has.
			git add -A -f .
			GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" \
			GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
			git -c user.name=base -c user.email=base@localhost \
				commit -q -m "Linux 6.1.$(sed -n 's/^SUBLEVEL = //p' Makefile) ($BASE_PKG $ver)"
			git tag base
		) || die "could not make a git tree of the base"
		mkdir -p "$(dirname "$repo")"
		rm -rf "$repo.tmp"
		git clone -q --bare "$tmp" "$repo.tmp" && mv "$repo.tmp" "$repo" ||
			echo "warning: could not keep the base in $repo" >&2
	fi
	sublevel=$(sed -n 's/^SUBLEVEL = //p' "$tmp/Makefile")
	[ "$(sed -n 's/^VERSION = //p' "$tmp/Makefile").$(sed -n 's/^PATCHLEVEL = //p' "$tmp/Makefile")" = 6.1 ] ||
		die "$BASE_PKG $ver is not Linux 6.1"
	(
		cd "$tmp"
		git checkout -q -b series
		# git am needs a committer; the patches keep their authors.
		git config user.name "$(git config user.name || echo 'series harness')"
		git config user.email "$(git config user.email || echo 'harness@localhost')"
		# Let git see new files: drop the packaging rule from the
		# working copy only, and keep git from reporting that change.
		sed -i -e '/^\/\*$/d' -e '/^!\/debian\/$/d' .gitignore
		git update-index --skip-worktree .gitignore
	) || die "could not make a git tree of the base"
	mv "$tmp" "$TREE"
	mkdir -p "$stamp_dir"
	echo "$ver 6.1.$sublevel" >"$stamp_dir/base-version"
}

apply_series() {
	local p n=0 total
	total=$(series_patches | wc -l)
	[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
		die "build/linux has uncommitted changes; commit and export them (make export) or discard them"
	git -C "$TREE" reset -q --hard base
	git -C "$TREE" clean -qfdx
	for p in $(series_patches); do
		if ! out=$(git -C "$TREE" am -q "$p" 2>&1); then
			git -C "$TREE" am --abort >/dev/null 2>&1 || true
			git -C "$TREE" reset -q --hard base
			rm -f "$stamp_dir/applied"
			echo "$out" | sed 's/^/    /' >&2
			die "patch $(basename "$p") does not apply to the base (see above)"
		fi
		n=$((n + 1))
	done
	step "applied $n/$total patches"
	series_hash >"$stamp_dir/applied"
	git -C "$TREE" rev-parse HEAD >"$stamp_dir/head"
	restore_cover_description
}

# The cover letter text lives in the branch description of the tree, so
# that git format-patch --cover-from-description regenerates it as it is.
restore_cover_description() {
	local cover=$PATCHES/0000-cover-letter.patch
	[ -f "$cover" ] || return 0
	awk '
		/^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); subj = $0; next }
		subj != "" && !body && /^ / { subj = subj $0; next }	# folded
		subj != "" && !body && /^$/ { body = 1; print subj; print ""; next }
		body && /^[^ ].* \([0-9]+\):$/ { exit }
		body { print }
	' "$cover" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$stamp_dir/description"
	git -C "$TREE" config branch.series.description "$(cat "$stamp_dir/description")"
}

mkdir -p "$BUILD"
if [ ! -f "$stamp_dir/base-version" ]; then
	unpack_base
elif [ "$(cut -d' ' -f1 "$stamp_dir/base-version")" != "$(dpkg-query -W -f='${Version}' "$BASE_PKG")" ]; then
	step "$BASE_PKG changed since the tree was made"
	[ -z "$(git -C "$TREE" log --oneline "$(cat "$stamp_dir/head" 2>/dev/null || echo base)..HEAD" 2>/dev/null)" ] ||
		die "build/linux has local commits; export them (make export) or remove build/linux"
	unpack_base
fi

applied=$(cat "$stamp_dir/applied" 2>/dev/null || true)
head=$(cat "$stamp_dir/head" 2>/dev/null || true)
cur=$(git -C "$TREE" rev-parse HEAD)
if [ "$applied" = "$(series_hash)" ] && [ "$head" = "$cur" ]; then
	step "series already applied ($(series_patches | wc -l) patches)"
elif [ -n "$head" ] && [ "$head" != "$cur" ]; then
	if [ "$applied" = "$(series_hash)" ]; then
		step "build/linux has local commits since the series was applied: using the tree as it is (make export writes them to patches/)"
	else
		die "build/linux has local commits and patches/ changed too; export or drop one side (git -C build/linux reset --hard base) first"
	fi
else
	apply_series
fi
cat "$stamp_dir/base-version" >"$BUILD/base-version"
