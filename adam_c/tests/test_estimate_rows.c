/*
 * test_estimate_rows.c -- the vector versions of src/estimate_rows.c (MKL's float32 and
 * float64 sqrt, XLA's and TF's float32 rsqrt, with this CPU's estimate) give their scalar
 * functions' bits, lane for lane. tests/test_estimate_rows.py builds and runs it.
 *
 * Inputs (float32 and float64 bit patterns): the special values (+-0, subnormals, the
 * normal extremes, +-inf, quiet and signalling NaNs of both signs), a few patterns either
 * side of each boundary of the MKL exact-path predicates and of XLA's x < FLT_MIN / +inf
 * test, random fractions in every (sign, exponent), and fully random patterns (which mix
 * exact-path and fast-path lanes in a vector). Each version this CPU runs (_ZGVbN SSE2,
 * _ZGVcN AVX, _ZGVdN AVX2 + FMA, _ZGVeN AVX-512F) is called on consecutive inputs, once
 * with MXCSR as the program starts and once with FTZ and DAZ set (TensorFlow's rows run
 * so), against the exported scalar function under the same MXCSR. Every output bit is
 * compared (NaN payloads and signs included). Prints one line per version, "not run" for
 * those the CPU lacks; exits 1 on any difference. Well under a second.
 *
 *   gcc -std=gnu99 -O2 -Iadam_c/include -Iadam_c/src adam_c/tests/test_estimate_rows.c \
 *       estimate_rows.o common.o estimates.o -lm -o test_estimate_rows
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

float adam_c_mkl_sqrt_f32_host(float x);
double adam_c_mkl_sqrt_f64_host(double x);
float adam_c_xla_rsqrt_f32_host(float x);
float adam_c_tf_rsqrt_f32_host(float x);

#define DECLARE_F32(NAME)                                                                    \
    __m128 _ZGVbN4v_##NAME(__m128 x);                                                       \
    __attribute__((target("avx"))) __m256 _ZGVcN8v_##NAME(__m256 x);                        \
    __attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_##NAME(__m256 x);                   \
    __attribute__((target("avx512f"))) __m512 _ZGVeN16v_##NAME(__m512 x);
DECLARE_F32(adam_c_mkl_sqrt_f32_host)
DECLARE_F32(adam_c_xla_rsqrt_f32_host)
DECLARE_F32(adam_c_tf_rsqrt_f32_host)
__m128d _ZGVbN2v_adam_c_mkl_sqrt_f64_host(__m128d x);
__attribute__((target("avx"))) __m256d _ZGVcN4v_adam_c_mkl_sqrt_f64_host(__m256d x);
__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_adam_c_mkl_sqrt_f64_host(__m256d x);
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_adam_c_mkl_sqrt_f64_host(__m512d x);

enum { SSE2, AVX, AVX2, AVX512, NVAR };
static const char *const VARIANT[NVAR] = {"sse2", "avx", "avx2", "avx512f"};

/* One vector version over n inputs (n a multiple of its lanes). */
#define RUNNERS_F32(NAME, TAG)                                                               \
    static void TAG##_b(const float *x, float *r, size_t n)                                 \
    {                                                                                         \
        for (size_t i = 0; i < n; i += 4)                                                     \
            _mm_storeu_ps(r + i, _ZGVbN4v_##NAME(_mm_loadu_ps(x + i)));                       \
    }                                                                                         \
    __attribute__((target("avx"))) static void TAG##_c(const float *x, float *r, size_t n)  \
    {                                                                                         \
        for (size_t i = 0; i < n; i += 8)                                                     \
            _mm256_storeu_ps(r + i, _ZGVcN8v_##NAME(_mm256_loadu_ps(x + i)));                 \
    }                                                                                         \
    __attribute__((target("avx2,fma"))) static void TAG##_d(const float *x, float *r,       \
                                                             size_t n)                        \
    {                                                                                         \
        for (size_t i = 0; i < n; i += 8)                                                     \
            _mm256_storeu_ps(r + i, _ZGVdN8v_##NAME(_mm256_loadu_ps(x + i)));                 \
    }                                                                                         \
    __attribute__((target("avx512f"))) static void TAG##_e(const float *x, float *r,        \
                                                            size_t n)                         \
    {                                                                                         \
        for (size_t i = 0; i < n; i += 16)                                                    \
            _mm512_storeu_ps(r + i, _ZGVeN16v_##NAME(_mm512_loadu_ps(x + i)));               \
    }                                                                                         \
    static void (*const TAG##_v[NVAR])(const float *, float *, size_t) = {                  \
        TAG##_b, TAG##_c, TAG##_d, TAG##_e};
RUNNERS_F32(adam_c_mkl_sqrt_f32_host, mkl32)
RUNNERS_F32(adam_c_xla_rsqrt_f32_host, xla32)
RUNNERS_F32(adam_c_tf_rsqrt_f32_host, tf32)

static void mkl64_b(const double *x, double *r, size_t n)
{
    for (size_t i = 0; i < n; i += 2)
        _mm_storeu_pd(r + i, _ZGVbN2v_adam_c_mkl_sqrt_f64_host(_mm_loadu_pd(x + i)));
}
__attribute__((target("avx"))) static void mkl64_c(const double *x, double *r, size_t n)
{
    for (size_t i = 0; i < n; i += 4)
        _mm256_storeu_pd(r + i, _ZGVcN4v_adam_c_mkl_sqrt_f64_host(_mm256_loadu_pd(x + i)));
}
__attribute__((target("avx2,fma"))) static void mkl64_d(const double *x, double *r, size_t n)
{
    for (size_t i = 0; i < n; i += 4)
        _mm256_storeu_pd(r + i, _ZGVdN4v_adam_c_mkl_sqrt_f64_host(_mm256_loadu_pd(x + i)));
}
__attribute__((target("avx512f"))) static void mkl64_e(const double *x, double *r, size_t n)
{
    for (size_t i = 0; i < n; i += 8)
        _mm512_storeu_pd(r + i, _ZGVeN8v_adam_c_mkl_sqrt_f64_host(_mm512_loadu_pd(x + i)));
}
static void (*const mkl64_v[NVAR])(const double *, double *, size_t) = {mkl64_b, mkl64_c,
                                                                        mkl64_d, mkl64_e};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define RANDOM 1048576
#define PER_EXP32 512
#define PER_EXP64 128

/* float32 inputs: specials and boundaries (+-3 patterns around each), every (sign,
   exponent) with random fractions, random patterns; padded to a multiple of 16. */
static size_t inputs32(uint32_t *u)
{
    static const uint32_t around[] = {
        0x00000000u, 0x00000001u, 0x007fffffu, 0x00800000u, /* 0, subnormals, FLT_MIN */
        0x3f800000u, 0x7f7ff000u, 0x7f7fffffu, 0x7f800000u, /* 1, MKL exact bound, max, inf */
        0x7f800001u, 0x7fc00000u, 0x7fffffffu};             /* NaNs */
    size_t n = 0;
    for (size_t k = 0; k < sizeof around / sizeof around[0]; k++)
        for (int d = -3; d <= 3; d++)
            for (uint32_t s = 0; s < 2; s++) u[n++] = (around[k] + (uint32_t)d) ^ (s << 31);
    for (uint32_t se = 0; se < 512; se++)
        for (int j = 0; j < PER_EXP32; j++)
            u[n++] = (se << 23) | (uint32_t)(next() & 0x7fffffu);
    for (int j = 0; j < RANDOM; j++) u[n++] = (uint32_t)next();
    while (n % 16) u[n++] = 0x3f800000u;
    return n;
}

static size_t inputs64(uint64_t *u)
{
    static const uint64_t around[] = {
        0x0000000000000000ULL, 0x0000000000000001ULL, 0x000fffffffffffffULL,
        0x0010000000000000ULL, 0x3ff0000000000000ULL, 0x7fcfffffffffffffULL,
        0x7fd0000000000000ULL, 0x7fefffffffffffffULL, 0x7ff0000000000000ULL,
        0x7ff0000000000001ULL, 0x7ff8000000000000ULL, 0x7fffffffffffffffULL,
        0x00000000ffffffffULL, 0x0010000100000000ULL, 0x7fcfffff00000000ULL};
    size_t n = 0;
    for (size_t k = 0; k < sizeof around / sizeof around[0]; k++)
        for (int d = -3; d <= 3; d++)
            for (uint64_t s = 0; s < 2; s++)
                u[n++] = (around[k] + (uint64_t)(int64_t)d) ^ (s << 63);
    for (uint64_t se = 0; se < 4096; se++)
        for (int j = 0; j < PER_EXP64; j++)
            u[n++] = (se << 52) | (next() & 0x000fffffffffffffULL);
    for (int j = 0; j < RANDOM; j++) u[n++] = next();
    while (n % 16) u[n++] = 0x3ff0000000000000ULL;
    return n;
}

static long compare(const char *what, const void *ref, const void *got, size_t n, size_t size,
                    const void *in)
{
    long bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (memcmp((const char *)ref + i * size, (const char *)got + i * size, size) == 0)
            continue;
        if (bad++ < 5) {
            uint64_t a = 0, b = 0, x = 0;
            memcpy(&x, (const char *)in + i * size, size);
            memcpy(&a, (const char *)ref + i * size, size);
            memcpy(&b, (const char *)got + i * size, size);
            printf("    %s: x %#llx scalar %#llx vector %#llx\n", what, (unsigned long long)x,
                   (unsigned long long)a, (unsigned long long)b);
        }
    }
    return bad;
}

int main(void)
{
    __builtin_cpu_init();
    const int have[NVAR] = {1, __builtin_cpu_supports("avx") != 0,
                            __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"),
                            __builtin_cpu_supports("avx512f") != 0};
    const size_t cap = 2 * RANDOM + 4096 * PER_EXP64 + 1024;
    uint32_t *u32 = malloc(cap * 4);
    uint64_t *u64 = malloc(cap * 8);
    float *x32 = malloc(cap * 4), *ref32 = malloc(cap * 4), *got32 = malloc(cap * 4);
    double *x64 = malloc(cap * 8), *ref64 = malloc(cap * 8), *got64 = malloc(cap * 8);
    if (!u32 || !u64 || !x32 || !ref32 || !got32 || !x64 || !ref64 || !got64) return 2;
    const size_t n32 = inputs32(u32), n64 = inputs64(u64);
    memcpy(x32, u32, n32 * 4);
    memcpy(x64, u64, n64 * 8);
    const unsigned csr0 = _mm_getcsr();
    long total = 0;
    for (int v = 0; v < NVAR; v++) {
        if (!have[v]) {
            printf("  %-8s not run\n", VARIANT[v]);
            continue;
        }
        long bad[4] = {0, 0, 0, 0};
        for (int mode = 0; mode < 2; mode++) {
            const unsigned csr = mode ? (csr0 | 0x8040u) : csr0; /* FTZ | DAZ */
            static const char *const name[3] = {"mkl_sqrt_f32", "xla_rsqrt_f32", "tf_rsqrt_f32"};
            float (*const scalar[3])(float) = {adam_c_mkl_sqrt_f32_host,
                                               adam_c_xla_rsqrt_f32_host,
                                               adam_c_tf_rsqrt_f32_host};
            void (*const *const vector[3])(const float *, float *, size_t) = {mkl32_v, xla32_v,
                                                                              tf32_v};
            for (int f = 0; f < 3; f++) {
                _mm_setcsr(csr);
                for (size_t i = 0; i < n32; i++) ref32[i] = scalar[f](x32[i]);
                vector[f][v](x32, got32, n32);
                _mm_setcsr(csr0);
                bad[f] += compare(name[f], ref32, got32, n32, 4, x32);
            }
            _mm_setcsr(csr);
            for (size_t i = 0; i < n64; i++) ref64[i] = adam_c_mkl_sqrt_f64_host(x64[i]);
            mkl64_v[v](x64, got64, n64);
            _mm_setcsr(csr0);
            bad[3] += compare("mkl_sqrt_f64", ref64, got64, n64, 8, x64);
        }
        printf("  %-8s mkl_sqrt_f32 %ld of %zu, xla_rsqrt_f32 %ld of %zu, tf_rsqrt_f32 %ld of "
               "%zu, mkl_sqrt_f64 %ld of %zu differ\n",
               VARIANT[v], bad[0], 2 * n32, bad[1], 2 * n32, bad[2], 2 * n32, bad[3], 2 * n64);
        total += bad[0] + bad[1] + bad[2] + bad[3];
    }
    puts(total ? "estimate_rows: FAILED" : "estimate_rows: all equal");
    return total ? 1 : 0;
}
