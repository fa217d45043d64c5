/*
 * test_pow_exact.c -- checks adam_c_pow_half(x) == pow(x, 0.5) and adam_c_pow_sq(x) ==
 * pow(x, 2.0) bit for bit (src/pow_exact.c), against the C library this program runs
 * with, on many millions of float64 inputs (float64 cannot be exhaustive: pow_exact.c's
 * argument is glibc's documented error bound; this is the check that the argument and
 * the code hold). tests/test_pow_exact.py builds and runs it.
 *
 * Checked: the scalar functions and each vector version this CPU can run (_ZGVbN2v SSE2,
 * _ZGVcN4v AVX, _ZGVdN4v AVX2+FMA, _ZGVeN8v AVX-512F), every output bit (NaN payloads
 * and signs included), on blocks of 8 inputs (one call of each width) from these
 * families, per function:
 *
 *   random   random 64-bit patterns (every sign, exponent, NaN, Inf, subnormal)
 *   range    random mantissas, exponents spread over the whole double range, positive
 *            (half) or either sign (square)
 *   hard     inputs whose exact result lies within |c| * 2^-55 ULP of a rounding
 *            midpoint, for odd c with log2 |c| spread over [0, 53): constructed by Hensel
 *            lifting (half: x = (s^2 - c) / 2^54 (or 2^55) with s = 2R+1 odd, s^2 = c
 *            mod 2^54, so sqrt(x) is that close to the midpoint (R + 1/2) ULP; square:
 *            x = X with X^2 = 2^51 + c mod 2^52, or 2^52 + c mod 2^53), at random
 *            exponents, and their neighbours; about a fifth of these are inputs where
 *            pow is not correctly rounded, and the rest covers the band's edges
 *   exact    short mantissas: perfect squares (half), x^2 exact, ties and quarter points
 *            (square: odd Q of 26..30 bits)
 *   edges    powers of two (every exponent, +-2 ULP around them), the fast range's and
 *            the tiers' boundaries +-64 ULP, specials (+-0, +-Inf, NaNs, +-DBL_MIN,
 *            +-DBL_MAX, subnormals, +-1)
 *
 * It counts, too, how many inputs pow does not round correctly (pow != sqrt(x) or x * x)
 * and the largest distance from a midpoint, in ULP, at which that happened: if none were
 * found the check could not tell a too narrow band from a right one. Exits 1 on any
 * difference, printing the first ones. Threads (OpenMP) only here; the library has none.
 *
 *   gcc -std=gnu99 -O2 -fopenmp -Iadam_c/include -Iadam_c/src adam_c/tests/test_pow_exact.c \
 *       pow_exact.o -lm -o test_pow_exact     (pow_exact.o: at the library's flags)
 *   ./test_pow_exact               # the default counts (about 2.5 CPU seconds here)
 *   ./test_pow_exact --scale 4     # 4 times as many per family (tests/test_pow_exact.py)
 *   ./test_pow_exact --versions 9  # a bit mask: 1 scalar, 2 SSE2, 4 AVX, 8 AVX2, 16 AVX-512F
 */
#include <immintrin.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double adam_c_pow_half(double x);
double adam_c_pow_sq(double x);
__m128d _ZGVbN2v_adam_c_pow_half(__m128d x);
__m128d _ZGVbN2v_adam_c_pow_sq(__m128d x);
__attribute__((target("avx"))) __m256d _ZGVcN4v_adam_c_pow_half(__m256d x);
__attribute__((target("avx"))) __m256d _ZGVcN4v_adam_c_pow_sq(__m256d x);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_adam_c_pow_half(__m256d x);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_adam_c_pow_sq(__m256d x);
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_adam_c_pow_half(__m512d x);
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_adam_c_pow_sq(__m512d x);

/* the reference: the C library's pow, through a pointer the compiler cannot see through
   (it would fold pow(x, 2.0) into x*x) */
