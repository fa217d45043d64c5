/*
 * pow_exact.c -- the C library's pow(x, 0.5) and pow(x, 2.0) (Caffe's powx in float64),
 * bit for bit, without calling pow for most inputs, and vectorized. The float64 sibling
 * of powf_exact.c; float64 cannot be checked exhaustively, so the argument is glibc's
 * documented error bound, and tests/test_pow_exact.py checks it on millions of inputs.
 *
 * glibc's pow (since 2.29, pow@GLIBC_2.29, from ARM's optimized-routines;
 * sysdeps/ieee754/dbl-64/e_pow.c, the same in this respect from 2.29 to 2.42 and the 2026
 * development tree; 2.28's was IBM's correctly rounded one) has no special case for
 * y = 0.5 or y = 2 and none for exact results: it computes exp(y * log(x)), log in
 * double-double and exp with a final rounding of scale + scale * tmp. Its comment states
 *
 *     Worst-case error: 0.54 ULP (~= ulperr_exp + 1024*Ln2*relerr_log*2^53)
 *     relerr_log: 1.3 * 2^-68 (Relative error of log, 1.5 * 2^-68 without fma)
 *     ulperr_exp: 0.509 ULP (ULP error of exp, 0.511 ULP without fma)
 *
 * and exp_inline's: "Worst case error is less than 0.5+1.11/N+(abs poly error * 2^53) ulp"
 * (N = 128; "Without fma the worst case error is 0.25/N ulp larger"): 0.5 ULP for the
 * final rounding of a value Z whose own error is at most 1.36/128 + 2^-13 < 0.011 ULP,
 * plus the log's error scaled by |y log x| = |ln Y| (1024 Ln2 in the 0.54 is the largest
 * |ln Y| of a finite result; for y = 2 and 0.5 the products y * (hi + lo) are exact). So
 * with Y = x^y exact, r = RN(Y) (sqrt(x), correctly rounded, or RN(x * x)), the bound
 * reads: pow returns RN(Z) with
 *
 *     |Z - Y| <= E(Y) ULP,   E(Y) = 0.011 + |ln Y| * 1.5 * 2^-15      (x86-64 glibc has an
 *                                                                     FMA and a non-FMA
 *                                                                     pow: the larger)
 *
 * and RN(Z) = r whenever Y is more than E(Y) ULP from both rounding midpoints next to r.
 * E <= 0.01304 for 2^-63 <= Y < 2^64 (tier A) and <= 0.0345 up to |ln Y| <= 738 ln 2
 * (tier B, the rest of the fast range). The guard band is about twice that:
 *
 *     tier A: distance to a midpoint <= ADAM_C_POW_BAND_A = 27/1024 ULP  (2.02 E)
 *     tier B:                           ADAM_C_POW_BAND_B = 72/1024 ULP  (2.04 E)
 *
 * Inside the band the function calls pow itself: 2 * 27/1024 = 5.3% of inputs whose
 * result's low bits are uniformly spread (14% in tier B), plus the exact ties of x * x.
 *
 * The distance is computed exactly. half: r = sqrt(x), e = x - r^2, exactly representable
 * (the remainder of a correctly rounded square root) and computed exactly by fma(-r, r, x)
 * or, without FMA, by Dekker's exact product r*r = p + q and (x - p) - q (x - p exact by
 * Sterbenz); Y - r = e / (Y + r). square: r = x * x, e = x^2 - r = fma(x, x, -r) or
 * Dekker's q. With g = r - pred(r) (the ULP below r, the smaller of the two gaps around r;
 * exact), the fast path is taken when
 *
 *     half:   |e| < ((1 - 2 BAND - 2^-40) * g) * r      (so |Y - r| < (1/2 - BAND) g:
 *                                                        Y + r >= 2r (1 - 2^-53), one
 *                                                        rounding in the product)
 *     square: |e| < (1/2 - BAND) * g                    (exact)
 *
 * which puts Y more than BAND * ULP(Y) from both midpoints (if r is a power of two and
 * Y >= r, ULP(Y) = 2g but the midpoints are then (1/2 + BAND) g and g/2 away). Ranges
 * (every intermediate a normal double or 0, so FTZ cannot change one; e exact; exp_inline
 * not in its overflow/underflow special case |y log x| >= 512):
 *
 *     half:   2^-916 <= x < +Inf          square: 2^-369 <= |x| < 2^369
 *
 * and +-0 give +0 (as pow). Everything else (negative, subnormal, Inf, NaN, the other
 * exponents, the band) goes to pow. Range and zero tests do not let DAZ move a lane onto
 * the fast path: the range compares' bounds are normal (a subnormal read as 0 is still out
 * of range) and zero is tested on the bit pattern.
 *
 * Verification (not a proof: float64 is not exhaustive): adam_c/tests/test_pow_exact.c,
 * run by tests/test_pow_exact.py, compares every version with the C library's pow bit for
 * bit on millions of inputs, many of them constructed to lie within 2^-50 ULP of a
 * midpoint (there pow(x, 0.5) != sqrt(x) and pow(x, 2) != x * x for about a fifth; pow
 * rounded the other way up to 0.0096 ULP from a midpoint, glibc 2.36), and a build with a
 * band of 4/1024 ULP must fail it.
 *
 * adam_c_internal.h declares both as GCC SIMD functions (the x86-64 vector function ABI):
 * the vector versions below compute the fast path in all lanes and call pow only for the
 * lanes that need it. Built against another C library (no glibc >= 2.29), they call pow
 * for every element.
 */
