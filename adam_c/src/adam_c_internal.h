/* adam_c_internal.h -- private helpers shared by the kernel translation units. */
#ifndef ADAM_C_INTERNAL_H
#define ADAM_C_INTERNAL_H

#include <math.h>
#include <stdint.h>
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

/* A call the optimizers must leave alone: GCC's vectorizer rewrites pow(x, 0.5) as sqrt(x)
   and pow(x, 2) as x*x (tree-vect-patterns.cc, even without -ffast-math), which changes
   bits against the C library's pow that Caffe calls; noipa also stops constant
   propagation into the callee, so the C library's pow runs with the exponent as data. */
#if defined(__GNUC__) && !defined(__clang__)
#define ADAM_C_OPAQUE __attribute__((noipa))
#elif defined(__clang__)
#define ADAM_C_OPAQUE __attribute__((noinline, optnone))
#else
#define ADAM_C_OPAQUE
#endif

#define ADAM_C_RESTRICT restrict

#include <stdint.h>

/* The software models of the estimates (estimates.c) and what this CPU has. */
uint32_t adam_c_est_rsqrtps_zen_bits(uint32_t x);
float adam_c_est_rsqrtps_zen(float x);
uint64_t adam_c_est_rsqrt14pd_bits(uint64_t x, int daz);
double adam_c_est_rsqrt14pd(double x, int daz);
int adam_c_host_rsqrtps_is_zen(void);
int adam_c_host_has_avx512f(void);

/* The hardware reciprocal-square-root estimate (x86 rsqrtss), which PyTorch's MKL sqrt
   and XLA's rsqrt start from. Its table is implementation-defined (AMD and Intel differ),
   which is why the frameworks' own bits depend on the CPU; adamkit uses the same
   instruction so that it reproduces them on the same CPU. */
#if defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
#endif
#if (defined(__x86_64__) || defined(_M_X64)) && !defined(ADAM_C_NO_RSQRT)
#define ADAM_C_HAVE_RSQRT 1
/* The estimate of one element (rsqrtss). The vectorized loops do not call it: they call
   the rows built on it, whole, as SIMD functions (estimate_rows.c, below), whose vector
   versions run rsqrtps, per lane the same table lookup as rsqrtss. The functions below
   select with adam_c_select_f32, not with ?: or if, so that they stay branch-free. */
float adam_c_rsqrt_est(float x);

/* vrsqrt14pd of one element (AVX-512F; estimates.c), for the AVX-512 XLA rows, which run
   only where the CPU has AVX-512F (the run functions key them portable elsewhere). With
   GCC it is declared a SIMD function (the x86-64 vector function ABI): estimates.c defines
   its vector versions with vrsqrt14pd (Intel's published estimate, per lane the same as
   vrsqrt14sd's), which the float64 XLA loops call; they vectorize only without branches
   (GCC 12 does not if-convert around calls). */
#if defined(__GNUC__) && !defined(__clang__) && !defined(ADAM_C_RSQRT_DEFINITION)
__attribute__((simd("notinbranch"), const, nothrow, leaf))
#endif
double adam_c_hw_rsqrt14pd(double x);

/* The estimate a kernel uses: this CPU's instruction, or (portable) the AMD Zen model. */
static inline float adam_c_rsqrt_estimate(int portable, float x)
{
    return portable ? adam_c_est_rsqrtps_zen(x) : adam_c_rsqrt_est(x);
}
#else
#define ADAM_C_HAVE_RSQRT 0
double adam_c_hw_rsqrt14pd(double x);
/* No estimate instruction here: the model, everywhere (the same bits as on AMD Zen). */
static inline float adam_c_rsqrt_estimate(int portable, float x)
{
    (void)portable;
    return adam_c_est_rsqrtps_zen(x);
}
#endif

/* Whether the C library is glibc >= 2.MINOR. powf_exact.c and pow_exact.c build on the
   error bounds of glibc's powf (>= 2.28 here) and pow (>= 2.29: ARM's optimized-routines
   code, pow@GLIBC_2.29); elsewhere they call the C library's function for every element. */
#if defined(__GLIBC__)
#define ADAM_C_GLIBC_AT_LEAST(minor) (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= (minor)))
#else
#define ADAM_C_GLIBC_AT_LEAST(minor) 0
#endif

