#!/bin/sh
# Issue 7's bad-input table, engine and command-line rows: each bad input
# must exit 1 with exactly one line on stderr ("style-transfer: ...") and
# leave no output file.  Prints one Markdown table row per case (the
# table in tests/fuzz/BAD-INPUT.md is this output).
#
# Usage: test-bad-input.sh STYLE_TRANSFER SAFETENSORS_CORPUS_DIR
set -u
cli="$1"
hostile="$2"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp"; rm -rf "$tmp"' EXIT
fail=0

"$py" - "$tmp" "$(dirname "$0")/../common" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
from tiny_png import png
d = sys.argv[1]
png(d + '/content.png', 40, 30, lambda x, y: (90 + x, 100 + y, 110))
png(d + '/style.png', 32, 32, lambda x, y: (250, 200, 40) if (x + 2 * y) % 9 < 4 else (20, 40, 180))
png(d + '/one.png', 1, 1, lambda x, y: (128, 64, 32))
png(d + '/two.png', 2, 2, lambda x, y: (40 * x, 80 * y, 120))
png(d + '/tinystyle.png', 8, 8, lambda x, y: (255 * (x % 2), 0, 255 * (y % 2)))
PY
C="$tmp/content.png"
S="$tmp/style.png"

# row WHAT ARGS...: expects failure; prints "| WHAT | message |".  The
# output is TMP/out.png unless OUT names another path (then -o is in ARGS
# already, or left out on purpose).
row() {
  what="$1"; shift
  out="${OUT:-$tmp/out.png}"
  rm -f "$tmp/out.png"
  if [ -z "${OUT:-}" ]; then
    set -- "$@" -o "$out"
  fi
  "$cli" "$@" -q >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  lines=$(wc -l <"$tmp/stderr")
  msg=$(head -n 1 "$tmp/stderr" | sed "s|$tmp|TMP|g; s/|/\\\\|/g")
  if [ $rc -ne 1 ] || [ -f "$out" ] || [ "$lines" -ne 1 ] \
     || ! grep -q '^style-transfer: ' "$tmp/stderr" \
     || find "$tmp" -name '*.tmp-*' -o -name '.style-transfer-*' | grep -q .; then
    echo "| FAIL $what | exit $rc, $lines stderr lines, output $( [ -f "$out" ] && echo written || echo absent): $msg |"
    sed 's/^/    /' "$tmp/stderr" | head -n 5
    fail=1
  else
    echo "| $what | \`$msg\` |"
  fi
}

# accepted WHAT ARGS...: a value the engine takes on purpose (documented
# meaning); it must run and write the file.
accepted() {
  what="$1"; shift
  rm -f "$tmp/out.png"
  if "$cli" "$@" -o "$tmp/out.png" -q >/dev/null 2>"$tmp/stderr" \
     && [ -s "$tmp/out.png" ] && [ ! -s "$tmp/stderr" ]; then
    echo "| $what | accepted: $meaning |"
  else
    echo "| FAIL $what | expected a result ($meaning): $(head -n 1 "$tmp/stderr") |"
    fail=1
  fi
}

echo "| Input | Message (exit 1, no output file) |"
echo "|---|---|"
# Images
row "content 1x1" "$tmp/one.png" "$S"
row "content 2x2" "$tmp/two.png" "$S"
row "content 2x2, --size 2" "$tmp/two.png" "$S" --size 2
row "style 8x8 (smaller than the network can use)" "$C" "$tmp/tinystyle.png"
row "content missing" "$tmp/nope.png" "$S"
row "content not an image" "$0" "$S"
# Parameters
row "strength NaN" "$C" "$S" --strength nan
row "strength Inf" "$C" "$S" --strength inf
row "strength -1" "$C" "$S" --strength -1
row "strength 101" "$C" "$S" --strength 101
row "smoothness (tv weight) NaN" "$C" "$S" --tv-weight nan
row "smoothness (tv weight) Inf" "$C" "$S" --tv-weight inf
row "smoothness (tv weight) -5" "$C" "$S" --tv-weight -5
row "style weight NaN" "$C" "$S" --style-weight nan
row "content weight -Inf" "$C" "$S" --content-weight -inf
row "style scale NaN" "$C" "$S" --style-scale nan
row "style scale Inf" "$C" "$S" --style-scale inf
row "style scale -1" "$C" "$S" --style-scale -1
row "style scale 0" "$C" "$S" --style-scale 0
row "iterations -1" "$C" "$S" --iterations -1
row "iterations 1e9" "$C" "$S" --iterations 1000000000
row "iterations not a number" "$C" "$S" --iterations many
row "size -5" "$C" "$S" --size -5
row "size 30001 (past the engine's limit)" "$C" "$S" --size 30001
row "size 30000 (beyond the memory budget)" "$C" "$S" --size 30000
row "scales 21" "$C" "$S" --scales 21
row "threads -2" "$C" "$S" --threads -2
row "unknown network name" "$C" "$S" --network nosuchnet
row "unknown optimizer" "$C" "$S" --optimizer sgd
row "style blend NaN" "$C" "$S" --style-blend nan
row "style blend 0" "$C" "$S" --style-blend 0
# Files
row "safetensors missing" "$C" "$S" --network "$tmp/missing.safetensors"
mkdir "$tmp/dir.safetensors"
row "safetensors is a directory" "$C" "$S" --network "$tmp/dir.safetensors"
cp "$hostile/valid-one-tensor" "$tmp/locked.safetensors"
chmod 000 "$tmp/locked.safetensors"
if ! cat "$tmp/locked.safetensors" >/dev/null 2>&1; then
  row "safetensors unreadable (mode 000)" "$C" "$S" --network "$tmp/locked.safetensors"
fi # (root reads it anyway: the directory row stands in for it)
for f in empty short header-past-end absurd-header-length hdf5-magic \
         header-not-json header-nul deep-nesting nesting-behind-comment \
         nesting-behind-single-quote control-char-in-string overlap offsets-past-end \
         dtype-mismatch shape-overflow negative-offsets bad-metadata \
         conv1-truncated all-names-tiny-shapes nan-weight \
         valid-one-tensor; do
  cp "$hostile/$f" "$tmp/$f.safetensors"
  row "safetensors: $f" "$C" "$S" --network "$tmp/$f.safetensors"
done
OUT="$tmp/no/such/dir/out.png" row "output in a missing folder" "$C" "$S" \
  --size 32 -i 2 -o "$tmp/no/such/dir/out.png"
mkdir "$tmp/ro"
chmod 555 "$tmp/ro"
if ! touch "$tmp/ro/probe" 2>/dev/null; then
  OUT="$tmp/ro/out.png" row "output in a read-only folder" "$C" "$S" \
    --size 32 -i 2 -o "$tmp/ro/out.png"
fi # (root writes there anyway)
rm -f "$tmp/ro/probe"
mkdir "$tmp/outdir"
OUT="$tmp/outdir/x" row "output is a directory" "$C" "$S" --size 32 -i 2 \
  -o "$tmp/outdir"
OUT="$tmp/none" row "no -o option" "$C" "$S"

# Values with a documented meaning, not errors.
meaning="0 means automatic (the network's default)" \
  accepted "iterations 0" "$C" "$S" --iterations 0 --size 24
meaning="runs 1 iteration" accepted "iterations 1" "$C" "$S" -i 1 --size 24
meaning="negative weights mean the network's default" \
  accepted "smoothness (tv weight) -1" "$C" "$S" --tv-weight -1 -i 2 --size 24

exit $fail