#define ADAM_C_POW_DEFINITION /* defined here without the simd attribute */
#include "adam_c_internal.h"

#define ADAM_C_GLIBC_POW ADAM_C_GLIBC_AT_LEAST(29)

/* The C library's pow, called as such (see ADAM_C_OPAQUE). */
static ADAM_C_OPAQUE double libm_pow(double x, double y) { return pow(x, y); }

#define HALF_LO 0x1p-916
#define SQ_LO 0x1p-369
#define SQ_HI 0x1p369
#define TIER_LO 0x1p-63
#define TIER_HI 0x1p64
/* the threshold factors of the header, for a band of b / 1024 ULP */
#define HALF_C(b) (1.0 - (double)(b) / 512.0 - 0x1p-40)
#define SQ_C(b) (0.5 - (double)(b) / 1024.0)
#define SPLIT 134217729.0 /* 2^27 + 1: Veltkamp's split of a double into 26 + 26 bits */

static inline uint64_t f64_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* r - pred(r) for r > 0 normal: the gap below r. */
static inline double gap_below(double r) { return r - adam_c_from_bits(f64_bits(r) - 1u); }

/* The factor of the threshold at result r (tier A or B). */
static inline double tier_c(double r, double ca, double cb)
{
    return r >= TIER_LO && r < TIER_HI ? ca : cb;
}

double adam_c_pow_half(double x)
{
#if ADAM_C_GLIBC_POW
    if (x >= HALF_LO && x < (double)INFINITY) {
        const double r = sqrt(x);
        const double e = fma(-r, r, x);
        const double t = (tier_c(r, HALF_C(ADAM_C_POW_BAND_A), HALF_C(ADAM_C_POW_BAND_B)) *
                          gap_below(r)) * r;
        if (fabs(e) < t) return r;
    } else if ((f64_bits(x) << 1) == 0) {
        return 0.0;
    }
#endif
    return libm_pow(x, 0.5);
}

