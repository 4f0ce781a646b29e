#!/usr/bin/env bash
# Fuzzes everything that parses client bytes (ClientBytes in Sources/FVFuzzTargets) with
# libFuzzer + AddressSanitizer. Usage: Fuzz/run-fuzz.sh [SECONDS] (default 1800).
# New interesting inputs are added to Fuzz/corpus (commit them); crashes land in Fuzz/crashes.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-1800}
swift build -c debug --sanitize=fuzzer --sanitize=address 2>&1 | grep -Ev '^\[|ld.gold: warning' || true
mkdir -p crashes
exec .build/debug/fvfuzz corpus -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=crashes/ -print_final_stats=1
