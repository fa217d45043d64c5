"""Run one framework adapter over its cases and write trajectory files.

Usage (inside the framework's own environment)::

    python conformance/adapters/_run.py ADAPTER --streams DIR --out DIR [--only SUBSTR]

``ADAPTER`` names a module in this folder (e.g. ``torch_adapter``). It must define

``FRAMEWORK``  the framework field and file-name prefix (underscores, no dashes);
``versions()`` a dict of the package versions that matter;
``CASES``      a list of :class:`Case`;
``run(case, p0, grads)`` returning ``(params, states, extra_meta)``: ``params`` of shape
               (T+1, n) read back from the framework after every step (row 0 = p0),
               ``states`` a dict of (T+1, n) arrays under the framework's own names, and
               ``extra_meta`` a dict merged into the file's ``meta`` (at least ``api``,
               ``hyperparameters_effective``, ``state_arrays``). For a case with
               ``arrays`` (several parameter arrays updated together, as a model's),
               ``p0`` and ``grads`` are lists with one entry per array ((*shape) and
               (T, *shape)), and ``params`` and ``states`` are lists of the same length.

A real-training adapter (``_train.py``) sets ``TRAINING = True`` and defines
``train(case, data)`` instead of ``run``, returning ``(recording, extra_meta)``:
``recording`` a ``_train.Recorder``'s ``result()`` (several arrays and the learning rate
of every step), written as a multi-array file; its cases name the model in ``stream``.

The gradient streams are made once in the main environment (``streams.py``) and handed
over as ``DIR/stream-<name>-<dtype>.npz`` holding ``p0`` and ``grads``; adapters never draw
random numbers, so the two NumPy versions of the stacks cannot disagree on the data. A
several-array case takes its arrays from the stream with :func:`split_stream`.
"""

import argparse
import dataclasses
import importlib
import json
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
# the trajectory format: adamkit's own module, which needs only NumPy (this runs in the
# framework's environment, where adamkit is not installed)
sys.path.insert(0, os.path.join(ROOT, "src", "adamkit", "tools"))

import _train  # noqa: E402
import trajectory  # noqa: E402


@dataclasses.dataclass
class Case:
    optimizer: str                 # e.g. "adam", "adamw", "rmsprop", "amsgrad"
    variant: str                   # e.g. "default", "custom", "wd", "centered"
    hyperparameters: dict          # exactly as passed to the framework (its own names)
    dtypes: tuple = ("float32", "float64")
    stream: str = "small"
    description: str = ""
    arrays: tuple = None           # several arrays: ((name, shape), ...), see split_stream
    steps: int = None              # the first `steps` steps of the stream (None: all)


def split_stream(p0, grads, shapes, steps):
    """Several parameter arrays from one stream of n elements, without drawing anything:
    element j of the arrays laid end to end starts at ``p0[j % n]`` and gets the gradient
    ``grads[(t + j // n) % T, j % n]`` at step t (each copy of a column walks the stream
    from another step, so no two elements share a trajectory, and every element keeps its
    column's scale and role). Returns the lists of initial arrays and (steps, *shape)
    gradients."""
    T, n = grads.shape
    total = sum(int(np.prod(s, dtype=np.int64)) for s in shapes)
    j = np.arange(total)
    rows = (np.arange(steps)[:, None] + (j // n)[None, :]) % T
    flat_g, flat_p = grads[rows, j % n], p0[j % n]
    ps, gs, at = [], [], 0
    for shape in shapes:
        k = int(np.prod(shape, dtype=np.int64))
        ps.append(flat_p[at:at + k].reshape(shape).copy())
        gs.append(flat_g[:, at:at + k].reshape((steps, *shape)).copy())
        at += k
    return ps, gs


#: environment variables that change which code a framework runs on a CPU
PATH_VARIABLES = ("XLA_FLAGS", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                  "OMP_NUM_THREADS", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS",
                  "MKL_CBWR", "NPY_DISABLE_CPU_FEATURES", "TF_ENABLE_ONEDNN_OPTS")


def _environment():
    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def cpu():
    """The CPU of this run, as /proc/cpuinfo gives it (vendor, display family and model,
    every flag): the replay takes the code path the framework took on it."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                k, _, v = line.partition(":")
                info[k.strip()] = v.strip()
    except OSError:
        pass
    return {"vendor": info.get("vendor_id", ""), "family": int(info.get("cpu family", 0) or 0),
            "model": int(info.get("model", 0) or 0), "name": info.get("model name", ""),
            "machine": platform.machine(), "flags": sorted(info.get("flags", "").split())}


def openblas_info():
    """The core, thread count and configuration of the OpenBLAS that NumPy loaded (asked
    from the library itself), or {} if none is loaded."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "openblas" in line.lower()
                           and line.split()[-1].startswith("/")})
    except OSError:
        return {}
    for path in libs:
        lib = ctypes.CDLL(path)
        for suffix in ("64_", ""):
            get_core = getattr(lib, "openblas_get_corename" + suffix, None)
            if get_core is None:
                continue
            get_core.restype = ctypes.c_char_p
            get_config = getattr(lib, "openblas_get_config" + suffix)
            get_config.restype = ctypes.c_char_p
            return {"openblas_core": get_core().decode(),
                    "openblas_threads": int(getattr(lib, "openblas_get_num_threads" + suffix)()),
                    "openblas_config": get_config().decode(), "openblas_library": path}
    return {}


