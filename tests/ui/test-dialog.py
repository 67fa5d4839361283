#!/usr/bin/python3
"""The Style Transfer dialog, shown by the real plug-in inside real GIMP 2.10
on a virtual X server (xvfb-run), driven by ui-probe.c (LD_PRELOAD).

Sessions, each a fresh GIMP with a temporary GIMP2_DIRECTORY:
  en      two open images (a photo and a painting), English;
  es      the same with LANGUAGE=es and the build tree's translations;
  alone   one open image with one layer: the dialog must say what to do.

In each, the plug-in is called RUN-INTERACTIVE from Script-Fu.  The probe
finds the widgets, waits until the preview's pixels move away from the
content, saves screenshots of the whole dialog (dialog-<session>.png and
dialog-<session>-advanced.png in the output folder: look at them), then
changes the strength and presses Cancel while the new preview runs; the
preview thread must be gone by the time the dialog is destroyed.

GIMP exits 0 even when a batch command fails, so only the probe's report
counts.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

GIMP = shutil.which("gimp-console-2.10") or shutil.which("gimp-console")

SCRIPT = r"""
(let* ((content (car (gimp-file-load RUN-NONINTERACTIVE "@CONTENT@" "@CONTENT@")))
       (drawable (car (gimp-image-get-active-drawable content)))
       (style-image (if (string=? "@STYLE@" "")
                        -1
                        (car (gimp-file-load RUN-NONINTERACTIVE "@STYLE@" "@STYLE@"))))
       (style (if (= style-image -1)
                  -1
                  (car (gimp-image-get-active-drawable style-image)))))
  (catch #t
    (plug-in-style-transfer RUN-INTERACTIVE content drawable style
                            50 512 0 0 1.0 1.0 0 ""))
  (gimp-message "ST batch done"))
