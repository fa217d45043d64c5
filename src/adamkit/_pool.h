/* _pool.h -- adamkit's threading policy: its own small pool of worker threads, for the
   Cython driver (included by _kernels.pyx only; the C core in adam_c/ stays thread-free).

   Why not an OpenMP parallel region: a region hands each thread its share up front and
   ends at a barrier, so when a team thread has lost its core to another process (an MPI
   rank per core, a data loader, a second job) the caller waits for the scheduler to give
   it back: a 26 us step took 10 ms on 2 busy cores. Here:

   a. Work is split into fixed chunks (whole multiples of 64 elements, independent of who
      runs them) that the threads *claim* one at a time. Each thread has a contiguous
      block of them (the same part of the arrays at every step, so it stays in that
      core's cache), takes its own from the front and, when they are gone, steals the
      others' from the back. The caller claims chunks too, so a worker that is not
      running simply claims nothing: the caller runs everything and waits only for the
      chunks a worker has actually claimed.
      Which thread runs which chunk never changes a bit (every element's update depends on
      that element alone), so the result is the same for every team size and claim order.
   b. Workers spin for AKP_SPIN_NS after a job (the next step of a training loop usually
      follows soon), then sleep on a condition variable: an idle pool costs no CPU.
   c. Adaptive team (``akp_adaptive``, for ``n_threads=None``). Per size class (log2 of
      bytes per stream) the pool keeps two running means (EWMA, weight 1/4) of the time
      per byte: of the runs it made on several threads, stalls included, and of those it
      made on one (the first run of a size class is a one-thread run, to have it). A
      multi-thread run whose mean is not below 0.9x the one-thread mean is a failure: that size class then stays on one thread for a back-off that
      doubles from 1 ms up to AKP_BACKOFF_MAX_NS before it probes again; a success halves
      the back-off. A sample counts at most 8x the reference. A run whose workers were
      asleep (they start late) is not judged, the next one is (at most one such run in
      a row). One run in AKP_SERIAL_EVERY is a one-thread run anyway, so that its mean
      follows the machine. After a failure the workers sleep at once instead of
      spinning (spinning would take CPU from the busy machine).
   d. One caller at a time: a second thread that finds the pool busy runs its range
      on its own thread (the machine's cores are already in use by the first).
   e. fork(): the child has none of the workers; an at-fork handler resets the pool, and
      the child's next parallel run starts new workers. (_ak.h's handler keeps the thread
      that forked on one thread, as before.)
   f. The default team: min(omp_get_max_threads(), CPUs in this thread's affinity mask,
      the cgroup CPU quota rounded up), the last two re-read at most once per second.

   Everything is static; the state is this extension module's. */
#ifndef ADAMKIT_POOL_H
#define ADAMKIT_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__linux__) || defined(__APPLE__) || defined(__unix__)
#define AKP_HAVE_POOL 1
#else
#define AKP_HAVE_POOL 0
#endif

#define AKP_MAX_WORKERS 63
#define AKP_MAX_CHUNKS 65535u
#define AKP_SPIN_NS 200000LL              /* a worker's spin after a job: 200 us */
#define AKP_SERIAL_EVERY 64               /* adaptive: one run in 64 times one thread */
#define AKP_BACKOFF_MIN_NS 1000000LL      /* 1 ms */
#define AKP_BACKOFF_MAX_NS 128000000LL    /* 128 ms */
#define AKP_CHUNKS_PER_THREAD 8
#define AKP_MIN_CHUNK_BYTES 16384         /* per stream */
#define AKP_BUCKETS 64
#define AKP_DECLINED (-1000)              /* akp_run ran nothing (adam_c statuses are > -10) */

/* what a chunk runs: [lo, hi) of the job's range; returns 0 or a status */
typedef int (*akp_fn)(const void *ctx, size_t lo, size_t hi);

/* ---- the pieces of the policy that do not need threads (unit-tested) ---------------- */

/* The chunk length for n elements of itemsize bytes on a team of `team` threads: about
   AKP_CHUNKS_PER_THREAD chunks per thread, at least AKP_MIN_CHUNK_BYTES per stream, a
   whole multiple of 64 elements, and at most AKP_MAX_CHUNKS chunks. */
