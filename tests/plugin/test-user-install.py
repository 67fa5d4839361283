#!/usr/bin/python3
"""A per-user install (-Duser-install=true), in a new account's home
folder (GIMP never started), used by real GIMP 2.10 in Spanish.

  1. the README's per-user install block, verbatim (its lines run by
     bash in a copy of this source tree inside the new home, HOME set to
     a temporary folder): everything goes under the user's folders (the
     plug-in, its paintings and translations in ~/.config/GIMP/2.10/
     plug-ins/style-transfer/, the CLI and the weights' commands in
     ~/.local/bin/), nothing under the prefix (meson's install log names
     no other path); no test, fuzzer or benchmark is built; and GIMP's own
     first-run setup of ~/.config/GIMP/2.10 still happened (brushes,
     gradients... folders, menurc, tags.xml), which a folder holding only
     plug-ins/ would have made GIMP skip;
  2. gimp-console with that HOME and LANGUAGE=es: GIMP registers the
     plug-in's translations at the installed folder (pluginrc), the
     plug-in answers a bad call in Spanish, and plug-in-style-transfer-file
     paints with an installed painting named by its id;
  3. full GIMP (not the console) under Xvfb, LANGUAGE=es, with a small
     LD_PRELOAD probe in GIMP itself (gettext-probe.c) that records what
     GIMP's dgettext answers for the plug-in's text domain: the menu label
     GIMP builds must be "_Transferencia de estilo...", and GIMP saves
     its data at exit without "Failed to save data";
  4. the README's uninstall command removes every installed file, leaves
     GIMP's folder whole (its plug-ins/ folder included) and reports no
     folder it could not delete; installed again into that set-up folder, the install leaves
     what GIMP and the user keep there untouched;
  5. with no GIMP to run, the setup script restores what it moved aside.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
from checks import check, run_logged, summary  # noqa: E402
from checks import read_text as read  # noqa: E402

GIMP_CONSOLE = shutil.which("gimp-console-2.10") or shutil.which("gimp-console")
GIMP = shutil.which("gimp-2.10") or shutil.which("gimp")

def help_page(help_dir, language, help_id):
    """The page GIMP's help plug-in opens for help_id in language: it reads
    <help_dir>/<language>/gimp-help.xml, whose <gimp-help> root holds
    <help-item id=... ref=...> entries (plug-ins/help/gimphelplocale.c);
    the page is ref in that folder.  None when nothing maps it."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(os.path.join(help_dir, language,
                                     "gimp-help.xml")).getroot()
    except (OSError, ET.ParseError):
        return None
    if root.tag != "gimp-help":
        return None
    for item in root.findall("help-item"):
        if item.get("id") == help_id and item.get("ref"):
            return os.path.join(help_dir, language,
                                item.get("ref").split("#")[0])
    return None


def readme_block(readme, after):
    """The first ```sh block of the README after the text `after`."""
    text = read(readme)
    m = re.search(re.escape(after) + r".*?```sh\n(.*?)```", text, re.S)
    return m.group(1) if m else None


def readme_uninstall(readme):
    """The README's per-user uninstall command."""
    m = re.search(r"To uninstall, from the same folder: `([^`]*)`",
                  read(readme))
    return m.group(1) if m else None


def copy_source(source, to):
    """The source tree as a user's clone holds it: no build folders."""
    def ignore(folder, names):
        if os.path.abspath(folder) != os.path.abspath(source):
            return [n for n in names if n == "__pycache__"]
        return [n for n in names if n == ".git" or n == "build"
                or (n.startswith("build") and n != "build-aux")]
    shutil.copytree(source, to, symlinks=True, ignore=ignore)


