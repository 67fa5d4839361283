#!/bin/sh
# Builds the project and runs every test (installing the Debian packages
# they need when missing).  CI runs exactly this.
set -eu
cd "$(dirname "$0")"
. build-aux/ensure-deps.sh
ensure_deps $BUILD_DEPS $GIMP_DEPS $TEST_DEPS

if [ -d build-tests ]; then
  meson setup --reconfigure build-tests >/dev/null
else
  meson setup build-tests
fi
ninja -C build-tests
meson test -C build-tests --print-errorlogs "$@"

# The same suites again under AddressSanitizer and UndefinedBehaviorSanitizer
# (about 2 minutes), then each libFuzzer harness for 60 s (about 3.5 minutes).
./build-aux/sanitize.sh
tests/fuzz/run-fuzzers.sh 60
