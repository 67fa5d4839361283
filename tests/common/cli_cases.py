"""Cases of the command line's contract, for the robustness tests
(test-hostile.py, test-review20.py): run the program under a safety
timeout, check that a refusal is one printable line, report each case,
and end with the summary (with --table, Markdown rows for BAD-INPUT.md).
"""
import os
import re
import signal
import subprocess
import tempfile
import threading

failures = []
rows = []
# Paths that messages show as TMP (the tests' temporary folder).
hidden = []


def run(cli, args, env=None, prefix=(), preexec_fn=None, stop_hook=None,
        safety=120):
    """Runs cli with args (after the argv prefix: sh -c '... exec "$0"
    "$@"' for ulimit and closed descriptors).  Returns the exit status
    (negative: killed by that signal; None: hung, killed after safety
    seconds, the safety net against the bug of hanging), stdout, stderr
    and the program's own peak RSS in KiB.  stop_hook (pid) is called
    each time the program stops itself (SIGSTOP), then it continues."""
    e = dict(os.environ)
    e.update(env or {})
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        p = subprocess.Popen(list(prefix) + [cli] + args, stdout=so,
                             stderr=se, env=e, preexec_fn=preexec_fn)
        timer = threading.Timer(safety, p.kill)
        timer.start()
        while True:
            _, status, usage = os.wait4(p.pid, os.WUNTRACED)
            if os.WIFSTOPPED(status):
                if stop_hook:
                    stop_hook(p.pid)
                os.kill(p.pid, signal.SIGCONT)
                continue
            break
        hung = not timer.is_alive()
        timer.cancel()
        p.returncode = 0  # reaped here, not by Popen
        so.seek(0)
        se.seek(0)
        out, err = so.read(), se.read()
    if hung:
        return None, out, b'(hung: killed after %d s)\n' % safety, 0
    rc = (-os.WTERMSIG(status) if os.WIFSIGNALED(status)
          else os.WEXITSTATUS(status))
    return rc, out, err, usage.ru_maxrss


def one_line_problems(rc, err, expect=None, absent=()):
    """What breaks the contract of a refusal: exit 1 and one printable
    line on stderr, "style-transfer: " first, at most 600 bytes, matching
    the regular expression expect, without the words in absent."""
    problems = []
    text = err.decode('utf-8', 'replace')
    if rc != 1:
        problems.append('exit %s' % rc)
    if err.count(b'\n') != 1 or not err.endswith(b'\n'):
        problems.append('%d stderr lines' % err.count(b'\n'))
    if any(c < 0x20 and c != 0x0a or c == 0x7f for c in err):
        problems.append('control characters on stderr')
    if len(err) > 600:
        problems.append('a %d-byte message' % len(err))
    if not text.startswith('style-transfer: '):
        problems.append('no "style-transfer: " prefix')
    if expect and not re.search(expect, text):
        problems.append('message lacks /%s/' % expect)
    for word in absent:
        if word in text:
            problems.append('message says "%s"' % word)
    return problems


def died_of_problems(rc, err, sig):
    """What breaks the contract of a fatal signal: the program dies of
    it, after one line on stderr."""
    problems = []
    if rc != -sig:
        problems.append('exit %s, not death by the signal' % rc)
    if err.count(b'\n') != 1:
        problems.append('%d stderr lines' % err.count(b'\n'))
    return problems


def report(what, problems, message):
    for path in hidden:
        message = message.replace(path, 'TMP')
    if problems:
        failures.append(what)
        print('FAIL %s: %s\n     %s' % (what, '; '.join(problems),
                                        message[:300]))
    else:
        print('ok   %s: %s' % (what, message[:300]))
    # long runs of one character (300-byte names) shortened for the table
    shown = re.sub(r'(.)\1{19,}', lambda m: '%s…(%d)' % (m.group(1) * 3,
                   len(m.group(0))), message)
    rows.append('| %s | `%s` |' % (what, shown.replace('|', '\\|')))


def finish(table):
    """Prints the table when asked and the summary; the exit status."""
    if table:
        print('\n'.join(rows))
    print('%d failed: %s' % (len(failures), ', '.join(failures)) if failures
          else 'all passed')
    return 1 if failures else 0
