"""TensorFlow 2.21 CPU kernels (``ResourceApplyAdam``, ``...WithAmsgrad``, ``...AdaMax``,
``...(Centered)RMSProp``) and the TF1 optimizers that run them
(``tf.compat.v1.train.AdamOptimizer``, ``RMSPropOptimizer``).

No FMA anywhere; the kernels run with flush-to-zero; ``1 - beta`` is formed in the kernel.
TF1's AdamOptimizer keeps its beta powers as float32 variables (a running product) and its
scalars in float32 variables; the raw ops take ``tf.constant(x, T)`` scalars (``powers =
"dpow"``, ``scalars_f32 = False``). Evidence: conformance/notes/tensorflow-recipes.md,
0-ULP replays of the live recordings.
"""

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from ._floats import F, T, adam_scalars, rmsprop_scalars
from ._preset import Preset, PresetError

_F32_PRODUCTS = {}


def tf1_power(beta, t):
    """TF1 AdamOptimizer's beta power at step t: the float32 running product of r32(beta),
    flushed to zero below FLT_MIN."""
    key = float(F(beta))
    seq = _F32_PRODUCTS.setdefault(key, [F(key)])
    tiny = np.finfo(np.float32).tiny
    while len(seq) < t:
        x = seq[-1] * F(key)
        seq.append(x if abs(x) >= tiny else F(0.0))
    return seq[t - 1]


def _scalar(x, f32, through_f32):
    """A hyper-parameter as the kernel receives it: T(x), or T(r32(x)) when the Python API
    keeps it in a float32 variable first (TF1 optimizers)."""
    return T(f32)(F(x)) if through_f32 else T(f32)(x)


def _powers(hp, t, f32):
    Tt = T(f32)
    if hp["powers"] == "f32prod":
        return Tt(tf1_power(hp["beta1"], t)), Tt(tf1_power(hp["beta2"], t))
    return Tt(hp["beta1"] ** t), Tt(hp["beta2"] ** t)


def _adam_scalars(hp, t, lr, f32):
    Tt = T(f32)
    via = hp["scalars_f32"]
    lr_, b1, b2 = (_scalar(x, f32, via) for x in (lr, hp["beta1"], hp["beta2"]))
    b1p, b2p = _powers(hp, t, f32)
    one = Tt(1.0)
    return adam_scalars(b1=b1, c1=one - b1, b2=b2, c2=one - b2,
                        eps=_scalar(hp["epsilon"], f32, via),
                        alpha=(lr_ * np.sqrt(one - b2p)) / (one - b1p), s=lr_ / (one - b1p))


def _rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    via = hp["scalars_f32"]
    rho = _scalar(hp["rho"], f32, via)
    return rmsprop_scalars(rho=rho, c=Tt(1.0) - rho, eps=_scalar(hp["epsilon"], f32, via),
                           lr=_scalar(lr, f32, via), mu=_scalar(hp["momentum"], f32, via))


def _check_powers(hp):
    if hp["powers"] not in ("f32prod", "dpow"):
        raise PresetError(f"tensorflow: powers must be 'f32prod' or 'dpow', "
                          f"not {hp['powers']!r}")


ADAM_OPS = {"first": V.M_LERP, "second": V.V_LERP, "denom": V.D_SQRT_EPS, "ftz": 1}
RMSPROP_OPS = {"square": V.MS_LERP, "denom": V.RD_SQRT_EPS_IN, "momentum": V.MOM_ACC,
               "ftz": 1}


def _adam_rule(hp):
    _check_powers(hp)
    ops = dict(ADAM_OPS, amsgrad=int(bool(hp.get("amsgrad"))))
    if hp.get("use_nesterov"):
        ops["numer"] = V.NUM_NESTEROV
    return Rule("adam", ops, _adam_scalars)


def _adamax_rule(hp):
    _check_powers(hp)
    return Rule("adam", {"first": V.M_LERP, "second": V.V_MAX, "denom": V.D_EPS,
                         "step": V.U_DIV, "apply": V.P_SUB_SCALED, "ftz": 1}, _adam_scalars)


