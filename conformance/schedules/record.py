"""Record frameworks' learning-rate schedules (and short optimizer runs that use them) for
adamkit's bit-for-bit tests (tests/test_schedules_frameworks.py).

Run inside the framework's environment, from the checkout's root::

    .venvs/modern/bin/python conformance/schedules/record.py tf1
    .venvs/modern/bin/python conformance/schedules/record.py keras --backend jax
    .venvs/legacy/bin/python conformance/schedules/record.py mxnet

GROUP names a module of this folder (``tf1``, ``keras``, ``torch_sched``, ...) defining
``versions()`` and ``cases(args)``: a list of ``(case_id, config, run)`` where ``config`` is
the JSON description adamkit's ``schedules.from_config`` reads and ``run()`` returns the
values (or, for an end-to-end case, a dict of arrays). The file
``tests/data/schedules/<GROUP>[-<backend>].npz`` holds one array per case and ``meta``: a JSON
string with every case's config and the provenance (versions, command, CPU, date).
Only NumPy and the framework are imported: adamkit is not installed there.
"""

import argparse
import importlib
import json
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "data", "schedules")
sys.path.insert(0, HERE)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("group")
    ap.add_argument("--backend", default="", help="Keras 3's backend (keras group)")
    ap.add_argument("--x64", action="store_true", help="JAX with jax_enable_x64 (optax group)")
    ap.add_argument("--only", default="", help="run only the cases whose id contains this")
    args = ap.parse_args(argv)
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    if args.x64:
        os.environ["JAX_ENABLE_X64"] = "1"
    mod = importlib.import_module(args.group)
    name = args.group + (f"-{args.backend}" if args.backend else "") + ("-x64" if args.x64 else "")
    arrays, cases = {}, []
    t0 = time.time()
    for case_id, config, run in mod.cases(args):
        if args.only and args.only not in case_id:
            continue
        t1 = time.time()
        out = run()
        if isinstance(out, dict):
            for k, v in out.items():
                arrays[f"{case_id}/{k}"] = np.asarray(v)
            kind = "run"
        else:
            arrays[case_id] = np.asarray(out)
            kind = "values"
        cases.append({"id": case_id, "kind": kind, "config": config})
        print(f"{case_id}: {time.time() - t1:.1f}s", flush=True)
        _save(name, mod, argv, t0, cases, arrays)        # after every case: resumable view
    path = _save(name, mod, argv, t0, cases, arrays)
    print(f"wrote {path} ({len(cases)} cases)")


def _save(name, mod, argv, t0, cases, arrays):
    meta = {"group": name, "versions": mod.versions(), "python": sys.version.split()[0],
            "numpy": np.__version__, "cpu": cpu_name(), "platform": platform.platform(),
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": " ".join([os.path.relpath(sys.executable, ROOT),
                                 "conformance/schedules/record.py"] + list(argv or sys.argv[1:])),
            "seconds": round(time.time() - t0, 1), "cases": cases}
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".npz")
    np.savez_compressed(path + ".tmp.npz", meta=np.array(json.dumps(meta)), **arrays)
    os.replace(path + ".tmp.npz", path)
    return path


if __name__ == "__main__":
    main()