static double (*volatile ref_pow)(double, double) = pow;
static double (*volatile ref_sqrt)(double) = sqrt;

enum { SCALAR, SSE2, AVX, AVX2, AVX512, NVAR };
static const char *const VARIANT[NVAR] = {"scalar", "sse2 (_ZGVbN2v)", "avx (_ZGVcN4v)",
                                          "avx2 (_ZGVdN4v)", "avx512f (_ZGVeN8v)"};
enum { RANDOM, RANGE, HARD, EXACT, EDGES, NFAM };
static const char *const FAMILY[NFAM] = {"random", "range", "hard", "exact", "edges"};
/* blocks of 8 per family and function, times --scale (edges: fixed) */
static const int64_t BLOCKS[NFAM] = {1 << 17, 1 << 18, 1 << 18, 1 << 16, 0};
#define BLOCK 8

static void run_scalar(int f, const double *x, double *out)
{
    for (int j = 0; j < BLOCK; j++) out[j] = f ? adam_c_pow_sq(x[j]) : adam_c_pow_half(x[j]);
}

static void run_sse2(int f, const double *x, double *out)
{
    for (int j = 0; j < BLOCK; j += 2) {
        const __m128d v = _mm_loadu_pd(x + j);
        _mm_storeu_pd(out + j, f ? _ZGVbN2v_adam_c_pow_sq(v) : _ZGVbN2v_adam_c_pow_half(v));
    }
}

__attribute__((target("avx"))) static void run_avx(int f, const double *x, double *out)
{
    for (int j = 0; j < BLOCK; j += 4) {
        const __m256d v = _mm256_loadu_pd(x + j);
        _mm256_storeu_pd(out + j, f ? _ZGVcN4v_adam_c_pow_sq(v) : _ZGVcN4v_adam_c_pow_half(v));
    }
}

__attribute__((target("avx2,fma"))) static void run_avx2(int f, const double *x, double *out)
{
    for (int j = 0; j < BLOCK; j += 4) {
        const __m256d v = _mm256_loadu_pd(x + j);
        _mm256_storeu_pd(out + j, f ? _ZGVdN4v_adam_c_pow_sq(v) : _ZGVdN4v_adam_c_pow_half(v));
    }
}

__attribute__((target("avx512f"))) static void run_avx512(int f, const double *x, double *out)
{
    const __m512d v = _mm512_loadu_pd(x);
    _mm512_storeu_pd(out, f ? _ZGVeN8v_adam_c_pow_sq(v) : _ZGVeN8v_adam_c_pow_half(v));
}

static uint64_t bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double from_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* splitmix64: a deterministic stream per (function, family, block) */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* odd s with s^2 = c (mod 2^k), c = 1 (mod 8), 4 <= k <= 60: Hensel lifting */
static uint64_t sqrt_mod(uint64_t c, int k)
{
    uint64_t s = 1;
    for (int i = 3; i < k; i++)
        if (((s * s - c) >> i) & 1u) s += (uint64_t)1 << (i - 1);
    return s;
}

/* an odd c = 1 (mod 8) with log2 |c| about uniform in [3, 53), random sign (as a residue
   modulo 2^64) */
static uint64_t small_residue(uint64_t *s)
{
    const uint64_t r = mix(s);
    const int lg = 3 + (int)(r % 50);
    uint64_t c = ((mix(s) & (((uint64_t)1 << lg) - 1u)) & ~(uint64_t)7) | 1u;
    return (r >> 32 & 1u) ? c : (uint64_t)0 - c + 2u; /* -c + 2 = 1 (mod 8) too */
}

/* a random exponent e with the double 2^e normal */
static int rand_exp(uint64_t *s, int lo, int hi) { return lo + (int)(mix(s) % (uint64_t)(hi - lo)); }

