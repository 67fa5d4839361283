#!/bin/sh
# Builds the libFuzzer harnesses with clang, ASan and UBSan in their own
# build directory and runs each for SECONDS (default 60).  Fails when any
# harness crashes, leaks, times out or trips a sanitizer; the input that
# did it is left in BUILD_DIR/crashes/ (add it to regressions/HARNESS/).
#
# Usage: tests/fuzz/run-fuzzers.sh [SECONDS] [HARNESS...]
#   FUZZ_BUILD_DIR  build directory (default build-fuzz at the top)
#   FUZZ_JOBS       parallel fuzzing processes per harness (default 1)
set -eu
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
[ $# -gt 0 ] && shift
harnesses="${*:-safetensors params resize}"
dir="${FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${FUZZ_JOBS:-1}"

opts="-Db_sanitize=address,undefined -Db_lundef=false -Dplugin=false
      -Dbuildtype=debugoptimized -Dc_args=-fsanitize=fuzzer-no-link"
if [ -d "$dir" ]; then
  meson setup --reconfigure $opts "$dir" >/dev/null
else
  CC=clang meson setup $opts "$dir" >/dev/null
fi
targets=""
for h in $harnesses; do targets="$targets tests/fuzz/fuzz-$h"; done
ninja -C "$dir" $targets >/dev/null

# UBSan findings are crashes too; leaks are found by ASan's LeakSanitizer.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
OPENBLAS_NUM_THREADS=1 # the harnesses are single-threaded; so is fuzzing
export ASAN_OPTIONS UBSAN_OPTIONS OPENBLAS_NUM_THREADS

status=0
for h in $harnesses; do
  work="$dir/fuzz-corpus/$h"
  mkdir -p "$work" "$dir/crashes"
  case "$h" in
    safetensors) extra="-max_len=16384 -dict=tests/fuzz/safetensors.dict" ;;
    *) extra="-max_len=512" ;;
  esac
  [ "$jobs" -gt 1 ] && extra="$extra -jobs=$jobs -workers=$jobs"
  echo "fuzz-$h: $seconds s"
  # New inputs go to the work corpus in the build directory; the seeds
  # in tests/fuzz/corpus/ are only read.
  if "$dir/tests/fuzz/fuzz-$h" $extra -max_total_time="$seconds" \
       -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$dir/crashes/$h-" \
       "$work" "tests/fuzz/corpus/$h" >"$dir/fuzz-$h.log" 2>&1; then
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" \
      "$dir/fuzz-$h.log" | sed 's/^/  /'
  else
    status=1
    echo "  FAILED: see $dir/fuzz-$h.log; inputs in $dir/crashes/"
    grep -E "ERROR|runtime error|SUMMARY|Test unit written" \
      "$dir/fuzz-$h.log" | head -n 8 | sed 's/^/  /'
  fi
done
exit $status
