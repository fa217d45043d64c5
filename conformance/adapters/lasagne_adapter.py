"""Lasagne 0.1 (on Theano 1.0.5) adapter: lasagne.updates.adam and rmsprop.

Theano fixes ``floatX`` at import, so each case runs in a child process of this same file
(``python lasagne_adapter.py --worker IN OUT``) started with
``THEANO_FLAGS=floatX=<dtype>,blas.ldflags=,base_compiledir=<dir>`` (``<dir>`` is
``$ADAMKIT_THEANO_COMPILEDIR`` or ``<tmp>/adamkit-theano``). Lasagne 0.1 imports
``theano.tensor.signal.downsample``, which Theano 1.0 removed: the worker puts a stub module
of that name in ``sys.modules`` first (the updates never use it).

The worker builds ``updates = lasagne.updates.<opt>([g], [p], **kwargs)`` with ``g`` a
floatX vector input and ``p = theano.shared(p0)``, compiles ``theano.function([g], [],
updates=updates)`` and calls it once per step, reading ``p.get_value()`` and the update's
state shared variables back after each call (row 0 = read back before step 1).
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from _run import Case  # noqa: E402

FRAMEWORK = "lasagne_0.1"

CASES = [
    Case("adam", "default", {}, description="lasagne.updates.adam, no kwargs (Lasagne defaults)"),
    Case("adam", "custom", {"learning_rate": 0.004, "beta1": 0.86, "beta2": 0.995, "epsilon": 1e-06},
         description="as the golden lasagne_0.1-adam-custom"),
    Case("rmsprop", "default", {}, description="lasagne.updates.rmsprop, no kwargs (Lasagne defaults)"),
    Case("rmsprop", "custom", {"learning_rate": 0.01, "rho": 0.95, "epsilon": 1e-08},
         description="as the golden lasagne_0.1-rmsprop-custom"),
]

_DEFAULTS = {"adam": {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
             "rmsprop": {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}}
_STATES = {"adam": ["m", "v"], "rmsprop": ["accu"]}


def versions():
    from importlib import metadata
    return {k: metadata.version(k) for k in ("Lasagne", "Theano", "numpy", "scipy")}


def _compiledir():
    d = os.environ.get("ADAMKIT_THEANO_COMPILEDIR") or os.path.join(tempfile.gettempdir(), "adamkit-theano")
    os.makedirs(d, exist_ok=True)
    return d


def run(case, p0, grads):
    dtype = str(p0.dtype)
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(fin, p0=p0, grads=grads,
                 job=np.array(json.dumps({"optimizer": case.optimizer, "kwargs": case.hyperparameters})))
        env = dict(os.environ)
        flags = f"floatX={dtype},blas.ldflags=,base_compiledir={_compiledir()}"
        env["THEANO_FLAGS"] = flags + ("," + env["THEANO_FLAGS"] if env.get("THEANO_FLAGS") else "")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", fin, fout], env=env, check=True)
        with np.load(fout) as z:
            params = z["params"]
            states = {k[6:]: z[k] for k in z.files if k.startswith("state_")}
            meta = json.loads(str(z["meta"]))
    return params, states, meta


def _worker(fin, fout):
    import types

    import theano
    import theano.tensor as TT
    stub = types.ModuleType("theano.tensor.signal.downsample")

    def max_pool_2d(*args, **kwargs):  # pragma: no cover - never called by the updates
        raise NotImplementedError("stub: Theano 1.0 removed theano.tensor.signal.downsample")
    stub.max_pool_2d = max_pool_2d
    sys.modules["theano.tensor.signal.downsample"] = stub
    import lasagne
    import lasagne.updates

    with np.load(fin) as z:
        p0, grads = z["p0"], z["grads"]
        job = json.loads(str(z["job"]))
    opt, kwargs = job["optimizer"], job["kwargs"]
    assert theano.config.floatX == str(p0.dtype), (theano.config.floatX, p0.dtype)
    p = theano.shared(p0.copy(), name="p")
    g = TT.vector("g", dtype=str(p0.dtype))
    updates = getattr(lasagne.updates, opt)([g], [p], **kwargs)
    shared_states = [k for k in updates.keys() if k is not p and k.ndim == 1]
    names = _STATES[opt]
    assert len(shared_states) == len(names)
    scalars = [k for k in updates.keys() if k.ndim == 0]
    f = theano.function([g], [], updates=updates)
    T, n = grads.shape
    params = np.empty((T + 1, n), p0.dtype)
    states = {k: np.empty((T + 1, n), p0.dtype) for k in names}
    params[0] = p.get_value()
    for k, s in zip(names, shared_states):
        states[k][0] = s.get_value()
    for t in range(1, T + 1):
        f(grads[t - 1])
        params[t] = p.get_value()
        for k, s in zip(names, shared_states):
            states[k][t] = s.get_value()
    eff = dict(_DEFAULTS[opt])
    eff.update(kwargs)
    try:
        cargs = theano.gof.cmodule.GCC_compiler.compile_args()
    except Exception as e:  # pragma: no cover
        cargs = [f"unavailable: {e}"]
    import io
    buf = io.StringIO()
    theano.printing.debugprint(f, file=buf)
    meta = {
        "api": f"Lasagne 0.1 lasagne.updates.{opt}([g], [p], **kwargs); theano.function([g], [], updates=...)",
        "hyperparameters_effective": eff,
        "state_arrays": {k: f"the {k} shared variable of lasagne.updates.{opt} (get_value after each call; "
                         "row 0 read back before step 1)" for k in names},
        "scalar_state_final": {str(s): float(s.get_value()) for s in scalars},
        "theano": {"version": theano.__version__, "floatX": theano.config.floatX,
                   "THEANO_FLAGS": os.environ.get("THEANO_FLAGS", ""), "cxx": theano.config.cxx,
                   "gcc_cxxflags": theano.config.gcc.cxxflags, "compile_args": cargs},
        "compiled_function_debugprint": buf.getvalue(),
    }
    arrays = {"params": params, "meta": np.array(json.dumps(meta))}
    arrays.update({"state_" + k: v for k, v in states.items()})
    np.savez(fout, **arrays)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: lasagne_adapter.py --worker IN OUT (run through _run.py)")
