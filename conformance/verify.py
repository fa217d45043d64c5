"""``python -m conformance verify``: the conformance report.

* ``golden/*.npz``: trajectories recorded from frameworks that cannot be installed here;
  each is replayed through its preset.
* ``stacks.py``: the live framework environments (``.venvs/<stack>`` at the top of the
  checkout), the pip commands that create them, and the adapters each runs. Every adapter
  records the framework on the standard gradient streams; each recording is replayed
  through its preset, on the code path the recording says the framework took on its CPU.
* ``pins.py``: the cases that cannot reach 0 ULP, with the distance measured and why.

Prints this machine's CPU, then one row per recording as soon as it is replayed
(framework, optimizer, variant, dtype, steps, max ULP, status; for a failure the first
step and array that differ, and the CPU path the recording took against the one
replayed), and returns 0 when every row is bit-identical or matches its pin, 1 otherwise.
"""

import fnmatch
import glob
import os
import subprocess
import sys
import tempfile
import time

from adamkit import _cpu, presets
from adamkit.tools import trajectory
from adamkit.tools.replay import lr_sources, replay_trajectory

from . import pins as _pins
from .make_streams import write_streams
from .stacks import STACKS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def stack_python(stack):
    return os.path.join(ROOT, ".venvs", stack, "bin", "python")


# -- setting up the framework environments -------------------------------------------------

def setup_stack(stack, out=print):
    """Create ``.venvs/<stack>`` and run the stack's pip commands in order, reporting each."""
    py = stack_python(stack)
    venv = os.path.dirname(os.path.dirname(py))
    t0 = time.perf_counter()
    out(f"setting up {stack} in {venv}")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    cmds = STACKS[stack]["pip"]
    for i, args in enumerate(cmds, 1):
        out(f"  [{i}/{len(cmds)}] pip install {' '.join(args)}")
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *args], check=True)
    out(f"  {stack} ready in {time.perf_counter() - t0:.0f} s")
    return py


def setup_all(force=False, out=print):
    """Create every stack's environment that is missing (or all of them, with force)."""
    import shutil
    for stack in STACKS:
        py = stack_python(stack)
        if os.path.exists(py) and not force:
            out(f"{stack}: present ({os.path.dirname(os.path.dirname(py))})")
            continue
        if os.path.exists(py):
            shutil.rmtree(os.path.dirname(os.path.dirname(py)))
        setup_stack(stack, out)
    return 0


# -- recording and replaying -----------------------------------------------------------------

def record_stack(stack, streams, dest, only="", out=print):
    """Run every adapter of one stack into ``dest``, reporting each; return the files."""
    py = stack_python(stack)
    runner = os.path.join(HERE, "adapters", "_run.py")
    adapters = STACKS[stack]["adapters"]
    flags = _cpu.host().flags
    for i, (adapter, env_extra, *opts) in enumerate(adapters, 1):
        opts = opts[0] if opts else {}
        label = adapter + "".join(f" {k}={v}" for k, v in env_extra.items())
        missing = [f for f in opts.get("requires", ()) if f not in flags]
        if missing:
            out(f"  [{i}/{len(adapters)}] {label}: skipped (this CPU has no {missing})")
            continue
        env = dict(os.environ, **env_extra)
        cmd = [py, runner, adapter, "--streams", streams, "--out", dest]
        if opts.get("tag"):
            cmd += ["--tag", opts["tag"]]
        if only or opts.get("only"):               # the caller's filter, else the entry's
            cmd += ["--only", only or opts["only"]]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            out(f"  [{i}/{len(adapters)}] {label}: FAILED (exit {proc.returncode})\n"
                f"{proc.stderr[-3000:]}")
            raise RuntimeError(f"adapter {label} failed")
        last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        out(f"  [{i}/{len(adapters)}] {label}: {last} ({time.perf_counter() - t0:.0f} s)")
    return sorted(glob.glob(os.path.join(dest, "*.npz")))


def _pin(name):
    for pattern, (ulp, why) in _pins.PINS.items():
        if fnmatch.fnmatch(name, pattern):
            return ulp, why
    return None


def replay_rows(path):
    """Replay one file: [(result or None, status, note, row name)]. One row (a recording of
    real training is replayed with the learning rate it recorded at each step), and a
    second one, named ``<file>#schedule``, replayed with adamkit's schedule when the
    recording's schedule is one that adamkit has."""
    name = os.path.basename(path)
    for pattern, why in _pins.NOT_REPRODUCED.items():
        if fnmatch.fnmatch(name, pattern):
            return [(None, "not reproduced", why, name)]
    try:
        traj = trajectory.load(path)
        sources = lr_sources(traj)
    except Exception as exc:
        return [(None, "ERROR", f"{type(exc).__name__}: {exc}", name)]
    # several arrays of a model: one thread (the bits do not depend on it, and two OpenMP
    # threads on two busy cores make these replays three times slower)
    n_threads = 1 if traj.multi else None
    rows = []
    for source in sources:
        row_name = name + ("#schedule" if source == "schedule" else "")
        try:
            r = replay_trajectory(traj, row_name, n_threads=n_threads, lr_source=source)
        except Exception as exc:
            rows.append((None, "ERROR", f"{type(exc).__name__}: {exc}", row_name))
            continue
        rows.append((r, *_status(row_name, r), row_name))
    return rows


