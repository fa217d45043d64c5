# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Benchmark-only entry points (``python -m adamkit bench``, asv_benchmarks/).

Not public API. Every function here runs a loop ``reps`` times inside one call, with the
GIL released, threaded exactly as :mod:`adamkit._kernels` threads an update with a fixed
``n_threads`` (the pool of ``_pool.h``: chunks that are whole multiples of 64 elements,
claimed by the threads, serial below a threshold), so that times per repetition compare
kernels without the Python call cost:

* ``mem_adam`` / ``mem_rms``: the memory-only kernels of adam_c/src/membench.h, the
  access pattern of an Adam step (read p, g, m, v; write p, m, v) or of an RMSProp step
  (read p, g, s; write p, s) with no arithmetic. Buffers keep their bits.
* ``div_adam``: the divider work of adamkit's own Adam step alone (two divisions and a
  square root per element, nothing else; p keeps its value): the compute bound of an
  update in cache where the divide/sqrt unit is the limit.
* ``adam_native`` / ``rms_native``: adamkit's own Adam / RMSProp kernel (the vectorized
  ``native`` instances, ops and scalars from ``adam_c_adam_default`` /
  ``adam_c_rmsprop_default``), called the same way, so that kernel time, threads and the
  serial threshold can be measured apart from the optimizer object.

``threshold`` is the serial threshold in elements (default: the one _kernels uses; 0
forces the parallel region even for tiny arrays, to measure the break-even).
"""

from libc.stdint cimport uint32_t, uint64_t

from .._kernels cimport run_parallel

from .._c_adam cimport (adam_c_adam_ops, adam_c_adam_scalars, adam_c_rmsprop_ops,
                       adam_c_rmsprop_scalars, adam_c_adam_f32, adam_c_adam_f64,
                       adam_c_rmsprop_f32, adam_c_rmsprop_f64, adam_c_adam_default,
                       adam_c_rmsprop_default)
from .._kernels import SERIAL_THRESHOLD_BYTES

cdef extern from "membench.h" nogil:
    void adam_c_membench_adam_u32(uint32_t *p, const uint32_t *g, uint32_t *m, uint32_t *v,
                                  uint32_t k, size_t n)
    void adam_c_membench_adam_u64(uint64_t *p, const uint64_t *g, uint64_t *m, uint64_t *v,
                                  uint64_t k, size_t n)
    void adam_c_membench_rms_u32(uint32_t *p, const uint32_t *g, uint32_t *s, uint32_t k,
                                 size_t n)
    void adam_c_membench_rms_u64(uint64_t *p, const uint64_t *g, uint64_t *s, uint64_t k,
                                 size_t n)
    void adam_c_membench_adam_nt_u32(uint32_t *p, const uint32_t *g, uint32_t *m,
                                     uint32_t *v, uint32_t k, size_t n)
    void adam_c_membench_adam_nt_u64(uint64_t *p, const uint64_t *g, uint64_t *m,
                                     uint64_t *v, uint64_t k, size_t n)
    int adam_c_membench_has_nt()
    void adam_c_membench_div_f32(float *p, const float *m, const float *v, float z, size_t n)
    void adam_c_membench_div_f64(double *p, const double *m, const double *v, double z,
                                 size_t n)

ctypedef fused floating:
    float
    double

# what a chunk runs
cdef enum:
    K_MEM_ADAM = 0
    K_MEM_ADAM_NT = 1
    K_MEM_RMS = 2
    K_ADAM = 3
    K_RMS = 4
    K_DIV = 5


def has_nt():
    """Whether the streaming-store memory kernel really streams on this build."""
    return bool(adam_c_membench_has_nt())


cdef struct _Job:
    int kind
    adam_c_adam_ops aops
    adam_c_adam_scalars asc
    adam_c_rmsprop_ops rops
    adam_c_rmsprop_scalars rsc


cdef inline void _run_chunk(_Job *job, floating *p, floating *g, floating *a, floating *b,
                            size_t n) noexcept nogil:
    if floating is float:
        if job.kind == K_MEM_ADAM:
            adam_c_membench_adam_u32(<uint32_t *>p, <uint32_t *>g, <uint32_t *>a,
                                     <uint32_t *>b, 0, n)
        elif job.kind == K_MEM_ADAM_NT:
            adam_c_membench_adam_nt_u32(<uint32_t *>p, <uint32_t *>g, <uint32_t *>a,
                                        <uint32_t *>b, 0, n)
        elif job.kind == K_MEM_RMS:
            adam_c_membench_rms_u32(<uint32_t *>p, <uint32_t *>g, <uint32_t *>a, 0, n)
        elif job.kind == K_ADAM:
            adam_c_adam_f32(&job.aops, &job.asc, p, g, a, b, NULL, n)
        elif job.kind == K_DIV:
            adam_c_membench_div_f32(p, a, b, 0.0, n)
        else:
            adam_c_rmsprop_f32(&job.rops, &job.rsc, p, g, a, NULL, NULL, n)
    else:
        if job.kind == K_MEM_ADAM:
            adam_c_membench_adam_u64(<uint64_t *>p, <uint64_t *>g, <uint64_t *>a,
                                     <uint64_t *>b, 0, n)
        elif job.kind == K_MEM_ADAM_NT:
            adam_c_membench_adam_nt_u64(<uint64_t *>p, <uint64_t *>g, <uint64_t *>a,
                                        <uint64_t *>b, 0, n)
        elif job.kind == K_MEM_RMS:
            adam_c_membench_rms_u64(<uint64_t *>p, <uint64_t *>g, <uint64_t *>a, 0, n)
        elif job.kind == K_ADAM:
            adam_c_adam_f64(&job.aops, &job.asc, p, g, a, b, NULL, n)
        elif job.kind == K_DIV:
            adam_c_membench_div_f64(p, a, b, 0.0, n)
        else:
            adam_c_rmsprop_f64(&job.rops, &job.rsc, p, g, a, NULL, NULL, n)


cdef struct _Bufs:
    _Job *job
    void *p
    void *g
    void *a
    void *b


cdef int _part32(const void *ctx, size_t lo, size_t hi) noexcept nogil:
    cdef const _Bufs *x = <const _Bufs *>ctx
    _run_chunk(x.job, <float *>x.p + lo, <float *>x.g + lo, <float *>x.a + lo,
               NULL if x.b == NULL else <float *>x.b + lo, hi - lo)
    return 0


cdef int _part64(const void *ctx, size_t lo, size_t hi) noexcept nogil:
    cdef const _Bufs *x = <const _Bufs *>ctx
    _run_chunk(x.job, <double *>x.p + lo, <double *>x.g + lo, <double *>x.a + lo,
               NULL if x.b == NULL else <double *>x.b + lo, hi - lo)
    return 0


cdef void _drive(_Job *job, floating *p, floating *g, floating *a, floating *b,
                 Py_ssize_t n, int nt, Py_ssize_t threshold, long reps) noexcept nogil:
    """reps times: the chunking and threading of adamkit._kernels.run_range."""
    cdef _Bufs bufs
    cdef long r
    bufs.job, bufs.p, bufs.g, bufs.a, bufs.b = job, p, g, a, b
    for r in range(reps):
        if floating is float:
            run_parallel(_part32, &bufs, <size_t>n, sizeof(float), nt, <size_t>threshold)
        else:
            run_parallel(_part64, &bufs, <size_t>n, sizeof(double), nt, <size_t>threshold)


cdef floating *_ptr(floating[::1] x) noexcept:
    return NULL if x is None or x.shape[0] == 0 else &x[0]


def _check(n, *bufs):
    for x in bufs:
        if x is not None and x.shape[0] != n:
            raise ValueError("all buffers must have the same length")


cdef int _run_job(_Job *job, floating[::1] p, const floating[::1] g, floating[::1] a,
                  floating[::1] b, int n_threads, long reps, threshold) except -1:
    """Run ``job`` on p, g, a (and b: None for the 5-stream RMSProp pattern) ``reps`` times,
    threaded as _kernels threads an update (``threshold``: None for its serial threshold)."""
    cdef Py_ssize_t n = p.shape[0]
    _check(n, g, a, b)
    cdef Py_ssize_t th = (SERIAL_THRESHOLD_BYTES // sizeof(floating) if threshold is None
                          else threshold)
    if n == 0:
        return 0
    cdef floating *pp = &p[0]
    cdef floating *gp = <floating *>&g[0]
    cdef floating *ap = &a[0]
    cdef floating *bp = _ptr(b)
    with nogil:
        _drive(job, pp, gp, ap, bp, n, n_threads, th, reps)
    return 0


def mem_adam(floating[::1] p, const floating[::1] g, floating[::1] m, floating[::1] v,
             int n_threads=1, long reps=1, threshold=None, bint nt_stores=False):
    """Memory-only kernel, Adam's 7-stream pattern, ``reps`` times. Buffers keep their bits."""
    cdef _Job job
    job.kind = K_MEM_ADAM_NT if nt_stores else K_MEM_ADAM
    _run_job(&job, p, g, m, v, n_threads, reps, threshold)


