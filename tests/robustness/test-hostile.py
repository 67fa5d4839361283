#!/usr/bin/python3
"""Issue 13: hostile files and hostile surroundings.

Each case runs the command line and requires what the contract says: a
failure exits 1 with exactly one line on stderr (printable, bounded),
writes nothing (no output, no temporary file) and harms nothing (a device,
FIFO or symlink target given or planted stays as it was).  No case depends
on timing: what must happen at a point of the run happens there because
the program is made to reach it (a test hook raises the signal during the
save; the FIFO is never opened for writing, so a reader that waited on it
would wait forever and the timeout, a safety net only, would fail the case).

Usage: test-hostile.py STYLE_TRANSFER SAFETENSORS_CORPUS_DIR
Prints one line per case; with --table, Markdown rows for BAD-INPUT.md.
"""
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'common'))
import cli_cases  # noqa: E402
from cli_cases import (died_of_problems, one_line_problems,  # noqa: E402
                       report)
from tiny_png import png  # noqa: E402

CLI = os.path.abspath(sys.argv[1])
CORPUS = os.path.abspath(sys.argv[2])
TABLE = '--table' in sys.argv
SAFETY = 120  # seconds; a case that needs it has hung, which is the bug
# Under AddressSanitizer RSS is inflated by shadow memory and quarantine,
# and ulimit -v cannot be used: those checks are left out there.
SANITIZED = b'asan' in subprocess.run(['ldd', CLI],
                                      capture_output=True).stdout


def run(args, env=None, prefix=()):
    """Exit status, stdout, stderr and peak RSS in KiB (cli_cases.run)."""
    return cli_cases.run(CLI, args, env=env, prefix=prefix, safety=SAFETY)


def leftovers(d, planted=()):
    if not os.path.isdir(d):
        d = T
    return sorted(n for n in os.listdir(d)
                  if (n.startswith('.style-transfer-') or '.tmp-' in n)
                  and n not in planted)


