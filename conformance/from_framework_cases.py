"""``adamkit.from_framework`` on the frameworks' real objects (run inside a stack's venv by
``test_from_framework.py``, with this checkout's adamkit importable).

``python from_framework_cases.py GROUP`` builds each framework optimizer of GROUP the way
a user does, translates it, and checks: the preset chosen; every hyper-parameter the
object holds arrives with the framework's value (the round trip); where cheap, the
framework's own steps and adamkit's agree bit for bit on a model of several arrays; and
wrong or ambiguous calls raise with the question. Prints one JSON object:
``{"checked": n, "failures": [...]}``.
"""

import json
import os
import sys
import traceback

import numpy as np

FAILURES, CHECKED = [], [0]


def check(name, fn):
    CHECKED[0] += 1
    try:
        fn()
    except Exception:                     # recorded, not raised: every case runs
        FAILURES.append(f"{name}: {traceback.format_exc(limit=3)}")


def expect_raises(name, exc_types, match, fn):
    def run():
        try:
            fn()
        except exc_types as exc:
            if match not in str(exc):
                raise AssertionError(f"raised {exc!r}, expected a message with {match!r}")
            return
        raise AssertionError(f"did not raise {exc_types}")
    check(name, run)


def same(a, b):
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return float(a) == float(b) or float(np.float32(a)) == float(np.float32(b))
    return a == b


def expect(opt, preset, values):
    import adamkit
    assert isinstance(opt, (adamkit.Adam, adamkit.RMSProp)), type(opt)
    assert opt.preset == preset, f"preset {opt.preset!r}, expected {preset!r}"
    hp = opt.hyperparameters
    for key, want in values.items():
        have = hp[key]
        if hasattr(have, "params"):       # a schedule: compare its first values
            assert callable(want), (key, have, want)
            continue
        assert same(have, want), f"{key}: adamkit has {have!r}, the framework {want!r}"


SHAPES = [(5, 3), (3,), (4, 2), (1,)]


def gradients(dtype, steps, seed=0):
    rng = np.random.default_rng(seed)
    return [[(rng.standard_normal(s) * 10.0 ** rng.uniform(-3, 1)).astype(dtype)
             for s in SHAPES] for _ in range(steps)]


# -- torch ----------------------------------------------------------------------------------

def torch_cases():
    import torch

    import adamkit

    def params(dtype=torch.float32, seed=1):
        g = torch.Generator().manual_seed(seed)
        return [torch.nn.Parameter(torch.randn(s, generator=g, dtype=dtype)) for s in SHAPES]

    def lockstep(make, translate_kw, steps=6, dtype=torch.float32, schedulers=()):
        """The framework's optimizer and its translation, stepped together."""
        ps = params(dtype)
        opt = make(ps)
        scheds = [s(opt) for s in schedulers]
        ak = adamkit.from_framework(opt, scheduler=scheds or None, **translate_kw)
        mine = [p.detach().numpy().copy() for p in ps]
        for gs in gradients(np.float32 if dtype == torch.float32 else np.float64, steps):
            for p, g in zip(ps, gs):
                p.grad = torch.from_numpy(g.copy())
            opt.step()
            for s in scheds:
                s.step()
            ak.step(mine, [g.copy() for g in gs])
            for k, (p, m) in enumerate(zip(ps, mine)):
                if not np.array_equal(p.detach().numpy(), m):
                    raise AssertionError(f"array {k} differs after {ak.t} steps")
        return ak

    check("torch Adam defaults, for-loop", lambda: expect(
        lockstep(lambda ps: torch.optim.Adam(ps), {}), "pytorch.adam",
        {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "fused": None}))
    check("torch Adam fused float64, amsgrad", lambda: expect(
        lockstep(lambda ps: torch.optim.Adam(ps, lr=3e-3, amsgrad=True, fused=True), {},
                 dtype=torch.float64), "pytorch.adam", {"lr": 3e-3, "amsgrad": True,
                                                         "fused": True}))
    check("torch AdamW foreach", lambda: expect(
        lockstep(lambda ps: torch.optim.AdamW(ps, lr=2e-3, weight_decay=0.05, foreach=True),
                 {}), "pytorch.adamw", {"weight_decay": 0.05}))
    check("torch Adamax", lambda: expect(
        lockstep(lambda ps: torch.optim.Adamax(ps, lr=3e-3, betas=(0.8, 0.99),
                                               weight_decay=1e-3), {}),
        "pytorch.adamax", {"betas": (0.8, 0.99), "weight_decay": 1e-3}))
    check("torch RMSprop centered momentum", lambda: expect(
        lockstep(lambda ps: torch.optim.RMSprop(ps, lr=1e-3, alpha=0.9, momentum=0.5,
                                                centered=True), {}),
        "pytorch.rmsprop", {"alpha": 0.9, "momentum": 0.5, "centered": True}))
    check("torch Adam + StepLR + ExponentialLR", lambda: lockstep(
        lambda ps: torch.optim.Adam(ps, lr=1e-2), {}, steps=8, schedulers=(
            lambda o: torch.optim.lr_scheduler.StepLR(o, 3, gamma=0.5),
            lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9))))

    def two_groups():
        ps = params()
        return torch.optim.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 1e-2}], lr=1e-3)
    expect_raises("torch groups differ", ValueError, "pass group=",
                  lambda: adamkit.from_framework(two_groups()))
    check("torch group=1", lambda: expect(adamkit.from_framework(two_groups(), group=1),
                                          "pytorch.adam", {"lr": 1e-2}))

    def scheduled():
        o = torch.optim.Adam(params(), lr=1e-2)
        torch.optim.lr_scheduler.StepLR(o, 3)
        return o
    expect_raises("torch scheduler not given", ValueError, "pass scheduler=",
                  lambda: adamkit.from_framework(scheduled()))
    expect_raises("torch SGD", TypeError, "not a framework optimizer adamkit reads",
                  lambda: adamkit.from_framework(torch.optim.SGD(params(), lr=0.1)))


