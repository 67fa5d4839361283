#!/bin/sh
# Builds the Debian package of the plug-in:
#
#   build-aux/make-deb.sh [OUTPUT_FOLDER]
#
# writes gimp-style-transfer_VERSION-1_ARCH.deb into OUTPUT_FOLDER (default:
# the current folder) and prints its path.  The package holds the plug-in
# with its paintings (/usr/lib/gimp/2.0/plug-ins/style-transfer/), the
# command line and the weights' commands (/usr/bin/), the translations
# (/usr/share/locale/) and the documentation; no test is built.  Install it
# with `sudo apt install ./gimp-style-transfer_*.deb`, remove it with
# `sudo apt remove gimp-style-transfer`.
#
# Needs meson, ninja, a C compiler, libgimp2.0-dev and dpkg-dev (for
# dpkg-shlibdeps); no root (dpkg-deb --root-owner-group).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)
package=gimp-style-transfer
# Debian's usual variables name the maintainer, as for dch.
maintainer="${DEBFULLNAME:-GIMP Style Transfer authors} <${DEBEMAIL:-gimp-style-transfer@localhost}>"

for tool in meson ninja dpkg-deb dpkg-shlibdeps dpkg-architecture; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "make-deb.sh: $tool not found (apt install meson ninja-build dpkg-dev)" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/st-deb-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
build=$work/build
stage=$work/root

# A system build under /usr, as Debian installs it: the plug-in goes into
# GIMP's plug-in folder (pkg-config's gimplibdir), the rest under /usr.
meson setup "$build" "$src" --prefix=/usr -Dtests=disabled \
  -Duser-install=false -Dplugin=true -Dbuildtype=release >"$work/setup.log" ||
  { cat "$work/setup.log" >&2; exit 1; }
ninja -C "$build" >"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
DESTDIR=$stage meson install -C "$build" --no-rebuild --strip >"$work/install.log" ||
  { cat "$work/install.log" >&2; exit 1; }

version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n 1)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
debversion=$version-1

# The documentation Debian's policy asks for: copyright, and a changelog.
doc=$stage/usr/share/doc/$package
mkdir -p "$doc"
cp "$src/README.md" "$doc/README.md"
cp "$src/plugin/README.md" "$doc/README.plugin.md"
cat >"$doc/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: GIMP Style Transfer

Files: *
Copyright: the GIMP Style Transfer authors
License: GPL-3+
 On Debian systems the full text of the GNU General Public License
 version 3 is in /usr/share/common-licenses/GPL-3.

Files: usr/lib/gimp/2.0/plug-ins/style-transfer/paintings/*
Copyright: public domain (see paintings.ini beside them: painter, year,
 source and licence of each)
License: public-domain
EOF
cat >"$work/changelog" <<EOF
$package ($debversion) unstable; urgency=medium

  * Built from the source tree by build-aux/make-deb.sh.

 -- $maintainer  $(date -R -d @"${SOURCE_DATE_EPOCH:-$(date +%s)}")
EOF
gzip -9n <"$work/changelog" >"$doc/changelog.Debian.gz"

# Shared libraries the binaries link (libgimp, GLib, GEGL...), found by
# dpkg-shlibdeps.  OpenBLAS is loaded with dlopen () at run time
# (engine/blas.c), so dpkg-shlibdeps cannot see it: it is named below, as
# are GIMP itself (the plug-in is nothing without it) and python3 (the
# weights' commands).
mkdir -p "$work/debian"
cat >"$work/debian/control" <<EOF
Source: $package

Package: $package
Architecture: any
EOF
binaries=$(find "$stage" -type f -perm -u+x -exec sh -c \
  'head -c 4 "$1" | grep -q "ELF" && echo "$1"' _ {} \;)
(cd "$work" && dpkg-shlibdeps -O -e$(echo $binaries | sed 's/ / -e/g') \
  >"$work/shlibs" 2>"$work/shlibdeps.log") ||
  { cat "$work/shlibdeps.log" >&2; exit 1; }
shlibs=$(sed -n 's/^shlibs:Depends=//p' "$work/shlibs")

mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: $package
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: gimp (>= 2.10), libopenblas0 | libopenblas0-pthread, python3, $shlibs
Section: graphics
Priority: optional
Description: GIMP filter that repaints a photo in the style of a painting
 Filters > Artistic > Style Transfer... in GIMP 2.10 paints the active
 layer in the style of another picture (Gatys, Ecker and Bethge), into a
 new layer, offline, with a built-in network or the VGG19 weights (the
 command gimp-style-transfer-fetch-vgg19 installs them).  Ten public-domain
 paintings come with it.  Also the command line style-transfer.
EOF

out_file=$out/${package}_${debversion}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out_file" >/dev/null
echo "$out_file"