/* The C library's powf(x, 0.5f) and powf(x, 2.0f), bit for bit (powf_exact.c: a double
   computation rounded once to float, and powf itself for inputs whose double lies within
   ADAM_C_POWF_BAND / 2^29 ULP of a float32 rounding midpoint, or that are not in range).
   Caffe's float32 powx. With GCC on x86-64 they are SIMD functions, like adam_c_hw_rsqrt14pd:
   a vectorized loop calls powf_exact.c's vector versions. */
#if !defined(ADAM_C_POWF_BAND) /* tests only may narrow it, to see the proof fail */
#define ADAM_C_POWF_BAND (1u << 22)
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(ADAM_C_POWF_DEFINITION)
__attribute__((simd("notinbranch"), const, nothrow, leaf))
#endif
float adam_c_powf_half(float x);
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(ADAM_C_POWF_DEFINITION)
__attribute__((simd("notinbranch"), const, nothrow, leaf))
#endif
float adam_c_powf_sq(float x);

/* The C library's pow(x, 0.5) and pow(x, 2.0), bit for bit (pow_exact.c: sqrt(x) or x * x,
   correctly rounded, where glibc's documented error bound makes pow return the same, and
   pow itself where the exact result lies within the guard band of a rounding midpoint,
   ADAM_C_POW_BAND_A / 1024 ULP for results in [2^-63, 2^64), ADAM_C_POW_BAND_B / 1024
   ULP elsewhere, or x is out of range). Caffe's float64 powx; SIMD functions as above. */
#if !defined(ADAM_C_POW_BAND_A) /* tests only may narrow them, to see the check fail */
#define ADAM_C_POW_BAND_A 27
#endif
#if !defined(ADAM_C_POW_BAND_B)
#define ADAM_C_POW_BAND_B 72
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(ADAM_C_POW_DEFINITION)
__attribute__((simd("notinbranch"), const, nothrow, leaf))
#endif
double adam_c_pow_half(double x);
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(ADAM_C_POW_DEFINITION)
__attribute__((simd("notinbranch"), const, nothrow, leaf))
#endif
double adam_c_pow_sq(double x);

/* The x86-64 vector function ABI versions of a SIMD function NAME of one argument
   (powf_exact.c, pow_exact.c), defined from the file's implementations of 1, 2 and 4
   SSE registers' worth of lanes: V1 (SSE2: b, N1 lanes), V1X2 (AVX: c, two V1 halves:
   AVX has no 256-bit integer operations), V2 (AVX2 + FMA: d; loops vectorized for AVX2
   are x86-64-v3 code, which has FMA) and V4 (AVX-512F: e), each called as V(x, ARG). */
#define ADAM_C_VECTOR_VERSIONS(NAME, ARG, T1, T2, T4, N1, N2, N4, V1, V1X2, V2, V4)          \
    T1 _ZGVbN##N1##v_##NAME(T1 x);                                                           \
    T1 _ZGVbN##N1##v_##NAME(T1 x) { return V1(x, ARG); }                                     \
    __attribute__((target("avx"))) T2 _ZGVcN##N2##v_##NAME(T2 x);                            \
    __attribute__((target("avx"))) T2 _ZGVcN##N2##v_##NAME(T2 x) { return V1X2(x, ARG); }    \
    __attribute__((target("avx2,fma"))) T2 _ZGVdN##N2##v_##NAME(T2 x);                       \
    __attribute__((target("avx2,fma"))) T2 _ZGVdN##N2##v_##NAME(T2 x) { return V2(x, ARG); } \
    __attribute__((target("avx512f"))) T4 _ZGVeN##N4##v_##NAME(T4 x);                        \
    __attribute__((target("avx512f"))) T4 _ZGVeN##N4##v_##NAME(T4 x) { return V4(x, ARG); }

/* c ? a : b without a branch. */
static inline float adam_c_select_f32(int c, float a, float b)
{
    uint32_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    const uint32_t mask = (uint32_t)0 - (uint32_t)(c != 0);
    const uint32_t u = (ua & mask) | (ub & ~mask);
    float r;
    memcpy(&r, &u, sizeof r);
    return r;
}

/* c ? a : b without a branch. */
static inline double adam_c_select_f64(int c, double a, double b)
{
    uint64_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    const uint64_t mask = (uint64_t)0 - (uint64_t)(c != 0);
    const uint64_t u = (ua & mask) | (ub & ~mask);
    double r;
    memcpy(&r, &u, sizeof r);
    return r;
}

