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

import os

cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdlib cimport malloc, free, qsort
from libc.stdint cimport uintptr_t

from ._c_adam cimport (
    adam_c_adam_ops, adam_c_adam_scalars, adam_c_rmsprop_ops, adam_c_rmsprop_scalars,
    adam_c_adam_f32, adam_c_adam_f64, adam_c_rmsprop_f32, adam_c_rmsprop_f64,
    adam_c_adam_ops_check, adam_c_rmsprop_ops_check, adam_c_strerror, adam_c_adam_default,
    adam_c_rmsprop_default,
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

from ._validation import check_lr, lr_value

cnp.import_array()

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
# Bound buffers. A step checks its arrays once (bind), remembers their pointers, and later
# steps on the very same arrays only re-check what can change in place: data pointer, size,
# dtype, writeability (an array can be resized or made read-only after it was bound).
#
# Overlap: every parameter must be disjoint from every other buffer. Intervals are sorted
# by start; a parameter overlaps if it starts before the furthest end seen so far, a
# gradient if it starts before the furthest parameter end (gradients may share memory).
# State buffers belong to the optimizer and are never handed out, so they are not checked.
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


cdef inline bint _array_ok(object a, int type_num, bint writeable) noexcept:
    """a is an ndarray of type_num (native byte order), C-contiguous, aligned and, if
    asked, writeable."""
    if not cnp.PyArray_Check(a):
        return False
    cdef cnp.ndarray x = <cnp.ndarray>a
    return (cnp.PyArray_TYPE(x) == type_num and cnp.PyArray_ISNOTSWAPPED(x)
            and cnp.PyArray_IS_C_CONTIGUOUS(x) and cnp.PyArray_ISALIGNED(x)
            and (not writeable or cnp.PyArray_ISWRITEABLE(x)))


cdef int _check_array(object a, int type_num, bint writeable, str what,
                      Py_ssize_t i) except -1:
    """As _array_ok, raising TypeError or ValueError that names ``what[i]`` if not."""
    if _array_ok(a, type_num, writeable):
        return 0
    name = f"{what}[{i}]"
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    cdef cnp.ndarray x = <cnp.ndarray>a
    if cnp.PyArray_TYPE(x) != type_num or not cnp.PyArray_ISNOTSWAPPED(x):
        raise TypeError(f"{name} has dtype {x.dtype}; expected "
                        f"{'float32' if type_num == cnp.NPY_FLOAT else 'float64'} "
                        "(native byte order) like the first parameter")
    if not cnp.PyArray_IS_C_CONTIGUOUS(x):
        raise ValueError(f"{name} is not C-contiguous")
    if not cnp.PyArray_ISALIGNED(x):
        raise ValueError(f"{name} is not aligned to its dtype; pass an aligned copy")
    raise ValueError(f"{name} is read-only")


cdef inline bint _unchanged(cnp.ndarray x, void *data, Py_ssize_t n, int type_num) noexcept:
    return (cnp.PyArray_DATA(x) == data and cnp.PyArray_SIZE(x) == n
            and cnp.PyArray_TYPE(x) == type_num)


cdef class _Bound:
    """The checked buffers of the last bind: 5 pointers per array (p, g, s0, s1, s2: m, v,
    vhat for Adam; ms, mg, mom for RMSProp), the arrays themselves (kept alive, and
    recognised by identity on the next step) and their common dtype."""
    cdef void **ptr
    cdef Py_ssize_t *n
    cdef Py_ssize_t *split            # body ops on [0, split), tail ops on [split, n)
    cdef uintptr_t *pspan             # the non-empty parameters' [start, end) byte
    cdef Py_ssize_t npspan            # ranges, sorted (they are disjoint): 2 per range
    cdef Py_ssize_t k
    cdef int type_num
    cdef list params, grads
    cdef tuple state

    def __dealloc__(self):
        free(self.ptr)
        free(self.n)
        free(self.split)
        free(self.pspan)

    cdef bint hits_param(self, uintptr_t start, uintptr_t end) noexcept:
        """[start, end) intersects a parameter (binary search in the sorted ranges)."""
        cdef Py_ssize_t lo = 0, hi = self.npspan, mid
        if start == end:
            return False
        while lo < hi:                   # the first range starting at or after end
            mid = (lo + hi) // 2
            if self.pspan[2 * mid] < end:
                lo = mid + 1
            else:
                hi = mid
        return lo > 0 and self.pspan[2 * (lo - 1) + 1] > start

    cdef bint same_params(self, object params) noexcept:
        """params (one array or a list) are the bound parameter arrays, unchanged."""
        cdef Py_ssize_t i
        cdef object p
        if self.k == 1 and params is self.params[0]:
            p = params
            return (_unchanged(<cnp.ndarray>p, self.ptr[0], self.n[0], self.type_num)
                    and cnp.PyArray_ISWRITEABLE(<cnp.ndarray>p))
        if type(params) is not list or len(<list>params) != self.k:
            return False
        for i in range(self.k):
            p = (<list>params)[i]
            if p is not self.params[i] or not (
                    _unchanged(<cnp.ndarray>p, self.ptr[5 * i], self.n[i], self.type_num)
                    and cnp.PyArray_ISWRITEABLE(<cnp.ndarray>p)):
                return False
        return True

    cdef bint same_grads(self, object grads) noexcept:
        """grads are the bound gradient arrays, unchanged, except that any of them may be
        a new array that passes every check (then it is bound in its place): one array
        for one parameter array, else a list of the same length."""
        cdef Py_ssize_t i
        cdef object g
        if self.k == 1 and not isinstance(grads, list):
            if not self._grad_ok(0, grads):
                return False
            self._rebind_grad(0, grads)
            return True
        if type(grads) is not list or len(<list>grads) != self.k:
            return False
        for i in range(self.k):          # check all before binding any
            if not self._grad_ok(i, (<list>grads)[i]):
                return False
        for i in range(self.k):
            self._rebind_grad(i, (<list>grads)[i])
        return True

    cdef bint _grad_ok(self, Py_ssize_t i, object g) noexcept:
        cdef cnp.ndarray x
        cdef uintptr_t gs
        if g is self.grads[i]:
            return _unchanged(<cnp.ndarray>g, self.ptr[5 * i + 1], self.n[i], self.type_num)
        if not _array_ok(g, self.type_num, False):
            return False
        x = <cnp.ndarray>g
        if not cnp.PyArray_SAMESHAPE(x, <cnp.ndarray>self.params[i]):
            return False
        gs = <uintptr_t>cnp.PyArray_DATA(x)
        return not self.hits_param(gs, gs + <uintptr_t>cnp.PyArray_NBYTES(x))

    cdef void _rebind_grad(self, Py_ssize_t i, object g) noexcept:
        if g is not self.grads[i]:
            self.grads[i] = g
            self.ptr[5 * i + 1] = cnp.PyArray_DATA(<cnp.ndarray>g)


cdef _Bound _bind(list params, list grads, list s0, list s1, list s2, int need,
                  object splits):
    """Check every buffer and return them bound. ``need`` has bit j set if state list j is
    required (else its pointers are NULL); ``splits`` (None, or one int per array) is where
    a rule with a tail row switches to it. Raises TypeError/ValueError before anything is
    written; the checks are those of the optimizer's full path, in C."""
    cdef Py_ssize_t k = len(params), i, j
    cdef _Bound b = _Bound()
    cdef list lists = [s0, s1, s2]
    cdef cnp.ndarray p, g, a
    cdef _span *spans
    cdef size_t itemsize
    if len(grads) != k or any(need >> j & 1 and (lists[j] is None or len(lists[j]) != k)
                              for j in range(3)) or (splits is not None and len(splits) != k):
        raise ValueError("params, grads and state lists differ in length")
    b.params, b.grads, b.state = list(params), list(grads), (s0, s1, s2)
    b.k = k
    if k == 0:
        return b
    if not cnp.PyArray_Check(params[0]):
        raise TypeError(f"params[0] must be a numpy.ndarray, got {type(params[0]).__name__}")
    b.type_num = cnp.PyArray_TYPE(<cnp.ndarray>params[0])
    if b.type_num != cnp.NPY_FLOAT and b.type_num != cnp.NPY_DOUBLE:
        raise TypeError(f"params[0] has dtype {params[0].dtype}; adamkit updates float32 "
                        "or float64 arrays in place")
    itemsize = 4 if b.type_num == cnp.NPY_FLOAT else 8
    b.ptr = <void **>malloc(5 * k * sizeof(void *))
    b.n = <Py_ssize_t *>malloc(k * sizeof(Py_ssize_t))
    b.split = <Py_ssize_t *>malloc(k * sizeof(Py_ssize_t))
    spans = <_span *>malloc(2 * k * sizeof(_span))
    try:
        if not b.ptr or not b.n or not b.split or not spans:
            raise MemoryError()
        for i in range(k):
            _check_array(params[i], b.type_num, True, "params", i)
            _check_array(grads[i], b.type_num, False, "grads", i)
            p, g = params[i], grads[i]
            if not cnp.PyArray_SAMESHAPE(p, g):
                raise ValueError(f"grads[{i}] has shape {(<object>g).shape} but params[{i}] has "
                                 f"{(<object>p).shape}")
            b.n[i] = cnp.PyArray_SIZE(p)
            b.split[i] = b.n[i] if splits is None else splits[i]
            if not 0 <= b.split[i] <= b.n[i]:
                raise ValueError(f"split {b.split[i]} outside [0, {b.n[i]}]")
            b.ptr[5 * i] = cnp.PyArray_DATA(p)
            b.ptr[5 * i + 1] = cnp.PyArray_DATA(g)
            for j in range(3):
                b.ptr[5 * i + 2 + j] = NULL
                if need >> j & 1:
                    _check_array(lists[j][i], b.type_num, True, ("m/ms", "v/mg", "vhat/mom")[j],
                                 i)
                    a = lists[j][i]
                    if cnp.PyArray_SIZE(a) != b.n[i]:
                        raise ValueError(f"params[{i}] and its state differ in size")
                    b.ptr[5 * i + 2 + j] = cnp.PyArray_DATA(a)
            spans[2 * i].start = <uintptr_t>b.ptr[5 * i]
            spans[2 * i].end = spans[2 * i].start + b.n[i] * itemsize
            spans[2 * i].is_param = 1
            spans[2 * i + 1].start = <uintptr_t>b.ptr[5 * i + 1]
            spans[2 * i + 1].end = spans[2 * i + 1].start + b.n[i] * itemsize
            spans[2 * i + 1].is_param = 0
        if _first_overlap(spans, 2 * k) >= 0:
            raise ValueError("a parameter array shares memory with another buffer")
        b.pspan = <uintptr_t *>malloc(2 * k * sizeof(uintptr_t))
        if not b.pspan:
            raise MemoryError()
        for i in range(2 * k):           # spans are sorted now
            if spans[i].is_param and spans[i].end > spans[i].start:
                b.pspan[2 * b.npspan] = spans[i].start
                b.pspan[2 * b.npspan + 1] = spans[i].end
                b.npspan += 1
    finally:
        free(spans)
    return b


# Running bound arrays: one loop for both families, which differ only in the C function
# (and its ops and scalars structs) that a range of one array goes to.
ctypedef void (*_range_fn)(const void *ops, const void *sc, void **q, Py_ssize_t lo,
                           Py_ssize_t n, bint f32, int nt) noexcept nogil


cdef void _adam_range(const void *o, const void *s, void **q, Py_ssize_t lo, Py_ssize_t n,
                      bint f32, int nt) noexcept nogil:
    cdef const adam_c_adam_ops *ops = <const adam_c_adam_ops *>o
    cdef const adam_c_adam_scalars *sc = <const adam_c_adam_scalars *>s
    if f32:
        _adam_par(ops, sc, <float *>q[0] + lo, <const float *>q[1] + lo, _at(<float *>q[2], lo),
                  _at(<float *>q[3], lo), _at(<float *>q[4], lo), n, nt)
    else:
        _adam_par(ops, sc, <double *>q[0] + lo, <const double *>q[1] + lo,
                  _at(<double *>q[2], lo), _at(<double *>q[3], lo), _at(<double *>q[4], lo), n,
                  nt)


cdef void _rms_range(const void *o, const void *s, void **q, Py_ssize_t lo, Py_ssize_t n,
                     bint f32, int nt) noexcept nogil:
    cdef const adam_c_rmsprop_ops *ops = <const adam_c_rmsprop_ops *>o
    cdef const adam_c_rmsprop_scalars *sc = <const adam_c_rmsprop_scalars *>s
    if f32:
        _rms_par(ops, sc, <float *>q[0] + lo, <const float *>q[1] + lo, _at(<float *>q[2], lo),
                 _at(<float *>q[3], lo), _at(<float *>q[4], lo), n, nt)
    else:
        _rms_par(ops, sc, <double *>q[0] + lo, <const double *>q[1] + lo,
                 _at(<double *>q[2], lo), _at(<double *>q[3], lo), _at(<double *>q[4], lo), n,
                 nt)


cdef void _run_bound_range(_Bound b, bint tail, int nt, _range_fn fn, const void *ops,
                           const void *sc) noexcept:
    """Run fn over b's arrays: [0, split) for a body kernel, [split, n) for a tail."""
    cdef Py_ssize_t i, lo, hi
    if b is None:
        return
    cdef bint f32 = b.type_num == cnp.NPY_FLOAT
    with nogil:
        for i in range(b.k):
            lo = b.split[i] if tail else 0
            hi = b.n[i] if tail else b.split[i]
            if hi > lo:
                fn(ops, sc, b.ptr + 5 * i, lo, hi - lo, f32, nt)


cdef class AdamKernel:
    """One Adam-family update rule: an ops row (the rounding sequence) and its scalars.

    Parameters
    ----------
    ops : dict
        Values for the fields of ``adam_c_adam_ops`` (missing fields are 0), see adam_c.h.

    Notes
    -----
    ``set_scalars(**values)`` sets fields of ``adam_c_adam_scalars``; ``run(p, g, m, v,
    vhat, n_threads)`` updates one set of contiguous buffers of one dtype in place;
    ``bind`` checks a list of arrays once and ``run_bound`` updates them. ``run`` checks
    only what it must to stay memory-safe (dtype, contiguity, writeability, lengths);
    ``bind`` checks everything the optimizer's full path checks.
    """
    cdef adam_c_adam_ops ops
    cdef adam_c_adam_scalars sc
    cdef _Bound _b

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
        parameters and state, gradients shaped like their parameters, no parameter sharing
        memory with another buffer. Raises (ValueError or TypeError) before writing
        anything."""
        self.bind(params, grads, ms, vs, vhats)
        self.run_bound(n_threads)

    def bind(self, list params, list grads, list ms, list vs, list vhats, splits=None):
        """Check the buffers as run_many does and remember them for run_bound. With
        ``splits``, run_bound updates only ``[0, splits[i])`` of array i (a tail kernel
        runs the rest: run_bound_tail). On error the previous binding is dropped."""
        self._b = None
        self._b = _bind(params, grads, ms, vs, vhats, 3 | (4 if self.ops.amsgrad else 0),
                        splits)

    def unbind(self):
        self._b = None

    def run_bound(self, int n_threads=1):
        """Update the buffers of the last bind() with the current scalars."""
        self._run_range(self._b, False, n_threads)

    def run_bound_tail(self, AdamKernel body, int n_threads=1):
        """Update ``[splits[i], n)`` of the arrays bound to ``body`` with this kernel."""
        self._run_range(body._b, True, n_threads)

    cdef void _run_range(self, _Bound b, bint tail, int n_threads) noexcept:
        _run_bound_range(b, tail, n_threads, _adam_range, &self.ops, &self.sc)

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
    cdef _Bound _b

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

    def set_native_scalars(self, double lr, double rho, double eps, double momentum,
                           double wd, bint f32):
        """adamkit's own RMSProp scalars (adam_c_rmsprop_default), as
        _rules._native_rmsprop_scalars computes them in Python."""
        cdef adam_c_rmsprop_ops unused
        adam_c_rmsprop_default(&unused, &self.sc, lr, rho, eps, momentum, wd, f32)

    def is_specialized(self, dtype_char):
        return bool(adam_c_rmsprop_is_specialized_f32(&self.ops) if dtype_char == "f"
                    else adam_c_rmsprop_is_specialized_f64(&self.ops))

    @property
    def needs_mg(self):
        return self.ops.center != 0

    @property
    def needs_mom(self):
        return self.ops.momentum in _MOM_BUFFER

    def run_many(self, list params, list grads, list mss, list mgs, list moms,
                 int n_threads=1):
        """As AdamKernel.run_many, with RMSProp's state lists (ms, mg, mom)."""
        self.bind(params, grads, mss, mgs, moms)
        self.run_bound(n_threads)

    def bind(self, list params, list grads, list mss, list mgs, list moms, splits=None):
        """As AdamKernel.bind."""
        self._b = None
        self._b = _bind(params, grads, mss, mgs, moms,
                        1 | (2 if self.needs_mg else 0) | (4 if self.needs_mom else 0),
                        splits)

    def unbind(self):
        self._b = None

    def run_bound(self, int n_threads=1):
        self._run_range(self._b, False, n_threads)

    def run_bound_tail(self, RMSPropKernel body, int n_threads=1):
        self._run_range(body._b, True, n_threads)

    cdef void _run_range(self, _Bound b, bint tail, int n_threads) noexcept:
        _run_bound_range(b, tail, n_threads, _rms_range, &self.ops, &self.sc)

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


# ---------------------------------------------------------------------------------------
# The optimizer's step, at C level.
# ---------------------------------------------------------------------------------------

cdef int _CPU_COUNT = os.cpu_count() or 1
cdef int _NT_LIMIT = 1 << 16         # |n_threads| beyond this is clamped before it reaches C

#: How a rule's per-step scalars can be computed in C (Rule.c_scalars), and the
#: hyper-parameters each C function takes after lr, in order.
C_SCALARS = {"adam": ("b1", "b2", "eps", "weight_decay"),
             "rmsprop": ("alpha", "eps", "momentum", "weight_decay")}
cdef enum:
    _CS_PY = 0           # the rule's Python scalar function
    _CS_ADAM = 1         # adam_c_adam_default
    _CS_RMSPROP = 2      # adam_c_rmsprop_default


cdef class OptimizerCore:
    """The C-level half of adamkit's optimizer objects (``adamkit._optim`` builds on it).

    It holds what a step needs: the step count ``t``, the learning rate, the thread count,
    the kernel and the arrays it last ran on. ``step(p, g)`` on the arrays of the previous
    step, or on the same parameters with a new gradient array, is then one C call: re-check
    the arrays (identity, data pointer, size, dtype and writeability; a new gradient gets
    every check), compute this step's scalars, run the kernel with the GIL released.
    Anything else goes to the subclass's ``_step``, which checks everything, binds the
    arrays (``_bind``) and runs them (``_run_bound_step``).
    """
    cdef long long _t
    cdef object _lr
    cdef double _lr_const
    cdef bint _lr_sched
    cdef object _n_threads
    cdef int _nt                       # 0: follow omp_get_max_threads() at each step
    cdef object _kern                  # AdamKernel or RMSPropKernel
    cdef object _tail                  # the same family's tail kernel, or None
    cdef bint _adam
    cdef int _cmode
    cdef double _chp[4]
    cdef object _scalars_py            # (t, lr, f32) -> None, sets the kernel's scalars
    cdef bint _busy

    @property
    def t(self):
        """The number of steps taken (the next step is t + 1)."""
        return self._t

    @t.setter
    def t(self, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**53:
            raise ValueError(f"t must be an int in [0, 2**53], got {value!r}")
        self._t = value

    @property
    def lr(self):
        """The learning rate: a float >= 0, or a schedule ``lr(t) -> float`` called with
        the number of steps already taken. Checked when set."""
        return self._lr

    @lr.setter
    def lr(self, value):
        value = check_lr(value)
        self._lr_sched = callable(value)
        self._lr_const = 0.0 if self._lr_sched else value
        self._lr = value

    @property
    def n_threads(self):
        """OpenMP threads per step: None follows ``OMP_NUM_THREADS``/threadpoolctl, a
        negative value counts back from it. The bits do not depend on it."""
        return self._n_threads

    @n_threads.setter
    def n_threads(self, value):
        effective_n_threads(value)                      # type and value checks
        self._nt = 0 if value is None else max(-_NT_LIMIT, min(_NT_LIMIT, value))
        self._n_threads = value

    @property
    def _kernel(self):
        return self._kern

    def _use_kernel(self, kernel, tail, c_scalars, hp, scalars_py):
        """Set the kernel, the tail kernel (None, or the same family's kernel for the
        elements past each array's split point) and how their scalars are computed each
        step: in C when ``c_scalars`` names a C_SCALARS entry (``hp`` holds its
        hyper-parameters), else by ``scalars_py(t, lr, f32)``, which sets both kernels."""
        if not isinstance(kernel, (AdamKernel, RMSPropKernel)):
            raise TypeError("kernel must be an AdamKernel or RMSPropKernel")
        if tail is not None and type(tail) is not type(kernel):
            raise TypeError("the tail kernel must be of the kernel's family")
        if tail is not None and c_scalars is not None:
            raise ValueError("a rule with a tail kernel sets its scalars in Python")
        self._adam = isinstance(kernel, AdamKernel)
        if c_scalars is None:
            self._cmode = _CS_PY
        elif c_scalars == ("adam" if self._adam else "rmsprop"):
            self._cmode = _CS_ADAM if self._adam else _CS_RMSPROP
            for i, name in enumerate(C_SCALARS[c_scalars]):
                self._chp[i] = hp[name]
        else:
            raise ValueError(f"c_scalars {c_scalars!r} does not fit this kernel")
        self._scalars_py = scalars_py
        self._kern = kernel
        self._tail = tail

    cdef _Bound _bound(self):
        if self._kern is None:
            return None
        return (<AdamKernel>self._kern)._b if self._adam else (<RMSPropKernel>self._kern)._b

    cdef int _threads(self) noexcept:
        cdef int mx
        if not ADAMKIT_OPENMP:
            return 1
        mx = omp_get_max_threads()
        if self._nt == 0:
            return mx
        if self._nt < 0:
            return max(1, mx + 1 + self._nt)
        return min(self._nt, max(mx, _CPU_COUNT))

    def step(self, params, grads, lr_mult=None):
        """Update ``params`` in place from ``grads`` (one array or a list of arrays).

        Every input is checked before anything is written: float32/float64 dtypes that
        match between each parameter and its gradient, equal shapes, C-contiguous buffers,
        writeable parameters, no parameter sharing memory with any other buffer. NaN and
        Inf in gradients are not filtered: they propagate into the state and parameters
        exactly as the update equations say (as every framework does).

        ``lr_mult`` optionally scales the learning rate per array (a sequence of reals).

        A step on the arrays of the previous step (or with only a new gradient array for
        a single parameter array) re-checks only what can change in place and runs in one
        C call. One optimizer must not step from two threads at once (RuntimeError).
        """
        if self._busy:
            raise RuntimeError("step() is already running on this optimizer in another "
                               "thread; use one optimizer per thread")
        self._busy = True
        try:
            b = self._bound()
            if lr_mult is None and b is not None and b.k and b.same_params(params) \
                    and b.same_grads(grads):
                self._step_bound(b)
            else:
                self._step(params, grads, lr_mult)
        finally:
            self._busy = False

    def _run_bound_step(self):
        """One step on the arrays of the last bind (see ``step``)."""
        b = self._bound()
        if b is None:
            raise RuntimeError("no arrays are bound")
        self._step_bound(b)

    cdef int _step_bound(self, _Bound b) except -1:
        cdef long long t = self._t + 1
        cdef double lr
        cdef bint f32 = b.type_num == cnp.NPY_FLOAT
        cdef adam_c_adam_ops unused_a
        cdef adam_c_rmsprop_ops unused_r
        lr = lr_value(self._lr, self._t) if self._lr_sched else self._lr_const
        if self._cmode == _CS_ADAM:
            adam_c_adam_default(&unused_a, &(<AdamKernel>self._kern).sc, lr, self._chp[0],
                                self._chp[1], self._chp[2], self._chp[3], t, f32)
        elif self._cmode == _CS_RMSPROP:
            adam_c_rmsprop_default(&unused_r, &(<RMSPropKernel>self._kern).sc, lr,
                                   self._chp[0], self._chp[1], self._chp[2], self._chp[3],
                                   f32)
        else:
            self._scalars_py(t, lr, f32)
        cdef int nt = self._threads()
        if self._adam:
            (<AdamKernel>self._kern)._run_range(b, False, nt)
            if self._tail is not None:
                (<AdamKernel>self._tail)._run_range(b, True, nt)
        else:
            (<RMSPropKernel>self._kern)._run_range(b, False, nt)
            if self._tail is not None:
                (<RMSPropKernel>self._tail)._run_range(b, True, nt)
        self._t = t
        return 0
