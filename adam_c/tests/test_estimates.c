/*
 * test_estimates.c -- the estimate models of adam_c/src/estimates.c against the hardware
 * instructions, on every input that matters, and against checksums of their outputs.
 *
 *   cc -std=c99 -O2 -ffp-contract=off -Iadam_c/include -Iadam_c/src -c adam_c/src/estimates.c
 *   cc -O2 -Iadam_c/include -Iadam_c/src adam_c/tests/test_estimates.c estimates.o -o t
 *   ./t
 *
 * Sections (tests/test_estimates.py runs it and reads the summary lines):
 *   rsqrtps   on an AMD Zen 3/4/5 CPU: all 2^32 float bit patterns, the model against
 *             rsqrtss and against 8-lane vrsqrtps (AVX), which must agree with each other;
 *   rsqrt14   with AVX-512F: every (sign, exponent, top 15 fraction bits) of a double with
 *             3 fillings of the 37 low bits (zero, all ones, random), every subnormal
 *             shape, without and with DAZ, against vrsqrt14sd; and the dependence check:
 *             2^22 random doubles, each with 4 random low-bit fillings, give one hardware
 *             result (so the enumeration above covers every input);
 *   checksum  on any machine: an FNV-1a hash of the models' outputs over the same inputs,
 *             against the value recorded on the modelled CPU (where the two sections above
 *             passed): the models compute the same function everywhere.
 * Prints "<section>: <inputs> inputs, <mismatches> mismatches" or "<section>: skipped".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam_c_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

/* The models' outputs over the enumerated inputs, hashed on the modelled CPU (AMD Zen 4)
   after both hardware sections passed there. */
#define CHECKSUM_RSQRTPS 0xe9e4f52e3d82e218u
#define CHECKSUM_RSQRT14 0xb54261bbb8fed4ecu

static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xffu;
        h *= 0x100000001b3u;
    }
    return h;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The doubles the rsqrt14 sections enumerate: pattern i of n (see the header comment). */
#define PD_FILLINGS 3
static uint64_t pd_input(uint64_t i, uint64_t *seed)
{
    const uint64_t hi = i / PD_FILLINGS, fill = i % PD_FILLINGS; /* hi: 1+11+15 bits */
    const uint64_t low = fill == 0 ? 0 : fill == 1 ? ((1ull << 37) - 1)
                                                   : (splitmix(seed) & ((1ull << 37) - 1));
    return (hi << 37) | low;
}
#define PD_COUNT ((1ull << 27) * PD_FILLINGS)

static uint64_t subnormal_input(uint64_t i)
{
    /* leading one at bit b (0..51) followed by 15 bits, sign */
    const uint64_t b = (i >> 16) % 52, bits = i & 0x7fffu, s = (i >> 15) & 1u;
    uint64_t m = 1ull << b;
    m |= b >= 15 ? bits << (b - 15) : bits >> (15 - b);
    return (s << 63) | (m & ((1ull << 52) - 1));
}
#define SUB_COUNT (52ull << 16)

#if HAVE_X86
static int host_zen(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d) || b != 0x68747541u) return 0;
    __get_cpuid(1, &a, &b, &c, &d);
    const unsigned family = ((a >> 8) & 0xfu) + ((a >> 20) & 0xffu);
    return family == 0x19u || family == 0x1au;
}

static uint32_t hw_rsqrtss(uint32_t u)
{
    float x, r;
    memcpy(&x, &u, 4);
    r = _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x)));
    memcpy(&u, &r, 4);
    return u;
}

__attribute__((target("avx"))) static void hw_rsqrtps8(const uint32_t *in, uint32_t *out)
{
    __m256 v;
    memcpy(&v, in, 32);
    v = _mm256_rsqrt_ps(v);
    memcpy(out, &v, 32);
}

__attribute__((target("avx512f"))) static uint64_t hw_rsqrt14(uint64_t u, int daz)
{
    double x, r;
    memcpy(&x, &u, 8);
    const unsigned old = _mm_getcsr();
    if (daz) _mm_setcsr(old | 0x40u);
    r = _mm_cvtsd_f64(_mm_rsqrt14_sd(_mm_setzero_pd(), _mm_set_sd(x)));
    _mm_setcsr(old);
    memcpy(&u, &r, 8);
    return u;
}
#endif

