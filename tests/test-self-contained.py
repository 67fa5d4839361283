#!/usr/bin/env python3
"""Every test and build file stays inside the repository: a clone with
nothing beside it (no shared folder, no workspace) must build and pass its
tests.  Fails, naming file and line, on any path that climbs above the
repository's root or names this workspace's folders.

Usage: test-self-contained.py SOURCE_ROOT"""
import os
import re
import subprocess
import sys

ROOT = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else ".")
SELF = os.path.realpath(__file__)

# What is a test or build file: everything under these folders, and these
# names anywhere.
FOLDERS = ("tests", "build-aux", ".ci")
NAMES = ("meson.build", "meson_options.txt", "run-tests.sh",
         "stylize-sample.sh")
TEXT = (".py", ".sh", ".c", ".h", ".build", ".txt", ".scm", ".ini", "")

# Paths that leave the clone whatever the folder they are read from.
ANYWHERE = [
    (re.compile(r"\.\./+shared\b"), "the workspace's shared folder"),
    (re.compile(r"""['"]\.\.['"]\s*[,/]\s*['"]shared['"]"""),
     "the workspace's shared folder"),
    (re.compile(r"(?<![\w.])/work/"), "an absolute path of this workspace"),
    (re.compile(r"project_source_root\s*\(\s*\)\s*/\s*'\.\.'"),
     "a path above the source root"),
]
# A relative string literal in a meson.build, resolved from its folder.
MESON_LITERAL = re.compile(r"'((?:\.\./)+[^']*|\.\.)'")


def tracked_files():
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"],
                             capture_output=True, check=True).stdout
        return [p for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if not x.startswith(("build", ".git"))]
            files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
        return files


def is_build_or_test(rel):
    parts = rel.split("/")
    return (parts[0] in FOLDERS or parts[-1] in NAMES) \
        and os.path.splitext(rel)[1] in TEXT


def problems(rel):
    path = os.path.join(ROOT, rel)
    if os.path.realpath(path) == SELF or not os.path.isfile(path):
        return []
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except UnicodeDecodeError:
        return []
    found = []
    for n, line in enumerate(lines, 1):
        for pattern, why in ANYWHERE:
            if pattern.search(line):
                found.append("%s:%d: %s: %s" % (rel, n, why, line.strip()))
        if os.path.basename(rel) == "meson.build":
            for lit in MESON_LITERAL.findall(line):
                target = os.path.normpath(
                    os.path.join(os.path.dirname(path), lit))
                if os.path.relpath(target, ROOT).startswith(".."):
                    found.append("%s:%d: '%s' is outside the repository"
                                 % (rel, n, lit))
    return found


def main():
    files = [f for f in tracked_files() if is_build_or_test(f)]
    found = [p for f in files for p in problems(f)]
    for p in found:
        print("FAIL " + p)
    print("# %d test and build files checked, %d paths outside the "
          "repository" % (len(files), len(found)))
    return 1 if found or not files else 0


if __name__ == "__main__":
    sys.exit(main())
