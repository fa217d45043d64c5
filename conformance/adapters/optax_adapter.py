"""optax adapter (JAX on CPU): adam, adamw, nadam, adamax, rmsprop, driven by injected gradients.

Each step runs ``updates, state = opt.update(g, state, params)`` and
``params = optax.apply_updates(params, updates)``. By default the two calls are wrapped in
one ``jax.jit`` function (the usual way optax is used, so XLA fuses the step); the
``_eager`` variants call them op by op without ``jit`` (each jnp op is its own XLA
computation, so nothing is fused). Parameters and every per-element state leaf are read
back with ``np.asarray`` after every step; row 0 is the initial state from ``opt.init``.

dtypes: float32 by default. float64 needs x64, which must be on before JAX starts, so it is
a separate run: ``JAX_ENABLE_X64=1 .venvs/modern/bin/python conformance/adapters/_run.py
optax_adapter --streams DIR --out DIR`` records the float64 cases (and only those).
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from _run import Case  # noqa: E402

FRAMEWORK = "optax"

X64 = bool(jax.config.jax_enable_x64)
DTYPES = ("float64",) if X64 else ("float32",)


def versions():
    import jaxlib
    return {"optax": optax.__version__, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
            "numpy": np.__version__, "jax_enable_x64": X64,
            "devices": [str(d) for d in jax.devices()]}


# (optimizer, variant, alias function name, kwargs, description)
_BASE = [
    ("adam", "default", "adam", {"learning_rate": 1e-3}, "optax.adam(1e-3), b1 .9, b2 .999, eps 1e-8"),
    ("adam", "custom", "adam", {"learning_rate": 0.004, "b1": 0.86, "b2": 0.995, "eps": 1e-6},
     "non-default lr, b1, b2, eps"),
    ("adam", "eps_root", "adam", {"learning_rate": 1e-3, "eps_root": 1e-8},
     "adam with eps_root 1e-8 (inside the square root)"),
    ("adamw", "default", "adamw", {"learning_rate": 1e-3}, "optax.adamw(1e-3), weight_decay 1e-4"),
    ("adamw", "custom", "adamw", {"learning_rate": 0.004, "b1": 0.86, "b2": 0.995, "eps": 1e-6,
                                  "weight_decay": 0.05}, "non-default adamw"),
    ("nadam", "default", "adam", {"learning_rate": 1e-3, "nesterov": True},
     "optax.adam(1e-3, nesterov=True) (= optax.nadam)"),
    ("adamax", "default", "adamax", {"learning_rate": 2e-3}, "optax.adamax(2e-3), b1 .9, b2 .999, eps 1e-8"),
    ("rmsprop", "default", "rmsprop", {"learning_rate": 1e-3},
     "optax.rmsprop(1e-3): decay .9, eps 1e-8, eps_in_sqrt=True"),
    ("rmsprop", "eps_outside", "rmsprop", {"learning_rate": 1e-3, "eps_in_sqrt": False},
     "rmsprop eps_in_sqrt=False: g / (sqrt(nu) + eps)"),
    ("rmsprop", "centered", "rmsprop", {"learning_rate": 1e-3, "centered": True},
     "rmsprop centered=True"),
    ("rmsprop", "momentum", "rmsprop", {"learning_rate": 1e-3, "momentum": 0.9},
     "rmsprop momentum 0.9 (optax.trace)"),
    ("rmsprop", "centered_momentum", "rmsprop",
     {"learning_rate": 0.004, "decay": 0.95, "eps": 1e-6, "centered": True, "momentum": 0.9},
     "rmsprop custom decay/eps, centered, momentum 0.9"),
]

_EAGER = {("adam", "default"), ("adamw", "custom"), ("nadam", "default"), ("adamax", "default"),
          ("rmsprop", "default"), ("rmsprop", "eps_outside"), ("rmsprop", "centered_momentum")}


def _cases():
    cases = []
    for opt, variant, fn, kw, desc in _BASE:
        cases.append(Case(opt, variant, {"alias": fn, **kw}, dtypes=DTYPES,
                          description=desc + "; update+apply_updates under one jax.jit"))
    for opt, variant, fn, kw, desc in _BASE:
        if (opt, variant) in _EAGER:
            cases.append(Case(opt, variant + "_eager", {"alias": fn, **kw}, dtypes=DTYPES,
                              description=desc + "; eager (no jit)"))
    return cases


CASES = _cases()


_MEANING = {
    ("adam", "mu"): "first moment (ScaleByAdamState.mu)",
    ("adam", "nu"): "second moment, raw (ScaleByAdamState.nu)",
    ("adamw", "mu"): "first moment (ScaleByAdamState.mu)",
    ("adamw", "nu"): "second moment, raw (ScaleByAdamState.nu)",
    ("nadam", "mu"): "first moment (ScaleByAdamState.mu)",
    ("nadam", "nu"): "second moment, raw (ScaleByAdamState.nu)",
    ("adamax", "mu"): "first moment (ScaleByAdamState.mu)",
    ("adamax", "nu"): "infinity norm max(|g|+eps, b2*nu) (ScaleByAdamState.nu)",
    ("rmsprop", "nu"): "mean square of g (ScaleByRmsState.nu / ScaleByRStdDevState.nu)",
    ("rmsprop", "mu"): "centered: mean of g (ScaleByRStdDevState.mu)",
    ("rmsprop", "trace"): "momentum trace (TraceState.trace), holds -lr-scaled updates",
}


def _named_leaves(state):
    """Per-element state arrays under optax's own field names (e.g. 'mu', 'nu', 'trace')."""
    out = {}
    paths = jax.tree_util.tree_flatten_with_path(state)[0]
    for path, leaf in paths:
        if np.ndim(leaf) == 0:
            continue
        name = "_".join(str(getattr(k, "name", getattr(k, "idx", k))) for k in path
                        if not str(getattr(k, "idx", "x")).isdigit())
        name = name or "leaf"
        base, i = name, 1
        while name in out:
            i += 1
            name = f"{base}{i}"
        out[name] = leaf
    return out


