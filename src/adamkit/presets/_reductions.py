"""Sums as frameworks reduce a float vector (the squared norms of gradient clipping)."""

import numpy as np

from ._floats import T


def eigen_threads(n, f32, nthreads):
    """How many blocks Eigen's FullReducer splits a sum of n elements into on a thread pool
    of nthreads (TensorCostModel: cost n * (sizeof(T) * 11/64 + 10/P) cycles, one thread
    per 100000 beyond the first 100000, rounded at 0.9): 2 threads from 108388 float32 and
    54194 float64 elements on (measured on TensorFlow 2.21)."""
    cost = n * ((4 if f32 else 8) * 11.0 / 64 + 10.0 / (8 if f32 else 4))
    return min(nthreads, max(1, int((cost - 100000.0) / 100000.0 + 0.9)))


def sum_eigen(x, f32, nthreads=1):
    """Eigen's vectorized sum (TensorFlow's reduction of a float tensor): up to 1024 packets
    (kLeafSize), four packet accumulators over blocks of 4 packets, combined
    ((A0+A1)+A2)+A3, the remaining whole packets added to A0, a halving horizontal sum, and
    the leftover scalars summed from 0 and added last; more than 1024 packets, the tree
    reduction: split at the packet boundary after the middle, (0 + left) + right, each half
    the same way. On a pool of nthreads (TensorFlow's intra-op threads) a large sum is cut
    into eigen_threads() blocks of floor(n / k) elements, each a tree, the rest of the
    elements summed as one more tree, then the blocks added to the rest in order
    (conformance/notes/keras-recipes.md)."""
    P = 8 if f32 else 4
    Tt = T(f32)
    x = np.asarray(x).reshape(-1)

    def tree(first, n):
        if n <= P * 1024:
            return _eigen_leaf(x[first:first + n], f32)
        split = P * -(-(first + -(-n // 2)) // P)
        left = min(split - first, n)
        acc = Tt(0.0) + tree(first, left)
        return acc + tree(split, n - left) if left < n else acc
    n = x.size
    k = eigen_threads(n, f32, nthreads)
    if k == 1:
        return tree(0, n)
    size = int(np.floor(np.float32(n) / np.float32(k)))
    blocks = n // size
    total = tree(blocks * size, n - blocks * size) if blocks * size < n else Tt(0.0)
    for i in range(blocks):
        total = total + tree(i * size, size)
    return total


def _eigen_leaf(x, f32):
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


#: XLA CPU (jaxlib 0.10.2) hands a reduction of this many elements or more to YNNPACK (a
#: "ynn_fusion"), whose summation order is not reproduced
XLA_YNN_MIN = 4096


def sum_xla(x, f32):
    """XLA CPU's reduction of an array (all its dimensions) to one value, below XLA_YNN_MIN
    elements: TreeReductionRewriter windows every dimension longer than 32 by min(d, 32)
    (zero-padded, half the padding in front), each window summed from 0 in row-major
    order, and the windowed array reduced the same way; once no dimension is longer than
    32, the elements summed from 0 in row-major order."""
    Tt = T(f32)
    x = np.asarray(x, dtype=Tt)
    if all(d <= 32 for d in x.shape):
        return _seq(x.reshape(-1), Tt)
    win = [min(d, 32) for d in x.shape]
    out = [-(-d // w) for d, w in zip(x.shape, win)]
    pad = [(o * w - d) for d, w, o in zip(x.shape, win, out)]
    y = np.pad(x, [(p // 2, p - p // 2) for p in pad])
    nd = x.ndim
    y = y.reshape([v for o, w in zip(out, win) for v in (o, w)])
    y = y.transpose(list(range(0, 2 * nd, 2)) + list(range(1, 2 * nd, 2)))
    windows = y.reshape(int(np.prod(out)), -1)
    sums = np.array([_seq(w, Tt) for w in windows], dtype=Tt)
    return sum_xla(sums.reshape(out), f32)


def _seq(v, Tt):
    s = Tt(0.0)
    for e in v:
        s = s + e
    return s


# -- ATen (PyTorch 2.13 CPU): torch.sum of a contiguous float tensor to one value -----------

#: ATen's grain: sums of fewer elements run on one thread (at::internal::GRAIN_SIZE)
ATEN_GRAIN = 32768


def _aten_multi_row_sum(rows, Tt):
    """ATen's multi_row_sum over ``rows`` (r, 4, ...): four levels of accumulators, each
    level_step = 2**max(4, CeilLog2(r) // 4) rows added to level 0, then carried up; returns
    the four partial sums (4, ...)."""
    r = rows.shape[0]
    power = max(4, (1 if r <= 2 else int(r - 1).bit_length()) // 4)
    step, mask = 1 << power, (1 << power) - 1
    zero = np.zeros(rows.shape[1:], Tt)
    acc = [zero.copy() for _ in range(4)]
    i = 0
    while i + step <= r:
        for _ in range(step):
            acc[0] = (acc[0] + rows[i]).astype(Tt)
            i += 1
        for j in range(1, 4):
            acc[j] = (acc[j] + acc[j - 1]).astype(Tt)
            acc[j - 1] = zero.copy()
            if i & (mask << (j * power)):
                break
    for k in range(i, r):
        acc[0] = (acc[0] + rows[k]).astype(Tt)
    for j in range(1, 4):
        acc[0] = (acc[0] + acc[j]).astype(Tt)
    return acc[0]


def _aten_row_sum(items, Tt):
    """ATen's row_sum (ILP 4): rows of 4 items through multi_row_sum, the leftover items
    added to the first partial sum, then the partial sums added in order."""
    s = items.shape[0]
    r = s // 4
    part = _aten_multi_row_sum(items[:4 * r].reshape((r, 4) + items.shape[1:]), Tt)
    p = [part[k].copy() for k in range(4)]
    for i in range(4 * r, s):
        p[0] = (p[0] + items[i]).astype(Tt)
    for k in range(1, 4):
        p[0] = (p[0] + p[k]).astype(Tt)
    return p[0]


def _aten_serial(x, Tt):
    """One thread's cascade_sum: V-lane vectors (V = 32 bytes of the AVX2 build, the kernel
    an AVX-512 CPU runs too) through row_sum lane-wise, then from 0 the scalar tail in order
    and the lanes in order; fewer than V elements: row_sum over the scalars."""
    V = 32 // x.itemsize
    m = x.size
    if m < V:
        return Tt(_aten_row_sum(x, Tt))
    q = m // V
    vec = _aten_row_sum(x[:q * V].reshape(q, V), Tt)
    total = Tt(0)
    for v in x[q * V:]:
        total = Tt(total + v)
    for v in vec:
        total = Tt(total + v)
    return total


def sum_aten(x, f32, nthreads=1):
    """torch.sum of a float32/float64 vector as PyTorch 2.13's CPU kernel adds it
    (SumKernel.cpp cascade_sum; parallel_reduce's two passes): serial below ATEN_GRAIN
    elements or on one thread, else k = min(nthreads, ceil(n / grain)) chunks of ceil(n / k)
    elements, each summed serially into its own slot of nthreads zeros, the slots summed
    serially; the result is added to a zero. Verified against torch.sum on 361,404 sums."""
    Tt = T(f32)
    x = np.ascontiguousarray(x, dtype=Tt).reshape(-1)
    n = x.size
    with np.errstate(all="ignore"):
        if n < ATEN_GRAIN or nthreads <= 1:
            return Tt(Tt(0) + _aten_serial(x, Tt))
        k = min(nthreads, -(-n // ATEN_GRAIN))
        chunk = -(-n // k)
        slots = np.zeros(nthreads, Tt)
        for t in range(k):
            if t * chunk < n:
                slots[t] = Tt(slots[t] + _aten_serial(x[t * chunk:(t + 1) * chunk], Tt))
        return Tt(Tt(0) + _aten_serial(slots, Tt))
