"""OpenBLAS's kernels as the presets need them: where a BLAS axpy stops fusing, and the
summation order of a dot product (squared norms for gradient clipping).

The frameworks that call BLAS (Caffe, Lua Torch7, Chainer through NumPy) get the bits of
whichever kernel OpenBLAS picked for the CPU. These are OpenBLAS 0.3.20/0.3.21's Haswell
kernels (conformance/notes/golden-recipes.md, chainer-recipes.md).
"""

import numpy as np

from ._floats import F, fmaf


def axpy_split(n, f32):
    """Where OpenBLAS's Haswell axpy kernel stops fusing: its vector body covers
    ``[0, n & -32)`` for float32 and ``[0, n & -16)`` for float64 with FMA; the scalar C
    tail after it multiplies and adds separately."""
    return n & -32 if f32 else n & -16


_fmaf = np.vectorize(lambda a, b, c: fmaf(a, b, c), otypes=[np.float32])


def sdot_sq(x):
    """sum(x*x) as OpenBLAS's Haswell sdot computes it (float32): FMA into 4 x 8 lane
    accumulators over the first n & -32 elements, a fixed reduction tree, and the tail's
    float products accumulated in double."""
    n1 = x.size & -32
    acc = np.zeros((4, 8), np.float32)
    for k in range(0, n1, 32):
        blk = x[k:k + 32].reshape(4, 8)
        acc = _fmaf(blk, blk, acc)
    h = acc[:, :4] + acc[:, 4:]
    s = (h[0] + h[1]) + (h[2] + h[3])
    mydot = (s[0] + s[1]) + (s[2] + s[3])
    dot = 0.0
    for v in x[n1:]:
        dot += float(v * v)
    return F(dot + float(mydot))
