"""Update rules: which rounding sequence (ops) and how each step's scalars are computed.

A rule is data plus one small function. ``ops`` selects, field by field, the exact IEEE
operation sequence of the C core (``adam_c/include/adam_c.h``); ``scalars(hp, t, lr, f32)``
returns this step's scalars given the hyper-parameters ``hp``, the step number ``t``
(1 at the first update), the learning rate in force and whether the buffers are float32.

This module holds adamkit's own ("native") rules; ``adamkit.presets`` adds one per
framework, from its table.
"""

import dataclasses
import math
from typing import Callable

import numpy as np

from . import _kernels as K

# adam_c.h enum values, by name (the header is the source of truth; a test parses it).
M_LERP, M_AXPBY, M_LERP_FMA, M_SCAL_FMA, M_AXPBY_FMA, M_LERP_FMA_HI = range(6)
(V_LERP, V_AXPBY, V_AXPBY_CG, V_SCAL_FMA, V_AXPBY_FMA, V_MAX, V_MAX_EPS, V_SCAL_ADDCMUL,
 V_SCAL_FMA_CG, V_FMA_SCAL_CG, V_LERP_FMA2) = range(11)
NUM_M, NUM_NESTEROV, NUM_NADAM, NUM_NADAM_FMA = range(4)
(D_SQRT_EPS, D_SQRT_BC_EPS, D_BC_SQRT_EPS, D_POW_EPS, D_EPS, D_NONE, D_MULBC_SQRT_EPS,
 D_FMABC_SQRT_EPS) = range(8)
U_MUL_DIV, U_DIV, U_SCALE_DIV, U_BC_DIV, U_SCALE_DIV_CLIP, U_MUL_DIV_DSCALE = range(6)
(P_SUB, P_SUB_SCALED, P_DECAY_SUB, P_ADDWD_SUB, P_SUB_SCALED_L1L2, P_FMA,
 P_ADDWD_FMA) = range(7)
SQRT_IEEE, SQRT_MKL_EX = range(2)
GSCALE_NONE, GSCALE_MUL, GSCALE_MULDIV, GSCALE_MULMUL = range(4)
GDECAY_NONE, GDECAY_L2, GDECAY_L2_FMA, GDECAY_L1_FMA, GDECAY_L1 = range(5)
GCLIP_NONE, GCLIP_VALUE = range(2)
DECOUPLED_NONE, DECOUPLED_MUL, DECOUPLED_SUBMUL, DECOUPLED_FMA = range(4)
(MS_LERP, MS_AXPBY, MS_AXPBY_CG, MS_SCAL_FMA, MS_SCAL_FMA_POW, MS_AXPBY_FMA, MS_SCAL_ADDCMUL,
 MS_SCAL_FMA_CG, MS_AXPBY_POW) = range(9)
C_NONE, C_LERP, C_AXPBY, C_LERP_FMA, C_SCAL_FMA, C_AXPBY_FMA = range(6)
VAR_SUB, VAR_FMA, VAR_SUB_EPS = range(3)
RD_SQRT_EPS_IN, RD_SQRT_EPS, RD_POW_EPS, RD_MAX_SQRT, RD_EPS_SUB_SQRT, RD_EPS_FIRST_SQRT = range(6)
(RU_MUL_DIV, RU_SCALE_OF_DIV, RU_DIV, RU_RSQRT_MUL, RU_RECIP_MUL, RU_X_RSQRT_TF, RU_X_RSQRT_IEEE,
 RU_G_LRRSQRT_TF, RU_G_LRRSQRT_IEEE, RU_X_RSQRT_XLA, RU_MUL_DIV_DSCALE) = range(11)