def _scalar_leaves(state):
    out = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
        if np.ndim(leaf) == 0:
            out[jax.tree_util.keystr(path)] = str(np.asarray(leaf).dtype)
    return out


def run(case, p0, grads):
    hp = dict(case.hyperparameters)
    fn = getattr(optax, hp.pop("alias"))
    opt = fn(**hp)
    dtype = grads.dtype
    params = jnp.asarray(p0)
    assert params.dtype == dtype, (params.dtype, dtype)
    state = opt.init(params)

    def step(params, state, g):
        updates, state = opt.update(g, state, params)
        return optax.apply_updates(params, updates), state

    eager = case.variant.endswith("_eager")
    stepf = step if eager else jax.jit(step)
    T, n = grads.shape
    out_p = np.empty((T + 1, n), dtype=dtype)
    out_p[0] = p0
    named0 = _named_leaves(state)
    states = {k: np.empty((T + 1, n), dtype=dtype) for k in named0}
    for k, v in named0.items():
        states[k][0] = np.asarray(v)
    for t in range(T):
        params, state = stepf(params, state, jnp.asarray(grads[t]))
        out_p[t + 1] = np.asarray(params)
        for k, v in _named_leaves(state).items():
            states[k][t + 1] = np.asarray(v)
    extra = {
        "api": f"optax.{fn.__name__}(**kw); updates, state = opt.update(g, state, params); "
               f"params = optax.apply_updates(params, updates)"
               + ("; eager (no jit)" if eager else "; both inside one jax.jit"),
        "hyperparameters_effective": _effective(fn, hp),
        "state_arrays": {k: _MEANING.get((case.optimizer, k), f"optax state leaf {k}") for k in states},
        "scalar_state": _scalar_leaves(state),
        "jit": not eager,
    }
    return out_p, states, extra


def _effective(fn, hp):
    import inspect
    eff = {}
    for name, prm in inspect.signature(fn).parameters.items():
        v = hp.get(name, prm.default)
        if v is inspect.Parameter.empty:
            continue
        if isinstance(v, (int, float, bool, str, type(None))):
            eff[name] = v
        else:
            eff[name] = repr(v)
    return eff
