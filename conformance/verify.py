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

import dataclasses
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
        run_with_progress([py, "-m", "pip", "install", "--progress-bar", "off",
                           "--disable-pip-version-check", *args], out, t0)
    out(f"  {stack} ready in {time.perf_counter() - t0:.0f} s")
    return py


#: the lines of pip's output shown as progress (one per package, not per byte)
_PIP_PROGRESS = ("Collecting ", "Downloading ", "Building wheel", "Installing collected",
                 "Successfully installed", "ERROR", "error:")


def run_with_progress(cmd, out, t0=None, keep=_PIP_PROGRESS, env=None, on_line=None):
    """Run ``cmd``, passing each line of its output that starts with one of ``keep`` to
    ``out`` as it comes (with the seconds since ``t0``), and every line to ``on_line``;
    raise CalledProcessError (with the output's last 3000 characters) if it fails."""
    t0 = time.perf_counter() if t0 is None else t0
    tail = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=env, bufsize=1) as proc:
        for line in proc.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-60:]
            if on_line is not None:
                on_line(line)
            if keep and line.lstrip().startswith(keep):
                out(f"      {time.perf_counter() - t0:5.0f} s  {line.strip()[:110]}")
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd,
                                            output="\n".join(tail)[-3000:])


def check_disk_space(stacks, where=ROOT):
    """Raise OSError, before anything is installed, if the disk holding ``where`` has less
    free space than the ``stacks`` to be set up need (their ``disk_gb`` together)."""
    import shutil
    need = sum(STACKS[s]["disk_gb"] for s in stacks)
    free = shutil.disk_usage(where).free / 1e9
    if free < need:
        raise OSError(f"conformance setup: {', '.join(stacks)} need about {need:.1f} GB of free "
                      f"disk space under {where}; {free:.1f} GB are free. Free some space "
                      "and run `python -m conformance setup` again.")


def setup_all(force=False, out=print):
    """Create every stack's environment that is missing (or all of them, with force)."""
    import shutil
    todo = [s for s in STACKS if force or not os.path.exists(stack_python(s))]
    check_disk_space(todo)
    for stack in STACKS:
        py = stack_python(stack)
        if stack not in todo:
            out(f"{stack}: present ({os.path.dirname(os.path.dirname(py))})")
            continue
        if os.path.exists(py):
            shutil.rmtree(os.path.dirname(os.path.dirname(py)))
        setup_stack(stack, out)
    return 0


# -- recording and replaying -----------------------------------------------------------------

def record_stack(stack, streams, dest, only="", out=print, on_file=None):
    """Run every adapter of one stack into ``dest``, reporting each; return the files.
    ``on_file(path)`` is called for each recording as soon as its adapter has written it
    (the adapters print ``wrote <file>`` per recording)."""
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
        out(f"  [{i}/{len(adapters)}] {label}: running")
        lines = []

        def line(text):
            lines.append(text)
            words = text.split()
            if on_file is not None and words[:1] == ["wrote"] and len(words) > 1 \
                    and words[1].endswith(".npz"):
                on_file(os.path.join(dest, words[1]))
        try:
            run_with_progress(cmd, out, t0, keep=(), env=env, on_line=line)
        except subprocess.CalledProcessError as e:
            out(f"  [{i}/{len(adapters)}] {label}: FAILED (exit {e.returncode})\n{e.output}")
            raise RuntimeError(f"adapter {label} failed") from None
        last = next((t for t in reversed(lines) if "trajectory files" in t),
                    lines[-1] if lines else "")
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
        # the suite's own recordings (made by this run, or shipped in the checkout): trusted
        # up to MAX_BYTES; the large-stream clip cases compress ~50 times
        traj = trajectory.load(path, max_bytes=trajectory.MAX_BYTES)
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
    results, done = [], set()

    def replay_one(path):                    # as soon as the adapter has written it
        done.add(os.path.basename(path))
        for row in replay_rows(path):
            results.append(row)
            if rows is not None:
                rows("live", *row)

    files = record_stack(stack, streams_dir, dest, only, out, on_file=replay_one)
    for path in files:
        if os.path.basename(path) not in done:
            replay_one(path)
    return results


