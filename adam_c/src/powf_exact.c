/*
 * powf_exact.c -- the C library's powf(x, 0.5f) and powf(x, 2.0f) (Caffe's powx in
 * float32), bit for bit, without calling powf for most inputs, and vectorized.
 *
 * glibc's powf (since 2.28, from ARM's optimized-routines; x86-64 glibc has a variant with
 * and one without FMA) computes x^y in double and rounds that double once to float. That
 * double is not exactly x^y, so powf is not correctly rounded (powf(x, 0.5f) != sqrtf(x)
 * for 1,361,091 float32 inputs), but it is close: on glibc 2.36 (both variants), every
 * x where powf(x, 0.5f) or powf(x, 2.0f) differs from the correctly rounded result has
 * its exact result within 861,631 (half) and 888,704 (square) units of 2^-29 float32
 * ULP (2^19.8) of a rounding midpoint. So, for x a positive normal float (half) or
 * 2^-63 <= |x| < 2^63 (square), with D the double
 *
 *     D = sqrt((double)x)          (correctly rounded: IEEE sqrt)        [half]
 *     D = (double)x * (double)x    (exact: 24 + 24 bits < 53)            [square]
 *
 * (a normal float32 result either way), let t be the 29 low bits of D's fraction, the bits
 * that rounding D to float discards; t = 2^28 is the midpoint between two floats. If
 *
 *     |t - 2^28| > ADAM_C_POWF_BAND = 2^22     (D more than 1/128 ULP from a midpoint)
 *
 * the result is (float)D, the correctly rounded float, which is then powf's result.
 * Otherwise (the guard band, 1/64 of uniformly spread inputs; it holds the exact
 * midpoints of the square, ties that powf may round either way), and for every x outside
 * those ranges but +-0 (+0, as powf), the function calls powf itself. The band is 4.7x the
 * largest distance measured; the proof is exhaustive, not this argument:
 * adam_c/tests/test_powf_exact.c (run by tests/test_powf_exact.py) compares the functions,
 * scalar and every vector version the CPU runs, with the C library's powf bit for bit on
 * every float32 where they compute anything (and a sample of the rest, which they pass
 * to powf); with --all on all 2^32 bit patterns (done on glibc 2.36, both variants, Zen 4).
 *
 * Only integer operations on the bit pattern decide which path a lane takes, so MXCSR's
 * DAZ/FTZ cannot move a lane onto the fast path; subnormal inputs and results always go
 * to powf. Built against another C library (no glibc >= 2.28), the functions call powf
 * for every element.
 *
 * adam_c_internal.h declares both as GCC SIMD functions (the x86-64 vector function ABI),
 * so the Caffe loops vectorize: their vector versions, below, compute the fast path in
 * all lanes and call powf only for the lanes that need it. The AVX2+FMA and AVX-512F
 * versions decide the half path in float instead (sqrtf and an exact float residual; the
 * same band but for slivers at its edges; see HALF_C32), under the same exhaustive proof.
 */
#define ADAM_C_POWF_DEFINITION /* defined here without the simd attribute (see above) */
#include "adam_c_internal.h"

#define ADAM_C_GLIBC_POW ADAM_C_GLIBC_AT_LEAST(28)

/* The C library's powf, called as such: GCC folds powf(x, 2.0f) into x*x and its
   vectorizer powf(x, 0.5f) into sqrtf(x) (see ADAM_C_OPAQUE). */
static ADAM_C_OPAQUE float libm_powf(float x, float y) { return powf(x, y); }

/* The range of the fast path, on the bit pattern (sign included for half, excluded for
   square): [LO, HI). half: the positive normal floats; square: 2^-63 <= |x| < 2^63, whose
   squares are normal floats (2^-126 <= x^2 < 2^126). */
#define HALF_LO 0x00800000u
#define HALF_HI 0x7f800000u
#define SQ_LO 0x20000000u
#define SQ_HI 0x5f000000u
#define LOW29 0x1fffffffu
#define MID29 0x10000000u

static inline uint32_t f32_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Whether the double D is within the guard band of a float32 rounding midpoint. */
static inline int near_midpoint(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    const uint32_t t = (uint32_t)u & LOW29;
    return t - (MID29 - ADAM_C_POWF_BAND) <= 2u * ADAM_C_POWF_BAND;
}

