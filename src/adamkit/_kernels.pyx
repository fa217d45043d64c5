# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Cython binding of the C core: one kernel type for both families (the optimizer core that
drives it is _core.pyx).

Design:
  a. No arithmetic here. The C core (adam_c/) does every floating-point operation; this
     module checks buffers, splits [0, n) into chunks and runs the chunks on the caller
     and adamkit's own worker threads (``_pool.h``) with the GIL released.
  b. Every element's update depends on that element alone, so the result is bit-identical
     for every thread count, chunking and order in which the threads claim the chunks.
     Chunks are whole multiples of 64 elements (a cache line of float64 x 8) so threads
     never share a cache line of any buffer.
  c. Below ``SERIAL_THRESHOLD_BYTES`` per stream a call stays serial: waking a second
     thread costs more than it saves on small arrays (docs/performance.md).
  f. The threading policy (``_pool.h``, docs/performance.md "Threads under load"): threads
     claim fixed chunks (each its own block first, then the others') and the caller claims
     too, so a worker that has lost its core to another process delays a step by at most
     the chunk it claimed; workers spin briefly, then sleep. With ``n_threads=None`` the
     team is the default team (OMP_NUM_THREADS / threadpoolctl, the affinity mask, the
     cgroup CPU quota) and adaptive: when the running mean of a size class's
     multi-thread runs is not below 0.9x that of its one-thread runs, the size class runs
     on one thread for a back-off (1 ms doubling to 128 ms) before it probes again. An
     explicit ``n_threads`` is used as given on every run.
  d. One binding for both families. The C core's two families (Adam: m, v, vhat; RMSProp:
     ms, mg, mom) take the same arguments: ops, scalars, p, g, three state buffers, n. A
     small C table (``ak_family``) puts them behind one signature, so a :class:`Kernel` is
     a family and an ops row, held in a union whose fields are addressed by the index
     ``adamkit._vocab`` gives (the field names exist in adam_c.h only).
  e. Fork safety. Worker threads do not survive ``fork()``. At-fork handlers (``_ak.h``,
     ``_pool.h``, registered at import) mark the thread that forked, whose ranges
     :func:`run_range` then runs on one thread, and empty the pool; other threads of the
     child start new workers (as do processes started by spawn or forkserver).
