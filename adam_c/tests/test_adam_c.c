/*
 * test_adam_c.c -- the C core's own tests (run by `meson test`, and under ASan/UBSan in CI).
 *
 * 1. Known answers worked out by hand for the default Adam and RMSProp modes.
 * 2. Every specialised loop equals the generic loop bit for bit, for every ops combination
 *    drawn from a small exhaustive-per-field sweep, float and double, including n = 0, 1,
 *    odd sizes and NaN/Inf/zero gradients.
 * 3. Splitting [0, n) into pieces gives the same bits as one call.
 * 4. Bad ops and NULL buffers are refused and write nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam_c.h"
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif
#include "adam_c_limits.h"

int adam_c_adam_generic_f32(const adam_c_adam_ops *, const adam_c_adam_scalars *, float *,
                            const float *, float *, float *, float *, size_t);
int adam_c_adam_generic_f64(const adam_c_adam_ops *, const adam_c_adam_scalars *, double *,
                            const double *, double *, double *, double *, size_t);
int adam_c_rmsprop_generic_f32(const adam_c_rmsprop_ops *, const adam_c_rmsprop_scalars *,
                               float *, const float *, float *, float *, float *, size_t);
int adam_c_rmsprop_generic_f64(const adam_c_rmsprop_ops *, const adam_c_rmsprop_scalars *,
                               double *, const double *, double *, double *, double *, size_t);
int adam_c_delta_f32(const float *, const float *, float *, size_t, int, int);
int adam_c_delta_f64(const double *, const double *, double *, size_t, int, int);

static int failures = 0;

/* Bitwise equality of 5 buffers of n/5 elements laid end to end (p, g and three state
   buffers), except that any two NaNs are equal: which NaN operand an fma propagates
   (its sign and payload) differs between hardware FMA and the C library. The first
   difference is printed with its buffer and element. */
#define DEFINE_SAME_BITS(SFX, T)                                                             \
    static int same_bits_##SFX(const T *a, const T *b, size_t n)                             \
    {                                                                                        \
        for (size_t i = 0; i < n; i++)                                                       \
            if (!(isnan(a[i]) && isnan(b[i])) && memcmp(&a[i], &b[i], sizeof a[i])) {       \
                fprintf(stderr, "  first difference: buffer %zu element %zu: %.17g vs %.17g\n", \
                        i / (n / 5), i % (n / 5), (double)a[i], (double)b[i]);               \
                return 0;                                                                    \
            }                                                                                \
        return 1;                                                                            \
    }
DEFINE_SAME_BITS(f32, float)
DEFINE_SAME_BITS(f64, double)
#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            failures++;                                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                             \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fprintf(stderr, "\n");                                                           \
        }                                                                                    \
    } while (0)

#define N 1031

static unsigned long long rng_state = 88172645463325252ULL;
static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void fill(double *x, size_t n, double scale, int special)
{
    for (size_t i = 0; i < n; i++) x[i] = (urand() - 0.5) * scale * pow(10.0, 6 * urand() - 3);
    if (special && n > 8) {
        x[1] = 0.0;
        x[2] = -0.0;
        x[3] = NAN;
        x[4] = INFINITY;
        x[5] = 1e-40;
    }
    if (special == 2 && n > 12) { /* state: where the square roots take their exact paths */
        x[1] = 0.0;   /* with g = 0 there: a zero second moment */
        x[6] = 0.0;
        x[7] = 1e-40; /* subnormal in float32 */
        x[8] = 3e38;  /* near FLT_MAX */
        x[9] = INFINITY;
        x[10] = 1e-310; /* subnormal in float64 */
    }
}

