"""optax schedules as ``optax.scale_by_learning_rate(schedule)`` (the last transform of
``optax.adam(schedule)``) applies them: the int32 count of ``scale_by_schedule``, the value
cast to the updates' dtype; under ``jax.jit`` (the update function jitted, as a training
step is) and eagerly; float32 (JAX's default) or, with ``--x64``, float64 updates. And
``optax.adam(schedule)`` jitted for 300 steps."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

N = 5000
X64 = bool(jax.config.read("jax_enable_x64"))
DTYPE = jnp.float64 if X64 else jnp.float32


def versions():
    return {"optax": optax.__version__, "jax": jax.__version__,
            "jaxlib": jax.lib.__version__ if hasattr(jax.lib, "__version__") else "",
            "jax_enable_x64": X64}


def S(fn, **args):
    return {"function": f"optax.{fn}", "args": args}


CASES = [
    S("exponential_decay", init_value=0.01, transition_steps=100, decay_rate=0.96),
    S("exponential_decay", init_value=0.01, transition_steps=100, decay_rate=0.96,
      staircase=True),
    S("exponential_decay", init_value=0.1, transition_steps=7, decay_rate=0.5,
      transition_begin=50, end_value=1e-3),
    S("cosine_decay_schedule", init_value=0.1, decay_steps=3000),
    S("cosine_decay_schedule", init_value=0.01, decay_steps=999, alpha=0.1, exponent=2.0),
    S("warmup_cosine_decay_schedule", init_value=0.0, peak_value=0.1, warmup_steps=200,
      decay_steps=4000, end_value=1e-4),
    S("linear_schedule", init_value=0.1, end_value=0.001, transition_steps=3000,
      transition_begin=100),
    S("polynomial_schedule", init_value=0.1, end_value=1e-4, power=2, transition_steps=3000),
    S("polynomial_schedule", init_value=0.1, end_value=1e-4, power=0.5, transition_steps=2500,
      transition_begin=300),
    S("piecewise_constant_schedule", init_value=0.1,
      boundaries_and_scales={500: 0.5, 1500: 0.1, 3000: 0.5}),
    {"function": "optax.join_schedules", "boundaries": [100, 2100],
     "schedules": [S("linear_schedule", init_value=0.0, end_value=0.1, transition_steps=100),
                   S("exponential_decay", init_value=0.1, transition_steps=500, decay_rate=0.5),
                   S("constant_schedule", value=3e-3)]},
]


def build(spec):
    if spec["function"] == "optax.join_schedules":
        return optax.join_schedules([build(s) for s in spec["schedules"]], spec["boundaries"])
    args = dict(spec["args"])
    if "boundaries_and_scales" in args:
        args["boundaries_and_scales"] = {int(k): v for k, v in
                                         args["boundaries_and_scales"].items()}
    return getattr(optax, spec["function"].split(".", 1)[1])(**args)


def _values(spec, jit, n=N):
    tx = optax.scale_by_learning_rate(build(spec))
    ones = jnp.ones(3, DTYPE)
    state = tx.init(ones)
    update = jax.jit(tx.update) if jit else tx.update
    out = []
    for _ in range(n):
        u, state = update(ones, state)
        out.append(-np.asarray(u)[0])
    a = np.array(out)
    assert a.dtype == np.dtype(DTYPE), a.dtype
    return a


E2E = S("exponential_decay", init_value=0.01, transition_steps=100, decay_rate=0.96)


def _adam_run(jit):
    """optax.adam(exponential_decay(0.01, 100, 0.96)) with its update jitted (or eager), 300
    steps of g_t = cos(0.37 t + k), 7 elements of the default float dtype."""
    tx = optax.adam(build(E2E))
    p0 = np.linspace(-1, 1, 7).astype(DTYPE)
    p = jnp.asarray(p0)
    state = tx.init(p)

    def step(p, g, state):
        u, state = tx.update(g, state, p)
        return optax.apply_updates(p, u), state
    step = jax.jit(step) if jit else step
    k = np.arange(7)
    params, grads = [p0.copy()], []
    for t in range(300):
        g = np.cos(0.37 * t + k).astype(DTYPE)
        p, state = step(p, jnp.asarray(g), state)
        grads.append(g)
        params.append(np.asarray(p).copy())
    return {"p0": p0, "grads": np.array(grads), "params": np.array(params)}


def cases(args):
    out = []
    for jit in (True, False):
        mode = "jit" if jit else "eager"
        for i, spec in enumerate(CASES):
            name = spec["function"].split(".", 1)[1]
            out.append((f"{name}-{i}-{mode}", {**spec, "jit": jit},
                        lambda spec=spec, jit=jit: _values(spec, jit)))
        out.append((f"adam-exponential_decay-{mode}",
                    {"optimizer": "optax.adam", "hyperparameters": {"jit": jit},
                     "schedule": {**E2E, "jit": jit}}, lambda jit=jit: _adam_run(jit)))
    return out
