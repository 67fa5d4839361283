#!/usr/bin/python3
"""The Debian package (build-aux/make-deb.sh), built and used as a user
would:

  1. make-deb.sh builds gimp-style-transfer_VERSION-1_ARCH.deb;
  2. its control fields: the run-time dependencies dpkg-shlibdeps cannot
     see are declared (gimp, OpenBLAS, which the engine dlopens, python3)
     beside the shared libraries it found;
  3. its contents: the plug-in, every painting with paintings.ini, the
     help pages (English, Spanish), the Spanish translations, the command line, the copyright file; nothing
     of the tests;
  4. unpacked into a scratch root (dpkg -x): headless GIMP finds the
     plug-in there (gimprc's plug-in-path) and paints with an installed
     painting; the packaged command line paints too;
  5. as root, in a container (a private mount namespace, an overlay of /
     that is thrown away, chroot): `apt-get install ./PACKAGE.deb`, the
     filter run by headless GIMP in Spanish with nothing but the package
     installed, then `apt-get remove`, which leaves none of its files.
     Without root (or where mounts are refused) step 5 is reported as
     skipped and the test still fails on 1-4.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
from checks import check, summary  # noqa: E402
from checks import read_text as read, run_logged as run  # noqa: E402

GIMP_CONSOLE = shutil.which("gimp-console-2.10") or shutil.which("gimp-console")
PLUGIN_DIR = "usr/lib/gimp/2.0/plug-ins/style-transfer"
MO = "usr/share/locale/es/LC_MESSAGES/gimp-style-transfer.mo"

def filter_script(photo, out_png):
    """Script-Fu: the filter with an installed painting, its layer's name
    printed, the result saved."""
    return r"""
(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE "%(photo)s" "photo.jpg")))
       (c (car (gimp-image-get-active-layer img))))
  (gimp-image-scale img 96 72)
  (let ((layer (car (plug-in-style-transfer-file RUN-NONINTERACTIVE img c
                       "starry-night" 50.0 64 5 0 1.0 1.0 1 "embedded"))))
    (gimp-message (string-append "ST layer "
                                 (car (gimp-item-get-name layer))))
    (file-png-save RUN-NONINTERACTIVE img layer "%(out)s" "%(out)s"
                   0 9 0 0 0 0 0)))
