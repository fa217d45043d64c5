"""Scalar arithmetic as frameworks do it, for the presets' scalar recipes.

Python floats are doubles; float32 operations go through ``np.float32``, which rounds every
operation once. glibc's powf/expf/cosf are called directly: frameworks built on C float
math use them, and they are not correctly rounded, so NumPy's float32 power (another
algorithm) would differ in the last bit.

Every helper here also takes the recorded values of a recipe being compiled
(``_recipe.Sym``: ``t``, ``lr`` and what is computed from them) and records the operation
instead (presets/_recipe.py), so a recipe written with them runs in C at every step. ``F``
and ``T(f32)`` are such helpers, not ``np.float32``/``float`` themselves: test a
schedule's or an array's type against ``np.float32``, never with ``is F``.
"""

import ctypes
import ctypes.util
import math

import numpy as np

from ._recipe import Sym, call, to32, to_py

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _name, _type, _args in (("powf", ctypes.c_float, 2), ("expf", ctypes.c_float, 1),
                            ("cosf", ctypes.c_float, 1), ("fmaf", ctypes.c_float, 3),
                            ("pow", ctypes.c_double, 2), ("fma", ctypes.c_double, 3)):
    getattr(_libm, _name).restype = _type
    getattr(_libm, _name).argtypes = [_type] * _args


class _Type:
    """A scalar type as recipes use it: ``np.float32`` (``F``) or ``float``: called, it
    converts (and records the conversion of a value of a compiled recipe, _recipe.Sym);
    as a dtype it is float32 or float64."""

    __slots__ = ("make", "dtype", "f32")

    def __init__(self, make, f32):
        self.make, self.f32 = make, f32
        self.dtype = np.dtype(np.float32 if f32 else np.float64)

    def __call__(self, x):
        if type(x) is Sym:
            return to32(x) if self.f32 else to_py(x)
        return self.make(x)

    def __repr__(self):
        return "F" if self.f32 else "float"


F = _Type(np.float32, True)
_PY = _Type(float, False)


def _libm_call(name, f32):
    fn = getattr(_libm, name)

    def call_(*args):
        if any(type(a) is Sym for a in args):
            return call(name[:-1] if f32 else name, *args, f32=f32, kind="py")
        return fn(*(float(a) for a in args))
    call_.__name__ = name
    return call_


powf, expf, cosf, fmaf = (_libm_call(n, True) for n in ("powf", "expf", "cosf", "fmaf"))
pow_, fma_ = _libm_call("pow", False), _libm_call("fma", False)


def sqrt64(x):
    """math.sqrt (recorded for a compiled recipe's values)."""
    return call("sqrt", x, f32=False) if type(x) is Sym else math.sqrt(x)


def T(f32):
    """The buffer type's scalar constructor: np.float32 or float."""
    return F if f32 else _PY


def r32(x):
    """The float32 nearest to x, as a Python float."""
    return to_py(to32(x)) if type(x) is Sym else float(np.float32(x))


def f64(x):
    """float(x) (recorded for a compiled recipe's values)."""
    return to_py(x) if type(x) is Sym else float(x)


def rounder(f32):
    """The rounding of a Python float to the buffer type, returned as a Python float."""
    return r32 if f32 else f64


def powT(x, y, f32):
    """pow in the buffer type: glibc powf for float32, pow for float64."""
    return F(powf(x, y)) if f32 else pow_(x, y)


def fmaT(a, b, c, f32):
    """fma in the buffer type."""
    return F(fmaf(a, b, c)) if f32 else fma_(a, b, c)


def mkl_sqrt(x, f32, hp):
    """One scalar through the kernels' MKL sqrt (PyTorch's CPU torch.sqrt), with the
    estimate the preset's ``estimate``/``portable`` options ask for (a Python float)."""
    from .._kernels import mkl_sqrt, mkl_sqrt_portable
    host, portable = hp["estimate"] == "host", bool(hp["portable"])
    if type(x) is Sym:
        return call("mklsqrt", x, f32=f32, kind="py",
                    c=1 + mkl_sqrt_portable(host, portable))
    return mkl_sqrt(float(x), f32, host, portable)


_TINY = {True: float(np.finfo(np.float32).tiny), False: float(np.finfo(np.float64).tiny)}


def ftz(x, f32):
    """Flush a scalar below the smallest normal to a zero of the same sign (TensorFlow's
    and XLA's CPU kernels run with flush-to-zero)."""
    if type(x) is Sym:
        return Sym(x.tape, x.tape.emit("ftz32" if f32 else "ftz64", x.r), x.kind)
    return x if abs(x) >= _TINY[f32] or x != x else T(f32)(math.copysign(0.0, x))


def adam_scalars(**kw):
    """An Adam scalar set: the recipe's values, and the neutral ones it does not use."""
    out = {"gmul": 1.0, "gdiv": 1.0, "s": 1.0, "k": 1.0, "dk": 1.0}
    out.update({k: v if type(v) is Sym else float(v) for k, v in kw.items()})
    return out


def rmsprop_scalars(**kw):
    """An RMSProp scalar set: the recipe's values, and the neutral ones it does not use."""
    out = {"gmul": 1.0, "gdiv": 1.0, "dk": 1.0}
    out.update({k: v if type(v) is Sym else float(v) for k, v in kw.items()})
    return out
