#!/bin/sh
# The main job: builds the project (installing its Debian packages when
# missing) and paints the sample photo in the sample style with the
# embedded network, offline: once with the command line, once through the
# GIMP plug-in in headless GIMP.  Prints the paths of the PNG files.
#
#   ./stylize-sample.sh [SIZE]     (the command line's long side, default
#                                   384 px; GIMP paints the layer's own size)
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
  # inside GIMP, the layer is painted at its own size (451 x 300), as a
  # user's photo is: a smaller painting enlarged to the layer would beat
  # against its pixels (a grid score of 22 where the painting scores 8)
  ./build-aux/gimp-sample.sh build/plugin/style-transfer data/chelsea.png \
    data/swirls.png 0 out/chelsea-swirls-gimp.png
fi
