#!/usr/bin/python3
"""Checks of the translations (suite 'po').

  complete   msgfmt --check --statistics: every message of each language in
             po/LINGUAS translated, none fuzzy, formats consistent;
  sources    a POT regenerated now with xgettext from po/POTFILES (the
             keywords of meson's 'glib' preset) has no msgid that a
             language lacks: a new string without a translation fails;
  potfiles   every file of plugin/ and ui/ that marks strings is listed in
             po/POTFILES, and every listed file exists;
  detects    the 'sources' check, run on a copy of the tree with one new
             marked string, does fail (so that it cannot pass vacuously);
  progress   the progress bar's text, in each language, filled in as GIMP
             shows it ("2 min 5 s", scale 2/4, iteration 109/126), starts
             with the time left and fits GIMP's status bar (48 characters).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# What i18n.gettext(..., preset : 'glib') passes to xgettext.
XGETTEXT_ARGS = [
    "--from-code=UTF-8", "--add-comments",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3",
    "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format",
    "--flag=NC_:2:pass-c-format", "--flag=g_dngettext:2:pass-c-format",
    "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format",
    "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
]

MARKED = re.compile(r"\b(?:N?C?_|g_dn?gettext|g_dpgettext2)\s*\(")

failures = []


def check(what, ok, detail=""):
    print("%s - %s" % ("ok" if ok else "not ok", what))
    if detail and not ok:
        for line in detail.rstrip().splitlines():
            print("#   " + line)
    if not ok:
        failures.append(what)


def languages(src):
    with open(os.path.join(src, "po", "LINGUAS"), encoding="utf-8") as f:
        return [w for line in f for w in line.split("#")[0].split()]


def potfiles(src):
    with open(os.path.join(src, "po", "POTFILES"), encoding="utf-8") as f:
        return [line.strip() for line in f
                if line.strip() and not line.lstrip().startswith("#")]


def untranslated(src, lang, workdir):
    """The entries of a POT regenerated from the sources that po/<lang>.po
    does not translate (missing, empty or fuzzy), as PO text; "" if none."""
    pot = os.path.join(workdir, "sources.pot")
    merged = os.path.join(workdir, "merged.po")
    subprocess.run(["xgettext"] + XGETTEXT_ARGS +
                   ["--package-name=gimp-style-transfer", "-D", src,
                    "-f", os.path.join(src, "po", "POTFILES"), "-o", pot],
                   check=True, cwd=src)
    subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching",
                    os.path.join(src, "po", lang + ".po"), pot, "-o", merged],
                   check=True)
    missing = []
    for select in ("--untranslated", "--only-fuzzy"):
        proc = subprocess.run(["msgattrib", select, "--no-obsolete",
                               "--no-wrap", merged],
                              stdout=subprocess.PIPE, check=True)
        text = proc.stdout.decode("utf-8", "replace")
        # Drop the header entry (msgid "").
        entries = [e for e in text.split("\n\n")
                   if "msgid " in e and not re.search(r'^msgid ""$\n^msgstr ""$\n"',
                                                       e, re.M)]
        missing += entries
    return "\n\n".join(missing)


PROGRESS_MSGID = "About %s left · scale %d/%d, step %d/%d"
PROGRESS_WIDTH = 48


def translations(po):
    """msgid -> msgstr of a PO file (single-form entries)."""
    text = subprocess.run(["msgcat", "--no-wrap", po], stdout=subprocess.PIPE,
                          check=True).stdout.decode("utf-8")
    found = {}
    for m in re.finditer(r'^msgid "(.*)"\nmsgstr "(.*)"$', text, re.M):
        found[m.group(1).encode().decode("unicode_escape").encode(
            "latin-1").decode("utf-8")] = m.group(2).encode().decode(
                "unicode_escape").encode("latin-1").decode("utf-8")
    return found


def fill_c_format(fmt, values):
    """A C format with %s/%d or positional %N$s/%N$d, filled in."""
    n = [0]

    def one(m):
        if m.group(0) == "%%":
            return "%"
        if m.group(1):
            i = int(m.group(1)) - 1
        else:
            i = n[0]
            n[0] += 1
        return str(values[i])
    return re.sub(r"%%|%(?:(\d+)\$)?[sd]", one, fmt)


def check_progress(src, lang):
    msgstr = translations(os.path.join(src, "po", lang + ".po")).get(
        PROGRESS_MSGID, "")
    check("%s: the progress text is translated" % lang, msgstr != "",
          PROGRESS_MSGID)
    if not msgstr:
        return
    for time_left in ("2 min 5 s", "45 s"):
        text = fill_c_format(msgstr, [time_left, 2, 4, 109, 126])
        check("%s: progress %r starts with the time left and has at most "
              "%d characters" % (lang, text, PROGRESS_WIDTH),
              text.find(time_left) in range(0, 14)
              and len(text) <= PROGRESS_WIDTH, text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    args = parser.parse_args()
    src = os.path.abspath(args.source)
    work = tempfile.mkdtemp(prefix="st-po-")

    try:
        for lang in languages(src):
            po = os.path.join(src, "po", lang + ".po")
            proc = subprocess.run(["msgfmt", "--check", "--statistics",
                                   "-o", os.devnull, po],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
            out = proc.stdout.decode("utf-8", "replace")
            print("# %s: %s" % (lang, out.strip()))
            check("%s.po passes msgfmt --check" % lang, proc.returncode == 0,
                  out)
            check("%s.po is complete (no fuzzy or untranslated)" % lang,
                  re.match(r"^\d+ translated messages?\.\s*$", out) is not None,
                  out)

            out = untranslated(src, lang, work)
            check("%s.po translates every string in po/POTFILES" % lang,
                  out == "", out)
            check_progress(src, lang)

        with open(os.path.join(src, "plugin", "render.c"),
                  encoding="utf-8") as f:
            check("plugin/render.c shows the progress text checked here",
                  '_ ("%s")' % PROGRESS_MSGID in f.read())
        english = fill_c_format(PROGRESS_MSGID, ["2 min 5 s", 2, 4, 109, 126])
        check("en: progress %r has at most %d characters"
              % (english, PROGRESS_WIDTH), len(english) <= PROGRESS_WIDTH)

        listed = potfiles(src)
        for path in listed:
            check("POTFILES entry %s exists" % path,
                  os.path.isfile(os.path.join(src, path)))
        for folder in ("plugin", "ui"):
            if not os.path.isdir(os.path.join(src, folder)):
                continue
            for name in sorted(os.listdir(os.path.join(src, folder))):
                if not name.endswith(".c"):
                    continue
                path = folder + "/" + name
                with open(os.path.join(src, path), encoding="utf-8") as f:
                    marks = MARKED.search(f.read()) is not None
                if marks:
                    check("%s, which marks strings, is in POTFILES" % path,
                          path in listed)

        # The negative control: one new string, and the check must fail.
        copy = os.path.join(work, "tree")
        for folder in ("po", "plugin", "ui"):
            if os.path.isdir(os.path.join(src, folder)):
                shutil.copytree(os.path.join(src, folder),
                                os.path.join(copy, folder))
        with open(os.path.join(copy, "ui", "new-string.c"), "w") as f:
            f.write('const char *s (void) { return _("A string nobody '
                    'translated yet"); }\n')
        with open(os.path.join(copy, "po", "POTFILES"), "a") as f:
            f.write("ui/new-string.c\n")
        for lang in languages(src):
            out = untranslated(copy, lang, work)
            check("a new string without a %s translation is caught" % lang,
                  "A string nobody translated yet" in out, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if failures:
        print("# %d failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
