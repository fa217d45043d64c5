/*
 * gen_estimates.c -- derive adam_c/src/estimates_tables.h from the hardware.
 *
 * Build and run ON THE CPU TO BE MODELLED (the committed tables: AMD Zen 4, family 25
 * model 17):
 *     cc -O2 -march=native adam_c/tests/gen_estimates.c -o gen_estimates
 *     ./gen_estimates > adam_c/src/estimates_tables.h
 *
 * Every assumption is checked (the program stops if one fails):
 *  1. rsqrtps: for x in [1,2) and [2,4) (the two exponent parities) the result has biased
 *     exponent 126, its low 11 mantissa bits are zero (a 12-bit estimate), and it depends
 *     only on the top 12 input mantissa bits (all 2^23 mantissas are tried). The 2 x 4096
 *     results are a bipartite table: with the 12 index bits as three 4-bit fields x0.x1.x2,
 *     T[x0.x1.x2] = HI[x0.x1] - LO[x0.x2], checked on every entry.
 *  2. vrsqrt14 (AVX-512): for x in [1,2) and [2,4) the result has biased exponent 126, a
 *     17-bit significand q and depends only on the top 15 mantissa bits; the 2^15 buckets
 *     form 32 segments of 1024 per parity, in each of which q(j) = floor((128*A -
 *     B*(j-512)) / 512) for exactly one integer pair (A, B) (searched exhaustively). The
 *     fitted pairs are the coefficients of Intel's published reference implementation.
 * On a CPU without AVX-512 only part 1 runs (diff its output against the committed
 * tables to see whether that CPU's rsqrtps equals the model).
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static uint32_t hw_rsqrt(uint32_t u) { return f2u(_mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(u2f(u))))); }
#define AVX512 __attribute__((target("avx512f,avx512vl")))

AVX512 static uint32_t hw_rsqrt14(uint32_t u)
{
    return f2u(_mm_cvtss_f32(_mm_rsqrt14_ss(_mm_setzero_ps(), _mm_set_ss(u2f(u)))));
}

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "gen_estimates: assumption failed: " __VA_ARGS__);                \
            fputc('\n', stderr);                                                           \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

/* Sample a bucket: result for the bucket's smallest mantissa that is not 0 (a zero
   fraction is a special case for the 14-bit estimates: exact powers of two).           */
static uint32_t bucket_result(uint32_t (*hw)(uint32_t), uint32_t bexp, uint32_t bucket,
                              int low_bits)
{
    uint32_t m = bucket << low_bits;
    if (m == 0) m = 1;
    return hw((bexp << 23) | m);
}

/* Check: result exponent 126, result mantissa low `zero_bits` bits zero, result
   constant over each input bucket of 2^low_bits consecutive mantissas.             */
static void check_buckets(const char *name, uint32_t (*hw)(uint32_t), uint32_t bexp,
                          int low_bits, int zero_bits)
{
    for (uint32_t m = 1; m < (1u << 23); m++) {
        uint32_t r = hw((bexp << 23) | m);
        uint32_t r0 = bucket_result(hw, bexp, m >> low_bits, low_bits);
        CHECK(r == r0, "%s: mantissa %06x not constant over its bucket", name, m);
        CHECK((r >> 23) == 126, "%s: result exponent not 126 (x bits %08x -> %08x)", name,
              (bexp << 23) | m, r);
        CHECK((r & ((1u << zero_bits) - 1)) == 0, "%s: low result bits not zero", name);
    }
}

/* The smallest k such that the result depends only on the top-k mantissa bits
   (probed on the reference exponent, excluding a zero fraction).                    */
static int dependency_bits(uint32_t (*hw)(uint32_t), uint32_t bexp)
{
    for (int k = 8; k <= 23; k++) {
        int ok = 1;
        uint32_t mask = (1u << (23 - k)) - 1;
        for (uint32_t m = 1; m < (1u << 23) && ok; m++) {
            uint32_t m0 = (m & ~mask) ? (m & ~mask) : 1;
            ok = hw((bexp << 23) | m) == hw((bexp << 23) | m0);
        }
        if (ok) return k;
    }
    return 23;
}

/* Print rows x n 12-bit values as a C array (one brace level per row if rows > 1). */
static void emit_u16(const char *decl, const uint16_t *v, int rows, int n)
{
    printf("%s = {", decl);
    for (int r = 0; r < rows; r++) {
        if (rows > 1) printf("\n    {");
        for (int i = 0; i < n; i++)
            printf("%s0x%03x,", (i % 12) ? " " : (rows > 1 ? "\n        " : "\n    "), v[r * n + i]);
        if (rows > 1) printf("\n    },");
    }
    printf("\n};\n\n");
}

/* Bipartite decomposition of a 4096-entry table (see the header comment). */
static void bipartite(const char *name, const uint16_t *t, uint16_t *hi, uint8_t *lo)
{
    for (int i = 0; i < 256; i++) hi[i] = t[i << 4];
    for (int x0 = 0; x0 < 16; x0++)
        for (int x2 = 0; x2 < 16; x2++) {
            int d = t[x0 << 8] - t[(x0 << 8) | x2];
            CHECK(d >= 0 && d <= 255, "%s: LO entry out of range", name);
            lo[(x0 << 4) | x2] = (uint8_t)d;
        }
    for (int m = 0; m < 4096; m++)
        CHECK(t[m] == hi[m >> 4] - lo[((m >> 8) << 4) | (m & 15)],
              "%s: not bipartite at index %d", name, m);
}

static void emit_u8(const char *decl, const uint8_t *v, int rows, int n)
{
    printf("%s = {", decl);
    for (int r = 0; r < rows; r++) {
        if (rows > 1) printf("\n    {");
        for (int i = 0; i < n; i++)
            printf("%s%2u,", (i % 16) ? " " : (rows > 1 ? "\n        " : "\n    "), v[r * n + i]);
        if (rows > 1) printf("\n    },");
    }
    printf("\n};\n\n");
}

