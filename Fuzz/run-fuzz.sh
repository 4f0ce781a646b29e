#!/usr/bin/env bash
# Fuzzes the parsers of client bytes with libFuzzer + AddressSanitizer, one target at a time:
#   rpc   everything the daemon does with a client's line (Sources/FVFuzzTargets/ClientBytes.swift)
#   json  the strict JSON parser alone (JSONText.swift)
#   png   the PNG decoder alone (PNGBytes.swift)
#   jpeg  the JPEG decoder alone (JPEGBytes.swift)
# Usage: Fuzz/run-fuzz.sh [SECONDS] [TARGET...]   (default: 600 s each, all four targets)
# New interesting inputs go to Fuzz/corpus-TARGET (commit them); crashes to Fuzz/crashes.
#
# The fuzz executables are targets of the main package, built from scratch into their own build
# folder (.build-fuzz) so that nothing from an ordinary build is reused, and the script refuses
# to fuzz a binary whose code under test is not instrumented (too few coverage counters):
# libFuzzer would otherwise run blind and say only "no interesting inputs were found".
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rpc json png jpeg)
min_counters=${FVD_FUZZ_MIN_COUNTERS:-2000}

for t in "${targets[@]}"; do
  case "$t" in rpc|json|png|jpeg) ;; *) echo "run-fuzz: unknown target $t (rpc, json, png or jpeg)" >&2; exit 64;; esac
  # One combined -sanitize=fuzzer,address for Swift: given as two --sanitize options, SwiftPM
  # passes two -sanitize= flags in an order that varies from build to build, and the driver keeps
  # only the last, so the code under test was sometimes built without coverage (a blind fuzzer).
  swift build -c debug --scratch-path .build-fuzz --product "fvfuzz-$t" --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address 2>&1 | grep -Ev '^\[|ld.gold: warning|^Building|^Build complete' || true
  bin=".build-fuzz/debug/fvfuzz-$t"
  [ -x "$bin" ] || { echo "run-fuzz: the build of fvfuzz-$t failed (see above)" >&2; exit 1; }
  mkdir -p "Fuzz/corpus-$t" Fuzz/crashes
  counters=$("$bin" -runs=0 2>&1 | sed -nE 's/.*Loaded [0-9]+ modules? +\(([0-9]+) inline 8-bit counters\).*/\1/p' | head -1)
  if [ -z "$counters" ] || [ "$counters" -lt "$min_counters" ]; then
    echo "run-fuzz: $bin carries ${counters:-no} coverage counters (fewer than $min_counters): the code under test is not instrumented, so fuzzing would run blind. Remove .build-fuzz and run again." >&2
    exit 1
  fi
  # Pictures get a 1 MiB cap and a 2 s limit per input: a slow input is a finding too (a
  # progressive JPEG of thousands of scans held the engine for 40 s at 780 KB; under the old
  # 64 KiB cap no such input could even be tried). Any input past the limit is written to
  # Fuzz/crashes/timeout-* and reported as an ERROR.
  case "$t" in
    png|jpeg) max_len=1048576; per_input=2 ;;
    *) max_len=65536; per_input=10 ;;
  esac
  echo "run-fuzz: fvfuzz-$t, $counters coverage counters, $seconds s, inputs up to $max_len bytes, $per_input s each"
  "$bin" "Fuzz/corpus-$t" -max_total_time="$seconds" -max_len="$max_len" -timeout="$per_input" -rss_limit_mb=2048 \
    -artifact_prefix=Fuzz/crashes/ -print_final_stats=1 -print_pcs=0 2>&1 | tee "Fuzz/last-run-$t.log" | grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|^stat::|ERROR|Loaded' || true
done
