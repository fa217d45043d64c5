/*
 * estimate_rows.c -- the preset arithmetic that starts from this CPU's reciprocal-square-root
 * estimate (rsqrtss/rsqrtps), as whole SIMD functions:
 *
 *   adam_c_mkl_sqrt_f32_host   MKL VML's "EX" sqrt, float32   (adam_c_mkl_sqrt_f32(0, x))
 *   adam_c_mkl_sqrt_f64_host   MKL VML's "EX" sqrt, float64   (adam_c_mkl_sqrt_f64(0, x))
 *   adam_c_xla_rsqrt_f32_host  XLA's float32 rsqrt            (adam_c_xla_rsqrt_f32(0, x))
 *   adam_c_tf_rsqrt_f32_host   Eigen's float32 prsqrt (TF)    (adam_c_tf_rsqrt_f32(0, x))
 *
 * The scalar functions are the definitions in adam_c_internal.h, called. adam_c_internal.h
 * declares them SIMD functions (GCC, x86-64), so a vectorized loop calls the vector
 * versions below once per vector, for the whole square root. Before, a loop called the
 * estimate alone (adam_c_rsqrt_est) once per vector and computed the rest inline, and the
 * branch-free select computed the MKL exact path, a correctly rounded sqrt, in every lane.
 * The vector versions run the estimate inline, the same operations as the scalar function
 * in the same order in every lane (IEEE, no contraction: the library is built with
 * -ffp-contract=off; fma only where the definition has fmaf), and the sqrt of the exact
 * path only when some lane takes it. So each lane's bits are the scalar function's under
 * any MXCSR (FTZ/DAZ apply to the same instructions; the exact-path predicate is an integer
 * test of the bits); tests/test_estimate_rows.py checks it for every version this CPU runs.
 *
 * The arithmetic is written once (estimate_rows.inc, GCC vector extensions) and included
 * once per width, with that width's estimate, sqrt and fma:
 *   b = SSE2 (4 floats / 2 doubles), d = AVX2 + FMA (8 / 4), e = AVX-512F (16 / 8);
 *   c = AVX without AVX2 runs two b halves. XLA's rsqrt needs fma: b and c compute it lane
 *   by lane with the scalar function (a CPU without FMA runs the baseline loops).
 * The estimate is rsqrtps in every width; AVX-512 runs it on two 256-bit halves, because
 * vrsqrt14ps is a different (more precise) estimate.
 */
#define ADAM_C_EST_ROWS_DEFINITION /* defined here without the simd attribute (see above) */
#include "adam_c_internal.h"

#if ADAM_C_HAVE_RSQRT
float adam_c_mkl_sqrt_f32_host(float x) { return adam_c_mkl_sqrt_f32(0, x); }
double adam_c_mkl_sqrt_f64_host(double x) { return adam_c_mkl_sqrt_f64(0, x); }
float adam_c_xla_rsqrt_f32_host(float x) { return adam_c_xla_rsqrt_f32(0, x); }
float adam_c_tf_rsqrt_f32_host(float x) { return adam_c_tf_rsqrt_f32(0, x); }

#if defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

/* ---- b: SSE2, 4 floats / 2 doubles -------------------------------------------------- */
typedef float b_vf __attribute__((vector_size(16)));
typedef int32_t b_vi __attribute__((vector_size(16)));
typedef uint32_t b_vu __attribute__((vector_size(16)));
typedef double b_vd __attribute__((vector_size(16)));
typedef int64_t b_vl __attribute__((vector_size(16)));
typedef uint64_t b_vul __attribute__((vector_size(16)));

static ADAM_C_INLINE b_vf b_est(b_vf x) { return (b_vf)_mm_rsqrt_ps((__m128)x); }
static ADAM_C_INLINE b_vf b_sqrtf(b_vf x) { return (b_vf)_mm_sqrt_ps((__m128)x); }
static ADAM_C_INLINE b_vd b_sqrtd(b_vd x) { return (b_vd)_mm_sqrt_pd((__m128d)x); }
static ADAM_C_INLINE int b_any(b_vi m) { return _mm_movemask_ps((__m128)m) != 0; }
static ADAM_C_INLINE int b_anyl(b_vl m) { return _mm_movemask_pd((__m128d)m) != 0; }
/* the estimate of the float whose bits are the low half of each 64-bit lane, as a double */
static ADAM_C_INLINE b_vd b_est_lo(b_vul f)
{
    const __m128 lo = _mm_castsi128_ps(_mm_shuffle_epi32((__m128i)f, _MM_SHUFFLE(3, 1, 2, 0)));
    return (b_vd)_mm_cvtps_pd(_mm_rsqrt_ps(lo));
}