int main(void)
{
    int fails = 0;
    uint64_t h, seed;

    /* checksum of the rsqrtps model over all 2^32 floats */
    h = 0xcbf29ce484222325u;
    for (uint64_t u = 0; u < (1ull << 32); u++) h = fnv(h, adam_c_est_rsqrtps_zen_bits((uint32_t)u));
    printf("checksum rsqrtps: 0x%016llx (recorded 0x%016llx)\n", (unsigned long long)h,
           (unsigned long long)CHECKSUM_RSQRTPS);
    fails += h != CHECKSUM_RSQRTPS;

    /* checksum of the rsqrt14 model over the enumerated doubles, without and with DAZ */
    h = 0xcbf29ce484222325u;
    seed = 1;
    for (uint64_t i = 0; i < PD_COUNT; i++) {
        const uint64_t x = pd_input(i, &seed);
        h = fnv(fnv(h, adam_c_est_rsqrt14pd_bits(x, 0)), adam_c_est_rsqrt14pd_bits(x, 1));
    }
    for (uint64_t i = 0; i < SUB_COUNT; i++) {
        const uint64_t x = subnormal_input(i);
        h = fnv(fnv(h, adam_c_est_rsqrt14pd_bits(x, 0)), adam_c_est_rsqrt14pd_bits(x, 1));
    }
    printf("checksum rsqrt14: 0x%016llx (recorded 0x%016llx)\n", (unsigned long long)h,
           (unsigned long long)CHECKSUM_RSQRT14);
    fails += h != CHECKSUM_RSQRT14;

#if HAVE_X86
    __builtin_cpu_init();
    if (host_zen() && __builtin_cpu_supports("avx")) {
        uint64_t bad = 0;
        static uint32_t in[8], out[8];
        for (uint64_t u = 0; u < (1ull << 32); u += 8) {
            for (int j = 0; j < 8; j++) in[j] = (uint32_t)(u + (uint64_t)j);
            hw_rsqrtps8(in, out);
            for (int j = 0; j < 8; j++) {
                const uint32_t m = adam_c_est_rsqrtps_zen_bits(in[j]);
                bad += m != out[j] || m != hw_rsqrtss(in[j]);
            }
        }
        printf("rsqrtps: %llu inputs, %llu mismatches\n", 1ull << 32, (unsigned long long)bad);
        fails += bad != 0;
    } else {
        printf("rsqrtps: skipped (not an AMD Zen 3/4/5 CPU with AVX)\n");
    }
    if (__builtin_cpu_supports("avx512f")) {
        uint64_t bad = 0, n = 0;
        seed = 1;
        for (uint64_t i = 0; i < PD_COUNT; i++, n += 2) {
            const uint64_t x = pd_input(i, &seed);
            bad += (adam_c_est_rsqrt14pd_bits(x, 0) != hw_rsqrt14(x, 0)) +
                   (adam_c_est_rsqrt14pd_bits(x, 1) != hw_rsqrt14(x, 1));
        }
        for (uint64_t i = 0; i < SUB_COUNT; i++, n += 2) {
            const uint64_t x = subnormal_input(i);
            bad += (adam_c_est_rsqrt14pd_bits(x, 0) != hw_rsqrt14(x, 0)) +
                   (adam_c_est_rsqrt14pd_bits(x, 1) != hw_rsqrt14(x, 1));
        }
        printf("rsqrt14: %llu inputs, %llu mismatches\n", (unsigned long long)n,
               (unsigned long long)bad);
        fails += bad != 0;
        /* the result depends on nothing but sign, exponent and the top 15 fraction bits */
        uint64_t dep = 0, ndep = 0;
        seed = 7;
        for (uint64_t i = 0; i < (1ull << 22); i++) {
            const uint64_t x = splitmix(&seed), top = x & ~((1ull << 37) - 1);
            const uint64_t e = (x >> 52) & 0x7ffu;
            if (e == 0 || e == 0x7ffu) continue; /* subnormals: enumerated by shape above;
                                                    NaNs return their own payload */
            const uint64_t r = hw_rsqrt14(top | 1u, 0);
            for (int k = 0; k < 4; k++) {
                const uint64_t y = top | (splitmix(&seed) & ((1ull << 37) - 1));
                /* the one exception: a zero fraction is exact (powers of four) */
                if ((y & ((1ull << 52) - 1)) != 0 && (top & ((1ull << 52) - 1)) != 0) {
                    dep += hw_rsqrt14(y, 0) != r;
                    ndep++;
                }
            }
        }
        printf("rsqrt14 dependence: %llu inputs, %llu mismatches\n", (unsigned long long)ndep,
               (unsigned long long)dep);
        fails += dep != 0;
    } else {
        printf("rsqrt14: skipped (no AVX-512F)\n");
    }
#else
    printf("rsqrtps: skipped (not x86-64)\nrsqrt14: skipped (not x86-64)\n");
#endif
    printf(fails ? "FAILED\n" : "OK\n");
    return fails != 0;
}
