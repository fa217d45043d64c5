"""Keras 3 ``keras.optimizers.schedules`` as the optimizer evaluates them at each step
(``optimizer.learning_rate`` inside ``apply``, on the int64 ``iterations`` variable), read
back through a probe: ``keras.optimizers.SGD(schedule)`` updating a variable held at 0 with
a gradient of 1, so the variable becomes ``-lr`` exactly (``p - g * lr``, with or without
an fma). The step runs as each backend's trainer runs it (TF: ``tf.function`` without XLA;
JAX: ``jax.jit(optimizer.stateless_apply)``; with ``--x64`` (jax_enable_x64, as
conformance/adapters runs the JAX backend) Python floats become float64 tensors; torch:
eager) and, with ``--only eager``-like ids, eagerly (TF and JAX). floatx float32 and
float64. And ``keras.optimizers.Adam(ExponentialDecay)`` for 300 steps per mode.

Run as ``record.py keras3 --backend tensorflow|jax|torch``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
X64 = os.environ.get("JAX_ENABLE_X64") == "1"          # record.py --x64
if BACKEND == "jax":
    import jax

    jax.config.update("jax_enable_x64", X64)

import keras  # noqa: E402
import numpy as np  # noqa: E402

assert keras.backend.backend() == BACKEND, keras.backend.backend()
N = 5001
SCH = keras.optimizers.schedules


def versions():
    out = {"keras": keras.__version__, "backend": BACKEND}
    if BACKEND == "tensorflow":
        import tensorflow as tf
        out["tensorflow"] = tf.__version__
    elif BACKEND == "jax":
        import jaxlib
        out.update(jax=jax.__version__, jaxlib=jaxlib.__version__, jax_enable_x64=X64)
    else:
        import torch
        out["torch"] = torch.__version__
    return out


CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.01, decay_steps=100, decay_rate=0.96)),
    ("ExponentialDecay", dict(initial_learning_rate=0.01, decay_steps=100, decay_rate=0.96,
                              staircase=True)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.5)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    ("InverseTimeDecay", dict(initial_learning_rate=1e-3, decay_steps=7, decay_rate=0.3,
                              staircase=True)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=3000,
                             end_learning_rate=1e-5, power=0.5)),
    ("PolynomialDecay", dict(initial_learning_rate=0.05, decay_steps=700,
                             end_learning_rate=1e-3, power=2.0, cycle=True)),
    ("CosineDecay", dict(initial_learning_rate=0.01, decay_steps=3000, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=3800, alpha=1e-3,
                         warmup_target=0.1, warmup_steps=200)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=500)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.01, first_decay_steps=123, t_mul=1.5,
                                 m_mul=0.8, alpha=0.01)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=300, t_mul=1.0,
                                 m_mul=0.9, alpha=0.05)),
    ("PiecewiseConstantDecay", dict(boundaries=[100, 1000, 3000],
                                    values=[0.1, 0.05, 0.01, 1e-3])),
]
CASES64 = [0, 3, 5, 6, 8, 10, 12]            # the float64 (floatx) cases: one per class+
#: eager steps are slow (TF eager ~10 ms, JAX eager more): eager modes run t = 0..1000, and
#: JAX eager re-traces and compiles ops.cond's branches at every call (seconds per step):
#: CosineDecay with warmup and CosineDecayRestarts run t = 0..299 there
N_EAGER = 1001
N_COND_EAGER = 300
MODES = {"tensorflow": ("function", "eager"), "jax": ("jit", "eager"), "torch": ("eager",)}


def _stepper(opt, var, mode):
    """One optimizer step on ``var`` with a gradient of ones, as the mode runs it; returns
    the variable's value after the step (with the variable held at 0 before it)."""
    g = keras.ops.ones(var.shape, dtype=var.dtype)
    if mode == "jit":
        @jax.jit
        def step(opt_vals, p, g):
            new_p, new_opt = opt.stateless_apply(opt_vals, [g], [p])
            return new_p[0], new_opt
        state = {"opt": [v.value for v in opt.variables]}
        zero = keras.ops.zeros(var.shape, dtype=var.dtype)

        def run():
            p, state["opt"] = step(state["opt"], zero, g)
            return np.asarray(p)
        return run
    apply = lambda: opt.apply_gradients([(g, var)])  # noqa: E731
    if mode == "function":
        import tensorflow as tf
        apply = tf.function(apply)

    def run():
        var.assign(keras.ops.zeros(var.shape, dtype=var.dtype))
        apply()
        return keras.ops.convert_to_numpy(var.value)
    return run


