#!/bin/bash
# make test: the main job, make stress, make nested and make check; ends
# with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/harness/run.sh"
run_rc=$?
"$TOP/harness/stress.sh"
stress_rc=$?
# nested VFIO: L2 in QEMU in L1 (the series) drives L0's zPCI function
NESTED_RESULTS=$BUILD/nested/results-series
"$TOP/harness/nested.sh"
nested_rc=$?
mkdir -p "$RESULTS"
"$TOP/harness/check.sh" 2>&1 | tee "$RESULTS/check.log"
check_rc=${PIPESTATUS[0]}

count() {	# count SUMMARY FIELD: from a summary.json of report.py
	python3 - "$1" "$2" <<'PY'
import json, sys
try:
    print(json.load(open(sys.argv[1]))[sys.argv[2]])
except Exception:
    print(0)
PY
}
p=$(count "$RESULTS/summary.json" passed) f=$(count "$RESULTS/summary.json" failed)
[ $run_rc -ne 0 ] && [ "$f" -eq 0 ] && f=1	# the job failed before its tests
sp=$(count "$DEBUG_RESULTS/summary.json" passed) sf=$(count "$DEBUG_RESULTS/summary.json" failed)
[ $stress_rc -ne 0 ] && [ "$sf" -eq 0 ] && sf=1
p=$((p + sp)) f=$((f + sf))
np=$(count "$NESTED_RESULTS/summary.json" passed) nf=$(count "$NESTED_RESULTS/summary.json" failed)
[ $nested_rc -ne 0 ] && [ "$nf" -eq 0 ] && nf=1
p=$((p + np)) f=$((f + nf))
cp=0 cf=0
if [ -f "$RESULTS/check.log" ]; then
	cp=$(sed -n 's/^check: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$RESULTS/check.log")
	cf=$(sed -n 's/^check: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$RESULTS/check.log")
fi
[ $check_rc -ne 0 ] && [ "${cf:-0}" -eq 0 ] && cf=1
echo "$((p + ${cp:-0})) passed, $((f + ${cf:-0})) failed"
[ $run_rc -eq 0 ] && [ $stress_rc -eq 0 ] && [ $nested_rc -eq 0 ] && [ $check_rc -eq 0 ]
