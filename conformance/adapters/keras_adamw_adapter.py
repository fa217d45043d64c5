"""keras-adamw 1.38 adapter (AdamW with TF_KERAS=1 on tensorflow-cpu 2.13.1), float32 only.

``AdamW(**kwargs)`` from ``keras_adamw`` (``optimizers_v2.AdamW``, an OptimizerV2) is driven
eagerly: ``var = tf.Variable(p0, name='p')`` (TF names it ``p:0``, the key used in
``weight_decays``), then ``opt.apply_gradients([(tf.constant(g_t), var)])`` once per step;
the variable, the ``m``/``v`` slots and the scalars ``iterations``, ``t_cur``, ``eta_t`` are
read back after each step. float64 is not supported by keras-adamw (its ``eta_t`` variable is
float32 and mixing fails), so the cases are float32 only.
"""

import os

os.environ.setdefault("TF_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _run import Case  # noqa: E402

FRAMEWORK = "keras_adamw"

CASES = [
    Case("adamw", "default", {}, dtypes=("float32",),
         description="keras_adamw.AdamW() defaults: lr 0.001, betas 0.9/0.999, epsilon None -> 1e-7, no decay"),
    Case("adamw", "custom", {"learning_rate": 0.004, "beta_1": 0.86, "beta_2": 0.995, "epsilon": 1e-6,
                             "weight_decays": {"p:0": [0.004, 0.05]}, "use_cosine_annealing": True,
                             "total_iterations": 40, "eta_min": 0.08, "eta_max": 0.95},
         dtypes=("float32",),
         description="as the golden keras_adamw-adamw-custom: L1+L2 decoupled decay, cosine annealing with "
                     "warm restarts every 40 steps"),
    Case("adamw", "lrmult", {"learning_rate": 0.004, "beta_1": 0.86, "lr_multipliers": {"p": 0.3}},
         dtypes=("float32",),
         description="learning-rate multiplier 0.3 for the variable named p"),
]


def versions():
    from importlib import metadata

    import tensorflow as tf
    return {"keras-adamw": metadata.version("keras-adamw"), "tensorflow": tf.__version__,
            "tensorflow-cpu": metadata.version("tensorflow-cpu"), "numpy": np.__version__}


def run(case, p0, grads):
    import tensorflow as tf
    from keras_adamw import AdamW
    hp = dict(case.hyperparameters)
    if "weight_decays" in hp:
        hp["weight_decays"] = {k: tuple(v) for k, v in hp["weight_decays"].items()}
    var = tf.Variable(p0.copy(), name="p")
    opt = AdamW(**hp)
    T, n = grads.shape
    params = np.empty((T + 1, n), p0.dtype)
    states = {k: np.zeros((T + 1, n), p0.dtype) for k in ("m", "v")}
    params[0] = var.numpy()
    scal = {"iterations": [], "t_cur": [], "eta_t": []}
    eff = None
    for t in range(1, T + 1):
        if t == 1:
            eff = {k: (v if isinstance(v, (int, float, bool, str, type(None))) else
                       {kk: list(vv) for kk, vv in v.items()} if isinstance(v, dict) else repr(v))
                   for k, v in opt.get_config().items()}
        opt.apply_gradients([(tf.constant(grads[t - 1]), var)])
        params[t] = var.numpy()
        states["m"][t] = opt.get_slot(var, "m").numpy()
        states["v"][t] = opt.get_slot(var, "v").numpy()
        scal["iterations"].append(int(opt.iterations.numpy()))
        scal["t_cur"].append(int(opt.t_cur.numpy()))
        scal["eta_t"].append(float(opt.eta_t.numpy()).hex())
    meta = {
        "api": "TF_KERAS=1; from keras_adamw import AdamW; var = tf.Variable(p0, name='p'); opt = AdamW(**hp); "
               "opt.apply_gradients([(tf.constant(g_t), var)]) once per step, eagerly",
        "hyperparameters_effective": eff,
        "state_arrays": {"m": "opt.get_slot(var, 'm') after each step; row 0 = zeros (slots are created in the "
                              "first apply_gradients)",
                         "v": "opt.get_slot(var, 'v') after each step; row 0 = zeros"},
        "scalar_state": {"note": "after each step t = 1..T; eta_t as float.hex of the float32 value",
                         "values": scal},
    }
    return params, states, meta
