#!/bin/bash
# make stress (part of make test): the kernel of the series again, with the
# kernel's own checkers of harness/debug.config (KASAN, lockdep, sleep in
# atomic context, list debugging, kmemleak, fault injection), running the
# same KUnit suites and selftests. Any report of a checker fails it, as
# does any test. Exit status is non-zero on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/harness/deps.sh"
"$TOP/harness/prepare.sh"

step "building the debug kernel (O=${DEBUG_OUT#"$TOP"/}, harness/debug.config)"
t0=$(date +%s)
"$TOP/harness/build.sh" "$TREE" "$DEBUG_OUT" "$TOP/harness/debug.config"
step "debug kernel built in $(($(date +%s) - t0))s"

mkdir -p "$DEBUG_RESULTS"
rm -f "$DEBUG_RESULTS/summary.json"
step "booting it with the same zPCI functions and tests"
t0=$(date +%s)
set +e
test_kernel "$TREE" "$DEBUG_OUT" "$DEBUG_RESULTS/console.log" "$DEBUG_RESULTS" \
	>"$DEBUG_RESULTS/report.txt"
rc=$?
set -e
step "debug guest ran in $(($(date +%s) - t0))s"
sed 's/^guest:/stress:/' "$DEBUG_RESULTS/report.txt"
exit $rc
