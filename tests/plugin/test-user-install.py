#!/usr/bin/python3
"""A per-user install (-Duser-install=true), in a home folder of its own,
used by real GIMP 2.10 in Spanish.

  1. meson setup + install of this source tree with HOME set to a
     temporary folder and a prefix that must stay empty: everything goes
     under the user's folders (the plug-in, its paintings and translations
     in ~/.config/GIMP/2.10/plug-ins/style-transfer/, the CLI and the
     weights' commands in ~/.local/bin/), nothing under the prefix;
  2. gimp-console with that HOME and LANGUAGE=es: GIMP registers the
     plug-in's translations at the installed folder (pluginrc), the
     plug-in answers a bad call in Spanish, and plug-in-style-transfer-file
     paints with an installed painting named by its id;
  3. full GIMP (not the console) under Xvfb, LANGUAGE=es, with a small
     LD_PRELOAD probe in GIMP itself (gettext-probe.c) that records what
     GIMP's dgettext answers for the plug-in's text domain: the menu label
     GIMP builds must be "_Transferencia de estilo...".
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

GIMP_CONSOLE = shutil.which("gimp-console-2.10") or shutil.which("gimp-console")
GIMP = shutil.which("gimp-2.10") or shutil.which("gimp")

failures = []


def check(what, ok, detail=""):
    print("%s - %s%s" % ("ok" if ok else "not ok", what,
                         (": " + str(detail)) if detail and not ok else ""))
    if not ok:
        failures.append(what)


def run(argv, env, log, timeout, cwd=None):
    with open(log, "w") as f:
        try:
            proc = subprocess.run(argv, env=env, stdout=f,
                                  stderr=subprocess.STDOUT, timeout=timeout,
                                  cwd=cwd)
            return proc.returncode
        except subprocess.TimeoutExpired:
            return "timeout"


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--probe", required=True)
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
    root = tempfile.mkdtemp(prefix="st-user-install-")
    home = os.path.join(root, "home")
    prefix = os.path.join(root, "prefix")
    build = os.path.join(root, "build")
    os.makedirs(home)
    os.makedirs(prefix)
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "GIMP2_DIRECTORY",
                "DISPLAY", "ST_VGG19_WEIGHTS", "DESTDIR"):
        env.pop(var, None)
    env["HOME"] = home

    try:
        # 1. The install.
        rc = run(["meson", "setup", build, args.source, "-Duser-install=true",
                  "--prefix", prefix], env, os.path.join(out, "setup.log"),
                 600)
        check("meson setup -Duser-install=true", rc == 0,
              read(os.path.join(out, "setup.log"))[-2000:])
        if rc != 0:
            return 1
        rc = run(["ninja", "-C", build, "plugin/style-transfer",
                  "cli/style-transfer", "gimp-style-transfer-gmo"], env,
                 os.path.join(out, "build.log"), 1500)
        check("the plug-in, the CLI and the translations build", rc == 0,
              read(os.path.join(out, "build.log"))[-2000:])
        rc = run(["meson", "install", "--no-rebuild", "-C", build], env,
                 os.path.join(out, "install.log"), 600)
        check("meson install, without root", rc == 0,
              read(os.path.join(out, "install.log"))[-2000:])

        in_prefix = [os.path.join(d, f) for d, _, fs in os.walk(prefix)
                     for f in fs]
        check("nothing installed under the prefix", not in_prefix,
              in_prefix[:5])
        folder = os.path.join(home, ".config", "GIMP", "2.10", "plug-ins",
                              "style-transfer")
        for rel in ("style-transfer", "paintings/paintings.ini",
                    "paintings/starry-night.jpg",
                    "locale/es/LC_MESSAGES/gimp-style-transfer.mo"):
            check("installed: plug-ins/style-transfer/%s" % rel,
                  os.path.isfile(os.path.join(folder, rel)))
        for rel in ("style-transfer", "gimp-style-transfer-fetch-vgg19",
                    "gimp-style-transfer-convert-vgg19"):
            check("installed: ~/.local/bin/%s" % rel,
                  os.access(os.path.join(home, ".local", "bin", rel),
                            os.X_OK))
        outside = [os.path.join(d, f) for d, _, fs in os.walk(home)
                   for f in fs]
        check("everything lies in the user's folders",
              all(p.startswith(folder) or
                  p.startswith(os.path.join(home, ".local", "bin"))
                  for p in outside),
              [p for p in outside if not p.startswith(folder)][:5])

        # 2. gimp-console in Spanish.
        gimp_dir = os.path.join(home, ".config", "GIMP", "2.10")
        for sub in ("brushes", "dynamics", "fonts", "gradients", "palettes",
                    "patterns", "tool-presets", "scripts", "mypaint-brushes"):
            os.makedirs(os.path.join(gimp_dir, sub), exist_ok=True)
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
        run([GIMP_CONSOLE, "-i", "-d", "-f", "-b", script, "-b",
             "(gimp-quit 0)"], es, log, 400)
        text = read(log)
        pluginrc = read(os.path.join(gimp_dir, "pluginrc")) \
            if os.path.exists(os.path.join(gimp_dir, "pluginrc")) else ""
        m = re.search(r'\(locale-def "gimp-style-transfer" "([^"]*)"\)',
                      pluginrc)
        check("GIMP registers the translations at the installed folder",
              m is not None and m.group(1).replace("${gimp_dir}", gimp_dir)
              == os.path.join(folder, "locale"),
              m.group(0) if m else "no locale-def in pluginrc")
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
            run(["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", GIMP,
                 "--no-splash", "-d", "-f", "-b", "(gimp-quit 0)"], full,
                os.path.join(out, "gimp-es.log"), 400)
            answers = read(gettext_log) if os.path.exists(gettext_log) else ""
            check("full GIMP translates the menu label from the install",
                  "_Style Transfer...\t_Transferencia de estilo..." in answers,
                  answers[:1500] or read(os.path.join(out, "gimp-es.log"))[-1500:])
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    print("# logs in %s" % out)
    if failures:
        print("# %d failed: %s" % (len(failures), "; ".join(failures)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