def refused(what, args, expect=None, out=None, env=None, check=None,
            max_rss_mb=None):
    """Expects exit 1, one printable line on stderr, no output file and
    no temporary file in the output's folder."""
    out = out or os.path.join(T, 'out.png')
    if os.path.lexists(os.path.join(T, 'out.png')):
        os.unlink(os.path.join(T, 'out.png'))
    rc, so, se, rss = run(args + (['-o', out] if out else []), env=env)
    text = se.decode('utf-8', 'replace')
    problems = one_line_problems(rc, se, re.escape(expect) if expect else None)
    if os.path.lexists(os.path.join(T, 'out.png')):
        problems.append('out.png written')
    if leftovers(os.path.dirname(out)):
        problems.append('left %s' % leftovers(os.path.dirname(out)))
    if max_rss_mb and not SANITIZED and rss > max_rss_mb * 1024:
        problems.append('peak RSS %d MB (limit %d)' % (rss // 1024, max_rss_mb))
    if check:
        problems += check()
    report(what, problems, text.strip().replace(T, 'TMP'))


T = tempfile.mkdtemp(prefix='st-hostile-')
cli_cases.hidden.append(T)
try:
    C = os.path.join(T, 'content.png')
    S = os.path.join(T, 'style.png')
    png(C, 40, 30, lambda x, y: (90 + x, 100 + y, 110))
    png(S, 32, 32, lambda x, y: (250, 200, 40) if (x + 2 * y) % 9 < 4
        else (20, 40, 180))
    small = ['--size', '32', '-i', '2', '-q']

    # --- 3. output paths ------------------------------------------------
    fifo_out = os.path.join(T, 'out-fifo')
    os.mkfifo(fifo_out)
    refused('output is a FIFO', [C, S] + small, 'not a regular file',
            out=fifo_out,
            check=lambda: [] if stat.S_ISFIFO(os.lstat(fifo_out).st_mode)
            else ['the FIFO was replaced'])
    link_null = os.path.join(T, 'to-dev-null.png')
    os.symlink('/dev/null', link_null)
    refused('output is a symlink to /dev/null', [C, S] + small,
            'not a regular file', out=link_null,
            check=lambda: [] if os.path.islink(link_null)
            and stat.S_ISCHR(os.stat('/dev/null').st_mode)
            else ['the link or /dev/null was replaced'])
    dev = os.path.join(T, 'null-device')
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        dev = None  # not root: the symlink case stands in
    if dev:
        refused('output is a character device', [C, S] + small,
                'not a regular file', out=dev,
                check=lambda: [] if stat.S_ISCHR(os.lstat(dev).st_mode)
                else ['the device node was replaced by a file'])
    # The old temporary name was OUT.tmp-PID: plant a symlink there (the
    # PID is known: sh execs the program in its own process).
    victim = os.path.join(T, 'victim.txt')
    with open(victim, 'w') as f:
        f.write('precious\n')
    out = os.path.join(T, 'planted.png')
    p = subprocess.run(['sh', '-c', 'ln -s "$1" "$2.tmp-$$"; exec "$0" "$3" '
                        '"$4" --size 32 -i 2 -q -o "$2"', CLI, victim, out,
                        C, S], capture_output=True, timeout=SAFETY)
    with open(victim) as f:
        harmed = f.read() != 'precious\n'
    planted = [n for n in os.listdir(T) if n.startswith('planted.png.tmp-')]
    left = leftovers(T, planted)
    report('symlink planted at OUTPUT.tmp-PID', (['exit %d' % p.returncode]
           if p.returncode else []) + (['the symlink target was overwritten']
           if harmed else []) + (['left %s' % left] if left else [])
           + ([] if len(planted) == 1 and os.path.islink(
               os.path.join(T, planted[0])) else ['the planted link changed']),
           'the run succeeds and the target is untouched')
    for n in os.listdir(T):
        if n.startswith('planted'):
            os.unlink(os.path.join(T, n))

    # --- 11. outputs that cannot be made: known before the run ------------
    long_out = os.path.join(T, 'x' * 300 + '.png')
    refused('output name too long for the file system (content missing)',
            [os.path.join(T, 'nope.png'), S] + small, 'File name too long',
            out=long_out)
    refused('output in a missing folder (content missing)',
            [os.path.join(T, 'nope.png'), S] + small,
            'No such file or directory', out=os.path.join(T, 'no', 'out.png'))

    # --- 4. inputs that are not regular files ------------------------------
    fifo_in = os.path.join(T, 'in-fifo.png')
    os.mkfifo(fifo_in)
    refused('content is a FIFO (nobody writes to it)', [fifo_in, S] + small,
            'not a regular file (a FIFO)')
    refused('style is a FIFO (nobody writes to it)', [C, fifo_in] + small,
            'not a regular file (a FIFO)')
    refused('second style is a FIFO', [C, S, fifo_in] + small,
            'not a regular file (a FIFO)')
    refused('content is /dev/zero', ['/dev/zero', S] + small,
            'not a regular file (a device)')
    refused('content is a folder', [T, S] + small,
            'not a regular file (a folder)')
    refused('network file is a FIFO', [C, S, '--network', fifo_in] + small,
            'not a regular file')

    # --- 5. a signal during the save ---------------------------------------
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        rc, so, se, _ = run([C, S, '-o', os.path.join(T, 'out.png')] + small,
                            env={'STYLE_TRANSFER_TEST_SIGNAL_IN_SAVE':
                                 str(int(sig))})
        problems = died_of_problems(rc, se, sig)
        if os.path.exists(os.path.join(T, 'out.png')):
            problems.append('out.png written')
        if leftovers(T):
            problems.append('left %s' % leftovers(T))
        report('%s during the save' % sig.name, problems,
               se.decode().strip())

    # signals that kill by default: a closed pipe on stdout (progress is
    # lost, the result is still written) and a file-size limit
    r, w = os.pipe()
    os.close(r)
    out = os.path.join(T, 'out.png')
    p = subprocess.run([CLI, C, S, '--size', '32', '-i', '2', '-o', out],
                       stdout=w, stderr=subprocess.PIPE, timeout=SAFETY)
    os.close(w)
    report('stdout is a pipe nobody reads (SIGPIPE)',
           ([] if p.returncode == 0 and os.path.exists(out)
            else ['exit %d: %s' % (p.returncode, p.stderr.decode())])
           + (['left %s' % leftovers(T)] if leftovers(T) else []),
           'the result is written, exit 0')
    if os.path.exists(out):
        os.unlink(out)
    rc, so, se, _ = run([C, S, '-o', out] + small,
                        prefix=['sh', '-c', 'ulimit -f 1 && exec "$0" "$@"'])
    refused_problems = []
    if rc != 1 or se.count(b'\n') != 1:
        refused_problems.append('exit %s, %d lines' % (rc, se.count(b'\n')))
    if os.path.exists(out) or leftovers(T):
        refused_problems.append('left %s' % (leftovers(T) or 'out.png'))
    report('ulimit -f 1 (SIGXFSZ while writing)', refused_problems,
           se.decode(errors='replace').strip().replace(T, 'TMP'))

    # --- 7. decoding within the memory budget ------------------------------
    big = os.path.join(T, 'big.png')
    png(big, 8000, 8000)
    budget = {'ST_MEMORY_BUDGET': '100'}
    refused('8000 x 8000 PNG content (187 KB), --size 48, budget 100 MiB',
            [big, S, '--size', '48', '-i', '2', '-q'], 'memory budget',
            env=budget, max_rss_mb=150)
    refused('8000 x 8000 PNG style, budget 100 MiB',
            [C, big, '--size', '48', '-i', '2', '-q'], 'memory budget',
            env=budget, max_rss_mb=150)
    # JPEG decodes at 1/2, 1/4 or 1/8 when asked: an 8000 x 8000 JPEG is
    # read at 1000 x 1000 for a 48 px run (192 MB when decoded whole).  The
    # file is made with gdk-pixbuf through PyGObject when it is installed.
    # (in a process of its own: the 192 MB pixbuf would otherwise count in
    # every later child's peak RSS, which fork inherits)
    jpeg = os.path.join(T, 'big.jpg')
    made = subprocess.run([sys.executable, '-c', """if 1:
        import sys, gi
        gi.require_version('GdkPixbuf', '2.0')
        from gi.repository import GdkPixbuf
        pb = GdkPixbuf.Pixbuf.new(GdkPixbuf.Colorspace.RGB, False, 8, 8000,
                                  8000)
        pb.fill(0x336699ff)
        pb.savev(sys.argv[1], 'jpeg', ['quality'], ['50'])
        """, jpeg], capture_output=True)
    if made.returncode != 0:
        print('# no PyGObject/GdkPixbuf: JPEG case skipped (%s)'
              % made.stderr.decode(errors='replace').strip().split('\n')[-1])
        jpeg = None
    if jpeg:
        out = os.path.join(T, 'out.png')
        rc, so, se, rss = run([jpeg, S, '--size', '48', '-i', '2', '-q', '-o',
                               out], env=budget)
        problems = []
        if rc != 0 or not os.path.exists(out):
            problems.append('exit %s: %s' % (rc, se.decode().strip()))
        if rss > 150 * 1024 and not SANITIZED:
            problems.append('peak RSS %d MB' % (rss // 1024))
        report('8000 x 8000 JPEG content, --size 48, budget 100 MiB',
               problems, 'decoded at 1/8: runs, peak RSS %d MB' % (rss // 1024))
        if os.path.exists(out):
            os.unlink(out)
    svg = os.path.join(T, 'huge.svg')
    with open(svg, 'w') as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="20000" '
                'height="20000"><rect width="20000" height="10000" '
                'fill="#c83"/></svg>')
    loaders = subprocess.run(['sh', '-c', 'ls /usr/lib/*/gdk-pixbuf-2.0/*/'
                              'loaders/ 2>/dev/null'],
                             capture_output=True).stdout
    if b'svg' in loaders:
        for what, args in (('content', [svg, S]), ('style', [C, svg])):
            out = os.path.join(T, 'out.png')
            rc, so, se, rss = run(args + ['--size', '48', '-i', '2', '-q',
                                          '-o', out], env=budget)
            problems = []
            if rc != 0 or not os.path.exists(out):
                problems.append('exit %s: %s' % (rc, se.decode().strip()))
            if rss > 150 * 1024 and not SANITIZED:
                problems.append('peak RSS %d MB' % (rss // 1024))
            report('20000 x 20000 SVG %s (130 bytes), --size 48, budget 100 '
                   'MiB' % what, problems, 'drawn at the size the run needs: '
                   'runs, peak RSS %d MB' % (rss // 1024))
            if os.path.exists(out):
                os.unlink(out)
        bad_svg = os.path.join(T, 'bad.svg')
        with open(bad_svg, 'w') as f:
            f.write('<svg xmlns="http://www.w3.org/2000/svg" width="10">\n'
                    '<rect></svg>\n')
        refused('malformed SVG', [bad_svg, S] + small, 'cannot read')

    # --- 8. one line, bounded, printable -----------------------------------
    odd = os.path.join(T, 'line\nbreak\x1b[31m.png')
    shutil.copy(C, odd)
    refused('content path with a newline and an escape (missing)',
            [odd + '.missing', S] + small, 'line\\nbreak\\e[31m')
    refused('style-blend value with an escape', [C, S, '--style-blend',
            '\x1b]0;owned\x07'] + small, '\\e]0;owned\\x07')
    refused('output path with a newline in a missing folder',
            [C, S] + small, 'no\\ndir', out=os.path.join(T, 'no\ndir', 'o.png'))
    png(os.path.join(T, 'tiny.png'), 8, 8, rgb=(9, 9, 9))
    refused('late failure without -q (style 8 x 8, after the preamble)',
            [C, os.path.join(T, 'tiny.png'), '--size', '32', '-i', '2'],
            'too small to show a style')
    name = 'n' * (4 << 20)
    header = ('{"%s": 5}' % name).encode()
    longname = os.path.join(T, 'long-name.safetensors')
    with open(longname, 'wb') as f:
        f.write(struct.pack('<Q', len(header)) + header)
    refused('tensor name of 4 MB', [C, S, '--network', longname] + small,
            'is not a JSON object')

    # --- 9. non-ASCII paths --------------------------------------------------
    accented = os.path.join(T, 'poids-é.safetensors')
    shutil.copy(os.path.join(CORPUS, 'valid-one-tensor'), accented)
    for loc in ('C', 'C.UTF-8'):
        refused('--network with é in the path, LC_ALL=%s' % loc,
                [C, S, '--network', accented] + small,
                'poids-é.safetensors: tensor “features.0.weight” (conv1_1) '
                'is missing', env={'LC_ALL': loc})
    accented_png = os.path.join(T, 'photo-é.png')
    shutil.copy(C, accented_png)
    rc, so, se, _ = run([accented_png, S, '-o',
                         os.path.join(T, 'sortie-é.png')] + small,
                        env={'LC_ALL': 'C'})
    report('content and output with é in the path, LC_ALL=C',
           [] if rc == 0 and os.path.exists(os.path.join(T, 'sortie-é.png'))
           else ['exit %s: %s' % (rc, se.decode(errors='replace'))],
           'accepted')

    # --- 10. what cannot be measured ---------------------------------------
    ref = os.path.join(T, 'ref.png')
    run([C, S, S, '--style-blend', '1,1', '-o', ref] + small)
    out = os.path.join(T, 'out.png')
    rc, so, se, _ = run([C, S, S, '--style-blend', '1e308,1e308', '-o', out]
                        + small)
    same = (rc == 0 and os.path.exists(out) and os.path.exists(ref)
            and open(out, 'rb').read() == open(ref, 'rb').read())
    report('--style-blend 1e308,1e308 (the sum overflows)',
           [] if same else ['exit %s, result differs from 1,1: %s'
                            % (rc, se.decode().strip())],
           'the same result as 1,1')
    if os.path.exists(out):
        os.unlink(out)
    refused('style weight 0', [C, S, '--style-weight', '0'] + small,
            'style weight')
    refused('style weight 1e-40', [C, S, '--style-weight', '1e-40'] + small,
            'style weight')
    refused('all weights 0', [C, S, '--style-weight', '0', '--content-weight',
            '0', '--tv-weight', '0'] + small, 'style weight')
    black = os.path.join(T, 'black.png')
    png(black, 64, 64, rgb=(0, 0, 0))
    refused('solid black style', [C, black] + small, 'flat')
    white = os.path.join(T, 'white.png')
    png(white, 64, 64, rgb=(255, 255, 255))
    refused('solid white style', [C, white] + small, 'flat')

    # --- 6. out of memory: said promptly, as out of memory ------------------
    # (not under AddressSanitizer: its shadow memory needs terabytes of
    # address space, so any ulimit -v stops it at start)
    for limit in () if SANITIZED else (100, 150, 300, 600):
        rc, so, se, _ = run([C, S, '--size', '400', '-i', '5', '-q', '-o',
                             os.path.join(T, 'out.png')],
                            prefix=['sh', '-c', 'ulimit -v %d && exec "$0" '
                                    '"$@"' % (limit * 1024)])
        text = se.decode(errors='replace').strip()
        problems = []
        if rc == 0:
            pass  # it fit: fine
        elif rc != 1 or se.count(b'\n') != 1:
            problems.append('exit %s, %d lines' % (rc, se.count(b'\n')))
        elif 'memory' not in text:
            problems.append('not reported as memory')
        if leftovers(T):
            problems.append('left %s' % leftovers(T))
        report('ulimit -v %d MB, --size 400' % limit, problems,
               text.replace(T, 'TMP') or 'fits: runs')
        if os.path.exists(os.path.join(T, 'out.png')):
            os.unlink(os.path.join(T, 'out.png'))
finally:
    shutil.rmtree(T, ignore_errors=True)

sys.exit(cli_cases.finish(TABLE))
