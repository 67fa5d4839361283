#!/bin/sh
# The main job: builds the project (installing its Debian packages when
# missing) and paints the sample photo in the sample style with the
# embedded network, offline: once with the command line, once through the
# GIMP plug-in in headless GIMP.  Prints the paths of the PNG files.
#
#   ./stylize-sample.sh [SIZE]     (default 384 px on the long side)
set -eu
cd "$(dirname "$0")"
. build-aux/ensure-deps.sh
ensure_deps $BUILD_DEPS $GIMP_DEPS

size="${1:-384}"
[ -d build ] || meson setup build >&2
ninja -C build >&2

mkdir -p out
./build/cli/style-transfer data/chelsea.png data/swirls.png \
  --size "$size" --network embedded -o out/chelsea-swirls.png

if [ -x build/plugin/style-transfer ]; then
  ./build-aux/gimp-sample.sh build/plugin/style-transfer data/chelsea.png \
    data/swirls.png "$size" out/chelsea-swirls-gimp.png
fi
