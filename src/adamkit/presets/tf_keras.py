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
from ._preset import Preset


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


def legacy(meta):
    """tf-keras recordings carry both optimizer generations under one framework name; the
    variant says which."""
    return str(meta.get("variant", "")).startswith("legacy")


PRESETS = keras.presets(
    "tf_keras", "tf_keras", "tf_keras.optimizers.Adam/AdamW 2.21 (new optimizer)",
    "tf_keras RMSprop (graph-rewritten: x * rsqrt(den))", floatx=False) + (
    Preset("tf_keras_legacy", "adam", "adam", _legacy_adam_rule,
           defaults={"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                     "amsgrad": False, "decay": 0.0},
           lr_name="learning_rate", aliases={**keras.ADAM_ALIASES, "weight_decay": "decay"},
           states={"m": "m", "v": "v", "vhat": "vhat"}, ignored=frozenset({"name"}),
           variants=({"amsgrad": True},),
           api="tf_keras.optimizers.legacy.Adam 2.21 (ResourceApplyAdam[WithAmsgrad])"),
    Preset("tf_keras_legacy", "rmsprop", "rmsprop", _legacy_rmsprop_rule,
           defaults={"learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                     "centered": False, "decay": 0.0},
           lr_name="learning_rate", aliases=keras.RMSPROP_ALIASES,
           states={"rms": "ms", "mg": "mg", "momentum": "mom"}, ignored=frozenset({"name"}),
           variants=({"momentum": 0.9}, {"centered": True}),
           api="tf_keras.optimizers.legacy.RMSprop 2.21"),
)