static void test_known_answers(void)
{
    /* Adam, t = 1, lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 0: m = 0.1 g, v = 0.001 g^2,
       p -= (0.1/0.1) * m / (sqrt(v)/sqrt(0.001)) = sign(g) * 0.1 ... exactly in double
       up to the rounding of the constants; check to 1e-15. */
    adam_c_adam_ops o;
    adam_c_adam_scalars s;
    adam_c_adam_default(&o, &s, 0.1, 0.9, 0.999, 0.0, 0.0, 1, 0);
    double p[3] = {1.0, 1.0, 1.0}, g[3] = {2.0, -3.0, 0.5}, m[3] = {0}, v[3] = {0};
    CHECK(adam_c_adam_f64(&o, &s, p, g, m, v, NULL, 3) == ADAM_C_OK, "adam status");
    CHECK(fabs(p[0] - 0.9) < 1e-15 && fabs(p[1] - 1.1) < 1e-15 && fabs(p[2] - 0.9) < 1e-15,
          "adam t=1 step: %.17g %.17g %.17g", p[0], p[1], p[2]);
    CHECK(fabs(m[0] - 0.2) < 1e-16 && fabs(v[1] - 0.009) < 1e-17, "adam moments");

    /* RMSProp: rho = 0.5, lr = 1, eps = 0: ms = 0.5 g^2, p -= g / sqrt(0.5 g^2). */
    adam_c_rmsprop_ops ro;
    adam_c_rmsprop_scalars rs;
    adam_c_rmsprop_default(&ro, &rs, 1.0, 0.5, 0.0, 0.0, 0.0, 0);
    double q[2] = {0.0, 0.0}, h[2] = {4.0, -1.0}, ms[2] = {0};
    CHECK(adam_c_rmsprop_f64(&ro, &rs, q, h, ms, NULL, NULL, 2) == ADAM_C_OK, "rms status");
    CHECK(fabs(q[0] + sqrt(2.0)) < 1e-15 && fabs(q[1] - sqrt(2.0)) < 1e-15,
          "rmsprop step: %.17g %.17g", q[0], q[1]);
}

/* Compare the public (dispatching) entry point with the generic loop, whole and split. */
#define DEFINE_COMPARE(SFX, T)                                                               \
    static void compare_adam_##SFX(const adam_c_adam_ops *o, const adam_c_adam_scalars *s)  \
    {                                                                                        \
        static double src[5][N];                                                             \
        static T a[2][5][N];                                                                 \
        for (int k = 0; k < 5; k++)                                                          \
            fill(src[k], N, k == 1 ? 10.0 : 1.0, k == 1 ? 1 : k >= 2 ? 2 : 0);               \
        for (int k = 0; k < 5; k++) /* v and vhat must start >= 0 */                         \
            for (size_t i = 0; i < N; i++)                                                   \
                a[0][k][i] = a[1][k][i] = (T)(k >= 3 ? fabs(src[k][i]) : src[k][i]);         \
        size_t sizes[] = {0, 1, 7, 8, 9, 64, 67, N};                                         \
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {                        \
            size_t n = sizes[z];                                                             \
            int r0 = adam_c_adam_##SFX(o, s, a[0][0], a[0][1], a[0][2], a[0][3], a[0][4], n); \
            int r1 = adam_c_adam_generic_##SFX(o, s, a[1][0], a[1][1], a[1][2], a[1][3],     \
                                               a[1][4], n);                                  \
            CHECK(r0 == ADAM_C_OK && r1 == ADAM_C_OK, "status %d %d", r0, r1);               \
        }                                                                                    \
        /* split: pieces of 13 elements vs the dispatching call over all of it */            \
        for (size_t i0 = 0; i0 < N; i0 += 13) {                                              \
            size_t n = N - i0 < 13 ? N - i0 : 13;                                            \
            adam_c_adam_generic_##SFX(o, s, a[1][0] + i0, a[1][1] + i0, a[1][2] + i0,        \
                                      a[1][3] + i0, a[1][4] + i0, n);                        \
        }                                                                                    \
        adam_c_adam_##SFX(o, s, a[0][0], a[0][1], a[0][2], a[0][3], a[0][4], N);             \
        CHECK(same_bits_##SFX(&a[0][0][0], &a[1][0][0], 5 * N), "adam " #SFX                 \
              " instance != generic "                                                        \
              "(first=%d second=%d denom=%d step=%d apply=%d)", o->first, o->second,         \
              o->denom, o->step, o->apply);                                                  \
    }                                                                                        \
    static void compare_rms_##SFX(const adam_c_rmsprop_ops *o,                               \
                                  const adam_c_rmsprop_scalars *s)                           \
    {                                                                                        \
        static double src[5][N];                                                             \
        static T a[2][5][N];                                                                 \
        for (int k = 0; k < 5; k++) fill(src[k], N, 1.0, k == 1 ? 1 : k >= 2 ? 2 : 0);       \
        for (int k = 0; k < 5; k++)                                                          \
            for (size_t i = 0; i < N; i++)                                                   \
                a[0][k][i] = a[1][k][i] = (T)(k == 2 ? fabs(src[k][i]) : src[k][i]);         \
        adam_c_rmsprop_##SFX(o, s, a[0][0], a[0][1], a[0][2], a[0][3], a[0][4], N);          \
        for (size_t i0 = 0; i0 < N; i0 += 13) {                                             \
            size_t n = N - i0 < 13 ? N - i0 : 13;                                            \
            adam_c_rmsprop_generic_##SFX(o, s, a[1][0] + i0, a[1][1] + i0, a[1][2] + i0,    \
                                         a[1][3] + i0, a[1][4] + i0, n);                     \
        }                                                                                    \
        CHECK(same_bits_##SFX(&a[0][0][0], &a[1][0][0], 5 * N), "rmsprop " #SFX              \
              " instance != generic "                                                        \
              "(square=%d center=%d denom=%d momentum=%d)", o->square, o->center, o->denom,  \
              o->momentum);                                                                  \
    }