/* Fit one segment of the 14-bit estimates (see the header comment). */
static void fit_segment(const char *name, int seg, int K, const uint32_t q[1024],
                        uint32_t *A_out, uint32_t *B_out)
{
    int nsol = 0;
    for (long B = 0; B < 4096; B++) {
        long lo = -(1L << 60), hi = 1L << 60; /* K*A in [lo, hi) */
        for (int j = 0; j < 1024; j++) {
            long l = 512L * (long)q[j] + B * (j - 512);
            if (l > lo) lo = l;
            if (l + 512 < hi) hi = l + 512;
        }
        for (long A = (lo + K - 1) / K; K * A < hi; A++) {
            *A_out = (uint32_t)A;
            *B_out = (uint32_t)B;
            nsol++;
        }
    }
    CHECK(nsol == 1, "%s segment %d: %d solutions (need exactly 1)", name, seg, nsol);
}

int main(void)
{
    static uint16_t rsq[2][4096];
    uint16_t rsq_hi[2][256];
    uint8_t rsq_lo[2][256];
    uint32_t a_rsq[2][32], b_rsq[2][32];

    _mm_setcsr(0x1f80); /* default MXCSR: DAZ = FTZ = 0, round to nearest */
    __builtin_cpu_init();
    const int have_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");

    /* 1. the legacy estimate */
    CHECK(dependency_bits(hw_rsqrt, 127) == 12 && dependency_bits(hw_rsqrt, 128) == 12,
          "rsqrtps does not depend on exactly 12 mantissa bits");
    check_buckets("rsqrtps [1,2)", hw_rsqrt, 127, 11, 11);
    check_buckets("rsqrtps [2,4)", hw_rsqrt, 128, 11, 11);
    for (uint32_t b = 0; b < 4096; b++) {
        rsq[0][b] = (uint16_t)((bucket_result(hw_rsqrt, 127, b, 11) >> 11) & 0xfff);
        rsq[1][b] = (uint16_t)((bucket_result(hw_rsqrt, 128, b, 11) >> 11) & 0xfff);
    }
    bipartite("rsqrtps [1,2)", rsq[0], rsq_hi[0], rsq_lo[0]);
    bipartite("rsqrtps [2,4)", rsq[1], rsq_hi[1], rsq_lo[1]);

    /* 2. the AVX-512 14-bit estimate */
    if (have_avx512) {
        CHECK(dependency_bits(hw_rsqrt14, 127) == 15 && dependency_bits(hw_rsqrt14, 128) == 15,
              "vrsqrt14 does not depend on exactly 15 mantissa bits");
        check_buckets("vrsqrt14ps [1,2)", hw_rsqrt14, 127, 8, 7);
        check_buckets("vrsqrt14ps [2,4)", hw_rsqrt14, 128, 8, 7);
        for (int p = 0; p < 2; p++)
            for (int seg = 0; seg < 32; seg++) {
                uint32_t q[1024];
                for (uint32_t j = 0; j < 1024; j++)
                    q[j] = (1u << 16) |
                           ((bucket_result(hw_rsqrt14, 127 + p, seg * 1024u + j, 8) >> 7) & 0xffff);
                fit_segment(p ? "vrsqrt14 [2,4)" : "vrsqrt14 [1,2)", seg, 128, q, &a_rsq[p][seg],
                            &b_rsq[p][seg]);
            }
    }

    /* 3. print */
    printf("/* estimates_tables.h -- GENERATED by adam_c/tests/gen_estimates.c on the modelled CPU (AMD\n"
           " * Zen 4, family 25 model 17); do not edit (tests/test_estimates.py checks them against the\n"
           " * instructions on every input that matters, on a machine that has them).\n"
           " *\n"
           " * rsqrtps for x = 2^p * (1 + b/4096 + ...): the result is (1 + T[b]/4096) / 2 with the\n"
           " * 12-bit T[b] = HI[p][b >> 4] - LO[p][((b >> 8) << 4) | (b & 15)] (a bipartite table).\n"
           " * vrsqrt14: segment i (of 32) for x in [2^p, 2^(p+1)), q(j) = (128*A - B*(j-512)) >> 9,\n"
           " * the coefficients Intel publishes for its reference implementation.\n"
           " */\n\n");
    emit_u16("static const uint16_t ADAM_C_EST_RSQRTPS_ZEN_HI[2][256]", &rsq_hi[0][0], 2, 256);
    emit_u8("static const uint8_t ADAM_C_EST_RSQRTPS_ZEN_LO[2][256]", &rsq_lo[0][0], 2, 256);
    if (!have_avx512) {
        fflush(stdout);
        fprintf(stderr, "gen_estimates: no AVX-512: only the rsqrtps table was derived\n");
        return 0;
    }
    printf("static const uint32_t ADAM_C_EST_RSQRT14_A[2][32] = {");
    for (int p = 0; p < 2; p++) {
        printf("\n    {");
        for (int i = 0; i < 32; i++) printf("%s%u,", (i % 8) ? " " : "\n        ", a_rsq[p][i]);
        printf("\n    },");
    }
    printf("\n};\n\nstatic const uint16_t ADAM_C_EST_RSQRT14_B[2][32] = {");
    for (int p = 0; p < 2; p++) {
        printf("\n    {");
        for (int i = 0; i < 32; i++) printf("%s%u,", (i % 8) ? " " : "\n        ", b_rsq[p][i]);
        printf("\n    },");
    }
    printf("\n};\n");
    fflush(stdout);
    fprintf(stderr, "gen_estimates: all assumptions held; tables written\n");
    return 0;
}
