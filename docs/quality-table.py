#!/usr/bin/python3
"""Regenerates the "paints, not tints" metric table (issue 14).

    docs/quality-table.py CLI [--size 384] [--out DIR] [--threads N] [--heldout-size 256]

Runs CLI (build/cli/style-transfer) with the embedded network at default
settings on ../shared/images/tubingen.jpg with Starry Night, The Scream and
The Shipwreck (the photo and paintings the defaults were tuned on), and on
held-out photos never used for tuning (skimage's astronaut.png with Starry
Night, skimage's coffee.png with Matisse's Woman with a Hat, data/chelsea.png
with The Scream).  Prints a
Markdown table of ../shared/eval/quality_metrics.py's numbers; the tuned rows
beside jcjohnson/neural-style's VGG19 result (../shared/images/reference/,
shrunk to the same size).  Existing results in --out are reused (delete them
to re-run).  Needs Debian's python3-pil, python3-scipy, python3-skimage.
"""
import argparse, os, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, '..', 'shared'))
IMG = os.path.join(SHARED, 'images')
sys.path.insert(0, os.path.join(SHARED, 'eval'))
import quality_metrics as qm  # noqa: E402
from PIL import Image  # noqa: E402

STYLES = {'starry': 'starry_night.jpg', 'scream': 'the_scream.jpg',
          'shipwreck': 'shipwreck.jpg', 'matisse': 'woman-with-hat-matisse.jpg'}
SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data'
HELDOUT = [('astronaut', os.path.join(SKIMAGE, 'astronaut.png'), 'starry'),
           ('coffee', os.path.join(SKIMAGE, 'coffee.png'), 'matisse'),
           ('chelsea', os.path.join(ROOT, 'data', 'chelsea.png'), 'scream')]


def run(cli, content, style, out, size, threads):
    if not os.path.exists(out):
        t0 = time.time()
        subprocess.run([cli, content, style, '-o', out, '--size', str(size),
                        '--network', 'embedded', '-t', str(threads), '-q'],
                       check=True, stdout=subprocess.DEVNULL)
        print(f'{os.path.basename(out)}: {time.time() - t0:.0f} s', file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cli')
    ap.add_argument('--size', type=int, default=384)
    ap.add_argument('--heldout-size', type=int, default=256)
    ap.add_argument('--out', default='quality-out')
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--no-heldout', action='store_true')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    print(f'Tuned: tubingen.jpg, {a.size} px (neural-style shrunk to the same size)\n')
    print('| style | colour dist. ours / ref | layout corr ours / ref | HF ours / ref (ratio) | mean L* ours / ref / painting |')
    print('| --- | ---: | ---: | ---: | ---: |')
    for s in ('starry', 'scream', 'shipwreck'):
        f = STYLES[s]
        r = run(a.cli, os.path.join(IMG, 'tubingen.jpg'), os.path.join(IMG, f),
                os.path.join(a.out, f'tubingen_{s}.png'), a.size, a.threads)
        W, H = Image.open(r).size
        ref = os.path.join(a.out, f'ref_{s}_{W}.png')
        Image.open(os.path.join(IMG, 'reference', f'tubingen_{s}.png')).convert('RGB') \
            .resize((W, H), Image.LANCZOS).save(ref)
        m = qm.metrics(r, os.path.join(IMG, 'tubingen.jpg'), os.path.join(IMG, f))
        n = qm.metrics(ref, os.path.join(IMG, 'tubingen.jpg'), os.path.join(IMG, f))
        print(f"| {s} | {m['dcol_res_style']:.2f} / {n['dcol_res_style']:.2f} "
              f"| {m['corr8']:.3f} / {n['corr8']:.3f} "
              f"| {m['hf_res']:.3f} / {n['hf_res']:.3f} ({m['hf_res'] / n['hf_res']:.2f}) "
              f"| {m['lab_res'][0]:.1f} / {n['lab_res'][0]:.1f} / {m['lab_style'][0]:.1f} |")
    if a.no_heldout:
        return
    print(f'\nHeld out (never tuned on), {a.heldout_size} px; no VGG19 reference: '
          'the photo\'s own colour distance and HF for scale\n')
    print('| photo + style | colour dist. result / photo | layout corr | HF result / painting / photo | mean L* result / painting |')
    print('| --- | ---: | ---: | ---: | ---: |')
    for c, cp, s in HELDOUT:
        if not os.path.exists(cp):
            continue
        if True:
            sp = os.path.join(IMG, STYLES[s])
            r = run(a.cli, cp, sp, os.path.join(a.out, f'{c}_{s}.png'),
                    a.heldout_size, a.threads)
            m = qm.metrics(r, cp, sp)
            print(f"| {c} + {s} | {m['dcol_res_style']:.2f} / {m['dcol_cont_style']:.2f} "
                  f"| {m['corr8']:.3f} | {m['hf_res']:.3f} / {m['hf_style']:.3f} / {m['hf_cont']:.3f} "
                  f"| {m['lab_res'][0]:.1f} / {m['lab_style'][0]:.1f} |")


if __name__ == '__main__':
    main()
