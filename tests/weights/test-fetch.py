#!/usr/bin/python3
# test-fetch.py - weights/fetch-vgg19, offline.
#
#   test-fetch.py FETCH_SCRIPT
#
# The real 80 MB file is never downloaded: the source is a random-weight
# Keras file made here, given as a local file or served by an HTTP server
# on 127.0.0.1 inside this test; --md5 replaces the pinned checksum.
# Checked: the right checksum installs a file the converter's format
# describes; a wrong one refuses and leaves no file (and an old install
# intact); a copy interrupted by a signal, a killed process or a failing
# write leaves no file; a broken download resumes with HTTP Range;
# "offline" is said clearly.

import hashlib
import http.server
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

try:
    import numpy as np
    import h5py  # noqa: F401  (the fixtures and the converter need it)
except ImportError as e:
    print("skipped: %s (apt install python3-numpy python3-h5py)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vgg_fixtures as fx  # noqa: E402

FETCH = os.path.abspath(sys.argv[1])
failures = []


def check(condition, what):
    print("%s: %s" % ("ok" if condition else "FAILED", what), flush=True)
    if not condition:
        failures.append(what)


def fetch(env, *args, **kwargs):
    return subprocess.run([sys.executable, FETCH, "--quiet"] + list(args),
                          capture_output=True, text=True, env=env,
                          timeout=120, **kwargs)


def files_in(folder):
    """Every file under folder, hidden ones included."""
    found = []
    for root, _, names in os.walk(folder):
        found += [os.path.relpath(os.path.join(root, n), folder)
                  for n in names]
    return sorted(found)


def installed_ok(path):
    """The installed file is a whole safetensors file with the 32
    tensors (the engine's own checks run in test-safetensors.c)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        size = 8 + length + max(e["data_offsets"][1] for k, e in
                                header.items() if k != "__metadata__")
    return (header["__metadata__"]["preprocess"] == "caffe"
            and len(header) == 33 and os.path.getsize(path) == size)


# ---------------------------------------------------------- HTTP server


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves the one file with Range support; server.mode decides how
    a response ends: "whole", "drop-once" (the first response stops
    halfway), "always-drop", "stall" (halfway, then waits)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        data, server = self.server.data, self.server
        begin = 0
        if "Range" in self.headers:
            begin = int(self.headers["Range"].split("=")[1].split("-")[0])
            server.ranges.append(begin)
            if begin >= len(data):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d"
                             % (begin, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - begin))
        self.end_headers()
        server.requests += 1
        end = len(data)
        if server.mode == "always-drop" or (server.mode == "drop-once"
                                            and server.requests == 1):
            end = begin + (len(data) - begin) // 2
        elif server.mode == "stall":
            end = len(data) // 2
        try:
            self.wfile.write(data[begin:end])
            self.wfile.flush()
            if server.mode == "stall":
                server.stalled.set()
                server.release.wait(60)
        except (BrokenPipeError, ConnectionResetError):
            pass
        # closing here, short of Content-Length, is the broken download
        self.close_connection = True


def serve(data, mode):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.data, server.mode, server.requests = data, mode, 0
    server.ranges = []
    server.stalled, server.release = threading.Event(), threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d/vgg19.h5" % server.server_port


# ---------------------------------------------------------------- tests


def main():
    base = tempfile.mkdtemp(prefix="st-fetch-")
    try:
        checks(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


def checks(base):
    env = dict(os.environ, XDG_DATA_HOME=os.path.join(base, "data"),
               XDG_CACHE_HOME=os.path.join(base, "cache"),
               HOME=os.path.join(base, "home"))
    env.pop("https_proxy", None)
    env.pop("http_proxy", None)
    source = os.path.join(base, "vgg19_notop.h5")
    fx.write_keras_h5(source, fx.random_weights(np.random.default_rng(3)),
                      "nested")
    with open(source, "rb") as f:
        data = f.read()
    md5 = hashlib.md5(data).hexdigest()
    default_target = os.path.join(base, "data", "gimp-style-transfer",
                                  "vgg19.safetensors")

    # -- the right checksum installs, in the default folder
    result = fetch(env, "--from", source, "--md5", md5)
    check(result.returncode == 0, "right checksum: exit 0 (%s)"
          % result.stderr.strip().splitlines()[-1:])
    check(os.path.isfile(default_target) and installed_ok(default_target),
          "installed into $XDG_DATA_HOME/gimp-style-transfer")
    check(files_in(os.path.join(base, "data")) ==
          ["gimp-style-transfer/vgg19.safetensors"],
          "nothing else written there")
    check(default_target in result.stdout, "says where it installed")
    check(oct(os.stat(default_target).st_mode & 0o777) == oct(
        0o644 & ~current_umask()), "installed readable (0644 - umask)")
    first_install = open(default_target, "rb").read()

    # -- the wrong checksum refuses, leaves no file, keeps the old install
    dest = os.path.join(base, "wrong")
    result = fetch(env, "--from", source, "--md5", "0" * 32, "--dest", dest)
    print("   -> " + result.stderr.strip().splitlines()[-1])
    check(result.returncode == 1, "wrong checksum: exit 1")
    check("checksum mismatch" in result.stderr, "wrong checksum: says so")
    check(not os.path.exists(dest), "wrong checksum: no file, no folder")
    result = fetch(env, "--from", source, "--md5", "f" * 32)
    check(result.returncode == 1 and open(default_target, "rb").read()
          == first_install, "wrong checksum: the old install is intact")
    # and without --md5, the pinned Keras checksum is what it compares to
    result = fetch(env, "--from", source, "--dest", dest)
    check(result.returncode == 1 and "253f8cb515780f3b799900260a226db6"
          in result.stderr, "the pinned md5 is the default")

    # -- --f16 and --dest
    dest = os.path.join(base, "half")
    result = fetch(env, "--from", source, "--md5", md5, "--f16", "--dest",
                   dest)
    target = os.path.join(dest, "vgg19.safetensors")
    check(result.returncode == 0 and installed_ok(target)
          and os.path.getsize(target) < len(first_install) * 0.51,
          "--f16 --dest installs a half-size file there")
    check("ST_VGG19_WEIGHTS" in result.stdout,
          "--dest: says how the front ends find it")

    # -- a write that fails midway (a file size limit stands in for a full
    # disk; Python ignores SIGXFSZ, so the write fails with EFBIG): a
    # clear message, no file
    dest = os.path.join(base, "limited")

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 << 20, 8 << 20))
    result = fetch(env, "--from", source, "--md5", md5, "--dest", dest,
                   preexec_fn=limit_file_size)
    print("   -> " + result.stderr.strip().splitlines()[-1])
    check(result.returncode == 1, "failed write: exit 1")
    check("too large" in result.stderr or "space" in result.stderr,
          "failed write: says why")
    check(not os.path.exists(dest) or files_in(dest) == [],
          "failed write: no file left")

    # -- SIGTERM while the converter writes: no file
    dest = os.path.join(base, "terminated")
    returncode, stderr = signal_mid_write(env, source, md5, dest,
                                          signal.SIGTERM)
    check(returncode == 128 + signal.SIGTERM, "SIGTERM mid-write: exit 143")
    check("interrupted" in stderr, "SIGTERM mid-write: says so")
    check(not os.path.exists(dest) or files_in(dest) == [],
          "SIGTERM mid-write: no file left (%s)"
          % (files_in(dest) if os.path.exists(dest) else "no folder"))

    # -- killed outright mid-write (no cleanup can run): nothing under the
    # installed name, and the next run removes the dot-file
    dest = os.path.join(base, "killed")
    returncode, _ = signal_mid_write(env, source, md5, dest, signal.SIGKILL)
    check(returncode == -signal.SIGKILL, "killed mid-write")
    check("vgg19.safetensors" not in files_in(dest),
          "killed mid-write: nothing under the installed name")
    result = fetch(env, "--from", source, "--md5", md5, "--dest", dest)
    check(result.returncode == 0 and files_in(dest) ==
          ["vgg19.safetensors"], "the next run cleans up and installs")

    # -- a download broken halfway resumes with Range
    server, url = serve(data, "drop-once")
    dest = os.path.join(base, "resumed")
    result = fetch(env, "--from", url, "--md5", md5, "--dest", dest)
    check(result.returncode == 0 and installed_ok(
        os.path.join(dest, "vgg19.safetensors")),
        "broken download: installed after a retry (%s)"
        % result.stderr.strip().splitlines()[-1:])
    check(server.ranges == [len(data) // 2] and "resuming" in result.stderr,
          "broken download: resumed where it stopped, not from 0")
    check(files_in(os.path.join(base, "cache")) == [],
          "the download is removed once installed")
    server.shutdown()

    # -- a download that never completes fails cleanly
    server, url = serve(data, "always-drop")
    dest = os.path.join(base, "broken")
    result = fetch(env, "--from", url, "--md5", md5, "--dest", dest,
                   "--retries", "2")
    print("   -> " + result.stderr.strip().splitlines()[-1])
    check(result.returncode == 1 and "run fetch-vgg19 again to resume"
          in result.stderr, "never-complete download: exit 1, says so")
    check(not os.path.exists(dest), "never-complete download: no file")
    server.shutdown()
    for name in files_in(os.path.join(base, "cache")):
        os.unlink(os.path.join(base, "cache", name))

    # -- SIGTERM during a download: no file installed, the part kept
    server, url = serve(data, "stall")
    dest = os.path.join(base, "stalled")
    process = subprocess.Popen(
        [sys.executable, FETCH, "--quiet", "--from", url, "--md5", md5,
         "--dest", dest], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    stalled = server.stalled.wait(60)
    time.sleep(0.3)  # let the client take in what was sent
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    server.release.set()
    print("   -> " + stderr.strip().splitlines()[-1])
    check(stalled and process.returncode == 128 + signal.SIGTERM,
          "SIGTERM mid-download: exit 143")
    check(not os.path.exists(dest), "SIGTERM mid-download: no file")
    parts = files_in(os.path.join(base, "cache"))
    check(parts == ["gimp-style-transfer/vgg19.h5.part"]
          and "resumed next time" in stderr,
          "SIGTERM mid-download: the partial download is kept to resume")
    server.shutdown()
    # ... and the next run picks it up
    server, url = serve(data, "whole")
    result = fetch(env, "--from", url, "--md5", md5, "--dest", dest)
    check(result.returncode == 0 and len(server.ranges) == 1
          and server.ranges[0] > 0, "the next run resumes the part")
    server.shutdown()

    # -- offline: nothing listens; a clear message, no file
    dest = os.path.join(base, "offline")
    result = fetch(env, "--from", "http://127.0.0.1:9/vgg19.h5", "--md5",
                   md5, "--dest", dest, "--retries", "1")
    print("   -> " + result.stderr.strip().splitlines()[-1])
    check(result.returncode == 1 and "offline" in result.stderr
          and "--from FILE" in result.stderr, "offline: exit 1, says so")
    check(not os.path.exists(dest), "offline: no file")

    # -- no permission: a folder that cannot be made (a file in the way,
    # which stops root too)
    blocker = os.path.join(base, "blocker")
    open(blocker, "w").close()
    result = fetch(env, "--from", source, "--md5", md5, "--dest",
                   os.path.join(blocker, "sub"))
    print("   -> " + result.stderr.strip().splitlines()[-1])
    check(result.returncode == 1 and "cannot create" in result.stderr,
          "unusable folder: exit 1, says so")
    if os.geteuid() != 0:
        locked = os.path.join(base, "locked")
        os.mkdir(locked, 0o555)
        result = fetch(env, "--from", source, "--md5", md5, "--dest",
                       locked)
        check(result.returncode == 1 and "no permission" in result.stderr,
              "read-only folder: exit 1, says no permission")
        check(files_in(locked) == [], "read-only folder: no file")
    else:
        print("skip: read-only folder (root writes anywhere)")


def signal_mid_write(env, source, md5, dest, number):
    """Runs an install and sends the signal as soon as the temporary file
    appears (the write lasts ~0.1 s); (exit status, stderr)."""
    for _ in range(5):
        process = subprocess.Popen(
            [sys.executable, FETCH, "--quiet", "--from", source, "--md5",
             md5, "--dest", dest], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if os.path.isdir(dest) and any(n.endswith(".tmp")
                                           for n in os.listdir(dest)):
                process.send_signal(number)
                break
            time.sleep(0.0005)
        _, stderr = process.communicate(timeout=60)
        if process.returncode != 0:
            return process.returncode, stderr
        # finished before the signal: try again
        os.unlink(os.path.join(dest, "vgg19.safetensors"))
    return 0, ""


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


if __name__ == "__main__":
    sys.exit(main())