"""

import os

cimport numpy as cnp
from libc.math cimport fma as c_fma
from libc.math cimport fmaf
from libc.string cimport memset

from . import _vocab

cdef extern from "_pool.h" nogil:
    ctypedef int (*akp_fn)(const void *ctx, size_t lo, size_t hi) noexcept nogil
    ctypedef struct akp_stats:
        unsigned mine, nchunks
        long long t_mine, t_total
    int AKP_DECLINED, AKP_HAVE_POOL, AKP_SPIN_NS, AKP_BACKOFF_MIN_NS, AKP_BACKOFF_MAX_NS
    int AKP_CHUNKS_PER_THREAD, AKP_MIN_CHUNK_BYTES, AKP_SERIAL_EVERY
    size_t akp_chunk(size_t n, size_t itemsize, int team)
    int akp_parse_cpu_max(const char *text)
    int akp_team_size(int omp_max, int affinity, int quota)
    int akp_bucket(size_t nbytes)
    int akp_judge(long long *bo, long long *par, long long ser, long long sample)
    int akp_init()
    int akp_run(akp_fn fn, const void *ctx, size_t n, size_t chunk, int team, akp_stats *st)
    int akp_cpu_limit()
    int akp_adaptive(akp_fn fn, const void *ctx, size_t n, size_t itemsize, int team)
    void akp_forget()
    void akp_note(int parallel)
    long long akp_count_parallel, akp_count_serial, akp_count_failed
    int akp_affinity_seen, akp_quota_seen

cnp.import_array()

#: Arrays of fewer bytes per stream than this run on one thread: two threads only break
#: even near 64 KiB per stream here (docs/performance.md: 1e4-3e4 float32 elements,
#: 3e3-1e4 float64), and waking a thread costs about a microsecond.
SERIAL_THRESHOLD_BYTES = 65536
SERIAL_THRESHOLD = {"float32": SERIAL_THRESHOLD_BYTES // 4,
                    "float64": SERIAL_THRESHOLD_BYTES // 8}
SERIAL_BYTES = SERIAL_THRESHOLD_BYTES

#: The state buffers of each family, in the order of the C functions' arguments.
BUFFERS = {"adam": ("m", "v", "vhat"), "rmsprop": ("ms", "mg", "mom")}

#: The largest step count: t must stay exactly representable (beta**t, saved state).
T_MAX = 2 ** 53

cdef dict _FIELD_INDEX = {fam: {name: i for i, (name, _) in enumerate(fields)}
                          for fam, fields in _vocab.OPS.items()}
cdef dict _SCALAR_INDEX = {fam: {name: i for i, name in enumerate(names)}
                           for fam, names in _vocab.SCALARS.items()}

if ak_register_atfork() != 0 or akp_init() != 0:
    raise ImportError("adamkit: pthread_atfork failed (the fork-safety handler)")

if AK_adam.nops != len(_vocab.OPS["adam"]) or AK_rmsprop.nops != len(_vocab.OPS["rmsprop"]) \
        or AK_adam.nscalars != len(_vocab.SCALARS["adam"]) \
        or AK_rmsprop.nscalars != len(_vocab.SCALARS["rmsprop"]):
    raise ImportError("adamkit._vocab does not describe the compiled adam_c.h")


def mkl_sqrt(double x, bint f32, bint host=False, bint portable=False):
    """One scalar through the kernels' ADAM_C_SQRT_MKL_EX square root (PyTorch's CPU
    torch.sqrt on AMD Zen), from the AMD Zen estimate (this CPU's rsqrtss where it is one,
    else its model; ``portable``: always the model), or with ``host`` from this CPU's own
    (ADAM_C_EST_HOST)."""
    portable = mkl_sqrt_portable(host, portable)
    return adam_c_mkl_sqrt_f32(portable, <float>x) if f32 else adam_c_mkl_sqrt_f64(portable, x)


cpdef bint mkl_sqrt_portable(bint host, bint portable):
    """Whether mkl_sqrt(..., host, portable) starts from the portable estimate model."""
    if host:
        return not ADAM_C_HAVE_RSQRT
    return portable or not (ADAM_C_HAVE_RSQRT and adam_c_host_rsqrtps_is_zen())


def run_recipe(program, long long t, double lr):
    """Run a compiled scalar recipe (presets._recipe.Program) for step t and learning
    rate lr, as a step does; returns its scalars (a list of floats, in field order)."""
    cdef double r[256]
    cdef double mem[8]
    cdef int[:, ::1] code = program.code
    cdef int[::1] out = program.outputs
    cdef double[::1] consts = program.consts
    cdef Py_ssize_t i
    if AK_R_MAX != 256 or consts.shape[0] > 256 or code.shape[1] != 5:
        raise ValueError("not a recipe program")
    memset(r, 0, sizeof(r))
    memset(mem, 0, sizeof(mem))
    for i in range(consts.shape[0]):
        r[i] = consts[i]
    r[0], r[1] = <double>t, lr
    if code.shape[0] and ak_recipe_run(&code[0, 0], code.shape[0], r, mem) != 0:
        raise ValueError("not a recipe program")
    return [r[out[i]] for i in range(out.shape[0])]


def rsqrt_estimate(float x, bint portable=False):
    """The reciprocal-square-root estimate the kernels start from: this CPU's rsqrtss, or
    (portable) the exact model of AMD Zen's (adam_c/src/estimates.c)."""
    if not ADAM_C_HAVE_RSQRT:
        portable = True
    return adam_c_rsqrt_estimate(portable, x)


def xla_rsqrt_avx512(double x, bint portable=False):
    """XLA's float64 rsqrt on a CPU with AVX-512F (ADAM_C_RSQRT_XLA_AVX512): this CPU's
    vrsqrt14pd, or (portable, or without AVX-512F) its exact model."""
    return adam_c_xla_rsqrt512_f64(portable or not adam_c_host_has_avx512f(), x)