""" % {"photo": photo, "out": out_png}


def layer_name(log_text):
    for line in log_text.splitlines():
        if "ST layer " in line:
            return line.split("ST layer ", 1)[1].strip()
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    for tool in ("dpkg-deb", "dpkg-shlibdeps", "meson", "ninja"):
        if not shutil.which(tool):
            print("%s missing (dpkg-dev, meson, ninja-build): skipped" % tool)
            return 77
    if not GIMP_CONSOLE:
        print("gimp-console missing: skipped")
        return 77

    out = os.path.abspath(os.path.join(args.out, "package-output"))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    tmp = tempfile.mkdtemp(prefix="st-package-")
    env = dict(os.environ)
    for var in ("DESTDIR", "GIMP2_DIRECTORY", "DISPLAY"):
        env.pop(var, None)
    photo = os.path.join(args.images, "tubingen.jpg")

    try:
        # 1. The one documented command.
        debs = os.path.join(tmp, "debs")
        rc = run([os.path.join(args.source, "build-aux", "make-deb.sh"), debs],
                 os.path.join(out, "make-deb.log"), 1500, env=env)
        found = glob.glob(os.path.join(debs, "gimp-style-transfer_*.deb"))
        check("build-aux/make-deb.sh builds one .deb", rc == 0 and
              len(found) == 1, read(os.path.join(out, "make-deb.log"))[-2000:])
        if not found:
            return 1
        deb = found[0]

        # 2. Control fields.
        def field(name):
            return subprocess.run(["dpkg-deb", "--field", deb, name],
                                  capture_output=True, text=True).stdout.strip()
        depends = [d.strip() for d in field("Depends").split(",")]
        print("# Depends: %s" % ", ".join(depends))
        arch = subprocess.run(["dpkg", "--print-architecture"],
                              capture_output=True, text=True).stdout.strip()
        check("package name, version and architecture",
              field("Package") == "gimp-style-transfer"
              and field("Version").endswith("-1")
              and field("Architecture") == arch,
              (field("Package"), field("Version"), field("Architecture")))
        check("depends on GIMP 2.10", "gimp (>= 2.10)" in depends, depends)
        check("depends on OpenBLAS, which the engine dlopens",
              "libopenblas0 | libopenblas0-pthread" in depends, depends)
        check("depends on python3 (the weights' commands)",
              "python3" in depends, depends)
        for lib in ("libc6", "libgimp2.0", "libglib2.0-0", "libgegl-0.4-0"):
            check("depends on %s (dpkg-shlibdeps)" % lib,
                  any(d.split()[0] == lib for d in depends), depends)

        # 3. Contents.
        listing = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb],
                                 capture_output=True).stdout
        names = subprocess.run(["tar", "-t"], input=listing,
                               capture_output=True).stdout.decode().split()
        names = [n[2:] if n.startswith("./") else n for n in names]
        paintings = sorted(os.path.basename(p) for p in glob.glob(
            os.path.join(args.source, "data", "paintings", "*"))
            if not p.endswith("meson.build"))
        wanted = [PLUGIN_DIR + "/style-transfer", MO,
                  "usr/bin/style-transfer",
                  "usr/bin/gimp-style-transfer-fetch-vgg19",
                  "usr/bin/gimp-style-transfer-convert-vgg19",
                  "usr/share/doc/gimp-style-transfer/copyright",
                  PLUGIN_DIR + "/help/en/gimp-help.xml",
                  PLUGIN_DIR + "/help/en/style-transfer.html",
                  PLUGIN_DIR + "/help/es/gimp-help.xml",
                  PLUGIN_DIR + "/help/es/style-transfer.html"] + \
            [PLUGIN_DIR + "/paintings/" + p for p in paintings]
        check("holds the plug-in, the %d files of data/paintings, the "
              "help pages, the translations, the commands, the copyright"
              % len(paintings),
              len(paintings) >= 10 and all(w in names for w in wanted),
              [w for w in wanted if w not in names])
        check("holds no test, fuzzer or benchmark",
              not [n for n in names if "test" in os.path.basename(n)
                   or "fuzz" in n or "bench" in n],
              [n for n in names if "test" in n or "fuzz" in n][:5])

        # 4. Unpacked into a scratch root, used by headless GIMP.
        root = os.path.join(tmp, "root")
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
        msgunfmt = shutil.which("msgunfmt")
        if msgunfmt:
            po = subprocess.run([msgunfmt, os.path.join(root, MO)],
                                capture_output=True, text=True).stdout
            check("the packaged translations are Spanish",
                  'msgstr "_Transferencia de estilo..."' in po, po[:500])
        gimp_dir = os.path.join(tmp, "gimp")
        os.makedirs(gimp_dir)
        with open(os.path.join(gimp_dir, "gimprc"), "w") as f:
            f.write('(plug-in-path "${gimp_plug_in_dir}/plug-ins:%s")\n'
                    % os.path.join(root, os.path.dirname(PLUGIN_DIR)))
        png = os.path.join(tmp, "from-root.png")
        log = os.path.join(out, "gimp-root.log")
        run([GIMP_CONSOLE, "-i", "-d", "-f", "-b", filter_script(photo, png),
             "-b", "(gimp-quit 0)"], log, 600,
            env=dict(env, GIMP2_DIRECTORY=gimp_dir, LANGUAGE="en",
                     LANG="C.UTF-8"))
        check("headless GIMP paints with the unpacked plug-in and painting",
              layer_name(read(log)) == "Style Transfer — The Starry Night"
              and os.path.getsize(png) > 1000 if os.path.exists(png)
              else False, read(log)[-1500:])
        cli_png = os.path.join(tmp, "cli.png")
        rc = run([os.path.join(root, "usr", "bin", "style-transfer"), photo,
                  os.path.join(root, PLUGIN_DIR, "paintings",
                               "the-scream.jpg"),
                  "-o", cli_png, "--size", "64", "--network", "embedded",
                  "-q"], os.path.join(out, "cli.log"), 300, env=env)
        check("the packaged command line paints", rc == 0 and
              os.path.isfile(cli_png), read(os.path.join(out, "cli.log")))

        # 5. apt install / apt remove in a throw-away container.
        container(deb, photo, tmp, out, env)
    finally:
        if not args.keep:
            subprocess.run(["rm", "-rf", tmp])

    print("# logs in %s" % out)
    return summary()


INNER = r"""#!/bin/sh
# Runs in a private mount namespace: / as an overlay whose writes go to a
# tmpfs, thrown away with the namespace.
set -u
base=$1
mount -t tmpfs tmpfs "$base" || exit 90
mkdir "$base/upper" "$base/work" "$base/root" || exit 91
mount -t overlay overlay \
  -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$base/root" \
  || exit 92