def _values(cls, kw, mode, floatx, n=N):
    keras.config.set_floatx(floatx)
    try:
        opt = keras.optimizers.SGD(getattr(SCH, cls)(**kw))
        var = keras.Variable(np.zeros(2, floatx), dtype=floatx)
        opt.build([var])
        run = _stepper(opt, var, mode)
        out = np.array([-run()[0] for _ in range(n)])
    finally:
        keras.config.set_floatx("float32")
    assert out.dtype == np.dtype(floatx), out.dtype
    return out


E2E = ("ExponentialDecay", dict(initial_learning_rate=0.01, decay_steps=100, decay_rate=0.96,
                                staircase=True))


def _adam_run(mode):
    """keras.optimizers.Adam(ExponentialDecay(0.01, 100, 0.96, staircase=True)) for 300 steps
    of g_t = cos(0.37 t + k) on 7 float32 elements, stepped as ``mode`` runs it."""
    opt = keras.optimizers.Adam(getattr(SCH, E2E[0])(**E2E[1]))
    p0 = np.linspace(-1, 1, 7).astype(np.float32)
    var = keras.Variable(p0, dtype="float32")
    opt.build([var])
    k = np.arange(7)
    grads = [np.cos(0.37 * t + k).astype(np.float32) for t in range(300)]
    params = [p0.copy()]
    if mode == "jit":
        @jax.jit
        def step(opt_vals, p, g):
            new_p, new_opt = opt.stateless_apply(opt_vals, [g], [p])
            return new_p[0], new_opt
        opt_vals, p = [v.value for v in opt.variables], var.value
        for g in grads:
            p, opt_vals = step(opt_vals, p, keras.ops.convert_to_tensor(g))
            params.append(np.asarray(p).copy())
    else:
        apply = lambda g: opt.apply_gradients([(g, var)])  # noqa: E731
        if mode == "function":
            import tensorflow as tf
            apply = tf.function(apply)
        for g in grads:
            apply(keras.ops.convert_to_tensor(g))
            params.append(keras.ops.convert_to_numpy(var.value).copy())
    return {"p0": p0, "grads": np.array(grads), "params": np.array(params)}


def cases(args):
    out = []
    for mode in MODES[BACKEND]:
        for floatx in ("float32", "float64") if BACKEND != "jax" or X64 else ("float32",):
            for i, (cls, kw) in enumerate(CASES):
                if floatx == "float64" and i not in CASES64:
                    continue
                config = {"class": cls, "config": getattr(SCH, cls)(**kw).get_config(),
                          "backend": BACKEND, "mode": mode, "floatx": floatx}
                if BACKEND == "jax":
                    config["x64"] = X64
                cond = cls == "CosineDecayRestarts" or "warmup_target" in kw
                n = N_EAGER if mode == "eager" and BACKEND != "torch" else N
                n = N_COND_EAGER if (BACKEND, mode) == ("jax", "eager") and cond else n
                out.append((f"{cls}-{i}-{mode}-{floatx}", config,
                            lambda cls=cls, kw=kw, mode=mode, floatx=floatx, n=n:
                            _values(cls, kw, mode, floatx, n)))
        out.append((f"adam-ExponentialDecay-{mode}", {
            "optimizer": "keras.optimizers.Adam", "hyperparameters": {},
            "schedule": {"class": E2E[0], "config": getattr(SCH, E2E[0])(**E2E[1]).get_config(),
                         "backend": BACKEND, "mode": mode, "floatx": "float32",
                         **({"x64": X64} if BACKEND == "jax" else {})}},
            lambda mode=mode: _adam_run(mode)))
    return out