def fma(a, b, c):
    """fma(a, b, c) elementwise, rounded once (C99 fmaf for float32 arrays, fma for
    float64): the framework emulations' exact fused multiply-add."""
    import numpy as np
    a, b, c = np.broadcast_arrays(np.asarray(a), np.asarray(b), np.asarray(c))
    shape, dt = a.shape, np.result_type(a, b, c)
    if dt != np.float32 and dt != np.float64:
        raise TypeError(f"fma of float32 or float64 arrays, not {dt}")
    a, b, c = (np.ascontiguousarray(x, dt).reshape(-1) for x in (a, b, c))
    out = np.empty(a.size, dt)
    cdef Py_ssize_t i, n = a.size
    cdef float[::1] af, bf, cf, of
    cdef double[::1] ad, bd, cd, od
    if dt == np.float32:
        af, bf, cf, of = a, b, c, out
        for i in range(n):
            of[i] = fmaf(af[i], bf[i], cf[i])
    else:
        ad, bd, cd, od = a, b, c, out
        for i in range(n):
            od[i] = c_fma(ad[i], bd[i], cd[i])
    return out.reshape(shape)


def host_estimates():
    """What this CPU computes itself: {"rsqrtps_is_zen": bool, "avx512f": bool}."""
    return {"rsqrtps_is_zen": bool(ADAM_C_HAVE_RSQRT and adam_c_host_rsqrtps_is_zen()),
            "avx512f": bool(adam_c_host_has_avx512f())}


def native_scalars(str family, double lr, hp, long long t, bint f32):
    """adamkit's own scalars for step t as the optimizers compute them, in C
    (adam_c_adam_default: ``hp`` = (b1, b2, eps, weight_decay); adam_c_rmsprop_default:
    ``hp`` = (alpha, eps, momentum, weight_decay), ``t`` unused)."""
    cdef ak_scalars s
    cdef int status = 0
    memset(&s, 0, sizeof(ak_scalars))
    a, b, c, d = hp
    if family == "adam":
        status = ak_adam_default(&s, lr, a, b, c, d, t, f32)
    elif family == "rmsprop":
        status = ak_rmsprop_default(&s, lr, a, b, c, d, f32)
    else:
        _family(family)
    if status != 0:
        raise ValueError(f"{family} scalars for lr={lr!r}, hp={tuple(hp)!r}, t={t}: "
                         f"{adam_c_strerror(status).decode()}")
    return {name: s.d[i] for i, name in enumerate(_vocab.SCALARS[family])}


def instance_counts():
    """How many specialised loops this build has per family (instances.h)."""
    return {"adam": adam_c_adam_instances_f32(), "rmsprop": adam_c_rmsprop_instances_f32()}


def openmp_enabled():
    """True if the extension was compiled with OpenMP."""
    return bool(ADAMKIT_OPENMP)


def openmp_max_threads():
    """``omp_get_max_threads()``: honours OMP_NUM_THREADS and threadpoolctl limits."""
    return omp_get_max_threads()


cdef int _CPU_COUNT = os.cpu_count() or 1


def fork_serial():
    """True in the thread that made this process by ``fork()`` from a process that had
    imported adamkit: its steps run on one thread (module docstring, e.)."""
    return bool(ak_fork_serial())


def effective_n_threads(n_threads=None):
    """Resolve an ``n_threads`` argument the way scikit-learn does.

    Parameters
    ----------
    n_threads : int or None
        ``None`` means the default team: the smallest of ``omp_get_max_threads()``
        (which follows ``OMP_NUM_THREADS`` and ``threadpoolctl.threadpool_limits``), the
        CPUs in this thread's affinity mask and the cgroup CPU quota (rounded up); a
        negative value counts back from ``omp_get_max_threads()`` (-1 = all); 0 is an
        error.

    Returns
    -------
    int
        The most threads a step would use; always 1 when built without OpenMP. With
        ``None`` a step uses fewer while extra threads do not pay (module docstring, f.).
    """
    if n_threads is not None:
        if not isinstance(n_threads, int) or isinstance(n_threads, bool):
            raise TypeError(f"n_threads must be an int or None, got {n_threads!r}")
        if n_threads == 0:
            raise ValueError("n_threads == 0 is not allowed; use None for the default")
    if not ADAMKIT_OPENMP:
        return 1
    return resolve_threads(0 if n_threads is None else max(-(1 << 16), min(n_threads, 1 << 16)))


