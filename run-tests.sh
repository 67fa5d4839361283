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
