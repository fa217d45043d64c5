"""tf-keras 2.21 real training: ``model.fit`` of an MLP on the digits with the new
optimizers (``tf_keras.optimizers.*``) and the legacy ones (``...legacy.*``,
OptimizerV2).

The model of ``_train.py`` as ``tf_keras.Sequential([Input((64,)), Dense(128, "relu"),
Dense(64, "relu"), Dense(10)])``, compiled with the optimizer and
``SparseCategoricalCrossentropy(from_logits=True)``, trained by ``model.fit(x, y,
batch_size=64, epochs=1, shuffle=False)`` on the 56 minibatches of both epochs one after
another: tf-keras's train step in a ``tf.function`` (no XLA on a CPU: the new optimizers'
``jit_compile`` is honoured on GPUs only), ``optimizer.minimize`` =
``compute_gradients`` + ``apply_gradients``. Float64 cases set
``tf_keras.backend.set_floatx("float64")`` first.

The gradients are read where the optimizer receives them: the instance's
``apply_gradients`` is wrapped to first assign every gradient, and the rate of this step
(the schedule at ``iterations``, or the learning-rate variable), to extra ``tf.Variable``s.
A callback reads every variable after every batch. The variants start with ``legacy`` or
``new`` (the presets tell the two optimizer generations apart by it).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from _run import Case  # noqa: E402
from _train import Recorder, plain  # noqa: E402

tf.get_logger().setLevel("ERROR")     # "on_train_batch_end is slow": the recording is

FRAMEWORK = "tf_keras"
TRAINING = True
MODEL = "digits_mlp"

EXPDECAY = {"initial_learning_rate": 0.01, "decay_steps": 10, "decay_rate": 0.7,
            "staircase": True}

CASES = [
    Case("adam", "new_train_expdecay", {"learning_rate": ["ExponentialDecay", EXPDECAY]},
         stream=MODEL, description="tf_keras.optimizers.Adam(ExponentialDecay(0.01, 10, 0.7, "
                                   "staircase=True))"),
    Case("adamw", "new_train", {"learning_rate": 0.005, "weight_decay": 0.01}, stream=MODEL,
         description="tf_keras.optimizers.AdamW(0.005, weight_decay=0.01)"),
    Case("adam", "legacy_train_expdecay", {"learning_rate": ["ExponentialDecay", EXPDECAY]},
         stream=MODEL, description="tf_keras.optimizers.legacy.Adam(ExponentialDecay(0.01, "
                                   "10, 0.7, staircase=True))"),
    Case("rmsprop", "legacy_train_momentum", {"learning_rate": 0.002, "momentum": 0.9},
         stream=MODEL, description="tf_keras.optimizers.legacy.RMSprop(0.002, momentum=0.9) "
                                   "(the ResourceApplyRMSProp kernel)"),
]

_NEW_SLOTS = {"adam": {"_momentums": "m", "_velocities": "v"},
              "adamw": {"_momentums": "m", "_velocities": "v"},
              "rmsprop": {"_velocities": "velocity", "_momentums": "momentum",
                          "_average_gradients": "average_gradient"}}
_MEANING = {"m": "first moment", "v": "second moment", "vhat": "AMSGrad max of v",
            "rms": "mean square", "momentum": "momentum buffer", "mg": "mean gradient",
            "velocity": "mean square", "average_gradient": "mean gradient"}


def versions():
    return {"tf_keras": tf_keras.__version__, "tensorflow": tf.__version__,
            "numpy": np.__version__}


def _optimizer(case, legacy):
    hp = dict(case.hyperparameters)
    schedule = None
    if isinstance(hp.get("learning_rate"), list):
        name, args = hp["learning_rate"]
        schedule = getattr(tf_keras.optimizers.schedules, name)(**args)
        hp["learning_rate"] = schedule
    ns = tf_keras.optimizers.legacy if legacy else tf_keras.optimizers
    cls = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}[case.optimizer]
    return getattr(ns, cls)(**hp), schedule


def _slots(opt, variables, case, legacy):
    """{state name: [one variable per model variable]} of the optimizer."""
    if legacy:
        opt._create_all_weights(variables)
        names = opt.get_slot_names()
        return {n: [opt.get_slot(v, n) for v in variables] for n in names}
    opt.build(variables)
    return {name: list(getattr(opt, attr)) for attr, name in _NEW_SLOTS[case.optimizer].items()
            if getattr(opt, attr, None)}


def _tap(opt, variables, schedule, legacy):
    taps = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False) for v in variables]
    lr_tap = tf.Variable(tf.constant(0.0, tf.float64), trainable=False)
    original = opt.apply_gradients

    def rate():
        if schedule is not None:
            return schedule(opt.iterations)
        return opt._get_hyper("learning_rate") if legacy else opt._learning_rate

    def apply_gradients(grads_and_vars, *args, **kwargs):
        grads_and_vars = list(grads_and_vars)
        for tap, (g, _) in zip(taps, grads_and_vars):
            tap.assign(g)
        lr_tap.assign(tf.cast(rate(), tf.float64))
        return original(grads_and_vars, *args, **kwargs)

    opt.apply_gradients = apply_gradients
    return taps, lr_tap


class _Record(tf_keras.callbacks.Callback):
    def __init__(self, rec, variables, taps, lr_tap, slots):
        super().__init__()
        self.rec, self.variables, self.taps, self.lr_tap, self.slots = (
            rec, variables, taps, lr_tap, slots)

    def on_train_batch_end(self, batch, logs=None):
        self.rec.step([t.numpy() for t in self.taps], [v.numpy() for v in self.variables],
                      {n: [s.numpy() for s in vs] for n, vs in self.slots.items()},
                      lr=float(self.lr_tap.numpy()))


def train(case, data):
    tf_keras.backend.clear_session()
    floatx = tf_keras.backend.floatx()
    tf_keras.backend.set_floatx(data.dtype.name)
    try:
        return _train(case, data)
    finally:
        tf_keras.backend.set_floatx(floatx)


def _train(case, data):
    legacy = case.variant.startswith("legacy")
    layers = [tf_keras.Input((data.meta["layers"][0],))]
    for k, width in enumerate(data.meta["layers"][1:]):
        layers.append(tf_keras.layers.Dense(width, activation="relu" if k < 2 else None))
    model = tf_keras.Sequential(layers)
    model.set_weights([a for layer in data.layers for a in layer])
    opt, schedule = _optimizer(case, legacy)
    config = plain(opt.get_config())
    variables = model.trainable_variables
    slots = _slots(opt, variables, case, legacy)
    taps, lr_tap = _tap(opt, variables, schedule, legacy)
    model.compile(optimizer=opt, loss=tf_keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    rec = Recorder([v.name for v in variables])
    rec.start([v.numpy() for v in variables],
              {n: [s.numpy() for s in vs] for n, vs in slots.items()})
    x, y = data.stream()
    hist = model.fit(x, y, batch_size=data.batch, epochs=1, shuffle=False, verbose=0,
                     callbacks=[_Record(rec, variables, taps, lr_tap, slots)])
    result = rec.result()
    eff = dict(config)
    extra = {
        "api": f"tf_keras.optimizers.{'legacy.' if legacy else ''}{type(opt).__name__}(**hp); "
               "model.compile(optimizer, SparseCategoricalCrossentropy(from_logits=True)); "
               "model.fit(x, y, batch_size=64, epochs=1, shuffle=False) over both epochs' "
               "minibatches",
        "hyperparameters_effective": eff,
        "optimizer_config": config,
        "state_arrays": {k: _MEANING[k] for k in result[2][0]},
        "gradients": "the gradients the optimizer's apply_gradients() received (the "
                     "instance's method wrapped to assign them to tf.Variables first)",
        "lr_recorded": "the schedule at optimizer.iterations (or the learning-rate "
                       "variable) inside apply_gradients, before the update, as float64",
        "floatx": tf_keras.backend.floatx(), "run_eagerly": bool(model.run_eagerly),
        "jit_compile": bool(getattr(model, "_jit_compile", False)),
        "model": "tf_keras.Sequential([Input((64,)), Dense(128, 'relu'), "
                 "Dense(64, 'relu'), Dense(10)])",
        "final_loss": float(hist.history["loss"][-1]),
    }
    if schedule is not None:
        eff["learning_rate"] = float(schedule(0))
        extra["schedule"] = {
            "api": f"tf_keras.optimizers.schedules.{type(schedule).__name__}(**args), "
                   "evaluated by the optimizer at optimizer.iterations",
            "pieces": [{"name": type(schedule).__name__, "args": plain(schedule.get_config())}],
            "config": plain(schedule.get_config())}
    return result, extra