DEFINE_COMPARE(f32, float)
DEFINE_COMPARE(f64, double)

static adam_c_adam_scalars adam_scalars(int is_f32)
{
    adam_c_adam_ops o;
    adam_c_adam_scalars s;
    adam_c_adam_default(&o, &s, 1e-3, 0.9, 0.999, 1e-8, 0.0, 7, is_f32);
    s.eps_root = 1e-12;
    s.bc1 = 1.0 - pow(0.9, 7);
    s.bc1n = 1.0 - pow(0.9, 8);
    s.s = 0.5;
    s.k = 0.999;
    s.gmul = 0.75;
    s.gdiv = 1.5;
    s.wd = 0.01;
    s.clip = 0.3;
    s.dk = 0.9995;
    s.dlr = 1e-3;
    s.l1 = 3e-4;
    s.l2 = 2e-3;
    s.lo = 1e-4;
    s.hi = 5e-3;
    s.dscale = 1.25;
    s.bc1 = 1.0 / s.bc1; /* NADAM takes reciprocals */
    if (is_f32) { /* keep every scalar representable, as the contract asks */
        double *f = (double *)&s;
        for (size_t i = 0; i < sizeof s / sizeof(double); i++) f[i] = (float)f[i];
    }
    return s;
}

static void test_adam_sweep(void)
{
    /* Each field through all its values with the others at a varied default: every value
       of every stage is exercised in both a specialised and the generic loop. */
    const int *maxv = adam_c_adam_ops_max;
    for (int f = 0; f < ADAM_C_ADAM_OPS_NFIELDS; f++) {
        for (int val = 0; val <= maxv[f]; val++) {
            adam_c_adam_ops o = {0};
            o.denom = ADAM_C_D_SQRT_BC_EPS;
            int *fields = (int *)&o;
            fields[f] = val;
            adam_c_adam_scalars s32 = adam_scalars(1), s64 = adam_scalars(0);
            compare_adam_f32(&o, &s32);
            compare_adam_f64(&o, &s64);
        }
    }
    /* the specialised instances themselves */
    adam_c_adam_ops o = {0};
    o.first = ADAM_C_M_LERP_FMA;
    o.second = ADAM_C_V_SCAL_ADDCMUL;
    o.denom = ADAM_C_D_SQRT_BC_EPS;
    adam_c_adam_scalars s32 = adam_scalars(1), s64 = adam_scalars(0);
    compare_adam_f32(&o, &s32);
    compare_adam_f64(&o, &s64);
}

