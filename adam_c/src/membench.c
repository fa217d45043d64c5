/*
 * membench.c -- benchmark-only memory kernels (see membench.h for what and why).
 *
 * Compiled with the kernels' flags and the same function multi-versioning
 * (ADAM_C_CLONES), so the memory-only loop gets the same vector width as the update it
 * is compared with.
 */
#include "membench.h"

#include "adam_c_internal.h"

#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>
#define MEMBENCH_NT 1
#else
#define MEMBENCH_NT 0
#endif

#define MEMBENCH_ADAM(NAME, U)                                                               \
    ADAM_C_CLONES void NAME(U *ADAM_C_RESTRICT p, const U *ADAM_C_RESTRICT g,               \
                            U *ADAM_C_RESTRICT m, U *ADAM_C_RESTRICT v, U k, size_t n)     \
    {                                                                                        \
        for (size_t i = 0; i < n; i++) {                                                     \
            const U pi = p[i], gi = g[i], mi = m[i], vi = v[i];                              \
            p[i] = pi ^ (gi & k);                                                            \
            m[i] = mi ^ (vi & k);                                                            \
            v[i] = vi ^ (pi & k);                                                            \
        }                                                                                    \
    }

#define MEMBENCH_RMS(NAME, U)                                                                \
    ADAM_C_CLONES void NAME(U *ADAM_C_RESTRICT p, const U *ADAM_C_RESTRICT g,               \
                            U *ADAM_C_RESTRICT s, U k, size_t n)                            \
    {                                                                                        \
        for (size_t i = 0; i < n; i++) {                                                     \
            const U pi = p[i], gi = g[i], si = s[i];                                         \
            p[i] = pi ^ (gi & k);                                                            \
            s[i] = si ^ (pi & k);                                                            \
        }                                                                                    \
    }

MEMBENCH_ADAM(adam_c_membench_adam_u32, uint32_t)
MEMBENCH_ADAM(adam_c_membench_adam_u64, uint64_t)
MEMBENCH_RMS(adam_c_membench_rms_u32, uint32_t)
MEMBENCH_RMS(adam_c_membench_rms_u64, uint64_t)

#define MEMBENCH_DIV(NAME, T, SQRT)                                                           \
    ADAM_C_CLONES void NAME(T *ADAM_C_RESTRICT p, const T *ADAM_C_RESTRICT m,               \
                            const T *ADAM_C_RESTRICT v, T z, size_t n)                      \
    {                                                                                        \
        const T a = (T)1e-3, c = (T)0.9995, e = (T)1e-8;                                     \
        for (size_t i = 0; i < n; i++) p[i] = p[i] + z * ((m[i] * a) / (SQRT(v[i]) / c + e)); \
    }

MEMBENCH_DIV(adam_c_membench_div_f32, float, sqrtf)
MEMBENCH_DIV(adam_c_membench_div_f64, double, sqrt)

int adam_c_membench_has_nt(void) { return MEMBENCH_NT; }

#if MEMBENCH_NT
/* The body in 16-byte vectors with streaming stores; p, m, v must share their offset
 * modulo 16 (else the plain loop runs). W is the element size in bytes. */
#define MEMBENCH_ADAM_NT(NAME, U, PLAIN)                                                     \
    void NAME(U *ADAM_C_RESTRICT p, const U *ADAM_C_RESTRICT g, U *ADAM_C_RESTRICT m,      \
              U *ADAM_C_RESTRICT v, U k, size_t n)                                          \
    {                                                                                        \
        const uintptr_t off = (uintptr_t)p & 15;                                             \
        if (((uintptr_t)m & 15) != off || ((uintptr_t)v & 15) != off || off % sizeof(U)) {   \
            PLAIN(p, g, m, v, k, n);                                                         \
            return;                                                                          \
        }                                                                                    \
        size_t head = off ? (16 - off) / sizeof(U) : 0;                                      \
        if (head > n) head = n;                                                              \
        PLAIN(p, g, m, v, k, head);                                                          \
        const size_t per = 16 / sizeof(U);                                                   \
        const size_t body = (n - head) / per * per;                                          \
        U kk[16 / sizeof(U)];                                                                \
        for (size_t j = 0; j < per; j++) kk[j] = k;                                          \
        const __m128i vk = _mm_loadu_si128((const __m128i *)kk);                             \
        for (size_t i = head; i < head + body; i += per) {                                   \
            const __m128i pi = _mm_load_si128((const __m128i *)(p + i));                     \
            const __m128i gi = _mm_loadu_si128((const __m128i *)(g + i));                    \
            const __m128i mi = _mm_load_si128((const __m128i *)(m + i));                     \
            const __m128i vi = _mm_load_si128((const __m128i *)(v + i));                     \
            _mm_stream_si128((__m128i *)(p + i), _mm_xor_si128(pi, _mm_and_si128(gi, vk)));  \
            _mm_stream_si128((__m128i *)(m + i), _mm_xor_si128(mi, _mm_and_si128(vi, vk)));  \
            _mm_stream_si128((__m128i *)(v + i), _mm_xor_si128(vi, _mm_and_si128(pi, vk)));  \
        }                                                                                    \
        _mm_sfence();                                                                        \
        PLAIN(p + head + body, g + head + body, m + head + body, v + head + body, k,         \
              n - head - body);                                                              \
    }
#else
#define MEMBENCH_ADAM_NT(NAME, U, PLAIN)                                                     \
    void NAME(U *p, const U *g, U *m, U *v, U k, size_t n) { PLAIN(p, g, m, v, k, n); }
#endif

MEMBENCH_ADAM_NT(adam_c_membench_adam_nt_u32, uint32_t, adam_c_membench_adam_u32)
MEMBENCH_ADAM_NT(adam_c_membench_adam_nt_u64, uint64_t, adam_c_membench_adam_u64)