def div_adam(floating[::1] p, const floating[::1] g, floating[::1] m, floating[::1] v,
             int n_threads=1, long reps=1, threshold=None):
    """The divider work of the own Adam step alone (membench.h: two divisions and a square
    root per element, from p, m, v; g is not read), ``reps`` times. p keeps its value."""
    cdef _Job job
    job.kind = K_DIV
    _run_job(&job, p, g, m, v, n_threads, reps, threshold)


def mem_rms(floating[::1] p, const floating[::1] g, floating[::1] s, int n_threads=1,
            long reps=1, threshold=None):
    """Memory-only kernel, RMSProp's 5-stream pattern (read p, g, s; write p, s)."""
    cdef _Job job
    job.kind = K_MEM_RMS
    _run_job[floating](&job, p, g, s, None, n_threads, reps, threshold)


def adam_native(floating[::1] p, const floating[::1] g, floating[::1] m, floating[::1] v,
                int n_threads=1, long reps=1, threshold=None, double lr=1e-3, long t=1):
    """adamkit's own Adam kernel (lr, betas 0.9/0.999, eps 1e-8, step t), ``reps`` times."""
    cdef _Job job
    job.kind = K_ADAM
    adam_c_adam_default(&job.aops, &job.asc, lr, 0.9, 0.999, 1e-8, 0.0, t,
                        1 if floating is float else 0)
    _run_job(&job, p, g, m, v, n_threads, reps, threshold)


def rms_native(floating[::1] p, const floating[::1] g, floating[::1] s, int n_threads=1,
               long reps=1, threshold=None, double lr=1e-2):
    """adamkit's own RMSProp kernel (no momentum: the 5-stream pattern), ``reps`` times."""
    cdef _Job job
    job.kind = K_RMS
    adam_c_rmsprop_default(&job.rops, &job.rsc, lr, 0.99, 1e-8, 0.0, 0.0,
                           1 if floating is float else 0)
    _run_job[floating](&job, p, g, s, None, n_threads, reps, threshold)
