"""keras-adamw 1.38 (``TF_KERAS=1``, tensorflow-cpu 2.13.1): ``keras_adamw.AdamW``, with its
L1/L2 ``weight_decays``, cosine annealing with warm restarts (``eta_t``) and
``lr_multipliers``. float32 only. Evidence: conformance/notes/keras_adamw-recipes.md,
0-ULP replays of the golden and live recordings."""

import math

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from ._floats import F, adam_scalars, cosf, powf, r32
from ._preset import Preset, PresetError, custom, flag, integer, pair, real


def _eta(hp, t):
    """eta_t for step t: 1.0 at t = 1, then the cosine-with-warm-restarts value computed
    after the previous step (t_cur = (t-1) mod total_iterations)."""
    if not hp["use_cosine_annealing"] or t == 1:
        return F(1.0)
    ti = int(hp["total_iterations"])
    t_cur = (t - 1) % ti
    lo, hi = F(hp["eta_min"]), F(hp["eta_max"])
    x = F(cosf(float(F(math.pi) * F(t_cur / (ti - 1)))))
    return lo + (F(0.5) * (hi - lo)) * (F(1.0) + x)


def _one(value, what):
    """keras-adamw keys decays and multipliers by variable name; one optimizer object
    reproduces one variable's settings."""
    if isinstance(value, dict):
        if len(value) > 1:
            raise PresetError(f"keras_adamw adamw: give one {what} entry per optimizer object")
        return next(iter(value.values()), None)
    return value


def _scalars(hp, t, lr, f32):
    b1, b2 = F(hp["beta_1"]), F(hp["beta_2"])
    tt = r32(t)
    b1p, b2p = F(powf(float(b1), tt)), F(powf(float(b2), tt))
    lr_t = (F(lr) * np.sqrt(F(1.0) - b2p)) / (F(1.0) - b1p)
    mult = _one(hp.get("lr_multipliers") or {}, "lr_multipliers")
    if mult is not None:                     # lr_t times the variable's multiplier
        lr_t = lr_t * F(mult)
    eta = _eta(hp, t)
    l1, l2 = _one(hp.get("weight_decays") or {}, "weight_decays") or (0.0, 0.0)
    ti_wd = hp.get("total_iterations_wd") or hp.get("total_iterations") or 0
    norm = np.sqrt(F(1.0 / ti_wd)) if ti_wd else F(1.0)
    eps = hp["epsilon"] if hp["epsilon"] is not None else 1e-7
    l1, l2 = F(float(l1)) * norm, F(float(l2)) * norm
    k = eta
    if hp.get("traced") and (l1 == 0) != (l2 == 0):
        # in a tf.function Grappler groups the scalar factors of eta_t * (l2n * p) into
        # (eta_t * l2n) * p (one decay term only; with both, the sum stays in between)
        k, l1, l2 = F(1.0), eta * l1, eta * l2
    return adam_scalars(b1=b1, c1=F(1.0) - b1, b2=b2, c2=F(1.0) - b2, eps=F(eps), s=eta * lr_t,
                        k=k, l1=l1, l2=l2)


def _rule(hp):
    if hp["use_cosine_annealing"] and int(hp["total_iterations"]) < 2:
        raise PresetError("keras_adamw adamw: use_cosine_annealing needs total_iterations >= 2")
    if hp["autorestart"] not in (None, bool(hp["use_cosine_annealing"])):
        # keras-adamw resolves None to use_cosine_annealing (what get_config reports)
        raise PresetError(f"keras_adamw adamw: autorestart={hp['autorestart']!r} with "
                          f"use_cosine_annealing={hp['use_cosine_annealing']!r} is not "
                          "reproduced")
    ops = {"first": V.M_AXPBY, "second": V.V_AXPBY, "denom": V.D_SQRT_EPS, "step": V.U_DIV,
           "apply": V.P_SUB_SCALED_L1L2 if hp["weight_decays"] else V.P_SUB_SCALED}
    return Rule("adam", ops, _scalars)


def _from_recording(hp, meta):
    return {**hp, "lr_multipliers": (meta.get("hyperparameters") or {}).get("lr_multipliers"),
            "traced": str(meta.get("mode", "")).startswith("tf.function")}



def _keyed(spec):
    """keras-adamw's per-variable values: one value, or a dict of them by variable name."""
    def test(value):
        for v in (value.values() if isinstance(value, dict) else (value,)):
            spec.check("each value", v)
    return test


_CHECKS = {"weight_decays": custom(_keyed(pair(real(0.0))), "an (l1, l2) pair of reals >= "
                                   "0, or a dict of them by variable name", none=True),
           "lr_multipliers": custom(_keyed(real(0.0)), "a real >= 0, or a dict of them by "
                                    "variable name", none=True),
           "total_iterations": integer(0), "total_iterations_wd": integer(0, none=True),
           "autorestart": flag(none=True)}


#: keywords that change the numerics, reproduced at their defaults only: learning-rate decay,
#: AMSGrad, the schedule's starting point (t_cur, eta_t), the weight decays taken from a
#: model's layers, OptimizerV2's gradient hooks. zero_penalties acts on the model's
#: regularizers (the loss), init_verbose prints: neither touches the update.
_ONLY_DEFAULT = {"decay": 0.0, "amsgrad": False, "t_cur": 0, "eta_t": 1.0, "model": None,
                 "gradient_aggregator": None, "gradient_transformers": None}

PRESETS = (
    Preset("keras_adamw", "adamw", "adam", _rule,
           defaults={"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": None,
                     "weight_decays": None, "use_cosine_annealing": False,
                     "total_iterations": 0, "total_iterations_wd": None, "eta_min": 0.0,
                     "eta_max": 1.0, "lr_multipliers": None, "autorestart": None,
                     **_ONLY_DEFAULT, "traced": False},
           lr_name="learning_rate", dtypes=("float32",),
           aliases={"lr": "learning_rate", "betas": ("beta_1", "beta_2"), "eps": "epsilon"},
           states={"m": "m", "v": "v"},
           ignored=frozenset({"zero_penalties", "init_verbose", "name"}),
           only_default=frozenset(_ONLY_DEFAULT), version="1.38", checks=_CHECKS,
           options=frozenset({"traced"}),
           constructor="keras_adamw.AdamW",
           from_recording=_from_recording,
           api="keras_adamw.AdamW (TF_KERAS=1, tensorflow-cpu 2.13.1)"),
)


# -- from the framework's object ------------------------------------------------------------

def from_framework(obj, setting):
    """A ``keras_adamw.AdamW`` (TF_KERAS=1): its ``get_config()`` and the settings it keeps
    outside it (``lr_multipliers``, ``total_iterations_wd``)."""
    if type(obj).__name__ != "AdamW" or not hasattr(obj, "get_config"):
        return None
    config = {k: v for k, v in obj.get_config().items() if k != "name"}
    config["lr_multipliers"] = getattr(obj, "lr_multipliers", None) or None
    config["total_iterations_wd"] = getattr(obj, "total_iterations_wd", None)
    if config.get("weight_decays"):          # the decay's rounding depends on tracing
        config["traced"] = setting.need_traced("keras-adamw with weight_decays")
    if setting.learning_rate is not None:
        config["learning_rate"] = setting.learning_rate
    return "keras_adamw", "adamw", config
