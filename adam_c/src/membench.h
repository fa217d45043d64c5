/*
 * membench.h -- benchmark-only memory kernels: the access pattern of an update, no math.
 *
 * NOT part of the adam_c contract (adam_c.h) and not installed. They exist so that
 * `python -m adamkit bench` and asv_benchmarks/ can time, in the same process and with
 * the same threads and chunking, a loop that moves exactly the bytes an update moves:
 *
 *   adam pattern (7 streams): read p, g, m, v;  write p, m, v
 *   rms  pattern (5 streams): read p, g, s;     write p, s
 *
 * An update can be no faster than this on arrays that do not fit in cache; the ratio
 * (update time) / (memory-only time) is how far the update is from the bandwidth bound.
 *
 * To keep the compiler from removing loads or stores, each stored value depends on the
 * loaded ones through a bitwise AND/XOR with a run-time mask `k` (one integer operation
 * per stored element, vectorized, free next to the memory traffic):
 *
 *   adam:  p = p ^ (g & k);   m = m ^ (v & k);   v = v ^ (p & k)     (p the old value)
 *   rms:   p = p ^ (g & k);   s = s ^ (p & k)
 *
 * With k = 0 every buffer keeps its bits, so the kernels can run any number of times on
 * live data. The elements are 32- or 64-bit words (float32 / float64 buffers, as bits).
 *
 * The _nt variants use non-temporal (streaming) stores for the body (x86-64 SSE2
 * _mm_stream_si128, 16-byte aligned part; plain stores for the unaligned head and tail)
 * and end with a store fence; elsewhere they are the plain loops. They answer one
 * question: do streaming stores help an in-place update at n >= 1e7?
 */
#ifndef ADAM_C_MEMBENCH_H
#define ADAM_C_MEMBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void adam_c_membench_adam_u32(uint32_t *p, const uint32_t *g, uint32_t *m, uint32_t *v,
                              uint32_t k, size_t n);
void adam_c_membench_adam_u64(uint64_t *p, const uint64_t *g, uint64_t *m, uint64_t *v,
                              uint64_t k, size_t n);
void adam_c_membench_rms_u32(uint32_t *p, const uint32_t *g, uint32_t *s, uint32_t k,
                             size_t n);
void adam_c_membench_rms_u64(uint64_t *p, const uint64_t *g, uint64_t *s, uint64_t k,
                             size_t n);

/* Streaming-store variants of the adam pattern (see above). */
void adam_c_membench_adam_nt_u32(uint32_t *p, const uint32_t *g, uint32_t *m, uint32_t *v,
                                 uint32_t k, size_t n);
void adam_c_membench_adam_nt_u64(uint64_t *p, const uint64_t *g, uint64_t *m, uint64_t *v,
                                 uint64_t k, size_t n);

/*
 * The divider work of adamkit's own Adam step, and nothing else: per element the two
 * divisions and the square root of  p - (m*a) / (sqrt(v)/c + e)  (adam_c.h, the own
 * mode), times a run-time z = 0 added to p, so that p keeps its value (a -0 may become
 * +0) and the compiler cannot drop the arithmetic. Reads p, m, v; writes p; same clones.
 * Where the update is compute-bound (in cache) it can be no faster than this on a CPU
 * whose divide/sqrt unit is the limit: the bench's kernel/div says how close it is.
 */
void adam_c_membench_div_f32(float *p, const float *m, const float *v, float z, size_t n);
void adam_c_membench_div_f64(double *p, const double *m, const double *v, double z,
                             size_t n);

/* 1 if the _nt variants really use streaming stores on this build, else 0. */
int adam_c_membench_has_nt(void);

#ifdef __cplusplus
}
#endif

#endif
