#!/bin/bash
# The main job: base + series, build, boot in QEMU, run the KUnit suites and
# the guest selftests, print a summary. Exit status is non-zero on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rm -f "$RESULTS/summary.json" "$RESULTS/check.log"
"$TOP/harness/core/deps.sh"
"$TOP/harness/core/prepare.sh"

rc=0
build_and_test "$OUT" "$RESULTS" || rc=$?
read -r ver sub <"$BUILD/base-version"
n=$(git -C "$TREE" rev-list --count base..HEAD)
echo
echo "Base:    Linux $sub (Debian $BASE_PKG $ver)"
echo "Series:  $n patches applied ($(git -C "$TREE" log -1 --format=%s HEAD))"
echo "Results: $RESULTS/summary.json"
cat "$RESULTS/report.txt" 2>/dev/null || true
exit $rc
