# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Cython binding of the adam_c kernels: buffers in, threads, GIL released.

Design:
  a. No arithmetic here. The C core (adam_c/) does every floating-point operation; this
     module only checks buffers, splits [0, n) into chunks and runs the chunks under an
     OpenMP ``prange`` with the GIL released.
  b. Every element's update depends on that element alone, so the result is bit-identical
     for every thread count and chunking. Chunks are whole multiples of 64 elements (a
     cache line of float64 x 8) so threads never share a cache line of any buffer.
  c. Below ``SERIAL_THRESHOLD_BYTES`` per stream a call stays serial: starting an OpenMP
     region costs more than it saves on small arrays (measured by ``python -m adamkit
     bench``; docs/performance.md).
  d. Kernel objects hold the ops (which rounding sequence) and the scalars (this step's
     hyper-parameters); optimizer objects (_optim.py) compute the scalars and own the state.
"""

from cython.parallel cimport prange
from libc.stdlib cimport malloc, free, qsort
from libc.stdint cimport uintptr_t

from ._c_adam cimport (
    adam_c_adam_ops, adam_c_adam_scalars, adam_c_rmsprop_ops, adam_c_rmsprop_scalars,
    adam_c_adam_f32, adam_c_adam_f64, adam_c_rmsprop_f32, adam_c_rmsprop_f64,
    adam_c_adam_ops_check, adam_c_rmsprop_ops_check, adam_c_strerror, adam_c_adam_default,
    adam_c_adam_is_specialized_f32, adam_c_adam_is_specialized_f64,
    adam_c_rmsprop_is_specialized_f32, adam_c_rmsprop_is_specialized_f64,
)

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define ADAMKIT_OPENMP 1
    #else
    #define ADAMKIT_OPENMP 0
    static int omp_get_max_threads(void) { return 1; }
    #endif
    """
    int ADAMKIT_OPENMP
    int omp_get_max_threads() nogil

ctypedef fused floating:
    float
    double

