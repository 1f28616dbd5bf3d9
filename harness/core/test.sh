#!/bin/bash
# make test: the main job, then the tests of report.py, make ism, make
# check and make prove and, beside them, make stress and make nested; ends
# with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# Each part under a time limit: one that hangs is ended and counted as a
# failure. No part's summary of an earlier run is ever counted: they go
# first, so that a part that fails before it writes one counts as failed.
NESTED_RESULTS=$BUILD/nested/results-series
ISM_RESULTS=$BUILD/ism/results
rm -f "$RESULTS/summary.json" "$DEBUG_RESULTS/summary.json" \
	"$NESTED_RESULTS/summary.json" "$ISM_RESULTS/summary.json" \
	"$RESULTS/check.log" "$RESULTS/prove.log" "$RESULTS/report-tests.log"
# All of it within TEST_BUDGET seconds (CI ends a run at 5400): a part
# gets what is left when that is less than its own limit, so that the
# counts are always printed.
budget=${TEST_BUDGET:-5100}
start=$(date +%s)
deadline=$((start + budget))
# All that make test prints also goes to a log, from which the latest
# results (build/results/latest-results.txt, for README.md) are taken
mkdir -p "$RESULTS"
exec > >(tee "$RESULTS/make-test.log") 2>&1
part() {	# part NAME SECONDS COMMAND...
	local name=$1 limit=$2 rc t0 c0 me=$BASHPID
	shift 2
	t0=$(date +%s) c0=$(cpu_seconds "$me")
	[ $((deadline - t0)) -lt "$limit" ] && limit=$((deadline - t0))
	if [ "$limit" -le 0 ]; then
		echo "error: make $name not started: make test's ${budget}s are spent" >&2
		return 124
	fi
	timeout --kill-after=30 "$limit" "$@"
	rc=$?
	# CPU: what the part's processes used, on all CPUs
	step "make $name: $(($(date +%s) - t0))s (exit $rc, CPU $(($(cpu_seconds "$me") - c0))s)"
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "error: make $name did not end within ${limit}s" >&2
	fi
	return $rc
}

# The tip's builds (lib.sh: build_tip) are make test's until it ends:
# its parts share them and take no lock of their own.
lock_tip || die "the lock of the tip's builds ($TIP/.lock)"
part run 3600 "$TOP/harness/core/run.sh"
run_rc=$?
# make stress and make nested build and boot kernels of their own, apart
# from the trees that make ism, make check and make prove walk: they run
# beside those, whose steps mostly link or boot on one CPU of two, and
# what they print follows prove's. (The packages and the QEMU they share
# with the others are installed and built under locks.)
beside=$RESULTS/beside
rm -rf "$beside"
mkdir -p "$beside"
(
	part stress 3600 "$TOP/harness/core/stress.sh"
	echo $? >"$beside/stress.rc"
	# nested VFIO: L2 in QEMU in L1 (the series) drives L0's functions
	part nested 3600 "$TOP/harness/nested/run.sh"
	echo $? >"$beside/nested.rc"
) >"$beside/log" 2>&1 </dev/null &
beside_pid=$!
# report.py itself, on console logs of broken runs (harness/core/fixtures/)
REPORT_TREE=$TREE part report 600 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	"$TOP/harness/core/test_report.py" 2>&1 | tee "$RESULTS/report-tests.log"
report_rc=${PIPESTATUS[0]}
# ISM in the model: the series is the kernel just built; the base is built
# in make check's worktree, where make check finds it built
part ism 3600 "$TOP/harness/ism/run.sh"
ism_rc=$?
# make check and make prove walk trees of their own, but run one after
# the other: beside each other (45c7226) they starved make nested's
# nested guest into an RCU stall report. (make check alone did so once
# too, at da17b42: not mended.)
part check 5400 "$TOP/harness/proof/check.sh" 2>&1 | tee "$RESULTS/check.log"
check_rc=${PIPESTATUS[0]}
part prove 5400 "$TOP/harness/proof/prove.sh" 2>&1 | tee "$RESULTS/prove.log"
prove_rc=${PIPESTATUS[0]}
wait "$beside_pid"
cat "$beside/log"
stress_rc=$(cat "$beside/stress.rc" 2>/dev/null || echo 1)
nested_rc=$(cat "$beside/nested.rc" 2>/dev/null || echo 1)

count() {	# count SUMMARY FIELD: from a summary.json of report.py
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    print(json.load(open(sys.argv[1]))[sys.argv[2]])
except Exception:
    print(0)
PY
}

# counts LOG NAME: "P F" from the last line "NAME: P passed, F failed"
counts() {
	sed -n "s/^$2: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p" "$1" 2>/dev/null |
		tail -n 1
}

p=0 f=0
add() {	# add PASSED FAILED RC: a step that failed before counting fails once
	p=$((p + ${1:-0}))
	f=$((f + ${2:-0}))
	[ "$3" -ne 0 ] && [ "${2:-0}" -eq 0 ] && f=$((f + 1))
	return 0
}
add "$(count "$RESULTS/summary.json" passed)" "$(count "$RESULTS/summary.json" failed)" $run_rc
add "$(count "$DEBUG_RESULTS/summary.json" passed)" "$(count "$DEBUG_RESULTS/summary.json" failed)" $stress_rc
add "$(count "$NESTED_RESULTS/summary.json" passed)" "$(count "$NESTED_RESULTS/summary.json" failed)" $nested_rc
add "$(count "$ISM_RESULTS/summary.json" passed)" "$(count "$ISM_RESULTS/summary.json" failed)" $ism_rc
read -r cp cf <<<"$(counts "$RESULTS/check.log" check)"
add "${cp:-0}" "${cf:-0}" $check_rc
read -r pp pf <<<"$(counts "$RESULTS/prove.log" prove)"
add "${pp:-0}" "${pf:-0}" $prove_rc
# pytest's last line: "N passed in Ts" or "N failed, N passed in Ts"
tl=$(grep -E '^(=* ?)?[0-9]+ (passed|failed).* in [0-9.]+s' "$RESULTS/report-tests.log" | tail -n 1)
tp=$(echo "$tl" | grep -o '[0-9]* passed' | cut -d' ' -f1)
tf=$(echo "$tl" | grep -o '[0-9]* failed' | cut -d' ' -f1)
add "${tp:-0}" "${tf:-0}" $report_rc
# The lines README.md quotes unchanged: what this run printed of each
# part's counts and time, and the total
{
	echo "make test at $(git -C "$TOP" log -1 --format='%h (%s)'), $(date -u -d "@$start" '+%Y-%m-%d %H:%M UTC'), $(( ($(date +%s) - start) / 60 )) minutes:"
	grep -E '^(guest|stress|nested|ism|check|prove): [0-9]+ passed|^(ism (base|series|6\.12):|==> make [a-z]+: )|^[0-9]+ (passed|failed).* in [0-9.]+s' \
		"$RESULTS/make-test.log"
	echo "$p passed, $f failed"
} >"$RESULTS/latest-results.txt"
echo "$p passed, $f failed"
[ $run_rc -eq 0 ] && [ $report_rc -eq 0 ] && [ $stress_rc -eq 0 ] && [ $nested_rc -eq 0 ] && [ $ism_rc -eq 0 ] &&
	[ $check_rc -eq 0 ] && [ $prove_rc -eq 0 ]