def _check(name, params, grads):
    """The adapter returned one (T+1, *shape) array of the gradients' dtype per array."""
    pairs = zip(params, grads) if isinstance(grads, list) else [(params, grads)]
    for p, g in pairs:
        p = np.asarray(p)
        if p.dtype != g.dtype or p.shape != (g.shape[0] + 1, *g.shape[1:]):
            raise RuntimeError(f"{name}: adapter returned params {p.dtype} {p.shape}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("adapter")
    ap.add_argument("--streams", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="", help="run only cases whose file name contains this")
    ap.add_argument("--tag", default="", help="appended to each variant (a second code path "
                                              "of the same cases, e.g. an ISA limit)")
    args = ap.parse_args(argv)
    mod = importlib.import_module(args.adapter)
    os.makedirs(args.out, exist_ok=True)
    versions = mod.versions()
    written = 0
    for case in mod.CASES:
        for dtype in case.dtypes:
            variant = case.variant + (f".{args.tag}" if args.tag else "")
            name = f"{mod.FRAMEWORK}-{case.optimizer}-{variant}-{dtype}"
            if args.only and args.only not in name:
                continue
            t0 = time.perf_counter()
            lr = arrays = None
            if getattr(mod, "TRAINING", False):
                data = _train.Data(args.streams, case.stream, dtype)
                (grads, params, states, lr, arrays), extra = mod.train(case, data)
                stream_meta = data.meta
                T, n = grads[0].shape[0], sum(g[0].size for g in grads)
                if any(p.dtype != np.dtype(dtype) for p in params):
                    raise RuntimeError(f"{name}: adapter returned {[p.dtype for p in params]}")
            else:
                with np.load(os.path.join(args.streams, f"stream-{case.stream}-{dtype}.npz")) as z:
                    p0, grads = z["p0"], z["grads"]
                    stream_meta = json.loads(str(z["meta"]))
                if case.steps is not None:
                    grads = grads[:case.steps]
                if case.arrays is not None:
                    shapes = [tuple(s) for _, s in case.arrays]
                    p0, grads = split_stream(p0, grads, shapes, grads.shape[0])
                    arrays = [{"name": a, "shape": list(s)}
                              for (a, _), s in zip(case.arrays, shapes)]
                params, states, extra = mod.run(case, p0 if arrays else p0.copy(), grads)
                _check(name, params, grads)
                if not arrays:
                    params = np.asarray(params)
                T = int(grads[0].shape[0]) if arrays else int(grads.shape[0])
                n = int(sum(g[0].size for g in grads)) if arrays else int(grads.shape[1])
            meta = {
                "framework": mod.FRAMEWORK,
                "version": versions,
                "optimizer": case.optimizer,
                "variant": case.variant,
                "tag": args.tag,
                "case_description": case.description,
                "hyperparameters": case.hyperparameters,
                "dtype": dtype,
                "n": int(n),
                "T": int(T),
                "seed": stream_meta.get("seed"),
                "set": "live",
                "stream": stream_meta,
                "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
                "environment": _environment(),
                "cpu": cpu(),
                "env": {k: os.environ[k] for k in PATH_VARIABLES if k in os.environ},
                "paths": dict(getattr(mod, "paths", dict)()),
                "seconds": round(time.perf_counter() - t0, 3),
            }
            if arrays:
                meta["arrays"] = arrays
            meta.update(extra)
            trajectory.save(os.path.join(args.out, name + ".npz"), grads, params, states, meta,
                            lr=lr)
            written += 1
            print(f"wrote {name}.npz ({meta['seconds']:.1f} s)", flush=True)   # progress
    print(f"{args.adapter}: wrote {written} trajectory files to {args.out}")


if __name__ == "__main__":
    main()