def _status(name, r):
    pin = _pin(name)
    if pin is not None:
        ulp, why = pin
        if r.worst == 0:
            return "identical (pin obsolete)", why
        return ("pinned" if r.worst <= ulp else "FAIL (pin exceeded)"), why
    if r.identical:
        return "identical", ""
    return "FAIL", _hint(r)


def _hint(r):
    """Where a failing replay first differs, and whether the CPU path may explain it."""
    text = f"first differs at step {r.first_diff_step} in {r.first_diff_array}"
    if r.arrays and "[" in r.first_diff_array:
        text += f" ({r.arrays[int(r.first_diff_array.split('[')[1].rstrip(']'))]})"
    if r.lr_source:
        text += f"; lr: {r.lr_source}"
    recorded, host = r.context.get("recorded_cpu"), _cpu.host()
    if recorded and recorded != host.describe():
        text += f"; recorded on {recorded}, replayed on {host.describe()}"
    paths = {k: v for k, v in r.context.items() if k != "recorded_cpu"}
    if paths:
        text += "; replayed as " + ", ".join(f"{k}={v}" for k, v in sorted(paths.items()))
    return text


def live_results(stack, streams_dir, dest, only="", out=lambda s: None, rows=None):
    """Record one stack into ``dest`` and replay every recording:
    [(result or None, status, note, file name)], each also printed by ``rows``."""
    write_streams(streams_dir)
    os.makedirs(dest, exist_ok=True)
    files = record_stack(stack, streams_dir, dest, only, out)
    results = []
    for path in files:
        for row in replay_rows(path):
            results.append(row)
            if rows is not None:
                rows("live", *row)
    return results


# -- the report ------------------------------------------------------------------------------

_HEAD = (f"{'framework':22s} {'optimizer':9s} {'variant':24s} {'dtype':7s} {'src':6s} "
         f"{'steps':>5s} {'max ULP':>8s}  status")


def _row_printer(out):
    def row(source, r, status, note, name):
        if r is None:
            out(f"{name.replace('.npz', ''):77s} {status}{'  -- ' + note if note else ''}")
            return
        stem, _, lr_source = name.partition("#")
        variant = stem[:-4].split("-")[2] if stem.count("-") >= 3 else ""
        variant += f" ({lr_source})" if lr_source else ""
        worst = "0" if r.worst == 0 else f"{r.worst:.0f}"
        out(f"{r.framework:22s} {r.optimizer:9s} {variant:24s} {r.dtype:7s} {source:6s} "
            f"{r.steps:5d} {worst:>8s}  {status}{'  -- ' + note if note else ''}")
    return row


def verify(live=True, setup=False, only="", out=print, require_all=None):
    if require_all is None:
        require_all = os.environ.get("CI", "").lower() == "true"
    out(f"this machine: {_cpu.host().describe()}")
    out("framework paths here: " + ", ".join(f"{k}={v}"
                                             for k, v in presets.host_context().items()))
    out("")
    out(_HEAD)
    printer = _row_printer(out)
    statuses = []

    def rows(source, r, status, note, name):
        statuses.append(status)
        printer(source, r, status, note, name)

    for path in sorted(glob.glob(os.path.join(HERE, "golden", "*.npz"))):
        if only and only not in os.path.basename(path):
            continue
        for row in replay_rows(path):
            rows("golden", *row)
    missing = []
    if live:
        streams = tempfile.mkdtemp(prefix="adamkit-streams-")
        for stack in STACKS:
            if not os.path.exists(stack_python(stack)):
                if not setup:
                    missing.append(stack)
                    continue
                setup_stack(stack, out)
            dest = os.path.join(HERE, "recordings", stack)
            for old in glob.glob(os.path.join(dest, "*.npz")):
                os.remove(old)
            out(f"-- recording {stack} ({len(STACKS[stack]['adapters'])} adapters)")
            live_results(stack, streams, dest, only, out, rows=rows)
    counts = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    out("\n" + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) +
        f" ({len(statuses)} recordings)")
    if missing:
        out(f"not installed (run python -m conformance setup): {', '.join(missing)}")
        if require_all:
            out("CI requires every framework stack: failing")
            return 1
    return 1 if any(s.startswith(("FAIL", "ERROR")) for s in statuses) else 0
