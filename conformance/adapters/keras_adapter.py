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

``KERAS_FLOATX`` (float32 by default) is set with ``keras.config.set_floatx`` before anything
is built, as a float64 model needs: the optimizer's learning-rate variable and the Python
floats it converts take that dtype. The recordings say it in ``meta["floatx"]``.

Cases with ``arrays`` update several variables with one optimizer in one (traced) step, as
``model.fit`` does with a model's weights.
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

FLOATX = os.environ.get("KERAS_FLOATX", "float32")
keras.config.set_floatx(FLOATX)


def paths():
    """What the framework chose on this CPU: the intra-op threads that large sums (the clip
    norms) are split between: torch's (ATen, from 32768 elements) and TensorFlow's (Eigen,
    from 108388 float32 / 54194 float64 elements: TF_NUM_INTRAOP_THREADS or the CPUs this
    process may run on, as TensorFlow sizes its pool)."""
    if BACKEND == "torch":
        import torch
        return {"torch_threads": torch.get_num_threads(),
                "aten_capability": torch.backends.cpu.get_cpu_capability()}
    if BACKEND == "tensorflow":
        import tensorflow as tf
        n = tf.config.threading.get_intra_op_parallelism_threads()
        if n <= 0:
            n = int(os.environ.get("TF_NUM_INTRAOP_THREADS", "0") or 0) or len(
                os.sched_getaffinity(0))
        return {"tf_threads": n}
    return {}

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
    Case("adam", "clipnorm_custom", dict(ADAM_CUSTOM, clipnorm=0.7, weight_decay=0.01),
         description="Adam, custom, clipnorm=0.7 (not 1: the scale keeps its factor), "
                     "weight_decay=0.01"),
    Case("adam", "globalclipnorm_custom", dict(ADAM_CUSTOM, global_clipnorm=0.7, amsgrad=True),
         description="Adam, custom, global_clipnorm=0.7, amsgrad"),
    Case("adam", "clipnorm_large", dict(clipnorm=1.0), stream="large",
         description="Adam(clipnorm=1.0) on 40011 elements (the norm's sum over several "
                     "threads and blocks)"),
    Case("adam", "globalclipnorm_large", dict(global_clipnorm=1.0), stream="large",
         description="Adam(global_clipnorm=1.0) on 40011 elements"),
    Case("adam", "subnormal", {}, stream="tiny",
         description="Adam() on gradients whose squares are subnormal, and subnormal ones "
                     "(XLA's and TensorFlow's flush-to-zero)"),
    Case("adamw", "default", {}, description="keras.optimizers.AdamW() defaults (wd 0.004)"),
    Case("rmsprop", "default", {}, description="keras.optimizers.RMSprop() defaults"),
    Case("rmsprop", "momentum", dict(momentum=0.9), description="RMSprop(momentum=0.9)"),
    Case("rmsprop", "subnormal_momentum", dict(momentum=0.9), stream="tiny",
         description="RMSprop(momentum=0.9) on the tiny stream (flush-to-zero)"),
    Case("rmsprop", "centered", dict(centered=True, momentum=0.5, rho=0.95),
         description="RMSprop(centered=True, momentum=0.5, rho=0.95)"),
]


#: several variables updated by one optimizer in one traced step, as model.fit updates a
#: model's weights: a two-layer perceptron's kernels and biases and a 1-element scale (five
#: norms make torch's stacked global-norm sum take ATen's 4-way order); 200 steps of the
#: small stream laid out by _run.split_stream
MLP = (("kernel0", (64, 128)), ("bias0", (128,)), ("kernel1", (128, 10)), ("bias1", (10,)),
       ("scale", (1,)))
_MLP_CASES = ("default", "wd", "clipnorm", "clipnorm_custom", "globalclipnorm",
              "globalclipnorm_custom", "adamw-default", "rmsprop-default", "rmsprop-momentum",
              "rmsprop-centered")


def _mlp_cases(cases):
    out = []
    for c in cases:
        key = c.variant if c.optimizer == "adam" else f"{c.optimizer}-{c.variant}"
        if key in _MLP_CASES:
            out.append(Case(c.optimizer, c.variant + "_mlp", dict(c.hyperparameters),
                            arrays=MLP, steps=200,
                            description=c.description + "; five variables in one step"))
    return out