#define V(name) b_##name
#define TARGET
#include "estimate_rows.inc"
#undef V
#undef TARGET

/* ---- d: AVX2 + FMA, 8 floats / 4 doubles -------------------------------------------- */
#define TARGET __attribute__((target("avx2,fma")))
typedef float d_vf __attribute__((vector_size(32)));
typedef int32_t d_vi __attribute__((vector_size(32)));
typedef uint32_t d_vu __attribute__((vector_size(32)));
typedef double d_vd __attribute__((vector_size(32)));
typedef int64_t d_vl __attribute__((vector_size(32)));
typedef uint64_t d_vul __attribute__((vector_size(32)));

static TARGET ADAM_C_INLINE d_vf d_est(d_vf x) { return (d_vf)_mm256_rsqrt_ps((__m256)x); }
static TARGET ADAM_C_INLINE d_vf d_sqrtf(d_vf x) { return (d_vf)_mm256_sqrt_ps((__m256)x); }
static TARGET ADAM_C_INLINE d_vd d_sqrtd(d_vd x) { return (d_vd)_mm256_sqrt_pd((__m256d)x); }
static TARGET ADAM_C_INLINE int d_any(d_vi m) { return _mm256_movemask_ps((__m256)m) != 0; }
static TARGET ADAM_C_INLINE int d_anyl(d_vl m) { return _mm256_movemask_pd((__m256d)m) != 0; }
static TARGET ADAM_C_INLINE d_vd d_est_lo(d_vul f)
{
    const __m256i lo = _mm256_permutevar8x32_epi32((__m256i)f, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
    return (d_vd)_mm256_cvtps_pd(_mm_rsqrt_ps(_mm_castsi128_ps(_mm256_castsi256_si128(lo))));
}
static TARGET ADAM_C_INLINE d_vf d_fmaf(d_vf a, d_vf b, d_vf c)
{
    return (d_vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
}

#define V(name) d_##name
#define HAVE_FMA 1
#include "estimate_rows.inc"
#undef V
#undef TARGET

/* ---- e: AVX-512F, 16 floats / 8 doubles --------------------------------------------- */
#define TARGET __attribute__((target("avx512f")))
typedef float e_vf __attribute__((vector_size(64)));
typedef int32_t e_vi __attribute__((vector_size(64)));
typedef uint32_t e_vu __attribute__((vector_size(64)));
typedef double e_vd __attribute__((vector_size(64)));
typedef int64_t e_vl __attribute__((vector_size(64)));
typedef uint64_t e_vul __attribute__((vector_size(64)));

static TARGET ADAM_C_INLINE e_vf e_est(e_vf x)
{
    const __m512 v = (__m512)x;
    const __m256 lo = _mm256_rsqrt_ps(_mm512_castps512_ps256(v));
    const __m256 hi = _mm256_rsqrt_ps(
        _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    return (e_vf)_mm512_castpd_ps(_mm512_insertf64x4(
        _mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}
static TARGET ADAM_C_INLINE e_vf e_sqrtf(e_vf x) { return (e_vf)_mm512_sqrt_ps((__m512)x); }
static TARGET ADAM_C_INLINE e_vd e_sqrtd(e_vd x) { return (e_vd)_mm512_sqrt_pd((__m512d)x); }
static TARGET ADAM_C_INLINE int e_any(e_vi m) { return _mm512_test_epi32_mask((__m512i)m, (__m512i)m) != 0; }
static TARGET ADAM_C_INLINE int e_anyl(e_vl m) { return _mm512_test_epi64_mask((__m512i)m, (__m512i)m) != 0; }
static TARGET ADAM_C_INLINE e_vd e_est_lo(e_vul f)
{
    const __m256i lo = _mm512_cvtepi64_epi32((__m512i)f);
    return (e_vd)_mm512_cvtps_pd(_mm256_rsqrt_ps(_mm256_castsi256_ps(lo)));
}
static TARGET ADAM_C_INLINE e_vf e_fmaf(e_vf a, e_vf b, e_vf c)
{
    return (e_vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
}

#define V(name) e_##name
#include "estimate_rows.inc"
#undef V
#undef TARGET
#undef HAVE_FMA

/* XLA's rsqrt without FMA (b and c): the scalar function in every lane. */
static __attribute__((noinline)) void xla_rsqrt_lanes(float *v, int n)
{
    for (int i = 0; i < n; i++) v[i] = adam_c_xla_rsqrt_f32(0, v[i]);
}

/* The vector versions GCC's vectorizer calls (x86-64 vector function ABI). */
#define ADAM_C_F32_VERSIONS(NAME, B, E, D)                                                   \
    __m128 _ZGVbN4v_##NAME(__m128 x);                                                       \
    __m128 _ZGVbN4v_##NAME(__m128 x) { return B; }                                          \
    __attribute__((target("avx"))) __m256 _ZGVcN8v_##NAME(__m256 x);                        \
    __attribute__((target("avx"))) __m256 _ZGVcN8v_##NAME(__m256 x)                         \
    {                                                                                         \
        const __m128 lo = _mm256_castps256_ps128(x), hi = _mm256_extractf128_ps(x, 1);       \
        return _mm256_insertf128_ps(_mm256_castps128_ps256(B_OF(lo)), B_OF(hi), 1);          \
    }                                                                                         \
    __attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_##NAME(__m256 x);                   \
    __attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_##NAME(__m256 x) { return D; }      \
    __attribute__((target("avx512f"))) __m512 _ZGVeN16v_##NAME(__m512 x);                   \
    __attribute__((target("avx512f"))) __m512 _ZGVeN16v_##NAME(__m512 x) { return E; }

#define B_OF(v) (__m128)b_mkl_sqrt_f32((b_vf)(v))
ADAM_C_F32_VERSIONS(adam_c_mkl_sqrt_f32_host, B_OF(x), (__m512)e_mkl_sqrt_f32((e_vf)x),
                    (__m256)d_mkl_sqrt_f32((d_vf)x))
#undef B_OF
#define B_OF(v) (__m128)b_tf_rsqrt_f32((b_vf)(v))
ADAM_C_F32_VERSIONS(adam_c_tf_rsqrt_f32_host, B_OF(x), (__m512)e_tf_rsqrt_f32((e_vf)x),
                    (__m256)d_tf_rsqrt_f32((d_vf)x))
#undef B_OF

static ADAM_C_INLINE __m128 b_xla_rsqrt_f32(__m128 x)
{
    float v[4];
    _mm_storeu_ps(v, x);
    xla_rsqrt_lanes(v, 4);
    return _mm_loadu_ps(v);
}
#define B_OF(v) b_xla_rsqrt_f32(v)
ADAM_C_F32_VERSIONS(adam_c_xla_rsqrt_f32_host, B_OF(x), (__m512)e_xla_rsqrt_f32((e_vf)x),
                    (__m256)d_xla_rsqrt_f32((d_vf)x))
#undef B_OF

__m128d _ZGVbN2v_adam_c_mkl_sqrt_f64_host(__m128d x);
__m128d _ZGVbN2v_adam_c_mkl_sqrt_f64_host(__m128d x) { return (__m128d)b_mkl_sqrt_f64((b_vd)x); }
__attribute__((target("avx"))) __m256d _ZGVcN4v_adam_c_mkl_sqrt_f64_host(__m256d x);
__attribute__((target("avx"))) __m256d _ZGVcN4v_adam_c_mkl_sqrt_f64_host(__m256d x)
{
    const __m128d lo = (__m128d)b_mkl_sqrt_f64((b_vd)_mm256_castpd256_pd128(x));
    const __m128d hi = (__m128d)b_mkl_sqrt_f64((b_vd)_mm256_extractf128_pd(x, 1));
    return _mm256_insertf128_pd(_mm256_castpd128_pd256(lo), hi, 1);
}
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_adam_c_mkl_sqrt_f64_host(__m256d x);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_adam_c_mkl_sqrt_f64_host(__m256d x)
{
    return (__m256d)d_mkl_sqrt_f64((d_vd)x);
}
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_adam_c_mkl_sqrt_f64_host(__m512d x);
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_adam_c_mkl_sqrt_f64_host(__m512d x)
{
    return (__m512d)e_mkl_sqrt_f64((e_vd)x);
}
#endif
#endif
