"""Sums as frameworks reduce a float vector (the squared norms of gradient clipping)."""

import numpy as np

from ._floats import T


def sum_eigen(x, f32):
    """Eigen's vectorized sum (TensorFlow's reduction of a float tensor, n <= 1024 packets):
    four packet accumulators over blocks of 4 packets, combined ((A0+A1)+A2)+A3, the
    remaining whole packets added to A0, a halving horizontal sum, and the leftover
    scalars summed from 0 and added last (conformance/notes/keras-recipes.md)."""
    Tt = T(f32)
    P = 8 if f32 else 4
    n = x.size
    acc = np.zeros(P, x.dtype)
    npk = n // P
    if n >= 4 * P:
        blocks = n // (4 * P)
        a = x[: blocks * 4 * P].reshape(blocks, 4, P)
        A = a[0].copy()
        for blk in a[1:]:
            A = A + blk
        acc = ((A[0] + A[1]) + A[2]) + A[3]
        for k in range(blocks * 4, npk):
            acc = acc + x[k * P:(k + 1) * P]
    elif npk:
        acc = x[:P].copy()
        for k in range(1, npk):
            acc = acc + x[k * P:(k + 1) * P]
    while acc.size > 1:
        half = acc.size // 2
        acc = acc[:half] + acc[half:]
    s = Tt(0.0)
    for v in x[npk * P:]:
        s = s + v
    return s + acc[0] if npk else s


def sum_xla(x, f32):
    """XLA CPU's reduction: windows of 32 (zero-padded, half the padding in front), each
    summed left to right from 0, then the window sums reduced the same way."""
    Tt = T(f32)
    if x.size <= 32:
        s = Tt(0.0)
        for v in x:
            s = s + v
        return s
    total = 32 * -(-x.size // 32)
    front = (total - x.size) // 2
    y = np.concatenate([np.zeros(front, x.dtype), x, np.zeros(total - x.size - front, x.dtype)])
    return sum_xla(np.array([sum_xla(w, f32) for w in y.reshape(-1, 32)], x.dtype), f32)
