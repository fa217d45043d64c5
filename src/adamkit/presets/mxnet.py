"""MXNet 1.9.1: ``mx.optimizer.Adam`` (``adam_update``), ``Adamax`` (NDArray operators) and
``RMSProp`` (``rmsprop_update`` / ``rmspropalex_update``), dense gradients.

Python sends every scalar to the C++ ops as ``str(value)``; dmlc-core parses it with its
own ParseFloat, which is not correctly rounded. Evidence: conformance/notes/
mxnet-recipes.md, 0-ULP replays of the live recordings.
"""

import functools

from .. import _vocab as V
from .._rules import Rule
from ._floats import F, T, adam_scalars, rmsprop_scalars, sqrt64
from ._preset import BETA, Preset, PresetError, real, refuse
from ._recipe import Sym, dmlc_parse_of_str


@functools.lru_cache(maxsize=1024)      # pure; the same hyper-parameter text every step
def dmlc_parse(text, f32):
    """dmlc::ParseFloat<float> (f32) or <double>: integer part, then up to 19 fraction
    digits as an integer over a power of ten (in double), added in the target type, then
    the exponent applied as products of 1e8 and 10 in the target type."""
    Tt = T(f32)
    s, p, neg = text, 0, False
    if s[p] in "+-":
        neg = s[p] == "-"
        p += 1
    ipart = 0
    while p < len(s) and s[p].isdigit():
        ipart = ipart * 10 + int(s[p])
        p += 1
    value = Tt(ipart)
    if p < len(s) and s[p] == ".":
        p += 1
        frac, pow10, count = 0, 1, 0
        while p < len(s) and s[p].isdigit():
            if count < 19:
                frac, pow10 = frac * 10 + int(s[p]), pow10 * 10
            p += 1
            count += 1
        value = Tt(value + Tt(float(frac) / float(pow10)))
    if p < len(s) and s[p] in "eE":
        p += 1
        negexp = s[p] == "-"
        if s[p] in "+-":
            p += 1
        e = int(s[p:])
        scale = Tt(1.0)
        while e >= 8:
            scale, e = Tt(scale * Tt(F(1e8))), e - 8
        while e > 0:
            scale, e = Tt(scale * Tt(F(10.0))), e - 1
        value = Tt(value / scale) if negexp else Tt(value * scale)
    return -value if neg else value


def _op(x, f32):
    """A scalar of a fused MXNet op: ParseFloat<float>, then widened to the dtype."""
    if type(x) is Sym:
        return T(f32)(dmlc_parse_of_str(x, True))
    return T(f32)(dmlc_parse(str(x), True))


def _nd(x, f32):
    """A scalar of an NDArray operator: ParseFloat<double>, then cast to the dtype."""
    if type(x) is Sym:
        return T(f32)(dmlc_parse_of_str(x, False))
    return T(f32)(dmlc_parse(str(x), False))


def _adam_scalars(hp, t, lr, f32):
    Tt = T(f32)
    b1, b2 = hp["beta1"], hp["beta2"]
    lr_t = lr * (sqrt64(1.0 - b2 ** t) / (1.0 - b1 ** t))
    B1, B2 = _op(b1, f32), _op(b2, f32)
    clip = hp["clip_gradient"]
    return adam_scalars(b1=B1, c1=Tt(1.0) - B1, b2=B2, c2=Tt(1.0) - B2,
                        eps=_op(hp["epsilon"], f32), alpha=_op(lr_t, f32),
                        gmul=_op(hp["rescale_grad"], f32), wd=_op(hp["wd"], f32),
                        clip=_op(clip, f32) if clip else 0.0)


def _adamax_scalars(hp, t, lr, f32):
    b1 = hp["beta1"]
    clip = hp["clip_gradient"]
    return adam_scalars(b1=_nd(b1, f32), c1=_nd(1.0 - b1, f32), b2=_nd(hp["beta2"], f32),
                        alpha=_nd(lr / (1.0 - b1 ** t), f32),
                        gmul=_nd(hp["rescale_grad"], f32), wd=_nd(hp["wd"], f32),
                        clip=_nd(clip, f32) if clip is not None else 0.0)


def _rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    g1 = _op(hp["gamma1"], f32)
    clip = hp["clip_gradient"]
    return rmsprop_scalars(rho=g1, c=Tt(1.0) - g1, eps=_op(hp["epsilon"], f32),
                           lr=_op(lr, f32), mu=_op(hp["gamma2"], f32),
                           gmul=_op(hp["rescale_grad"], f32), wd=_op(hp["wd"], f32),
                           clip=_op(clip, f32) if clip else 0.0)


def _adam_rule(hp):
    ops = {"grad_scale": V.GSCALE_MUL, "grad_decay": V.GDECAY_L2, "first": V.M_AXPBY,
           "second": V.V_AXPBY_CG, "denom": V.D_SQRT_EPS}
    if hp["clip_gradient"]:                  # the fused op clips only when > 0
        ops["grad_clip"] = V.GCLIP_VALUE
    return Rule("adam", ops, _adam_scalars)


def _adamax_rule(hp):
    ops = {"grad_scale": V.GSCALE_MUL, "grad_decay": V.GDECAY_L2, "first": V.M_AXPBY,
           "second": V.V_MAX, "denom": V.D_NONE}
    if hp["clip_gradient"] is not None:      # the Python optimizer clips when not None
        ops["grad_clip"] = V.GCLIP_VALUE
    return Rule("adam", ops, _adamax_scalars)


