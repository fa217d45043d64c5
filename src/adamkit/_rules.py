"""Update rules: which rounding sequence (ops) and how each step's scalars are computed.

A rule is data plus one small function. ``ops`` selects, field by field, the exact IEEE
operation sequence of the C core (``adam_c/include/adam_c.h``); ``scalars(hp, t, lr, f32)``
returns this step's scalars given the hyper-parameters ``hp``, the step number ``t``
(1 at the first update), the learning rate in force and whether the buffers are float32.

This module holds adamkit's own ("native") rules; ``adamkit.presets`` adds one per
framework, from its table.
"""

import dataclasses
from typing import Callable, Optional

import numpy as np

from . import _vocab as V
from ._vocab import *  # noqa: F401,F403  (the ops constants, for presets.py)


def rounder(f32):
    """The rounding of a Python float to the buffer type, returned as a Python float."""
    if f32:
        return lambda x: float(np.float32(x))
    return float


def blas_axpy_split(n, f32):
    """Where OpenBLAS's Haswell axpy kernel stops fusing: its vector body covers
    ``[0, n & -32)`` for float32 and ``[0, n & -16)`` for float64 with FMA; the scalar C
    tail after it multiplies and adds separately (conformance/notes/golden-recipes.md)."""
    return n & -32 if f32 else n & -16


@dataclasses.dataclass(frozen=True)
class Rule:
    """An update rule: a family ("adam" or "rmsprop"), an ops row and a scalar function.

    ``tail_ops`` and ``split`` describe frameworks whose rounding depends on an element's
    position (BLAS kernels that fuse in their vector body only): elements ``[0, split(n,
    f32))`` of each array run ``ops``, the rest run ``ops`` updated with ``tail_ops``.
    """

    family: str
    ops: dict
    scalars: Callable
    name: str = "native"
    tail_ops: Optional[dict] = None
    split: Optional[Callable] = None
    prepare: Optional[Callable] = None   # (hp, grads) -> values of this step that need all grads
    c_scalars: Optional[str] = None      # a C function computing `scalars` (_kernels.C_SCALARS)
    arrays: Optional[Callable] = None    # shapes -> Rule: the rule for the arrays updated together
                                  # (a framework that compiles them together, e.g. XLA)
    scalars_each: bool = False    # each array its own scalars: prepare returns "_each", one
                                  # dict of values per array (per-tensor gradient clipping)


# ---------------------------------------------------------------------------------------
# adamkit's own rules. Scalars: 1 - beta, beta^t and the bias corrections in double,
# each rounded once to the buffer type.
# ---------------------------------------------------------------------------------------

def native_adam(amsgrad=False, nesterov=False, decoupled=False, weight_decay=0.0,
                maximize=False, adamax=False):
    """adamkit's Adam: Kingma & Ba's Algorithm 1 (epsilon outside the bias-corrected root).

    m <- m + (g - m)(1 - b1);  v <- v + (g^2 - v)(1 - b2);
    p <- p - (m * lr/(1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps).
    AdaMax: u <- max(b2 u, |g| + eps);  p <- p - (m * lr/(1 - b1^t)) / u.
    """
    ops = {"denom": V.D_SQRT_BC_EPS, "amsgrad": int(amsgrad), "maximize": int(maximize)}
    if nesterov:
        ops["numer"] = V.NUM_NESTEROV
    if adamax:
        ops.update(second=V.V_MAX_EPS, denom=V.D_NONE)
    if weight_decay:
        if decoupled:
            ops["decoupled"] = V.DECOUPLED_MUL
        else:
            ops["grad_decay"] = V.GDECAY_L2
    # the scalars are computed in C (adam_c_adam_default)
    return Rule("adam", ops, None, c_scalars="adam")


def native_rmsprop(momentum=0.0, centered=False, weight_decay=0.0, maximize=False):
    """adamkit's RMSProp: epsilon outside the root (Tieleman & Hinton; PyTorch).

    ms <- ms + (g^2 - ms)(1 - rho);  [mg <- mg + (g - mg)(1 - rho); w = ms - mg^2]
    u = (g * lr) / (sqrt(w) + eps);  momentum: b <- mu b + u, p <- p - b;  else p <- p - u.
    """
    ops = {"denom": V.RD_SQRT_EPS, "maximize": int(maximize)}
    if momentum:
        ops["momentum"] = V.MOM_ACC
    if centered:
        ops["center"] = V.C_LERP
    if weight_decay:
        ops["grad_decay"] = V.GDECAY_L2
    # the scalars are computed in C (adam_c_rmsprop_default)
    return Rule("rmsprop", ops, None, c_scalars="rmsprop")