/* Fills x[0..7] for function f (0 half, 1 square), family fam, block blk. */
static void generate(int f, int fam, int64_t blk, double *x)
{
    uint64_t s = ((uint64_t)f << 60) ^ ((uint64_t)fam << 56) ^ (uint64_t)blk;
    mix(&s);
    switch (fam) {
    case RANDOM:
        for (int j = 0; j < BLOCK; j++) x[j] = from_bits(mix(&s));
        break;
    case RANGE:
        for (int j = 0; j < BLOCK; j++) {
            const uint64_t r = mix(&s);
            const uint64_t e = 1u + mix(&s) % 2046u;
            x[j] = from_bits((f ? r & (1ULL << 63) : 0) | e << 52 | (r & 0xfffffffffffffULL));
        }
        break;
    case HARD:
        for (int j = 0; j < BLOCK; j += 2) {
            double v = 0.0;
            for (int tries = 0; tries < 64 && v == 0.0; tries++) {
                const uint64_t c = small_residue(&s);
                const int hi = (int)(mix(&s) & 1u); /* the upper binade of the result */
                if (!f) {
                    /* s^2 = c (mod 2^k), k = 54 + hi, s in (2^53, 2^54); x = (s^2 - c) / 2^k
                       * 2^(2E - 106 + k), and sqrt(x) is within |c| / (4 s) ULP of the
                       midpoint s * 2^(E - 53) */
                    const int k = 54 + hi;
                    const uint64_t top = (uint64_t)1 << (k - 1);
                    uint64_t t = sqrt_mod(c, k) & (top - 1u);
                    if (mix(&s) & 1u) t = top - t;
                    const uint64_t cand = hi ? t : t + top;
                    if (cand <= (1ULL << 53) || cand >= (1ULL << 54)) continue;
                    const unsigned __int128 d =
                        (unsigned __int128)cand * cand - (unsigned __int128)(int64_t)c;
                    if ((uint64_t)d & (top * 2u - 1u)) continue; /* not a root: cannot be */
                    const unsigned __int128 xx = d >> k;
                    if (xx < ((unsigned __int128)1 << 52) || xx >= ((unsigned __int128)1 << 53))
                        continue;
                    const int e2 = 2 * rand_exp(&s, -458, 511); /* x in [2^-916, 2^1024) */
                    v = ldexp((double)(uint64_t)xx, e2 - 52 + hi);
                } else {
                    /* X^2 = 2^(k-1) + c (mod 2^k), k = 52 + hi, X in [2^52, 2^53) */
                    const int k = 52 + hi;
                    const uint64_t a = ((uint64_t)1 << (k - 1)) + c;
                    const uint64_t half = (uint64_t)1 << (k - 1);
                    uint64_t r0 = sqrt_mod(a, k) & (half - 1u);
                    if (mix(&s) & 1u) r0 = half - r0;
                    uint64_t X = r0 + (1ULL << 52);
                    if (!hi && (mix(&s) & 1u)) X += half; /* the other root in range */
                    if (X >= (1ULL << 53)) continue;
                    const unsigned __int128 sq = (unsigned __int128)X * X;
                    if ((sq >= ((unsigned __int128)1 << 105)) != hi) continue;
                    const int e = rand_exp(&s, -369, 369);
                    v = ldexp((double)X, e - 52);
                    if (mix(&s) & 1u) v = -v;
                }
            }
            x[j] = v;
            /* a neighbour: 1 ULP up or down (a different distance, same region) */
            x[j + 1] = from_bits(bits(v) + ((mix(&s) & 1u) ? 1u : (uint64_t)-1));
        }
        break;
    case EXACT:
        for (int j = 0; j < BLOCK; j++) {
            const int nb = f ? 26 + (int)(mix(&s) % 5u) : 1 + (int)(mix(&s) % 26u);
            const uint64_t q = (mix(&s) & (((uint64_t)1 << nb) - 1u)) | ((uint64_t)1 << (nb - 1)) | 1u;
            if (f) {
                x[j] = ldexp((double)q, rand_exp(&s, -369, 369) - nb);
                if (mix(&s) & 1u) x[j] = -x[j];
            } else {
                const double r = ldexp((double)q, rand_exp(&s, -458, 511) - nb);
                x[j] = r * r; /* exact: q has at most 26 bits */
            }
        }
        break;
    }
}