# -- Keras 3 (one backend per process: KERAS_BACKEND) ---------------------------------------

def keras_cases():
    import keras

    import adamkit
    backend = keras.backend.backend()
    traced = {} if backend == "torch" else {"traced": True}
    sched = keras.optimizers.schedules.ExponentialDecay(1e-2, 10, 0.9, staircase=True)
    prefix = f"keras_{backend}"
    check(f"keras {backend} Adam + ExponentialDecay", lambda: expect(
        adamkit.from_framework(keras.optimizers.Adam(sched, beta_1=0.8, amsgrad=True),
                               **traced), f"{prefix}.adam",
        {"learning_rate": sched, "beta_1": 0.8, "amsgrad": True}))
    check(f"keras {backend} AdamW", lambda: expect(
        adamkit.from_framework(keras.optimizers.AdamW(2e-3, weight_decay=0.01, clipnorm=1.0),
                               **traced), f"{prefix}.adamw",
        {"learning_rate": 2e-3, "weight_decay": 0.01, "clipnorm": 1.0}))
    check(f"keras {backend} RMSprop", lambda: expect(
        adamkit.from_framework(keras.optimizers.RMSprop(1e-3, rho=0.95, momentum=0.5,
                                                        centered=True), **traced),
        f"{prefix}.rmsprop", {"rho": 0.95, "momentum": 0.5, "centered": True}))
    if backend != "torch":
        check(f"keras {backend} eager", lambda: expect(
            adamkit.from_framework(keras.optimizers.Adam(), traced=False),
            f"{prefix}_eager.adam", {}))
        expect_raises(f"keras {backend} traced unknown", Exception, "traced=True or",
                      lambda: adamkit.from_framework(keras.optimizers.Adam()))
    expect_raises(f"keras {backend} Nadam", Exception, "has no adamkit preset",
                  lambda: adamkit.from_framework(keras.optimizers.Nadam(), **traced))
    expect_raises(f"keras {backend} gradient accumulation", Exception,
                  "gradient_accumulation_steps=4 is not reproduced",
                  lambda: adamkit.from_framework(
                      keras.optimizers.Adam(gradient_accumulation_steps=4), **traced))


# -- TensorFlow 1, tf_keras, optax ------------------------------------------------------------

def tf_cases():
    import tensorflow as tf
    import tf_keras

    import adamkit
    check("TF1 AdamOptimizer", lambda: expect(
        adamkit.from_framework(tf.compat.v1.train.AdamOptimizer(2e-3, beta1=0.8,
                                                                epsilon=1e-6)),
        "tensorflow.adam", {"learning_rate": 2e-3, "beta1": 0.8, "epsilon": 1e-6}))
    check("TF1 RMSPropOptimizer", lambda: expect(
        adamkit.from_framework(tf.compat.v1.train.RMSPropOptimizer(
            1e-2, decay=0.95, momentum=0.9, centered=True)),
        "tensorflow.rmsprop", {"learning_rate": 1e-2, "rho": 0.95, "momentum": 0.9,
                               "centered": True}))
    expect_raises("TF1 tensor learning rate", ValueError, "pass learning_rate=",
                  lambda: adamkit.from_framework(tf.compat.v1.train.AdamOptimizer(
                      tf.constant(1e-3))))
    check("TF1 with learning_rate=", lambda: expect(
        adamkit.from_framework(tf.compat.v1.train.AdamOptimizer(tf.constant(1e-3)),
                               learning_rate=adamkit.schedules.tensorflow.exponential_decay(
                                   0.01, 100, 0.96, staircase=True)),
        "tensorflow.adam", {}))
    check("tf_keras Adam", lambda: expect(
        adamkit.from_framework(tf_keras.optimizers.Adam(3e-3, epsilon=1e-6), traced=True),
        "tf_keras.adam", {"learning_rate": 3e-3, "epsilon": 1e-6}))
    check("tf_keras legacy RMSprop", lambda: expect(
        adamkit.from_framework(tf_keras.optimizers.legacy.RMSprop(1e-3, rho=0.8, decay=1e-3),
                               traced=True),
        "tf_keras_legacy.rmsprop", {"rho": 0.8, "decay": 1e-3}))
    expect_raises("tf_keras eager", Exception, "not reproduced",
                  lambda: adamkit.from_framework(tf_keras.optimizers.Adam(), traced=False))