static size_t akp_chunk(size_t n, size_t itemsize, int team)
{
    size_t per = (n + (size_t)team * AKP_CHUNKS_PER_THREAD - 1)
                 / ((size_t)team * AKP_CHUNKS_PER_THREAD);
    size_t lo = AKP_MIN_CHUNK_BYTES / itemsize;
    size_t most = (n + AKP_MAX_CHUNKS - 1) / AKP_MAX_CHUNKS;
    if (per < lo) per = lo;
    if (per < most) per = most;
    if (per < 1) per = 1;
    return (per + 63) / 64 * 64;
}

/* CPUs granted by a cgroup v2 ``cpu.max`` text ("max 100000" or "150000 100000"):
   ceil(quota / period), or 0 for no limit (or text it does not understand). */
static int akp_parse_cpu_max(const char *text)
{
    long long quota, period;
    if (text == NULL || strncmp(text, "max", 3) == 0)
        return 0;
    if (sscanf(text, "%lld %lld", &quota, &period) != 2 || quota <= 0 || period <= 0)
        return 0;
    long long cpus = (quota + period - 1) / period;
    return cpus > 1 << 16 ? 0 : (int)cpus;
}

/* The default team: the smallest of the limits that are set (> 0), at least 1. */
static int akp_team_size(int omp_max, int affinity, int quota)
{
    int t = omp_max > 0 ? omp_max : 1;
    if (affinity > 0 && affinity < t) t = affinity;
    if (quota > 0 && quota < t) t = quota;
    return t;
}

/* The size class of a run: floor(log2(bytes per stream)). */
static int akp_bucket(size_t bytes)
{
    int b = 0;
    while (bytes > 1 && b < AKP_BUCKETS - 1) { bytes >>= 1; b++; }
    return b;
}

/* A running mean (weight 1/4) of times per byte, in femtoseconds; 0 = none yet. */
static long long akp_ewma(long long mean, long long x)
{
    return mean == 0 ? x : mean + (x - mean) / 4;
}

/* Whether the threads paid (c. above): the multi-thread mean `par` is below 0.9x the
   one-thread mean `ser`. */
static int akp_paid(long long par, long long ser)
{
    return (double)par < 0.9 * (double)ser;
}

/* One judgement (c. above) of a multi-thread run that took `sample` (time per byte):
   updates the running mean *par and the back-off *bo, returns whether the threads paid.
   A sample counts at most 8x the one-thread mean, so that one stall fails the size class
   at once. A probe after a back-off (*bo > 0) is judged on its own run: the multi-thread
   history that failed is forgotten, so one quiet probe brings the size class back (with
   the running mean, one stall kept a quiet machine's 80 KB steps on one thread for
   hundreds of ms: 1e4 float64 then ran 1.3-1.5x slower than on 2 threads), and under a
   competing load each probe fails on its own stall. */
static long long akp_next_backoff(long long bo, int paid);
static int akp_judge(long long *bo, long long *par, long long ser, long long sample)
{
    if (sample > 8 * ser)
        sample = 8 * ser;
    *par = *bo > 0 ? sample : akp_ewma(*par, sample);
    int paid = akp_paid(*par, ser);
    *bo = akp_next_backoff(*bo, paid);
    return paid;
}

/* The next back-off after a failure (0 -> 1 ms -> 2 ms ... up to the cap) or a success
   (halved; below 1 ms: none). */
static long long akp_next_backoff(long long bo, int paid)
{
    if (paid)
        return bo / 2 < AKP_BACKOFF_MIN_NS ? 0 : bo / 2;
    if (bo == 0)
        return AKP_BACKOFF_MIN_NS;
    return bo * 2 > AKP_BACKOFF_MAX_NS ? AKP_BACKOFF_MAX_NS : bo * 2;
}

#if AKP_HAVE_POOL
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#define AKP_LD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define AKP_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static inline void akp_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline long long akp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One thread's share of a job's chunks, [front, back), with the job's generation: one
   word, so that a claim on an old job's block fails by comparison. Its owner takes
   chunks from the front, others steal from the back. */
