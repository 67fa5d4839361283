#!/bin/sh
# The command line: a run writes a PNG and prints its path; bad input exits
# 1 with one line on stderr and writes no file.
set -u
cli="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
py=/usr/bin/python3

# Two small PNGs made here (gdk-pixbuf reads them back).
"$py" - "$tmp" "$(dirname "$0")/../common" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
from tiny_png import png
png(sys.argv[1] + '/content.png', 60, 40, lambda x, y: (90 + x, 100 + y, 110))
png(sys.argv[1] + '/style.png', 48, 48, lambda x, y: (250, 200, 40) if (x + 2 * y) % 9 < 4 else (20, 40, 180))
PY

expect_fail() {
  what="$1"; shift
  out="$tmp/bad.png"
  rm -f "$out"
  "$cli" "$@" -o "$out" -q >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  lines=$(wc -l <"$tmp/stderr")
  if [ $rc -ne 1 ] || [ -e "$out" ] || [ "$lines" -ne 1 ]; then
    echo "FAIL $what: exit $rc, $lines stderr lines, output exists: $([ -e "$out" ] && echo yes || echo no)"
    cat "$tmp/stderr"
    fail=1
  else
    echo "ok   $what: $(cat "$tmp/stderr")"
  fi
}

out=$("$cli" "$tmp/content.png" "$tmp/style.png" -o "$tmp/out.png" --size 48 --iterations 10 --quiet)
if [ $? -ne 0 ] || [ "$out" != "$tmp/out.png" ] || [ ! -s "$tmp/out.png" ]; then
  echo "FAIL a normal run did not write $tmp/out.png (printed: $out)"; fail=1
else
  echo "ok   normal run prints $out"
fi

expect_fail "missing content" "$tmp/nope.png" "$tmp/style.png"
expect_fail "no style" "$tmp/content.png"
expect_fail "not an image" "$0" "$tmp/style.png"
expect_fail "negative size" "$tmp/content.png" "$tmp/style.png" --size -5
expect_fail "strength 150" "$tmp/content.png" "$tmp/style.png" --strength 150
expect_fail "NaN strength" "$tmp/content.png" "$tmp/style.png" --strength nan
expect_fail "iterations 1e9" "$tmp/content.png" "$tmp/style.png" --iterations 1000000000
expect_fail "unknown network" "$tmp/content.png" "$tmp/style.png" --network nosuchnet
expect_fail "bad init" "$tmp/content.png" "$tmp/style.png" --init banana
expect_fail "blend count" "$tmp/content.png" "$tmp/style.png" --style-blend 1,2

# An output path that cannot be written.
"$cli" "$tmp/content.png" "$tmp/style.png" -o "$tmp/no/such/dir/out.png" --size 32 -i 2 -q 2>"$tmp/stderr"
rc=$?
if [ $rc -ne 1 ] || [ -e "$tmp/no/such/dir/out.png" ]; then
  echo "FAIL unwritable output: exit $rc"; fail=1
else
  echo "ok   unwritable output: $(cat "$tmp/stderr")"
fi
exit $fail
