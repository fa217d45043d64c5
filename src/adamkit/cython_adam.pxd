# adamkit/cython_adam.pxd -- the public, stable Cython API of adamkit's C core.
#
#     from adamkit.cython_adam cimport adam_c_adam_ops, adam_c_adam_scalars, \
#         adam_c_adam_default, adam_c_adam_f32
#
# Every function here behaves as the C function of the same name in adam_c.h (the
# contract; adamkit.get_include()). The work is done by the compiled module
# adamkit.cython_adam, whose functions Cython binds as C function pointers
# (__pyx_capi__) when your extension is imported. So an extension needs neither adam_c.h
# nor libadam_c.a to build (only this file, found on sys.path), and a call costs one
# indirect C call: no Python, no GIL (everything here is nogil and noexcept).
#
# ABI safety: the structs below are compiled into *your* extension. Each call passes
# their sizes along (the inline wrappers at the end do it for you), and the library
# refuses a call whose sizes differ from its own -- an extension built against another
# adamkit version gets ADAMKIT_CY_EABI and nothing is read or written, instead of memory
# corruption. Rebuild the extension to fix it.
#
# Stability: the names, structs, constants and signatures below are adamkit's Cython
# API; tests/test_cython_api.py records them (tests/cython_api_signatures.json), so a
# change is a deliberate, versioned decision, never an accident.
#
# Rules (those of scipy.linalg.cython_blas and scipy.optimize.cython_optimize): one
# interface .pxd, plain C types and structs, no cdef classes, no Python objects.

# ---- constants: adam_c.h's enums, same names and values ------------------------------
cdef enum:
    ADAM_C_OK = 0
    ADAM_C_ENULL = -1
    ADAM_C_EOPS = -2

cdef enum:
    ADAM_C_GSCALE_NONE = 0
    ADAM_C_GSCALE_MUL = 1
    ADAM_C_GSCALE_MULDIV = 2
    ADAM_C_GSCALE_MULMUL = 3

cdef enum:
    ADAM_C_GDECAY_NONE = 0
    ADAM_C_GDECAY_L2 = 1
    ADAM_C_GDECAY_L2_FMA = 2
    ADAM_C_GDECAY_L1_FMA = 3
    ADAM_C_GDECAY_L1 = 4

cdef enum:
    ADAM_C_GCLIP_NONE = 0
    ADAM_C_GCLIP_VALUE = 1

cdef enum:
    ADAM_C_DECOUPLED_NONE = 0
    ADAM_C_DECOUPLED_MUL = 1
    ADAM_C_DECOUPLED_SUBMUL = 2
    ADAM_C_DECOUPLED_FMA = 3

cdef enum:
    ADAM_C_M_LERP = 0
    ADAM_C_M_AXPBY = 1
    ADAM_C_M_LERP_FMA = 2
    ADAM_C_M_SCAL_FMA = 3
    ADAM_C_M_AXPBY_FMA = 4
    ADAM_C_M_LERP_FMA_HI = 5

cdef enum:
    ADAM_C_V_LERP = 0
    ADAM_C_V_AXPBY = 1
    ADAM_C_V_AXPBY_CG = 2
    ADAM_C_V_SCAL_FMA = 3
    ADAM_C_V_AXPBY_FMA = 4
    ADAM_C_V_MAX = 5
    ADAM_C_V_MAX_EPS = 6
    ADAM_C_V_SCAL_ADDCMUL = 7
    ADAM_C_V_SCAL_FMA_CG = 8
    ADAM_C_V_FMA_SCAL_CG = 9
    ADAM_C_V_LERP_FMA2 = 10

cdef enum:
    ADAM_C_NUM_M = 0
    ADAM_C_NUM_NESTEROV = 1
    ADAM_C_NUM_NADAM = 2
    ADAM_C_NUM_NADAM_FMA = 3

cdef enum:
    ADAM_C_D_SQRT_EPS = 0
    ADAM_C_D_SQRT_BC_EPS = 1
    ADAM_C_D_BC_SQRT_EPS = 2
    ADAM_C_D_POW_EPS = 3
    ADAM_C_D_EPS = 4
    ADAM_C_D_NONE = 5
    ADAM_C_D_MULBC_SQRT_EPS = 6
    ADAM_C_D_FMABC_SQRT_EPS = 7

cdef enum:
    ADAM_C_U_MUL_DIV = 0
    ADAM_C_U_DIV = 1
    ADAM_C_U_SCALE_DIV = 2
    ADAM_C_U_BC_DIV = 3
    ADAM_C_U_SCALE_DIV_CLIP = 4
    ADAM_C_U_MUL_DIV_DSCALE = 5

cdef enum:
    ADAM_C_P_SUB = 0
    ADAM_C_P_SUB_SCALED = 1
    ADAM_C_P_DECAY_SUB = 2
    ADAM_C_P_ADDWD_SUB = 3
    ADAM_C_P_SUB_SCALED_L1L2 = 4
    ADAM_C_P_FMA = 5
    ADAM_C_P_ADDWD_FMA = 6

