/*
 * test_powf_exact.c -- the proof that adam_c_powf_half(x) == powf(x, 0.5f) and
 * adam_c_powf_sq(x) == powf(x, 2.0f) bit for bit (src/powf_exact.c), against the C library
 * this program runs with. tests/test_powf_exact.py builds and runs it.
 *
 * Checked: the scalar functions and each vector version this CPU can run (_ZGVbN4v SSE2,
 * _ZGVcN8v AVX, _ZGVdN8v AVX2+FMA, _ZGVeN16v AVX-512F), every output bit (NaN payloads and
 * signs included), over the 2^32 float32 bit patterns in blocks of 16 consecutive ones
 * (one vector call of each width), which share their sign and exponent (the blocks of +-0
 * excepted). Exits 1 on any difference, printing the first ones. Threads (OpenMP) only
 * here; the library has none.
 *
 * Default: every block in the functions' fast domain (+-0; x > 0 normal for half,
 * 2^-63 <= |x| < 2^63 for square; about half of all patterns, where they compute the
 * result themselves or send the guard band to powf), and every 16th block outside it,
 * 2^27 patterns per function, so every (sign, exponent) in every lane position. Outside the
 * fast domain the functions call powf for every lane, decided by the sign and exponent
 * bits alone; checking all of those too (--all) costs three times as long (about 3 CPU
 * minutes here) for calls of powf against powf. The default takes about 70 CPU seconds
 * (2 threads, AMD EPYC Zen 4, glibc 2.36).
 *
 *   gcc -std=gnu99 -O3 -ffp-contract=off -fno-math-errno -fopenmp -Iadam_c/include \
 *       -Iadam_c/src adam_c/tests/test_powf_exact.c adam_c/src/powf_exact.c -lm \
 *       -o test_powf_exact
 *   ./test_powf_exact              # as above
 *   ./test_powf_exact --all        # every bit pattern, every version
 *   ./test_powf_exact --stride 257 # every 257th block only (a quick look, proves nothing)
 *   ./test_powf_exact --versions 9 # a bit mask: 1 scalar, 2 SSE2, 4 AVX, 8 AVX2, 16 AVX-512F
 *
 * glibc picks its powf by CPUID (with or without FMA); GLIBC_TUNABLES=
 * glibc.cpu.hwcaps=-AVX2,-FMA runs this against the other one on an FMA CPU.
 */
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

float adam_c_powf_half(float x);
float adam_c_powf_sq(float x);
__m128 _ZGVbN4v_adam_c_powf_half(__m128 x);
__m128 _ZGVbN4v_adam_c_powf_sq(__m128 x);
__attribute__((target("avx"))) __m256 _ZGVcN8v_adam_c_powf_half(__m256 x);
__attribute__((target("avx"))) __m256 _ZGVcN8v_adam_c_powf_sq(__m256 x);
__attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_adam_c_powf_half(__m256 x);
__attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_adam_c_powf_sq(__m256 x);
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_adam_c_powf_half(__m512 x);
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_adam_c_powf_sq(__m512 x);

/* the reference: the C library's powf, through a pointer the compiler cannot see through
   (it would fold powf(x, 2.0f) into x*x) */
static float (*volatile ref_powf)(float, float) = powf;

enum { SCALAR, SSE2, AVX, AVX2, AVX512, NVAR };
static const char *const VARIANT[NVAR] = {"scalar", "sse2 (_ZGVbN4v)", "avx (_ZGVcN8v)",
                                          "avx2 (_ZGVdN8v)", "avx512f (_ZGVeN16v)"};
#define BLOCK 16
#define OUT_SAMPLE 16

/* out[j] = function f (0: half, 1: square) of x[j], by each version */
static void run_scalar(int f, const float *x, float *out)
{
    for (int j = 0; j < BLOCK; j++) out[j] = f ? adam_c_powf_sq(x[j]) : adam_c_powf_half(x[j]);
}

static void run_sse2(int f, const float *x, float *out)
{
    for (int j = 0; j < BLOCK; j += 4) {
        const __m128 v = _mm_loadu_ps(x + j);
        _mm_storeu_ps(out + j, f ? _ZGVbN4v_adam_c_powf_sq(v) : _ZGVbN4v_adam_c_powf_half(v));
    }
}

__attribute__((target("avx"))) static void run_avx(int f, const float *x, float *out)
{
    for (int j = 0; j < BLOCK; j += 8) {
        const __m256 v = _mm256_loadu_ps(x + j);
        _mm256_storeu_ps(out + j,
                         f ? _ZGVcN8v_adam_c_powf_sq(v) : _ZGVcN8v_adam_c_powf_half(v));
    }
}

__attribute__((target("avx2,fma"))) static void run_avx2(int f, const float *x, float *out)
{
    for (int j = 0; j < BLOCK; j += 8) {
        const __m256 v = _mm256_loadu_ps(x + j);
        _mm256_storeu_ps(out + j,
                         f ? _ZGVdN8v_adam_c_powf_sq(v) : _ZGVdN8v_adam_c_powf_half(v));
    }
}