float adam_c_powf_half(float x)
{
#if ADAM_C_GLIBC_POW
    const uint32_t b = f32_bits(x);
    if (b - HALF_LO < HALF_HI - HALF_LO) {
        const double d = sqrt((double)x);
        if (!near_midpoint(d)) return (float)d;
    } else if ((b & 0x7fffffffu) == 0) {
        return 0.0f;
    }
#endif
    return libm_powf(x, 0.5f);
}

float adam_c_powf_sq(float x)
{
#if ADAM_C_GLIBC_POW
    const uint32_t a = f32_bits(x) & 0x7fffffffu;
    if (a - SQ_LO < SQ_HI - SQ_LO) {
        const double d = (double)x * (double)x;
        if (!near_midpoint(d)) return (float)d;
    } else if (a == 0) {
        return 0.0f;
    }
#endif
    return libm_powf(x, 2.0f);
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>

/* The lanes of r whose bit is clear in ok: powf(x, y) of that lane. Out of line: the
   vector code stays branch-free but for the test of ok. */
static __attribute__((noinline, cold)) void fix_lanes(const float *x, float *r, unsigned ok,
                                                      unsigned lanes, float y)
{
    for (unsigned i = 0; i < lanes; i++)
        if (!(ok >> i & 1u)) r[i] = libm_powf(x[i], y);
}

/*
 * 4 lanes, SSE2 (also inlined into the AVX version, VEX-encoded). Each lane: in range ->
 * D as above (out-of-range lanes compute on 1.0, so that they raise no flag of their own);
 * r = (float)D in range, else +0; ok = (in range and not near a midpoint) or x = +-0.
 */
static ADAM_C_INLINE __m128 powf4(__m128 x, int square)
{
    const __m128i b = _mm_castps_si128(x);
    const __m128i a = square ? _mm_and_si128(b, _mm_set1_epi32(0x7fffffff)) : b;
    const __m128i in = _mm_and_si128(_mm_cmpgt_epi32(a, _mm_set1_epi32((int)(square ? SQ_LO : HALF_LO) - 1)),
                                     _mm_cmplt_epi32(a, _mm_set1_epi32((int)(square ? SQ_HI : HALF_HI))));
    const __m128i zero =
        _mm_cmpeq_epi32(_mm_and_si128(b, _mm_set1_epi32(0x7fffffff)), _mm_setzero_si128());
    const __m128 xs = _mm_or_ps(_mm_and_ps(_mm_castsi128_ps(in), x),
                                _mm_andnot_ps(_mm_castsi128_ps(in), _mm_set1_ps(1.0f)));
    __m128d lo = _mm_cvtps_pd(xs), hi = _mm_cvtps_pd(_mm_movehl_ps(xs, xs));
    if (square) {
        lo = _mm_mul_pd(lo, lo);
        hi = _mm_mul_pd(hi, hi);
    } else {
        lo = _mm_sqrt_pd(lo);
        hi = _mm_sqrt_pd(hi);
    }
    const __m128 r = _mm_and_ps(_mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi)),
                                _mm_castsi128_ps(in));
    /* the low 32 bits of each double, in lane order */
    const __m128i t = _mm_unpacklo_epi64(
        _mm_shuffle_epi32(_mm_castpd_si128(lo), _MM_SHUFFLE(3, 1, 2, 0)),
        _mm_shuffle_epi32(_mm_castpd_si128(hi), _MM_SHUFFLE(3, 1, 2, 0)));
    /* u = t - (2^28 - BAND) in [-(2^28 - BAND), 2^28 + BAND): near iff 0 <= u <= 2 BAND */
    const __m128i u = _mm_sub_epi32(_mm_and_si128(t, _mm_set1_epi32((int)LOW29)),
                                    _mm_set1_epi32((int)(MID29 - ADAM_C_POWF_BAND)));
    const __m128i near = _mm_and_si128(
        _mm_cmpgt_epi32(u, _mm_set1_epi32(-1)),
        _mm_cmplt_epi32(u, _mm_set1_epi32((int)(2u * ADAM_C_POWF_BAND + 1u))));
    const unsigned ok = ADAM_C_GLIBC_POW ? (unsigned)_mm_movemask_ps(_mm_castsi128_ps(
                                               _mm_or_si128(_mm_andnot_si128(near, in), zero)))
                                         : 0u; /* no fast path: powf in every lane */
    if (ok == 0xfu) return r;
    float xv[4], rv[4];
    _mm_storeu_ps(xv, x);
    _mm_storeu_ps(rv, r);
    fix_lanes(xv, rv, ok, 4, square ? 2.0f : 0.5f);
    return _mm_loadu_ps(rv);
}

