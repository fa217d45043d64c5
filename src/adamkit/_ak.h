/* _ak.h -- the C core's two families behind one signature, for the Cython bindings
   (_kernels.pyx, _core.pyx). Included by both; everything here is static. */
#ifndef ADAMKIT_AK_H
#define ADAMKIT_AK_H

#include "adam_c.h"
#include "adam_c_internal.h"
#ifdef _OPENMP
#include <omp.h>
#define ADAMKIT_OPENMP 1
#else
#define ADAMKIT_OPENMP 0
static int omp_get_max_threads(void) { return 1; }
#endif

/* Fork safety. GNU libgomp keeps a thread's team of OpenMP workers in that thread's
   thread-local storage; fork() copies the forking thread but not its workers, so in the
   child that thread's next parallel region waits forever for workers that do not exist.
   An at-fork handler (registered once, by _kernels) marks the thread that forked: in the
   child it runs every range serially (the bits do not depend on the thread count). Any
   other thread of the child starts its own, fresh team, so it keeps its threads. */
#if defined(_OPENMP) && !defined(_WIN32)
#include <pthread.h>
static volatile int ak_forked = 0;
static pthread_t ak_fork_thread;
static void ak_atfork_child(void) { ak_fork_thread = pthread_self(); ak_forked = 1; }
static inline int ak_register_atfork(void) { return pthread_atfork(NULL, NULL, ak_atfork_child); }
static inline int ak_fork_serial(void)
{ return ak_forked && pthread_equal(pthread_self(), ak_fork_thread); }
#else
static inline int ak_register_atfork(void) { return 0; }
static inline int ak_fork_serial(void) { return 0; }
#endif

/* An ops row or a scalar set of either family, fields addressed by index. */
typedef union { adam_c_adam_ops adam; adam_c_rmsprop_ops rmsprop; int i[32]; } ak_ops;
typedef union {
    adam_c_adam_scalars adam; adam_c_rmsprop_scalars rmsprop; double d[48];
} ak_scalars;
typedef char ak_ops_fit[sizeof(adam_c_adam_ops) <= sizeof(int[32]) &&
                        sizeof(adam_c_rmsprop_ops) <= sizeof(int[32]) ? 1 : -1];
typedef char ak_scalars_fit[sizeof(adam_c_adam_scalars) <= sizeof(double[48]) &&
                            sizeof(adam_c_rmsprop_scalars) <= sizeof(double[48]) ? 1 : -1];

/* A family of step functions behind one signature. */
typedef int (*ak_f32)(const ak_ops *, const ak_scalars *, float *, const float *,
                      float *, float *, float *, size_t);
typedef int (*ak_f64)(const ak_ops *, const ak_scalars *, double *, const double *,
                      double *, double *, double *, size_t);
typedef struct {
    ak_f32 f32;
    ak_f64 f64;
    int (*check)(const ak_ops *);
    unsigned (*buffers)(const ak_ops *);
    int (*specialized)(const ak_ops *, int is_float32);
    int nops, nscalars;
} ak_family;

#define AK_FAMILY(F, OPS, SC)                                                          \
    static int ak_##F##_f32(const ak_ops *o, const ak_scalars *s, float *p,          \
                            const float *g, float *a, float *b, float *c, size_t n)  \
    { return adam_c_##F##_f32(&o->F, &s->F, p, g, a, b, c, n); }                       \
    static int ak_##F##_f64(const ak_ops *o, const ak_scalars *s, double *p,         \
                            const double *g, double *a, double *b, double *c,        \
                            size_t n)                                                  \
    { return adam_c_##F##_f64(&o->F, &s->F, p, g, a, b, c, n); }                       \
    static int ak_##F##_check(const ak_ops *o) { return adam_c_##F##_ops_check(&o->F); } \
    static unsigned ak_##F##_buffers(const ak_ops *o) { return adam_c_##F##_buffers(&o->F); } \
    static int ak_##F##_specialized(const ak_ops *o, int f32)                          \
    { return f32 ? adam_c_##F##_is_specialized_f32(&o->F)                              \
                 : adam_c_##F##_is_specialized_f64(&o->F); }                           \
    static const ak_family AK_##F = {ak_##F##_f32, ak_##F##_f64, ak_##F##_check,       \
        ak_##F##_buffers, ak_##F##_specialized,                                        \
        (int)(sizeof(OPS) / sizeof(int)), (int)(sizeof(SC) / sizeof(double))};
AK_FAMILY(adam, adam_c_adam_ops, adam_c_adam_scalars)
AK_FAMILY(rmsprop, adam_c_rmsprop_ops, adam_c_rmsprop_scalars)

/* adamkit's own scalars (the ops it also fills are not used): ADAM_C_OK or ADAM_C_EARG. */
static inline int ak_adam_default(ak_scalars *s, double lr, double b1, double b2, double eps,
                                  double wd, long t, int f32)
{ adam_c_adam_ops unused; return adam_c_adam_default(&unused, &s->adam, lr, b1, b2, eps, wd, t, f32); }
static inline int ak_rmsprop_default(ak_scalars *s, double lr, double rho, double eps,
                                     double mu, double wd, int f32)
{ adam_c_rmsprop_ops unused; return adam_c_rmsprop_default(&unused, &s->rmsprop, lr, rho, eps, mu, wd, f32); }
#endif