cdef enum:
    ADAM_C_SQRT_IEEE = 0
    ADAM_C_SQRT_MKL_EX = 1

cdef enum:
    ADAM_C_MS_LERP = 0
    ADAM_C_MS_AXPBY = 1
    ADAM_C_MS_AXPBY_CG = 2
    ADAM_C_MS_SCAL_FMA = 3
    ADAM_C_MS_SCAL_FMA_POW = 4
    ADAM_C_MS_AXPBY_FMA = 5
    ADAM_C_MS_SCAL_ADDCMUL = 6
    ADAM_C_MS_SCAL_FMA_CG = 7
    ADAM_C_MS_AXPBY_POW = 8

cdef enum:
    ADAM_C_C_NONE = 0
    ADAM_C_C_LERP = 1
    ADAM_C_C_AXPBY = 2
    ADAM_C_C_LERP_FMA = 3
    ADAM_C_C_SCAL_FMA = 4
    ADAM_C_C_AXPBY_FMA = 5

cdef enum:
    ADAM_C_VAR_SUB = 0
    ADAM_C_VAR_FMA = 1
    ADAM_C_VAR_SUB_EPS = 2

cdef enum:
    ADAM_C_RD_SQRT_EPS_IN = 0
    ADAM_C_RD_SQRT_EPS = 1
    ADAM_C_RD_POW_EPS = 2
    ADAM_C_RD_MAX_SQRT = 3
    ADAM_C_RD_EPS_SUB_SQRT = 4
    ADAM_C_RD_EPS_FIRST_SQRT = 5

cdef enum:
    ADAM_C_RU_MUL_DIV = 0
    ADAM_C_RU_SCALE_OF_DIV = 1
    ADAM_C_RU_DIV = 2
    ADAM_C_RU_RSQRT_MUL = 3
    ADAM_C_RU_RECIP_MUL = 4
    ADAM_C_RU_X_RSQRT_TF = 5
    ADAM_C_RU_X_RSQRT_IEEE = 6
    ADAM_C_RU_G_LRRSQRT_TF = 7
    ADAM_C_RU_G_LRRSQRT_IEEE = 8
    ADAM_C_RU_X_RSQRT_XLA = 9
    ADAM_C_RU_MUL_DIV_DSCALE = 10

cdef enum:
    ADAM_C_MOM_NONE = 0
    ADAM_C_MOM_ACC = 1
    ADAM_C_MOM_ACC_FMA = 2
    ADAM_C_MOM_DELTA = 3
    ADAM_C_MOM_SCALED = 4
    ADAM_C_MOM_FMA = 5
    ADAM_C_MOM_TRACE = 6
    ADAM_C_MOM_TRACE_FMA = 7
    ADAM_C_MOM_ACC_FMA2 = 8
    ADAM_C_MOM_FMA_XRS = 9

# ---- structs: adam_c.h's, same fields in the same order ---------------------------
ctypedef struct adam_c_adam_ops:
    int maximize
    int grad_scale
    int grad_decay
    int grad_clip
    int decoupled
    int first
    int second
    int amsgrad
    int numer
    int denom
    int step
    int apply
    int sqrt_kind
    int ftz

ctypedef struct adam_c_adam_scalars:
    double b1
    double c1
    double b2
    double c2
    double eps
    double eps_root
    double alpha
    double bc1
    double bc1n
    double bc2
    double s
    double k
    double gmul
    double gdiv
    double wd
    double clip
    double dk
    double dlr
    double l1
    double l2
    double lo
    double hi
    double dscale

ctypedef struct adam_c_rmsprop_ops:
    int maximize
    int grad_scale
    int grad_decay
    int grad_clip
    int decoupled
    int square
    int center
    int denom
    int step
    int momentum
    int variance
    int sqrt_kind
    int ftz

ctypedef struct adam_c_rmsprop_scalars:
    double rho
    double c
    double eps
    double lr
    double mu
    double gmul
    double gdiv
    double wd
    double clip
    double dk
    double dlr
    double dscale

# Returned instead when the caller's structs differ in size from the library's.
cdef enum:
    ADAMKIT_CY_EABI = -100

# ---- exported implementation (bound through __pyx_capi__; call the wrappers below) ----
cdef int _adam_f32(const adam_c_adam_ops *ops, size_t ops_size, const adam_c_adam_scalars *s,
                   size_t s_size, float *p, const float *g, float *m, float *v, float *vhat,
                   size_t n) noexcept nogil
cdef int _adam_f64(const adam_c_adam_ops *ops, size_t ops_size, const adam_c_adam_scalars *s,
                   size_t s_size, double *p, const double *g, double *m, double *v,
                   double *vhat, size_t n) noexcept nogil
cdef int _rmsprop_f32(const adam_c_rmsprop_ops *ops, size_t ops_size,
                      const adam_c_rmsprop_scalars *s, size_t s_size, float *p, const float *g,
                      float *ms, float *mg, float *mom, size_t n) noexcept nogil