/*
 * The half path in float, for the AVX2+FMA and AVX-512F versions: r = sqrtf(x) (the same
 * float as (float)sqrt((double)x): a double square root rounded to float is correctly
 * rounded), and the distance of sqrt(x) from the midpoints next to r from the exact
 * residual e = x - r^2 = fma(-r, r, x), computed for x < 2^-60 on x 2^64 and r 2^32 (the
 * same r, scaled exactly) so that e is a normal float or 0: the lane is fast iff
 *
 *     |e| < (HALF_C32 g) r,   g = r - pred(r),   HALF_C32 = 1 - 2 BAND / 2^29 - 2^-20,
 *
 * |sqrt(x) - r| < (1/2 - BAND / 2^29) g up to float rounding: the same guard band as the
 * double D's 29 low bits give (but for slivers 2^-20 of it wide at its edges, far from
 * any input powf rounds the other way), and one vsqrtps instead of two vsqrtpd. The
 * proof is the same exhaustive test (every version, every input of the fast domain).
 */
#define HALF_C32 (1.0f - (float)(2u * ADAM_C_POWF_BAND) * 0x1p-29f - 0x1p-20f)
/* The square path likewise: r = x * x (float, correctly rounded: (float)D), e = x^2 - r =
   fma(x, x, -r) exact, for |x| < 2^-40 on x 2^48 and r 2^96; fast iff |e| < SQ_C32 g
   (SQ_C32 g: exact), so x^2 is more than the band from both midpoints, ties excluded. */
#define SQ_C32 (0.5f - (float)ADAM_C_POWF_BAND * 0x1p-29f - 0x1p-21f)

/* r, but powf(x, y) in the lanes that are not (fast and in) or zero (AVX2). */
__attribute__((target("avx2,fma"))) static ADAM_C_INLINE __m256 fix8(__m256 x, __m256 r,
                                                                     __m256 fast, __m256i in,
                                                                     __m256i zero, float y)
{
    const unsigned ok = ADAM_C_GLIBC_POW ? (unsigned)_mm256_movemask_ps(_mm256_or_ps(
                                               _mm256_and_ps(fast, _mm256_castsi256_ps(in)),
                                               _mm256_castsi256_ps(zero)))
                                         : 0u; /* no fast path: powf in every lane */
    if (ok == 0xffu) return r;
    float xv[8], rv[8];
    _mm256_storeu_ps(xv, x);
    _mm256_storeu_ps(rv, r);
    fix_lanes(xv, rv, ok, 8, y);
    return _mm256_loadu_ps(rv);
}

/* 8 lanes, AVX2 + FMA: the same as powf4, the half path in float (above). Loops
   vectorized for AVX2 are x86-64-v3 code, which has FMA. */