def optax_cases():
    import optax

    import adamkit
    check("optax.adam", lambda: expect(
        adamkit.from_framework(optax.adam, learning_rate=1e-3, b1=0.8, traced=True),
        "optax.adam", {"learning_rate": 1e-3, "b1": 0.8, "jit": True}))
    check("optax.rmsprop eager", lambda: expect(
        adamkit.from_framework(optax.rmsprop, learning_rate=1e-2, decay=0.95, momentum=0.9,
                               traced=False),
        "optax.rmsprop", {"decay": 0.95, "momentum": 0.9, "jit": False}))
    expect_raises("optax traced unknown", Exception, "traced=True or",
                  lambda: adamkit.from_framework(optax.adamw, learning_rate=1e-3))
    expect_raises("optax schedule function", Exception, "adamkit.schedules.optax",
                  lambda: adamkit.from_framework(
                      optax.adam, learning_rate=optax.exponential_decay(1e-2, 10, 0.9),
                      traced=True))


# -- MXNet, Chainer, Keras 2 (legacy stack); keras-adamw ----------------------------------

def legacy_cases():
    import chainer
    import mxnet as mx

    import adamkit
    check("mx Adam", lambda: expect(
        adamkit.from_framework(mx.optimizer.Adam(learning_rate=0.01, wd=1e-4,
                                                 clip_gradient=1.0, beta1=0.8)),
        "mxnet.adam", {"learning_rate": 0.01, "wd": 1e-4, "clip_gradient": 1.0,
                       "beta1": 0.8}))
    check("mx RMSProp centered", lambda: expect(
        adamkit.from_framework(mx.optimizer.RMSProp(learning_rate=1e-3, centered=True,
                                                    gamma1=0.95)),
        "mxnet.rmsprop", {"centered": True, "gamma1": 0.95}))
    expect_raises("mx lr_scheduler", Exception, "lr_scheduler=",
                  lambda: adamkit.from_framework(mx.optimizer.Adam(
                      lr_scheduler=mx.lr_scheduler.FactorScheduler(10, 0.5))))

    def chainer_adam():
        o = chainer.optimizers.Adam(alpha=0.003)
        link = chainer.Link()
        with link.init_scope():
            link.p = chainer.Parameter(np.zeros(3, np.float32))
        o.setup(link)
        o.add_hook(chainer.optimizer_hooks.GradientClipping(5.0))
        return o
    check("chainer Adam + GradientClipping", lambda: expect(
        adamkit.from_framework(chainer_adam()), "chainer.adam",
        {"alpha": 0.003, "hooks": [["GradientClipping", 5.0]]}))
    check("chainer AMSGrad", lambda: expect(
        adamkit.from_framework(chainer.optimizers.AMSGrad(alpha=0.002)), "chainer.amsgrad",
        {"alpha": 0.002, "amsgrad": True}))
    check("chainer RMSprop", lambda: expect(
        adamkit.from_framework(chainer.optimizers.RMSprop(lr=0.002, eps_inside_sqrt=True)),
        "chainer.rmsprop", {"lr": 0.002, "eps_inside_sqrt": True}))
    import collections
    import collections.abc
    for name in ("Iterable", "Mapping", "MutableMapping", "Sequence", "Callable"):
        if not hasattr(collections, name):  # Keras 2.3.1 on Python >= 3.10 (as its adapter)
            setattr(collections, name, getattr(collections.abc, name))
    import keras
    check("keras 2 Adam(amsgrad=True)", lambda: expect(
        adamkit.from_framework(keras.optimizers.Adam(learning_rate=2e-3, amsgrad=True,
                                                     decay=1e-3)),
        "keras2.amsgrad", {"learning_rate": 2e-3, "decay": 1e-3}))


def kerasadamw_cases():
    from keras_adamw import AdamW

    import adamkit
    check("keras-adamw AdamW cosine", lambda: expect(
        adamkit.from_framework(AdamW(learning_rate=2e-3, use_cosine_annealing=True,
                                     total_iterations=50, eta_min=0.1)),
        "keras_adamw.adamw", {"learning_rate": 2e-3, "use_cosine_annealing": True,
                              "total_iterations": 50, "eta_min": 0.1}))


GROUPS = {"torch": torch_cases, "keras": keras_cases, "tf": tf_cases, "optax": optax_cases,
          "legacy": legacy_cases, "kerasadamw": kerasadamw_cases}

if __name__ == "__main__":
    exec(os.environ.get("ADAMKIT_BOOTSTRAP", ""))   # makes this checkout's adamkit importable
    GROUPS[sys.argv[1]]()
    json.dump({"checked": CHECKED[0], "failures": FAILURES}, sys.stdout)
