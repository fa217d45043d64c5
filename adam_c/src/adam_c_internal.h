/* adam_c_internal.h -- private helpers shared by the kernel translation units. */
#ifndef ADAM_C_INTERNAL_H
#define ADAM_C_INTERNAL_H

#include <math.h>
#include <string.h>

#include "adam_c.h"

#if defined(__FAST_MATH__)
#error "adam_c must not be compiled with -ffast-math: it would change the rounding it promises"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ADAM_C_INLINE inline __attribute__((always_inline))
#define ADAM_C_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ADAM_C_INLINE inline
#define ADAM_C_ALWAYS_INLINE inline
#endif

#define ADAM_C_RESTRICT restrict

/*
 * Function multi-versioning: on x86-64 with GCC, each specialised loop is compiled twice,
 * for the baseline ISA and for x86-64-v3 (AVX2 + FMA), and the loader picks one. The two
 * give the same bits: the arithmetic is IEEE either way, contraction is off, and fma() is
 * exact in both (a hardware FMA in v3, the C library's fma in the baseline).
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(ADAM_C_NO_CLONES)
#define ADAM_C_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ADAM_C_CLONES
#endif

/* Testing and introspection entry points (declared here, exported for the tests). */
ADAM_C_API int adam_c_adam_generic_f32(const adam_c_adam_ops *, const adam_c_adam_scalars *,
                                       float *, const float *, float *, float *, float *,
                                       size_t);
ADAM_C_API int adam_c_adam_generic_f64(const adam_c_adam_ops *, const adam_c_adam_scalars *,
                                       double *, const double *, double *, double *,
                                       double *, size_t);
ADAM_C_API int adam_c_rmsprop_generic_f32(const adam_c_rmsprop_ops *,
                                          const adam_c_rmsprop_scalars *, float *,
                                          const float *, float *, float *, float *, size_t);
ADAM_C_API int adam_c_rmsprop_generic_f64(const adam_c_rmsprop_ops *,
                                          const adam_c_rmsprop_scalars *, double *,
                                          const double *, double *, double *, double *,
                                          size_t);
ADAM_C_API int adam_c_adam_is_specialized_f32(const adam_c_adam_ops *);
ADAM_C_API int adam_c_adam_is_specialized_f64(const adam_c_adam_ops *);
ADAM_C_API int adam_c_rmsprop_is_specialized_f32(const adam_c_rmsprop_ops *);
ADAM_C_API int adam_c_rmsprop_is_specialized_f64(const adam_c_rmsprop_ops *);

#endif
