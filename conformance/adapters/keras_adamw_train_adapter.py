"""keras-adamw 1.38 real training (``TF_KERAS=1``, tensorflow-cpu 2.13.1): an MLP on the
digits with ``keras_adamw.AdamW``, float32.

``model.fit`` is not practical here: tf.keras 2.13's ``compile`` refuses keras-adamw's
optimizer (an OptimizerV2 of ``tensorflow.python.keras``: "Could not interpret optimizer
identifier"), and that package's own ``Model.fit`` no longer runs on TensorFlow 2.13
(``input_lib.DistributedDatasetInterface`` is gone). So the model of ``_train.py``, a
``tf.keras.Sequential`` of three ``Dense`` layers (kernels (in, out)), is trained by the
usual TF2 custom loop, as ``fit``'s train step does it: in one ``tf.function`` (the
``_eager`` variant: eagerly),
``tape.gradient`` of ``SparseCategoricalCrossentropy(from_logits=True)``, then
``opt.apply_gradients(zip(grads, model.trainable_variables))``; the function returns the
gradients it passed (recorded) and the adapter reads every variable, the ``m``/``v``
slots and ``eta_t`` after every step. ``weight_decays`` (keyed by variable name) decay
the kernels only; cosine annealing with warm restarts every epoch (``eta_t``, the
optimizer's own schedule; the recorded rate is the constant ``learning_rate``).
"""

import os

os.environ.setdefault("TF_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _run import Case  # noqa: E402
from _train import Recorder, plain  # noqa: E402

FRAMEWORK = "keras_adamw"
TRAINING = True
MODEL = "digits_mlp"

_HP = {"learning_rate": 0.005, "l2": 0.01, "use_cosine_annealing": True,
       "total_iterations": 28, "eta_min": 0.1, "eta_max": 1.0}
_DESC = ("keras_adamw.AdamW(0.005, weight_decays={kernels: (0, 0.01)}, "
         "use_cosine_annealing=True, total_iterations=28 (one epoch), eta_min=0.1)")

CASES = [
    Case("adamw", "train_cosine", dict(_HP), dtypes=("float32",), stream=MODEL,
         description=_DESC + ", the train step in a tf.function"),
    Case("adamw", "train_cosine_eager", dict(_HP), dtypes=("float32",), stream=MODEL,
         description=_DESC + ", the same train step run eagerly"),
]


def versions():
    from importlib import metadata

    import tensorflow as tf
    return {"keras-adamw": metadata.version("keras-adamw"), "tensorflow": tf.__version__,
            "numpy": np.__version__}


def train(case, data):
    import tensorflow as tf
    from keras_adamw import AdamW
    hp = dict(case.hyperparameters)
    l2 = hp.pop("l2")
    widths = data.meta["layers"]
    model = tf.keras.Sequential([tf.keras.layers.InputLayer(input_shape=(widths[0],))] + [
        tf.keras.layers.Dense(w, activation="relu" if k + 2 < len(widths) else None)
        for k, w in enumerate(widths[1:])])
    model.set_weights([a for layer in data.layers for a in layer])
    variables = model.trainable_variables
    names = [v.name for v in variables]
    decays = {n: (0.0, l2) for n in names if "kernel" in n}
    opt = AdamW(weight_decays=decays, init_verbose=False, **hp)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, variables)
        opt.apply_gradients(zip(grads, variables))
        return loss, grads

    eager = case.variant.endswith("_eager")
    if not eager:
        step = tf.function(step)
    rec = Recorder(names)
    rec.start([v.numpy() for v in variables])
    eta, eff = [], None
    for xb, yb in data.batches():
        if eff is None:
            eff = plain({k: (v if not isinstance(v, dict) else {kk: list(vv) for kk, vv in
                                                                 v.items()})
                         for k, v in opt.get_config().items()})
        loss, grads = step(tf.constant(xb), tf.constant(yb))
        states = {n: [opt.get_slot(v, n).numpy() for v in variables] for n in ("m", "v")}
        rec.step([g.numpy() for g in grads], [v.numpy() for v in variables], states,
                 lr=float(opt._get_hyper("learning_rate").numpy()))
        eta.append(float(opt.eta_t.numpy()).hex())
    result = rec.result()
    eff.pop("weight_decays", None)
    extra = {
        "api": "TF_KERAS=1; keras_adamw.AdamW(weight_decays=..., **hp); a tf.keras.Sequential;"
               " per minibatch: tape.gradient(loss, vars); opt.apply_gradients(zip(grads, "
               "vars))" + (", eagerly" if eager else ", both in one tf.function"),
        "mode": "eager" if eager else "tf.function (graph, Grappler)",
        "hyperparameters_effective": eff,
        "optimizer_config": plain(opt.get_config()),
        "param_groups": [{"arrays": [k], "hyperparameters": {
            "weight_decays": {n: list(decays[n])} if n in decays else None}}
            for k, n in enumerate(names)],
        "state_arrays": {"m": "opt.get_slot(var, 'm'); row 0 zeros",
                         "v": "opt.get_slot(var, 'v'); row 0 zeros"},
        "gradients": "tape.gradient's grads, returned by the tf.function that applied them",
        "lr_recorded": "the learning_rate hyper-parameter (constant; eta_t multiplies it "
                       "inside the update)",
        "schedule": {"api": "keras-adamw's own cosine annealing with warm restarts (eta_t), "
                            "inside the optimizer", "pieces": [],
                     "eta_t_after_step_hex": eta},
        "model": "tf.keras.Sequential(InputLayer, Dense(128, relu), Dense(64, relu), "
                 "Dense(10)); SparseCategoricalCrossentropy(from_logits=True)",
        "final_loss": float(loss),
    }
    return result, extra
