# Sourced by stylize-sample.sh and run-tests.sh: installs the Debian 12
# packages the project needs when any is missing, then returns.
# Usage: ensure_deps PACKAGE...
ensure_deps() {
  missing=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
      || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  echo "Installing Debian packages:$missing" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2 || return 1
}

# What building the engine, the command line and the plug-in needs.
BUILD_DEPS="gcc pkg-config meson ninja-build libglib2.0-dev libjson-glib-dev
  libopenblas-dev libgdk-pixbuf-2.0-dev libpng-dev libjpeg-dev libgimp2.0-dev
  gettext"
# What running the plug-in inside GIMP needs.
GIMP_DEPS="gimp"
# What the tests need besides: Debian's Python with numpy, h5py and torch
# for the reference checks, a virtual X server for the dialog, clang for
# the fuzzers (with its sanitizer runtimes), clang-format for the format
# check, valgrind for one plug-in run.
TEST_DEPS="python3 python3-numpy python3-h5py python3-torch python3-pil xvfb
  xauth curl clang clang-format libclang-rt-14-dev valgrind"
