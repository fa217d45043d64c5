# Declarations shared by the Cython bindings: the C shim (_ak.h) and what _kernels.pyx
# exports to _core.pyx (the kernel type and the helpers that check and run buffers).

cimport numpy as cnp

cdef extern from "_ak.h":
    int ADAMKIT_OPENMP
    int omp_get_max_threads() nogil
    int ak_register_atfork() nogil
    int ak_fork_serial() nogil
    ctypedef union ak_ops:
        int i[32]
    ctypedef union ak_scalars:
        double d[48]
    ctypedef int (*ak_f32)(const ak_ops *, const ak_scalars *, float *, const float *,
                           float *, float *, float *, size_t) noexcept nogil
    ctypedef int (*ak_f64)(const ak_ops *, const ak_scalars *, double *, const double *,
                           double *, double *, double *, size_t) noexcept nogil
    ctypedef struct ak_family:
        ak_f32 f32
        ak_f64 f64
        int (*check)(const ak_ops *) noexcept nogil
        unsigned (*buffers)(const ak_ops *) noexcept nogil
        int (*specialized)(const ak_ops *, int) noexcept nogil
        int nops, nscalars
    const ak_family AK_adam, AK_rmsprop
    const char *adam_c_strerror(int) nogil
    int ak_adam_default(ak_scalars *s, double lr, double b1, double b2, double eps,
                        double wd, long t, int f32) nogil
    int ak_rmsprop_default(ak_scalars *s, double lr, double rho, double eps, double mu,
                           double wd, int f32) nogil
    size_t adam_c_adam_instances_f32() nogil
    size_t adam_c_rmsprop_instances_f32() nogil
    float adam_c_mkl_sqrt_f32(int portable, float x) nogil
    double adam_c_mkl_sqrt_f64(int portable, double x) nogil
    float adam_c_rsqrt_estimate(int portable, float x) nogil
    double adam_c_xla_rsqrt512_f64(int portable, double x) nogil
    int adam_c_host_rsqrtps_is_zen() nogil
    int adam_c_host_has_avx512f() nogil
    int ADAM_C_HAVE_RSQRT


cdef extern from "_recipe.h":
    int AK_R_MAX
    int ak_recipe_run(const int *code, long k, double *r, double *mem) nogil


ctypedef int (*chunk_fn)(const void *ctx, size_t lo, size_t hi) noexcept nogil

cdef Py_ssize_t SERIAL_BYTES
cdef int run_parallel(chunk_fn fn, const void *ctx, size_t n, size_t itemsize, int nt,
                      size_t threshold) noexcept nogil
cdef int resolve_threads(int nt) noexcept
cdef int run_range(const ak_family *fam, const ak_ops *o, const ak_scalars *s, void **q,
                   Py_ssize_t lo, Py_ssize_t n, bint f32, int nt, bint adaptive) noexcept nogil
cdef int set_doubles(ak_scalars *dst, str family, dict values) except -1
cdef bint array_ok(object a, int type_num, bint writeable) noexcept
cdef int check_array(object a, int type_num, bint writeable, str what, Py_ssize_t i) except -1


cdef class Kernel:
    cdef const ak_family *fam
    cdef ak_ops o
    cdef ak_scalars sc
    cdef readonly str family
    cdef Py_ssize_t _bind(self, list arrays, void **q, bint *f32) except -1
