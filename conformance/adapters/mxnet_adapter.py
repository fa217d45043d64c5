"""MXNet 1.9.1 adapter: mx.optimizer.Adam / RMSProp / Adamax driven through ``Optimizer.update``.

Each step wraps ``grads[t-1]`` in an NDArray, calls ``opt.update(0, weight, grad, state)`` and
reads ``weight`` and the state NDArrays back with ``asnumpy()``. MXNet passes every scalar
keyword to its C++ ops as ``str(value)`` which dmlc-core parses to float32/float64
(``ParseFloat``); for Adam the adapter also records the learning rate the op actually used at
each step (``meta.scalar_lr``), read back with a probe call of ``adam_update`` whose result is
exactly ``-lr`` (weight 0, grad 0, mean 1, var 0, beta1 1, epsilon 1).
"""

import math

import mxnet as mx
import numpy as np
from _run import Case

FRAMEWORK = "mxnet"


def versions():
    return {"mxnet": mx.__version__, "numpy": np.__version__}


#: RMSProp.create_state makes float32 states whatever the weight dtype, so float64 weights fail
#: inside rmsprop_update ("expected float64, got float32"): RMSProp runs in float32 only.
_F32 = ("float32",)

CASES = [
    Case("adam", "default", {}, description="mx.optimizer.Adam() defaults"),
    Case("adam", "custom", {"learning_rate": 1e-4, "beta1": 0.86, "beta2": 0.995, "epsilon": 1e-6},
         description="non-default lr (below 1e-4 after bias correction: exercises dmlc ParseFloat), betas, epsilon"),
    Case("adam", "wd", {"learning_rate": 0.003, "beta1": 0.85, "beta2": 0.995, "epsilon": 1e-7, "wd": 0.01},
         description="L2 weight decay folded into the gradient inside adam_update"),
    Case("adam", "rescale", {"learning_rate": 0.002, "rescale_grad": 0.3},
         description="rescale_grad multiplies the gradient inside the kernel"),
    Case("adam", "clip", {"learning_rate": 0.002, "wd": 0.001, "rescale_grad": 0.5, "clip_gradient": 2.5},
         description="rescale, wd, then elementwise clip_gradient inside the kernel"),
    Case("rmsprop", "default", {}, dtypes=_F32, description="mx.optimizer.RMSProp() defaults (centered=False)"),
    Case("rmsprop", "centered", {"centered": True},
         dtypes=_F32, description="RMSProp(centered=True): rmspropalex_update (Graves), gamma2 momentum"),
    Case("rmsprop", "wdclip", {"learning_rate": 0.004, "gamma1": 0.95, "epsilon": 1e-7, "wd": 0.02,
                               "clip_gradient": 3.0},
         dtypes=_F32, description="non-centered with wd and clip_gradient"),
    Case("rmsprop", "centeredwdclip", {"learning_rate": 0.003, "gamma1": 0.93, "gamma2": 0.8, "epsilon": 1e-6,
                                       "wd": 0.01, "clip_gradient": 4.0, "centered": True},
         dtypes=_F32, description="centered with custom gammas, wd and clip_gradient"),
    Case("adamax", "default", {}, description="mx.optimizer.Adamax() defaults (Python NDArray ops)"),
    Case("adamax", "custom", {"learning_rate": 0.004, "beta1": 0.8, "beta2": 0.98, "wd": 0.005,
                              "rescale_grad": 0.7, "clip_gradient": 3.0},
         description="Adamax with wd, rescale_grad and clip_gradient"),
]

_CLASSES = {"adam": "Adam", "rmsprop": "RMSProp", "adamax": "Adamax"}
_STATE_NAMES = {"adam": ["mean", "var"], "rmsprop": ["n"], "rmsprop_centered": ["n", "g", "delta"],
                "adamax": ["m", "u"]}


def _probe_lr(lr, dtype):
    """The lr value adam_update parses from str(lr), read back exactly as -result."""
    z = mx.nd.zeros((1,), dtype=dtype)
    w, g, v = z.copy(), z.copy(), z.copy()
    mean = mx.nd.ones((1,), dtype=dtype)
    mx.nd.adam_update(w, g, mean, v, out=w, lr=lr, beta1=1.0, beta2=0.5, epsilon=1.0, wd=0.0)
    return float(-w.asnumpy()[0])


def run(case, p0, grads):
    dtype = p0.dtype
    hp = dict(case.hyperparameters)
    opt = getattr(mx.optimizer, _CLASSES[case.optimizer])(**hp)
    weight = mx.nd.array(p0, dtype=dtype)
    state = opt.create_state(0, weight)
    if not isinstance(state, (tuple, list)):
        state = (state,)
    key = case.optimizer + ("_centered" if hp.get("centered") else "")
    names = _STATE_NAMES[key]
    T, n = grads.shape
    params = np.empty((T + 1, n), dtype)
    states = {k: np.empty((T + 1, n), dtype) for k in names}
    params[0] = weight.asnumpy()
    for k, s in zip(names, state):
        states[k][0] = s.asnumpy()
    lr_py, lr_used = [], []
    for t in range(1, T + 1):
        if case.optimizer == "adam":
            b1, b2 = opt.beta1, opt.beta2
            lr_t = opt.learning_rate * (math.sqrt(1. - b2 ** t) / (1. - b1 ** t))
            lr_py.append(repr(lr_t))
            lr_used.append(float(_probe_lr(lr_t, dtype)).hex())
        g = mx.nd.array(grads[t - 1], dtype=dtype)
        opt.update(0, weight, g, state)
        params[t] = weight.asnumpy()
        for k, s in zip(names, state):
            states[k][t] = s.asnumpy()
    eff = {k: getattr(opt, k) for k in ("learning_rate", "wd", "rescale_grad", "clip_gradient",
                                         "beta1", "beta2", "epsilon", "gamma1", "gamma2", "centered",
                                         "clip_weights", "lazy_update") if hasattr(opt, k)}
    meta = {
        "api": f"mx.optimizer.{_CLASSES[case.optimizer]}(**hp).update(0, weight, grad, state), "
               "weight/grad/state mx.nd arrays on cpu",
        "hyperparameters_effective": eff,
        "state_arrays": {k: f"{_CLASSES[case.optimizer]} state '{k}' (create_state order), row 0 = zeros "
                         "read back before step 1" for k in names},
    }
    if lr_py:
        meta["scalar_lr"] = {"python_double_repr": lr_py, "as_parsed_by_op_hex": lr_used,
                             "note": "lr passed at step t (str() of the Python double) and the value the op "
                                     "used (probe adam_update returning -lr), float.hex of the T value"}
    return params, states, meta