cdef int resolve_threads(int nt) noexcept:
    """The thread count for a stored n_threads value (0 = the default team)."""
    cdef int mx
    if not ADAMKIT_OPENMP or ak_fork_serial():
        return 1
    mx = omp_get_max_threads()
    if nt == 0:
        return akp_team_size(mx, akp_cpu_limit(), 0)
    if nt < 0:
        return max(1, mx + 1 + nt)
    # more threads than the machine has only costs; the bits do not depend on the count
    return min(nt, max(mx, _CPU_COUNT))


# ---------------------------------------------------------------------------------------
# The threading policy's parts, for tests and the bench (the policy itself: _pool.h)
# ---------------------------------------------------------------------------------------

def threading_info():
    """What the threading policy sees and did: {"default_team", "omp_max_threads",
    "affinity", "cgroup_quota" (0: none), "pool": whether adamkit's pool is built in,
    "parallel_runs", "serial_runs" (adaptive runs kept on one thread), "failed_probes"}."""
    team = resolve_threads(0)
    return {"default_team": team, "omp_max_threads": omp_get_max_threads(),
            "affinity": akp_affinity_seen, "cgroup_quota": akp_quota_seen,
            "pool": bool(AKP_HAVE_POOL), "parallel_runs": akp_count_parallel,
            "serial_runs": akp_count_serial, "failed_probes": akp_count_failed}


def reset_threading_policy():
    """Forget what the adaptive policy has learnt (every size class may use threads
    again) and zero the counters of :func:`threading_info`."""
    akp_forget()


def policy_team_size(int omp_max, int affinity, int quota):
    """The default team for these limits (0: not set)."""
    return akp_team_size(omp_max, affinity, quota)


def policy_parse_cpu_max(str text):
    """CPUs granted by a cgroup v2 ``cpu.max`` text, rounded up (0: no limit)."""
    return akp_parse_cpu_max(text.encode())


def policy_chunk(Py_ssize_t n, int itemsize, int team):
    """The chunk length (elements) of a parallel run of n elements."""
    return akp_chunk(n, itemsize, team)


def policy_step(long long backoff, long long mean_par, long long mean_ser, long long sample):
    """One judgement of the adaptive policy on a multi-thread run that took ``sample``
    (time per byte, counted at most 8x ``mean_ser``, the one-thread mean): (paid, new
    multi-thread mean, next back-off in ns)."""
    cdef long long par = mean_par, bo = backoff
    cdef int paid = akp_judge(&bo, &par, mean_ser, sample)
    return bool(paid), par, bo


def policy_constants():
    """The policy's constants (_pool.h)."""
    return {"spin_ns": AKP_SPIN_NS, "backoff_min_ns": AKP_BACKOFF_MIN_NS,
            "backoff_max_ns": AKP_BACKOFF_MAX_NS, "chunks_per_thread": AKP_CHUNKS_PER_THREAD,
            "min_chunk_bytes": AKP_MIN_CHUNK_BYTES, "serial_every": AKP_SERIAL_EVERY}


# ---------------------------------------------------------------------------------------
# Running one range of one array, serially or in chunks on several threads
# ---------------------------------------------------------------------------------------

cdef inline float *_at32(void *x, Py_ssize_t i) noexcept nogil:
    return NULL if x == NULL else <float *>x + i


cdef inline double *_at64(void *x, Py_ssize_t i) noexcept nogil:
    return NULL if x == NULL else <double *>x + i


ctypedef struct _Range:
    const ak_family *fam
    const ak_ops *o
    const ak_scalars *s
    void *q[5]                          # p, g, s0, s1, s2 at the range's first element
    bint f32


