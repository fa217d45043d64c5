"""Keras 3 real training: ``model.fit`` of an MLP on the digits, on the backend that
``KERAS_BACKEND`` names (tensorflow, jax or torch; ``FRAMEWORK`` = ``keras_<backend>``).

The model of ``_train.py`` as ``keras.Sequential([Input((64,)), Dense(128, "relu"),
Dense(64, "relu"), Dense(10)])`` (kernels (in, out)), compiled with the optimizer and
``SparseCategoricalCrossentropy(from_logits=True)`` and trained by ``model.fit(x, y,
batch_size=64, epochs=1, shuffle=False)`` on the 56 minibatches of both epochs one after
another (``Data.stream``). ``model.fit`` runs the backend's own trainer: a ``tf.function``
without XLA on a CPU-only TensorFlow, one ``jax.jit`` train step (forward, backward and
optimizer in one XLA computation) on JAX, eager on torch.

Float64 cases set ``keras.config.set_floatx("float64")`` before the model and the
optimizer are made (the JAX backend runs with ``jax_enable_x64``, as ``keras_adapter``).

The gradients are read where the optimizer receives them: the optimizer instance's
``apply`` (which ``apply_gradients``, ``stateless_apply`` and the torch trainer all call)
is wrapped to first assign every gradient and the learning rate of this step
(``optimizer.learning_rate``: the schedule at ``iterations``) to extra optimizer
variables, then run the original. The instance keeps its class (on the torch backend
Keras picks a class per optimizer; a subclass would run other code). A callback reads
every variable after every batch (``Callback.model`` syncs the JAX state).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
if BACKEND == "jax":
    import jax

    jax.config.update("jax_enable_x64", True)

import keras  # noqa: E402
from _run import Case  # noqa: E402
from _train import Recorder, plain  # noqa: E402

if keras.backend.backend() != BACKEND:
    raise RuntimeError(f"keras picked backend {keras.backend.backend()}, expected {BACKEND}")
if BACKEND == "torch":
    import torch

    # two intra-op threads on two shared cores make each small matmul ~10x slower; the
    # optimizer's kernels (at most 8192 elements per array, below ATen's grain) run on one
    torch.set_num_threads(1)

FRAMEWORK = f"keras_{BACKEND}"
TRAINING = True
MODEL = "digits_mlp"

EXPDECAY = {"initial_learning_rate": 0.01, "decay_steps": 10, "decay_rate": 0.7,
            "staircase": True}

CASES = [
    Case("adam", "train_expdecay", {"learning_rate": ["ExponentialDecay", EXPDECAY]},
         stream=MODEL, description="Adam(learning_rate=ExponentialDecay(0.01, decay_steps=10, "
                                   "decay_rate=0.7, staircase=True))"),
    Case("adamw", "train", {"learning_rate": 0.005, "weight_decay": 0.01}, stream=MODEL,
         description="AdamW(learning_rate=0.005, weight_decay=0.01)"),
    Case("rmsprop", "train_momentum", {"learning_rate": 0.002, "momentum": 0.9}, stream=MODEL,
         description="RMSprop(learning_rate=0.002, momentum=0.9)"),
    Case("adam", "train_clipnorm", {"learning_rate": 0.005, "clipnorm": 1.0},
         dtypes=("float32",), stream=MODEL,
         description="Adam(learning_rate=0.005, clipnorm=1.0) (per-tensor clipping)"),
]

_CLASSES = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}
_SLOTS = {"adam": {"_momentums": "m", "_velocities": "v"},
          "adamw": {"_momentums": "m", "_velocities": "v"},
          "rmsprop": {"_velocities": "velocity", "_momentums": "momentum",
                      "_average_gradients": "average_gradient"}}
_MEANING = {"m": "first moment", "v": "second moment", "velocity": "mean square",
            "momentum": "momentum buffer", "average_gradient": "mean gradient (centered)"}


def versions():
    v = {"keras": keras.__version__, "backend": BACKEND, "numpy": np.__version__}
    if BACKEND == "tensorflow":
        import tensorflow as tf
        v["tensorflow"] = tf.__version__
    elif BACKEND == "jax":
        import jaxlib
        v.update(jax=jax.__version__, jaxlib=jaxlib.__version__,
                 jax_enable_x64=bool(jax.config.jax_enable_x64))
    else:
        import torch
        v["torch"] = torch.__version__
    return v


def _optimizer(case):
    hp = dict(case.hyperparameters)
    schedule = None
    if isinstance(hp.get("learning_rate"), list):
        name, args = hp["learning_rate"]
        schedule = getattr(keras.optimizers.schedules, name)(**args)
        hp["learning_rate"] = schedule
    return getattr(keras.optimizers, _CLASSES[case.optimizer])(**hp), schedule


def _tap(opt, variables):
    """Wrap ``opt.apply`` (this instance only) to copy each step's gradients and learning
    rate into extra optimizer variables first; return (gradient taps, rate tap)."""
    taps = [opt.add_variable(shape=v.shape, dtype=v.dtype, name=f"tap_grad_{k}")
            for k, v in enumerate(variables)]
    lr_tap = opt.add_variable(shape=(), dtype="float64", name="tap_lr")
    original = opt.apply

    def apply(grads, trainable_variables=None):
        for tap, g in zip(taps, grads):
            tap.assign(g)
        lr_tap.assign(keras.ops.cast(opt.learning_rate, "float64"))
        return original(grads, trainable_variables)

    opt.apply = apply
    return taps, lr_tap


def _np(v):
    return np.array(keras.ops.convert_to_numpy(v.value))


class _Record(keras.callbacks.Callback):
    def __init__(self, rec, opt, taps, lr_tap, slots):
        super().__init__()
        self.rec, self.opt, self.taps, self.lr_tap, self.slots = rec, opt, taps, lr_tap, slots

    def on_train_batch_end(self, batch, logs=None):
        model = self.model                  # on JAX: syncs the state into the variables
        states = {name: [_np(v) for v in getattr(self.opt, attr)]
                  for attr, name in self.slots.items()}
        self.rec.step([_np(t) for t in self.taps], [_np(v) for v in model.trainable_variables],
                      states, lr=float(_np(self.lr_tap)))


def train(case, data):
    keras.backend.clear_session()
    floatx = keras.config.floatx()
    keras.config.set_floatx(data.dtype.name)
    try:
        return _train(case, data)
    finally:
        keras.config.set_floatx(floatx)


def _train(case, data):
    layers = [keras.Input((data.meta["layers"][0],))]
    for k, width in enumerate(data.meta["layers"][1:]):
        layers.append(keras.layers.Dense(width, activation="relu" if k < 2 else None))
    model = keras.Sequential(layers)
    model.set_weights([a for layer in data.layers for a in layer])
    opt, schedule = _optimizer(case)
    config = plain(opt.get_config())
    variables = model.trainable_variables
    opt.build(variables)
    slots = {attr: name for attr, name in _SLOTS[case.optimizer].items()
             if getattr(opt, attr, None)}
    taps, lr_tap = _tap(opt, variables)
    model.compile(optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    rec = Recorder([v.path for v in variables])
    rec.start([_np(v) for v in variables],
              {name: [_np(v) for v in getattr(opt, attr)] for attr, name in slots.items()})
    x, y = data.stream()
    hist = model.fit(x, y, batch_size=data.batch, epochs=1, shuffle=False, verbose=0,
                     callbacks=[_Record(rec, opt, taps, lr_tap, slots)])
    result = rec.result()
    eff = {k: v for k, v in config.items()}
    extra = {
        "api": f"keras.optimizers.{type(opt).__name__}(**hp); model.compile(optimizer, "
               "SparseCategoricalCrossentropy(from_logits=True)); model.fit(x, y, "
               "batch_size=64, epochs=1, shuffle=False) over both epochs' minibatches",
        "hyperparameters_effective": eff,
        "optimizer_config": config,
        "optimizer_class": f"{type(opt).__module__}.{type(opt).__name__}",
        "state_arrays": {k: _MEANING[k] for k in result[2][0]},
        "gradients": "the gradients the optimizer's apply() received (the instance's apply "
                     "wrapped to assign them to extra optimizer variables first)",
        "lr_recorded": "optimizer.learning_rate inside apply(), before the update (the "
                       "schedule at iterations), cast to float64",
        "keras_backend": BACKEND, "floatx": keras.config.floatx(),
        **({"torch_threads": torch.get_num_threads()} if BACKEND == "torch" else {}),
        "jit_compile": bool(model.jit_compile), "run_eagerly": bool(model.run_eagerly),
        "lr_variable_dtype": None if schedule else str(opt._learning_rate.dtype),
        "model": "keras.Sequential([Input((64,)), Dense(128, 'relu'), Dense(64, 'relu'), "
                 "Dense(10)])",
        "final_loss": float(hist.history["loss"][-1]),
    }
    if schedule is not None:
        # the rate at the first step; the schedule itself in meta["schedule"]
        eff["learning_rate"] = float(schedule(0))
        extra["schedule"] = {
            "api": f"keras.optimizers.schedules.{type(schedule).__name__}(**args), "
                   "evaluated by the optimizer at optimizer.iterations",
            "pieces": [{"name": type(schedule).__name__, "args": plain(schedule.get_config())}],
            "config": plain(schedule.get_config())}
    return result, extra
