"""Scalar arithmetic of the frameworks' learning-rate schedules, and the pieces every
framework's ``# -- schedules --`` section shares.

A schedule here is a plain function ``rate(t) -> float`` (``t`` = steps already taken);
``adamkit.schedules`` wraps them as composable objects. Each operation is done in the
framework's dtype, rounded once, as the framework's kernel does it: ``np.float32`` for
float32 arithmetic, Python floats for float64, and glibc's libm (``powf``, ``cosf``,
``logf``, ``expf``, ``pow``, ...) for the functions whose CPU kernels call it on a scalar.
"""

import ctypes
import math

import numpy as np

from ._floats import _libm

F = np.float32
D = np.float64

for _name, _type, _args in (("logf", ctypes.c_float, 1), ("log", ctypes.c_double, 1),
                            ("cos", ctypes.c_double, 1), ("exp", ctypes.c_double, 1),
                            ("powf", ctypes.c_float, 2), ("cosf", ctypes.c_float, 1),
                            ("expf", ctypes.c_float, 1), ("pow", ctypes.c_double, 2)):
    getattr(_libm, _name).restype = _type
    getattr(_libm, _name).argtypes = [_type] * _args


def ftz(x):
    """Flush a subnormal NumPy scalar to a zero of its sign (kernels run with FTZ/DAZ)."""
    return x if x != x or abs(x) >= np.finfo(type(x)).tiny else type(x)(math.copysign(0.0, x))


class Libm:
    """glibc's scalar functions in one dtype (float32: powf/cosf/expf/logf), taking and
    returning that dtype's NumPy scalars; ``flush``: results below the smallest normal
    become zeros (TensorFlow's and XLA's CPU kernels run with flush-to-zero)."""

    def __init__(self, dtype, flush=False):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
        self.T = F if self.dtype == np.float32 else D
        f32 = self.T is F
        self._pow = _libm.powf if f32 else _libm.pow
        self._cos = _libm.cosf if f32 else _libm.cos
        self._exp = _libm.expf if f32 else _libm.exp
        self._log = _libm.logf if f32 else _libm.log
        self.z = ftz if flush else (lambda x: x)

    def pow(self, x, y):
        return self.z(self.T(self._pow(float(x), float(y))))

    def cos(self, x):
        return self.z(self.T(self._cos(float(x))))

    def exp(self, x):
        return self.z(self.T(self._exp(float(x))))

    def log(self, x):
        return self.z(self.T(self._log(float(x))))


def check_dtype(dtype):
    dtype = str(np.dtype(dtype))
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dtype


def positive_steps(name, value):
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


class Recursion:
    """A recursion ``x_{t+1} = f(t, x_t)`` seen as a pure function of ``t``: computed from
    ``x_0`` once, values cached (so ``rate(t)`` for any ``t`` in any order is the same)."""

    def __init__(self, x0, step):
        self._values = [x0]
        self._step = step

    def __call__(self, t):
        t = int(t)
        if t < 0:
            raise ValueError(f"t must be >= 0, got {t}")
        values, step = self._values, self._step
        while len(values) <= t:
            values.append(step(len(values) - 1, values[-1]))
        return values[t]


def unknown(framework, name, known):
    return ValueError(f"{framework}: no schedule {name!r}; known: {sorted(known)}")


__all__ = ["F", "D", "Libm", "ftz", "Recursion", "check_dtype", "math", "positive_steps", "unknown"]
