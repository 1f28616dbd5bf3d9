#!/bin/bash
# Write the series of build/linux (base..HEAD) to a directory in
# git format-patch form, cover letter included. Default: patches/.
#
#   export.sh [DIR]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=${1:-$PATCHES}
n=$(git -C "$TREE" rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "build/linux has no commits on top of base"
git -C "$TREE" config branch.series.description >/dev/null ||
	die "build/linux has no cover letter text (git -C build/linux branch --edit-description)"
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	echo "warning: build/linux has uncommitted changes; they are not exported" >&2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The cover letter is signed by the author of the newest patch, not by
# whoever runs this, so that every machine makes the same file.
git -C "$TREE" -c core.abbrev=12 \
	-c user.name="$(git -C "$TREE" log -1 --format=%an HEAD)" \
	-c user.email="$(git -C "$TREE" log -1 --format=%ae HEAD)" \
	format-patch -q --zero-commit --cover-letter \
	--cover-from-description=subject --subject-prefix="PATCH 6.1" \
	--no-signature -o "$tmp" base..HEAD
# The cover letter is dated when it is made; date it like the newest patch
# so that the same series always gives the same file.
sed -i "1,/^Date: /s/^Date: .*/Date: $(git -C "$TREE" log -1 --format=%aD HEAD)/" \
	"$tmp"/0000-cover-letter.patch
mkdir -p "$dir"
rm -f "$dir"/[0-9][0-9][0-9][0-9]-*.patch
cp "$tmp"/*.patch "$dir"/
if [ "$dir" = "$PATCHES" ]; then
	# The tree and patches/ agree again: record it for prepare.sh.
	stamp_dir=$TREE/.git/series-harness
	series_patches | xargs -r cat | sha256sum | cut -d' ' -f1 >"$stamp_dir/applied"
	git -C "$TREE" rev-parse HEAD >"$stamp_dir/head"
	step "wrote $n patches and the cover letter to patches/"
fi