"""

failures = []


def check(what, ok, detail=""):
    print("%s - %s%s" % ("ok" if ok else "not ok", what,
                         (": " + detail) if detail and not ok else ""))
    if not ok:
        failures.append(what)


def make_gimp_dir(root, plugin, probe):
    gimp_dir = os.path.join(root, "gimp")
    for sub in ("brushes", "dynamics", "fonts", "gradients", "palettes",
                "patterns", "tool-presets", "scripts", "mypaint-brushes",
                "plug-ins/style-transfer"):
        os.makedirs(os.path.join(gimp_dir, sub), exist_ok=True)
    target = os.path.join(gimp_dir, "plug-ins", "style-transfer",
                          "style-transfer")
    with open(target, "w") as f:
        f.write("#!/bin/sh\nLD_PRELOAD=%s exec %s \"$@\"\n" % (probe, plugin))
    os.chmod(target, 0o755)
    return gimp_dir


def run_session(tag, args, content, style, env_extra):
    root = tempfile.mkdtemp(prefix="st-ui-%s-" % tag)
    report = os.path.join(args.out, "ui-report-%s.txt" % tag)
    if os.path.exists(report):
        os.remove(report)
    for old in ("dialog-%s.png" % tag, "dialog-%s-advanced.png" % tag):
        if os.path.exists(os.path.join(args.out, old)):
            os.remove(os.path.join(args.out, old))
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("ST_VGG19_WEIGHTS", None)
    env.update({
        "GIMP2_DIRECTORY": make_gimp_dir(root, args.plugin, args.probe),
        "ST_UI_REPORT": report,
        "ST_UI_OUT": args.out,
        "ST_UI_TAG": tag,
        "ST_UI_LOCALEDIR": args.localedir,
        "LANG": "C.UTF-8",
        "LANGUAGE": "en",
    })
    env.update(env_extra)
    script = (SCRIPT.replace("@CONTENT@", content)
              .replace("@STYLE@", style or ""))
    argv = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24",
            GIMP, "-i", "-d", "-f", "-b", script, "-b", "(gimp-quit 0)"]
    t0 = time.time()
    try:
        proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=420)
        log = proc.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        log = (e.stdout or b"").decode("utf-8", "replace") + "\nTIMEOUT\n"
    with open(os.path.join(args.out, "ui-%s.log" % tag), "w") as f:
        f.write(log)
    shutil.rmtree(root, ignore_errors=True)
    print("# session %s: %.1f s, log %s" % (tag, time.time() - t0,
                                            os.path.join(args.out,
                                                         "ui-%s.log" % tag)))
    lines = []
    if os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            lines = [line.rstrip("\n") for line in f]
    for line in lines:
        print("#   " + line)
    return lines, log


def field(lines, prefix, key):
    for line in lines:
        if line.startswith(prefix + " "):
            m = re.search(r"\b%s=(\S*)" % re.escape(key), line)
            if m:
                return m.group(1)
    return None


def first(lines, prefix):
    for line in lines:
        if line.startswith(prefix + " "):
            return line[len(prefix) + 1:]
    return None


def check_full_session(tag, lines, args, title, estimate_word):
    for name in ("st-style", "st-strength", "st-quality", "st-preview",
                 "st-estimate", "st-advanced", "st-network-status"):
        check("%s: widget %s" % (tag, name), ("widget %s found" % name) in lines)
    check("%s: title is %r" % (tag, title), first(lines, "title") == title,
          str(first(lines, "title")))
    check("%s: the style chooser offers the second image" % tag,
          int(field(lines, "style", "items") or 0) >= 1 and
          int(field(lines, "style", "active") or -1) != -1)
    check("%s: quality starts at Balanced" % tag,
          first(lines, "quality") == "1", str(first(lines, "quality")))
    estimate = first(lines, "estimate") or ""
    check("%s: an estimate beside the quality (%r)" % (tag, estimate),
          estimate.startswith(estimate_word), estimate)
    check("%s: the no-style message is hidden" % tag,
          field(lines, "style-missing", "visible") == "0")
    diff = float(field(lines, "preview-changed", "diff") or 0)
    check("%s: the preview's pixels move away from the content (%.1f)"
          % (tag, diff), diff > 4.0)
    for suffix in ("", "-advanced"):
        path = os.path.join(args.out, "dialog-%s%s.png" % (tag, suffix))
        check("%s: screenshot %s" % (tag, path),
              os.path.exists(path) and os.path.getsize(path) > 10000)
    check("%s: Reset puts strength and quality back to 50 and Balanced" % tag,
          field(lines, "before-reset", "strength") == "80" and
          field(lines, "after-reset", "strength") == "50" and
          field(lines, "after-reset", "quality") == "1")
    check("%s: a preview was running when Cancel was pressed" % tag,
          int(field(lines, "cancel-while-running", "alive") or 0) >= 1)
    alive = field(lines, "destroy", "alive")
    ms = int(field(lines, "destroy", "after_cancel_ms") or 99999)
    check("%s: no preview thread left after Cancel (alive=%s)" % (tag, alive),
          alive == "0")
    # The engine looks at the progress callback's answer once per
    # iteration (at most 5 evaluations) and not while it prepares a scale,
    # so the join waits for the current step: well under a second on an
    # idle machine, but once 20 s on two cores at load 10.
    print("# %s: Cancel to thread joined: %d ms" % (tag, ms))
    check("%s: the preview stopped within one engine step (%d ms)"
          % (tag, ms), ms < 30000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--probe", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--localedir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="")
    args = parser.parse_args()

    if not GIMP or not shutil.which("xvfb-run"):
        print("gimp-console or xvfb-run missing: skipped")
        return 77
    os.makedirs(args.out, exist_ok=True)
    content = os.path.join(args.images, "tubingen.jpg")
    style = os.path.join(args.images, "starry_night.jpg")
    only = set(filter(None, args.only.split(",")))

    if not only or "en" in only:
        lines, _ = run_session("en", args, content, style, {})
        check_full_session("en", lines, args, "Style Transfer", "About")

    if not only or "es" in only:
        lines, _ = run_session("es", args, content, style,
                               {"LANGUAGE": "es"})
        check_full_session("es", lines, args, "Transferencia de estilo",
                           "Unos")

    if not only or "alone" in only:
        lines, _ = run_session("alone", args, content, None, {})
        check("alone: the style chooser has nothing to offer",
              field(lines, "style", "active") == "-1")
        check("alone: the dialog says to open the painting",
              field(lines, "style-missing", "visible") == "1" and
              "Open the painting whose style you want as a second image"
              in (first(lines, "style-missing") or ""))
        check("alone: no preview runs without a style",
              field(lines, "no-style", "alive") == "0")
        check("alone: screenshot",
              os.path.exists(os.path.join(args.out, "dialog-alone.png")))

    print("# screenshots and reports in %s" % args.out)
    if failures:
        print("# %d failed: %s" % (len(failures), "; ".join(failures)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
