"""``python -m adamkit verify``: the conformance report.

Reads the conformance directory of a source checkout (``conformance/``):

* ``golden/*.npz``: trajectories recorded from frameworks that cannot be installed here;
  each is replayed through its preset.
* ``stacks.py``: the live framework environments (``.venvs/<stack>`` next to the
  conformance directory), the pip commands that create them, and the adapters each runs.
  Every adapter records the framework on the standard gradient streams; each recording is
  replayed through its preset.
* ``pins.py``: the cases that cannot reach 0 ULP, with the distance measured and why.

Prints one table (framework, optimizer, variant, dtype, steps, max ULP, status) and returns
0 when every row is bit-identical or matches its pin, 1 otherwise.
"""

import glob
import importlib.util
import os
import subprocess
import sys
import tempfile
import time


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_stacks(conformance_dir):
    return _load(os.path.join(os.path.abspath(conformance_dir), "stacks.py"),
                 "adamkit_conformance_stacks").STACKS


def load_pins(conformance_dir):
    """(PINS, NOT_REPRODUCED) of conformance/pins.py (both empty when it is absent)."""
    path = os.path.join(os.path.abspath(conformance_dir), "pins.py")
    if not os.path.exists(path):
        return {}, {}
    mod = _load(path, "adamkit_conformance_pins")
    return mod.PINS, getattr(mod, "NOT_REPRODUCED", {})


def _not_reproduced(name, pins):
    import fnmatch
    for pattern, why in pins[1].items():
        if fnmatch.fnmatch(name, pattern):
            return why
    return None


def _replay_row(path, pins):
    """Replay one file: (result or None, status, why)."""
    from ._replay import replay_file
    name = os.path.basename(path)
    why = _not_reproduced(name, pins)
    if why is not None:
        return None, "not reproduced", why
    try:
        r = replay_file(path)
    except Exception as exc:
        return None, "ERROR", f"{type(exc).__name__}: {exc}"
    status, why = _status(r, pins)
    return r, status, why


def live_results(conformance_dir, stack, streams_dir, dest, only="", out=lambda s: None):
    """Record one stack into ``dest`` and replay every recording:
    [(result or None, status, why, file name)]."""
    cdir = os.path.abspath(conformance_dir)
    sys.path.insert(0, cdir)
    from make_streams import write_streams
    write_streams(streams_dir)
    os.makedirs(dest, exist_ok=True)
    files = record_stack(cdir, stack, load_stacks(cdir)[stack], streams_dir, dest, only, out)
    pins = load_pins(cdir)
    return [(*_replay_row(path, pins), os.path.basename(path)) for path in files]


def stack_python(conformance_dir, stack):
    root = os.path.dirname(os.path.abspath(conformance_dir))
    return os.path.join(root, ".venvs", stack, "bin", "python")


def setup_stack(conformance_dir, stack, spec, out):
    """Create ``.venvs/<stack>`` and run the stack's pip commands in order."""
    py = stack_python(conformance_dir, stack)
    venv = os.path.dirname(os.path.dirname(py))
    t0 = time.perf_counter()
    out(f"setting up {stack} in {venv} ...")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    for args in spec["pip"]:
        subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *args], check=True)
    out(f"  {stack} ready in {time.perf_counter() - t0:.0f} s")
    return py


def setup_all(conformance_dir="conformance", force=False, out=print):
    """Create every stack's environment that is missing (or all of them, with force)."""
    import shutil
    cdir = os.path.abspath(conformance_dir)
    if not os.path.isdir(cdir):
        out(f"no conformance directory at {cdir}: run from a source checkout of adamkit")
        return 2
    for stack, spec in load_stacks(cdir).items():
        py = stack_python(cdir, stack)
        if os.path.exists(py) and not force:
            out(f"{stack}: present ({os.path.dirname(os.path.dirname(py))})")
            continue
        if os.path.exists(py):
            shutil.rmtree(os.path.dirname(os.path.dirname(py)))
        setup_stack(cdir, stack, spec, out)
    return 0


