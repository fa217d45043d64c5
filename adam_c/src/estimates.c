/*
 * estimates.c -- portable, bit-exact software models of the x86 reciprocal-square-root
 * estimates that frameworks compute with, and what this CPU can do itself.
 *
 *   adam_c_est_rsqrtps_zen   rsqrtss / rsqrtps / vrsqrtps (xmm, ymm) of AMD Zen 3, 4 and 5:
 *                            an implementation-defined table (Intel's differs)
 *   adam_c_est_rsqrt14pd     vrsqrt14sd / vrsqrt14pd (AVX-512F): Intel's published
 *                            reference algorithm, which AMD Zen 4 computes too
 *
 * Derived from the hardware by tests/gen_estimates.c and verified against it on every input
 * that matters by tests/test_estimates.c (all 2^32 floats for rsqrtps; for vrsqrt14pd every
 * (exponent, top 15 fraction bits) with random low bits, after showing that the result
 * depends on nothing else). Pure C99 integer code: floats are only reinterpreted with
 * memcpy, so the results do not depend on the compiler, its flags or the rounding mode.
 *
 * Notation: a finite nonzero input is |x| = 2^E (1 + f/2^F), F = 23 (float) or 52
 * (double) fraction bits; with E = 2k + p (p = 0 or 1), rsqrt(x) = 2^-k rsqrt(2^p (1 + ...)).
 */
#define ADAM_C_RSQRT_DEFINITION /* adam_c_hw_rsqrt14pd is defined here without the simd
                                   attribute; its vector versions are written out below */
#include "adam_c_internal.h"

#include "estimates_tables.h"

#define F32_SIGN 0x80000000u
#define F32_FRAC 0x007fffffu
#define F32_HIDDEN 0x00800000u
#define F32_QUIET 0x00400000u
#define F32_INF 0x7f800000u
#define F32_DEFAULT_NAN 0xffc00000u /* x86 "QNaN indefinite" */

#define F64_SIGN 0x8000000000000000u
#define F64_FRAC 0x000fffffffffffffu
#define F64_HIDDEN 0x0010000000000000u
#define F64_QUIET 0x0008000000000000u
#define F64_INF 0x7ff0000000000000u
#define F64_DEFAULT_NAN 0xfff8000000000000u

/* rsqrtps, AMD Zen. NaN -> the input quietened; +inf -> +0; +-0 and +-subnormal -> +-inf
   (subnormal inputs are read as zero whatever MXCSR.DAZ says); other negatives (incl.
   -inf) -> the default NaN. A normal x = 2^(2k+p) (1 + f) gives 2^-k (1 + T_p[f >> 11] /
   2^12) / 2: only the exponent parity and the top 12 fraction bits matter, and the
   12-bit table is bipartite, T[x0.x1.x2] = HI[x0.x1] - LO[x0.x2] (4-bit fields). */
uint32_t adam_c_est_rsqrtps_zen_bits(uint32_t x)
{
    const uint32_t s = x & F32_SIGN, a = x & ~F32_SIGN;
    if (a >= F32_INF) {
        if (a > F32_INF) return x | F32_QUIET; /* NaN */
        return s ? F32_DEFAULT_NAN : 0u;       /* -inf, +inf */
    }
    if (a < F32_HIDDEN) return s | F32_INF;    /* +-0, +-subnormal */
    if (s) return F32_DEFAULT_NAN;             /* negative normal */
    const int32_t E = (int32_t)(a >> 23) - 127;
    const uint32_t p = (uint32_t)E & 1u, b = (a & F32_FRAC) >> 11;
    const int32_t k = (E - (int32_t)p) / 2;    /* exact: E - p is even */
    const uint32_t t = (uint32_t)ADAM_C_EST_RSQRTPS_ZEN_HI[p][b >> 4] -
                       (uint32_t)ADAM_C_EST_RSQRTPS_ZEN_LO[p][((b >> 8) << 4) | (b & 15u)];
    return ((uint32_t)(126 - k) << 23) | (t << 11);
}

float adam_c_est_rsqrtps_zen(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u = adam_c_est_rsqrtps_zen_bits(u);
    memcpy(&x, &u, sizeof x);
    return x;
}

/* vrsqrt14pd. NaN -> quietened; with daz, a subnormal is read as +-0; +-0 -> +-inf; +inf ->
   +0; any other negative (incl. -inf and, without daz, a negative subnormal) -> the
   default NaN. A positive finite x = 2^(2k+p) (1 + f): a power of 4 gives 2^-k exactly,
   anything else 2^-k q(p, top 15 bits of f) / 2^17 with the 17-bit q of a truncated
   linear function per segment (32 segments per binade). Never subnormal or infinite. */
