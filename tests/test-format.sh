#!/bin/sh
# test-format.sh SOURCE_ROOT - every C file of the project is as
# clang-format (the repository's .clang-format, GNU style) writes it.
# A file that differs is named with the first lines of the difference;
# `clang-format -i FILE` fixes it.
set -u
root=$1
if ! command -v clang-format >/dev/null 2>&1; then
  echo "skipped: clang-format is not installed (apt install clang-format)"
  exit 77
fi
cd "$root" || exit 1
bad=0
files=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find engine plugin ui cli tests weights -name '*.[ch]'); do
  files=$((files + 1))
  if ! clang-format --style=file "$f" | cmp -s - "$f"; then
    echo "not formatted: $f"
    clang-format --style=file "$f" | diff -u "$f" - | head -12
    bad=$((bad + 1))
  fi
done
echo "$files C files, $bad not formatted ($(clang-format --version))"
[ "$bad" -eq 0 ]