cdef int _run_part(const void *ctx, size_t lo, size_t hi) noexcept nogil:
    """Run [lo, hi) of a _Range (one chunk)."""
    cdef const _Range *r = <const _Range *>ctx
    cdef Py_ssize_t a = <Py_ssize_t>lo
    if r.f32:
        return r.fam.f32(r.o, r.s, _at32(r.q[0], a), _at32(r.q[1], a), _at32(r.q[2], a),
                         _at32(r.q[3], a), _at32(r.q[4], a), hi - lo)
    return r.fam.f64(r.o, r.s, _at64(r.q[0], a), _at64(r.q[1], a), _at64(r.q[2], a),
                     _at64(r.q[3], a), _at64(r.q[4], a), hi - lo)


cdef int run_parallel(chunk_fn fn, const void *ctx, size_t n, size_t itemsize, int nt,
                      size_t threshold) noexcept nogil:
    """Run ``fn`` over [0, n) on ``nt`` threads of the pool, chunked as an update of
    elements of ``itemsize`` bytes (serial below ``threshold`` elements): the benchmark's
    memory-only kernels (tools/_membench.pyx) are threaded exactly like an update."""
    cdef int status
    if nt <= 1 or n < threshold or n == 0 or ak_fork_serial():
        return fn(ctx, 0, n)
    status = akp_run(<akp_fn>fn, ctx, n, akp_chunk(n, itemsize, nt), nt, NULL)
    if status == AKP_DECLINED:
        return fn(ctx, 0, n)
    return status


cdef int run_range(const ak_family *fam, const ak_ops *o, const ak_scalars *s, void **q,
                    Py_ssize_t lo, Py_ssize_t n, bint f32, int nt,
                    bint adaptive) noexcept nogil:
    """Run ``[lo, lo + n)`` of the buffers ``q`` (p, g, s0, s1, s2) on up to ``nt``
    threads; ``adaptive``: fewer while more do not pay (module docstring, f.)."""
    cdef _Range r
    cdef akp_stats st
    cdef int j, status
    cdef size_t itemsize = 4 if f32 else 8
    if n <= 0:
        return 0
    r.fam, r.o, r.s, r.f32 = fam, o, s, f32
    for j in range(5):
        r.q[j] = NULL if q[j] == NULL else <char *>q[j] + lo * itemsize
    if nt <= 1 or n * <Py_ssize_t>itemsize < SERIAL_BYTES or ak_fork_serial():
        return _run_part(&r, 0, <size_t>n)
    if adaptive:
        return akp_adaptive(_run_part, &r, <size_t>n, itemsize, nt)
    status = akp_run(_run_part, &r, <size_t>n, akp_chunk(n, itemsize, nt), nt, &st)
    if status == AKP_DECLINED:          # the pool is another thread's: run here
        return _run_part(&r, 0, <size_t>n)
    akp_note(1)
    return status


# ---------------------------------------------------------------------------------------
# Checking one buffer
# ---------------------------------------------------------------------------------------

cdef bint array_ok(object a, int type_num, bint writeable) noexcept:
    """a is an ndarray of type_num (native byte order), C-contiguous, aligned and, if
    asked, writeable."""
    if not cnp.PyArray_Check(a):
        return False
    cdef cnp.ndarray x = <cnp.ndarray>a
    return (cnp.PyArray_TYPE(x) == type_num and cnp.PyArray_ISNOTSWAPPED(x)
            and cnp.PyArray_IS_C_CONTIGUOUS(x) and cnp.PyArray_ISALIGNED(x)
            and (not writeable or cnp.PyArray_ISWRITEABLE(x)))