/* every specialised instance (instances.h) against the generic loop */
static void test_instances(void)
{
    static const adam_c_adam_ops adam_rows[] = {
#define ADAM_C_ADAM_INSTANCE(NAME, ...) {__VA_ARGS__},
#define ADAM_C_RMSPROP_INSTANCE(NAME, ...)
#include "instances.h"
#undef ADAM_C_ADAM_INSTANCE
#undef ADAM_C_RMSPROP_INSTANCE
    };
    static const adam_c_rmsprop_ops rms_rows[] = {
#define ADAM_C_ADAM_INSTANCE(NAME, ...)
#define ADAM_C_RMSPROP_INSTANCE(NAME, ...) {__VA_ARGS__},
#include "instances.h"
#undef ADAM_C_ADAM_INSTANCE
#undef ADAM_C_RMSPROP_INSTANCE
    };
    /* x86-64: each row also with this CPU's own estimate (EST_HOST runs the specialised
       loop with the hardware estimate on any x86 CPU, EST_ZEN only on AMD Zen), and with
       FTZ/DAZ on */
#if defined(__x86_64__)
    const int variants = 3;
#else
    const int variants = 1;
#endif
    adam_c_adam_scalars s32 = adam_scalars(1), s64 = adam_scalars(0);
    for (size_t i = 0; i < sizeof adam_rows / sizeof adam_rows[0]; i++) {
        for (int k = 0; k < variants; k++) {
            adam_c_adam_ops o = adam_rows[i];
            o.estimate = k >= 1 ? ADAM_C_EST_HOST : o.estimate;
            o.ftz = k == 2;
            compare_adam_f32(&o, &s32);
            compare_adam_f64(&o, &s64);
        }
    }
    adam_c_rmsprop_ops d;
    adam_c_rmsprop_scalars r32, r64;
    adam_c_rmsprop_default(&d, &r32, 1e-2, 0.9, 1e-7, 0.9, 0.0, 1);
    adam_c_rmsprop_default(&d, &r64, 1e-2, 0.9, 1e-7, 0.9, 0.0, 0);
    for (size_t i = 0; i < sizeof rms_rows / sizeof rms_rows[0]; i++) {
        for (int k = 0; k < variants; k++) {
            adam_c_rmsprop_ops o = rms_rows[i];
            o.estimate = k >= 1 ? ADAM_C_EST_HOST : o.estimate;
            o.ftz = k == 2;
            compare_rms_f32(&o, &r32);
            compare_rms_f64(&o, &r64);
        }
    }
}

static void test_rms_sweep(void)
{
    const int *maxv = adam_c_rmsprop_ops_max;
    for (int f = 0; f < ADAM_C_RMSPROP_OPS_NFIELDS; f++) {
        for (int val = 0; val <= maxv[f]; val++) {
            adam_c_rmsprop_ops o = {0};
            o.momentum = ADAM_C_MOM_ACC;
            int *fields = (int *)&o;
            fields[f] = val;
            adam_c_rmsprop_ops d;
            adam_c_rmsprop_scalars s32, s64;
            adam_c_rmsprop_default(&d, &s32, 1e-2, 0.9, 1e-7, 0.9, 0.0, 1);
            adam_c_rmsprop_default(&d, &s64, 1e-2, 0.9, 1e-7, 0.9, 0.0, 0);
            compare_rms_f32(&o, &s32);
            compare_rms_f64(&o, &s64);
        }
    }
}

/* adam_c_adam_default must hand float32 kernels float32 values (a GCC 12 SLP miscompile
   once left two of them unrounded). */
static double as_f32(double x)
{
    volatile float f = (float)x; /* volatile: the check must not be optimized away */
    return f;
}

static void test_default_scalars_are_rounded(void)
{
    adam_c_adam_ops o;
    adam_c_adam_scalars s;
    for (long t = 1; t < 50; t++) {
        adam_c_adam_default(&o, &s, 3e-3, 0.9, 0.999, 1e-8, 0.01, t, 1);
        const double *f = (const double *)&s;
        for (size_t i = 0; i < sizeof s / sizeof(double); i++)
            CHECK(f[i] == as_f32(f[i]), "scalar %zu not a float32 value at t=%ld", i, t);
        CHECK(s.alpha == as_f32(3e-3 / (1.0 - pow(0.9, (double)t))), "alpha t=%ld", t);
    }
}

