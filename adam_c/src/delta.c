/*
 * delta.c -- the update that an addition turns into a given value.
 *
 * adam_c_delta_f32/f64(p, q, u, n, ftz, search) write, for each i, an update u[i] with
 * p[i] + u[i] == q[i] in this type's round-to-nearest addition (with ftz, under
 * flush-to-zero and denormals-are-zero, the mode XLA's CPU code runs in; without, in IEEE
 * arithmetic whatever the caller's mode):
 *
 *     u = q - p;  if p + u == q or q is NaN: done
 *     otherwise walk c = u one unit in the last place at a time, up to `search` times,
 *     towards the side where p + u falls short of q (up if p + u < q, else down), and
 *     take the first c with p + c == q; if none hits, q is not reachable from p by an
 *     addition and u stays q - p.
 *
 * p + u is monotone in u, so the hits lie on that side, and the first met is the nearest
 * to q - p. The walk steps on the bits (+-0 goes to the smallest subnormal of the
 * direction's sign; +-inf and NaN stay), so it is the same with and without DAZ.
 * u may be q itself (the update written over the target), not otherwise overlap p or q.
 *
 * This is adamkit.optax's `_updates` (the updates an optax transformation returns, so that
 * optax.apply_updates gives the framework's parameters) computed where the parameters
 * are, in one pass; the same bits as that XLA computation, element by element (tested
 * against it in tests/frameworks/jax_worker.py). Every element depends on its own inputs
 * only, so any split of [0, n) into ranges gives the same bits.
 *
 * Returns ADAM_C_OK, ADAM_C_ENULL (a NULL buffer with n > 0), or ADAM_C_EOPS (ftz where
 * this build cannot set the mode, or search < 0); on an error nothing is written.
 */
#include "adam_c_internal.h"

#if !ADAM_C_HAVE_FTZ        /* no mode to set: ftz = 1 is refused below, before any use */
typedef int adam_c_fpmode;
#define adam_c_fp_enter(ftz) 0
#define adam_c_fp_leave(mode) ((void)(mode))
#endif

/* One block of elements at a time: the fast pass over the block (vectorized), then,
   where some element of it missed, the walk for those elements, while the block is in
   cache. The block's targets are copied first, so u may be q itself. */
#define DELTA_BLOCK 512

#define DEFINE_DELTA(SFX, T, IT, SIGN, INF)                                                \
    ADAM_C_CLONES int adam_c_delta_##SFX(const T *p, const T *q, T *u, size_t n, int ftz,   \
                                         int search)                                       \
    {                                                                                      \
        T qb[DELTA_BLOCK];                                                                 \
        size_t lo, i;                                                                      \
        adam_c_fpmode mode = 0;                                                            \
        if (n > 0 && (p == NULL || q == NULL || u == NULL)) return ADAM_C_ENULL;           \
        if (search < 0 || ftz < 0 || ftz > ADAM_C_HAVE_FTZ) return ADAM_C_EOPS;            \
        mode = adam_c_fp_enter(ftz);                                                       \
        for (lo = 0; lo < n; lo += DELTA_BLOCK) {                                          \
            const size_t m = n - lo < DELTA_BLOCK ? n - lo : DELTA_BLOCK;                  \
            const T *pp = p + lo;                                                          \
            T *uu = u + lo;                                                                \
            unsigned misses = 0;                                                           \
            memcpy(qb, q + lo, m * sizeof(T));                                             \
            for (i = 0; i < m; ++i) {                                                      \
                const T d = qb[i] - pp[i];                                                 \
                uu[i] = d;                                                                 \
                misses += (pp[i] + d != qb[i]) & (qb[i] == qb[i]);                         \
            }                                                                              \
            for (i = 0; misses > 0 && i < m; ++i) {                                        \
                const T d = uu[i];                                                         \
                const int up = pp[i] + d < qb[i];                                          \
                IT bits, mag;                                                              \
                int k;                                                                     \
                T c;                                                                       \
                if (pp[i] + d == qb[i] || qb[i] != qb[i]) continue;                        \
                --misses;                                                                  \
                memcpy(&bits, &d, sizeof bits);                                            \
                for (k = 0; k < search; ++k) {                                             \
                    mag = bits & ~SIGN;                                                    \
                    if (mag > INF || (mag == INF && (bits < 0) != up)) break;              \
                    if (mag == 0) bits = up ? (IT)1 : (IT)(SIGN | 1);                      \
                    else bits += ((bits < 0) == up) ? (IT)-1 : (IT)1;                      \
                    memcpy(&c, &bits, sizeof c);                                           \
                    if (pp[i] + c == qb[i]) { uu[i] = c; break; }                          \
                }                                                                          \
            }                                                                              \
        }                                                                                  \
        adam_c_fp_leave(mode);                                                             \
        return ADAM_C_OK;                                                                  \
    }

DEFINE_DELTA(f32, float, int32_t, INT32_MIN, ((int32_t)0x7f800000))
DEFINE_DELTA(f64, double, int64_t, INT64_MIN, ((int64_t)0x7ff0000000000000))