/* The edge inputs (both functions). */
static size_t edges(double *out, size_t cap)
{
    size_t n = 0;
#define PUT(v)                        \
    do {                              \
        if (n < cap) out[n] = (v);    \
        n++;                          \
    } while (0)
    for (int e = -1074; e <= 1023; e++)
        for (int d = -2; d <= 2; d++) {
            const double p = ldexp(1.0, e);
            PUT(from_bits(bits(p) + (uint64_t)(int64_t)d));
            PUT(-from_bits(bits(p) + (uint64_t)(int64_t)d));
        }
    const double bounds[] = {0x1p-916, 0x1p-369, 0x1p369, 0x1p-126, 0x1p128, 0x1p-63,
                             0x1p64,   0x1p-32,  0x1p32,  0x1.6a09e667f3bcdp-32,
                             0x1.6a09e667f3bcdp-64, DBL_MIN, DBL_MAX, 1.0, 4.0};
    for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++)
        for (int d = -64; d <= 64; d++) {
            PUT(from_bits(bits(bounds[b]) + (uint64_t)(int64_t)d));
            PUT(-from_bits(bits(bounds[b]) + (uint64_t)(int64_t)d));
        }
    const uint64_t specials[] = {0, 1, 2, 0xfffffffffffffULL, 0x7ff0000000000000ULL,
                                 0x7ff8000000000000ULL, 0x7ff0000000000001ULL,
                                 0x7ff4000000000000ULL, 0x7fffffffffffffffULL};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
        PUT(from_bits(specials[i]));
        PUT(from_bits(specials[i] | 1ULL << 63));
    }
    while (n % BLOCK) PUT(1.0);
#undef PUT
    return n;
}

