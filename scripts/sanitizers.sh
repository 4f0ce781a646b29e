#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and ThreadSanitizer, each in its own build folder
# (.build-asan, .build-tsan) so the normal build is untouched. Needs weights/vgg16.fvw.
# Usage: scripts/sanitizers.sh [address] [thread]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)
status=0
for k in "${kinds[@]}"; do
  echo "== swift test --sanitize=$k"
  # halt_on_error: the first report fails the run; the suppressions file documents anything
  # known and accepted (none so far).
  if ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
     swift test --sanitize="$k" --scratch-path ".build-${k:0:1}san" 2>&1 | tee "/tmp/fvd-sanitize-$k.log" | grep -E "Executed [0-9]+ tests|SUMMARY|WARNING: ThreadSanitizer|ERROR: AddressSanitizer" ; then :; fi
  if grep -qE "SUMMARY: (Address|Thread)Sanitizer|ERROR: AddressSanitizer|WARNING: ThreadSanitizer" "/tmp/fvd-sanitize-$k.log" \
     || ! grep -E "Executed [0-9]+ tests" "/tmp/fvd-sanitize-$k.log" | tail -1 | grep -q "with 0 failures"; then
    echo "== $k: FAILED (log: /tmp/fvd-sanitize-$k.log)"
    status=1
  else
    echo "== $k: clean"
  fi
done
exit $status
