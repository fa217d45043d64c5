# cython: language_level=3
"""adamkit.cython_adam: the C core's kernels for other Cython extensions (``cimport``).

The declarations and their documentation are in ``cython_adam.pxd``. The ``_``-prefixed
functions defined here are exported as C function pointers (``__pyx_capi__``); they check
the struct sizes the caller was compiled with, then forward to ``adam_c.h``'s functions.
"""

from . cimport _c_adam as C

# Not in the private _c_adam.pxd: declared here under other Cython names (same C symbols).
cdef extern from "adam_c.h" nogil:
    int _c_adam_default "adam_c_adam_default"(
        C.adam_c_adam_ops *ops, C.adam_c_adam_scalars *s, double lr, double b1, double b2,
        double eps, double weight_decay, long t, int is_float32)
    int _c_rmsprop_default "adam_c_rmsprop_default"(
        C.adam_c_rmsprop_ops *ops, C.adam_c_rmsprop_scalars *s, double lr, double rho,
        double eps, double momentum, double weight_decay, int is_float32)

# The public structs are declared field by field in cython_adam.pxd (so that users need
# no C header); they must have exactly adam_c.h's layout. Refuse to import otherwise.
if (sizeof(adam_c_adam_ops) != sizeof(C.adam_c_adam_ops)
        or sizeof(adam_c_adam_scalars) != sizeof(C.adam_c_adam_scalars)
        or sizeof(adam_c_rmsprop_ops) != sizeof(C.adam_c_rmsprop_ops)
        or sizeof(adam_c_rmsprop_scalars) != sizeof(C.adam_c_rmsprop_scalars)):
    raise ImportError("adamkit.cython_adam: its structs differ from adam_c.h's")


cdef inline bint _adam_abi_ok(size_t ops_size, size_t s_size) noexcept nogil:
    return ops_size == sizeof(C.adam_c_adam_ops) and s_size == sizeof(C.adam_c_adam_scalars)


cdef inline bint _rms_abi_ok(size_t ops_size, size_t s_size) noexcept nogil:
    return (ops_size == sizeof(C.adam_c_rmsprop_ops)
            and s_size == sizeof(C.adam_c_rmsprop_scalars))


cdef int _adam_f32(const adam_c_adam_ops *ops, size_t ops_size, const adam_c_adam_scalars *s,
                   size_t s_size, float *p, const float *g, float *m, float *v, float *vhat,
                   size_t n) noexcept nogil:
    if not _adam_abi_ok(ops_size, s_size):
        return ADAMKIT_CY_EABI
    return C.adam_c_adam_f32(<const C.adam_c_adam_ops *>ops,
                             <const C.adam_c_adam_scalars *>s, p, g, m, v, vhat, n)


cdef int _adam_f64(const adam_c_adam_ops *ops, size_t ops_size, const adam_c_adam_scalars *s,
                   size_t s_size, double *p, const double *g, double *m, double *v,
                   double *vhat, size_t n) noexcept nogil:
    if not _adam_abi_ok(ops_size, s_size):
        return ADAMKIT_CY_EABI
    return C.adam_c_adam_f64(<const C.adam_c_adam_ops *>ops,
                             <const C.adam_c_adam_scalars *>s, p, g, m, v, vhat, n)


cdef int _rmsprop_f32(const adam_c_rmsprop_ops *ops, size_t ops_size,
                      const adam_c_rmsprop_scalars *s, size_t s_size, float *p, const float *g,
                      float *ms, float *mg, float *mom, size_t n) noexcept nogil:
    if not _rms_abi_ok(ops_size, s_size):
        return ADAMKIT_CY_EABI
    return C.adam_c_rmsprop_f32(<const C.adam_c_rmsprop_ops *>ops,
                                <const C.adam_c_rmsprop_scalars *>s, p, g, ms, mg, mom, n)


cdef int _rmsprop_f64(const adam_c_rmsprop_ops *ops, size_t ops_size,
                      const adam_c_rmsprop_scalars *s, size_t s_size, double *p,
                      const double *g, double *ms, double *mg, double *mom,
                      size_t n) noexcept nogil:
    if not _rms_abi_ok(ops_size, s_size):
        return ADAMKIT_CY_EABI
    return C.adam_c_rmsprop_f64(<const C.adam_c_rmsprop_ops *>ops,
                                <const C.adam_c_rmsprop_scalars *>s, p, g, ms, mg, mom, n)


cdef int _adam_ops_check(const adam_c_adam_ops *ops, size_t ops_size) noexcept nogil:
    if ops_size != sizeof(C.adam_c_adam_ops):
        return ADAMKIT_CY_EABI
    return C.adam_c_adam_ops_check(<const C.adam_c_adam_ops *>ops)


cdef int _rmsprop_ops_check(const adam_c_rmsprop_ops *ops, size_t ops_size) noexcept nogil:
    if ops_size != sizeof(C.adam_c_rmsprop_ops):
        return ADAMKIT_CY_EABI
    return C.adam_c_rmsprop_ops_check(<const C.adam_c_rmsprop_ops *>ops)


cdef int _adam_default(adam_c_adam_ops *ops, size_t ops_size, adam_c_adam_scalars *s,
                       size_t s_size, double lr, double b1, double b2, double eps,
                       double weight_decay, long t, int is_float32) noexcept nogil:
    if not _adam_abi_ok(ops_size, s_size):
        return ADAMKIT_CY_EABI
    if ops == NULL or s == NULL:
        return ADAM_C_ENULL
    return _c_adam_default(<C.adam_c_adam_ops *>ops, <C.adam_c_adam_scalars *>s, lr, b1, b2,
                           eps, weight_decay, t, is_float32)


cdef int _rmsprop_default(adam_c_rmsprop_ops *ops, size_t ops_size,
                          adam_c_rmsprop_scalars *s, size_t s_size, double lr, double rho,
                          double eps, double momentum, double weight_decay,
                          int is_float32) noexcept nogil:
    if not _rms_abi_ok(ops_size, s_size):
        return ADAMKIT_CY_EABI
    if ops == NULL or s == NULL:
        return ADAM_C_ENULL
    return _c_rmsprop_default(<C.adam_c_rmsprop_ops *>ops, <C.adam_c_rmsprop_scalars *>s, lr,
                              rho, eps, momentum, weight_decay, is_float32)


cdef const char *_strerror(int status) noexcept nogil:
    if status == ADAMKIT_CY_EABI:
        return ("the extension was compiled against another adamkit's cython_adam.pxd "
                "(struct sizes differ); rebuild it")
    return C.adam_c_strerror(status)
