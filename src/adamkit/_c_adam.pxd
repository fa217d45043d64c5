# Private extern declarations of adam_c.h (the C core's contract). The public, stable
# cimport API is adamkit/cython_adam.pxd.

cdef extern from "adam_c.h" nogil:
    ctypedef struct adam_c_adam_ops:
        int maximize, grad_scale, grad_decay, grad_clip, decoupled
        int first, second, amsgrad, numer, denom, step, apply, sqrt_kind, ftz

    ctypedef struct adam_c_adam_scalars:
        double b1, c1, b2, c2, eps, eps_root, alpha, bc1, bc1n, bc2, s, k
        double gmul, gdiv, wd, clip, dk, dlr, l1, l2, lo, hi, dscale

    ctypedef struct adam_c_rmsprop_ops:
        int maximize, grad_scale, grad_decay, grad_clip, decoupled
        int square, center, denom, step, momentum, variance, sqrt_kind, ftz

    ctypedef struct adam_c_rmsprop_scalars:
        double rho, c, eps, lr, mu, gmul, gdiv, wd, clip, dk, dlr, dscale

    int adam_c_adam_f32(const adam_c_adam_ops *ops, const adam_c_adam_scalars *s,
                        float *p, const float *g, float *m, float *v, float *vhat, size_t n)
    int adam_c_adam_f64(const adam_c_adam_ops *ops, const adam_c_adam_scalars *s,
                        double *p, const double *g, double *m, double *v, double *vhat,
                        size_t n)
    int adam_c_rmsprop_f32(const adam_c_rmsprop_ops *ops, const adam_c_rmsprop_scalars *s,
                           float *p, const float *g, float *ms, float *mg, float *mom,
                           size_t n)
    int adam_c_rmsprop_f64(const adam_c_rmsprop_ops *ops, const adam_c_rmsprop_scalars *s,
                           double *p, const double *g, double *ms, double *mg, double *mom,
                           size_t n)
    int adam_c_adam_ops_check(const adam_c_adam_ops *ops)
    int adam_c_rmsprop_ops_check(const adam_c_rmsprop_ops *ops)
    const char *adam_c_strerror(int status)
    void adam_c_adam_default(adam_c_adam_ops *ops, adam_c_adam_scalars *s, double lr,
                             double b1, double b2, double eps, double weight_decay, long t,
                             int is_float32)
    void adam_c_rmsprop_default(adam_c_rmsprop_ops *ops, adam_c_rmsprop_scalars *s,
                                double lr, double rho, double eps, double momentum,
                                double weight_decay, int is_float32)

cdef extern from "adam_c_internal.h" nogil:
    int adam_c_adam_is_specialized_f32(const adam_c_adam_ops *)
    int adam_c_adam_is_specialized_f64(const adam_c_adam_ops *)
    int adam_c_rmsprop_is_specialized_f32(const adam_c_rmsprop_ops *)
    int adam_c_rmsprop_is_specialized_f64(const adam_c_rmsprop_ops *)
