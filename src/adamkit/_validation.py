"""Input checks shared by the optimizer objects. Everything here runs before any write."""

import math
import numbers

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_array_list(x, what):
    """Return ``(list_of_arrays, was_single)`` for one ndarray or a sequence of them."""
    if isinstance(x, np.ndarray):
        return [x if type(x) is np.ndarray else x.view(np.ndarray)], True
    if isinstance(x, (list, tuple)):
        for i, a in enumerate(x):
            if not isinstance(a, np.ndarray):
                raise TypeError(f"{what}[{i}] must be a numpy.ndarray, got {type(a).__name__}")
        # subclasses (np.matrix, masked arrays) are updated through a plain view of their data
        return [a if type(a) is np.ndarray else a.view(np.ndarray) for a in x], False
    raise TypeError(f"{what} must be a numpy.ndarray or a list of them, got {type(x).__name__}")


def check_pairs(params, grads):
    """Check params/grads pairwise: dtype, shape, contiguity, writeability, aliasing."""
    if len(params) != len(grads):
        raise ValueError(f"got {len(params)} parameter arrays but {len(grads)} gradients")
    for i, (p, g) in enumerate(zip(params, grads)):
        if p.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"params[{i}] has dtype {p.dtype}; adamkit updates float32 or "
                            "float64 arrays in place (convert with astype first)")
        if g.dtype != p.dtype:
            raise TypeError(f"grads[{i}] has dtype {g.dtype} but params[{i}] has {p.dtype}; "
                            "they must match (no silent casts)")
        if g.shape != p.shape:
            raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has {p.shape}")
        if not p.flags.c_contiguous:
            raise ValueError(f"params[{i}] is not C-contiguous; updates happen in place, so "
                             "pass a contiguous array (np.ascontiguousarray makes a copy)")
        if not g.flags.c_contiguous:
            raise ValueError(f"grads[{i}] is not C-contiguous")
        if not (p.flags.aligned and g.flags.aligned):
            raise ValueError(f"params[{i}] or grads[{i}] is not aligned to its dtype; "
                             "pass an aligned copy")
        if not p.flags.writeable:
            raise ValueError(f"params[{i}] is read-only")
    buffers = [(f"params[{i}]", p) for i, p in enumerate(params) if p.size]
    buffers += [(f"grads[{i}]", g) for i, g in enumerate(grads) if g.size]
    check_no_overlap(buffers, only_with_prefix="params")


def check_no_overlap(named, only_with_prefix=None):
    """Raise if two contiguous buffers overlap (their byte ranges intersect)."""
    spans = []
    for name, a in named:
        start = a.__array_interface__["data"][0]
        spans.append((start, start + a.nbytes, name))
    spans.sort()
    for i in range(len(spans)):
        s0, e0, n0 = spans[i]
        for j in range(i + 1, len(spans)):
            s1, e1, n1 = spans[j]
            if s1 >= e0:
                break
            if only_with_prefix and not (n0.startswith(only_with_prefix)
                                         or n1.startswith(only_with_prefix)):
                continue
            raise ValueError(f"{n0} and {n1} share memory; an in-place update needs "
                             "distinct buffers")


def check_real(name, value, lo=None, hi=None, lo_open=False, hi_open=False):
    """Check a finite real hyper-parameter within [lo, hi] (open ends as requested)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo}, got {value}")
    if hi is not None and (value > hi or (hi_open and value == hi)):
        raise ValueError(f"{name} must be {'<' if hi_open else '<='} {hi}, got {value}")
    return value


def check_beta(name, value):
    return check_real(name, value, 0.0, 1.0, hi_open=True)


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