double adam_c_pow_sq(double x)
{
#if ADAM_C_GLIBC_POW
    const double a = fabs(x);
    if (a >= SQ_LO && a < SQ_HI) {
        const double r = x * x;
        const double e = fma(x, x, -r);
        const double t = tier_c(r, SQ_C(ADAM_C_POW_BAND_A), SQ_C(ADAM_C_POW_BAND_B)) *
                         gap_below(r);
        if (fabs(e) < t) return r;
    } else if ((f64_bits(x) << 1) == 0) {
        return 0.0;
    }
#endif
    return libm_pow(x, 2.0);
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>

/* The lanes of r whose bit is clear in ok: pow(x, y) of that lane. Out of line, so that
   the vector code stays branch-free but for the test of ok. */
static __attribute__((noinline, cold)) void fix_lanes(const double *x, double *r, unsigned ok,
                                                      unsigned lanes, double y)
{
    for (unsigned i = 0; i < lanes; i++)
        if (!(ok >> i & 1u)) r[i] = libm_pow(x[i], y);
}

/*
 * 2 lanes, SSE2 (also inlined into the AVX version, VEX-encoded), without FMA: e by
 * Dekker's exact product. Out-of-range lanes compute on 1.0 (no flag of their own);
 * r is +0 there; ok = (in range and not in the band) or x = +-0.
 */
static ADAM_C_INLINE __m128d pow2(__m128d x, int square)
{
    const __m128d absx = _mm_and_pd(x, _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL)));
    const __m128d a = square ? absx : x;
    const __m128d in = _mm_and_pd(_mm_cmpge_pd(a, _mm_set1_pd(square ? SQ_LO : HALF_LO)),
                                  _mm_cmplt_pd(a, _mm_set1_pd(square ? SQ_HI : (double)INFINITY)));
    /* +-0 on the bit pattern: both 32-bit halves zero */
    const __m128i z32 = _mm_cmpeq_epi32(_mm_castpd_si128(absx), _mm_setzero_si128());
    const __m128i zero = _mm_and_si128(z32, _mm_shuffle_epi32(z32, _MM_SHUFFLE(2, 3, 0, 1)));
    const __m128d xs = _mm_or_pd(_mm_and_pd(in, x), _mm_andnot_pd(in, _mm_set1_pd(1.0)));
    const __m128d v = square ? xs : _mm_sqrt_pd(xs);            /* the factor: x or r */
    const __m128d t = _mm_mul_pd(v, _mm_set1_pd(SPLIT));
    const __m128d vh = _mm_sub_pd(t, _mm_sub_pd(t, v)), vl = _mm_sub_pd(v, vh);
    const __m128d p = _mm_mul_pd(v, v);
    const __m128d hl = _mm_mul_pd(vh, vl);
    const __m128d q = _mm_add_pd(
        _mm_add_pd(_mm_add_pd(_mm_sub_pd(_mm_mul_pd(vh, vh), p), hl), hl), _mm_mul_pd(vl, vl));
    const __m128d r = square ? p : v;
    const __m128d e = square ? q : _mm_sub_pd(_mm_sub_pd(xs, p), q);
    const __m128d g = _mm_sub_pd(r, _mm_castsi128_pd(_mm_sub_epi64(_mm_castpd_si128(r),
                                                                   _mm_set1_epi64x(1))));
    const __m128d tier = _mm_and_pd(_mm_cmpge_pd(r, _mm_set1_pd(TIER_LO)),
                                    _mm_cmplt_pd(r, _mm_set1_pd(TIER_HI)));
    const double ca = square ? SQ_C(ADAM_C_POW_BAND_A) : HALF_C(ADAM_C_POW_BAND_A);
    const double cb = square ? SQ_C(ADAM_C_POW_BAND_B) : HALF_C(ADAM_C_POW_BAND_B);
    const __m128d c = _mm_or_pd(_mm_and_pd(tier, _mm_set1_pd(ca)),
                                _mm_andnot_pd(tier, _mm_set1_pd(cb)));
    const __m128d cg = _mm_mul_pd(c, g);
    const __m128d thr = square ? cg : _mm_mul_pd(cg, r);
    const __m128d fast = _mm_cmplt_pd(
        _mm_and_pd(e, _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL))), thr);
    const __m128d res = _mm_and_pd(r, in);
    const unsigned ok = ADAM_C_GLIBC_POW ? (unsigned)_mm_movemask_pd(_mm_or_pd(
                                               _mm_and_pd(fast, in), _mm_castsi128_pd(zero)))
                                         : 0u; /* no fast path: pow in every lane */
    if (ok == 0x3u) return res;
    double xv[2], rv[2];
    _mm_storeu_pd(xv, x);
    _mm_storeu_pd(rv, res);
    fix_lanes(xv, rv, ok, 2, square ? 2.0 : 0.5);
    return _mm_loadu_pd(rv);
}

