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
               ``hyperparameters_effective``, ``state_arrays``).

The gradient streams are made once in the main environment (``streams.py``) and handed
over as ``DIR/stream-<name>-<dtype>.npz`` holding ``p0`` and ``grads``; adapters never draw
random numbers, so the two NumPy versions of the stacks cannot disagree on the data.
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
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import trajectory  # noqa: E402

#: the standard streams: name -> (n, T). n = 64k + 3 puts elements in SIMD tails.
STREAMS = {"small": (67, 1000), "large": (40003, 20)}
SEED = 20261122


@dataclasses.dataclass
class Case:
    optimizer: str                 # e.g. "adam", "adamw", "rmsprop", "amsgrad"
    variant: str                   # e.g. "default", "custom", "wd", "centered"
    hyperparameters: dict          # exactly as passed to the framework (its own names)
    dtypes: tuple = ("float32", "float64")
    stream: str = "small"
    description: str = ""


def _environment():
    env = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    env["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return env


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("adapter")
    ap.add_argument("--streams", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="", help="run only cases whose file name contains this")
    args = ap.parse_args(argv)
    mod = importlib.import_module(args.adapter)
    os.makedirs(args.out, exist_ok=True)
    versions = mod.versions()
    written = 0
    for case in mod.CASES:
        for dtype in case.dtypes:
            name = f"{mod.FRAMEWORK}-{case.optimizer}-{case.variant}-{dtype}"
            if args.only and args.only not in name:
                continue
            with np.load(os.path.join(args.streams, f"stream-{case.stream}-{dtype}.npz")) as z:
                p0, grads = z["p0"], z["grads"]
                stream_meta = json.loads(str(z["meta"]))
            t0 = time.perf_counter()
            params, states, extra = mod.run(case, p0.copy(), grads)
            params = np.asarray(params)
            if params.dtype != grads.dtype or params.shape != (grads.shape[0] + 1, grads.shape[1]):
                raise RuntimeError(f"{name}: adapter returned params {params.dtype} {params.shape}")
            meta = {
                "framework": mod.FRAMEWORK,
                "version": versions,
                "optimizer": case.optimizer,
                "variant": case.variant,
                "case_description": case.description,
                "hyperparameters": case.hyperparameters,
                "dtype": dtype,
                "n": int(grads.shape[1]),
                "T": int(grads.shape[0]),
                "seed": stream_meta.get("seed"),
                "set": "live",
                "stream": stream_meta,
                "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
                "environment": _environment(),
                "seconds": round(time.perf_counter() - t0, 3),
            }
            meta.update(extra)
            trajectory.save(os.path.join(args.out, name + ".npz"), grads, params, states, meta)
            written += 1
    print(f"{args.adapter}: wrote {written} trajectory files to {args.out}")


if __name__ == "__main__":
    main()
