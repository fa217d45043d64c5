# Private extern declarations of the C core (adam_c.h, the contract, and the library's
# internal helpers). The structs are opaque here: the bindings hold them in unions
# (_kernels.pyx) and address fields by the index that adamkit._vocab gives, so their
# fields are written in exactly one place, adam_c.h. The public, stable cimport API with
# every field is adamkit/cython_adam.pxd (generated from the header).

cdef extern from "adam_c.h" nogil:
    ctypedef struct adam_c_adam_ops:
        pass
    ctypedef struct adam_c_adam_scalars:
        pass
    ctypedef struct adam_c_rmsprop_ops:
        pass
    ctypedef struct adam_c_rmsprop_scalars:
        pass

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
    int adam_c_adam_default(adam_c_adam_ops *ops, adam_c_adam_scalars *s, double lr,
                            double b1, double b2, double eps, double weight_decay, long t,
                            int is_float32)
    int adam_c_rmsprop_default(adam_c_rmsprop_ops *ops, adam_c_rmsprop_scalars *s,
                               double lr, double rho, double eps, double momentum,
                               double weight_decay, int is_float32)
