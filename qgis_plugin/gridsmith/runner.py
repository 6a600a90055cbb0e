"""Running the gridsmith command for a Processing algorithm.

The command is run as a child process with `--progress json --json`: its
stderr is one JSON object a line (progress phases and fractions, warnings,
the failure), its stdout the JSON summary of the run or of its failure.
Progress goes to the Processing feedback as it comes; Cancel kills the
process (SIGTERM, then SIGKILL): gridsmith writes every output through a
temporary file renamed into place, so a killed run leaves earlier outputs
as they were. No QGIS import here, so the runner is usable and testable on
its own.
"""

import json
import os
import shutil
import signal
import subprocess
import threading
import time


class GridsmithError(Exception):
    """A run that failed: the command's message, code and exit status."""

    def __init__(self, message, code=None, exit_status=None):
        super().__init__(message)
        self.code = code
        self.exit_status = exit_status


class Cancelled(GridsmithError):
    pass


def find_binary():
    """The gridsmith command: $GRIDSMITH_BIN, else the one on PATH, else
    the Debian package's."""
    env = os.environ.get("GRIDSMITH_BIN")
    if env:
        return env
    found = shutil.which("gridsmith")
    if found:
        return found
    for p in ("/usr/bin/gridsmith", "/usr/local/bin/gridsmith"):
        if os.access(p, os.X_OK):
            return p
    raise GridsmithError(
        "gridsmith is not installed: install the Debian package gridsmith, "
        "or set GRIDSMITH_BIN to the command")


def _sweep(out_dir, pid):
    """Removes the temporaries a killed run (process `pid`) left in
    `out_dir`: ".NAME.<pid>.tmp..." beside its outputs."""
    import glob
    for path in glob.glob(os.path.join(out_dir, ".*.%d.tmp*" % pid)):
        try:
            os.remove(path)
        except OSError:
            pass


def run(args, on_progress=None, on_message=None, is_cancelled=None,
        binary=None, poll=0.1, out_dir=None):
    """Runs `gridsmith ARGS --progress json --json` and returns its JSON
    summary (a dict).

    on_progress(phase, fraction or None) and on_message(level, text) are
    called as lines arrive; is_cancelled() is polled, and when it turns
    true the process is killed, its temporaries in `out_dir` (the output's
    folder) removed, and Cancelled raised. A failed run raises
    GridsmithError with the command's own message."""
    cmd = [binary or find_binary()] + list(args) + ["--progress", "json",
                                                    "--json"]
    env = dict(os.environ, LC_ALL=os.environ.get("LC_ALL", "C.UTF-8"))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    errors = []
    plain = []

    def read_stderr():
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                obj = json.loads(line)
            except ValueError:
                plain.append(line)  # e.g. a deprecation warning
                if on_message:
                    on_message("info", line)
                continue
            kind = obj.get("type")
            if kind == "progress" and on_progress:
                on_progress(obj.get("phase", ""), obj.get("fraction"))
            elif kind == "error":
                errors.append(obj)
            elif on_message:
                on_message(kind or "info", obj.get("message", line))

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    out_chunks = []
    out_reader = threading.Thread(
        target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)
    out_reader.start()
    try:
        return _wait(proc, reader, out_reader, out_chunks, errors, plain,
                     is_cancelled, poll)
    except Cancelled:
        if out_dir:
            _sweep(out_dir, proc.pid)
        raise
    finally:
        proc.stdout.close()
        proc.stderr.close()


def _wait(proc, reader, out_reader, out_chunks, errors, plain, is_cancelled,
          poll):
    while proc.poll() is None:
        if is_cancelled and is_cancelled():
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            reader.join(timeout=2)
            raise Cancelled("cancelled: gridsmith was stopped; earlier "
                            "outputs are untouched")
        time.sleep(poll)
    reader.join(timeout=10)
    out_reader.join(timeout=10)
    out = (out_chunks[0] if out_chunks else b"").decode("utf-8", "replace")
    try:
        doc = json.loads(out) if out.strip() else {}
    except ValueError:
        doc = {}
    if proc.returncode not in (0, 1):  # 1: findings with --strict
        if doc.get("status") == "error":
            raise GridsmithError(doc.get("message", "failed"),
                                 doc.get("code"), doc.get("exit_status"))
        if errors:
            e = errors[-1]
            raise GridsmithError(e.get("message", "failed"), e.get("code"),
                                 e.get("exit_status"))
        raise GridsmithError("gridsmith failed (exit %d): %s" %
                             (proc.returncode, " ".join(plain[-3:])),
                             exit_status=proc.returncode)
    return doc
