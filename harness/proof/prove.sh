#!/bin/bash
# make prove: show that the tests catch every fix. Each harness/proof/mutations/
# *.patch undoes one fix on top of the whole series: it restores what the
# base did (or, for a new behaviour, what the patch replaced), as its
# header says. For each, in make prove's worktree (lib.sh: PROVE_WT, a
# copy of make check's bisect tree): apply it, rebuild
# incrementally, boot, run every test. A mutation is caught only when the
# kernel booted, reported its tests and a named test failed; one that does
# not apply, does not build or reports nothing fails make prove. A
# mutation whose header says "Also: ism" also boots in the ISM model
# (harness/ism/run.sh), judged as the series is, and its ISM tests count.
set -uo pipefail
. "$(dirname "$0")/../core/lib.sh"

"$TOP/harness/core/deps.sh" || exit 1
"$TOP/harness/core/prepare.sh" || exit 1
# A tree of its own (lib.sh): make check does not wait for it, nor it for check
lock_prove_tree || exit 1
WT=$PROVE_WT BOUT=$PROVE_BOUT

PROVE=$RESULTS/prove
rm -rf "$PROVE"
mkdir -p "$PROVE"
cached_checkout "$WT" "$BOUT" HEAD || exit 1
head=$(git -C "$TREE" rev-parse HEAD)
table=$PROVE/table.md
echo "| mutation | fix | restores | tests that fail with it |" >"$table"
echo "|---|---|---|---|" >>"$table"
passed=0 failed=0

header() {	# header PATCH FIELD: the value of "FIELD: ..." in its header
	sed -n "/^diff --git/q; s/^$2: //p" "$1"
}

# The named tests that failed, from a summary.json of report.py (KUnit
# cases, guest selftests, the ISM model's tests); nothing when the kernel
# did not report every test it should (a crash, a hang): a kernel-log scan
# or a missing result alone is never a catch.
failing_tests() {
	python3 - "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    sys.exit()
if any(p.startswith(('missing: ', 'the console log has no')) or
       p.endswith(('no test results', 'wrote no results')) for p in d.get('problems', [])):
    sys.exit()
if any(r['name'].endswith('.guest_ran_to_its_end') and r['status'] == 'FAIL'
       for r in d['results']):
    sys.exit()
print(', '.join(r['name'].split(':', 1)[1] for r in d['results']
                if r['status'] == 'FAIL' and
                r['name'].split(':', 1)[0] in ('kunit', 'guest', 'ism')))
PY
}

for m in "$TOP"/harness/proof/mutations/*.patch; do
	name=$(basename "$m" .patch)
	fix=$(header "$m" Fix) restores=$(header "$m" Restores)
	if ! git -C "$WT" checkout -q --detach -f "$head" 2>"$PROVE/$name.log"; then
		result "$name: the bisect tree checks out the tip" 1 "$PROVE/$name.log"
		continue
	fi
	git -C "$WT" clean -qfdx
	# grep reads all of it: with pipefail, grep -q could SIGPIPE git log
	if ! git -C "$TREE" log --format=%s base..HEAD | grep -xF "$fix" >/dev/null; then
		result "$name: the series has the fix \"$fix\"" 1
		continue
	fi
	if ! git -C "$WT" apply "$m" 2>"$PROVE/$name.log"; then
		result "$name applies" 1 "$PROVE/$name.log"
		continue
	fi
	if ! "$TOP/harness/core/build.sh" "$WT" "$BOUT" >>"$PROVE/$name.log" 2>&1; then
		# A mutation must undo the fix, not break the build
		result "$name builds" 1 "$PROVE/$name.log"
		echo "| $name | $fix | $restores | **does not build** |" >>"$table"
		continue
	fi
	test_kernel "$WT" "$BOUT" "$PROVE/$name.console.log" "$PROVE/$name" \
		>>"$PROVE/$name.log" 2>&1
	caught=$(failing_tests "$PROVE/$name/summary.json")
	if [ "$(header "$m" Also)" = ism ]; then
		ISM_RESULTS=$PROVE/$name-ism "$TOP/harness/ism/run.sh" "series:$BOUT" \
			>>"$PROVE/$name.log" 2>&1
		ism=$(failing_tests "$PROVE/$name-ism/summary.json")
		caught=${caught:+$caught${ism:+, }}$ism
	fi
	[ -n "$caught" ]
	result "caught: $name ($fix)" $? "$PROVE/$name.log"
	echo "| $name | $fix | $restores | ${caught:-**none**} |" >>"$table"
done

git -C "$WT" checkout -q --detach -f "$head"
echo
cat "$table"
{ cat "$table"; echo; echo "prove: $passed passed, $failed failed"; } >"$PROVE/published.md"
publish prove.md "make prove" "$PROVE/published.md"
echo
echo "prove: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
