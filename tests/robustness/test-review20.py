#!/usr/bin/python3
"""Issue 20: the hostile review's classes, on the command line.

Each case runs the program and requires what the contract says: a refusal
exits 1 with one printable line on stderr, writes nothing (no output, no
temporary file) and changes nothing (inputs, a previous output, a link and
its target stay as they were); a run that must succeed writes a PNG.  No
case depends on timing: signals are raised by the program's test hook at a
known point of the save; a folder is moved while the program is stopped
by its other hook (SIGSTOP before the rename, seen with waitpid), and the
bytes it read are taken from /proc there.  The 120 s limit is a safety net
against a hang, which is the bug, not a window.

Usage: test-review20.py STYLE_TRANSFER MAKE_JPEG [--table]
"""
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'common'))
import cli_cases  # noqa: E402
from cli_cases import (died_of_problems, one_line_problems,  # noqa: E402
                       report)
from tiny_png import chunk, png_bytes  # noqa: E402

CLI = os.path.abspath(sys.argv[1])
MAKE_JPEG = os.path.abspath(sys.argv[2])
TABLE = '--table' in sys.argv
SAFETY = 120
SANITIZED = b'asan' in subprocess.run(['ldd', CLI],
                                      capture_output=True).stdout


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return path


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(args, env=None, shell_prefix=None, stop_hook=None):
    """Exit status (negative: killed by that signal), stdout, stderr.
    shell_prefix: a sh command that ends in exec "$0" "$@" (ulimit, closed
    descriptors).  stop_hook(pid): called while the program is stopped by
    STYLE_TRANSFER_TEST_STOP_BEFORE_RENAME."""
    prefix = ['sh', '-c', shell_prefix] if shell_prefix else ()
    rc, out, err, _ = cli_cases.run(CLI, args, env=env, prefix=prefix,
                                    preexec_fn=no_core, stop_hook=stop_hook,
                                    safety=SAFETY)
    return rc, out, err


def temporaries(d):
    return sorted(n for n in os.listdir(d) if n.startswith('.style-transfer-'))


def refused(what, args, expect=None, out=None, absent=(), keep=(), env=None,
            shell_prefix=None):
    """Exit 1, one line, nothing written, the files in keep unchanged."""
    out = out or os.path.join(T, 'out.png')
    before = {p: read(p) for p in keep}
    existed = os.path.lexists(out)
    rc, so, se = run(args + ['-o', out], env=env, shell_prefix=shell_prefix)
    problems = one_line_problems(rc, se, expect, absent)
    if not existed and os.path.lexists(out):
        problems.append('output written')
    d = os.path.dirname(out) if os.path.isdir(os.path.dirname(out)) else T
    if temporaries(d):
        problems.append('left %s' % temporaries(d))
    for p, data in before.items():
        if read(p) != data:
            problems.append('%s changed' % os.path.basename(p))
    report(what, problems, se.decode('utf-8', 'replace').strip())


def succeeds(what, args, out, outcome, env=None, check=None):
    rc, so, se = run(args + ['-o', out], env=env)
    problems = []
    if rc != 0:
        problems.append('exit %s: %s' % (rc, se.decode(errors='replace')))
    elif not read(out).startswith(b'\x89PNG'):
        problems.append('no PNG written')
    if check:
        problems += check(rc, so, se)
    report(what, problems, outcome)
    return rc, so, se