/* 4 lanes, AVX2 + FMA: the same, e by fma. */
__attribute__((target("avx2,fma"))) static ADAM_C_INLINE __m256d pow4(__m256d x, int square)
{
    const __m256d absx =
        _mm256_and_pd(x, _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL)));
    const __m256d a = square ? absx : x;
    const __m256d in = _mm256_and_pd(
        _mm256_cmp_pd(a, _mm256_set1_pd(square ? SQ_LO : HALF_LO), _CMP_GE_OQ),
        _mm256_cmp_pd(a, _mm256_set1_pd(square ? SQ_HI : (double)INFINITY), _CMP_LT_OQ));
    const __m256i zero = _mm256_cmpeq_epi64(_mm256_castpd_si256(absx), _mm256_setzero_si256());
    const __m256d xs = _mm256_blendv_pd(_mm256_set1_pd(1.0), x, in);
    const __m256d r = square ? _mm256_mul_pd(xs, xs) : _mm256_sqrt_pd(xs);
    const __m256d e = square ? _mm256_fmsub_pd(xs, xs, r) : _mm256_fnmadd_pd(r, r, xs);
    const __m256d g = _mm256_sub_pd(
        r, _mm256_castsi256_pd(_mm256_sub_epi64(_mm256_castpd_si256(r), _mm256_set1_epi64x(1))));
    const __m256d tier =
        _mm256_and_pd(_mm256_cmp_pd(r, _mm256_set1_pd(TIER_LO), _CMP_GE_OQ),
                      _mm256_cmp_pd(r, _mm256_set1_pd(TIER_HI), _CMP_LT_OQ));
    const __m256d c = _mm256_blendv_pd(
        _mm256_set1_pd(square ? SQ_C(ADAM_C_POW_BAND_B) : HALF_C(ADAM_C_POW_BAND_B)),
        _mm256_set1_pd(square ? SQ_C(ADAM_C_POW_BAND_A) : HALF_C(ADAM_C_POW_BAND_A)), tier);
    const __m256d cg = _mm256_mul_pd(c, g);
    const __m256d thr = square ? cg : _mm256_mul_pd(cg, r);
    const __m256d fast = _mm256_cmp_pd(
        _mm256_and_pd(e, _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL))), thr,
        _CMP_LT_OQ);
    const __m256d res = _mm256_and_pd(r, in);
    const unsigned ok = ADAM_C_GLIBC_POW ? (unsigned)_mm256_movemask_pd(_mm256_or_pd(
                                               _mm256_and_pd(fast, in), _mm256_castsi256_pd(zero)))
                                         : 0u;
    if (ok == 0xfu) return res;
    double xv[4], rv[4];
    _mm256_storeu_pd(xv, x);
    _mm256_storeu_pd(rv, res);
    fix_lanes(xv, rv, ok, 4, square ? 2.0 : 0.5);
    return _mm256_loadu_pd(rv);
}