#: arrays whose clip norms XLA sums with its tree reduction under jit (each with one
#: dimension longer than 32 and fewer than 4096 elements; presets.keras.xla_norms_reproduced)
WIDE = (("kernel", (40, 30)), ("bias", (100,)), ("head", (33, 7)))


def _wide_cases(cases):
    return [Case(c.optimizer, c.variant + "_wide", dict(c.hyperparameters), arrays=WIDE,
                 steps=300, description=c.description + "; three variables in one step")
            for c in cases if c.optimizer == "adam" and "clipnorm" in c.variant
            and c.stream == "small" and c.arrays is None]


#: a kernel of 120701 elements: TensorFlow splits its norm between its threads (Eigen's cost
#: model, from 108388 float32 elements), torch too (ATen, from 32768)
BIG = (("kernel", (301, 401)), ("bias", (401,)))

CASES += _mlp_cases(CASES) + _wide_cases(CASES) + [
    Case("adam", f"{v}_big", {k: 1.0}, arrays=BIG, steps=20,
         description=f"Adam({k}=1.0) on a 301x401 kernel and a bias")
    for v, k in (("clipnorm", "clipnorm"), ("globalclipnorm", "global_clipnorm"))]


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


def _slot_vars(opt, case, var):
    table = _SLOTS_RMSPROP if case.optimizer == "rmsprop" else _SLOTS
    out = {}
    for attr, name in table.items():
        lst = getattr(opt, attr, None)
        if lst:
            out[name] = lst[opt._get_variable_index(var)]
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
    multi = isinstance(grads, list)
    P0, G = (p0, grads) if multi else ([p0], [grads])
    T = G[0].shape[0]
    dt = str(G[0].dtype)
    names = [a for a, _ in case.arrays] if multi else ["p"]
    variables = [keras.Variable(p, dtype=dt, name=name) for p, name in zip(P0, names)]
    opt = _make(case)
    opt.build(variables)
    slots = [_slot_vars(opt, case, var) for var in variables]
    params = [[p.copy()] for p in P0]
    states = [{k: [keras.ops.convert_to_numpy(v.value).copy()] for k, v in sl.items()}
              for sl in slots]
    gtensors = [[keras.ops.convert_to_tensor(g[t], dtype=dt) for g in G] for t in range(T)]

    if BACKEND == "jax" and MODE == "fit":
        import jax
        slot_index = [{k: next(i for i, ov in enumerate(opt.variables) if ov is v)
                       for k, v in sl.items()} for sl in slots]

        @jax.jit
        def step(opt_vals, ps, gs):
            return opt.stateless_apply(opt_vals, gs, ps)

        opt_vals = [v.value for v in opt.variables]
        ps = [var.value for var in variables]
        for t in range(T):
            ps, opt_vals = step(opt_vals, ps, gtensors[t])
            for k in range(len(ps)):
                params[k].append(np.asarray(ps[k]).copy())
                for name, i in slot_index[k].items():
                    states[k][name].append(np.asarray(opt_vals[i]).copy())
        api = "jax.jit(optimizer.stateless_apply) (as the JAX trainer)"
    else:
        apply = lambda gs: opt.apply_gradients(list(zip(gs, variables)))  # noqa: E731
        api = "optimizer.apply_gradients(zip(grads, variables)), eager"
        if BACKEND == "tensorflow" and MODE == "fit":
            import tensorflow as tf
            apply = tf.function(apply)
            api = "tf.function(optimizer.apply_gradients) (as the TF trainer without XLA)"
        for t in range(T):
            apply(gtensors[t])
            for k, var in enumerate(variables):
                params[k].append(keras.ops.convert_to_numpy(var.value).copy())
                for name, v in slots[k].items():
                    states[k][name].append(keras.ops.convert_to_numpy(v.value).copy())
    meaning = {"m": "first moment", "v": "second moment", "vhat": "AMSGrad running max of v",
               "velocity": "mean square", "momentum": "momentum buffer",
               "average_gradient": "mean gradient (centered)"}
    extra = {
        "api": f"keras.optimizers.{type(opt).__name__}(**hyperparameters), {api}",
        "hyperparameters_effective": _effective(opt),
        "state_arrays": {k: meaning[k] for k in states[0]},
        "keras_backend": BACKEND,
        "floatx": keras.config.floatx(),
    }
    params = [np.array(p) for p in params]
    states = [{k: np.array(v) for k, v in st.items()} for st in states]
    if multi:
        return params, states, extra
    return params[0], states[0], extra