def record_stack(conformance_dir, stack, spec, streams, dest, only="", out=print):
    """Run every adapter of one stack into ``dest``; return the files written."""
    py = stack_python(conformance_dir, stack)
    runner = os.path.join(os.path.abspath(conformance_dir), "adapters", "_run.py")
    for adapter, env_extra in spec["adapters"]:
        env = dict(os.environ, **env_extra)
        cmd = [py, runner, adapter, "--streams", streams, "--out", dest]
        if only:
            cmd += ["--only", only]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        label = adapter + "".join(f" {k}={v}" for k, v in env_extra.items())
        if proc.returncode != 0:
            out(f"  {label}: FAILED (exit {proc.returncode})\n{proc.stderr[-3000:]}")
            raise RuntimeError(f"adapter {label} failed")
        out(f"  {label}: {proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''}"
            f" ({time.perf_counter() - t0:.0f} s)")
    return sorted(glob.glob(os.path.join(dest, "*.npz")))


def _status(result, pins):
    import fnmatch
    for pattern, (ulp, why) in pins[0].items():
        if fnmatch.fnmatch(result.name, pattern):
            if result.worst == 0:
                return "identical (pin obsolete)", why
            return ("pinned" if result.worst <= ulp else "FAIL (pin exceeded)"), why
    return ("identical" if result.identical else "FAIL"), ""


def verify(conformance_dir="conformance", live=True, setup=False, only="", out=print,
           require_all=None):
    if require_all is None:
        require_all = os.environ.get("CI", "").lower() == "true"
    cdir = os.path.abspath(conformance_dir)
    if not os.path.isdir(cdir):
        out(f"no conformance directory at {cdir}: run from a source checkout of adamkit "
            "or pass --conformance-dir")
        return 2
    pins = load_pins(cdir)
    rows = []                      # (source, result or None, status, why, name)
    for path in sorted(glob.glob(os.path.join(cdir, "golden", "*.npz"))):
        if only and only not in os.path.basename(path):
            continue
        rows.append(("golden", *_replay_row(path, pins), os.path.basename(path)))
    missing = []
    if live:
        streams = tempfile.mkdtemp(prefix="adamkit-streams-")
        for stack, spec in load_stacks(cdir).items():
            if not os.path.exists(stack_python(cdir, stack)):
                if not setup:
                    missing.append(stack)
                    continue
                setup_stack(cdir, stack, spec, out)
            dest = os.path.join(cdir, "recordings", stack)
            for old in glob.glob(os.path.join(dest, "*.npz")):
                os.remove(old)
            out(f"recording {stack}")
            for r, status, why, name in live_results(cdir, stack, streams, dest, only, out):
                rows.append(("live", r, status, why, name))
    out("")
    out(f"{'framework':16s} {'optimizer':9s} {'variant':30s} {'dtype':7s} {'src':6s} "
        f"{'steps':>5s} {'max ULP':>8s}  status")
    bad = 0
    for source, r, status, why, name in rows:
        bad += status.startswith(("FAIL", "ERROR"))
        if r is None:
            out(f"{name[:-4]:70s} {status}{'  -- ' + why if why else ''}")
            continue
        variant = name[:-4].split("-")[2] if name.count("-") >= 3 else ""
        worst = "0" if r.worst == 0 else f"{r.worst:.0f}"
        out(f"{r.framework:16s} {r.optimizer:9s} {variant:30s} {r.dtype:7s} {source:6s} "
            f"{r.steps:5d} {worst:>8s}  {status}{'  -- ' + why if why else ''}")
    counts = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    out("\n" + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) +
        f" ({len(rows)} recordings)")
    if missing:
        out(f"not installed (run python -m adamkit setup): {', '.join(missing)}")
        if require_all:
            out("CI requires every framework stack: failing")
            return 1
    return 1 if bad else 0