(MOM_NONE, MOM_ACC, MOM_ACC_FMA, MOM_DELTA, MOM_SCALED, MOM_FMA, MOM_TRACE, MOM_TRACE_FMA,
 MOM_ACC_FMA2, MOM_FMA_XRS) = range(10)


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
    tail_ops: dict = None
    split: Callable = None
    prepare: Callable = None      # (hp, grads) -> values of this step that need all grads
    c_scalars: str = None         # a C function computing `scalars` (_kernels.C_SCALARS)

    def _make(self, ops):
        if self.family == "adam":
            return K.AdamKernel(dict(ops))
        return K.RMSPropKernel(dict(ops))

    def kernel(self):
        return self._make(self.ops)

    def tail_kernel(self):
        return None if self.tail_ops is None else self._make({**self.ops, **self.tail_ops})


# ---------------------------------------------------------------------------------------
# adamkit's own rules. Scalars: 1 - beta, beta^t and the bias corrections in double,
# each rounded once to the buffer type.
# ---------------------------------------------------------------------------------------

def _native_adam_scalars(hp, t, lr, f32):
    r = rounder(f32)
    b1, b2, wd = hp["b1"], hp["b2"], hp["weight_decay"]
    bc1 = 1.0 - b1 ** t
    bc2 = 1.0 - b2 ** t
    return {
        "b1": r(b1), "c1": r(1.0 - b1), "b2": r(b2), "c2": r(1.0 - b2), "eps": r(hp["eps"]),
        "alpha": r(lr / bc1), "bc1": r(bc1), "bc2": r(math.sqrt(bc2)), "wd": r(wd),
        "dk": r(1.0 - lr * wd), "s": 1.0, "k": 1.0, "gmul": 1.0, "gdiv": 1.0,
    }


def native_adam(amsgrad=False, nesterov=False, decoupled=False, weight_decay=0.0,
                maximize=False, adamax=False):
    """adamkit's Adam: Kingma & Ba's Algorithm 1 (epsilon outside the bias-corrected root).

    m <- m + (g - m)(1 - b1);  v <- v + (g^2 - v)(1 - b2);
    p <- p - (m * lr/(1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps).
    AdaMax: u <- max(b2 u, |g| + eps);  p <- p - (m * lr/(1 - b1^t)) / u.
    """
    ops = {"denom": D_SQRT_BC_EPS, "amsgrad": int(amsgrad), "maximize": int(maximize)}
    if nesterov:
        ops["numer"] = NUM_NESTEROV
    if adamax:
        ops.update(second=V_MAX_EPS, denom=D_NONE)
    if weight_decay:
        if decoupled:
            ops["decoupled"] = DECOUPLED_MUL
        else:
            ops["grad_decay"] = GDECAY_L2
    # the optimizers compute these scalars in C (adam_c_adam_default); tests check that the
    # two agree bit for bit
    return Rule("adam", ops, _native_adam_scalars, c_scalars="adam")


def _native_rmsprop_scalars(hp, t, lr, f32):
    r = rounder(f32)
    rho = hp["alpha"]
    return {"rho": r(rho), "c": r(1.0 - rho), "eps": r(hp["eps"]), "lr": r(lr),
            "mu": r(hp["momentum"]), "wd": r(hp["weight_decay"]), "gmul": 1.0, "gdiv": 1.0,
            "dk": 1.0}


def native_rmsprop(momentum=0.0, centered=False, weight_decay=0.0, maximize=False):
    """adamkit's RMSProp: epsilon outside the root (Tieleman & Hinton; PyTorch).

    ms <- ms + (g^2 - ms)(1 - rho);  [mg <- mg + (g - mg)(1 - rho); w = ms - mg^2]
    u = (g * lr) / (sqrt(w) + eps);  momentum: b <- mu b + u, p <- p - b;  else p <- p - u.
    """
    ops = {"denom": RD_SQRT_EPS, "maximize": int(maximize)}
    if momentum:
        ops["momentum"] = MOM_ACC
    if centered:
        ops["center"] = C_LERP
    if weight_decay:
        ops["grad_decay"] = GDECAY_L2
    return Rule("rmsprop", ops, _native_rmsprop_scalars, c_scalars="rmsprop")
