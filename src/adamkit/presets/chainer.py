"""Chainer 7.8.1 (NumPy backend): ``optimizers.Adam`` and its ``AdamW``, ``AMSGrad``,
``AdaBound``, ``AMSBound`` forms, and ``RMSprop``; the ``WeightDecay`` and
``GradientClipping`` optimizer hooks.

NumPy 1.23 arithmetic with value-based casting (a Python float meets a T array as T(x));
no FMA. ``GradientClipping`` sums squares with ``g.dot(g)``, an OpenBLAS dot.
Evidence: conformance/notes/chainer-recipes.md, 0-ULP replays of the live recordings.
"""

import math

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from . import _openblas
from ._floats import adam_scalars, pow_, rmsprop_scalars, rounder, sqrt64
from ._preset import Preset, custom, real, refuse

_HOOKS = ("WeightDecay", "GradientClipping")


def _hook(hp, name):
    for hook, value in hp.get("hooks") or ():
        if hook == name:
            return value
    return None


def _adam_scalars(hp, t, lr, f32):
    r = rounder(f32)
    b1, b2, eta, wdr = hp["beta1"], hp["beta2"], hp["eta"], hp["weight_decay_rate"]
    alpha_t = lr * sqrt64(1.0 - pow_(b2, t)) / (1.0 - pow_(b1, t))   # math.pow: libm pow
    fl = hp["final_lr"]   # * alpha / initial_alpha: 1 while alpha is not changed
    lower = fl * (1.0 - 1.0 / (hp["gamma"] * t + 1))
    upper = fl * (1.0 + 1.0 / (hp["gamma"] * t))
    return adam_scalars(b1=r(b1), c1=r(1.0 - b1), b2=r(b2), c2=r(1.0 - b2), eps=r(hp["eps"]),
                        alpha=r(alpha_t), s=r(eta), k=r(1.0 - eta * wdr), lo=r(lower),
                        hi=r(upper), wd=r(_hook(hp, "WeightDecay") or 0.0),
                        gmul=r(hp.get("_clip_rate", 1.0)))


def _clip_rate(hp, grads):
    """GradientClipping: rate = threshold / sqrt(sum of g.g); applied only when < 1. Each
    g.g is NumPy 1.23's dot, OpenBLAS 0.3.20's sdot/ddot on the core it picked
    (``openblas_core``) and, for float64 above 10000 elements, its threads; the sum adds
    Python floats from 0."""
    threshold = _hook(hp, "GradientClipping")
    core, nthreads = hp["openblas_core"], int(hp["openblas_threads"])
    sqnorm = 0
    for g in grads:
        sqnorm = sqnorm + (float(_openblas.sdot_sq(g, core)) if g.dtype == np.float32
                           else _openblas.ddot_sq(g, core, nthreads))
    rate = threshold / math.sqrt(sqnorm) if sqnorm else math.inf
    return {"_clip_rate": rate if rate < 1.0 else 1.0}


def _adam_rule(optimizer):
    def rule(hp):
        if any(h not in _HOOKS for h, _ in hp["hooks"] or ()):
            raise refuse("chainer", optimizer,
                         "only the WeightDecay and GradientClipping hooks are supported")
        ops = {"denom": V.D_SQRT_EPS, "step": V.U_SCALE_DIV, "apply": V.P_SUB_SCALED,
               "amsgrad": int(bool(hp["amsgrad"]))}
        if hp["weight_decay_rate"]:
            ops["apply"] = V.P_DECAY_SUB
        if hp["adabound"]:
            ops["step"] = V.U_SCALE_DIV_CLIP
        if _hook(hp, "WeightDecay"):
            ops["grad_decay"] = V.GDECAY_L2
        prepare = None
        if _hook(hp, "GradientClipping"):
            _openblas.kernels(hp["openblas_core"])
            ops["grad_scale"] = V.GSCALE_MUL
            prepare = _clip_rate
        return Rule("adam", ops, _adam_scalars, prepare=prepare)
    return rule


def _rmsprop_scalars(hp, t, lr, f32):
    r = rounder(f32)
    a = hp["alpha"]
    return rmsprop_scalars(rho=r(a), c=r(1.0 - a), eps=r(hp["eps"]), lr=r(lr))


def _rmsprop_rule(hp):
    return Rule("rmsprop", {"square": V.MS_SCAL_ADDCMUL,
                            "denom": V.RD_SQRT_EPS_IN if hp["eps_inside_sqrt"]
                            else V.RD_SQRT_EPS}, _rmsprop_scalars)


_ADAM = {"alpha": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "eta": 1.0,
         "weight_decay_rate": 0.0, "amsgrad": False, "adabound": False, "final_lr": 0.1,
         "gamma": 1e-3, "hooks": (), "openblas_core": _openblas.core_option("0.3.20"),
         "openblas_threads": _openblas.THREADS}