static void test_refusals(void)
{
    adam_c_adam_ops o;
    adam_c_adam_scalars s;
    adam_c_adam_default(&o, &s, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1, 0);
    double p[2] = {1, 2}, g[2] = {3, 4}, m[2] = {0}, v[2] = {0};
    o.first = 99;
    CHECK(adam_c_adam_f64(&o, &s, p, g, m, v, NULL, 2) == ADAM_C_EOPS, "bad ops accepted");
    CHECK(p[0] == 1 && p[1] == 2 && m[0] == 0 && v[1] == 0, "bad ops wrote");
    o.first = 0;
    o.amsgrad = 1;
    CHECK(adam_c_adam_f64(&o, &s, p, g, m, v, NULL, 2) == ADAM_C_ENULL, "NULL vhat accepted");
    CHECK(p[0] == 1 && p[1] == 2, "NULL vhat wrote");
    CHECK(adam_c_adam_f64(&o, &s, NULL, NULL, NULL, NULL, NULL, 0) == ADAM_C_OK, "n = 0");
    adam_c_rmsprop_ops ro;
    adam_c_rmsprop_scalars rs;
    adam_c_rmsprop_default(&ro, &rs, 1e-2, 0.9, 1e-7, 0.9, 0.0, 0);
    CHECK(adam_c_rmsprop_f64(&ro, &rs, p, g, m, NULL, NULL, 2) == ADAM_C_ENULL,
          "NULL momentum buffer accepted");
    CHECK(p[0] == 1 && m[0] == 0, "NULL momentum wrote");
    CHECK(strcmp(adam_c_strerror(ADAM_C_EOPS), "an ops field holds an unknown value") == 0,
          "strerror");
}

/* adamkit's own modes refuse what would give NaN/Inf scalars, and write nothing: t = 0
   (1 - b1^0 = 0), betas outside [0, 1), negative or non-finite lr/eps/weight decay. */