cdef int check_array(object a, int type_num, bint writeable, str what,
                      Py_ssize_t i) except -1:
    """As _array_ok, raising TypeError or ValueError that names ``what[i]`` if not."""
    if array_ok(a, type_num, writeable):
        return 0
    name = what if i < 0 else f"{what}[{i}]"
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(a).__name__}")
    cdef cnp.ndarray x = <cnp.ndarray>a
    if cnp.PyArray_TYPE(x) != type_num or not cnp.PyArray_ISNOTSWAPPED(x):
        raise TypeError(f"{name} has dtype {x.dtype}; expected "
                        f"{'float32' if type_num == cnp.NPY_FLOAT else 'float64'} "
                        "(native byte order) like its parameter")
    if not cnp.PyArray_IS_C_CONTIGUOUS(x):
        raise ValueError(f"{name} is not C-contiguous; updates happen in place, so pass a "
                         "contiguous array (np.ascontiguousarray makes a copy)")
    if not cnp.PyArray_ISALIGNED(x):
        raise ValueError(f"{name} is not aligned to its dtype; pass an aligned copy")
    raise ValueError(f"{name} is read-only")


# ---------------------------------------------------------------------------------------
# Kernel: a family and an ops row
# ---------------------------------------------------------------------------------------

cdef const ak_family *_family(str family) except NULL:
    if family == "adam":
        return &AK_adam
    if family == "rmsprop":
        return &AK_rmsprop
    raise ValueError(f"unknown family {family!r} (adam or rmsprop)")


cdef int set_doubles(ak_scalars *dst, str family, dict values) except -1:
    cdef dict index = _SCALAR_INDEX[family]
    cdef Py_ssize_t i
    for name, value in values.items():
        i = index.get(name, -1)
        if i < 0:
            raise ValueError(f"unknown {family} scalar {name!r}")
        dst.d[i] = value
    return 0


