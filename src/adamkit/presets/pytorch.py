"""PyTorch 2.13 (CPU): ``torch.optim.Adam``, ``AdamW`` and ``RMSprop``.

The for-loop and foreach implementations run the same ATen kernels (GCC-contracted to FMA)
and MKL's sqrt, which starts from the CPU's rsqrtss estimate (``estimate``); ``fused=True``
runs FusedAdamKernel.cpp: IEEE sqrt, and a scalar tail (the last n mod V elements) that
contracts v's update the other way. V = 8 float32 / 4 float64: torch 2.13 registers these
kernels for AVX2 only, so an AVX-512 CPU runs the AVX2 code too (measured).
``state['step']`` is a float32 tensor. Evidence: conformance/notes/pytorch-recipes.md,
0-ULP replays of the live recordings.
"""

import math

from .. import _vocab as V
from .._rules import Rule
from ._context import ESTIMATE_OPTIONS, estimate_ops
from ._floats import F, adam_scalars, rmsprop_scalars, rounder
from ._preset import Preset, refuse


def _adam_scalars(fused):
    def scalars(hp, t, lr, f32):
        r = rounder(f32)
        b1, b2 = hp["betas"]
        wd = hp["weight_decay"]
        t = float(F(t))                          # .item() of a float32 step tensor
        bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        w = r(1.0 - b1)                          # lerp's weight; >= 0.5 takes the other form
        return adam_scalars(b1=r(b1), c1=w if abs(w) < 0.5 else w - 1.0, b2=r(b2),
                            c2=r(1.0 - b2), eps=r(hp["eps"]), alpha=r(lr / bc1),
                            bc2=r(math.sqrt(bc2) if fused else bc2 ** 0.5), wd=r(wd),
                            dk=r(1.0 - lr * wd))
    return scalars


def _fused_split(n, f32):
    """FusedAdamKernel's vector body: whole AVX2 vectors (8 float32, 4 float64)."""
    return n & -8 if f32 else n & -4


def _adam_rule(optimizer):
    def rule(hp):
        if hp["capturable"] or hp["differentiable"]:
            raise refuse("pytorch", optimizer,
                         "capturable/differentiable round differently and are not reproduced")
        ops = {"first": V.M_LERP_FMA, "second": V.V_SCAL_FMA_CG, "denom": V.D_SQRT_BC_EPS,
               "sqrt_kind": V.SQRT_MKL_EX, "amsgrad": int(bool(hp["amsgrad"])),
               "maximize": int(bool(hp["maximize"])), **estimate_ops("pytorch", hp)}
        if 1.0 - hp["betas"][0] >= 0.5:
            ops["first"] = V.M_LERP_FMA_HI
        if hp["weight_decay"]:
            if hp["decoupled_weight_decay"]:
                ops["decoupled"] = V.DECOUPLED_MUL
            else:
                ops["grad_decay"] = V.GDECAY_L2_FMA
        if hp["fused"]:
            ops["sqrt_kind"] = V.SQRT_IEEE
            return Rule("adam", ops, _adam_scalars(True), tail_ops={"second": V.V_FMA_SCAL_CG},
                        split=_fused_split)
        return Rule("adam", ops, _adam_scalars(False))
    return rule


def _rmsprop_scalars(hp, t, lr, f32):
    r = rounder(f32)
    a = hp["alpha"]
    return rmsprop_scalars(rho=r(a), c=r(1.0 - a), eps=r(hp["eps"]), lr=r(lr),
                           mu=r(hp["momentum"]), wd=r(hp["weight_decay"]))


def _rmsprop_rule(hp):
    if hp["capturable"] or hp["differentiable"]:
        raise refuse("pytorch", "rmsprop", "capturable/differentiable are not reproduced")
    ops = {"square": V.MS_SCAL_FMA_CG, "denom": V.RD_SQRT_EPS, "sqrt_kind": V.SQRT_MKL_EX,
           "maximize": int(bool(hp["maximize"])), **estimate_ops("pytorch", hp)}
    if hp["weight_decay"]:
        ops["grad_decay"] = V.GDECAY_L2_FMA
    if hp["centered"]:
        ops.update(center=V.C_LERP_FMA, variance=V.VAR_FMA)
    if hp["momentum"]:
        ops.update(step=V.RU_DIV, momentum=V.MOM_ACC_FMA)
    return Rule("rmsprop", ops, _rmsprop_scalars)


_ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
         "amsgrad": False, "maximize": False, "foreach": None, "fused": None,
         "capturable": False, "differentiable": False, "decoupled_weight_decay": False,
         **ESTIMATE_OPTIONS}
_STATES = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "vhat"}
_VARIANTS = ({"fused": True},)

PRESETS = (
    Preset("pytorch", "adam", "adam", _adam_rule("adam"), defaults=_ADAM, lr_name="lr",
           states=_STATES, ignored=frozenset({"foreach"}), variants=_VARIANTS,
           constructor="torch.optim.Adam", version="2.13.0",
           api="torch.optim.Adam 2.13 CPU: for-loop, foreach (MKL sqrt) and fused=True"),
    Preset("pytorch", "adamw", "adam", _adam_rule("adamw"),
           defaults={**_ADAM, "weight_decay": 1e-2, "decoupled_weight_decay": True},
           lr_name="lr", states=_STATES, ignored=frozenset({"foreach"}), variants=_VARIANTS,
           constructor="torch.optim.AdamW", version="2.13.0",
           api="torch.optim.AdamW 2.13 CPU: for-loop, foreach and fused=True"),
    Preset("pytorch", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0,
                     "momentum": 0.0, "centered": False, "maximize": False, "foreach": None,
                     "capturable": False, "differentiable": False, **ESTIMATE_OPTIONS},
           lr_name="lr", states={"square_avg": "ms", "grad_avg": "mg", "momentum_buffer": "mom"},
           ignored=frozenset({"foreach"}),
           constructor="torch.optim.RMSprop", version="2.13.0",
           api="torch.optim.RMSprop 2.13 CPU: for-loop and foreach (MKL sqrt)"),
)