#: Arrays of fewer bytes per stream than this run on one thread: two threads only break
#: even near 64 KiB per stream here (docs/performance.md: 1e4-3e4 float32 elements,
#: 3e3-1e4 float64), and starting an OpenMP region costs 0.2-0.4 us.
SERIAL_THRESHOLD_BYTES = 65536
SERIAL_THRESHOLD = {"float32": SERIAL_THRESHOLD_BYTES // 4,
                    "float64": SERIAL_THRESHOLD_BYTES // 8}
cdef Py_ssize_t _SERIAL_BYTES = SERIAL_THRESHOLD_BYTES
cdef Py_ssize_t _ALIGN = 64

#: RMSProp momentum modes that keep a momentum buffer (adam_c.h ADAM_C_MOM_*).
_MOM_BUFFER = (1, 2, 3, 6, 7, 8)

#: Must agree with adam_c_status in adam_c.h (tests/test_kernels.py parses the header).
STATUS = {"ADAM_C_OK": 0, "ADAM_C_ENULL": -1, "ADAM_C_EOPS": -2}

ADAM_OPS_FIELDS = ("maximize", "grad_scale", "grad_decay", "grad_clip", "decoupled", "first",
                   "second", "amsgrad", "numer", "denom", "step", "apply", "sqrt_kind",
                   "ftz")
ADAM_SCALAR_FIELDS = ("b1", "c1", "b2", "c2", "eps", "eps_root", "alpha", "bc1", "bc1n",
                      "bc2", "s", "k", "gmul", "gdiv", "wd", "clip", "dk", "dlr", "l1", "l2",
                      "lo", "hi", "dscale")
RMSPROP_OPS_FIELDS = ("maximize", "grad_scale", "grad_decay", "grad_clip", "decoupled",
                      "square", "center", "denom", "step", "momentum", "variance",
                      "sqrt_kind", "ftz")
RMSPROP_SCALAR_FIELDS = ("rho", "c", "eps", "lr", "mu", "gmul", "gdiv", "wd", "clip", "dk",
                         "dlr", "dscale")


cdef extern from "adam_c_internal.h" nogil:
    float adam_c_mkl_sqrt_f32(float x)
    double adam_c_mkl_sqrt_f64(double x)
    int ADAM_C_HAVE_RSQRT


def mkl_sqrt(double x, bint f32):
    """One scalar through the kernels' ADAM_C_SQRT_MKL_EX square root (PyTorch's CPU
    torch.sqrt on AMD Zen; correctly rounded sqrt where the build has no rsqrt estimate)."""
    if not ADAM_C_HAVE_RSQRT:
        import math
        return float(math.sqrt(x)) if not f32 else float(__import__("numpy").sqrt(
            __import__("numpy").float32(x)))
    return adam_c_mkl_sqrt_f32(<float>x) if f32 else adam_c_mkl_sqrt_f64(x)


def openmp_enabled():
    """True if the extension was compiled with OpenMP."""
    return bool(ADAMKIT_OPENMP)


def openmp_max_threads():
    """``omp_get_max_threads()``: honours OMP_NUM_THREADS and threadpoolctl limits."""
    return omp_get_max_threads()


def effective_n_threads(n_threads=None):
    """Resolve an ``n_threads`` argument the way scikit-learn does.

    ``None`` means ``omp_get_max_threads()`` (which follows ``OMP_NUM_THREADS`` and
    ``threadpoolctl.threadpool_limits``); a negative value counts back from it (-1 = all);
    0 is an error. Always 1 when built without OpenMP.
    """
    if n_threads is not None:
        if not isinstance(n_threads, int) or isinstance(n_threads, bool):
            raise TypeError(f"n_threads must be an int or None, got {n_threads!r}")
        if n_threads == 0:
            raise ValueError("n_threads == 0 is not allowed; use None for the default")
    if not ADAMKIT_OPENMP:
        return 1
    cdef int max_n = omp_get_max_threads()
    if n_threads is None:
        return max_n
    if n_threads < 0:
        return max(1, max_n + 1 + n_threads)
    # more threads than the machine has only costs (and libgomp aborts on absurd counts);
    # the bits do not depend on the thread count, so clamping is invisible
    import os
    return min(n_threads, max(max_n, os.cpu_count() or 1))


cdef inline int _adam_run(const adam_c_adam_ops *o, const adam_c_adam_scalars *s,
                          floating *p, const floating *g, floating *m, floating *v,
                          floating *vh, size_t n) noexcept nogil:
    if floating is float:
        return adam_c_adam_f32(o, s, p, g, m, v, vh, n)
    else:
        return adam_c_adam_f64(o, s, p, g, m, v, vh, n)


cdef inline int _rms_run(const adam_c_rmsprop_ops *o, const adam_c_rmsprop_scalars *s,
                         floating *p, const floating *g, floating *ms, floating *mg,
                         floating *mom, size_t n) noexcept nogil:
    if floating is float:
        return adam_c_rmsprop_f32(o, s, p, g, ms, mg, mom, n)
    else:
        return adam_c_rmsprop_f64(o, s, p, g, ms, mg, mom, n)


cdef inline Py_ssize_t _chunk_size(Py_ssize_t n, int nt) noexcept nogil:
    cdef Py_ssize_t per = (n + nt - 1) // nt
    return ((per + _ALIGN - 1) // _ALIGN) * _ALIGN


cdef inline floating *_at(floating *x, Py_ssize_t i) noexcept nogil:
    return NULL if x == NULL else x + i


cdef int _adam_par(const adam_c_adam_ops *o, const adam_c_adam_scalars *s, floating *p,
                   const floating *g, floating *m, floating *v, floating *vh, Py_ssize_t n,
                   int nt) noexcept nogil:
    cdef Py_ssize_t chunk, nchunks, c, start, stop
    if nt <= 1 or n * <Py_ssize_t>sizeof(floating) < _SERIAL_BYTES:
        return _adam_run(o, s, p, g, m, v, vh, <size_t>n)
    chunk = _chunk_size(n, nt)
    nchunks = (n + chunk - 1) // chunk
    for c in prange(nchunks, schedule="static", num_threads=nt):
        start = c * chunk
        stop = min(n, start + chunk)
        _adam_run(o, s, p + start, g + start, m + start, v + start, _at(vh, start),
                  <size_t>(stop - start))
    return 0


cdef int _rms_par(const adam_c_rmsprop_ops *o, const adam_c_rmsprop_scalars *s,
                  floating *p, const floating *g, floating *ms, floating *mg, floating *mom,
                  Py_ssize_t n, int nt) noexcept nogil:
    cdef Py_ssize_t chunk, nchunks, c, start, stop
    if nt <= 1 or n * <Py_ssize_t>sizeof(floating) < _SERIAL_BYTES:
        return _rms_run(o, s, p, g, ms, mg, mom, <size_t>n)
    chunk = _chunk_size(n, nt)
    nchunks = (n + chunk - 1) // chunk
    for c in prange(nchunks, schedule="static", num_threads=nt):
        start = c * chunk
        stop = min(n, start + chunk)
        _rms_run(o, s, p + start, g + start, ms + start, _at(mg, start), _at(mom, start),
                 <size_t>(stop - start))
    return 0


cdef floating *_ptr(floating[::1] x) noexcept:
    return NULL if x is None or x.shape[0] == 0 else &x[0]


# ---------------------------------------------------------------------------------------
# Scalars: the C structs are arrays of doubles, set by field index (no dict -> struct
# conversion per step).
# ---------------------------------------------------------------------------------------

cdef dict _ADAM_SCALAR_INDEX = {name: i for i, name in enumerate(ADAM_SCALAR_FIELDS)}
cdef dict _RMS_SCALAR_INDEX = {name: i for i, name in enumerate(RMSPROP_SCALAR_FIELDS)}


cdef int _set_doubles(double *dst, dict index, dict values, str family) except -1:
    cdef Py_ssize_t i
    for name, value in values.items():
        i = index.get(name, -1)
        if i < 0:
            raise ValueError(f"unknown {family} scalar {name!r}")
        dst[i] = value
    return 0


# ---------------------------------------------------------------------------------------
# Buffer overlap: every parameter must be disjoint from every other buffer. Intervals are
# sorted by start; a parameter overlaps if it starts before the furthest end seen so far, a
# gradient if it starts before the furthest parameter end (gradients may share memory).
# ---------------------------------------------------------------------------------------

ctypedef struct _span:
    uintptr_t start, end
    int is_param
    Py_ssize_t index


cdef int _cmp_span(const void *a, const void *b) noexcept nogil:
    cdef uintptr_t x = (<const _span *>a).start, y = (<const _span *>b).start
    return -1 if x < y else (1 if x > y else 0)


cdef Py_ssize_t _first_overlap(_span *s, Py_ssize_t k) noexcept nogil:
    """-1, or the index (in the sorted array) of a span that overlaps an earlier one."""
    cdef uintptr_t end_all = 0, end_par = 0
    cdef Py_ssize_t i
    qsort(s, k, sizeof(_span), _cmp_span)
    for i in range(k):
        if s[i].start == s[i].end:
            continue
        if (s[i].is_param and s[i].start < end_all) or (not s[i].is_param and s[i].start < end_par):
            return i
        if s[i].end > end_all:
            end_all = s[i].end
        if s[i].is_param and s[i].end > end_par:
            end_par = s[i].end
    return -1


cdef int _check_aligned(const void *ptr, size_t size, str name) except -1:
    if <uintptr_t>ptr % size:
        raise ValueError(f"{name} is not aligned to its dtype; pass an aligned copy")
    return 0


cdef int _adam_bind(AdamKernel self, list params, list grads, list ms, list vs, list vhats,
                    floating tag) except -1:
    """AdamKernel.bind for one dtype: acquire and check every buffer; on success replace
    the kernel's bound pointers (nothing is run)."""
    cdef Py_ssize_t k = len(params), i, j
    cdef floating[::1] p, m, v, h
    cdef const floating[::1] g
    cdef floating **ptr = <floating **>malloc(5 * k * sizeof(floating *))
    cdef Py_ssize_t *lens = <Py_ssize_t *>malloc(k * sizeof(Py_ssize_t))
    cdef _span *spans = <_span *>malloc(2 * k * sizeof(_span))
    try:
        if not ptr or not lens or not spans:
            raise MemoryError()
        for i in range(k):
            p = params[i]
            g = grads[i]
            m = ms[i]
            v = vs[i]
            h = vhats[i] if self.ops.amsgrad else None
            lens[i] = p.shape[0]
            if g.shape[0] != lens[i] or m.shape[0] != lens[i] or v.shape[0] != lens[i] or (
                    h is not None and h.shape[0] != lens[i]):
                raise ValueError(f"params[{i}], grads[{i}] and its state differ in size")
            ptr[5 * i] = _ptr(p)
            ptr[5 * i + 1] = <floating *>(NULL if lens[i] == 0 else &g[0])
            ptr[5 * i + 2] = _ptr(m)
            ptr[5 * i + 3] = _ptr(v)
            ptr[5 * i + 4] = _ptr(h) if h is not None else NULL
            for j in range(5):
                _check_aligned(ptr[5 * i + j], sizeof(floating), f"array {i}")
            spans[2 * i].start = <uintptr_t>ptr[5 * i]
            spans[2 * i].end = spans[2 * i].start + lens[i] * sizeof(floating)
            spans[2 * i].is_param = 1
            spans[2 * i + 1].start = <uintptr_t>ptr[5 * i + 1]
            spans[2 * i + 1].end = spans[2 * i + 1].start + lens[i] * sizeof(floating)
            spans[2 * i + 1].is_param = 0
        if _first_overlap(spans, 2 * k) >= 0:
            raise ValueError("a parameter array shares memory with another buffer")
        free(self._bptr)
        free(self._blen)
        self._bptr, self._blen, self._bk = <void **>ptr, lens, k
        self._bf32 = floating is float
        self._brefs = (tuple(params), tuple(grads), tuple(ms), tuple(vs), tuple(vhats))
        ptr, lens = NULL, NULL                  # now owned by the kernel
    finally:
        free(ptr)
        free(lens)
        free(spans)
    return 0


cdef class AdamKernel:
    """One Adam-family update rule: an ops row (the rounding sequence) and its scalars.

    Parameters
    ----------
    ops : dict
        Values for the fields of ``adam_c_adam_ops`` (missing fields are 0), see adam_c.h.

    Notes
    -----
    ``set_scalars(**values)`` sets fields of ``adam_c_adam_scalars``; ``run(p, g, m, v,
    vhat, n_threads)`` updates one set of contiguous buffers of one dtype in place. The
    buffers are checked by the caller (adamkit._optim); this class checks only what it
    must to stay memory-safe: dtype, contiguity, writeability, equal lengths.
    """
    cdef adam_c_adam_ops ops
    cdef adam_c_adam_scalars sc
    cdef void **_bptr                 # bound buffers: 5 pointers per array (p g m v vhat)
    cdef Py_ssize_t *_blen
    cdef Py_ssize_t _bk
    cdef bint _bf32
    cdef object _brefs                # keeps the bound arrays alive

    def __dealloc__(self):
        free(self._bptr)
        free(self._blen)

    def __init__(self, dict ops):
        unknown = set(ops) - set(ADAM_OPS_FIELDS)
        if unknown:
            raise ValueError(f"unknown Adam ops fields: {sorted(unknown)}")
        cdef dict full = {name: 0 for name in ADAM_OPS_FIELDS}
        full.update(ops)
        self.ops = full
        if adam_c_adam_ops_check(&self.ops) != 0:
            raise ValueError(f"invalid Adam ops: {ops}")
        self.sc = {name: 0.0 for name in ADAM_SCALAR_FIELDS}

    @property
    def ops(self):
        return dict(self.ops)

    @property
    def scalars(self):
        return dict(self.sc)

    def set_scalars(self, **values):
        _set_doubles(<double *>&self.sc, _ADAM_SCALAR_INDEX, values, "Adam")

    def set_scalar_dict(self, dict values):
        """As set_scalars, from a dict (no keyword unpacking)."""
        _set_doubles(<double *>&self.sc, _ADAM_SCALAR_INDEX, values, "Adam")

    def set_native_scalars(self, double lr, double b1, double b2, double eps, double wd,
                           long t, bint f32):
        """adamkit's own Adam scalars for step t (adam_c_adam_default: 1 - b, b^t and the
        corrections in double, each rounded once), as _rules._native_adam_scalars computes
        them in Python. (A Cython version of this miscompiled with GCC 12 -O3: the SLP
        vectorizer dropped two float32 roundings; tests/test_kernels.py guards it.)"""
        cdef adam_c_adam_ops unused
        adam_c_adam_default(&unused, &self.sc, lr, b1, b2, eps, wd, t, f32)

    def run_many(self, list params, list grads, list ms, list vs, list vhats, int n_threads=1):
        """Check every array first, then update them all: one dtype, C-contiguous, writeable
        parameters and state, equal lengths, no parameter sharing memory with another
        buffer. Raises (ValueError, TypeError or BufferError) before writing anything."""
        cdef Py_ssize_t k = len(params), i, j
        if len(grads) != k or len(ms) != k or len(vs) != k or (
                self.ops.amsgrad and len(vhats) != k):
            raise ValueError("params, grads and state lists differ in length")
        self.bind(params, grads, ms, vs, vhats)
        self.run_bound(n_threads)

    def bind(self, list params, list grads, list ms, list vs, list vhats):
        """Check the buffers as run_many does and remember them for run_bound."""
        cdef Py_ssize_t k = len(params)
        if len(grads) != k or len(ms) != k or len(vs) != k or (
                self.ops.amsgrad and len(vhats) != k):
            raise ValueError("params, grads and state lists differ in length")
        if k == 0:
            free(self._bptr)
            free(self._blen)
            self._bptr, self._blen, self._bk, self._brefs = NULL, NULL, 0, None
            return
        if params[0].dtype.char == "f":
            _adam_bind(self, params, grads, ms, vs, vhats, <float>0)
        else:
            _adam_bind(self, params, grads, ms, vs, vhats, <double>0)

    def run_bound(self, int n_threads=1):
        """Update the buffers of the last bind() with the current scalars."""
        cdef Py_ssize_t i
        cdef void **q = self._bptr
        with nogil:
            for i in range(self._bk):
                if self._blen[i] == 0:
                    continue
                if self._bf32:
                    _adam_par(&self.ops, &self.sc, <float *>q[5 * i], <const float *>q[5 * i + 1],
                              <float *>q[5 * i + 2], <float *>q[5 * i + 3],
                              <float *>q[5 * i + 4], self._blen[i], n_threads)
                else:
                    _adam_par(&self.ops, &self.sc, <double *>q[5 * i],
                              <const double *>q[5 * i + 1], <double *>q[5 * i + 2],
                              <double *>q[5 * i + 3], <double *>q[5 * i + 4], self._blen[i],
                              n_threads)

    def is_specialized(self, dtype_char):
        """Whether this ops row has a vectorized instance for dtype 'f' or 'd'."""
        return bool(adam_c_adam_is_specialized_f32(&self.ops) if dtype_char == "f"
                    else adam_c_adam_is_specialized_f64(&self.ops))

    def run(self, floating[::1] p, const floating[::1] g, floating[::1] m, floating[::1] v,
            floating[::1] vhat, int n_threads=1):
        cdef Py_ssize_t n = p.shape[0]
        if g.shape[0] != n or m.shape[0] != n or v.shape[0] != n:
            raise ValueError("p, g, m and v must have the same length")
        if self.ops.amsgrad and (vhat is None or vhat.shape[0] != n):
            raise ValueError("amsgrad needs a vhat buffer of the same length")
        if n == 0:
            return
        cdef floating *pp = &p[0]
        cdef const floating *gp = &g[0]
        cdef floating *mp = &m[0]
        cdef floating *vp = &v[0]
        cdef floating *hp = _ptr(vhat) if self.ops.amsgrad else NULL
        cdef int status
        _check_aligned(pp, sizeof(floating), "p")
        _check_aligned(gp, sizeof(floating), "g")
        _check_aligned(mp, sizeof(floating), "m")
        _check_aligned(vp, sizeof(floating), "v")
        _check_aligned(hp, sizeof(floating), "vhat")
        with nogil:
            status = _adam_par(&self.ops, &self.sc, pp, gp, mp, vp, hp, n, n_threads)
        if status != 0:
            raise RuntimeError(adam_c_strerror(status).decode())


cdef class RMSPropKernel:
    """One RMSProp update rule: an ops row and its scalars (see :class:`AdamKernel`)."""
    cdef adam_c_rmsprop_ops ops
    cdef adam_c_rmsprop_scalars sc

    def __init__(self, dict ops):
        unknown = set(ops) - set(RMSPROP_OPS_FIELDS)
        if unknown:
            raise ValueError(f"unknown RMSProp ops fields: {sorted(unknown)}")
        cdef dict full = {name: 0 for name in RMSPROP_OPS_FIELDS}
        full.update(ops)
        self.ops = full
        if adam_c_rmsprop_ops_check(&self.ops) != 0:
            raise ValueError(f"invalid RMSProp ops: {ops}")
        self.sc = {name: 0.0 for name in RMSPROP_SCALAR_FIELDS}

    @property
    def ops(self):
        return dict(self.ops)

    @property
    def scalars(self):
        return dict(self.sc)

    def set_scalars(self, **values):
        _set_doubles(<double *>&self.sc, _RMS_SCALAR_INDEX, values, "RMSProp")

    def set_scalar_dict(self, dict values):
        _set_doubles(<double *>&self.sc, _RMS_SCALAR_INDEX, values, "RMSProp")

    def is_specialized(self, dtype_char):
        return bool(adam_c_rmsprop_is_specialized_f32(&self.ops) if dtype_char == "f"
                    else adam_c_rmsprop_is_specialized_f64(&self.ops))

    @property
    def needs_mg(self):
        return self.ops.center != 0

    @property
    def needs_mom(self):
        return self.ops.momentum in _MOM_BUFFER

    def run(self, floating[::1] p, const floating[::1] g, floating[::1] ms, floating[::1] mg,
            floating[::1] mom, int n_threads=1):
        cdef Py_ssize_t n = p.shape[0]
        if g.shape[0] != n or ms.shape[0] != n:
            raise ValueError("p, g and ms must have the same length")
        if self.ops.center != 0 and (mg is None or mg.shape[0] != n):
            raise ValueError("centered RMSProp needs an mg buffer of the same length")
        if self.ops.momentum in _MOM_BUFFER and (mom is None or mom.shape[0] != n):
            raise ValueError("momentum needs a mom buffer of the same length")
        if n == 0:
            return
        cdef floating *pp = &p[0]
        cdef const floating *gp = &g[0]
        cdef floating *sp = &ms[0]
        cdef floating *ap = _ptr(mg) if self.ops.center != 0 else NULL
        cdef floating *bp = _ptr(mom) if self.ops.momentum in _MOM_BUFFER else NULL
        cdef int status
        _check_aligned(pp, sizeof(floating), "p")
        _check_aligned(gp, sizeof(floating), "g")
        _check_aligned(sp, sizeof(floating), "ms")
        _check_aligned(ap, sizeof(floating), "mg")
        _check_aligned(bp, sizeof(floating), "mom")
        with nogil:
            status = _rms_par(&self.ops, &self.sc, pp, gp, sp, ap, bp, n, n_threads)
        if status != 0:
            raise RuntimeError(adam_c_strerror(status).decode())