T = tempfile.mkdtemp(prefix='st-review20-')
cli_cases.hidden.append(T)
try:
    C = write(os.path.join(T, 'content.png'),
              png_bytes(40, 30, lambda x, y: (90 + x, 100 + y, 110)))
    S = write(os.path.join(T, 'style.png'),
              png_bytes(32, 32, lambda x, y: (250, 200, 40)
                        if (x + 2 * y) % 9 < 4 else (20, 40, 180)))
    S2 = write(os.path.join(T, 'style2.png'), read(S)[:])
    small = ['--size', '32', '-i', '2', '-q']
    REF = os.path.join(T, 'reference.png')
    rc, _, se = run([C, S] + small + ['-o', REF])
    assert rc == 0, se

    # --- 3. the output is an input, by any path ---------------------------
    os.chdir(T)
    refused('-o the content, by the same path', [C, S] + small,
            'same file as the content image', out=C, keep=[C])
    refused('-o the content as ./content.png', [C, S] + small,
            'same file as the content image', out='./content.png', keep=[C])
    refused('-o the content by a path through ..', [C, S] + small,
            'same file as the content image',
            out=os.path.join(T, '..', os.path.basename(T), 'content.png'),
            keep=[C])
    link = os.path.join(T, 'link-to-style.png')
    os.symlink(S, link)
    refused('-o a symlink to the style', [C, S] + small,
            'same file as the style image', out=link, keep=[S])
    hard = os.path.join(T, 'hard-link-to-style.png')
    os.link(S, hard)
    refused('-o a hard link to the style', [C, S] + small,
            'same file as the style image', out=hard, keep=[S])
    refused('-o the second style', [C, S, S2] + small,
            'same file as the style image', out=S2, keep=[S2])
    net = write(os.path.join(T, 'weights.safetensors'), b'x' * 16)
    refused('-o the network file', [C, S, '--network', net] + small,
            'same file as the network file', out=net, keep=[net])

    # --- 4. closed standard descriptors -------------------------------------
    ref = read(REF)
    for what, redirect in (('stdout closed (>&-)', '>&-'),
                           ('stdin closed (<&-)', '<&-'),
                           ('stderr closed (2>&-)', '2>&-'),
                           ('stdin, stdout and stderr closed',
                            '<&- >&- 2>&-')):
        out = os.path.join(T, 'closed.png')
        write(out, b'a good earlier output')
        rc, so, se = run([C, S, '--size', '32', '-i', '2', '-o', out],
                         shell_prefix='exec "$0" "$@" %s' % redirect)
        report(what, ([] if rc == 0 else ['exit %s' % rc])
               + ([] if read(out) == ref
                  else ['the output is not the reference PNG (%d bytes)'
                        % len(read(out))])
               + (['left %s' % temporaries(T)] if temporaries(T) else []),
               'the result is the same PNG as with them open')
    out = os.path.join(T, 'closed.png')
    write(out, b'a good earlier output')
    rc, so, se = run([C, os.path.join(T, 'missing.png')] + small + ['-o', out],
                     shell_prefix='exec "$0" "$@" >&- 2>&-')
    report('stdout and stderr closed, a failing run',
           ([] if rc == 1 else ['exit %s' % rc])
           + ([] if read(out) == b'a good earlier output'
              else ['the earlier output changed'])
           + (['left %s' % temporaries(T)] if temporaries(T) else []),
           'exit 1, the earlier output unchanged')

    # --- 5. -o a symlink: written through, the link kept ---------------------
    target = write(os.path.join(T, 'target.png'), b'old')
    link = os.path.join(T, 'link.png')
    os.symlink('target.png', link)
    succeeds('-o a symlink to a regular file', [C, S] + small, link,
             'the target is written, the link stays',
             check=lambda rc, so, se: ([] if os.path.islink(link)
                                       and read(target) == ref
                                       else ['link replaced or target not '
                                             'written']))
    chain = os.path.join(T, 'chain.png')
    os.symlink('link.png', chain)
    write(target, b'old')
    succeeds('-o a chain of symlinks', [C, S] + small, chain,
             'the final target is written, both links stay',
             check=lambda rc, so, se: ([] if os.path.islink(chain)
                                       and os.path.islink(link)
                                       and read(target) == ref
                                       else ['a link replaced or target not '
                                             'written']))
    dangling = os.path.join(T, 'dangling.png')
    os.symlink('created-by-link.png', dangling)
    succeeds('-o a symlink to a file not yet made', [C, S] + small, dangling,
             'the target is created, the link stays',
             check=lambda rc, so, se: ([] if os.path.islink(dangling)
                                       and read(os.path.join(
                                           T, 'created-by-link.png')) == ref
                                       else ['link replaced or target not '
                                             'made']))
    to_dir = os.path.join(T, 'link-to-folder.png')
    os.makedirs(os.path.join(T, 'folder'))
    os.symlink('folder', to_dir)
    refused('-o a symlink to a folder', [C, S] + small, 'Is a directory',
            out=to_dir)
    loop = os.path.join(T, 'loop.png')
    os.symlink('loop.png', loop)
    refused('-o a symlink to itself', [C, S] + small, 'symbolic links',
            out=loop)
    report('the refused links stay links',
           [] if os.path.islink(to_dir) and os.path.islink(loop)
           else ['a link was replaced'], 'unchanged')

    # --- 6. truncated and corrupt images -------------------------------------
    good = png_bytes(120, 90, lambda x, y: ((x * 7) % 256, (y * 5) % 256,
                                            ((x + y) * 3) % 256))
    jpeg = os.path.join(T, 'baseline.jpg')
    pjpeg = os.path.join(T, 'progressive.jpg')
    subprocess.run([MAKE_JPEG, jpeg, '400', '300'], check=True)
    subprocess.run([MAKE_JPEG, pjpeg, '400', '300', 'progressive'],
                   check=True)
    j, pj = read(jpeg), read(pjpeg)
    mid = len(good) // 2
    raw = b''.join(b'\0' + bytes(v for x in range(120)
                                 for v in ((x * 7) % 256, (y * 5) % 256, 9))
                   for y in range(90))
    z = zlib.compress(raw, 9)
    head = (b'\x89PNG\r\n\x1a\n'
            + chunk(b'IHDR', struct.pack('>IIBBBBB', 120, 90, 8, 2, 0, 0, 0)))
    tiny = (head[:8] + chunk(b'IHDR', struct.pack('>IIBBBBB', 4000, 4000, 8,
                                                   2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\0' * 4)[:8]))[:53]
    bad = [
        ('PNG cut to a third', 'third.png', good[:len(good) // 3]),
        ('PNG with IEND planted in its data', 'iend.png',
         good[:mid] + chunk(b'IEND', b'') + good[mid + 12:]),
        ('PNG with IEND between its IDAT chunks', 'iend2.png',
         head + chunk(b'IDAT', z[:len(z) // 2]) + chunk(b'IEND', b'')
         + chunk(b'IDAT', z[len(z) // 2:]) + chunk(b'IEND', b'')),
        ('53-byte PNG declaring 4000 x 4000', 'tiny.png', tiny),
        ('JPEG cut to a third', 'third.jpg', j[:len(j) // 3]),
        ('JPEG with EOI planted in the middle', 'eoi.jpg',
         j[:len(j) // 2] + b'\xff\xd9' + j[len(j) // 2:]),
        ('progressive JPEG cut to a third', 'pthird.jpg', pj[:len(pj) // 3]),
    ]
    for what, name, data in bad:
        path = write(os.path.join(T, name), data)
        refused('%s, as content' % what, [path, S] + small,
                r'cannot read .*(truncated|corrupt)')
        refused('%s, as style' % what, [C, path] + small,
                r'cannot read .*(truncated|corrupt)')

    # --- 8. hangs -------------------------------------------------------------
    flat = os.path.join(T, 'flat.jpg')
    subprocess.run([MAKE_JPEG, flat, '2048', '2048', 'progressive', 'flat'],
                   check=True)
    f = read(flat)
    # the last scan (SOS to the next marker), repeated 50,000 times
    sos = f.rindex(b'\xff\xda')
    end = f.rindex(b'\xff\xd9')
    scans = write(os.path.join(T, 'scans.jpg'),
                  f[:end] + f[sos:end] * 50000 + f[end:])
    refused('progressive JPEG with one scan repeated 50,000 times (%d KB)'
            % (len(read(scans)) // 1024), [scans, S] + small, 'scans')

    def tail_case(what, name, data):
        path = write(os.path.join(T, name), data)
        os.truncate(path, 64 << 30)  # a sparse tail of 64 GiB
        seen = {}

        def look(pid):
            with open('/proc/%d/io' % pid) as f:
                seen.update(l.split(': ') for l in f.read().split('\n') if l)
        out = os.path.join(T, 'tail-out.png')
        rc, so, se = run([path, S] + small + ['-o', out],
                         env={'STYLE_TRANSFER_TEST_STOP_BEFORE_RENAME': '1'},
                         stop_hook=look)
        read_bytes = int(seen.get('rchar', -1))
        report(what, ([] if rc == 0 else ['exit %s: %s' % (rc, se)])
               + ([] if 0 <= read_bytes < 64 << 20
                  else ['read %d bytes' % read_bytes]),
               'runs; %d MB read in all' % (read_bytes >> 20))
        os.unlink(path)
    tail_case('PNG followed by a 64 GiB sparse tail', 'tail.png', good)
    tail_case('JPEG followed by a 64 GiB sparse tail', 'tail.jpg', j)

    # the estimate's calibration under a tight address space, one thread:
    # ends, with the result or an out-of-memory message
    for limit in () if SANITIZED else range(200, 280, 10):
        out = os.path.join(T, 'out.png')
        rc, so, se = run([C, S, '--size', '64', '-i', '2', '-t', '1', '-q',
                          '-o', out],
                         shell_prefix='ulimit -v %d && exec "$0" "$@"'
                         % (limit * 1024))
        text = se.decode(errors='replace').strip()
        problems = []
        if rc is None:
            problems.append('hung')
        elif rc != 0 and (rc != 1 or 'out of memory' not in text):
            problems.append('exit %s' % rc)
        if temporaries(T):
            problems.append('left %s' % temporaries(T))
        report('ulimit -v %d MB, one thread' % limit, problems,
               text or 'fits: runs')
        if os.path.exists(out):
            os.unlink(out)

    # --- 9. signals and a moved folder -------------------------------------
    fatal = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGVTALRM,
             signal.SIGPROF, signal.SIGXCPU, signal.SIGTERM, signal.SIGINT,
             signal.SIGHUP, signal.SIGQUIT, signal.SIGPOLL, signal.SIGPWR,
             signal.SIGSYS, signal.SIGTRAP, signal.SIGABRT,
             signal.SIGRTMIN, signal.SIGRTMAX]
    if not SANITIZED:
        fatal += [signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL]
    out = os.path.join(T, 'out.png')
    for sig in fatal:
        write(out, b'a good earlier output')
        rc, so, se = run([C, S, '-o', out] + small,
                         env={'STYLE_TRANSFER_TEST_SIGNAL_IN_SAVE':
                              str(int(sig))})
        problems = died_of_problems(rc, se, sig)
        if read(out) != b'a good earlier output':
            problems.append('the earlier output changed')
        if temporaries(T):
            problems.append('left %s' % temporaries(T))
        report('%s during the save' % signal.Signals(sig).name, problems,
               se.decode().strip())
    os.unlink(out)

    for what, replace in (('the output folder renamed during the run', False),
                          ('the output folder replaced by another one',
                           True)):
        d = os.path.join(T, 'outdir')
        moved = os.path.join(T, 'outdir-moved')
        os.makedirs(d)

        def move(pid):
            os.rename(d, moved)
            if replace:
                os.makedirs(d)
        rc, so, se = run([C, S] + small + ['-o', os.path.join(d, 'o.png')],
                         env={'STYLE_TRANSFER_TEST_STOP_BEFORE_RENAME': '1'},
                         stop_hook=move)
        problems = one_line_problems(rc, se, 'moved or removed')
        for folder in (d, moved):
            if os.path.isdir(folder) and os.listdir(folder):
                problems.append('%s holds %s' % (os.path.basename(folder),
                                                 os.listdir(folder)))
        report(what, problems, se.decode().strip())
        shutil.rmtree(moved, ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)

    # --- 10. decimal numbers only -----------------------------------------
    def width_is(n):
        return lambda rc, so, se: ([] if struct.unpack(
            '>I', read(os.path.join(T, 'num.png'))[16:20])[0] == n
            else ['width %d, not %d' % (struct.unpack(
                '>I', read(os.path.join(T, 'num.png'))[16:20])[0], n)])
    num = os.path.join(T, 'num.png')
    succeeds('--size 0100', [C, S, '--size', '0100', '-i', '1', '-q'], num,
             'paints at 100 px, not 64', check=width_is(100))
    succeeds('-s 064', [C, S, '-s', '064', '-i', '1', '-q'], num,
             'paints at 64 px, not 52', check=width_is(64))
    succeeds('--iterations 010', [C, S, '--size', '32', '--iterations', '010'],
             num, 'runs 10 iterations, not 8',
             check=lambda rc, so, se: [] if b' 10 iterations' in so
             else ['progress says %r' % so])
    refused('--size 0x40', [C, S, '--size', '0x40', '-i', '1'],
            'not a whole number')
    refused('--threads 1e3', [C, S, '--threads', '1e3'] + small[2:],
            'not a whole number')
    refused('--strength 0x1p5', [C, S, '--strength', '0x1p5'] + small,
            'not a number')

    # --- 11. clear messages -------------------------------------------------
    for flag in ('--style-weight', '--content-weight', '--tv-weight'):
        for value in ('0', '1e9'):
            out = os.path.join(T, 'w.png')
            rc, so, se = run([C, S, flag, value] + small + ['-o', out])
            text = se.decode().strip()
            name = flag[2:].replace('-', ' ').replace('tv weight',
                                                      '(tv|TV) weight')
            problems = []
            if rc not in (0, 1):
                problems.append('exit %s' % rc)
            if rc == 1 and (not re.search(name, text)
                            or 'painting' in text or 'style image' in text):
                problems.append('the message does not name the weight')
            report('%s %s' % (flag, value), problems,
                   text or 'runs: the weight is usable')
    refused('ulimit -n 5', [C, S] + small, 'ulimit -n',
            absent=('Unrecognized',),
            shell_prefix='ulimit -n 5 && exec "$0" "$@"')
    big = os.path.join(T, 'big.jpg')
    subprocess.run([MAKE_JPEG, big, '3000', '2000'], check=True)
    for limit in () if SANITIZED else (250, 300, 400, 500):
        out = os.path.join(T, 'out.png')
        # 3 iterations a scale: where the limit leaves room for a run, it
        # paints (at the size the budget allows) in seconds, not minutes
        rc, so, se = run([big, S, '-q', '-i', '3', '-o', out],
                         shell_prefix='ulimit -v %d && exec "$0" "$@"'
                         % (limit * 1024))
        text = se.decode(errors='replace').strip()
        problems = [] if rc in (0, 1) else ['exit %s' % rc]
        if re.search(r'\b0 bytes', text):
            problems.append('says "0 bytes"')
        report('ulimit -v %d MB, a 3000 x 2000 content' % limit, problems,
               text or 'runs')
        if os.path.exists(out):
            os.unlink(out)
    for var, value in (('ST_BLAS', 'libnosuchblas.so'),
                       ('ST_CPU', 'avx9000'),
                       ('ST_MEMORY_BUDGET', '2GB'),
                       ('ST_MEMORY_BUDGET', '0'),
                       ('ST_MEMORY_BUDGET', '-5'),
                       ('ST_VGG19_WEIGHTS', os.path.join(T, 'none')),
                       ('ST_NO_CALIBRATION', '0')):
        out = os.path.join(T, 'env.png')
        rc, so, se = run([C, S] + small + ['-o', out], env={var: value})
        lines = se.decode(errors='replace').strip().split('\n')
        problems = [] if rc == 0 else ['exit %s' % rc]
        if (len(lines) != 1 or not lines[0].startswith(
                'style-transfer: warning: %s=' % var)):
            problems.append('not one warning naming %s: %r' % (var, lines))
        report('%s=%s' % (var, value), problems, lines[0])
    rc, so, se = run([C, S] + small + ['-o', os.path.join(T, 'env.png')],
                     env={'ST_BLAS': 'builtin', 'ST_CPU': 'portable',
                          'ST_MEMORY_BUDGET': '512',
                          'ST_NO_CALIBRATION': '1'})
    report('valid ST_* values', [] if rc == 0 and not se
           else ['exit %s, stderr %r' % (rc, se)], 'no warning')
    for what, name in (('a newline', 'new\nline.png'),
                       ('an escape and a tab', 'esc\x1b[31m\tx.png'),
                       ('a byte that is not UTF-8', b'latin\xe9.png')):
        path = (os.path.join(T.encode(), name) if isinstance(name, bytes)
                else os.path.join(T, name))
        rc, so, se = run([C, S] + small + ['-o', path])
        want = (path if isinstance(path, bytes) else path.encode()) + b'\n'
        report('the output name on stdout, with %s' % what,
               [] if rc == 0 and so == want
               else ['exit %s, stdout %r' % (rc, so)],
               'stdout is the path as given')
finally:
    os.chdir('/')
    shutil.rmtree(T, ignore_errors=True)

sys.exit(cli_cases.finish(TABLE))