cdef class Kernel:
    """One update rule of the C core: a family ("adam" or "rmsprop") and an ops row.

    Parameters
    ----------
    family : {"adam", "rmsprop"}
    ops : dict
        Values of the family's ops fields (adam_c.h; missing fields are 0).

    ``set_scalars(**values)`` sets fields of the family's scalars struct; ``run(p, g, s0,
    s1, s2, n_threads)`` updates one set of contiguous buffers of one dtype in place (the
    state buffers in the order of :data:`BUFFERS`; unused ones may be None).
    """
    def __init__(self, str family, dict ops=None):
        self.fam = _family(family)
        self.family = family
        ops = {} if ops is None else ops
        index = _FIELD_INDEX[family]
        unknown = set(ops) - set(index)
        if unknown:
            raise ValueError(f"unknown {family} ops fields: {sorted(unknown)}")
        memset(&self.o, 0, sizeof(ak_ops))
        memset(&self.sc, 0, sizeof(ak_scalars))
        for name, value in ops.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{family} ops field {name} must be an int, got {value!r}")
            if not -2**31 <= value < 2**31:
                raise ValueError(f"invalid {family} ops: {name}={value}")
            self.o.i[index[name]] = value
        if self.fam.check(&self.o) != 0:
            raise ValueError(f"invalid {family} ops: {ops}")

    @property
    def ops(self):
        """The ops row, every field (a new dict)."""
        return {name: self.o.i[i] for i, (name, _) in enumerate(_vocab.OPS[self.family])}

    @property
    def scalars(self):
        return {name: self.sc.d[i] for i, name in enumerate(_vocab.SCALARS[self.family])}

    @property
    def buffers(self):
        """The state buffers this row reads and writes (names, in argument order)."""
        cdef unsigned need = self.fam.buffers(&self.o)
        return tuple(b for j, b in enumerate(BUFFERS[self.family]) if need >> j & 1)

    def set_scalars(self, **values):
        set_doubles(&self.sc, self.family, values)

    def is_specialized(self, dtype_char):
        """Whether this ops row has a vectorized instance for dtype 'f' or 'd'."""
        return bool(self.fam.specialized(&self.o, dtype_char == "f"))

    cdef Py_ssize_t _bind(self, list arrays, void **q, bint *f32) except -1:
        """Check p, g and the state buffers of ``arrays``; fill q; return n."""
        cdef cnp.ndarray p = arrays[0]
        cdef int j, type_num = cnp.PyArray_TYPE(p)
        cdef unsigned need = self.fam.buffers(&self.o)
        cdef Py_ssize_t n = cnp.PyArray_SIZE(p)
        if type_num != cnp.NPY_FLOAT and type_num != cnp.NPY_DOUBLE:
            raise TypeError(f"p has dtype {p.dtype}; expected float32 or float64")
        for j in range(5):
            a = arrays[j]
            q[j] = NULL
            if j >= 2 and not (need >> (j - 2) & 1):
                continue
            name = ("p", "g", *BUFFERS[self.family])[j]
            if a is None:
                raise ValueError(f"this {self.family} row needs the {name} buffer")
            check_array(a, type_num, j != 1, name, -1)
            if cnp.PyArray_SIZE(<cnp.ndarray>a) != n:
                raise ValueError(f"p, g and the state buffers must have the same length "
                                 f"({name} has {cnp.PyArray_SIZE(<cnp.ndarray>a)}, p {n})")
            q[j] = cnp.PyArray_DATA(<cnp.ndarray>a)
        f32[0] = type_num == cnp.NPY_FLOAT
        return n

    def run(self, cnp.ndarray p not None, cnp.ndarray g not None, s0=None, s1=None, s2=None,
            int n_threads=1):
        """Update p and the state buffers in place from g (1-D, one float dtype,
        C-contiguous, writeable; the buffers this row needs must be given)."""
        cdef void *q[5]
        cdef bint f32
        cdef Py_ssize_t n = self._bind([p, g, s0, s1, s2], q, &f32)
        cdef int status
        with nogil:
            status = run_range(self.fam, &self.o, &self.sc, q, 0, n, f32, n_threads, False)
        if status != 0:
            raise RuntimeError(adam_c_strerror(status).decode())

    def run_chunks(self, cnp.ndarray p not None, cnp.ndarray g not None, s0, s1, s2,
                   Py_ssize_t chunk, order):
        """As :meth:`run` on one thread, chunk by chunk (``chunk`` elements) in the given
        order of chunk indices (each exactly once): what any claim order of the pool
        computes (for the tests)."""
        cdef void *q[5]
        cdef bint f32
        cdef Py_ssize_t n = self._bind([p, g, s0, s1, s2], q, &f32)
        cdef Py_ssize_t nc = (n + chunk - 1) // chunk if chunk > 0 else -1
        cdef _Range r
        cdef int j, status = 0
        if chunk <= 0 or sorted(order) != list(range(nc)):
            raise ValueError(f"order must be a permutation of range({nc})")
        r.fam, r.o, r.s, r.f32 = self.fam, &self.o, &self.sc, f32
        for j in range(5):
            r.q[j] = q[j]
        for c in order:
            status = status or _run_part(&r, <size_t>(c * chunk),
                                         <size_t>min(n, (c + 1) * chunk))
        if status != 0:
            raise RuntimeError(adam_c_strerror(status).decode())


# ---------------------------------------------------------------------------------------
# The update an addition turns into given values (adamkit.optax's updates)
# ---------------------------------------------------------------------------------------

cdef extern from "adam_c_internal.h" nogil:
    int adam_c_delta_f32(const float *p, const float *q, float *u, size_t n, int ftz,
                         int search)
    int adam_c_delta_f64(const double *p, const double *q, double *u, size_t n, int ftz,
                         int search)
    int ADAM_C_HAVE_FTZ

#: Whether this build can run in flush-to-zero mode (x86-64: MXCSR's FTZ and DAZ).
HAVE_FTZ = bool(ADAM_C_HAVE_FTZ)


ctypedef struct _Delta:
    const char *p
    const char *q
    char *u
    int ftz, search
    bint f32


cdef int _delta_part(const void *ctx, size_t lo, size_t hi) noexcept nogil:
    cdef const _Delta *d = <const _Delta *>ctx
    if d.f32:
        return adam_c_delta_f32(<const float *>d.p + lo, <const float *>d.q + lo,
                                <float *>d.u + lo, hi - lo, d.ftz, d.search)
    return adam_c_delta_f64(<const double *>d.p + lo, <const double *>d.q + lo,
                            <double *>d.u + lo, hi - lo, d.ftz, d.search)


