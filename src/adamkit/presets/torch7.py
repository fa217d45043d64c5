"""Lua Torch7 ``optim`` (torch7 814ea4a, optim a5ceed7, LuaJIT): adam, adamax, rmsprop.

TH's ``m:mul(b1):add(1 - b1, g)`` is a scal then an OpenBLAS axpy, whose fused elements
depend on the OpenBLAS core and threads (``openblas_core``, ``openblas_threads``; the golden
recordings ran the Haswell core: its vector body fused, a tail row after it);
hyper-parameters are Lua doubles rounded to the tensor type.
Evidence: conformance/notes/golden-recipes.md, 0-ULP replays of the golden recordings.
"""


from .. import _vocab as V
from .._rules import Rule
from . import _openblas
from ._floats import adam_scalars, pow_, rmsprop_scalars, rounder, sqrt64
from ._preset import Preset, real


def _axpy(hp):
    core, nthreads = hp["openblas_core"], int(hp["openblas_threads"])
    _openblas.kernels(core)
    return lambda n, f32: _openblas.axpy_segments(n, f32, core, nthreads)


def _weight_decay(hp, ops, tail):
    """weightDecay: ``g:add(wd, x)``, an axpy (split like every axpy)."""
    if hp["weightDecay"]:
        ops["grad_decay"], tail["grad_decay"] = V.GDECAY_L2_FMA, V.GDECAY_L2


def _adam_scalars(hp, t, lr, f32):
    r = rounder(f32)
    b1, b2 = hp["beta1"], hp["beta2"]
    clr = lr / (1.0 + (t - 1) * hp["learningRateDecay"])
    ss = (clr * sqrt64(1.0 - pow_(b2, t))) / (1.0 - pow_(b1, t))
    return adam_scalars(b1=r(b1), c1=r(1.0 - b1), b2=r(b2), c2=r(1.0 - b2),
                        eps=r(hp["epsilon"]), alpha=r(ss), wd=r(hp["weightDecay"]))


def _adamax_scalars(hp, t, lr, f32):
    r = rounder(f32)
    b1 = hp["beta1"]
    return adam_scalars(b1=r(b1), c1=r(1.0 - b1), b2=r(hp["beta2"]), eps=r(hp["epsilon"]),
                        alpha=r(lr / (1.0 - pow_(b1, t))), wd=r(hp["weightDecay"]))


def _rmsprop_scalars(hp, t, lr, f32):
    r = rounder(f32)
    a = hp["alpha"]
    return rmsprop_scalars(rho=r(a), c=r(1.0 - a), eps=r(hp["epsilon"]), lr=r(lr),
                           wd=r(hp["weightDecay"]))


def _adam_rule(hp):
    ops = {"first": V.M_SCAL_FMA, "second": V.V_SCAL_ADDCMUL, "denom": V.D_SQRT_EPS}
    tail = {"first": V.M_AXPBY}
    _weight_decay(hp, ops, tail)
    return Rule("adam", ops, _adam_scalars, tail_ops=tail, split=_axpy(hp))


def _adamax_rule(hp):
    ops = {"first": V.M_SCAL_FMA, "second": V.V_MAX_EPS, "denom": V.D_NONE}
    tail = {"first": V.M_AXPBY}
    _weight_decay(hp, ops, tail)
    return Rule("adam", ops, _adamax_scalars, tail_ops=tail, split=_axpy(hp))


def _rmsprop_rule(hp):
    ops, tail = {"square": V.MS_SCAL_ADDCMUL, "denom": V.RD_SQRT_EPS}, {}
    _weight_decay(hp, ops, tail)
    return Rule("rmsprop", ops, _rmsprop_scalars, tail_ops=tail, split=_axpy(hp))


#: lr / (1 + (t - 1) * learningRateDecay)
_CHECKS = {"learningRateDecay": real(0.0)}
_BLAS = {"openblas_core": _openblas.core_option("0.3.21"), "openblas_threads": _openblas.THREADS}
_ALIASES = {"lr": "learningRate", "betas": ("beta1", "beta2"), "eps": "epsilon",
            "weight_decay": "weightDecay"}

#: torch/optim a5ceed7 (its rockspec's version)
_OPTIM = "1.0.5-0 (a5ceed7)"

PRESETS = (
    Preset("torch7", "adam", "adam", _adam_rule,
           defaults={"learningRate": 1e-3, "learningRateDecay": 0.0, "beta1": 0.9,
                     "beta2": 0.999, "epsilon": 1e-8, "weightDecay": 0.0, **_BLAS},
           lr_name="learningRate", aliases=_ALIASES, states={"m": "m", "v": "v"},
           checks=_CHECKS,
           constructor="optim.adam", version=_OPTIM, api="optim.adam (OpenBLAS 0.3.21 axpy)"),
    Preset("torch7", "adamax", "adam", _adamax_rule,
           defaults={"learningRate": 2e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-38,
                     "weightDecay": 0.0, **_BLAS},
           lr_name="learningRate", aliases=_ALIASES, states={"m": "m", "u": "v"},
           constructor="optim.adamax", version=_OPTIM,
           api="optim.adamax (OpenBLAS 0.3.21 axpy)"),
    Preset("torch7", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"learningRate": 1e-2, "alpha": 0.99, "epsilon": 1e-8, "weightDecay": 0.0,
                     "initialMean": 0.0, **_BLAS},
           lr_name="learningRate",
           aliases={"lr": "learningRate", "alpha": "alpha", "eps": "epsilon",
                    "weight_decay": "weightDecay", "initial_accumulator": "initialMean"},
           states={"m": "ms"}, initial_state="initialMean", constructor="optim.rmsprop",
           version=_OPTIM, api="optim.rmsprop"),
)