static inline double adam_c_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/*
 * float32 sqrt as MKL VML's "EX" kernel computes it (PyTorch's CPU torch.sqrt on AMD Zen),
 * reconstructed from its disassembly (conformance/notes/pytorch-recipes.md): a rsqrtss
 * estimate y, then s = x*y, h = y/2, r = 1/2 - s*h, s1 = s*r + s, h1 = h*r + h,
 * sqrt = (x - s1*s1)*h1 + s1, all in float without fma. +-0, subnormals, negatives,
 * values near FLT_MAX, Inf and NaN take MKL's exact path.
 */
static inline float adam_c_mkl_sqrt_f32(int portable, float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const int exact_path = (int32_t)(bits + 0x7f800000u) > (int32_t)0xfefff000u;
    const float y = adam_c_rsqrt_estimate(portable, x);
    const float s = x * y, h = y * 0.5f;
    const float r = 0.5f - s * h;
    const float s1 = s * r + s, h1 = h * r + h;
    const float d = x - s1 * s1;
    return adam_c_select_f32(exact_path, sqrtf(x), d * h1 + s1);
}

/*
 * float64 sqrt as MKL VML's "EX" kernel computes it (same source): a rsqrtss estimate of
 * the float-rounded mantissa, rescaled by the exponent, a split x = xh + xl, a degree-4
 * polynomial correction in e = 1 - y^2 x, all in double without fma. +-0, subnormals,
 * negatives, values near DBL_MAX, Inf and NaN take MKL's exact path (sqrt). Both paths
 * are computed and one selected without a branch, as in the float32 version, so that
 * loops using it vectorize (the discarded lane's arithmetic on a special value raises
 * only masked exception flags, which nothing reads).
 */
static inline double adam_c_mkl_sqrt_f64(int portable, double x)
{
    const double C4 = adam_c_from_bits(0x3fd1800032338cbbULL);
    const double C3 = adam_c_from_bits(0x3fd40000b13001d9ULL);
    const double C2 = adam_c_from_bits(0x3fd80000000000f6ULL);
    const double C1 = adam_c_from_bits(0x3fdffffffffffe71ULL);
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    const uint32_t hi = (uint32_t)(u >> 32);
    const int exact_path = (int32_t)(hi + 0x7ff00000u) > (int32_t)0xffbfffffu;
    const uint64_t inv52 = (~u) & 0x0010000000000000ULL;
    const uint32_t fb =
        (uint32_t)(((inv52 + 0x07f0000000000000ULL) | (u & 0x001fffffe0000000ULL)) >> 29);
    float f;
    memcpy(&f, &fb, sizeof f);
    const double scale = adam_c_from_bits(
        ((inv52 - (u & 0x7ff0000000000000ULL)) + 0xbfd0000000000000ULL) >> 1);
    const double y0 = (double)adam_c_rsqrt_estimate(portable, f) * scale;
    const double y2 = y0 * y0;
    const double xh = adam_c_from_bits(u & 0xfffffffff8000000ULL);
    const double xl = x - xh;
    const double e = (1.0 - y2 * xh) - y2 * xl;
    const double p = (((e * C4 + C3) * e + C2) * e + C1) * e;
    const double lo = xl * y0 + (p * y0) * x;
    return adam_c_select_f64(exact_path, sqrt(x), xh * y0 + lo);
}

/*
 * XLA's float64 rsqrt on a CPU with AVX-512F (ADAM_C_RSQRT_XLA_AVX512), from the LLVM IR and
 * code XLA emits (jaxlib 0.10.2): a subnormal input is read as zero (XLA's kernels run with
 * DAZ), the vrsqrt14pd estimate y0, two Newton steps r2 = x*y, hr = y*-0.5,
 * h = fma(r2, y, -1), y = fma(hr, h, y); x < DBL_MIN or x = +inf gives y0 (an ordered
 * compare: NaN takes the refined value). portable: the estimate's model.
 */
