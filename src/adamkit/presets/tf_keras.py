"""tf_keras 2.21 (the Keras 2 API of TensorFlow 2.21): the new optimizers
(``tf_keras.optimizers.Adam``, ``AdamW``, ``RMSprop``: Keras 3's recipes on TensorFlow) and
the legacy ones (``tf_keras.optimizers.legacy.Adam``/``RMSprop``, OptimizerV2).

Legacy Adam runs the TF kernel; legacy RMSprop runs a Python graph (epsilon outside the
root) without momentum and the TF kernel with it. Evidence:
conformance/notes/keras-recipes.md and tensorflow-recipes.md, 0-ULP replays of the live
recordings.
"""

from .. import _vocab as V
from .._rules import Rule
from . import keras, tensorflow
from ._floats import F, T, adam_scalars, rmsprop_scalars
from ._preset import Preset, PresetError, real


def _legacy_lr(hp, t, lr, f32):
    Tt = T(f32)
    lr_ = Tt(F(lr))
    if hp["decay"]:
        return lr_ / (Tt(1.0) + Tt(F(hp["decay"])) * Tt(t - 1))
    return lr_


def _legacy_adam_scalars(hp, t, lr, f32):
    import numpy as np
    Tt = T(f32)
    b1, b2 = Tt(F(hp["beta_1"])), Tt(F(hp["beta_2"]))
    b1p, b2p = keras.powers(b1, b2, t, f32, flush=True)
    lr_ = _legacy_lr(hp, t, lr, f32)
    one = Tt(1.0)
    return adam_scalars(b1=b1, c1=one - b1, b2=b2, c2=one - b2, eps=Tt(hp["epsilon"] or 1e-7),
                        alpha=(lr_ * np.sqrt(one - b2p)) / (one - b1p))


def _legacy_rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    rho = Tt(F(hp["rho"]))
    return rmsprop_scalars(rho=rho, c=Tt(1.0) - rho, eps=Tt(hp["epsilon"] or 1e-7),
                           lr=_legacy_lr(hp, t, lr, f32), mu=Tt(F(hp["momentum"])))


def _legacy_adam_rule(hp):
    return Rule("adam", {**tensorflow.ADAM_OPS, "amsgrad": int(bool(hp["amsgrad"]))},
                _legacy_adam_scalars)


def _legacy_rmsprop_rule(hp):
    if hp["momentum"]:                       # the TF kernel
        ops = dict(tensorflow.RMSPROP_OPS)
        if hp["centered"]:
            ops["center"] = V.C_LERP
    else:                                    # a Python graph: epsilon outside the root
        ops = {"square": V.MS_AXPBY, "denom": V.RD_SQRT_EPS, "ftz": 1}
        if hp["centered"]:
            ops["center"] = V.C_AXPBY
    return Rule("rmsprop", ops, _legacy_rmsprop_scalars)


#: OptimizerV2's gradient hooks change the gradients: reproduced at their defaults (None)
_LEGACY = dict(ignored=frozenset({"name"}), version="2.21.0",
               only_default=frozenset({"gradient_aggregator", "gradient_transformers"}))
_LEGACY_HOOKS = {"gradient_aggregator": None, "gradient_transformers": None}


def legacy(meta):
    """tf-keras recordings carry both optimizer generations under one framework name; the
    variant says which."""
    return str(meta.get("variant", "")).startswith("legacy")


#: tf_keras's optimizers have no loss scaling or gradient accumulation keywords; its Adam
#: has adaptive_epsilon (epsilon * sqrt(1 - beta_2^t)), not reproduced
PRESETS = keras.presets(
    "tf_keras", "tf_keras", "tf_keras.optimizers.Adam/AdamW 2.21 (new optimizer)",
    "tf_keras RMSprop (graph-rewritten: x * rsqrt(den))", module="tf_keras.optimizers",
    version="2.21.0", only_default={"use_ema": False},
    adam_only_default={"adaptive_epsilon": False}) + (
    Preset("tf_keras_legacy", "adam", "adam", _legacy_adam_rule,
           defaults={"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                     "amsgrad": False, "decay": 0.0, **_LEGACY_HOOKS},
           lr_name="learning_rate", aliases={**keras.ADAM_ALIASES, "weight_decay": "decay"},
           states={"m": "m", "v": "v", "vhat": "vhat"}, **_LEGACY,
           variants=({"amsgrad": True},), constructor="tf_keras.optimizers.legacy.Adam",
           api="tf_keras.optimizers.legacy.Adam 2.21 (ResourceApplyAdam[WithAmsgrad])"),
    Preset("tf_keras_legacy", "rmsprop", "rmsprop", _legacy_rmsprop_rule,
           defaults={"learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                     "centered": False, "decay": 0.0, **_LEGACY_HOOKS},
           lr_name="learning_rate", aliases=keras.RMSPROP_ALIASES,
           states={"rms": "ms", "mg": "mg", "momentum": "mom"}, **_LEGACY,
           variants=({"momentum": 0.9}, {"centered": True}),
           constructor="tf_keras.optimizers.legacy.RMSprop",
           checks={"decay": real(0.0)},       # lr / (1 + decay * iterations)
           api="tf_keras.optimizers.legacy.RMSprop 2.21"),
)


# -- from the framework's object ------------------------------------------------------------

def from_framework(obj, setting):
    """A ``tf_keras.optimizers`` Adam/AdamW/RMSprop (new) or ``.legacy`` Adam/RMSprop, as
    ``model.fit`` runs it (a tf.function; eager is not reproduced). Learning-rate schedule
    objects are refused (not verified under tf_keras)."""
    import tf_keras
    if not isinstance(obj, (tf_keras.optimizers.Optimizer,
                            tf_keras.optimizers.legacy.Optimizer)):
        return None
    legacy = isinstance(obj, tf_keras.optimizers.legacy.Optimizer)
    framework = "tf_keras_legacy" if legacy else "tf_keras"
    name = type(obj).__name__
    optimizer = {"Adam": "adam", "AdamW": "adamw", "RMSprop": "rmsprop"}.get(name)
    if optimizer is None or (legacy and optimizer == "adamw"):
        raise PresetError(f"{framework} {name} has no adamkit preset")
    if not setting.need_traced("tf_keras"):
        raise PresetError("tf_keras run eagerly is not reproduced (the presets are "
                          "model.fit's tf.function)")
    config = {k: v for k, v in obj.get_config().items()
              if k not in ("name", "is_legacy_optimizer", "jit_compile")}
    if setting.learning_rate is not None:
        config["learning_rate"] = setting.learning_rate
    elif isinstance(config["learning_rate"], dict):
        raise PresetError(f"{framework}: learning-rate schedule objects are not reproduced; "
                          "pass learning_rate= an adamkit schedule if you know one matches")
    if not legacy and tf_keras.backend.floatx() != "float32":   # the lr variable's dtype
        config["floatx"] = tf_keras.backend.floatx()
    return framework, optimizer, config