_ALIASES = {"lr": "alpha", "betas": ("beta1", "beta2"), "eps": "eps"}


def _check_hooks(hooks):
    if isinstance(hooks, (str, bytes)) or not isinstance(hooks, (tuple, list)):
        raise TypeError("not a sequence")
    for entry in hooks:
        if not isinstance(entry, (tuple, list)) or len(entry) != 2 or entry[0] not in _HOOKS:
            raise ValueError(f"{entry!r} is not one of {_HOOKS} with its value")
        name, value = entry
        (real(0.0) if name == "WeightDecay" else real(0.0, lo_open=True)).check(name, value)


#: gamma > 0: AdaBound's bounds divide by gamma * t
_CHECKS = {"eta": real(0.0), "weight_decay_rate": real(0.0), "final_lr": real(0.0),
           "gamma": real(0.0, lo_open=True),
           "hooks": custom(_check_hooks, "a sequence of (hook, value) pairs, hooks "
                           "WeightDecay (rate >= 0) and GradientClipping (threshold > 0)")}

PRESETS = tuple(
    Preset("chainer", opt, "adam", _adam_rule(opt), defaults={**_ADAM, **extra},
           lr_name="alpha",
           aliases={**_ALIASES,
                    **({"weight_decay": "weight_decay_rate"} if opt == "adamw" else {})},
           states={"m": "m", "v": "v", "vhat": "vhat"}, meta_keys=("hooks",),
           constructor=f"chainer.optimizers.{cls}", version="7.8.1",
           options=frozenset({"hooks"}), checks=_CHECKS,
           api=f"chainer.optimizers.{cls} 7.8.1 (NumPy)")
    for opt, cls, extra in (("adam", "Adam", {}), ("adamw", "AdamW", {"weight_decay_rate": 0.0}),
                            ("amsgrad", "AMSGrad", {"amsgrad": True}),
                            ("adabound", "AdaBound", {"adabound": True}),
                            ("amsbound", "AMSBound", {"amsgrad": True, "adabound": True}))
) + (
    Preset("chainer", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "eps_inside_sqrt": False},
           lr_name="lr", aliases={"lr": "lr", "alpha": "alpha", "eps": "eps"},
           states={"ms": "ms"}, constructor="chainer.optimizers.RMSprop", version="7.8.1",
           api="chainer.optimizers.RMSprop 7.8.1 (NumPy)"),
)


# -- from the framework's object ------------------------------------------------------------

def from_framework(obj, setting):
    """A ``chainer.optimizers`` Adam/AdamW/AMSGrad/AdaBound/AMSBound/RMSprop with its
    ``hyperparam`` and its optimizer hooks (WeightDecay, GradientClipping, in order)."""
    found = {p.constructor.rsplit(".", 1)[-1]: p for p in PRESETS}.get(type(obj).__name__)
    if found is None or not hasattr(obj, "hyperparam"):
        return None
    hp = dict(obj.hyperparam.get_dict())
    hooks = []
    hookable = getattr(obj, "_hookable", obj)        # Chainer 7 keeps them there
    for registry in ("_pre_update_hooks", "_post_update_hooks"):
        for hook in (getattr(hookable, registry, None) or {}).values():
            kind = type(hook).__name__
            if kind == "WeightDecay" and registry == "_pre_update_hooks":
                hooks.append(["WeightDecay", float(hook.rate)])
            elif kind == "GradientClipping" and registry == "_pre_update_hooks":
                hooks.append(["GradientClipping", float(hook.threshold)])
            else:
                raise refuse("chainer", found.optimizer,
                             f"the {kind} hook ({registry[1:-6]}) is not reproduced")
    if found.family == "adam":
        hp["hooks"] = hooks
    elif hooks:
        raise refuse("chainer", found.optimizer, "hooks are reproduced with Adam only")
    if setting.learning_rate is not None:
        hp[found.lr_name] = setting.learning_rate
    return "chainer", found.optimizer, hp


# -- schedules -------------------------------------------------------------------------------

def exponential_shift(init, rate, every=1, target=None):
    """``chainer.training.extensions.ExponentialShift(attr, rate, init, target)`` triggered
    every ``every`` iterations (Chainer 7.8.1): after ``k`` shifts the attribute is
    ``init * rate ** k`` (Python floats), clipped at ``target``; the update after ``t``
    iterations has had ``t // every`` shifts."""
    def at(t):
        value = init * rate ** (int(t) // int(every))
        if target is not None and (rate > 1 and value > target or rate < 1 and value < target):
            value = target
        return value
    return at