int main(int argc, char **argv)
{
    int64_t scale = 1;
    unsigned mask = 31u;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--versions") && i + 1 < argc)
            mask = (unsigned)strtoul(argv[++i], NULL, 0);
        else
            return fprintf(stderr, "usage: %s [--scale N] [--versions MASK]\n", argv[0]), 2;
    }
    if (scale < 1) return 2;
    __builtin_cpu_init();
    int have[NVAR] = {1, 1, __builtin_cpu_supports("avx") != 0,
                      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"),
                      __builtin_cpu_supports("avx512f") != 0};
    for (int v = 0; v < NVAR; v++) have[v] &= (int)(mask >> v & 1u);
    static void (*const run[NVAR])(int, const double *, double *) = {
        run_scalar, run_sse2, run_avx, run_avx2, run_avx512};

    static double edge_x[40000];
    const size_t n_edges = edges(edge_x, sizeof edge_x / sizeof edge_x[0]);
    if (n_edges > sizeof edge_x / sizeof edge_x[0]) return fprintf(stderr, "edges\n"), 2;

    unsigned long long diffs[NVAR][2] = {{0}}, checked[2][NFAM] = {{0}}, printed = 0;
    unsigned long long not_cr[2][NFAM] = {{0}};
    double worst[2] = {0.0, 0.0}; /* largest midpoint distance (ULP) where pow != RN,
                                 in the fast range */

    for (int f = 0; f < 2; f++)
        for (int fam = 0; fam < NFAM; fam++) {
            const int64_t nblk = fam == EDGES ? (int64_t)(n_edges / BLOCK) : BLOCKS[fam] * scale;
            unsigned long long my_nc = 0, my_checked = 0;
            double my_worst = 0.0;
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : my_nc, my_checked) \
    reduction(max : my_worst)
            for (int64_t blk = 0; blk < nblk; blk++) {
                double (*const pow_)(double, double) = ref_pow;
                double (*const sqrt_)(double) = ref_sqrt;
                double x[BLOCK], ref[BLOCK], got[BLOCK];
                if (fam == EDGES)
                    memcpy(x, edge_x + blk * BLOCK, sizeof x);
                else
                    generate(f, fam, blk, x);
                const double y = f ? 2.0 : 0.5;
                for (int j = 0; j < BLOCK; j++) {
                    ref[j] = pow_(x[j], y);
                    const double rn = f ? x[j] * x[j] : sqrt_(x[j]);
                    if (bits(rn) != bits(ref[j]) && x[j] == x[j]) my_nc++;
                    /* the distance, where pow_exact.c's residual is exact (its fast range) */
                    if (bits(rn) != bits(ref[j]) &&
                        (f ? fabs(x[j]) >= 0x1p-369 && fabs(x[j]) < 0x1p369
                           : x[j] >= 0x1p-916 && x[j] < INFINITY)) {
                        /* distance of the exact result from the midpoint, in ULP of rn */
                        const double g = rn - from_bits(bits(rn) - 1u);
                        const double e = f ? fma(x[j], x[j], -rn) : fma(-rn, rn, x[j]);
                        const double off = f ? fabs(e) / g : fabs(e) / (2.0 * rn) / g;
                        if (0.5 - off > my_worst) my_worst = 0.5 - off;
                    }
                }
                my_checked += BLOCK;
                for (int v = 0; v < NVAR; v++) {
                    if (!have[v]) continue;
                    run[v](f, x, got);
                    uint64_t any = 0;
                    for (int j = 0; j < BLOCK; j++) any |= bits(got[j]) ^ bits(ref[j]);
                    if (!any) continue;
                    for (int j = 0; j < BLOCK; j++) {
                        if (bits(got[j]) == bits(ref[j])) continue;
#pragma omp critical
                        {
                            diffs[v][f]++;
                            if (printed++ < 20)
                                printf("DIFF %s %s %s x=0x%016llx (%a): 0x%016llx, pow 0x%016llx\n",
                                       VARIANT[v], f ? "pow(x, 2)" : "pow(x, 0.5)", FAMILY[fam],
                                       (unsigned long long)bits(x[j]), x[j],
                                       (unsigned long long)bits(got[j]),
                                       (unsigned long long)bits(ref[j]));
                        }
                    }
                }
            }
            checked[f][fam] = my_checked;
            not_cr[f][fam] = my_nc;
            if (my_worst > worst[f]) worst[f] = my_worst;
        }

    unsigned long long total = 0;
    printf("pow_exact: %d threads, scale %lld\n", omp_get_max_threads(), (long long)scale);
    for (int f = 0; f < 2; f++) {
        printf("  %s inputs:", f ? "pow(x, 2)" : "pow(x, 0.5)");
        for (int fam = 0; fam < NFAM; fam++) printf(" %s %llu", FAMILY[fam], checked[f][fam]);
        printf("\n  %s not correctly rounded by pow:", f ? "pow(x, 2)" : "pow(x, 0.5)");
        for (int fam = 0; fam < NFAM; fam++) printf(" %s %llu", FAMILY[fam], not_cr[f][fam]);
        printf("; in the fast range at most %.5f ULP from a midpoint\n", worst[f]);
    }
    for (int v = 0; v < NVAR; v++) {
        if (!have[v]) {
            printf("  %-20s not run\n", VARIANT[v]);
            continue;
        }
        unsigned long long n0 = 0, n1 = 0;
        for (int fam = 0; fam < NFAM; fam++) n0 += checked[0][fam], n1 += checked[1][fam];
        printf("  %-20s differences: pow(x, 0.5) %llu of %llu, pow(x, 2) %llu of %llu\n",
               VARIANT[v], diffs[v][0], n0, diffs[v][1], n1);
        total += diffs[v][0] + diffs[v][1];
    }
    if (total) {
        printf("pow_exact: FAILED, %llu differences\n", total);
        return 1;
    }
    printf("pow_exact: all equal\n");
    return 0;
}
