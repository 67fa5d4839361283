"""What the GIMP, install and package tests share: one "ok - WHAT" or
"not ok - WHAT: detail" line per check (TAP's words), the failures kept
for the closing summary; a command run with its output in a log file;
a text file read whole.
"""
import subprocess

failures = []


def check(what, ok, detail=""):
    print("%s - %s%s" % ("ok" if ok else "not ok", what,
                         (": " + str(detail)) if detail and not ok else ""))
    if not ok:
        failures.append(what)
    return ok


def summary():
    """Prints which checks failed; the exit status."""
    if failures:
        print("# %d failed: %s" % (len(failures), "; ".join(failures)))
        return 1
    return 0


def run_logged(argv, log, timeout, env=None, cwd=None):
    """argv's exit status, or "timeout"; its output, both streams, in
    the file log."""
    with open(log, "w") as f:
        try:
            return subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT,
                                  timeout=timeout, env=env,
                                  cwd=cwd).returncode
        except subprocess.TimeoutExpired:
            return "timeout"


def read_text(path):
    """The file's text ("" when it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""
