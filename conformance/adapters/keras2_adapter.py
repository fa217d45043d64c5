"""Keras 2.3.1 (standalone, KERAS_BACKEND=theano on Theano 1.0.5) adapter: keras.optimizers.Adam,
RMSprop and Adamax.

As in ``lasagne_adapter``, each case runs in a child process of this file
(``python keras2_adapter.py --worker IN OUT``) with ``KERAS_BACKEND=theano``,
``THEANO_FLAGS=floatX=<dtype>,blas.ldflags=,base_compiledir=<dir>`` and ``KERAS_HOME`` in a
temporary directory holding a ``keras.json`` with ``floatx`` = dtype (Keras overrides Theano's
floatX with it on import); the worker also calls ``keras.backend.set_floatx(dtype)``.

Keras 2.3.1 does ``from collections import Iterable`` (removed in Python 3.10), so the worker
sets the old ``collections`` aliases to their ``collections.abc`` classes before importing
Keras (the Keras source is not modified).

Gradient injection: ``g`` is a floatX vector input and the loss is ``K.sum(p * g)``, so
``K.gradients(loss, [p])`` is exactly ``g`` (times an exact 1). The update list is the one
``opt.get_updates(loss, [p])`` returns, compiled with ``K.function([g], [], updates=...)`` and
called once per step; ``p``, the slots (``m_0``, ``v_0``, ``vhat_0``, ``a_0``, ``u_0`` ...) and
``iterations`` are read back with ``K.get_value`` after every call.
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

FRAMEWORK = "keras2"

CASES = [
    Case("adam", "default", {}, description="keras.optimizers.Adam() defaults (lr 0.001, 0.9, 0.999, "
                                             "epsilon None -> K.epsilon() = 1e-7)"),
    Case("adam", "custom", {"learning_rate": 0.004, "beta_1": 0.86, "beta_2": 0.995, "epsilon": 1e-6},
         description="non-default lr, betas, epsilon"),
    Case("amsgrad", "default", {"amsgrad": True}, description="Adam(amsgrad=True)"),
    Case("adam", "decay", {"learning_rate": 0.003, "beta_1": 0.88, "beta_2": 0.996, "decay": 0.002},
         description="Adam with time-based decay lr*(1/(1+decay*iterations))"),
    Case("rmsprop", "default", {}, description="keras.optimizers.RMSprop() defaults (lr 0.001, rho 0.9, 1e-7)"),
    Case("rmsprop", "custom", {"learning_rate": 0.01, "rho": 0.95, "epsilon": 1e-6},
         description="RMSprop non-default, eps outside the sqrt"),
    Case("adamax", "default", {}, description="keras.optimizers.Adamax() defaults (lr 0.002, 0.9, 0.999, 1e-7)"),
    Case("rmsprop", "decay", {"learning_rate": 0.01, "rho": 0.95, "decay": 0.002},
         description="RMSprop with time-based decay lr*(1/(1+decay*iterations))"),
    Case("adamax", "decay", {"learning_rate": 0.004, "decay": 0.002},
         description="Adamax with time-based decay lr*(1/(1+decay*iterations))"),
]

_CLASSES = {"adam": "Adam", "amsgrad": "Adam", "rmsprop": "RMSprop", "adamax": "Adamax"}


def versions():
    from importlib import metadata
    return {k: metadata.version(k) for k in ("keras", "Theano", "numpy", "scipy")}


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
        env["KERAS_BACKEND"] = "theano"
        env["KERAS_HOME"] = os.path.join(tmp, "keras_home")
        # Keras sets theano.config.floatX from its own keras.json floatx on import
        os.makedirs(env["KERAS_HOME"])
        with open(os.path.join(env["KERAS_HOME"], "keras.json"), "w") as fh:
            json.dump({"floatx": dtype, "epsilon": 1e-07, "backend": "theano",
                       "image_data_format": "channels_last"}, fh)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", fin, fout], env=env, check=True)
        with np.load(fout) as z:
            params = z["params"]
            states = {k[6:]: z[k] for k in z.files if k.startswith("state_")}
            meta = json.loads(str(z["meta"]))
    return params, states, meta


def _worker(fin, fout):
    import collections
    import collections.abc
    for name in ("Iterable", "Mapping", "MutableMapping", "Sequence", "Callable"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    with np.load(fin) as z:
        p0, grads = z["p0"], z["grads"]
        job = json.loads(str(z["job"]))
    import keras
    import theano
    from keras import backend as K
    K.set_floatx(str(p0.dtype))
    assert theano.config.floatX == str(p0.dtype) and K.backend() == "theano", (theano.config.floatX, K.backend())
    opt_name, kwargs = job["optimizer"], job["kwargs"]
    opt = getattr(keras.optimizers, _CLASSES[opt_name])(**kwargs)
    p = K.variable(p0.copy(), dtype=str(p0.dtype), name="p")
    g = K.placeholder(shape=(p0.shape[0],), dtype=str(p0.dtype), name="g")
    loss = K.sum(p * g)
    updates = opt.get_updates(loss, [p])
    f = K.function([g], [], updates=updates)
    slots = [w for w in opt.weights if w is not opt.iterations and K.int_shape(w) == p0.shape]
    names = [w.name.split("/")[-1].rsplit("_", 1)[0] for w in slots]  # "/m_0" -> "m"
    T, n = grads.shape
    params = np.empty((T + 1, n), p0.dtype)
    states = {k: np.empty((T + 1, n), p0.dtype) for k in names}
    params[0] = K.get_value(p)
    for k, s in zip(names, slots):
        states[k][0] = K.get_value(s)
    iters = []
    for t in range(1, T + 1):
        f([grads[t - 1]])
        params[t] = K.get_value(p)
        for k, s in zip(names, slots):
            states[k][t] = K.get_value(s)
        iters.append(int(K.get_value(opt.iterations)))
    cfg = opt.get_config()
    stored = {k: float(K.get_value(getattr(opt, k))) for k in ("learning_rate", "beta_1", "beta_2", "rho", "decay")
              if hasattr(opt, k)}
    try:
        cargs = theano.gof.cmodule.GCC_compiler.compile_args()
    except Exception as e:  # pragma: no cover
        cargs = [f"unavailable: {e}"]
    import io
    buf = io.StringIO()
    theano.printing.debugprint(f.function, file=buf)
    meta = {
        "api": f"keras {keras.__version__} (theano backend) keras.optimizers.{_CLASSES[opt_name]}(**kwargs)."
               "get_updates(K.sum(p*g), [p]); K.function([g], [], updates=...)",
        "hyperparameters_effective": {k: (float(v) if isinstance(v, (np.floating, float)) else v)
                                      for k, v in cfg.items()},
        "hyperparameters_as_stored": {k: v.hex() for k, v in stored.items()},
        "state_arrays": {k: f"the optimizer weight '{k}_0' (K.get_value after each call; row 0 read back before "
                         "step 1)" for k in names},
        "iterations_after_each_step": iters[:5] + ["..."] + iters[-2:],
        "theano": {"version": theano.__version__, "floatX": theano.config.floatX,
                   "THEANO_FLAGS": os.environ.get("THEANO_FLAGS", ""), "cxx": theano.config.cxx,
                   "compile_args": cargs},
        "compiled_function_debugprint": buf.getvalue(),
    }
    arrays = {"params": params, "meta": np.array(json.dumps(meta, default=str))}
    arrays.update({"state_" + k: v for k, v in states.items()})
    np.savez(fout, **arrays)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: keras2_adapter.py --worker IN OUT (run through _run.py)")