static inline double adam_c_xla_rsqrt512_f64(int portable, double x)
{
    /* & and | rather than && and ||: no control flow, so that loops using it vectorize */
    x = adam_c_select_f64((x != 0.0) & (fabs(x) < 2.2250738585072014e-308), copysign(0.0, x),
                          x);
    const double y0 = portable ? adam_c_est_rsqrt14pd(x, 1) : adam_c_hw_rsqrt14pd(x);
    double y = y0;
    for (int i = 0; i < 2; i++) {
        const double r2 = x * y, hr = y * -0.5;
        const double h = fma(r2, y, -1.0);
        y = fma(hr, h, y);
    }
    return adam_c_select_f64((x < 2.2250738585072014e-308) | (x == (double)INFINITY), y0, y);
}

/*
 * XLA's float32 rsqrt (ADAM_C_RU_RSQRT_MUL, ADAM_C_RU_X_RSQRT_XLA): the rsqrtss estimate
 * y0, one Newton step r2 = x*y0, hr = y0*-0.5, h = fma(r2, y0, -1), fma(hr, h, y0); x <
 * FLT_MIN (or NaN) and x = +inf give y0.
 */
static inline float adam_c_xla_rsqrt_f32(int portable, float x)
{
    const float y0 = adam_c_rsqrt_estimate(portable, x);
    const float r2 = x * y0, hr = y0 * -0.5f;
    const float h = fmaf(r2, y0, -1.0f);
    return adam_c_select_f32(!(x >= 1.17549435e-38f) || x == (float)INFINITY, y0,
                             fmaf(hr, h, y0));
}

/* Eigen's prsqrt as TensorFlow's CPU Rsqrt kernel computes float32 (ADAM_C_RU_*_TF): the
   rsqrtss estimate y, h = (x*y)*y - 1 and y + (-y/2)*h without fma; NaN -> y. */
static inline float adam_c_tf_rsqrt_f32(int portable, float x)
{
    const float y = adam_c_rsqrt_estimate(portable, x);
    const float r2 = x * y, hr = y * -0.5f;
    const float h = r2 * y + -1.0f;
    const float out = hr * h + y;
    return adam_c_select_f32(out != out, y, out);
}

/*
 * The rows above with this CPU's estimate (portable = 0), as whole functions (estimate_rows.c):
 * with GCC on x86-64 they are SIMD functions whose vector versions compute the estimate
 * inline (rsqrtps) and, for the MKL square roots, the exact path's sqrt only when a lane
 * needs it, so that a vectorized loop makes one call per vector for the whole square root.
 * Same bits as adam_c_mkl_sqrt_f32(0, x) etc., lane for lane (tests/test_estimate_rows.py).
 */
#if ADAM_C_HAVE_RSQRT
#if defined(__GNUC__) && !defined(__clang__) && !defined(ADAM_C_EST_ROWS_DEFINITION)
#define ADAM_C_EST_ROWS_SIMD __attribute__((simd("notinbranch"), const, nothrow, leaf))
#else
#define ADAM_C_EST_ROWS_SIMD
#endif
ADAM_C_EST_ROWS_SIMD float adam_c_mkl_sqrt_f32_host(float x);
ADAM_C_EST_ROWS_SIMD double adam_c_mkl_sqrt_f64_host(double x);
ADAM_C_EST_ROWS_SIMD float adam_c_xla_rsqrt_f32_host(float x);
ADAM_C_EST_ROWS_SIMD float adam_c_tf_rsqrt_f32_host(float x);
#undef ADAM_C_EST_ROWS_SIMD
/* What a kernel calls: the row by the estimate's model (portable) or with this CPU's. */
#define ADAM_C_EST_ROW(fn, portable, x) ((portable) ? adam_c_##fn(1, (x)) : adam_c_##fn##_host(x))
#else
#define ADAM_C_EST_ROW(fn, portable, x) adam_c_##fn(1, (x))
#endif

/* Whether an RMSProp row starts from a reciprocal-square-root estimate. */
static inline int adam_c_uses_estimate_rms(const adam_c_rmsprop_ops *o)
{
    return o->sqrt_kind == ADAM_C_SQRT_MKL_EX || o->step == ADAM_C_RU_RSQRT_MUL ||
           o->step == ADAM_C_RU_X_RSQRT_TF || o->step == ADAM_C_RU_G_LRRSQRT_TF ||
           o->step == ADAM_C_RU_X_RSQRT_XLA;
}

/* The floating-point mode for the duration of one call: with ftz (ops->ftz) flush-to-zero
   and denormals-are-zero, else both cleared (IEEE arithmetic, whatever mode the caller or a
   library it called left: XLA runs its custom calls with both set, torch with
   set_flush_denormal). The mode is per thread, so every thread that runs a piece of an
   array sets and restores its own; the bits then depend on the ops row alone, not on the
   thread that runs a chunk. */
