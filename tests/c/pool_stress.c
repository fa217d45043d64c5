/* A stress test of adamkit's worker pool (src/adamkit/_pool.h), run by
   tests/test_threads.py under ThreadSanitizer: jobs of many sizes and teams, workers
   put to sleep in between, every element of every job counted exactly once; then the
   adaptive path. Prints "ok" and the run counts, or "bad" and exits 1. */
#define _GNU_SOURCE
#include "_pool.h"
#include <stdlib.h>

static int part(const void *ctx, size_t lo, size_t hi)
{
    unsigned char *c = (unsigned char *)ctx;
    for (size_t i = lo; i < hi; i++) c[i]++;
    return 0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 300;
    size_t n = 200000;
    unsigned char *c = calloc(n, 1);
    if (c == NULL || akp_init() != 0) return 2;
    for (int rep = 0; rep < reps; rep++) {
        size_t m = 1000 + (size_t)rep * 7919 % (n - 1000);
        int team = 2 + rep % 3;
        akp_stats st;
        if (akp_run(part, c, m, akp_chunk(m, 1, team) / 8 + 64, team, &st) == AKP_DECLINED)
            part(c, 0, m);
        for (size_t i = 0; i < m; i++) {
            if (c[i] != 1) { printf("bad: job %d, element %zu counted %d times\n", rep, i, c[i]); return 1; }
            c[i] = 0;
        }
        if (rep % 97 == 0) {             /* long enough for the workers to fall asleep */
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    for (int rep = 0; rep < reps / 4; rep++) {
        akp_adaptive(part, c, n, 1, 2);
        for (size_t i = 0; i < n; i++) {
            if (c[i] != 1) { printf("bad: adaptive run %d, element %zu\n", rep, i); return 1; }
            c[i] = 0;
        }
    }
    printf("ok %lld %lld\n", akp_count_parallel, akp_count_serial);
    free(c);
    return 0;
}