typedef struct {
    uint64_t w;
    char pad[56];
} akp_block;

typedef struct {
    /* the job: written by the caller before it publishes the generation; read by a worker
       only after it has claimed a chunk of that job (so they cannot change under it) */
    akp_fn fn;
    const void *ctx;
    size_t n, chunk;
    int helpers;                        /* workers 0 .. helpers-1 take part */
    akp_block blocks[AKP_MAX_WORKERS + 1] __attribute__((aligned(64)));
    uint32_t done __attribute__((aligned(64)));  /* chunks finished in this job */
    int status;
    uint32_t gen __attribute__((aligned(64)));   /* the job's generation (workers wait on it) */
    int sleepers;
    int busy;                           /* a caller holds the pool */
    int nworkers;                       /* started */
    uint32_t worker_gen0[AKP_MAX_WORKERS];
    pthread_mutex_t mu;
    pthread_cond_t cv;
} akp_pool;

static akp_pool akp_P;
static int akp_spin_ok = 1;             /* workers spin after a job (c. above) */
static pthread_mutex_t akp_init_mu = PTHREAD_MUTEX_INITIALIZER;
static int akp_ready = 0;

static inline uint64_t akp_word(uint32_t g, unsigned front, unsigned back)
{
    return (uint64_t)g << 32 | (uint64_t)front << 16 | (uint64_t)back;
}

/* Claim one chunk of block b of generation g, from its front or its back: the chunk's
   index, or -1 if that block has none left (or belongs to another job). */
