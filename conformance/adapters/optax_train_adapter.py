"""optax real training: an MLP on the digits, a ``jax.jit`` train step over the parameter
pytree (and one eager run).

The model of ``_train.py`` as a list of (kernel (in, out), bias) pairs; ``loss(params, x,
y)`` = ``optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()`` with
``relu(x @ w + b)`` twice. One step is ``loss, grads = jax.value_and_grad(loss)(params,
x, y); updates, state = opt.update(grads, state, params); params =
optax.apply_updates(params, updates)``, the whole step under one ``jax.jit`` (the
``_eager`` variant calls it op by op). The step also returns ``grads`` (what
``opt.update`` received) and, for a schedule, ``schedule(count)`` of the
``ScaleByScheduleState`` it read (the rate of this step); a constant rate is recorded as
given. Parameters and every per-element state leaf (``mu``, ``nu``, ``trace``: optax's
field names) are read with ``np.asarray`` after every step; row 0 is ``opt.init``'s.

dtypes: float32, or float64 under ``JAX_ENABLE_X64=1`` (a separate run, as
``optax_adapter``).
"""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from _run import Case  # noqa: E402
from _train import Recorder, plain  # noqa: E402

FRAMEWORK = "optax"
TRAINING = True
MODEL = "digits_mlp"
X64 = bool(jax.config.jax_enable_x64)
DTYPES = ("float64",) if X64 else ("float32",)

DECAY = {"init_value": 0.01, "transition_steps": 10, "decay_rate": 0.7, "staircase": True}

# (optimizer, variant, alias, keywords (learning_rate as [schedule name, args] or a
# float), description)
_CASES = [
    ("adam", "train_expdecay", "adam", {"learning_rate": ["exponential_decay", DECAY]},
     "optax.adam(optax.exponential_decay(0.01, transition_steps=10, decay_rate=0.7, "
     "staircase=True))"),
    ("adamw", "train", "adamw", {"learning_rate": 0.005, "weight_decay": 0.01},
     "optax.adamw(0.005, weight_decay=0.01)"),
    ("rmsprop", "train_momentum", "rmsprop", {"learning_rate": 0.002, "momentum": 0.9},
     "optax.rmsprop(0.002, momentum=0.9)"),
    ("adam", "train_expdecay_eager", "adam", {"learning_rate": ["exponential_decay", DECAY]},
     "as train_expdecay, the train step run eagerly (no jit)"),
]

CASES = [Case(opt, variant, {"alias": alias, **kw}, dtypes=DTYPES, stream=MODEL,
              description=desc) for opt, variant, alias, kw, desc in _CASES]

_MEANING = {"mu": "first moment (or the centered mean of g)", "nu": "second moment / mean "
            "square", "trace": "momentum trace (TraceState.trace)"}


def versions():
    import jaxlib
    return {"optax": optax.__version__, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
            "numpy": np.__version__, "jax_enable_x64": X64}


def _loss(params, x, y):
    h = x
    for k, (w, b) in enumerate(params):
        h = h @ w + b
        if k + 1 < len(params):
            h = jax.nn.relu(h)
    return optax.softmax_cross_entropy_with_integer_labels(h, y).mean()


def _schedule_state(state):
    """The ScaleByScheduleState in an optimizer state (None for a constant rate)."""
    found = [s for s in jax.tree_util.tree_leaves(
        state, is_leaf=lambda s: isinstance(s, optax.ScaleByScheduleState))
        if isinstance(s, optax.ScaleByScheduleState)]
    return found[0] if found else None


def _per_element(state):
    """{field name: [one array per parameter array]} of the per-element state leaves."""
    out = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
        if np.ndim(leaf) == 0:
            continue
        name = next(k.name for k in path if isinstance(k, jax.tree_util.GetAttrKey))
        out.setdefault(name, []).append(np.asarray(leaf))
    return out


def train(case, data):
    hp = dict(case.hyperparameters)
    alias = hp.pop("alias")
    schedule = None
    if isinstance(hp["learning_rate"], list):
        name, args = hp["learning_rate"]
        schedule = getattr(optax, name)(**args)
        hp["learning_rate"] = schedule
    opt = getattr(optax, alias)(**hp)
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in data.layers]
    state = opt.init(params)

    def step(params, state, x, y):
        loss, grads = jax.value_and_grad(_loss)(params, x, y)
        sched = _schedule_state(state)
        lr = schedule(sched.count) if sched is not None else hp["learning_rate"]
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, grads, lr, loss

    eager = case.variant.endswith("_eager")
    stepf = step if eager else jax.jit(step)
    flat = lambda tree: [np.asarray(a) for a in jax.tree_util.tree_leaves(tree)]  # noqa: E731
    names = [f"{k}.{n}" for k in range(len(params)) for n in ("w", "b")]
    rec = Recorder(names)
    rec.start(flat(params), _per_element(state))
    for xb, yb in data.batches():
        params, state, grads, lr, loss = stepf(params, state, jnp.asarray(xb), jnp.asarray(yb))
        rec.step(flat(grads), flat(params), _per_element(state), lr=float(lr))
    result = rec.result()
    eff = {k: plain(v) for k, v in hp.items()}
    if schedule is not None:
        eff["learning_rate"] = float(args["init_value"])
    extra = {
        "api": f"optax.{alias}(**kw); loss, grads = jax.value_and_grad(loss)(params, x, y); "
               "updates, state = opt.update(grads, state, params); params = "
               "optax.apply_updates(params, updates)"
               + ("; eager (no jit)" if eager else "; the whole step under one jax.jit"),
        "hyperparameters_effective": eff,
        "optimizer_call": f"optax.{alias}(" + ", ".join(
            f"{k}={v!r}" if not callable(v) else f"{k}=optax.exponential_decay(**{args!r})"
            for k, v in hp.items()) + ")",
        "jit": not eager,
        "state_arrays": {k: _MEANING[k] for k in result[2][0]},
        "gradients": "jax.value_and_grad's grads, returned by the step that passed them to "
                     "opt.update",
        "lr_recorded": "schedule(ScaleByScheduleState.count) in the step (the rate optax "
                       "uses there), or the constant rate given",
        "scalar_state": {jax.tree_util.keystr(p): str(np.asarray(v).dtype) for p, v in
                         jax.tree_util.tree_flatten_with_path(state)[0] if np.ndim(v) == 0},
        "model": "[(w, b)] * 3, relu(x @ w + b) twice; softmax_cross_entropy_with_integer_"
                 "labels(logits, y).mean()",
        "final_loss": float(loss),
    }
    if schedule is not None:
        extra["schedule"] = {"api": f"optax.exponential_decay(**{args!r}) as learning_rate",
                             "pieces": [{"name": "optax.exponential_decay", "args": args}]}
    return result, extra