__attribute__((target("avx512f"))) static void run_avx512(int f, const float *x, float *out)
{
    const __m512 v = _mm512_loadu_ps(x);
    _mm512_storeu_ps(out, f ? _ZGVeN16v_adam_c_powf_sq(v) : _ZGVeN16v_adam_c_powf_half(v));
}

static uint32_t bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Whether x is in the domain where function f computes without powf (unless in the guard
   band): +-0, and the positive normal floats (half) or 2^-63 <= |x| < 2^63 (square). */
static int fast_domain(int f, uint32_t b)
{
    const uint32_t a = b & 0x7fffffffu;
    if (a == 0) return 1;
    return f ? a >= 0x20000000u && a < 0x5f000000u : b >= 0x00800000u && b < 0x7f800000u;
}

int main(int argc, char **argv)
{
    uint64_t stride = 1, out_sample = OUT_SAMPLE;
    unsigned mask = 31u;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--all"))
            out_sample = 1;
        else if (!strcmp(argv[i], "--stride") && i + 1 < argc)
            stride = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--versions") && i + 1 < argc)
            mask = (unsigned)strtoul(argv[++i], NULL, 0);
        else
            return fprintf(stderr, "usage: %s [--all] [--stride N] [--versions MASK]\n",
                           argv[0]), 2;
    }
    if (stride == 0) return 2;
    __builtin_cpu_init();
    int have[NVAR] = {1, 1, __builtin_cpu_supports("avx") != 0,
                      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"),
                      __builtin_cpu_supports("avx512f") != 0};
    for (int v = 0; v < NVAR; v++) have[v] &= (int)(mask >> v & 1u);
    static void (*const run[NVAR])(int, const float *, float *) = {
        run_scalar, run_sse2, run_avx, run_avx2, run_avx512};
    unsigned long long diffs[NVAR][2] = {{0}}, checked[NVAR][2] = {{0}}, printed = 0;
    unsigned long long inputs = 0;
    /* blocks of BLOCK consecutive bit patterns (one sign and exponent each, but for the
       zero blocks); every stride-th block */
    const int64_t nblocks = (int64_t)(((1ULL << 32) / BLOCK + stride - 1) / stride);

#pragma omp parallel
    {
        unsigned long long my_checked[NVAR][2] = {{0}};
#pragma omp for schedule(dynamic, 1024) reduction(+ : inputs)
        for (int64_t blk = 0; blk < nblocks; blk++) {
            float (*const powf_)(float, float) = ref_powf;
            float x[BLOCK], ref[BLOCK], got[BLOCK];
            for (int j = 0; j < BLOCK; j++) {
                const uint32_t b = (uint32_t)(((uint64_t)blk * stride * BLOCK) + (uint64_t)j);
                memcpy(&x[j], &b, sizeof b);
            }
            inputs += BLOCK;
            for (int f = 0; f < 2; f++) {
                int dom = 0;
                for (int j = 0; j < BLOCK; j++) dom |= fast_domain(f, bits(x[j]));
                /* outside the fast domain the functions only route the input to powf:
                   every out_sample-th block (see the header) */
                if (!dom && blk % (int64_t)out_sample != 0) continue;
                const float y = f ? 2.0f : 0.5f;
                for (int j = 0; j < BLOCK; j++) ref[j] = powf_(x[j], y);
                for (int v = 0; v < NVAR; v++) {
                    if (!have[v]) continue;
                    run[v](f, x, got);
                    my_checked[v][f] += BLOCK;
                    uint32_t any = 0;
                    for (int j = 0; j < BLOCK; j++) any |= bits(got[j]) ^ bits(ref[j]);
                    if (!any) continue;
                    for (int j = 0; j < BLOCK; j++) {
                        if (bits(got[j]) == bits(ref[j])) continue;
#pragma omp critical
                        {
                            diffs[v][f]++;
                            if (printed++ < 20)
                                printf("DIFF %s %s x=0x%08x (%a): 0x%08x, powf 0x%08x\n",
                                       VARIANT[v], f ? "powf(x, 2)" : "powf(x, 0.5)",
                                       bits(x[j]), (double)x[j], bits(got[j]), bits(ref[j]));
                        }
                    }
                }
            }
        }
#pragma omp critical
        for (int v = 0; v < NVAR; v++)
            for (int f = 0; f < 2; f++) checked[v][f] += my_checked[v][f];
    }

    unsigned long long total = 0;
    printf("powf_exact: %llu bit patterns (every %llu-th block of %d); outside the fast"
           " domain every %llu-th block; %d threads\n", inputs, (unsigned long long)stride,
           BLOCK, (unsigned long long)out_sample, omp_get_max_threads());
    for (int v = 0; v < NVAR; v++) {
        if (!have[v]) {
            printf("  %-20s not run\n", VARIANT[v]);
            continue;
        }
        printf("  %-20s differences: powf(x, 0.5) %llu of %llu, powf(x, 2) %llu of %llu\n",
               VARIANT[v], diffs[v][0], checked[v][0], diffs[v][1], checked[v][1]);
        total += diffs[v][0] + diffs[v][1];
    }
    if (total) {
        printf("powf_exact: FAILED, %llu differences\n", total);
        return 1;
    }
    printf("powf_exact: all equal\n");
    return 0;
}
