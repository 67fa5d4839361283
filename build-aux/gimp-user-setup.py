#!/usr/bin/python3
"""Run by `meson setup` and by `meson install` for a per-user install
(-Duser-install=true).

GIMP 2.10 sets up a new user's folder (~/.config/GIMP/2.10/: brushes,
dynamics, fonts, gradients, palettes, patterns, scripts, tool-presets...,
menurc, tags.xml, and the settings of an older GIMP it migrates) only when
that folder does not exist at its start (app/app.c: gimp_user_install_run
when gimp_directory () is not a folder).  Installing the plug-in into
plug-ins/style-transfer/ before GIMP's first start creates the folder with
nothing else in it, so GIMP would then skip its setup for good: no data
folders, and "Failed to save data: You have a writable data folder
configured (.../gradients), but this folder does not exist" at every exit.

So `meson setup` runs this first: when GIMP's folder does not exist, it
lets GIMP itself make its first-run setup there (gimp-console, no window,
a few seconds).  The install then finds GIMP's folder and its plug-ins/
made, and records only its own folders in its log, so that
`ninja -C build uninstall` removes plug-ins/style-transfer and leaves
GIMP's plug-ins/ (meson removes every folder an install created).

`meson install` runs it again, for a folder that still holds nothing but
plug-ins/style-transfer (an install made with no GIMP at setup time, or
GIMP's folder removed since): then it moves that folder aside, lets GIMP
make its setup, and puts the plug-in back into the folder GIMP made.  A
folder GIMP already set up is never touched.

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
    if not os.path.lexists(gimp_dir):
        # Before the install (meson setup): GIMP's first start, no more.
        if first_run(gimp_dir, gimp_console):
            return 0
        shutil.rmtree(gimp_dir, ignore_errors=True)
        return 1
    if not made_by_this_install(gimp_dir, name):
        return 0

    aside = gimp_dir + ".style-transfer-install"
    if os.path.lexists(aside):
        print("gimp-user-setup: %s exists; remove it and install again"
              % aside, file=sys.stderr)
        return 1
    os.rename(gimp_dir, aside)
    if not first_run(gimp_dir, gimp_console):
        # Back as it was: the plug-in works, and GIMP's setup is the
        # user's to redo (start GIMP once with the folder renamed).
        shutil.rmtree(gimp_dir, ignore_errors=True)
        os.rename(aside, gimp_dir)
        print("Move %s away, start GIMP once, then install again."
              % gimp_dir, file=sys.stderr)
        return 1

    os.rename(os.path.join(aside, "plug-ins", name),
              os.path.join(gimp_dir, "plug-ins", name))
    shutil.rmtree(aside)
    return 0


def first_run(gimp_dir, gimp_console):
    """Lets GIMP make its first-run setup of gimp_dir, which does not
    exist; True when it did."""
    # GIMP's own first run, on the user's folder (GIMP looks
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
        print("gimp-user-setup: GIMP did not set up %s:\n%s"
              % (gimp_dir, log[-2000:]), file=sys.stderr)
    return set_up


if __name__ == "__main__":
    sys.exit(main())
