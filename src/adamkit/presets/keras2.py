"""Keras 2.3.1 (standalone, Theano backend): ``keras.optimizers.Adam`` (and amsgrad),
``Adamax`` and ``RMSprop``, with the ``decay`` learning-rate schedule.

Hyper-parameters are floatX variables (1 - beta in floatX); g++ contracts ``b*x + c*y``
into ``fma(c, y, b*x)``. With ``decay > 0`` Theano moves both divisions into one
denominator. Evidence: conformance/notes/keras2-recipes.md, 0-ULP replays of the live
recordings.
"""

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from ._floats import T, adam_scalars, fmaT, powT, rmsprop_scalars
from ._preset import Preset, PresetError, real


def _decay(hp, t, f32):
    """The decay factor's denominator: fma(decay, iterations, 1) in floatX."""
    Tt = T(f32)
    return fmaT(Tt(hp["decay"]), Tt(t - 1), Tt(1.0), f32)


def _adam_scalars(hp, t, lr, f32):
    Tt = T(f32)
    b1, b2, LR = Tt(hp["beta_1"]), Tt(hp["beta_2"]), Tt(lr)
    tt = Tt(t)
    s2 = np.sqrt(Tt(1.0) - powT(b2, tt, f32))
    c1p = Tt(1.0) - powT(b1, tt, f32)
    out = dict(b1=b1, c1=Tt(1.0) - b1, b2=b2, c2=Tt(1.0) - b2, eps=Tt(hp["epsilon"]))
    if hp["decay"]:
        return adam_scalars(**out, alpha=LR * s2, dscale=_decay(hp, t, f32) * c1p)
    return adam_scalars(**out, alpha=LR * (s2 / c1p))


def _adamax_scalars(hp, t, lr, f32):
    Tt = T(f32)
    b1 = Tt(hp["beta_1"])
    c1p = Tt(1.0) - powT(b1, Tt(t), f32)
    out = dict(b1=b1, c1=Tt(1.0) - b1, b2=Tt(hp["beta_2"]), eps=Tt(hp["epsilon"]))
    if hp["decay"]:      # Theano: p - (lr * m) / ((fma(decay, it, 1) * (1 - b1^t)) * (eps + u))
        return adam_scalars(**out, alpha=Tt(lr), dscale=_decay(hp, t, f32) * c1p)
    return adam_scalars(**out, alpha=Tt(lr) / c1p)


def _rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    rho = Tt(hp["rho"])
    dk = _decay(hp, t, f32) if hp["decay"] else Tt(1.0)
    return rmsprop_scalars(rho=rho, c=Tt(1.0) - rho, eps=Tt(hp["epsilon"]), lr=Tt(lr),
                           dscale=dk)


def _adam_rule(hp):
    ops = {"first": V.M_SCAL_FMA, "second": V.V_SCAL_FMA, "denom": V.D_SQRT_EPS,
           "amsgrad": int(bool(hp["amsgrad"]))}
    if hp["decay"]:
        ops["step"] = V.U_MUL_DIV_DSCALE
    return Rule("adam", ops, _adam_scalars)


def _adamax_rule(hp):
    ops = {"first": V.M_SCAL_FMA, "second": V.V_MAX, "denom": V.D_EPS}
    if hp["decay"]:
        ops["step"] = V.U_MUL_DIV_DSCALE
    return Rule("adam", ops, _adamax_scalars)


def _rmsprop_rule(hp):
    # Theano folds the decay into the denominator: (lr*g) / (fma(decay, it, 1) * den)
    ops = {"square": V.MS_SCAL_FMA, "denom": V.RD_SQRT_EPS}
    if hp["decay"]:
        ops["step"] = V.RU_MUL_DIV_DSCALE
    return Rule("rmsprop", ops, _rmsprop_scalars)


_ALIASES = {"lr": "learning_rate", "betas": ("beta_1", "beta_2"), "eps": "epsilon"}
#: decay >= 0: the learning rate is divided by fma(decay, iterations, 1)
_CHECKS = {"decay": real(0.0)}
_ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
         "decay": 0.0, "amsgrad": False}

PRESETS = (
    Preset("keras2", "adam", "adam", _adam_rule, defaults=_ADAM, lr_name="learning_rate",
           aliases=_ALIASES, states={"m": "m", "v": "v"}, version="2.3.1", checks=_CHECKS,
           constructor="keras.optimizers.Adam",
           api="keras.optimizers.Adam 2.3.1 (Theano backend)"),
    Preset("keras2", "amsgrad", "adam", _adam_rule, defaults={**_ADAM, "amsgrad": True},
           lr_name="learning_rate", aliases=_ALIASES,
           states={"m": "m", "v": "v", "vhat": "vhat"}, version="2.3.1", checks=_CHECKS,
           constructor="keras.optimizers.Adam(amsgrad=True)",
           api="keras.optimizers.Adam(amsgrad=True) 2.3.1 (Theano backend)"),
    Preset("keras2", "adamax", "adam", _adamax_rule,
           defaults={"learning_rate": 2e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                     "decay": 0.0},
           lr_name="learning_rate", aliases=_ALIASES, states={"m": "m", "u": "v"},
           version="2.3.1", checks=_CHECKS, constructor="keras.optimizers.Adamax",
           api="keras.optimizers.Adamax 2.3.1 (Theano backend)"),
    Preset("keras2", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"learning_rate": 1e-3, "rho": 0.9, "epsilon": 1e-7, "decay": 0.0},
           lr_name="learning_rate",
           aliases={"lr": "learning_rate", "alpha": "rho", "eps": "epsilon"},
           states={"accumulator": "ms"}, version="2.3.1", checks=_CHECKS,
           constructor="keras.optimizers.RMSprop",
           api="keras.optimizers.RMSprop 2.3.1 (Theano)"),
)


# -- from the framework's object ------------------------------------------------------------

def from_framework(obj, setting):
    """A Keras 2.3.1 ``keras.optimizers.Adam``/``Adamax``/``RMSprop`` (Theano backend):
    its ``get_config()``."""
    import keras
    if not keras.__version__.startswith("2.") or not isinstance(obj, keras.optimizers.Optimizer):
        return None
    config = {k: v for k, v in obj.get_config().items() if k != "name"}
    name = type(obj).__name__
    optimizer = {"Adam": "amsgrad" if config.get("amsgrad") else "adam", "Adamax": "adamax",
                 "RMSprop": "rmsprop"}.get(name)
    if optimizer is None:
        raise PresetError(f"keras 2 {name} has no adamkit preset")
    if setting.learning_rate is not None:
        config["learning_rate"] = setting.learning_rate
    return "keras2", optimizer, config
