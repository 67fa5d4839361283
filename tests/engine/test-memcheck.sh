#!/bin/sh
# The command line (and so the engine) under valgrind memcheck: a small run
# with the embedded network has no memory error and no definite leak.
# Skipped, with the reason, when valgrind is missing or cannot run this
# processor's instructions in a library that is not ours (exit 77).
set -u
cli="$1"
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
# The sanitizer build (build-aux/sanitize.sh) runs the same suites with
# AddressSanitizer, whose runtime valgrind cannot run; the plain build's
# run of this test is the memcheck one.
if grep -q __asan_init "$cli" 2>/dev/null; then
  echo "SKIP: built with AddressSanitizer, which valgrind cannot run"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" "$(dirname "$0")/../common" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
from tiny_png import png
png(sys.argv[1] + '/content.png', 40, 32, lambda x, y: (90 + 3 * x, 100 + 2 * y, 110))
png(sys.argv[1] + '/style.png', 40, 40, lambda x, y: (250, 200, 40) if (x + 2 * y) % 9 < 4 else (20, 40, 180))
PY
# no timing pass for the estimate: under memcheck it takes minutes
ST_NO_CALIBRATION=1 valgrind --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \
  --num-callers=30 --log-file="$tmp/valgrind.log" \
  "$cli" "$tmp/content.png" "$tmp/style.png" -o "$tmp/out.png" \
  --size 32 --iterations 2 --network embedded -q >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if grep -q "signal 4 (SIGILL)" "$tmp/valgrind.log"; then
  lib=$(sed -n '/signal 4 (SIGILL)/,$p' "$tmp/valgrind.log" \
        | sed -n 's/.*at 0x[0-9A-Fa-f]*: .*(in \(.*\))$/\1/p' | head -1)
  if [ -n "$lib" ] && [ "$(readlink -f "$lib")" != "$(readlink -f "$cli")" ]; then
    echo "SKIP: memcheck cannot run an instruction of $lib on this processor"
    exit 77
  fi
fi
if [ $rc -ne 0 ] || [ ! -s "$tmp/out.png" ]; then
  echo "FAIL: exit $rc under memcheck"
  cat "$tmp/stderr" "$tmp/valgrind.log"
  exit 1
fi
echo "ok   no memory error and no definite leak under memcheck"