static void test_default_refusals(void)
{
    adam_c_adam_ops o, o0;
    adam_c_adam_scalars s, s0;
    memset(&o, 0x5a, sizeof o);
    memset(&s, 0x5a, sizeof s);
    o0 = o;
    s0 = s;
    const double bad[][6] = {   /* lr, b1, b2, eps, wd, t */
        {1e-3, 0.9, 0.999, 1e-8, 0.0, 0}, {1e-3, 0.9, 0.999, 1e-8, 0.0, -1},
        {NAN, 0.9, 0.999, 1e-8, 0.0, 1}, {INFINITY, 0.9, 0.999, 1e-8, 0.0, 1},
        {-1e-3, 0.9, 0.999, 1e-8, 0.0, 1}, {1e-3, 1.0, 0.999, 1e-8, 0.0, 1},
        {1e-3, 0.9, NAN, 1e-8, 0.0, 1}, {1e-3, -0.1, 0.999, 1e-8, 0.0, 1},
        {1e-3, 0.9, 0.999, -1e-8, 0.0, 1}, {1e-3, 0.9, 0.999, 1e-8, NAN, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const double *b = bad[i];
        CHECK(adam_c_adam_default(&o, &s, b[0], b[1], b[2], b[3], b[4], (long)b[5], i & 1)
                  == ADAM_C_EARG, "adam_default refusal %zu", i);
        CHECK(!memcmp(&o, &o0, sizeof o) && !memcmp(&s, &s0, sizeof s),
              "adam_default wrote on refusal %zu", i);
    }
    CHECK(adam_c_adam_default(&o, &s, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1, 0) == ADAM_C_OK,
          "adam_default ok");
    adam_c_rmsprop_ops ro, ro0;
    adam_c_rmsprop_scalars rs, rs0;
    memset(&ro, 0x5a, sizeof ro);
    memset(&rs, 0x5a, sizeof rs);
    ro0 = ro;
    rs0 = rs;
    CHECK(adam_c_rmsprop_default(&ro, &rs, 1e-2, 1.0, 1e-8, 0.0, 0.0, 0) == ADAM_C_EARG
              && adam_c_rmsprop_default(&ro, &rs, 1e-2, 0.9, 1e-8, NAN, 0.0, 0) == ADAM_C_EARG
              && adam_c_rmsprop_default(&ro, &rs, -1.0, 0.9, 1e-8, 0.0, 0.0, 1) == ADAM_C_EARG,
          "rmsprop_default refusals");
    CHECK(!memcmp(&ro, &ro0, sizeof ro) && !memcmp(&rs, &rs0, sizeof rs),
          "rmsprop_default wrote on refusal");
    CHECK(adam_c_rmsprop_default(&ro, &rs, 1e-2, 0.9, 1e-8, 0.0, 0.0, 0) == ADAM_C_OK,
          "rmsprop_default ok");
    CHECK(strstr(adam_c_strerror(ADAM_C_EARG), "range") != NULL, "EARG message");
}

/* The updates an addition turns into given values (delta.c; the NumPy model and XLA's own
   computation are in tests/test_exact_updates.py and tests/frameworks/jax_worker.py):
   over N elements (two blocks and a tail), targets an addition reaches give q - p back
   and p + u == q; targets none reaches (far below p) are left at q - p; writing over the
   targets gives the same bits; FTZ/DAZ flushes a subnormal target and the caller's mode
   is restored; refusals write nothing. */
static void test_delta(void)
{
    static float p[N], q[N], u[N], w[N];
    static double pd[N], qd[N], ud[N];
    size_t i, reached = 0, missed = 0;
    for (i = 0; i < N; i++) {
        p[i] = (float)(urand() * 2 - 1);
        q[i] = i % 3 ? p[i] + (float)((urand() - 0.5) * 1e-3)      /* reachable */
                     : p[i] * 0x1p-40f;                             /* far below */
        pd[i] = p[i];
        qd[i] = i % 3 ? pd[i] + (urand() - 0.5) * 1e-3 : pd[i] * 0x1p-70;
    }
    CHECK(adam_c_delta_f32(p, q, u, N, 0, 4) == ADAM_C_OK, "delta_f32");
    CHECK(adam_c_delta_f64(pd, qd, ud, N, 0, 4) == ADAM_C_OK, "delta_f64");
    for (i = 0; i < N; i++) {
        const float d = q[i] - p[i];
        CHECK(memcmp(&u[i], &d, sizeof d) == 0, "delta_f32 %zu: not q - p", i);
        if (p[i] + u[i] == q[i]) reached++; else missed++;
        CHECK((i % 3 != 0) <= (p[i] + u[i] == q[i]), "delta_f32 %zu: reachable, missed", i);
        CHECK((i % 3 != 0) <= (pd[i] + ud[i] == qd[i]), "delta_f64 %zu: reachable, missed", i);
    }
    CHECK(reached > N / 2 && missed > N / 10, "delta: %zu reached, %zu missed", reached, missed);
    memcpy(w, q, sizeof w);
    CHECK(adam_c_delta_f32(p, w, w, N, 0, 4) == ADAM_C_OK && memcmp(w, u, sizeof w) == 0,
          "delta_f32 over its targets");
    {   /* a binade's edge: q - p is a tie that rounds one unit short; the walk hits */
        const float p1 = -2048.0f, q1 = 0x1p35f;
        const double pd1 = -2048.0, qd1 = 0x1p64;
        float u1;
        double ud1;
        CHECK(adam_c_delta_f32(&p1, &q1, &u1, 1, 0, 4) == ADAM_C_OK && u1 == 0x1p35f + 4096.0f
                  && p1 + u1 == q1, "delta_f32 walk: %.9g", (double)u1);
        CHECK(adam_c_delta_f64(&pd1, &qd1, &ud1, 1, 0, 4) == ADAM_C_OK && ud1 == 0x1p64 + 4096.0
                  && pd1 + ud1 == qd1, "delta_f64 walk: %.17g", ud1);
        CHECK(adam_c_delta_f32(&p1, &q1, &u1, 1, 0, 0) == ADAM_C_OK && u1 == 0x1p35f,
              "delta_f32 search 0");
    }
#if defined(__SSE2__) || defined(_M_X64)
    {
        volatile float tiny = 0x1p-140f, zero = 0.0f;
        float pz = 0.0f, qz = tiny, uz = -1.0f;
        CHECK(adam_c_delta_f32(&pz, &qz, &uz, 1, 0, 4) == ADAM_C_OK && uz == tiny,
              "delta_f32 IEEE subnormal");
        CHECK(adam_c_delta_f32(&pz, &qz, &uz, 1, 1, 4) == ADAM_C_OK && uz == 0.0f,
              "delta_f32 FTZ subnormal: %g", (double)uz);
        CHECK(tiny * 0.5f != zero, "delta_f32 left FTZ on");
    }
#endif
    memcpy(w, u, sizeof w);
    CHECK(adam_c_delta_f32(p, q, NULL, N, 0, 4) == ADAM_C_ENULL, "delta NULL");
    CHECK(adam_c_delta_f32(p, q, u, N, 0, -1) == ADAM_C_EOPS, "delta search < 0");
    CHECK(adam_c_delta_f32(p, q, u, N, 2, 4) == ADAM_C_EOPS, "delta ftz 2");
    CHECK(memcmp(w, u, sizeof w) == 0, "delta wrote on refusal");
    CHECK(adam_c_delta_f64(NULL, NULL, NULL, 0, 0, 4) == ADAM_C_OK, "delta n = 0");
}

/* ftz = 0 means IEEE arithmetic whatever mode the caller left (XLA runs its custom calls
   with FTZ and DAZ set), and the caller's mode is restored: an update and the exact
   updates on subnormal data give the same bits under an ambient FTZ/DAZ as without. */
static void test_fp_mode(void)
{
#if defined(__SSE2__)
    static float p[N], g[N], m[N], v[N], p2[N], g2[N], m2[N], v2[N], q[N], u[N], u2[N];
    adam_c_adam_ops o;
    adam_c_adam_scalars s;
    size_t i, sub = 0;
    adam_c_adam_default(&o, &s, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1, 1);
    for (i = 0; i < N; i++) {
        p[i] = p2[i] = (float)(urand() - 0.5) * 0x1p-124f;    /* around the subnormals */
        g[i] = g2[i] = (float)(urand() - 0.5) * 0x1p-124f;
        m[i] = m2[i] = v[i] = v2[i] = 0.0f;
        q[i] = p[i] * 0.75f;
        sub += p[i] != 0.0f && fabsf(p[i]) < 0x1p-126f;
    }
    CHECK(sub > N / 4, "fp mode: %zu subnormal parameters", sub);
    CHECK(adam_c_delta_f32(p, q, u, N, 0, 4) == ADAM_C_OK, "fp mode: IEEE delta");
    CHECK(adam_c_adam_f32(&o, &s, p, g, m, v, NULL, N) == ADAM_C_OK, "fp mode: IEEE run");
    const unsigned int old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u);                 /* what XLA leaves for a custom call */
    const int b = adam_c_delta_f32(p2, q, u2, N, 0, 4);
    const int a = adam_c_adam_f32(&o, &s, p2, g2, m2, v2, NULL, N);
    const unsigned int after = _mm_getcsr();
    _mm_setcsr(old);
    CHECK(a == ADAM_C_OK && b == ADAM_C_OK, "fp mode: runs under FTZ/DAZ");
    CHECK(after == (old | 0x8040u), "fp mode: the caller's FTZ/DAZ not restored");
    CHECK(!memcmp(u, u2, sizeof u),
          "fp mode: delta, ftz = 0 under an ambient FTZ/DAZ changed the updates");
    CHECK(!memcmp(p, p2, sizeof p) && !memcmp(m, m2, sizeof m) && !memcmp(v, v2, sizeof v),
          "fp mode: ftz = 0 under an ambient FTZ/DAZ changed the update");
#endif
}

int main(void)
{
    test_known_answers();
    test_adam_sweep();
    test_rms_sweep();
    test_instances();
    test_refusals();
    test_default_scalars_are_rounded();
    test_default_refusals();
    test_delta();
    test_fp_mode();
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("adam_c: all tests passed\n");
    return 0;
}