__attribute__((target("avx2,fma"))) static ADAM_C_INLINE __m256 powf8_half(__m256 x)
{
    const __m256i b = _mm256_castps_si256(x);
    const __m256i in =
        _mm256_and_si256(_mm256_cmpgt_epi32(b, _mm256_set1_epi32((int)HALF_LO - 1)),
                         _mm256_cmpgt_epi32(_mm256_set1_epi32((int)HALF_HI), b));
    const __m256i zero = _mm256_cmpeq_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x7fffffff)),
                                            _mm256_setzero_si256());
    const __m256 xs = _mm256_blendv_ps(_mm256_set1_ps(1.0f), x, _mm256_castsi256_ps(in));
    const __m256 r = _mm256_sqrt_ps(xs);
    const __m256 small = _mm256_cmp_ps(xs, _mm256_set1_ps(0x1p-60f), _CMP_LT_OQ);
    const __m256 xd = _mm256_blendv_ps(xs, _mm256_mul_ps(xs, _mm256_set1_ps(0x1p64f)), small);
    const __m256 rd = _mm256_blendv_ps(r, _mm256_mul_ps(r, _mm256_set1_ps(0x1p32f)), small);
    const __m256 e = _mm256_fnmadd_ps(rd, rd, xd);
    const __m256 g = _mm256_sub_ps(
        rd, _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_castps_si256(rd), _mm256_set1_epi32(1))));
    const __m256 thr = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(HALF_C32), g), rd);
    const __m256 fast = _mm256_cmp_ps(
        _mm256_and_ps(e, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))), thr, _CMP_LT_OQ);
    return fix8(x, _mm256_and_ps(r, _mm256_castsi256_ps(in)), fast, in, zero, 0.5f);
}

__attribute__((target("avx2,fma"))) static ADAM_C_INLINE __m256 powf8_sq(__m256 x)
{
    const __m256i b = _mm256_castps_si256(x);
    const __m256i a = _mm256_and_si256(b, _mm256_set1_epi32(0x7fffffff));
    const __m256i in = _mm256_and_si256(_mm256_cmpgt_epi32(a, _mm256_set1_epi32((int)SQ_LO - 1)),
                                        _mm256_cmpgt_epi32(_mm256_set1_epi32((int)SQ_HI), a));
    const __m256i zero = _mm256_cmpeq_epi32(a, _mm256_setzero_si256());
    const __m256 xs = _mm256_blendv_ps(_mm256_set1_ps(1.0f), x, _mm256_castsi256_ps(in));
    const __m256 r = _mm256_mul_ps(xs, xs);
    const __m256 small = _mm256_castsi256_ps(
        _mm256_cmpgt_epi32(_mm256_set1_epi32(0x2b800000), a)); /* |x| < 2^-40 */
    const __m256 xd = _mm256_blendv_ps(xs, _mm256_mul_ps(xs, _mm256_set1_ps(0x1p48f)), small);
    const __m256 rd = _mm256_blendv_ps(r, _mm256_mul_ps(r, _mm256_set1_ps(0x1p96f)), small);
    const __m256 e = _mm256_fmsub_ps(xd, xd, rd);
    const __m256 g = _mm256_sub_ps(
        rd, _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_castps_si256(rd), _mm256_set1_epi32(1))));
    const __m256 fast = _mm256_cmp_ps(
        _mm256_and_ps(e, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))),
        _mm256_mul_ps(_mm256_set1_ps(SQ_C32), g), _CMP_LT_OQ);
    return fix8(x, _mm256_and_ps(r, _mm256_castsi256_ps(in)), fast, in, zero, 2.0f);
}

__attribute__((target("avx2,fma"))) static ADAM_C_INLINE __m256 powf8(__m256 x, int square)
{
    return square ? powf8_sq(x) : powf8_half(x);
}

/* The lanes of r not in ok: powf(x, y), merged by mask (no wide reload of narrow stores). */
__attribute__((target("avx512f"))) static ADAM_C_INLINE __m512 fix16(__m512 x, __m512 r,
                                                                     unsigned ok, float y)
{
    unsigned bad = ADAM_C_GLIBC_POW ? ~ok & 0xffffu : 0xffffu; /* no fast path: every lane */
    if (bad == 0) return r;
    float xv[16];
    _mm512_storeu_ps(xv, x);
    do {
        const unsigned i = (unsigned)__builtin_ctz(bad);
        r = _mm512_mask_broadcastss_ps(r, (__mmask16)(1u << i), _mm_set_ss(libm_powf(xv[i], y)));
        bad &= bad - 1u;
    } while (bad);
    return r;
}

