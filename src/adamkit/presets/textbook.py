"""Textbook forms: the from-scratch NumPy Adam and CS231n's Adam and RMSProp.

NumPy arithmetic on arrays of the parameters' dtype, Python-float hyper-parameters (rounded
once to the dtype when they meet an array). Evidence: conformance/test_textbook.py runs
the NumPy code itself.
"""


from .. import _vocab as V
from .._rules import Rule
from ._floats import T, adam_scalars, rmsprop_scalars, sqrt64
from ._preset import Preset


def _scratch_scalars(hp, t, lr, f32):
    Tt = T(f32)
    b1, b2 = hp["beta1"], hp["beta2"]
    lr_t = lr * sqrt64(1.0 - b2 ** t) / (1.0 - b1 ** t)
    return adam_scalars(c1=Tt(1.0 - b1), c2=Tt(1.0 - b2), eps=Tt(hp["eps"]), alpha=Tt(lr_t))


def _cs231n_adam_scalars(hp, t, lr, f32):
    # x += -lr * m / (sqrt(v) + eps): p - ((m * lr) / d) = p + ((-lr * m) / d) exactly
    # (negation is exact), so the update is the plain p - u with alpha = lr
    Tt = T(f32)
    b1, b2 = hp["beta1"], hp["beta2"]
    return adam_scalars(b1=Tt(b1), c1=Tt(1.0 - b1), b2=Tt(b2), c2=Tt(1.0 - b2),
                        eps=Tt(hp["eps"]), alpha=Tt(lr))


def _cs231n_rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    d = hp["decay_rate"]
    return rmsprop_scalars(rho=Tt(d), c=Tt(1.0 - d), eps=Tt(hp["eps"]), lr=Tt(lr))


PRESETS = (
    Preset("numpy_scratch", "adam", "adam",
           lambda hp: Rule("adam", {"first": V.M_LERP, "second": V.V_LERP,
                                    "denom": V.D_SQRT_EPS}, _scratch_scalars),
           defaults={"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7}, lr_name="lr",
           aliases={"betas": ("beta1", "beta2")}, states={"m": "m", "v": "v"},
           api="from-scratch NumPy Adam: m += (1-b1)*(g-m); v += (1-b2)*(g*g-v); "
               "lr_t = lr*sqrt(1-b2**t)/(1-b1**t); p -= lr_t*m/(sqrt(v)+eps). float32 "
               "arrays under NumPy >= 2 compute the update in float64 (np.sqrt makes "
               "lr_t an np.float64, NEP 50): not reproduced; NumPy 1.x stays float32"),
    Preset("cs231n", "adam", "adam",
           lambda hp: Rule("adam", {"first": V.M_AXPBY, "second": V.V_AXPBY,
                                    "denom": V.D_SQRT_EPS}, _cs231n_adam_scalars),
           defaults={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
           lr_name="learning_rate", aliases={"lr": "learning_rate", "betas": ("beta1", "beta2")},
           states={"m": "m", "v": "v"},
           api="CS231n adam (no bias correction): m = b1*m + (1-b1)*dx; "
               "v = b2*v + (1-b2)*(dx**2); x += -lr * m / (sqrt(v) + eps)"),
    Preset("cs231n", "rmsprop", "rmsprop",
           lambda hp: Rule("rmsprop", {"square": V.MS_AXPBY, "denom": V.RD_SQRT_EPS},
                           _cs231n_rmsprop_scalars),
           defaults={"learning_rate": 1e-2, "decay_rate": 0.99, "eps": 1e-8},
           lr_name="learning_rate", aliases={"lr": "learning_rate", "alpha": "decay_rate"},
           states={"cache": "ms"},
           api="CS231n rmsprop: cache = d*cache + (1-d)*dx**2; "
               "x += -lr * dx / (sqrt(cache) + eps)"),
)
