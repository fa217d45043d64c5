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
    stacks = _load(os.path.join(cdir, "stacks.py"), "adamkit_conformance_stacks").STACKS
    for stack, spec in stacks.items():
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
    for pattern, (ulp, why) in pins.items():
        if fnmatch.fnmatch(result.name, pattern):
            if result.worst == 0:
                return "identical (pin obsolete)", why
            return ("pinned" if result.worst <= ulp else "FAIL (pin exceeded)"), why
    return ("identical" if result.identical else "FAIL"), ""


def verify(conformance_dir="conformance", live=True, setup=False, only="", out=print,
           require_all=None):
    from ._replay import replay_file
    if require_all is None:
        require_all = os.environ.get("CI", "").lower() == "true"
    cdir = os.path.abspath(conformance_dir)
    if not os.path.isdir(cdir):
        out(f"no conformance directory at {cdir}: run from a source checkout of adamkit "
            "or pass --conformance-dir")
        return 2
    pins_path = os.path.join(cdir, "pins.py")
    pins = _load(pins_path, "adamkit_conformance_pins").PINS if os.path.exists(pins_path) else {}
    files = [(p, "golden") for p in sorted(glob.glob(os.path.join(cdir, "golden", "*.npz")))]
    missing = []
    if live:
        stacks = _load(os.path.join(cdir, "stacks.py"), "adamkit_conformance_stacks").STACKS
        sys.path.insert(0, cdir)
        from make_streams import write_streams
        streams = write_streams(tempfile.mkdtemp(prefix="adamkit-streams-"))
        for stack, spec in stacks.items():
            py = stack_python(cdir, stack)
            if not os.path.exists(py):
                if setup:
                    setup_stack(cdir, stack, spec, out)
                else:
                    missing.append(stack)
                    continue
            dest = os.path.join(cdir, "recordings", stack)
            os.makedirs(dest, exist_ok=True)
            for old in glob.glob(os.path.join(dest, "*.npz")):
                os.remove(old)
            out(f"recording {stack} ({py})")
            files += [(p, "live") for p in record_stack(cdir, stack, spec, streams, dest,
                                                        only, out)]
    rows, bad = [], 0
    for path, source in files:
        if only and only not in os.path.basename(path):
            continue
        try:
            r = replay_file(path)
        except Exception as exc:
            rows.append((os.path.basename(path), source, "", "", "", "", "-",
                         f"ERROR {type(exc).__name__}: {exc}", ""))
            bad += 1
            continue
        status, why = _status(r, pins)
        bad += status.startswith("FAIL")
        variant = os.path.basename(path)[:-4].split("-")[2] if path.count("-") >= 3 else ""
        rows.append((r.name, source, r.framework, r.optimizer, variant, r.dtype, r.steps,
                     r.worst, status, why))
    out("")
    out(f"{'framework':16s} {'optimizer':9s} {'variant':22s} {'dtype':7s} {'src':6s} "
        f"{'steps':>5s} {'max ULP':>8s}  status")
    for row in rows:
        if len(row) == 9:
            out(f"{row[0]:60s} {row[7]}")
            continue
        name, source, fw, opt, variant, dtype, steps, worst, status, why = row
        w = "0" if worst == 0 else f"{worst:.0f}"
        out(f"{fw:16s} {opt:9s} {variant:22s} {dtype:7s} {source:6s} {steps:5d} {w:>8s}  "
            f"{status}{'  -- ' + why if why else ''}")
    n_ok = sum(1 for r in rows if len(r) == 10 and r[8] in ("identical", "pinned",
                                                             "identical (pin obsolete)"))
    out(f"\n{n_ok} of {len(rows)} recordings bit-identical or at their measured pin")
    if missing:
        out(f"not installed (run with --setup): {', '.join(missing)}")
        if require_all:
            out("CI requires every framework stack: failing")
            return 1
    return 1 if bad else 0