# -- the report ------------------------------------------------------------------------------

_HEAD = (f"{'framework':22s} {'optimizer':9s} {'variant':24s} {'dtype':7s} {'src':6s} "
         f"{'steps':>5s} {'max ULP':>8s}  status")


def _row_printer(out):
    def row(source, r, status, note, name):
        if r is None:
            out(f"{name.replace('.npz', ''):77s} {status}")
        else:
            stem, _, lr_source = name.partition("#")
            variant = stem[:-4].split("-")[2] if stem.count("-") >= 3 else ""
            variant += f" ({lr_source})" if lr_source else ""
            worst = "0" if r.worst == 0 else f"{r.worst:.0f}"
            out(f"{r.framework:22s} {r.optimizer:9s} {variant:24s} {r.dtype:7s} {source:6s} "
                f"{r.steps:5d} {worst:>8s}  {status}")
        for line in failure_lines(source, r, status, note, name):
            out(line)
    return row


def failure_lines(source, r, status, note, name):
    """What failed, where and why, one line each, under a row that is not identical (a
    pinned row: its reason)."""
    if status.startswith(("identical", "not reproduced")) and not note:
        return []
    if status.startswith("identical") or status == "pinned":
        return [f"    why:   {note}"]
    if status == "not reproduced":
        return [f"    what:  {source} recording {name}", f"    why:   {note}"]
    if r is None:                            # ERROR: the file could not be replayed
        return [f"    what:  replaying the {source} recording {name}",
                f"    where: {os.path.join(source if source == 'golden' else 'recordings', name)}",
                f"    why:   {note}"]
    arrays = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r.max_ulp.items()) if v)
    lines = [f"    what:  {r.framework}.{r.optimizer} preset against the {source} recording "
             f"{name} ({r.dtype}, {r.steps} steps)",
             f"    where: first difference at step {r.first_diff_step}, in "
             f"{r.first_diff_array or '?'}; max ULP per array: {arrays or '-'}"]
    if status == "FAIL (pin exceeded)":
        lines.append(f"    why:   above its pin ({note})")
    else:
        lines.append(f"    why:   {note or 'the preset rounds differently from the framework'}")
    return lines


@dataclasses.dataclass
class Row:
    """One recording of the report: its source ("golden" or "live"), file name, status
    ("identical", "pinned", "FAIL", "ERROR", ...), note (why), and the ReplayResult (None
    when it could not be replayed)."""
    source: str
    name: str
    status: str
    note: str
    result: object = None

    @property
    def ok(self):
        return not self.status.startswith(("FAIL", "ERROR"))


@dataclasses.dataclass
class Report:
    """What :func:`report` found: every row, the stacks not installed, the exit code."""
    rows: list
    missing: list
    exit_code: int

    @property
    def counts(self):
        out = {}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return dict(sorted(out.items()))

    @property
    def failures(self):
        return [r for r in self.rows if not r.ok]


def report(live=True, setup=False, only="", out=print, require_all=None):
    """Replay every golden file and record and replay every installed stack, printing each
    row as soon as it is known; return the :class:`Report`."""
    if require_all is None:
        require_all = os.environ.get("CI", "").lower() == "true"
    out(f"this machine: {_cpu.host().describe()}")
    out("framework paths here: " + ", ".join(f"{k}={v}"
                                             for k, v in presets.host_context().items()))
    out("")
    out(_HEAD)
    printer = _row_printer(out)
    found = []

    def rows(source, r, status, note, name):
        found.append(Row(source, name, status, note, r))
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
    result = Report(found, missing, 0)
    out("\n" + ", ".join(f"{n} {status}" for status, n in result.counts.items()) +
        f" ({len(found)} recordings)")
    if missing:
        out(f"not installed (run python -m conformance setup): {', '.join(missing)}")
        if require_all:
            out("CI requires every framework stack: failing")
            result.exit_code = 1
    if result.failures:
        result.exit_code = 1
    return result


def verify(live=True, setup=False, only="", out=print, require_all=None):
    """``python -m conformance verify``: :func:`report`'s exit code (0: every row
    bit-identical or within its pin)."""
    return report(live, setup, only, out, require_all).exit_code