def _rmsprop_rule(hp):
    ops = dict(RMSPROP_OPS)
    if hp["centered"]:
        ops["center"] = V.C_LERP
    return Rule("rmsprop", ops, _rmsprop_scalars)


def from_recording(hp, meta):
    """Raw-op recordings name the rate "lr" and pass scalars as tf.constant(x, T); TF1
    optimizer recordings name it "learning_rate" and keep scalars in float32 variables."""
    hp = dict(hp)
    raw = "lr" in hp
    if raw:
        hp["learning_rate"] = hp.pop("lr")
    hp["scalars_f32"] = not raw
    if "decay" in hp:                       # RMSPropOptimizer's name for rho
        hp["rho"] = hp.pop("decay")
    if "Centered" in meta.get("api", ""):
        hp["centered"] = True
    if meta["optimizer"] == "rmsprop":
        hp["initial_accumulator"] = 0.0 if raw else 1.0
    return hp


_ADAM = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
         "use_nesterov": False, "powers": "f32prod", "scalars_f32": True}
_ALIASES = {"lr": "learning_rate", "betas": ("beta1", "beta2"), "eps": "epsilon"}
_NOT_NUMERIC = frozenset({"use_locking", "name", "use_own_namescope_for_non_slot_vars"})
#: switches of the raw ops (ResourceApplyAdam's use_nesterov) and of adamkit's (how the
#: beta powers and the scalars are computed): not keywords of the TF1 optimizer classes
_OPTIONS = frozenset({"use_nesterov", "powers", "scalars_f32", "amsgrad",
                      "initial_accumulator"})
_TF = dict(version="2.21.0", options=_OPTIONS, ignored=_NOT_NUMERIC)

PRESETS = (
    Preset("tensorflow", "adam", "adam", _adam_rule, defaults=_ADAM, lr_name="learning_rate",
           aliases=_ALIASES, states={"m": "m", "v": "v"}, from_recording=from_recording,
           constructor="tensorflow.compat.v1.train.AdamOptimizer", **_TF,
           api="ResourceApplyAdam; tf.compat.v1.train.AdamOptimizer (float32 beta powers)"),
    Preset("tensorflow", "amsgrad", "adam", _adam_rule,
           defaults={**{k: v for k, v in _ADAM.items() if k != "use_nesterov"},
                     "amsgrad": True},
           lr_name="learning_rate", aliases=_ALIASES,
           states={"m": "m", "v": "v", "vhat": "vhat"}, from_recording=from_recording,
           **_TF, api="ResourceApplyAdamWithAmsgrad (a raw op: no defaults; AdamOptimizer's)"),
    Preset("tensorflow", "adamax", "adam", _adamax_rule,
           defaults={**{k: v for k, v in _ADAM.items() if k != "use_nesterov"},
                     "learning_rate": 2e-3},
           lr_name="learning_rate", aliases=_ALIASES, states={"m": "m", "v": "v"},
           from_recording=from_recording, **_TF,
           api="ResourceApplyAdaMax (a raw op: no defaults; AdamOptimizer's, lr Keras's 2e-3)"),
    Preset("tensorflow", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"learning_rate": None, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-10,
                     "centered": False, "scalars_f32": True, "initial_accumulator": 1.0},
           required=("learning_rate",), lr_name="learning_rate",
           aliases={"lr": "learning_rate", "alpha": "rho", "decay": "rho", "eps": "epsilon",
                    "initial_accumulator": "initial_accumulator"},
           states={"ms": "ms", "mom": "mom", "mg": "mg", "rms": "ms", "momentum": "mom"},
           from_recording=from_recording, initial_state="initial_accumulator",
           constructor="tensorflow.compat.v1.train.RMSPropOptimizer", **_TF,
           api="ResourceApply(Centered)RMSProp; tf.compat.v1.train.RMSPropOptimizer "
               "(mean square starts at 1)"),
)
