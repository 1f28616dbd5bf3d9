#!/bin/bash
# The main job: base + series, build, boot in QEMU, run the KUnit suites and
# the guest selftests, print a summary. Exit status is non-zero on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rm -f "$RESULTS/summary.json" "$RESULTS/check.log"
"$TOP/harness/deps.sh"
"$TOP/harness/prepare.sh"

step "building the s390x kernel (kunit.py build, O=${OUT#"$TOP"/})"
t0=$(date +%s)
"$TOP/harness/build.sh" "$TREE" "$OUT"
step "kernel built in $(($(date +%s) - t0))s"

mkdir -p "$RESULTS"
step "packing the guest initramfs, booting in qemu-system-s390x with two zPCI functions"
t0=$(date +%s)
set +e
test_kernel "$TREE" "$OUT" "$RESULTS/console.log" "$RESULTS" >"$RESULTS/report.txt"
rc=$?
set -e
step "guest ran in $(($(date +%s) - t0))s"
read -r ver sub <"$BUILD/base-version"
n=$(git -C "$TREE" rev-list --count base..HEAD)
echo
echo "Base:    Linux $sub (Debian $BASE_PKG $ver)"
echo "Series:  $n patches applied ($(git -C "$TREE" log -1 --format=%s HEAD))"
echo "Results: $RESULTS/summary.json"
cat "$RESULTS/report.txt"
exit $rc
