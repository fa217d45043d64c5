"""tf.compat.v1.train learning-rate decays, eager, as the TF1 optimizers call them: the
function returned for an int64 ``global_step`` variable, evaluated at global_step = t; and
``tf.compat.v1.train.AdamOptimizer(exponential_decay(...))`` for 300 steps."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

N = 10001


def versions():
    return {"tensorflow": tf.__version__}


CASES = [
    ("exponential_decay", dict(learning_rate=0.01, decay_steps=100, decay_rate=0.96)),
    ("exponential_decay", dict(learning_rate=0.01, decay_steps=100, decay_rate=0.96,
                               staircase=True)),
    ("exponential_decay", dict(learning_rate=0.1, decay_steps=7, decay_rate=0.5)),
    ("exponential_decay", dict(learning_rate=3e-4, decay_steps=333, decay_rate=0.9,
                               staircase=True)),
    ("natural_exp_decay", dict(learning_rate=0.1, decay_steps=50, decay_rate=0.5)),
    ("natural_exp_decay", dict(learning_rate=0.1, decay_steps=50, decay_rate=0.5,
                               staircase=True)),
    ("inverse_time_decay", dict(learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    ("inverse_time_decay", dict(learning_rate=1e-3, decay_steps=7, decay_rate=0.3,
                                staircase=True)),
    ("polynomial_decay", dict(learning_rate=0.1, decay_steps=3000, end_learning_rate=1e-4,
                              power=1.0)),
    ("polynomial_decay", dict(learning_rate=0.1, decay_steps=3000, end_learning_rate=1e-5,
                              power=0.5)),
    ("polynomial_decay", dict(learning_rate=0.05, decay_steps=700, end_learning_rate=1e-3,
                              power=2.0, cycle=True)),
    ("piecewise_constant", dict(boundaries=[100, 1000, 5000], values=[0.1, 0.05, 0.01, 1e-3])),
    ("cosine_decay", dict(learning_rate=0.1, decay_steps=7000)),
    ("cosine_decay", dict(learning_rate=0.01, decay_steps=999, alpha=0.1)),
    ("cosine_decay_restarts", dict(learning_rate=0.1, first_decay_steps=500)),
    ("cosine_decay_restarts", dict(learning_rate=0.1, first_decay_steps=300, t_mul=1.0,
                                   m_mul=0.9, alpha=0.05)),
    ("cosine_decay_restarts", dict(learning_rate=0.01, first_decay_steps=123, t_mul=1.5,
                                   m_mul=0.8, alpha=0.01)),
]
# float64 learning rates (a float64 tensor: the whole schedule in float64)
CASES64 = [
    ("exponential_decay", dict(learning_rate=0.01, decay_steps=100, decay_rate=0.96)),
    ("inverse_time_decay", dict(learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    ("polynomial_decay", dict(learning_rate=0.05, decay_steps=700, end_learning_rate=1e-3,
                              power=2.0, cycle=True)),
]


def _values(name, kw, dtype, n=N):
    gs = tf.Variable(0, dtype=tf.int64)
    kw = dict(kw)
    if dtype == "float64":
        kw["learning_rate"] = tf.constant(kw["learning_rate"], tf.float64)
    fn = getattr(tf.compat.v1.train, name)
    f = fn(x=gs, **kw) if name == "piecewise_constant" else fn(global_step=gs, **kw)
    out = []
    for t in range(n):
        gs.assign(t)
        out.append(f().numpy())
    a = np.array(out)
    assert a.dtype == np.dtype(dtype), a.dtype
    return a


def _adam_run():
    """AdamOptimizer(exponential_decay(0.01, global_step, 100, 0.96, staircase=True)), with
    minimize's global_step (incremented after each update), 300 steps of the gradients
    g_t = cos(0.37 t + k) (float32, 7 elements)."""
    gs = tf.compat.v1.train.get_or_create_global_step()
    lr = tf.compat.v1.train.exponential_decay(0.01, gs, 100, 0.96, staircase=True)
    opt = tf.compat.v1.train.AdamOptimizer(lr)
    p0 = np.linspace(-1, 1, 7).astype(np.float32)
    v = tf.Variable(p0)
    k = np.arange(7)
    params, grads, lrs = [p0.copy()], [], []
    for t in range(300):
        g = np.cos(0.37 * t + k).astype(np.float32)
        lrs.append(lr().numpy())
        opt.apply_gradients([(tf.constant(g), v)], global_step=gs)
        grads.append(g)
        params.append(v.numpy().copy())
    assert int(gs.numpy()) == 300
    return {"p0": p0, "grads": np.array(grads), "params": np.array(params),
            "lr": np.array(lrs)}


def cases(args):
    out = []
    for dtype, table in (("float32", CASES), ("float64", CASES64)):
        for i, (name, kw) in enumerate(table):
            config = {"function": f"tf.compat.v1.train.{name}", "args": kw}
            if dtype == "float64":
                config["dtype"] = "float64"
            out.append((f"{name}-{i}-{dtype}", config,
                        lambda name=name, kw=kw, dtype=dtype: _values(name, kw, dtype)))
    out.append(("adam-exponential_decay", {
        "optimizer": "tf.compat.v1.train.AdamOptimizer", "hyperparameters": {},
        "schedule": {"function": "tf.compat.v1.train.exponential_decay",
                     "args": dict(learning_rate=0.01, decay_steps=100, decay_rate=0.96,
                                  staircase=True)}}, _adam_run))
    return out