def _rmsprop_rule(hp):
    if hp["clip_weights"]:
        raise refuse("mxnet", "rmsprop", "clip_weights is not supported")
    ops = {"grad_scale": V.GSCALE_MUL, "grad_decay": V.GDECAY_L2, "square": V.MS_AXPBY,
           "denom": V.RD_SQRT_EPS_IN, "step": V.RU_SCALE_OF_DIV}
    if hp["clip_gradient"]:
        ops["grad_clip"] = V.GCLIP_VALUE
    if hp["centered"]:
        ops.update(square=V.MS_AXPBY_CG, center=V.C_AXPBY, step=V.RU_MUL_DIV,
                   momentum=V.MOM_DELTA)
    return Rule("rmsprop", ops, _rmsprop_scalars)


_COMMON = {"wd": 0.0, "rescale_grad": 1.0, "clip_gradient": None}
#: mx.optimizer.Optimizer's keywords that change the numerics (per-parameter lr/wd
#: multipliers through names, symbol attributes or Parameters; the lr scheduler; the update
#: count t starts at begin_num_update): reproduced at their defaults only
_BASE_ONLY_DEFAULT = {"param_idx2name": None, "sym": None, "param_dict": None,
                      "lr_scheduler": None, "begin_num_update": 0}
#: float16 master weights only: no numerics for float32 and float64 weights
_IGNORED = frozenset({"lazy_update", "multi_precision"})
#: clipping values >= 0 (0: off); gamma2 is RMSPropAlex's momentum
_CHECKS = {"clip_gradient": real(0.0, none=True), "clip_weights": real(0.0, none=True),
           "gamma2": BETA}
_MX = dict(version="1.9.1", ignored=_IGNORED, only_default=frozenset(_BASE_ONLY_DEFAULT),
           checks=_CHECKS)
_COMMON = {**_COMMON, **_BASE_ONLY_DEFAULT}
_ALIASES = {"lr": "learning_rate", "betas": ("beta1", "beta2"), "eps": "epsilon",
            "weight_decay": "wd"}

PRESETS = (
    Preset("mxnet", "adam", "adam", _adam_rule,
           defaults={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                     "lazy_update": True, **_COMMON},
           lr_name="learning_rate", aliases=_ALIASES, states={"mean": "m", "var": "v"},
           constructor="mxnet.optimizer.Adam", **_MX,
           api="mx.optimizer.Adam 1.9.1 (adam_update; dense gradients)"),
    Preset("mxnet", "adamax", "adam", _adamax_rule,
           defaults={"learning_rate": 2e-3, "beta1": 0.9, "beta2": 0.999, **_COMMON},
           lr_name="learning_rate", aliases=_ALIASES, states={"m": "m", "u": "v"},
           constructor="mxnet.optimizer.Adamax", **_MX,
           api="mx.optimizer.Adamax 1.9.1 (NDArray operators; no epsilon)"),
    Preset("mxnet", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"learning_rate": 1e-3, "gamma1": 0.9, "gamma2": 0.9, "epsilon": 1e-8,
                     "centered": False, "clip_weights": None, **_COMMON},
           lr_name="learning_rate",
           aliases={"lr": "learning_rate", "alpha": "gamma1", "eps": "epsilon",
                    "weight_decay": "wd"},
           states={"n": "ms", "g": "mg", "delta": "mom"}, dtypes=("float32",),
           constructor="mxnet.optimizer.RMSProp", **_MX,
           api="mx.optimizer.RMSProp 1.9.1 (rmsprop_update / rmspropalex_update)"),
)


# -- from the framework's object ------------------------------------------------------------

_ATTRS = {"adam": ("beta1", "beta2", "epsilon", "lazy_update"), "adamax": ("beta1", "beta2"),
          "rmsprop": ("gamma1", "gamma2", "epsilon", "centered", "clip_weights")}


def from_framework(obj, setting):
    """An ``mx.optimizer.Adam``/``Adamax``/``RMSProp`` object: its attributes."""
    optimizer = {"Adam": "adam", "Adamax": "adamax", "RMSProp": "rmsprop"}.get(
        type(obj).__name__)
    if optimizer is None or not hasattr(obj, "rescale_grad"):
        return None
    hp = {k: getattr(obj, k) for k in _ATTRS[optimizer]}
    hp.update(learning_rate=obj.lr, wd=obj.wd, rescale_grad=obj.rescale_grad,
              clip_gradient=obj.clip_gradient, lr_scheduler=obj.lr_scheduler,
              begin_num_update=obj.begin_num_update, param_dict=obj.param_dict or None,
              param_idx2name=getattr(obj, "idx2name", None) or None)
    if setting.learning_rate is not None:
        hp["learning_rate"] = setting.learning_rate
    return "mxnet", optimizer, hp


# -- schedules -------------------------------------------------------------------------------

def factor_scheduler(base_lr, step, factor, stop_factor_lr=1e-8):
    """``mx.lr_scheduler.FactorScheduler(step, factor, stop_factor_lr)`` with the
    optimizer's ``base_lr``, as MXNet 1.9.1 evaluates it at update ``t + 1``: a Python
    recursion in doubles, ``base_lr *= factor`` each time the update count passes another
    ``step`` (not ``base_lr * factor**k``), floored at ``stop_factor_lr``."""
    if step < 1 or not factor <= 1.0:
        raise PresetError("mxnet FactorScheduler: step must be >= 1 and factor <= 1")
    rates = [float(base_lr)]                 # rates[k]: after k decays

    def at(t):
        k = int(t) // int(step)
        while len(rates) <= k:
            lr = rates[-1] * factor
            rates.append(stop_factor_lr if lr < stop_factor_lr else lr)
        return rates[k]
    return at
