#!/bin/sh
# Builds the engine, the command line and their tests a second time with
# AddressSanitizer and UndefinedBehaviorSanitizer (gcc is fine) in
# build-sanitize/, and runs the suites that exercise our own C code there.
# Any report fails the run: ASan aborts, UBSan halts, LeakSanitizer exits
# non-zero.  The GIMP suite is left out (GIMP itself is not sanitized).
#
# Usage: build-aux/sanitize.sh [BUILD_DIR] [extra meson test arguments]
set -eu
cd "$(dirname "$0")/.."
dir="${1:-build-sanitize}"
[ $# -gt 0 ] && shift

opts="-Db_sanitize=address,undefined -Db_lundef=false -Dplugin=false
      -Dbuildtype=debugoptimized"
if [ -d "$dir" ]; then
  meson setup --reconfigure $opts "$dir" >/dev/null
else
  meson setup $opts "$dir" >/dev/null
fi
ninja -C "$dir" >/dev/null

ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS UBSAN_OPTIONS

# Suites: engine (includes the CLI test), weights, and this issue's
# robustness and fuzz regression suites.  Missing suites are skipped.
suites=""
listed=$(meson test -C "$dir" --list 2>/dev/null)
for s in engine cli weights robustness fuzz; do
  if printf '%s\n' "$listed" | grep -q ":$s / "; then
    suites="$suites --suite $s"
  fi
done
# Each sanitized test runs a few times slower: give it three times longer.
# The memory-estimate test compares RSS, which ASan inflates: not here.
meson test -C "$dir" --print-errorlogs --timeout-multiplier 3 $suites \
  --no-suite memory "$@"
