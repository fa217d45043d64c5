"""tf-keras (Keras 2 for TensorFlow 2.16+) adapter: the legacy OptimizerV2 classes
(``tf_keras.optimizers.legacy.*``) and the "new" optimizers (``tf_keras.optimizers.*``).

Each step is ``optimizer.apply_gradients([(g, var)])`` on a ``tf.Variable`` inside a
``tf.function`` (as ``model.fit`` runs it; the new optimizers' ``jit_compile=True`` is
honoured only on GPU, so no XLA on CPU). ``TF_KERAS_ADAPTER_MODE=eager`` runs eagerly
instead (FRAMEWORK then gets the suffix ``_eager``).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402
from _run import Case  # noqa: E402

MODE = os.environ.get("TF_KERAS_ADAPTER_MODE", "fit")
FRAMEWORK = "tf_keras" + ("_eager" if MODE == "eager" else "")


def versions():
    return {"tf_keras": tf_keras.__version__, "tensorflow": tf.__version__,
            "numpy": np.__version__, "mode": MODE}


ADAM_CUSTOM = dict(learning_rate=3e-3, beta_1=0.85, beta_2=0.995, epsilon=1e-6)

CASES = [
    Case("adam", "legacy_default", {}, description="tf_keras.optimizers.legacy.Adam()"),
    Case("adam", "legacy_custom", dict(ADAM_CUSTOM), description="legacy Adam, custom"),
    Case("adam", "legacy_decay", dict(ADAM_CUSTOM, decay=1e-3),
         description="legacy Adam with decay=1e-3 (lr / (1 + decay*iterations))"),
    Case("adam", "legacy_amsgrad", dict(ADAM_CUSTOM, amsgrad=True),
         description="legacy Adam(amsgrad=True)"),
    Case("rmsprop", "legacy_default", {},
         description="tf_keras.optimizers.legacy.RMSprop() (momentum 0: Python-graph path)"),
    Case("rmsprop", "legacy_decay", dict(decay=1e-3, rho=0.95),
         description="legacy RMSprop(decay=1e-3, rho=0.95), momentum 0"),
    Case("rmsprop", "legacy_momentum", dict(momentum=0.9),
         description="legacy RMSprop(momentum=0.9) (ResourceApplyRMSProp kernel)"),
    Case("rmsprop", "legacy_centered", dict(centered=True),
         description="legacy RMSprop(centered=True), momentum 0 (Python-graph path)"),
    Case("rmsprop", "legacy_centered_momentum", dict(centered=True, momentum=0.5),
         description="legacy RMSprop(centered=True, momentum=0.5) (centered kernel)"),
    Case("adam", "new_default", {}, description="tf_keras.optimizers.Adam()"),
    Case("adam", "new_amsgrad", dict(ADAM_CUSTOM, amsgrad=True),
         description="tf_keras.optimizers.Adam(amsgrad=True), custom"),
    Case("adamw", "new_default", {}, description="tf_keras.optimizers.AdamW() (wd 0.004)"),
    Case("rmsprop", "new_default", {}, description="tf_keras.optimizers.RMSprop()"),
    Case("rmsprop", "new_momentum", dict(momentum=0.9),
         description="tf_keras.optimizers.RMSprop(momentum=0.9)"),
    Case("rmsprop", "new_centered", dict(centered=True, momentum=0.5, rho=0.95),
         description="tf_keras.optimizers.RMSprop(centered=True, momentum=0.5, rho=0.95)"),
]

_MEANING = {"m": "first moment", "v": "second moment", "vhat": "AMSGrad max of v",
            "rms": "mean square", "momentum": "momentum buffer", "mg": "mean gradient",
            "velocity": "mean square", "average_gradient": "mean gradient"}


def _effective(opt):
    cfg = opt.get_config()
    out = {}
    for k, v in cfg.items():
        if isinstance(v, np.generic):
            v = v.item()
        out[k] = v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)
    return out


def run(case, p0, grads):
    T, n = grads.shape
    dt = tf.as_dtype(grads.dtype)
    var = tf.Variable(p0, dtype=dt)
    legacy = case.variant.startswith("legacy")
    ns = tf_keras.optimizers.legacy if legacy else tf_keras.optimizers
    cls = {"adam": ns.Adam, "rmsprop": ns.RMSprop,
           "adamw": getattr(ns, "AdamW", None)}[case.optimizer]
    opt = cls(**case.hyperparameters)
    if legacy:
        opt._create_all_weights([var])
        if case.optimizer == "adam":
            names = ["m", "v"] + (["vhat"] if opt.amsgrad else [])
        else:
            names = ["rms"] + (["momentum"] if opt._momentum else []) + \
                    (["mg"] if opt.centered else [])
        slots = {k: opt.get_slot(var, k) for k in names}
    else:
        opt.build([var])
        table = ({"_velocities": "velocity", "_momentums": "momentum",
                  "_average_gradients": "average_gradient"} if case.optimizer == "rmsprop"
                 else {"_momentums": "m", "_velocities": "v", "_velocity_hats": "vhat"})
        slots = {}
        for attr, name in table.items():
            lst = getattr(opt, attr, None)
            if lst:
                slots[name] = lst[0]
    def apply(g):
        opt.apply_gradients([(g, var)])

    if MODE == "fit":
        apply = tf.function(apply)
    params = [p0.copy()]
    states = {k: [v.numpy().copy()] for k, v in slots.items()}
    for t in range(T):
        apply(tf.constant(grads[t], dtype=dt))
        params.append(var.numpy().copy())
        for k, v in slots.items():
            states[k].append(v.numpy().copy())
    where = "tf.function(apply_gradients)" if MODE == "fit" else "eager apply_gradients"
    extra = {
        "api": f"tf_keras.optimizers.{'legacy.' if legacy else ''}{cls.__name__}"
               f"(**hyperparameters), {where}",
        "hyperparameters_effective": _effective(opt),
        "state_arrays": {k: _MEANING[k] for k in states},
    }
    return np.array(params), {k: np.array(v) for k, v in states.items()}, extra