static long akp_claim(akp_pool *P, int b, uint32_t g, int from_back)
{
    uint64_t t = AKP_LD(P->blocks[b].w);
    for (;;) {
        unsigned f = (unsigned)(t >> 16) & 0xffffu, k = (unsigned)t & 0xffffu;
        if ((uint32_t)(t >> 32) != g || f >= k)
            return -1;
        uint64_t next = from_back ? akp_word(g, f, k - 1) : akp_word(g, f + 1, k);
        if (__atomic_compare_exchange_n(&P->blocks[b].w, &t, next, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return from_back ? (long)k - 1 : (long)f;
    }
}

static void akp_chunk_run(akp_pool *P, long c)
{
    size_t lo = (size_t)c * P->chunk, hi = lo + P->chunk;
    if (hi > P->n) hi = P->n;
    int s = P->fn(P->ctx, lo, hi);
    if (s != 0) {
        int zero = 0;
        __atomic_compare_exchange_n(&P->status, &zero, s, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED);
    }
    __atomic_add_fetch(&P->done, 1, __ATOMIC_ACQ_REL);
}

/* Thread `me` of a team of `team` (the caller is 0) runs chunks of generation g: its own
   block from the front (the same part of the arrays at every step, so it stays in this
   core's cache), then the others' from the back, until none is left; returns how many. */
static unsigned akp_work(akp_pool *P, uint32_t g, int me, int team)
{
    unsigned mine = 0;
    long c;
    while ((c = akp_claim(P, me, g, 0)) >= 0) {
        akp_chunk_run(P, c);
        mine++;
    }
    for (int k = 1; k < team; k++) {
        int b = (me + k) % team;
        while ((c = akp_claim(P, b, g, 1)) >= 0) {
            akp_chunk_run(P, c);
            mine++;
        }
    }
    return mine;
}

static void *akp_worker(void *arg)
{
    akp_pool *P = &akp_P;
    int id = (int)(intptr_t)arg;
    uint32_t seen = P->worker_gen0[id];
    for (;;) {
        uint32_t g;
        long long t0 = 0;
        unsigned spins = 0;
        while ((g = AKP_LD(P->gen)) == seen) {
            akp_relax();
            if ((++spins & 255u) == 0) {
                long long now = akp_now();
                if (t0 == 0) {
                    t0 = now;
                } else if (now - t0 > AKP_SPIN_NS
                           || !__atomic_load_n(&akp_spin_ok, __ATOMIC_RELAXED)) {
                    pthread_mutex_lock(&P->mu);
                    __atomic_add_fetch(&P->sleepers, 1, __ATOMIC_SEQ_CST);
                    while (__atomic_load_n(&P->gen, __ATOMIC_SEQ_CST) == seen)
                        pthread_cond_wait(&P->cv, &P->mu);
                    __atomic_sub_fetch(&P->sleepers, 1, __ATOMIC_SEQ_CST);
                    pthread_mutex_unlock(&P->mu);
                    t0 = 0;
                }
            }
        }
        seen = g;
        int helpers = AKP_LD(P->helpers);
        if (id < helpers)
            akp_work(P, g, id + 1, helpers + 1);
    }
    return NULL;
}

/* Start workers up to `want` (fewer if the system refuses); returns how many exist. */
static int akp_grow(akp_pool *P, int want)
{
    sigset_t all, old;
    if (want > AKP_MAX_WORKERS) want = AKP_MAX_WORKERS;
    if (P->nworkers >= want) return P->nworkers;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);   /* workers never take a signal */
    while (P->nworkers < want) {
        pthread_t th;
        pthread_attr_t at;
        int id = P->nworkers;
        P->worker_gen0[id] = AKP_LD(P->gen);
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, 1 << 20);
        int rc = pthread_create(&th, &at, akp_worker, (void *)(intptr_t)id);
        pthread_attr_destroy(&at);
        if (rc != 0) break;
        P->nworkers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return P->nworkers;
}

static void akp_reset(void)
{
    memset(&akp_P, 0, sizeof(akp_P));
    pthread_mutex_init(&akp_P.mu, NULL);
    pthread_cond_init(&akp_P.cv, NULL);
}

static void akp_atfork_child(void)
{
    /* the workers did not survive: forget them (their stacks are lost, not reused) */
    akp_reset();
    pthread_mutex_init(&akp_init_mu, NULL);
    akp_ready = 1;
}

static int akp_init(void)
{
    pthread_mutex_lock(&akp_init_mu);
    if (!akp_ready) {
        akp_reset();
        akp_ready = 1;
    }
    pthread_mutex_unlock(&akp_init_mu);
    return pthread_atfork(NULL, NULL, akp_atfork_child);
}

typedef struct {
    unsigned mine, nchunks;
    long long t_mine, t_total;
    int woke;                           /* a worker was asleep or new: it started late */
} akp_stats;

/* Run fn over [0, n) in chunks of `chunk` on the caller and up to team - 1 workers.
   Returns AKP_DECLINED (nothing ran) if the pool is in use by another thread or has no workers,
   else the first non-zero status of a chunk, or 0. */
static int akp_run(akp_fn fn, const void *ctx, size_t n, size_t chunk, int team,
                   akp_stats *st)
{
    akp_pool *P = &akp_P;
    int zero = 0;
    size_t nc = (n + chunk - 1) / chunk;
    if (nc > AKP_MAX_CHUNKS || team < 2)
        return AKP_DECLINED;
    if (!__atomic_compare_exchange_n(&P->busy, &zero, 1, 0, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return AKP_DECLINED;
    int had = P->nworkers;
    int helpers = akp_grow(P, team - 1);
    if (helpers > team - 1) helpers = team - 1;
    if (helpers < 1) {
        AKP_ST(P->busy, 0);
        return AKP_DECLINED;
    }
    long long t0 = akp_now();
    uint32_t g = P->gen + 1;
    P->fn = fn;
    P->ctx = ctx;
    P->n = n;
    P->chunk = chunk;
    P->status = 0;
    AKP_ST(P->helpers, helpers);
    AKP_ST(P->done, 0);
    for (int b = 0; b <= helpers; b++)  /* contiguous blocks of chunks, one per thread */
        AKP_ST(P->blocks[b].w, akp_word(g, (unsigned)(nc * b / (helpers + 1)),
                                        (unsigned)(nc * (b + 1) / (helpers + 1))));
    __atomic_store_n(&P->gen, g, __ATOMIC_SEQ_CST);
    int woke = had < helpers;
    if (__atomic_load_n(&P->sleepers, __ATOMIC_SEQ_CST) > 0) {
        woke = 1;
        pthread_mutex_lock(&P->mu);
        pthread_cond_broadcast(&P->cv);
        pthread_mutex_unlock(&P->mu);
    }
    long long t1 = akp_now();
    unsigned mine = akp_work(P, g, 0, helpers + 1);
    long long t2 = akp_now();
    unsigned spins = 0;
    while (AKP_LD(P->done) < nc) {     /* only chunks a worker has claimed remain */
        if (++spins < 4096u)
            akp_relax();
        else
            sched_yield();
    }
    long long t3 = spins ? akp_now() : t2;
    int status = P->status;
    AKP_ST(P->busy, 0);
    if (st) {
        st->mine = mine;
        st->woke = woke;
        st->nchunks = (unsigned)nc;
        st->t_mine = t2 - t1;
        st->t_total = t3 - t0;
    }
    return status;
}

/* ---- the default team: affinity mask and cgroup quota, cached for a second ---------- */

#ifdef __linux__
static int akp_affinity_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 0;
    return CPU_COUNT(&set);
}

static int akp_read_quota_file(const char *path)
{
    char buf[128];
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    size_t k = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[k] = 0;
    return akp_parse_cpu_max(buf);
}

/* The tightest cpu.max from this process's cgroup (v2) up to the root, or cgroup v1's
   cpu.cfs_quota_us / cpu.cfs_period_us; 0 for none. */
static int akp_cgroup_quota(void)
{
    char line[512], path[1024];
    int best = 0;
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f != NULL) {
        while (fgets(line, sizeof(line), f)) {
            if (strncmp(line, "0::", 3) != 0) continue;
            char *rel = line + 3;
            rel[strcspn(rel, "\n")] = 0;
            for (;;) {               /* this cgroup, then each parent up to the root */
                snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max",
                         strcmp(rel, "/") == 0 ? "" : rel);
                int q = akp_read_quota_file(path);
                if (q > 0 && (best == 0 || q < best)) best = q;
                if (rel[0] != '/' || rel[1] == 0) break;
                char *slash = strrchr(rel, '/');
                if (slash == rel) rel[1] = 0; else *slash = 0;
            }
        }
        fclose(f);
    }
    if (best == 0) {                    /* cgroup v1 */
        long long quota = -1, period = 0;
        FILE *a = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
        FILE *b = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");
        if (a && b && fscanf(a, "%lld", &quota) == 1 && fscanf(b, "%lld", &period) == 1
            && quota > 0 && period > 0)
            best = (int)((quota + period - 1) / period);
        if (a) fclose(a);
        if (b) fclose(b);
    }
    return best;
}
#else
static int akp_affinity_count(void) { return 0; }
static int akp_cgroup_quota(void) { return 0; }
#endif