/* 16 lanes, AVX-512F: the half path in float (above). */
__attribute__((target("avx512f"))) static ADAM_C_INLINE __m512 powf16_half(__m512 x)
{
    const __m512i b = _mm512_castps_si512(x);
    const __mmask16 in = _mm512_cmpgt_epi32_mask(b, _mm512_set1_epi32((int)HALF_LO - 1)) &
                         _mm512_cmplt_epi32_mask(b, _mm512_set1_epi32((int)HALF_HI));
    const __mmask16 zero = _mm512_testn_epi32_mask(b, _mm512_set1_epi32(0x7fffffff));
    const __m512 xs = _mm512_mask_blend_ps(in, _mm512_set1_ps(1.0f), x);
    const __m512 r = _mm512_sqrt_ps(xs);
    const __mmask16 small = _mm512_cmp_ps_mask(xs, _mm512_set1_ps(0x1p-60f), _CMP_LT_OQ);
    const __m512 xd = _mm512_mask_mul_ps(xs, small, xs, _mm512_set1_ps(0x1p64f));
    const __m512 rd = _mm512_mask_mul_ps(r, small, r, _mm512_set1_ps(0x1p32f));
    const __m512 e = _mm512_fnmadd_ps(rd, rd, xd);
    const __m512 g = _mm512_sub_ps(
        rd, _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_castps_si512(rd), _mm512_set1_epi32(1))));
    const __m512 thr = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(HALF_C32), g), rd);
    const __m512 ae = _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(e), _mm512_set1_epi32(0x7fffffff)));
    const __mmask16 fast = _mm512_cmp_ps_mask(ae, thr, _CMP_LT_OQ);
    return fix16(x, _mm512_maskz_mov_ps(in, r), (unsigned)((in & fast) | zero), 0.5f);
}

/* 16 lanes, AVX-512F: the square path in float (above). */
__attribute__((target("avx512f"))) static ADAM_C_INLINE __m512 powf16_sq(__m512 x)
{
    const __m512i a = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff));
    const __mmask16 in = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32((int)SQ_LO - 1)) &
                         _mm512_cmplt_epi32_mask(a, _mm512_set1_epi32((int)SQ_HI));
    const __mmask16 zero = _mm512_testn_epi32_mask(a, a);
    const __m512 xs = _mm512_mask_blend_ps(in, _mm512_set1_ps(1.0f), x);
    const __m512 r = _mm512_mul_ps(xs, xs);
    const __mmask16 small = _mm512_cmplt_epi32_mask(a, _mm512_set1_epi32(0x2b800000));
    const __m512 xd = _mm512_mask_mul_ps(xs, small, xs, _mm512_set1_ps(0x1p48f));
    const __m512 rd = _mm512_mask_mul_ps(r, small, r, _mm512_set1_ps(0x1p96f));
    const __m512 e = _mm512_fmsub_ps(xd, xd, rd);
    const __m512 g = _mm512_sub_ps(
        rd, _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_castps_si512(rd), _mm512_set1_epi32(1))));
    const __m512 ae = _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(e), _mm512_set1_epi32(0x7fffffff)));
    const __mmask16 fast =
        _mm512_cmp_ps_mask(ae, _mm512_mul_ps(_mm512_set1_ps(SQ_C32), g), _CMP_LT_OQ);
    return fix16(x, _mm512_maskz_mov_ps(in, r), (unsigned)((in & fast) | zero), 2.0f);
}

/* 16 lanes, AVX-512F. */
__attribute__((target("avx512f"))) static ADAM_C_INLINE __m512 powf16(__m512 x, int square)
{
    return square ? powf16_sq(x) : powf16_half(x);
}


/* AVX without AVX2: two 4-lane halves. */
__attribute__((target("avx"))) static inline __m256 powf4x2(__m256 x, int square)
{
    return _mm256_insertf128_ps(_mm256_castps128_ps256(powf4(_mm256_castps256_ps128(x), square)),
                                powf4(_mm256_extractf128_ps(x, 1), square), 1);
}

/* The vector versions GCC's vectorizer calls (adam_c_internal.h). */
ADAM_C_VECTOR_VERSIONS(adam_c_powf_half, 0, __m128, __m256, __m512, 4, 8, 16, powf4, powf4x2,
                       powf8, powf16)
ADAM_C_VECTOR_VERSIONS(adam_c_powf_sq, 1, __m128, __m256, __m512, 4, 8, 16, powf4, powf4x2,
                       powf8, powf16)
#endif