cdef inline bint _overlap(const char *a, const char *b, size_t nbytes) noexcept:
    return a < b + nbytes and b < a + nbytes


def exact_updates(cnp.ndarray p not None, cnp.ndarray q not None, cnp.ndarray u not None,
                  bint ftz, int search, int n_threads=1):
    """Write into ``u`` the update with ``p + u == q`` (adam_c/src/delta.c)::

        u = q - p, where p + (q - p) == q or q is NaN; else the first of the next
        ``search`` floats from q - p, walking towards the side where p + (q - p) falls
        short of q, with p + u == q; else q - p (q is not reachable from p)

    in this dtype's round-to-nearest addition, with ``ftz`` under flush-to-zero and
    denormals-are-zero (XLA's CPU mode). p, q, u: 1-D arrays of one float dtype and
    length, C-contiguous, u writeable: q itself, or apart from p and q. Runs on up to ``n_threads``
    threads with the GIL released; the bits do not depend on the count."""
    cdef int type_num = cnp.PyArray_TYPE(p)
    cdef _Delta d
    cdef Py_ssize_t n = cnp.PyArray_SIZE(p)
    cdef size_t itemsize
    cdef int status
    if type_num != cnp.NPY_FLOAT and type_num != cnp.NPY_DOUBLE:
        raise TypeError(f"p has dtype {p.dtype}; expected float32 or float64")
    check_array(p, type_num, False, "p", -1)
    check_array(q, type_num, False, "q", -1)
    check_array(u, type_num, True, "u", -1)
    if cnp.PyArray_SIZE(q) != n or cnp.PyArray_SIZE(u) != n:
        raise ValueError(f"p, q and u must have the same length ({n}, "
                         f"{cnp.PyArray_SIZE(q)}, {cnp.PyArray_SIZE(u)})")
    if ftz and not ADAM_C_HAVE_FTZ:
        raise ValueError("this build cannot set flush-to-zero mode (not x86-64)")
    if search < 0:
        raise ValueError(f"search must be >= 0, got {search}")
    d.p, d.q = <const char *>cnp.PyArray_DATA(p), <const char *>cnp.PyArray_DATA(q)
    d.u, d.ftz, d.search = <char *>cnp.PyArray_DATA(u), ftz, search
    d.f32 = type_num == cnp.NPY_FLOAT
    itemsize = 4 if d.f32 else 8
    if n > 0 and (_overlap(d.u, d.p, n * itemsize) or
                  (d.u != d.q and _overlap(d.u, d.q, n * itemsize))):
        raise ValueError("u must be q itself or apart from p and q")
    with nogil:
        status = run_parallel(_delta_part, &d, <size_t>n, itemsize, n_threads,
                              <size_t>(SERIAL_BYTES // itemsize))
    if status != 0:
        raise RuntimeError(adam_c_strerror(status).decode())


cdef int _count_part(const void *ctx, size_t lo, size_t hi) noexcept nogil:
    cdef unsigned char *c = <unsigned char *>ctx
    cdef size_t i
    for i in range(lo, hi):
        c[i] += 1
    return 0


def pool_coverage(cnp.ndarray counts not None, int itemsize, int team):
    """Run the pool over ``counts`` (uint8, C-contiguous) with the chunking of an array of
    that many elements of ``itemsize`` bytes on ``team`` threads, each chunk adding 1 to
    its elements: (chunks run by the caller, chunks in all, chunk length), or None if
    the pool declined (busy, or no worker could be started)."""
    check_array(counts, cnp.NPY_UBYTE, True, "counts", -1)
    cdef size_t n = cnp.PyArray_SIZE(counts)
    cdef size_t chunk = akp_chunk(n, itemsize, team)
    cdef akp_stats st
    cdef int status
    cdef void *data = cnp.PyArray_DATA(counts)
    with nogil:
        status = akp_run(_count_part, data, n, chunk, team, &st)
    if status == AKP_DECLINED:
        return None
    return st.mine, st.nchunks, chunk
