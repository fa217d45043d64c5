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

_EAGER = {("adam", "default"), ("adam", "eps_root"), ("adamw", "custom"), ("nadam", "default"), ("adamax", "default"),
          ("rmsprop", "default"), ("rmsprop", "eps_outside"), ("rmsprop", "centered_momentum")}


#: several parameter arrays updated together (params a list of arrays, as a model's): a
#: two-layer perceptron's kernels and biases, and a pair of small arrays (one of a single
#: element). Their gradients are the small stream's values laid out by _run.split_stream.
_MODELS = {
    "mlp": ((("kernel0", (64, 128)), ("bias0", (128,)), ("kernel1", (128, 10)),
             ("bias1", (10,))), 200),
    "pair": ((("w", (13,)), ("b", (1,))), 300),
}
#: the cases run with each model (jit; those also in _EAGER eagerly too)
_MULTI = {
    "mlp": {("adam", "default"), ("adam", "eps_root"), ("adamw", "custom"), ("nadam", "default"),
            ("adamax", "default"), ("rmsprop", "default"), ("rmsprop", "centered_momentum")},
    "pair": {(opt, variant) for opt, variant, *_ in _BASE},
}


def _cases():
    cases = []
    for opt, variant, fn, kw, desc in _BASE:
        cases.append(Case(opt, variant, {"alias": fn, **kw}, dtypes=DTYPES,
                          description=desc + "; update+apply_updates under one jax.jit"))
    for opt, variant, fn, kw, desc in _BASE:
        if (opt, variant) in _EAGER:
            cases.append(Case(opt, variant + "_eager", {"alias": fn, **kw}, dtypes=DTYPES,
                              description=desc + "; eager (no jit)"))
    for model, (arrays, steps) in _MODELS.items():
        shapes = ", ".join(str(s) for _, s in arrays)
        for opt, variant, fn, kw, desc in _BASE:
            if (opt, variant) not in _MULTI[model]:
                continue
            modes = ("", "_eager") if (opt, variant) in _EAGER else ("",)
            for mode in modes:
                how = "eager (no jit)" if mode else "update+apply_updates under one jax.jit"
                cases.append(Case(opt, f"{variant}_{model}{mode}", {"alias": fn, **kw},
                                  dtypes=DTYPES, arrays=arrays, steps=steps,
                                  description=f"{desc}; params [{shapes}]; {how}"))
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


def _per_array_leaves(state, shapes):
    """A several-array run (params a list): the per-element state leaves of each array, under
    optax's field names: [{name: leaf}, ...], one dict per array."""
    out = [{} for _ in shapes]
    for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
        last = path[-1] if path else None
        k = getattr(last, "idx", None)
        if not jnp.issubdtype(jnp.asarray(leaf).dtype, jnp.floating) or k is None \
                or k >= len(shapes) or tuple(np.shape(leaf)) != tuple(shapes[k]):
            continue
        name = "_".join(str(getattr(q, "name", getattr(q, "idx", q))) for q in path[:-1]
                        if not str(getattr(q, "idx", "x")).isdigit()) or "leaf"
        out[k][name] = leaf
    return out


def run(case, p0, grads):
    hp = dict(case.hyperparameters)
    fn = getattr(optax, hp.pop("alias"))
    opt = fn(**hp)
    multi = isinstance(grads, list)
    G = grads if multi else [grads]
    dtype = G[0].dtype
    shapes = [g.shape[1:] for g in G]
    # several arrays: a list of arrays is the pytree, as a model's parameters
    params = [jnp.asarray(p) for p in p0] if multi else jnp.asarray(p0)
    assert all(p.dtype == dtype for p in jax.tree_util.tree_leaves(params)), dtype
    state = opt.init(params)

    def step(params, state, g):
        updates, state = opt.update(g, state, params)
        return optax.apply_updates(params, updates), state

    def leaves(state):
        return _per_array_leaves(state, shapes) if multi else [_named_leaves(state)]

    eager = case.variant.endswith("_eager")
    stepf = step if eager else jax.jit(step)
    T = G[0].shape[0]
    out_p = [np.empty((T + 1, *s), dtype=dtype) for s in shapes]
    for k, p in enumerate(jax.tree_util.tree_leaves(params)):
        out_p[k][0] = np.asarray(p)
    named0 = leaves(state)
    states = [{k: np.empty((T + 1, *s), dtype=dtype) for k in named}
              for named, s in zip(named0, shapes)]
    for st, named in zip(states, named0):
        for k, v in named.items():
            st[k][0] = np.asarray(v)
    for t in range(T):
        g = [jnp.asarray(x[t]) for x in G] if multi else jnp.asarray(G[0][t])
        params, state = stepf(params, state, g)
        for k, p in enumerate(jax.tree_util.tree_leaves(params)):
            out_p[k][t + 1] = np.asarray(p)
        for st, named in zip(states, leaves(state)):
            for k, v in named.items():
                st[k][t + 1] = np.asarray(v)
    extra = {
        "api": f"optax.{fn.__name__}(**kw); updates, state = opt.update(g, state, params); "
               f"params = optax.apply_updates(params, updates)"
               + ("; eager (no jit)" if eager else "; both inside one jax.jit")
               + ("; params a list of arrays" if multi else ""),
        "hyperparameters_effective": _effective(fn, hp),
        "state_arrays": {k: _MEANING.get((case.optimizer, k), f"optax state leaf {k}")
                         for k in states[0]},
        "scalar_state": _scalar_leaves(state),
        "jit": not eager,
    }
    if multi:
        return out_p, states, extra
    return out_p[0], states[0], extra


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