#if defined(__SSE2__) || defined(_M_X64)
#define ADAM_C_HAVE_FTZ 1
typedef unsigned int adam_c_fpmode;
static inline adam_c_fpmode adam_c_fp_enter(int ftz)
{
    const unsigned int old = _mm_getcsr();
    const unsigned int want = ftz ? old | 0x8040u : old & ~0x8040u; /* FTZ bit 15, DAZ 6 */
    if (want != old) _mm_setcsr(want);
    return old;
}
static inline void adam_c_fp_leave(adam_c_fpmode old)
{
    if (_mm_getcsr() != old) _mm_setcsr(old);
}
#else
#define ADAM_C_HAVE_FTZ 0
#endif

static inline int adam_c_rmsprop_needs_mom(const adam_c_rmsprop_ops *o)
{
    return o->momentum == ADAM_C_MOM_ACC || o->momentum == ADAM_C_MOM_ACC_FMA ||
           o->momentum == ADAM_C_MOM_DELTA || o->momentum == ADAM_C_MOM_TRACE ||
           o->momentum == ADAM_C_MOM_TRACE_FMA || o->momentum == ADAM_C_MOM_ACC_FMA2;
}

/* The state buffers an ops row needs, as a bit mask over the three buffer arguments of
   the family's step function: Adam m (1), v (2), vhat (4); RMSProp ms (1), mg (2),
   mom (4). The bindings allocate and check exactly these. */
static inline unsigned adam_c_adam_buffers(const adam_c_adam_ops *o)
{
    return 1u | 2u | (o->amsgrad ? 4u : 0u);
}

static inline unsigned adam_c_rmsprop_buffers(const adam_c_rmsprop_ops *o)
{
    return 1u | (o->center != ADAM_C_C_NONE ? 2u : 0u) | (adam_c_rmsprop_needs_mom(o) ? 4u : 0u);
}

/*
 * Function multi-versioning: on x86-64 with GCC, each specialised loop is compiled three
 * times, for the baseline ISA, for x86-64-v3 (AVX2 + FMA) and for x86-64-v4 (AVX-512F/BW/
 * CD/DQ/VL), and the loader picks the best this CPU runs. They give the same bits: the
 * arithmetic is IEEE in every ISA, contraction is off (an fma only where FMA() is written,
 * exact in all three: hardware in v3 and v4, the C library's fma in the baseline), the
 * estimates are the rsqrtps table in every width (adam_c_common.c), and nothing is
 * reassociated (no -ffast-math, no reductions).
 *
 * ADAM_C_ONE_TARGET (tests only): compile the specialised loops for that one target
 * instead, e.g. -DADAM_C_ONE_TARGET='"arch=x86-64-v4"', so that a test binary runs a
 * chosen clone's code on a CPU where the loader would pick another (the loader's choice
 * follows CPUID, which no environment variable overrides); the generic loop stays baseline.
 */
#if defined(ADAM_C_ONE_TARGET)
#define ADAM_C_CLONES __attribute__((target(ADAM_C_ONE_TARGET)))
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(ADAM_C_NO_CLONES)
#define ADAM_C_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
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
ADAM_C_API size_t adam_c_adam_instances_f32(void);
ADAM_C_API size_t adam_c_adam_instances_f64(void);
ADAM_C_API size_t adam_c_rmsprop_instances_f32(void);
ADAM_C_API size_t adam_c_rmsprop_instances_f64(void);
ADAM_C_API int adam_c_adam_is_specialized_f32(const adam_c_adam_ops *);
ADAM_C_API int adam_c_adam_is_specialized_f64(const adam_c_adam_ops *);
ADAM_C_API int adam_c_rmsprop_is_specialized_f32(const adam_c_rmsprop_ops *);
ADAM_C_API int adam_c_rmsprop_is_specialized_f64(const adam_c_rmsprop_ops *);

/* The update u with p + u == q, element by element (delta.c): adamkit.optax's updates. */
ADAM_C_API int adam_c_delta_f32(const float *p, const float *q, float *u, size_t n, int ftz,
                                int search);
ADAM_C_API int adam_c_delta_f64(const double *p, const double *q, double *u, size_t n,
                                int ftz, int search);

#endif