static int akp_limit_cached = 0;
static long long akp_limit_at = 0;
static int akp_affinity_seen = 0, akp_quota_seen = 0;

/* min(affinity, quota) (0 where unknown), re-read at most once per second */
static int akp_cpu_limit(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
    struct timespec ts;                 /* called at every step: the cheap clock */
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    long long now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
#else
    long long now = akp_now();
#endif
    long long at = __atomic_load_n(&akp_limit_at, __ATOMIC_RELAXED);
    if (at == 0 || now - at > 1000000000LL) {
        int a = akp_affinity_count(), q = akp_cgroup_quota();
        __atomic_store_n(&akp_affinity_seen, a, __ATOMIC_RELAXED);
        __atomic_store_n(&akp_quota_seen, q, __ATOMIC_RELAXED);
        __atomic_store_n(&akp_limit_cached, akp_team_size(1 << 16, a, q), __ATOMIC_RELAXED);
        __atomic_store_n(&akp_limit_at, now, __ATOMIC_RELAXED);
    }
    return __atomic_load_n(&akp_limit_cached, __ATOMIC_RELAXED);
}

/* ---- the adaptive policy (c. above), per size class ---------------------------------- */

static long long akp_next_probe[AKP_BUCKETS], akp_backoff[AKP_BUCKETS];
static long long akp_mean_par[AKP_BUCKETS], akp_mean_ser[AKP_BUCKETS];  /* fs per byte */
static unsigned akp_runs[AKP_BUCKETS];
static int akp_warm[AKP_BUCKETS];       /* the last run was an unjudged warm-up */
static long long akp_count_parallel = 0, akp_count_serial = 0, akp_count_failed = 0;

