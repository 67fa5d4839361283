#!/usr/bin/python3
"""Run by `meson install` after a per-user install (-Duser-install=true).

GIMP 2.10 sets up a new user's folder (~/.config/GIMP/2.10/: brushes,
dynamics, fonts, gradients, palettes, patterns, scripts, tool-presets...,
menurc, tags.xml, and the settings of an older GIMP it migrates) only when
that folder does not exist at its start (app/app.c: gimp_user_install_run
when gimp_directory () is not a folder).  Installing the plug-in into
plug-ins/style-transfer/ before GIMP's first start creates the folder with
nothing else in it, so GIMP would then skip its setup for good: no data
folders, and "Failed to save data: You have a writable data folder
configured (.../gradients), but this folder does not exist" at every exit.

So when the install has just created GIMP's folder (it holds nothing but
plug-ins/style-transfer), this moves it aside, lets GIMP itself make its
first-run setup (gimp-console, no window, a few seconds), and puts the
plug-in back into the folder GIMP made.  A folder GIMP already set up is
never touched.  The installed files keep their paths, so
`ninja -C build uninstall` still removes them.

  gimp-user-setup.py GIMP_DIR PLUGIN_NAME GIMP_CONSOLE
"""

import os
import shutil
import subprocess
import sys


def made_by_this_install(gimp_dir, name):
    """True when GIMP_DIR holds nothing but plug-ins/NAME: created by
    installing this plug-in, never by GIMP (whose first run makes some
    twenty folders and files beside plug-ins/)."""
    try:
        if sorted(os.listdir(gimp_dir)) != ["plug-ins"]:
            return False
        return sorted(os.listdir(os.path.join(gimp_dir, "plug-ins"))) == [name]
    except OSError:
        return False


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    gimp_dir, name, gimp_console = sys.argv[1:]
    if os.environ.get("DESTDIR"):
        # A staged install (a package, a test): not the user's own folder.
        return 0
    if not made_by_this_install(gimp_dir, name):
        return 0

    aside = gimp_dir + ".style-transfer-install"
    if os.path.lexists(aside):
        print("gimp-user-setup: %s exists; remove it and install again"
              % aside, file=sys.stderr)
        return 1
    os.rename(gimp_dir, aside)

    # GIMP's own first run, on the folder this install wrote to (GIMP looks
    # for an older GIMP's settings to migrate from that path's name, and
    # from ~/.gimp-2.x, exactly as without GIMP2_DIRECTORY).
    env = dict(os.environ, GIMP2_DIRECTORY=os.path.abspath(gimp_dir))
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(var, None)
    print("Letting GIMP set up its user folder %s (its first start)" % gimp_dir)
    try:
        proc = subprocess.run([gimp_console, "--no-interface", "--no-data",
                               "--no-fonts", "--batch", "(gimp-quit 0)"],
                              env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=300)
        log = proc.stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired) as e:
        log = str(e)

    set_up = (os.path.isdir(os.path.join(gimp_dir, "plug-ins"))
              and os.path.isdir(os.path.join(gimp_dir, "gradients")))
    if not set_up:
        # Back as it was: the plug-in works, and GIMP's setup is the
        # user's to redo (start GIMP once with the folder renamed).
        shutil.rmtree(gimp_dir, ignore_errors=True)
        os.rename(aside, gimp_dir)
        print("gimp-user-setup: GIMP did not set up %s:\n%s\n"
              "Move %s away, start GIMP once, then install again."
              % (gimp_dir, log[-2000:], gimp_dir), file=sys.stderr)
        return 1

    os.rename(os.path.join(aside, "plug-ins", name),
              os.path.join(gimp_dir, "plug-ins", name))
    shutil.rmtree(aside)
    return 0


if __name__ == "__main__":
    sys.exit(main())