/* 8 lanes, AVX-512F: the same with mask registers. */
__attribute__((target("avx512f"))) static ADAM_C_INLINE __m512d pow8(__m512d x, int square)
{
    const __m512i bits = _mm512_castpd_si512(x);
    const __m512d absx = _mm512_castsi512_pd(
        _mm512_and_si512(bits, _mm512_set1_epi64(0x7fffffffffffffffLL)));
    const __m512d a = square ? absx : x;
    const __mmask8 in =
        _mm512_cmp_pd_mask(a, _mm512_set1_pd(square ? SQ_LO : HALF_LO), _CMP_GE_OQ) &
        _mm512_cmp_pd_mask(a, _mm512_set1_pd(square ? SQ_HI : (double)INFINITY), _CMP_LT_OQ);
    const __mmask8 zero = _mm512_testn_epi64_mask(bits, _mm512_set1_epi64(0x7fffffffffffffffLL));
    const __m512d xs = _mm512_mask_blend_pd(in, _mm512_set1_pd(1.0), x);
    const __m512d r = square ? _mm512_mul_pd(xs, xs) : _mm512_sqrt_pd(xs);
    const __m512d e = square ? _mm512_fmsub_pd(xs, xs, r) : _mm512_fnmadd_pd(r, r, xs);
    const __m512d g = _mm512_sub_pd(
        r, _mm512_castsi512_pd(_mm512_sub_epi64(_mm512_castpd_si512(r), _mm512_set1_epi64(1))));
    const __mmask8 tier = _mm512_cmp_pd_mask(r, _mm512_set1_pd(TIER_LO), _CMP_GE_OQ) &
                          _mm512_cmp_pd_mask(r, _mm512_set1_pd(TIER_HI), _CMP_LT_OQ);
    const __m512d c = _mm512_mask_blend_pd(
        tier, _mm512_set1_pd(square ? SQ_C(ADAM_C_POW_BAND_B) : HALF_C(ADAM_C_POW_BAND_B)),
        _mm512_set1_pd(square ? SQ_C(ADAM_C_POW_BAND_A) : HALF_C(ADAM_C_POW_BAND_A)));
    const __m512d cg = _mm512_mul_pd(c, g);
    const __m512d thr = square ? cg : _mm512_mul_pd(cg, r);
    const __m512d ae = _mm512_castsi512_pd(
        _mm512_and_si512(_mm512_castpd_si512(e), _mm512_set1_epi64(0x7fffffffffffffffLL)));
    const __mmask8 fast = _mm512_cmp_pd_mask(ae, thr, _CMP_LT_OQ);
    const __m512d res = _mm512_maskz_mov_pd(in, r);
    unsigned bad = ADAM_C_GLIBC_POW ? (unsigned)(__mmask8) ~((in & fast) | zero) : 0xffu;
    if (bad == 0) return res;
    /* the lanes to fix, merged by mask: no wide reload of narrow stores */
    double xv[8];
    _mm512_storeu_pd(xv, x);
    __m512d out = res;
    do {
        const unsigned i = (unsigned)__builtin_ctz(bad);
        out = _mm512_mask_broadcastsd_pd(out, (__mmask8)(1u << i),
                                         _mm_set_sd(libm_pow(xv[i], square ? 2.0 : 0.5)));
        bad &= bad - 1u;
    } while (bad);
    return out;
}

/* AVX without AVX2: two 2-lane halves. */
__attribute__((target("avx"))) static inline __m256d pow2x2(__m256d x, int square)
{
    return _mm256_insertf128_pd(_mm256_castpd128_pd256(pow2(_mm256_castpd256_pd128(x), square)),
                                pow2(_mm256_extractf128_pd(x, 1), square), 1);
}

/* The vector versions GCC's vectorizer calls (adam_c_internal.h). */
ADAM_C_VECTOR_VERSIONS(adam_c_pow_half, 0, __m128d, __m256d, __m512d, 2, 4, 8, pow2, pow2x2,
                       pow4, pow8)
ADAM_C_VECTOR_VERSIONS(adam_c_pow_sq, 1, __m128d, __m256d, __m512d, 2, 4, 8, pow2, pow2x2,
                       pow4, pow8)
#endif
