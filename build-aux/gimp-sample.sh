#!/bin/sh
# Runs the built plug-in inside real, headless GIMP 2.10 on a content and a
# style image, exactly as a Script-Fu author would call it, and exports the
# new layer as PNG.  GIMP's own profile is left alone: a temporary
# GIMP2_DIRECTORY holds the plug-in.
#
#   build-aux/gimp-sample.sh PLUGIN CONTENT STYLE SIZE OUT.png
set -eu
plugin="$1" content="$2" style="$3" size="$4" out="$5"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/plug-ins/style-transfer"
cp "$plugin" "$tmp/plug-ins/style-transfer/style-transfer"
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
content=$(abs "$content") style=$(abs "$style") out=$(abs "$out")
rm -f "$out"
echo "Running the plug-in in headless GIMP..." >&2
GIMP2_DIRECTORY="$tmp" gimp-console-2.10 -i -d -f -b "
(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$content\" \"$content\")))
       (drw (car (gimp-image-get-active-drawable img)))
       (simg (car (gimp-file-load RUN-NONINTERACTIVE \"$style\" \"$style\")))
       (sdrw (car (gimp-image-get-active-drawable simg)))
       (layer (car (plug-in-style-transfer RUN-NONINTERACTIVE img drw sdrw
                     50.0 $size 0 0 1.0 1.0 0 \"embedded\"))))
  (file-png-save RUN-NONINTERACTIVE img layer \"$out\" \"$out\" 0 9 0 0 0 0 0))" \
  -b '(gimp-quit 0)' >"$tmp/log" 2>&1 || true
# GIMP exits 0 even when a batch command fails: the file is the verdict.
if [ ! -s "$out" ]; then
  echo "GIMP did not write $out:" >&2
  grep -v -e "GeglBuffers leaked" -e "writable data folder" "$tmp/log" >&2
  exit 1
fi
echo "$out"
