"""Input checks shared by the optimizer objects. Everything here runs before any write."""

import math
import numbers

import numpy as np


def check_real(name, value, lo=None, hi=None, lo_open=False, hi_open=False):
    """Check a finite real hyper-parameter within [lo, hi] (open ends as requested)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got an integer of "
                         f"{int(value).bit_length()} bits") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo}, got {value}")
    if hi is not None and (value > hi or (hi_open and value == hi)):
        raise ValueError(f"{name} must be {'<' if hi_open else '<='} {hi}, got {value}")
    return value


def check_beta(name, value):
    return check_real(name, value, 0.0, 1.0, hi_open=True)


def check_flag(name, value):
    """A switch: True or False (also NumPy's), or the ints 0 and 1. Strings such as
    "False", None and other numbers are refused (they would read as True or fail later)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be True or False (or 0/1), got {value!r}")


def check_pair(name, value, check=check_beta):
    """A pair such as betas=(beta1, beta2), each checked by ``check``."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"{name} must be a pair of reals, got {value!r}")
    return tuple(check(f"{name}[{i}]", v) for i, v in enumerate(value))


def check_lr(lr):
    """A learning rate: a real >= 0, or a callable schedule ``lr(t) -> float``."""
    if callable(lr):
        return lr
    return check_real("lr", lr, 0.0)


def lr_value(lr, t):
    """Evaluate a learning rate (float or schedule) at step count t and check it."""
    if callable(lr):
        value = lr(t)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"the learning-rate schedule returned {value!r} at t={t}")
        value = float(value)
        if not (math.isfinite(value) and value >= 0.0):
            raise ValueError(f"the learning-rate schedule returned {value} at t={t}; "
                             "it must be finite and >= 0")
        return value
    return lr
