"""Keras 3 adapter, one module for the three backends.

The backend is chosen by ``KERAS_BACKEND`` (tensorflow, jax or torch), which must be set
in the environment before this module is imported; ``FRAMEWORK`` becomes
``keras_<backend>``. Each step runs the optimizer the way ``model.fit`` does on a CPU-only
machine:

* tensorflow: ``optimizer.apply_gradients`` inside a ``tf.function`` (the TF trainer's
  ``jit_compile="auto"`` resolves to False when no GPU is present, so no XLA);
* jax: ``jax.jit(optimizer.stateless_apply)`` (the JAX trainer jits the whole train step,
  XLA-compiled);
* torch: eager ``optimizer.apply_gradients``.

``KERAS_ADAPTER_MODE=eager`` switches tensorflow and jax to plain eager
``apply_gradients`` (then FRAMEWORK gets the suffix ``_eager``).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
MODE = os.environ.get("KERAS_ADAPTER_MODE", "fit")
if MODE not in ("fit", "eager"):
    raise ValueError(f"KERAS_ADAPTER_MODE must be fit or eager, not {MODE!r}")

if BACKEND == "jax":
    # Without x64 JAX silently stores a float64 keras.Variable as float32 (measured: the
    # float64 cases then run entirely in float32). Enable it so float64 means float64;
    # float32 cases are unaffected.
    import jax

    jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
from _run import Case  # noqa: E402

if keras.backend.backend() != BACKEND:
    raise RuntimeError(f"keras picked backend {keras.backend.backend()}, expected {BACKEND}")

FRAMEWORK = f"keras_{BACKEND}" + ("_eager" if MODE == "eager" and BACKEND != "torch" else "")

ADAM_CUSTOM = dict(learning_rate=3e-3, beta_1=0.85, beta_2=0.995, epsilon=1e-6)

CASES = [
    Case("adam", "default", {}, description="keras.optimizers.Adam() defaults"),
    Case("adam", "custom", dict(ADAM_CUSTOM), description="Adam, custom lr/betas/epsilon"),
    Case("adam", "amsgrad", dict(ADAM_CUSTOM, amsgrad=True), description="Adam(amsgrad=True)"),
    Case("adam", "wd", dict(ADAM_CUSTOM, weight_decay=0.01),
         description="Adam with decoupled weight_decay=0.01"),
    Case("adam", "clipnorm", dict(clipnorm=1.0), description="Adam(clipnorm=1.0), per-tensor"),
    Case("adam", "clipvalue", dict(clipvalue=0.5), description="Adam(clipvalue=0.5)"),
    Case("adam", "globalclipnorm", dict(global_clipnorm=1.0),
         description="Adam(global_clipnorm=1.0)"),
    Case("adamw", "default", {}, description="keras.optimizers.AdamW() defaults (wd 0.004)"),
    Case("rmsprop", "default", {}, description="keras.optimizers.RMSprop() defaults"),
    Case("rmsprop", "momentum", dict(momentum=0.9), description="RMSprop(momentum=0.9)"),
    Case("rmsprop", "centered", dict(centered=True, momentum=0.5, rho=0.95),
         description="RMSprop(centered=True, momentum=0.5, rho=0.95)"),
]


def versions():
    v = {"keras": keras.__version__, "backend": BACKEND, "mode": MODE, "numpy": np.__version__}
    if BACKEND == "tensorflow":
        import tensorflow as tf
        v["tensorflow"] = tf.__version__
    elif BACKEND == "jax":
        import jax
        import jaxlib
        v["jax"] = jax.__version__
        v["jaxlib"] = jaxlib.__version__
        v["jax_enable_x64"] = bool(jax.config.jax_enable_x64)
    else:
        import torch
        v["torch"] = torch.__version__
    return v


_SLOTS = {  # Keras attribute holding a list of slot variables -> state name
    "_momentums": "m", "_velocities": "v", "_velocity_hats": "vhat",
    "_average_gradients": "average_gradient",
}
_SLOTS_RMSPROP = {"_velocities": "velocity", "_momentums": "momentum",
                  "_average_gradients": "average_gradient"}


def _make(case):
    cls = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
           "rmsprop": keras.optimizers.RMSprop}[case.optimizer]
    return cls(**case.hyperparameters)


def _slot_vars(opt, case):
    table = _SLOTS_RMSPROP if case.optimizer == "rmsprop" else _SLOTS
    out = {}
    for attr, name in table.items():
        lst = getattr(opt, attr, None)
        if lst:
            out[name] = lst[0]
    return out


def _effective(opt):
    cfg = opt.get_config()
    out = {}
    for k, v in cfg.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)
    return out


def run(case, p0, grads):
    T, n = grads.shape
    dt = str(grads.dtype)
    var = keras.Variable(p0, dtype=dt, name="p")
    opt = _make(case)
    opt.build([var])
    slots = _slot_vars(opt, case)
    params = [p0.copy()]
    states = {k: [keras.ops.convert_to_numpy(v.value).copy()] for k, v in slots.items()}
    gtensors = [keras.ops.convert_to_tensor(grads[t], dtype=dt) for t in range(T)]

    if BACKEND == "jax" and MODE == "fit":
        import jax
        slot_index = {k: next(i for i, ov in enumerate(opt.variables) if ov is v)
                      for k, v in slots.items()}

        @jax.jit
        def step(opt_vals, p, g):
            new_p, new_opt = opt.stateless_apply(opt_vals, [g], [p])
            return new_p[0], new_opt

        opt_vals = [v.value for v in opt.variables]
        p = var.value
        for t in range(T):
            p, opt_vals = step(opt_vals, p, gtensors[t])
            params.append(np.asarray(p).copy())
            for k, i in slot_index.items():
                states[k].append(np.asarray(opt_vals[i]).copy())
        api = "jax.jit(optimizer.stateless_apply) (as the JAX trainer)"
    else:
        apply = lambda g: opt.apply_gradients([(g, var)])  # noqa: E731
        api = "optimizer.apply_gradients([(g, var)]), eager"
        if BACKEND == "tensorflow" and MODE == "fit":
            import tensorflow as tf
            apply = tf.function(apply)
            api = "tf.function(optimizer.apply_gradients) (as the TF trainer without XLA)"
        for t in range(T):
            apply(gtensors[t])
            params.append(keras.ops.convert_to_numpy(var.value).copy())
            for k, v in slots.items():
                states[k].append(keras.ops.convert_to_numpy(v.value).copy())
    meaning = {"m": "first moment", "v": "second moment", "vhat": "AMSGrad running max of v",
               "velocity": "mean square", "momentum": "momentum buffer",
               "average_gradient": "mean gradient (centered)"}
    extra = {
        "api": f"keras.optimizers.{type(opt).__name__}(**hyperparameters), {api}",
        "hyperparameters_effective": _effective(opt),
        "state_arrays": {k: meaning[k] for k in states},
        "keras_backend": BACKEND,
    }
    return np.array(params), {k: np.array(v) for k, v in states.items()}, extra