#define AKP_LDR(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define AKP_STR(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static void akp_note(int parallel)
{
    __atomic_add_fetch(parallel ? &akp_count_parallel : &akp_count_serial, 1, __ATOMIC_RELAXED);
}

/* Run fn over [0, n) the adaptive way: on `team` threads when they pay, else on this one. */
static int akp_adaptive(akp_fn fn, const void *ctx, size_t n, size_t itemsize, int team)
{
    size_t bytes = n * itemsize;
    int b = akp_bucket(bytes);
    long long t0 = akp_now(), next = AKP_LDR(akp_next_probe[b]);
    unsigned r = __atomic_add_fetch(&akp_runs[b], 1, __ATOMIC_RELAXED);
    long long ser = AKP_LDR(akp_mean_ser[b]);
    if (ser > 0 && (next == 0 || t0 >= next) && r % AKP_SERIAL_EVERY != 0) {
        akp_stats st;
        int s = akp_run(fn, ctx, n, akp_chunk(n, itemsize, team), team, &st);
        if (s != AKP_DECLINED) {
            akp_note(1);
            if (st.woke && !AKP_LDR(akp_warm[b])) {
                /* a probe that had to wake its workers: they came late. Not judged; the
                   next run (workers spinning now) is. At most one such run in a row, so
                   steps far apart (every worker asleep each time) are judged too. */
                AKP_STR(akp_warm[b], 1);
                AKP_STR(akp_next_probe[b], 0);
                AKP_STR(akp_spin_ok, 1);
                return s;
            }
            AKP_STR(akp_warm[b], 0);
            long long rate = st.t_total * 1000000LL / (long long)bytes;
            long long par = AKP_LDR(akp_mean_par[b]), bo = AKP_LDR(akp_backoff[b]);
            int paid = akp_judge(&bo, &par, ser, rate);
            AKP_STR(akp_mean_par[b], par);
            AKP_STR(akp_backoff[b], bo);
            AKP_STR(akp_next_probe[b], paid ? 0 : akp_now() + bo);
            AKP_STR(akp_spin_ok, paid);
            if (!paid) __atomic_add_fetch(&akp_count_failed, 1, __ATOMIC_RELAXED);
            return s;
        }
    }
    int s = fn(ctx, 0, n);
    long long rate = (akp_now() - t0) * 1000000LL / (long long)bytes;
    AKP_STR(akp_mean_ser[b], akp_ewma(ser, rate > 0 ? rate : 1));
    akp_note(0);
    return s;
}

static void akp_forget(void)
{
    for (int b = 0; b < AKP_BUCKETS; b++) {
        AKP_STR(akp_backoff[b], 0);
        AKP_STR(akp_next_probe[b], 0);
        AKP_STR(akp_mean_par[b], 0);
        AKP_STR(akp_mean_ser[b], 0);
        AKP_STR(akp_runs[b], 0);
        AKP_STR(akp_warm[b], 0);
    }
    AKP_STR(akp_spin_ok, 1);
    AKP_STR(akp_count_parallel, 0);
    AKP_STR(akp_count_serial, 0);
    AKP_STR(akp_count_failed, 0);
}

#else  /* no pthreads: every range runs on the caller's thread */
typedef struct { unsigned mine, nchunks; long long t_mine, t_total; int woke; } akp_stats;
static int akp_init(void) { return 0; }
static int akp_run(akp_fn fn, const void *ctx, size_t n, size_t chunk, int team, akp_stats *st)
{ (void)fn; (void)ctx; (void)n; (void)chunk; (void)team; (void)st; return AKP_DECLINED; }
static int akp_adaptive(akp_fn fn, const void *ctx, size_t n, size_t itemsize, int team)
{ (void)itemsize; (void)team; return fn(ctx, 0, n); }
static int akp_cpu_limit(void) { return 0; }
static void akp_forget(void) {}
static void akp_note(int parallel) { (void)parallel; }
static long long akp_count_parallel = 0, akp_count_serial = 0, akp_count_failed = 0;
static int akp_affinity_seen = 0, akp_quota_seen = 0;
#endif

#endif
