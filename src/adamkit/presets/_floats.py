"""Scalar arithmetic as frameworks do it, for the presets' scalar recipes.

Python floats are doubles; float32 operations go through ``np.float32``, which rounds every
operation once. glibc's powf/expf/cosf are called directly: frameworks built on C float
math use them, and they are not correctly rounded, so NumPy's float32 power (another
algorithm) would differ in the last bit.
"""

import ctypes
import ctypes.util
import math

import numpy as np

F = np.float32

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _name, _type, _args in (("powf", ctypes.c_float, 2), ("expf", ctypes.c_float, 1),
                            ("cosf", ctypes.c_float, 1), ("fmaf", ctypes.c_float, 3),
                            ("pow", ctypes.c_double, 2), ("fma", ctypes.c_double, 3)):
    getattr(_libm, _name).restype = _type
    getattr(_libm, _name).argtypes = [_type] * _args

powf, expf, cosf, fmaf = _libm.powf, _libm.expf, _libm.cosf, _libm.fmaf
pow_, fma_ = _libm.pow, _libm.fma


def T(f32):
    """The buffer type's scalar constructor: np.float32 or float."""
    return F if f32 else float


def r32(x):
    """The float32 nearest to x, as a Python float."""
    return float(F(x))


def rounder(f32):
    """The rounding of a Python float to the buffer type, returned as a Python float."""
    return (lambda x: float(F(x))) if f32 else float


def powT(x, y, f32):
    """pow in the buffer type: glibc powf for float32, pow for float64."""
    return F(powf(float(x), float(y))) if f32 else pow_(float(x), float(y))


def fmaT(a, b, c, f32):
    """fma in the buffer type."""
    return F(fmaf(float(a), float(b), float(c))) if f32 else fma_(a, b, c)


def mkl_sqrt(x, f32, hp):
    """One scalar through the kernels' MKL sqrt (PyTorch's CPU torch.sqrt), with the
    estimate the preset's ``estimate``/``portable`` options ask for."""
    from .._kernels import mkl_sqrt
    return mkl_sqrt(x, f32, hp["estimate"] == "host", bool(hp["portable"]))


_TINY = {True: float(np.finfo(np.float32).tiny), False: float(np.finfo(np.float64).tiny)}


def ftz(x, f32):
    """Flush a scalar below the smallest normal to a zero of the same sign (TensorFlow's
    and XLA's CPU kernels run with flush-to-zero)."""
    return x if abs(x) >= _TINY[f32] or x != x else T(f32)(math.copysign(0.0, x))


def adam_scalars(**kw):
    """An Adam scalar set: the recipe's values, and the neutral ones it does not use."""
    out = {"gmul": 1.0, "gdiv": 1.0, "s": 1.0, "k": 1.0, "dk": 1.0}
    out.update({k: float(v) for k, v in kw.items()})
    return out


def rmsprop_scalars(**kw):
    """An RMSProp scalar set: the recipe's values, and the neutral ones it does not use."""
    out = {"gmul": 1.0, "gdiv": 1.0, "dk": 1.0}
    out.update({k: float(v) for k, v in kw.items()})
    return out
