#!/bin/bash
# make prove: show that the tests catch every fix. For each line of
# harness/mutations, undo the fix on top of the whole series (in the
# bisect worktree), rebuild incrementally, boot, run all tests and list
# those that fail. Every fix must make at least one test fail.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/harness/deps.sh" || exit 1
"$TOP/harness/prepare.sh" || exit 1

PROVE=$RESULTS/prove
mkdir -p "$PROVE"
ensure_worktree HEAD || exit 1
head=$(git -C "$TREE" rev-parse HEAD)
table=$PROVE/table.md
echo "| fix | tests that fail without it |" >"$table"
echo "|-----|----------------------------|" >>"$table"
uncaught=0 i=0

while IFS='|' read -r subject file script <&3; do
	case "$subject" in ''|'#'*) continue ;; esac
	i=$((i + 1))
	git -C "$WT" checkout -q --detach -f "$head"
	git -C "$WT" clean -qfdx
	# grep reads all of it: with pipefail, grep -q could SIGPIPE git log
	if ! git -C "$TREE" log --format=%s base..HEAD | grep -xF "$subject" >/dev/null; then
		echo "FAILED mutation $i: no patch \"$subject\" in the series"
		uncaught=$((uncaught + 1))
		continue
	fi
	sed -i -e "$script" "$WT/$file"
	if git -C "$WT" diff --quiet; then
		echo "FAILED mutation $i no longer applies to $file: $subject"
		uncaught=$((uncaught + 1))
		continue
	fi
	git -C "$WT" diff >"$PROVE/$i.diff"
	res=$PROVE/$i
	rm -rf "$res"
	if ! "$TOP/harness/build.sh" "$WT" "$BOUT" >"$PROVE/$i.log" 2>&1; then
		# A mutation must undo the fix, not break the build
		echo "FAILED mutation $i does not build ($PROVE/$i.log): $subject"
		uncaught=$((uncaught + 1))
		echo "| $subject | **does not build** |" >>"$table"
		continue
	fi
	test_kernel "$WT" "$BOUT" "$PROVE/$i.console.log" "$res" >>"$PROVE/$i.log" 2>&1
	failing=$(python3 - "$res/summary.json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print("(no results)")
    sys.exit()
names = [r['name'] for r in d['results'] if r['status'] not in ('PASS', 'SKIP')]
print(', '.join(n.split(':', 1)[1] for n in names))
PY
)
	if [ -z "$failing" ]; then
		echo "FAILED no test catches: $subject"
		uncaught=$((uncaught + 1))
		failing="**none**"
	else
		echo "ok     caught: $subject"
	fi
	echo "| $subject | $failing |" >>"$table"
done 3<"$TOP/harness/mutations"

git -C "$WT" checkout -q --detach -f "$head"
echo
cat "$table"
echo
echo "prove: $((i - uncaught)) passed, $uncaught failed"
[ "$uncaught" -eq 0 ]