def first_run_missing(gimp_dir):
    """What GIMP's first run (app/gimp-user-install.c) makes and gimp_dir
    lacks: without them GIMP 2.10 never makes them and fails to save its
    data."""
    folders = ("brushes", "dynamics", "fonts", "gradients", "palettes",
               "patterns", "tool-presets", "scripts", "templates",
               "plug-ins", "modules", "environ", "tmp")
    missing = [sub for sub in folders
               if not os.path.isdir(os.path.join(gimp_dir, sub))]
    missing += [f for f in ("menurc", "tags.xml")
                if not os.path.isfile(os.path.join(gimp_dir, f))]
    return missing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--probe", required=True)
    parser.add_argument("--setup", required=True,
                        help="build-aux/gimp-user-setup.py")
    parser.add_argument("--images", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    if not GIMP_CONSOLE or not shutil.which("meson"):
        print("gimp-console or meson missing: skipped")
        return 77
    out = os.path.abspath(os.path.join(args.out, "user-install-output"))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    readme = os.path.join(args.source, "README.md")
    block = readme_block(readme, "For you only, no root")
    uninstall = readme_uninstall(readme)
    check("the README has a per-user install block and its uninstall",
          block is not None and uninstall is not None)
    if block is None or uninstall is None:
        return 1
    root = tempfile.mkdtemp(prefix="st-user-install-")
    home = os.path.join(root, "home")
    clone = os.path.join(home, "gimp-style-transfer")
    os.makedirs(home)
    copy_source(args.source, clone)
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "GIMP2_DIRECTORY",
                "DISPLAY", "ST_VGG19_WEIGHTS", "DESTDIR"):
        env.pop(var, None)
    env["HOME"] = home

    try:
        # 1. The install, as the README says (meson install builds what
        # it installs).
        print("# the README's block:\n#   " + "\n#   ".join(
            block.strip().splitlines()))
        rc = run_logged(["bash", "-e", "-c", block],
                        os.path.join(out, "install.log"), 1500, env=env,
                        cwd=clone)
        install_log = read(os.path.join(out, "install.log"))
        check("the README's per-user install block, without root", rc == 0,
              install_log[-2000:])
        build = os.path.join(clone, "build-user")
        if rc != 0 or not os.path.isdir(build):
            return 1
        built = [os.path.join(d, f) for d, _, fs in os.walk(build)
                 for f in fs if os.access(os.path.join(d, f), os.X_OK)
                 and (f.endswith(".so") or "." not in f)
                 and "meson-" not in d]
        check("only the plug-in and the CLI are built (no tests, fuzzers, "
              "bench)",
              sorted(os.path.relpath(p, build) for p in built)
              == ["cli/style-transfer", "plugin/style-transfer"],
              sorted(os.path.relpath(p, build) for p in built))

        installed = [line.strip() for line in read(os.path.join(
            build, "meson-logs", "install-log.txt")).splitlines()
            if line.strip() and not line.startswith("#")]
        outside = [p for p in installed
                   if not p.startswith(home + os.sep)]
        check("nothing installed outside the home folder",
              installed and not outside, outside[:5])
        folder = os.path.join(home, ".config", "GIMP", "2.10", "plug-ins",
                              "style-transfer")
        for rel in ("style-transfer", "paintings/paintings.ini",
                    "paintings/starry-night.jpg", "help/en/gimp-help.xml",
                    "help/es/gimp-help.xml",
                    "locale/es/LC_MESSAGES/gimp-style-transfer.mo"):
            check("installed: plug-ins/style-transfer/%s" % rel,
                  os.path.isfile(os.path.join(folder, rel)))
        for rel in ("style-transfer", "gimp-style-transfer-fetch-vgg19",
                    "gimp-style-transfer-convert-vgg19"):
            check("installed: ~/.local/bin/%s" % rel,
                  os.access(os.path.join(home, ".local", "bin", rel),
                            os.X_OK))
        gimp_dir = os.path.join(home, ".config", "GIMP", "2.10")
        ours = [os.path.join(d, f) for d, _, fs in os.walk(home)
                for f in fs if d.startswith(folder)
                or d == os.path.join(home, ".local", "bin")]
        check("the install wrote its files", len(ours) >= 10, ours)
        # Beside them, only what GIMP's first start writes (its folder,
        # its caches and GEGL's).
        allowed = (folder, clone + os.sep, os.path.join(home, ".local", "bin"),
                   os.path.join(home, ".config", "GIMP", "2.10") + os.sep,
                   os.path.join(home, ".cache") + os.sep,
                   os.path.join(home, ".local", "share", "gegl-0.4") + os.sep)
        elsewhere = [os.path.join(d, f) for d, _, fs in os.walk(home)
                     for f in fs if not os.path.join(d, f).startswith(allowed)]
        check("everything lies in the user's folders", not elsewhere,
              elsewhere[:5])
        missing = first_run_missing(gimp_dir)
        check("GIMP's first-run setup of ~/.config/GIMP/2.10 is there",
              not missing, missing)
        leftovers = [p for p in os.listdir(os.path.dirname(gimp_dir))
                     if p != "2.10"]
        check("nothing left beside GIMP's folder", not leftovers, leftovers)

        # 2. gimp-console in Spanish.
        es = dict(env, LANG="C.UTF-8", LANGUAGE="es")
        photo = os.path.join(args.images, "tubingen.jpg")
        script = r"""
(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE "%s" "photo.jpg")))
       (c (car (gimp-image-get-active-layer img))))
  (gimp-image-scale img 96 72)
  (catch (gimp-message "ST bad-call passed")
    (plug-in-style-transfer-file RUN-NONINTERACTIVE img c "no-such-painting"
                                 50.0 64 5 0 1.0 1.0 1 "embedded"))
  (gimp-message (string-append "ST layer "
    (car (gimp-item-get-name
      (car (plug-in-style-transfer-file RUN-NONINTERACTIVE img c
                                        "the-scream" 50.0 64 5 0 1.0 1.0 1
                                        "embedded")))))))
""" % photo
        log = os.path.join(out, "gimp-console-es.log")
        run_logged([GIMP_CONSOLE, "-i", "-d", "-f", "-b", script, "-b",
                    "(gimp-quit 0)"], log, 400, env=es)
        text = read(log)
        check("gimp-console saves its data (no 'Failed to save data')",
              "Failed to save data" not in text and
              "does not exist" not in text, text[-1500:])
        pluginrc = read(os.path.join(gimp_dir, "pluginrc")) \
            if os.path.exists(os.path.join(gimp_dir, "pluginrc")) else ""
        m = re.search(r'\(locale-def "gimp-style-transfer" "([^"]*)"\)',
                      pluginrc)
        check("GIMP registers the translations at the installed folder",
              m is not None and m.group(1).replace("${gimp_dir}", gimp_dir)
              == os.path.join(folder, "locale"),
              m.group(0) if m else "no locale-def in pluginrc")
        m = re.search(r'\(help-def "gimp-style-transfer" "([^"]*)"\)',
                      pluginrc)
        help_dir = os.path.join(folder, "help")
        check("GIMP registers the Help button's pages (help-def)",
              m is not None and m.group(1) == "file://" + help_dir,
              m.group(0) if m else "no help-def in pluginrc")
        for language, words in (("en", "Preview"), ("es", "Vista previa")):
            page = help_page(help_dir, language, "plug-in-style-transfer")
            check("the dialog's help ID opens a %s page that explains the "
                  "dialog" % language,
                  page is not None and os.path.isfile(page)
                  and words in read(page), page)
        check("the plug-in answers in Spanish from the per-user install",
              "no existe" in text and "ninguna pintura instalada" in text,
              text[-1500:])
        m = re.search(r"ST layer (.*)", text)
        check("plug-in-style-transfer-file paints with an installed painting",
              m is not None and m.group(1).strip()
              == "Transferencia de estilo — The Scream",
              m.group(0) if m else text[-1500:])

        # 3. GIMP's own menu label, in full GIMP under Xvfb.
        if not GIMP or not shutil.which("xvfb-run"):
            print("# gimp or xvfb-run missing: menu label not checked")
        else:
            gettext_log = os.path.join(out, "gettext.txt")
            full = dict(es, LD_PRELOAD=args.probe,
                        ST_GETTEXT_LOG=gettext_log)
            run_logged(["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24",
                        GIMP, "--no-splash", "-d", "-f", "-b",
                        "(gimp-quit 0)"],
                       os.path.join(out, "gimp-es.log"), 400, env=full)
            answers = read(gettext_log) if os.path.exists(gettext_log) else ""
            check("full GIMP translates the menu label from the install",
                  "_Style Transfer...\t_Transferencia de estilo..." in answers,
                  answers[:1500] or read(os.path.join(out, "gimp-es.log"))[-1500:])
            full_log = read(os.path.join(out, "gimp-es.log"))
            check("full GIMP saves its data at exit",
                  "Failed to save data" not in full_log, full_log[-1500:])

        # 4. Uninstall, then install into the folder GIMP set up.
        rc = run_logged(["bash", "-e", "-c", uninstall],
                        os.path.join(out, "uninstall.log"), 300, env=env,
                        cwd=clone)
        uninstall_log = read(os.path.join(out, "uninstall.log"))
        check("%s" % uninstall, rc == 0, uninstall_log[-2000:])
        left = [p for p in ours if os.path.lexists(p)]
        check("uninstall removes every installed file", not left, left[:5])
        gone = first_run_missing(gimp_dir)
        check("uninstall leaves GIMP's folder whole (plug-ins/ included)",
              not gone, gone)
        check("uninstall deletes no folder it did not make, and fails to "
              "delete none", "Could not delete" not in uninstall_log,
              [line for line in uninstall_log.splitlines()
               if "Could not delete" in line])
        marks = {os.path.join(gimp_dir, "gimprc"): "(show-tips no)\n",
                 os.path.join(gimp_dir, "gradients", "mine.ggr"): "mine\n"}
        for path, body in marks.items():
            with open(path, "w") as f:
                f.write(body)
        rc = run_logged(["meson", "install", "--no-rebuild", "-C", build],
                        os.path.join(out, "reinstall.log"), 600, env=env)
        again = read(os.path.join(out, "reinstall.log"))
        check("installed again", rc == 0 and os.path.isfile(
            os.path.join(folder, "style-transfer")), again[-2000:])
        check("a folder GIMP set up is left as it is",
              all(os.path.isfile(p) and read(p) == body
                  for p, body in marks.items()), again[-2000:])

        # 5. Without a GIMP to run, the setup script puts back what it
        # moved aside and fails the install with a message.
        lone = os.path.join(root, "lone", "2.10")
        os.makedirs(os.path.join(lone, "plug-ins", "style-transfer"))
        rc = run_logged([sys.executable, args.setup, lone, "style-transfer",
                         os.path.join(root, "no-such-gimp-console")],
                        os.path.join(out, "setup-no-gimp.log"), 60, env=env)
        check("no GIMP: the install fails and leaves the folder as it was",
              rc == 1 and sorted(os.listdir(lone)) == ["plug-ins"]
              and os.listdir(os.path.dirname(lone)) == ["2.10"],
              read(os.path.join(out, "setup-no-gimp.log"))[-1000:])
        # ...and before the install (meson setup), it makes nothing.
        fresh = os.path.join(root, "fresh", "2.10")
        rc = run_logged([sys.executable, args.setup, fresh, "style-transfer",
                         os.path.join(root, "no-such-gimp-console")],
                        os.path.join(out, "setup-no-gimp-fresh.log"), 60,
                        env=env)
        check("no GIMP at meson setup: an error, and no folder made",
              rc == 1 and not os.path.lexists(fresh),
              read(os.path.join(out, "setup-no-gimp-fresh.log"))[-1000:])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print("# logs in %s" % out)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
