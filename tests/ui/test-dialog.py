#!/usr/bin/python3
"""The Style Transfer dialog, shown by the real plug-in inside real GIMP 2.10
on a virtual X server (xvfb-run), driven by ui-probe.c (LD_PRELOAD).

Sessions, each a fresh GIMP with a temporary GIMP2_DIRECTORY holding the
plug-in as a user installs it (the binary with data/paintings beside it)
and GIMP 2.10's default Dark theme:
  en      two open images (a photo and a painting), English; the open
          painting is chosen by its name, the installed paintings are
          offered, and "From file..." adds a picture from disk;
  es      the same with LANGUAGE=es and the build tree's translations;
  alone   one open image: the first installed painting is chosen and
          previewed, OK is the default; then the Preview check box: a new
          setting keeps the last painting on screen while the preview
          restarts, off stops the preview worker at once and shows the
          photo, a setting changed while off starts nothing; the dialog
          opened again finds Preview off (remembered), and on again it
          starts the preview;
  bare    one open image and no paintings installed: the dialog says what
          to do, OK is insensitive and not the default button;
  named   a copy of an installed painting opened in GIMP as the style:
          the chooser names it by the painting's title;
  zoom    the photo at its own 1024 x 768: zoom in (the last painting
          stays on screen, magnified, then the middle of the layer is
          painted anew), Preview off shows the photo of that part,
          dragging pans, Ctrl and the wheel zoom, the last zoom is 100 %.

Every session also checks the chooser's rows: no text is cut (the row
text laid out as the chooser's renderer lays it out), every painting has
a year or its painter's years, and no image appears by GIMP's window
title ("[starry-night] (imported)").

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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
from checks import check, summary  # noqa: E402

GIMP = shutil.which("gimp-console-2.10") or shutil.which("gimp-console")

SCRIPT = r"""
(let* ((content (car (gimp-file-load RUN-NONINTERACTIVE "@CONTENT@" "@CONTENT@")))
       (scaled (if (> @WIDTH@ 0) (gimp-image-scale content @WIDTH@ @HEIGHT@) 0))
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
  (if @TWICE@
      (catch #t
        (plug-in-style-transfer RUN-INTERACTIVE content drawable style
                                50 512 0 0 1.0 1.0 0 "")))
  (gimp-message "ST batch done"))
"""

def make_gimp_dir(root, plugin, probe, paintings):
    gimp_dir = os.path.join(root, "gimp")
    for sub in ("brushes", "dynamics", "fonts", "gradients", "palettes",
                "patterns", "tool-presets", "scripts", "mypaint-brushes",
                "plug-ins/style-transfer"):
        os.makedirs(os.path.join(gimp_dir, sub), exist_ok=True)
    folder = os.path.join(gimp_dir, "plug-ins", "style-transfer")
    # GIMP runs the executable named like its folder (any extension cut),
    # so the real binary gets a name of its own; it finds its paintings
    # beside itself, as installed.
    real = os.path.join(folder, "real-binary")
    shutil.copy2(plugin, real)
    if paintings:
        shutil.copytree(paintings, os.path.join(folder, "paintings"))
    target = os.path.join(folder, "style-transfer")
    with open(target, "w") as f:
        f.write("#!/bin/sh\nLD_PRELOAD=%s exec %s \"$@\"\n" % (probe, real))
    os.chmod(target, 0o755)
    # GIMP 2.10's default theme, as GIMP itself writes themerc.
    theme = "/usr/share/gimp/2.0/themes/Dark/gtkrc"
    if os.path.exists(theme):
        with open(os.path.join(gimp_dir, "themerc"), "w") as f:
            f.write('include "%s"\n' % theme)
    return gimp_dir


def run_session(tag, args, content, style, env_extra, paintings=True,
                size=(0, 0), twice=False):
    root = tempfile.mkdtemp(prefix="st-ui-%s-" % tag)
    report = os.path.join(args.out, "ui-report-%s.txt" % tag)
    if os.path.exists(report):
        os.remove(report)
    for old in ("dialog-%s.png" % tag, "dialog-%s-advanced.png" % tag,
                "dialog-%s-styles.png" % tag,
                "dialog-%s-file-chooser.png" % tag,
                "dialog-%s-split.png" % tag, "dialog-%s-zoom.png" % tag,
                "dialog-%s-zoom-100.png" % tag,
                "dialog-%s-preview-off.png" % tag):
        if os.path.exists(os.path.join(args.out, old)):
            os.remove(os.path.join(args.out, old))
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("ST_VGG19_WEIGHTS", None)
    env.update({
        "GIMP2_DIRECTORY": make_gimp_dir(
            root, args.plugin, args.probe,
            args.paintings if paintings else None),
        "ST_UI_REPORT": report,
        "ST_UI_OUT": args.out,
        "ST_UI_TAG": tag,
        "ST_UI_LOCALEDIR": args.localedir,
        "LANG": "C.UTF-8",
        "LANGUAGE": "en",
    })
    env.update(env_extra)
    script = (SCRIPT.replace("@CONTENT@", content)
              .replace("@WIDTH@", str(size[0]))
              .replace("@HEIGHT@", str(size[1]))
              .replace("@STYLE@", style or "")
              .replace("@TWICE@", "#t" if twice else "#f"))
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


def text_field(lines, prefix):
    """The text= field, which runs to the end of the line."""
    for line in lines:
        if line.startswith(prefix + " "):
            m = re.search(r"\btext=(.*)$", line)
            if m:
                return m.group(1)
    return None


def first(lines, prefix):
    for line in lines:
        if line.startswith(prefix + " "):
            return line[len(prefix) + 1:]
    return None


def rows(lines):
    """The chooser's rows: (kind, cut, text)."""
    found = []
    for line in lines:
        m = re.match(r"row kind=(\d+) cut=(\d+) text=(.*)$", line)
        if m:
            found.append((int(m.group(1)), m.group(2) == "1", m.group(3)))
    return found


def check_rows(tag, lines):
    found = rows(lines)
    check("%s: the chooser's rows are reported" % tag, len(found) >= 1,
          str(found))
    cut = [t for _, c, t in found if c]
    check("%s: no row's text is cut" % tag, not cut, str(cut))
    paintings = [t for k, _, t in found if k == 1]
    undated = [t for t in paintings if not re.search(r"\d{4}", t)]
    check("%s: every painting has a year or its painter's years" % tag,
          not undated, str(undated))
    window_titles = [t for _, _, t in found if "(imported)" in t
                     or "[" in t]
    check("%s: no image by its window title" % tag, not window_titles,
          str(window_titles))
    return found


def check_preview_toggle(tag, lines, args):
    check("%s: a Preview check box, on at first" % tag,
          field(lines, "preview-toggle", "active") == "1",
          first(lines, "preview-toggle"))
    vs_last = float(field(lines, "restart-shows", "vs-last") or 99)
    vs_photo = float(field(lines, "restart-shows", "vs-photo") or 0)
    last_photo = float(field(lines, "restart-shows", "last-vs-photo") or 0)
    check("%s: while the preview restarts it shows the last painting, not "
          "the photo (%.2f from the last, %.2f from the photo)"
          % (tag, vs_last, vs_photo),
          field(lines, "restart-shows", "restarted") == "1"
          and vs_last < 0.5 and vs_photo > 4.0 and last_photo > 4.0,
          first(lines, "restart-shows"))
    check("%s: Preview off stops the preview worker at once" % tag,
          field(lines, "preview-off", "alive") == "0",
          first(lines, "preview-off"))
    check("%s: Preview off greys out Split view and says so" % tag,
          field(lines, "preview-off", "split-sensitive") == "0"
          and (text_field(lines, "preview-off") or "") == "Preview off",
          first(lines, "preview-off"))
    check("%s: a setting changed with Preview off starts nothing" % tag,
          field(lines, "preview-off-change", "started") == "0"
          and field(lines, "preview-off-change", "alive") == "0",
          first(lines, "preview-off-change"))
    check("%s: opened again, the dialog remembers Preview off and runs "
          "nothing" % tag,
          field(lines, "remembered-off", "started") == "0",
          first(lines, "remembered-off"))
    check("%s: ticked again, the preview starts" % tag,
          field(lines, "remembered-on", "started") == "1",
          first(lines, "remembered-on"))
    check("%s: Preview-off screenshot" % tag, os.path.exists(
        os.path.join(args.out, "dialog-%s-preview-off.png" % tag)))


def check_zoom(tag, lines, args):
    check("%s: zoom controls at 19 %%, zoom out greyed, no scroll bars" % tag,
          field(lines, "zoom-start", "label") == "19" and
          field(lines, "zoom-start", "in") == "1" and
          field(lines, "zoom-start", "out") == "0" and
          field(lines, "zoom-start", "hscroll") == "0",
          first(lines, "zoom-start"))
    check("%s: zoom in: 38 %%, zoom out and the scroll bars appear" % tag,
          field(lines, "zoom-in", "label") == "38" and
          field(lines, "zoom-in", "out") == "1" and
          field(lines, "zoom-in", "hscroll") == "1" and
          field(lines, "zoom-in", "vscroll") == "1",
          first(lines, "zoom-in"))
    kept = float(field(lines, "zoom-in", "kept-painting") or 99)
    vs_photo = float(field(lines, "zoom-in", "vs-photo") or 0)
    check("%s: zoomed in, the last painting stays on screen, magnified "
          "(%.2f from it, %.2f from the photo)" % (tag, kept, vs_photo),
          kept < 3.0 and vs_photo > 4.0, first(lines, "zoom-in"))
    check("%s: the zoomed part is painted anew" % tag,
          field(lines, "zoom-painted", "done") == "1" and
          (text_field(lines, "zoom-painted") or "") == "Preview at 38 %",
          first(lines, "zoom-painted"))
    middle = float(field(lines, "zoom-photo", "vs-middle") or 99)
    corner = float(field(lines, "zoom-photo", "vs-corner") or 0)
    painted = float(field(lines, "zoom-photo", "painted-vs-photo") or 0)
    check("%s: Preview off shows the photo of the middle of the layer, "
          "twice as large (%.2f; the corner %.2f; the painting %.2f away)"
          % (tag, middle, corner, painted),
          middle < 6.0 and corner > 2 * middle and painted > 4.0,
          first(lines, "zoom-photo"))
    shifted = float(field(lines, "zoom-drag", "shifted") or 99)
    unshifted = float(field(lines, "zoom-drag", "unshifted") or 0)
    check("%s: dragging 40 px to the right moves the view 40 px left "
          "(%.2f, unmoved %.2f)" % (tag, shifted, unshifted),
          field(lines, "zoom-drag", "scrolled") == "40" and
          shifted < 4.0 and unshifted > 4 * shifted,
          first(lines, "zoom-drag"))
    check("%s: Ctrl and the wheel zoom out" % tag,
          field(lines, "zoom-wheel-out", "label") == "19" and
          field(lines, "zoom-wheel-out", "hscroll") == "0",
          first(lines, "zoom-wheel-out"))
    check("%s: the last zoom shows the layer's own pixels" % tag,
          field(lines, "zoom-max", "label") == "100", first(lines, "zoom-max"))
    check("%s: at 100 %%, the preview paints" % tag,
          field(lines, "zoom-max-painted", "done") == "1" and
          (text_field(lines, "zoom-max-painted") or "") == "Preview at 100 %",
          first(lines, "zoom-max-painted"))
    path = os.path.join(args.out, "dialog-%s-zoom.png" % tag)
    check("%s: zoom screenshot %s" % (tag, path), os.path.exists(path))


def check_full_session(tag, lines, args, title, words):
    check_rows(tag, lines)
    for name in ("st-style", "st-strength", "st-quality", "st-preview",
                 "st-estimate", "st-advanced", "st-network-status"):
        check("%s: widget %s" % (tag, name), ("widget %s found" % name) in lines)
    check("%s: title is %r" % (tag, title), first(lines, "title") == title,
          str(first(lines, "title")))
    check("%s: the open painting is chosen, by its image's name" % tag,
          field(lines, "style", "kind") == "0" and
          (text_field(lines, "style") or "").startswith(
              "starry_night.jpg|"), first(lines, "style"))
    check("%s: the ten installed paintings are offered" % tag,
          field(lines, "style", "paintings") == "10",
          first(lines, "style"))
    check("%s: OK is sensitive and the default" % tag,
          field(lines, "ok-button", "sensitive") == "1" and
          field(lines, "ok-button", "window-default") == "1",
          first(lines, "ok-button"))
    check("%s: From file... chose %s" % (tag, args.from_file),
          field(lines, "file-chooser", "chosen") == args.from_file and
          field(lines, "from-file", "kind") == "2" and
          (text_field(lines, "from-file") or "").startswith(
              os.path.basename(args.from_file) + "|"),
          "%s / %s" % (first(lines, "file-chooser"), first(lines, "from-file")))
    check("%s: quality starts at Balanced" % tag,
          first(lines, "quality") == "1", str(first(lines, "quality")))
    estimate = first(lines, "estimate") or ""
    check("%s: the estimate gives the run's real size (%r)" % (tag, estimate),
          estimate.startswith("1024 × 768 px, %s " % words["about"]), estimate)
    check("%s: Iterations says %r for 0" % (tag, words["automatic"]),
          text_field(lines, "iterations-entry") == words["automatic"],
          text_field(lines, "iterations-entry"))
    check("%s: under Size, the size the run uses" % tag,
          (text_field(lines, "size-note") or "").startswith(
              words["runs"] + " 1024 × 768 px"), text_field(lines, "size-note"))
    check("%s: the no-style message is hidden" % tag,
          field(lines, "style-missing", "visible") == "0")
    diff = float(field(lines, "preview-changed", "diff") or 0)
    check("%s: the preview's pixels move away from the content (%.1f)"
          % (tag, diff), diff > 4.0)
    for suffix in ("", "-advanced", "-styles", "-file-chooser"):
        path = os.path.join(args.out, "dialog-%s%s.png" % (tag, suffix))
        check("%s: screenshot %s" % (tag, path),
              os.path.exists(path) and os.path.getsize(path) > 10000)
    check("%s: Reset keeps the style chosen" % tag,
          (text_field(lines, "after-reset") or "").startswith(
              "the_scream.jpg|"), first(lines, "after-reset"))
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
    parser.add_argument("--paintings", required=True)
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
    args.from_file = os.path.realpath(os.path.join(args.images,
                                                   "the_scream.jpg"))
    chooser = {"ST_UI_CHOOSE_FILE": args.from_file}

    if not only or "en" in only:
        lines, _ = run_session("en", args, content, style, chooser)
        check_full_session("en", lines, args, "Style Transfer",
                           {"about": "about", "automatic": "Automatic",
                            "runs": "Runs at"})

    if not only or "es" in only:
        lines, _ = run_session("es", args, content, style,
                               dict(chooser, LANGUAGE="es"))
        check_full_session("es", lines, args, "Transferencia de estilo",
                           {"about": "unos", "automatic": "Automático",
                            "runs": "Se pinta a"})

    if not only or "alone" in only:
        lines, _ = run_session("alone", args, content, None,
                               {"ST_UI_QUICK": "1",
                                "ST_UI_PREVIEW_TOGGLE": "1"},
                               size=(200, 150), twice=True)
        found = check_rows("alone", lines)
        check("alone: Hiroshige's print, whole, with his years",
              (1, False, "The Benzaiten Shrine at Inokashira in Snow|"
               "Utagawa Hiroshige (1797–1858)") in found,
              str([r for r in found if "Hiroshige" in r[2]]))
        check("alone: the first installed painting is chosen",
              field(lines, "style", "kind") == "1" and
              (text_field(lines, "style") or "").startswith(
                  "The Starry Night|Vincent van Gogh, 1889"),
              first(lines, "style"))
        check("alone: OK is sensitive and the default",
              field(lines, "ok-button", "sensitive") == "1" and
              field(lines, "ok-button", "window-default") == "1",
              first(lines, "ok-button"))
        check("alone: a 200 x 150 layer runs at 200 x 150, and says so",
              (first(lines, "estimate") or "").startswith("200 × 150 px") and
              text_field(lines, "size-note") ==
              "Runs at 200 × 150 px: the layer's own size.",
              "%s / %s" % (first(lines, "estimate"),
                           text_field(lines, "size-note")))
        check("alone: the no-style message is hidden",
              field(lines, "style-missing", "visible") == "0")
        diff = float(field(lines, "preview-changed", "diff") or 0)
        check("alone: the painting is previewed (%.1f)" % diff, diff > 4.0)
        check("alone: screenshot",
              os.path.exists(os.path.join(args.out, "dialog-alone.png")))
        left = float(field(lines, "split-view", "left-vs-photo") or 99)
        right = float(field(lines, "split-view", "right-vs-painting") or 99)
        left_p = float(field(lines, "split-view", "left-vs-painting") or 0)
        check("alone: Split view shows the photo left, the painting right "
              "(%.1f, %.1f, %.1f)" % (left, right, left_p),
              left < 2.0 and right < 2.0 and left_p > 4.0,
              first(lines, "split-view"))
        check("alone: split-view screenshot",
              os.path.exists(os.path.join(args.out, "dialog-alone-split.png")))
        check_preview_toggle("alone", lines, args)

    if not only or "bare" in only:
        lines, _ = run_session("bare", args, content, None, {},
                               paintings=False)
        check_rows("bare", lines)
        check("bare: nothing is chosen", field(lines, "style", "active") ==
              "-1" and field(lines, "style", "paintings") == "0",
              first(lines, "style"))
        check("bare: the dialog says what to do",
              field(lines, "style-missing", "visible") == "1" and
              "From file" in (first(lines, "style-missing") or ""),
              first(lines, "style-missing"))
        check("bare: OK is insensitive and not the default button",
              field(lines, "ok-button", "sensitive") == "0" and
              field(lines, "ok-button", "window-default") == "0",
              first(lines, "ok-button"))
        check("bare: no preview runs without a style",
              field(lines, "no-style", "alive") == "0")
        check("bare: screenshot",
              os.path.exists(os.path.join(args.out, "dialog-bare.png")))

    if not only or "named" in only:
        # The painting as installed, opened from disk under its own name.
        painting = os.path.join(args.paintings, "the-scream.jpg")
        lines, _ = run_session("named", args, content, painting,
                               {"ST_UI_QUICK": "1"}, size=(200, 150))
        check_rows("named", lines)
        check("named: an installed painting opened in GIMP reads as its "
              "title", field(lines, "style", "kind") == "0" and
              text_field(lines, "style") == "The Scream|Open image",
              first(lines, "style"))

    if not only or "zoom" in only:
        lines, _ = run_session("zoom", args, content, None,
                               {"ST_UI_QUICK": "1", "ST_UI_ZOOM": "1"})
        check("zoom: the painting is previewed",
              float(field(lines, "preview-changed", "diff") or 0) > 4.0)
        check_zoom("zoom", lines, args)

    print("# screenshots and reports in %s" % args.out)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