uint64_t adam_c_est_rsqrt14pd_bits(uint64_t x, int daz)
{
    const uint64_t s = x & F64_SIGN;
    uint64_t a = x & ~F64_SIGN, f;
    if (a > F64_INF) return x | F64_QUIET;
    if (daz && a < F64_HIDDEN) a = 0;
    if (a == 0) return s | F64_INF;
    if (s) return F64_DEFAULT_NAN;
    if (a == F64_INF) return 0u;
    int32_t E = (int32_t)(a >> 52) - 1023;
    f = a & F64_FRAC;
    if (a < F64_HIDDEN) { /* subnormal (no daz): normalise */
        E = -1022;
        while (!(f & F64_HIDDEN)) {
            f <<= 1;
            E--;
        }
        f &= F64_FRAC;
    }
    const uint32_t p = (uint32_t)E & 1u;
    const int32_t k = (E - (int32_t)p) / 2;
    if (f == 0 && p == 0) return (uint64_t)(1023 - k) << 52; /* power of 4: exact */
    const uint32_t m15 = (uint32_t)(f >> 37), i = m15 >> 10, j = m15 & 1023u;
    const uint32_t A = ADAM_C_EST_RSQRT14_A[p][i], B = ADAM_C_EST_RSQRT14_B[p][i];
    const uint32_t q = (128u * A + 512u * B - B * j) >> 9; /* positive, < 2^27: exact */
    return ((uint64_t)(1022 - k) << 52) | ((uint64_t)(q & 0xffffu) << 36);
}

double adam_c_est_rsqrt14pd(double x, int daz)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    u = adam_c_est_rsqrt14pd_bits(u, daz);
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---- what this CPU computes itself ---------------------------------------------------- */

#if ADAM_C_HAVE_RSQRT
#include <cpuid.h>
#include <immintrin.h>

/* Facts about the CPU, read once (a benign race: every thread computes the same value). */
static int host_zen = -1, host_avx512f = -1;

/* AMD Zen 3, 4 or 5 (family 0x19 or 0x1A): the CPUs whose rsqrtps the Zen table models
   (Zen 4 measured on all inputs; Zen 3 and Zen 5 by the live and golden recordings). */
int adam_c_host_rsqrtps_is_zen(void)
{
    if (host_zen < 0) {
        unsigned a = 0, b = 0, c = 0, d = 0;
        int zen = 0;
        if (__get_cpuid(0, &a, &b, &c, &d) && b == 0x68747541u && d == 0x69746e65u &&
            c == 0x444d4163u) { /* "AuthenticAMD" */
            __get_cpuid(1, &a, &b, &c, &d);
            const unsigned family = ((a >> 8) & 0xfu) + ((a >> 20) & 0xffu);
            zen = family == 0x19u || family == 0x1au;
        }
        host_zen = zen;
    }
    return host_zen;
}

int adam_c_host_has_avx512f(void)
{
    if (host_avx512f < 0) {
        __builtin_cpu_init();
        host_avx512f = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return host_avx512f;
}

__attribute__((target("avx512f"))) double adam_c_hw_rsqrt14pd(double x)
{
    return _mm_cvtsd_f64(_mm_rsqrt14_sd(_mm_setzero_pd(), _mm_set_sd(x)));
}

#if defined(__GNUC__) && !defined(__clang__)
/* The vector versions GCC's vectorizer calls for adam_c_hw_rsqrt14pd (x86-64 vector
   function ABI: b = SSE, 2 lanes; c = AVX and d = AVX2, 4 lanes; e = AVX-512, 8 lanes).
   Each runs vrsqrt14pd on a zero-extended 512-bit register, so it needs AVX-512F whatever
   ISA its caller was compiled for: only the AVX-512 XLA rows call it, and those run only on
   a CPU with AVX-512F. vrsqrt14pd raises no floating-point exception. */
__attribute__((target("avx512f"))) __m128d _ZGVbN2v_adam_c_hw_rsqrt14pd(__m128d x);
__attribute__((target("avx512f"))) __m128d _ZGVbN2v_adam_c_hw_rsqrt14pd(__m128d x)
{
    return _mm512_castpd512_pd128(_mm512_rsqrt14_pd(_mm512_zextpd128_pd512(x)));
}
__attribute__((target("avx512f"))) __m256d _ZGVcN4v_adam_c_hw_rsqrt14pd(__m256d x);
__attribute__((target("avx512f"))) __m256d _ZGVcN4v_adam_c_hw_rsqrt14pd(__m256d x)
{
    return _mm512_castpd512_pd256(_mm512_rsqrt14_pd(_mm512_zextpd256_pd512(x)));
}
__attribute__((target("avx512f"))) __m256d _ZGVdN4v_adam_c_hw_rsqrt14pd(__m256d x);
__attribute__((target("avx512f"))) __m256d _ZGVdN4v_adam_c_hw_rsqrt14pd(__m256d x)
{
    return _mm512_castpd512_pd256(_mm512_rsqrt14_pd(_mm512_zextpd256_pd512(x)));
}
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_adam_c_hw_rsqrt14pd(__m512d x);
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_adam_c_hw_rsqrt14pd(__m512d x)
{
    return _mm512_rsqrt14_pd(x);
}
#endif
#else
int adam_c_host_rsqrtps_is_zen(void) { return 0; }
int adam_c_host_has_avx512f(void) { return 0; }
double adam_c_hw_rsqrt14pd(double x) { return adam_c_est_rsqrt14pd(x, 0); }
#endif
