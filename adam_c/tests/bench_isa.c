/*
 * bench_isa.c -- adamkit's own Adam and RMSProp steps against the memory-only kernels
 * (membench.c), in C, for one ISA clone at a time. Not a test and not built by meson: it
 * measures what each target_clones clone is worth, on a CPU where the loader would only
 * ever pick one (the loader follows CPUID). Build the library sources for one target with
 * -DADAM_C_ONE_TARGET (adam_c_internal.h) and run the binaries in turn:
 *
 *   for T in x86-64-v3 x86-64-v4; do
 *     gcc -std=c99 -O3 -ffp-contract=off -fno-math-errno -fopenmp \
 *         -DADAM_C_ONE_TARGET="\"arch=$T\"" -Iadam_c/include -I<dir of instances.h> \
 *         adam_c/tests/bench_isa.c adam_c/src/{adam_c_f32,adam_c_f64,adam_c_common,\
 *         estimates,powf_exact,estimate_rows,membench}.c -lm -o bench_$T
 *   done
 *   ./bench_x86-64-v3 1e5 float32 1 9    # n dtype threads rounds
 *
 * Prints one line: "family n dtype threads kernel_us mem_us" for Adam (7 streams) and
 * RMSProp (5 streams), each the minimum over the rounds of batches of ~3 ms, kernel and
 * memory-only loop interleaved. Threads split [0, n) in chunks of whole multiples of 64
 * elements, as adamkit._kernels does.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign, clock_gettime */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adam_c.h"
#include "../src/membench.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct {
    int family, f32, kind; /* family 0 adam 1 rms; kind 0 kernel 1 mem */
    void *p, *g, *a, *b;
    adam_c_adam_ops ao;
    adam_c_adam_scalars as;
    adam_c_rmsprop_ops ro;
    adam_c_rmsprop_scalars rs;
} job;

static void piece(const job *j, size_t lo, size_t hi)
{
    const size_t w = j->f32 ? 4 : 8, n = hi - lo;
    char *p = (char *)j->p + lo * w, *g = (char *)j->g + lo * w;
    char *a = (char *)j->a + lo * w, *b = j->b ? (char *)j->b + lo * w : NULL;
    if (j->kind == 1) {
        if (j->family == 0) {
            if (j->f32) adam_c_membench_adam_u32((void *)p, (void *)g, (void *)a, (void *)b, 0, n);
            else adam_c_membench_adam_u64((void *)p, (void *)g, (void *)a, (void *)b, 0, n);
        } else {
            if (j->f32) adam_c_membench_rms_u32((void *)p, (void *)g, (void *)a, 0, n);
            else adam_c_membench_rms_u64((void *)p, (void *)g, (void *)a, 0, n);
        }
    } else if (j->family == 0) {
        if (j->f32)
            adam_c_adam_f32(&j->ao, &j->as, (void *)p, (void *)g, (void *)a, (void *)b, NULL, n);
        else
            adam_c_adam_f64(&j->ao, &j->as, (void *)p, (void *)g, (void *)a, (void *)b, NULL, n);
    } else {
        if (j->f32)
            adam_c_rmsprop_f32(&j->ro, &j->rs, (void *)p, (void *)g, (void *)a, NULL, NULL, n);
        else
            adam_c_rmsprop_f64(&j->ro, &j->rs, (void *)p, (void *)g, (void *)a, NULL, NULL, n);
    }
}

static void run(const job *j, size_t n, int nt, long reps)
{
    if (nt == 1) {
        for (long r = 0; r < reps; r++) piece(j, 0, n);
        return;
    }
    const size_t chunk = ((n + nt - 1) / nt + 63) / 64 * 64;
    const long nchunks = (long)((n + chunk - 1) / chunk);
    for (long r = 0; r < reps; r++) {
#pragma omp parallel for schedule(static) num_threads(nt)
        for (long c = 0; c < nchunks; c++) {
            const size_t lo = (size_t)c * chunk, hi = lo + chunk < n ? lo + chunk : n;
            piece(j, lo, hi);
        }
    }
}

static long calibrate(const job *j, size_t n, int nt)
{
    long k = 1;
    for (;;) {
        const double t0 = now();
        run(j, n, nt, k);
        const double dt = now() - t0;
        if (dt > 3e-3 || k > (1L << 24)) return k;
        k = dt < 3e-4 ? k * 10 : (long)(k * 3e-3 / dt) + 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s n float32|float64 threads rounds\n", argv[0]);
        return 2;
    }
    const size_t n = (size_t)atof(argv[1]);
    const int f32 = strcmp(argv[2], "float32") == 0, nt = atoi(argv[3]), rounds = atoi(argv[4]);
    const size_t w = f32 ? 4 : 8;
    for (int family = 0; family < 2; family++) {
        job j[2];
        memset(j, 0, sizeof j);
        void *buf[4];
        for (int i = 0; i < 4; i++) {
            if (posix_memalign(&buf[i], 64, n * w)) return 1;
            for (size_t e = 0; e < n; e++) {
                const double x = i == 1 ? 1e-3 * ((double)((e * 2654435761u) % 1000) - 499.5)
                                        : (i == 0 ? 0.5 : 0.0);
                if (f32) ((float *)buf[i])[e] = (float)x;
                else ((double *)buf[i])[e] = x;
            }
        }
        for (int kind = 0; kind < 2; kind++) {
            j[kind].family = family;
            j[kind].f32 = f32;
            j[kind].kind = kind;
            j[kind].p = buf[0];
            j[kind].g = buf[1];
            j[kind].a = buf[2];
            j[kind].b = family == 0 ? buf[3] : NULL;
            adam_c_adam_default(&j[kind].ao, &j[kind].as, 1e-3, 0.9, 0.999, 1e-8, 0.0, 1, f32);
            adam_c_rmsprop_default(&j[kind].ro, &j[kind].rs, 1e-2, 0.99, 1e-8, 0.0, 0.0, f32);
        }
        long k[2];
        double best[2] = {1e30, 1e30};
        for (int kind = 0; kind < 2; kind++) k[kind] = calibrate(&j[kind], n, nt);
        for (int r = 0; r < rounds; r++)
            for (int kind = 0; kind < 2; kind++) {
                const double t0 = now();
                run(&j[kind], n, nt, k[kind]);
                const double t = (now() - t0) / k[kind];
                if (t < best[kind]) best[kind] = t;
            }
        printf("%s %g %s %d %.3f %.3f\n", family ? "rmsprop" : "adam", (double)n, argv[2], nt,
               best[0] * 1e6, best[1] * 1e6);
        for (int i = 0; i < 4; i++) free(buf[i]);
    }
    return 0;
}