m=$base/root
mount --rbind /dev "$m/dev" && mount -t proc proc "$m/proc" || exit 93
mkdir -p "$m/st"
cp "$2" "$m/st/package.deb" && cp "$3" "$m/st/photo.jpg" \
  && cp "$4" "$m/st/filter.scm" || exit 94
chroot "$m" sh -c '
  export HOME=/root LANG=C.UTF-8 LANGUAGE=es DEBIAN_FRONTEND=noninteractive
  unset GIMP2_DIRECTORY DISPLAY
  apt-get install -y --no-install-recommends -o Acquire::Retries=0 \
    /st/package.deb > /st/apt-install.log 2>&1
  echo "install $?" > /st/status
  dpkg-query -W -f="\${Status}\n" gimp-style-transfer >> /st/status 2>&1
  gimp-console-2.10 -i -d -f -b "$(cat /st/filter.scm)" -b "(gimp-quit 0)" \
    > /st/gimp.log 2>&1
  apt-get remove -y gimp-style-transfer > /st/apt-remove.log 2>&1
  echo "remove $?" >> /st/status
  for f in /usr/lib/gimp/2.0/plug-ins/style-transfer/style-transfer \
           /usr/lib/gimp/2.0/plug-ins/style-transfer/paintings/paintings.ini \
           /usr/bin/style-transfer \
           /usr/share/locale/es/LC_MESSAGES/gimp-style-transfer.mo; do
    [ -e "$f" ] && echo "left $f" >> /st/status
  done
  true'
cp "$m/st/status" "$m/st/apt-install.log" "$m/st/gimp.log" \
   "$m/st/apt-remove.log" "$5/" 2>/dev/null
[ -f "$m/st/painted.png" ] && cp "$m/st/painted.png" "$5/container.png"
exit 0
"""


def container(deb, photo, tmp, out, env):
    if os.geteuid() != 0 or not shutil.which("unshare") \
            or not shutil.which("chroot"):
        print("# apt install/remove in a container: skipped (needs root, "
              "unshare and chroot)")
        return
    inner = os.path.join(tmp, "inner.sh")
    with open(inner, "w") as f:
        f.write(INNER)
    scm = os.path.join(tmp, "filter.scm")
    with open(scm, "w") as f:
        f.write(filter_script("/st/photo.jpg", "/st/painted.png"))
    base = os.path.join(tmp, "container")
    results = os.path.join(out, "container")
    os.makedirs(base)
    os.makedirs(results)
    rc = run(["unshare", "--mount", "sh", inner, base, deb, photo, scm,
              results], os.path.join(out, "container.log"), 900, env=env)
    if rc in (90, 91, 92, 93):
        print("# apt install/remove in a container: skipped (mounts "
              "refused here: %s)" % read(os.path.join(out, "container.log")))
        return
    status = read(os.path.join(results, "status"))
    print("# container: " + status.replace("\n", "; "))
    check("apt-get install ./%s in a container" % os.path.basename(deb),
          "install 0" in status and "install ok installed" in status,
          read(os.path.join(results, "apt-install.log"))[-1500:])
    gimp_log = read(os.path.join(results, "gimp.log"))
    check("the installed filter paints in headless GIMP, in Spanish",
          layer_name(gimp_log) == "Transferencia de estilo — The Starry Night"
          and os.path.isfile(os.path.join(results, "container.png")),
          gimp_log[-1500:])
    check("apt-get remove removes every file of the package",
          "remove 0" in status and "left " not in status,
          status + read(os.path.join(results, "apt-remove.log"))[-1000:])


if __name__ == "__main__":
    sys.exit(main())