cdef int _rmsprop_f64(const adam_c_rmsprop_ops *ops, size_t ops_size,
                      const adam_c_rmsprop_scalars *s, size_t s_size, double *p,
                      const double *g, double *ms, double *mg, double *mom,
                      size_t n) noexcept nogil
cdef int _adam_ops_check(const adam_c_adam_ops *ops, size_t ops_size) noexcept nogil
cdef int _rmsprop_ops_check(const adam_c_rmsprop_ops *ops, size_t ops_size) noexcept nogil
cdef int _adam_default(adam_c_adam_ops *ops, size_t ops_size, adam_c_adam_scalars *s,
                       size_t s_size, double lr, double b1, double b2, double eps,
                       double weight_decay, long t, int is_float32) noexcept nogil
cdef int _rmsprop_default(adam_c_rmsprop_ops *ops, size_t ops_size,
                          adam_c_rmsprop_scalars *s, size_t s_size, double lr, double rho,
                          double eps, double momentum, double weight_decay,
                          int is_float32) noexcept nogil
cdef const char *_strerror(int status) noexcept nogil

# ---- the API: adam_c.h's functions (see adam_c.h for their exact semantics) ----------
# In-place steps over n contiguous elements; return ADAM_C_OK (0) or a negative status,
# and then write nothing. Buffers must not overlap; vhat/mg/mom may be NULL when unused.

cdef inline int adam_c_adam_f32(const adam_c_adam_ops *ops, const adam_c_adam_scalars *s,
                                float *p, const float *g, float *m, float *v, float *vhat,
                                size_t n) noexcept nogil:
    return _adam_f32(ops, sizeof(adam_c_adam_ops), s, sizeof(adam_c_adam_scalars),
                     p, g, m, v, vhat, n)

cdef inline int adam_c_adam_f64(const adam_c_adam_ops *ops, const adam_c_adam_scalars *s,
                                double *p, const double *g, double *m, double *v,
                                double *vhat, size_t n) noexcept nogil:
    return _adam_f64(ops, sizeof(adam_c_adam_ops), s, sizeof(adam_c_adam_scalars),
                     p, g, m, v, vhat, n)

cdef inline int adam_c_rmsprop_f32(const adam_c_rmsprop_ops *ops,
                                   const adam_c_rmsprop_scalars *s, float *p, const float *g,
                                   float *ms, float *mg, float *mom, size_t n) noexcept nogil:
    return _rmsprop_f32(ops, sizeof(adam_c_rmsprop_ops), s, sizeof(adam_c_rmsprop_scalars),
                        p, g, ms, mg, mom, n)

cdef inline int adam_c_rmsprop_f64(const adam_c_rmsprop_ops *ops,
                                   const adam_c_rmsprop_scalars *s, double *p,
                                   const double *g, double *ms, double *mg, double *mom,
                                   size_t n) noexcept nogil:
    return _rmsprop_f64(ops, sizeof(adam_c_rmsprop_ops), s, sizeof(adam_c_rmsprop_scalars),
                        p, g, ms, mg, mom, n)

cdef inline int adam_c_adam_ops_check(const adam_c_adam_ops *ops) noexcept nogil:
    return _adam_ops_check(ops, sizeof(adam_c_adam_ops))

cdef inline int adam_c_rmsprop_ops_check(const adam_c_rmsprop_ops *ops) noexcept nogil:
    return _rmsprop_ops_check(ops, sizeof(adam_c_rmsprop_ops))

# adamkit's own modes: adamkit.Adam(lr, betas=(b1, b2), eps, weight_decay) at step t
# (t counts from 1), and adamkit.RMSProp(lr, alpha=rho, eps, weight_decay, momentum=...).
# (In C these return void; here ADAM_C_OK, or ADAMKIT_CY_EABI without writing.)
cdef inline int adam_c_adam_default(adam_c_adam_ops *ops, adam_c_adam_scalars *s, double lr,
                                    double b1, double b2, double eps, double weight_decay,
                                    long t, int is_float32) noexcept nogil:
    return _adam_default(ops, sizeof(adam_c_adam_ops), s, sizeof(adam_c_adam_scalars), lr,
                         b1, b2, eps, weight_decay, t, is_float32)

cdef inline int adam_c_rmsprop_default(adam_c_rmsprop_ops *ops, adam_c_rmsprop_scalars *s,
                                       double lr, double rho, double eps, double momentum,
                                       double weight_decay, int is_float32) noexcept nogil:
    return _rmsprop_default(ops, sizeof(adam_c_rmsprop_ops), s,
                            sizeof(adam_c_rmsprop_scalars), lr, rho, eps, momentum,
                            weight_decay, is_float32)

# A short message for a status code (also for ADAMKIT_CY_EABI).
cdef inline const char *adam_c_strerror(int status) noexcept nogil:
    return _strerror(status)
