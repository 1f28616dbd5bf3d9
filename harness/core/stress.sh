#!/bin/bash
# make stress (part of make test): the kernel of the series again, with the
# kernel's own checkers of harness/core/debug.config (KASAN, lockdep, sleep in
# atomic context, list debugging, kmemleak, fault injection), running the
# same KUnit suites and selftests. Any report of a checker fails it, as
# does any test. Exit status is non-zero on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/harness/core/deps.sh"
"$TOP/harness/core/prepare.sh"

rc=0
build_and_test "$DEBUG_OUT" "$DEBUG_RESULTS" "$TOP/harness/core/debug.config" || rc=$?
sed 's/^guest:/stress:/' "$DEBUG_RESULTS/report.txt" 2>/dev/null || true
exit $rc
