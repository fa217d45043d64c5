"""OpenBLAS as the frameworks that call it compute: which kernel "core" it picks for a CPU,
how many threads it runs, and the rounding of the level-1 kernels the presets need (axpy:
where the fused multiply-add stops; dot: the summation order of a squared norm).

Modelled: OpenBLAS 0.3.20 (bundled in NumPy 1.23.5's wheel: Chainer) and 0.3.21 (Debian
12's libopenblas: Caffe and Lua Torch7 in the golden recordings), DYNAMIC_ARCH, x86-64,
incx = incy = 1. Cores share kernels: Zen runs Haswell's, Cooperlake SkylakeX's. Each
rule was read from OpenBLAS's source and measured against both libraries bit for bit
(every core, n = 0..300 and large n, 1 and 2 threads: conformance/notes/openblas.md).
"""

import numpy as np

from .. import _cpu
from ._context import Detect, _recorded
from ._floats import F

#: names OPENBLAS_CORETYPE accepts (force_coretype: case-insensitive, whole string);
#: "Cooperlake" is not among them in 0.3.20/0.3.21 (it falls back to feature detection)
FORCE_NAMES = ("Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2",
               "Penryn", "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3",
               "Barcelona", "Nano", "Sandybridge", "Bobcat", "Bulldozer", "Piledriver",
               "Haswell", "Steamroller", "Excavator", "Zen", "SkylakeX")

#: the arithmetic family of the kernels modelled here, per core
KERNELS = {"Haswell": "haswell", "Zen": "haswell", "SkylakeX": "skylakex",
           "Cooperlake": "skylakex", "Barcelona": "barcelona"}

#: axpy and ddot split their work over threads above this n (SMP builds); sdot never
L1_THREAD_MIN = 10000


def core(version, cpu, coretype=None):
    """The core OpenBLAS ``version`` ("0.3.20" or "0.3.21") selects on ``cpu``
    (driver/others/dynamic.c), with ``coretype`` the value of OPENBLAS_CORETYPE."""
    flags = cpu.flags
    avx = "avx" in flags
    avx2, avx512 = avx and "avx2" in flags, avx and "avx512vl" in flags
    bf16 = avx512 and "avx512_bf16" in flags
    if version not in ("0.3.20", "0.3.21"):
        raise ValueError(f"OpenBLAS {version} is not modelled (0.3.20, 0.3.21)")

    def features():                       # what dynamic.c falls back to
        return ("Cooperlake" if bf16 else "SkylakeX" if avx512 else "Haswell" if avx2
                else "Sandybridge" if avx else "Prescott")

    def ladder(top):
        order = ("Cooperlake", "SkylakeX", "Haswell", "Sandybridge")
        have = {"Cooperlake": bf16, "SkylakeX": avx512, "Haswell": avx2, "Sandybridge": avx}
        return next((c for c in order[order.index(top):] if have[c]), "Nehalem")

    if coretype is not None:
        match = [n for n in FORCE_NAMES if n.lower() == coretype.lower()]
        return match[0] if match else features()
    fam, model = cpu.family, cpu.model
    exmodel, mdl = (model >> 4) & 0xF, model & 0xF
    if cpu.vendor in ("AuthenticAMD", "HygonGenuine") and fam >= 0x17:
        if fam in (0x17, 0x18):                             # Zen 1/+/2, Hygon
            return "Zen" if avx else "Barcelona"
        if fam == 0x19:                                     # Zen 3/4
            if version == "0.3.21":
                return ladder("Cooperlake") if avx512 else "Zen" if avx else "Barcelona"
            return "Zen" if avx else "Barcelona"
        return "Barcelona" if version == "0.3.20" else features()   # Zen 5 and later
    if cpu.vendor == "GenuineIntel" and fam == 6:
        table = {                                           # (exmodel, models) -> top rung
            3: {12: "Haswell", 15: "Haswell", 13: "Haswell"},
            4: {5: "Haswell", 6: "Haswell", 7: "Haswell", 15: "Haswell", 14: "Haswell"},
            5: {6: "Haswell", 14: "Haswell", 7: "Haswell", 5: "Cooperlake"},
            6: {6: "Haswell", 10: "Cooperlake", 12: "Cooperlake"},
            7: {13: "SkylakeX", 14: "SkylakeX"},
            8: {12: "SkylakeX", 13: "SkylakeX", 14: "Haswell", 15: "Cooperlake"},
            9: {7: "Cooperlake", 10: "Cooperlake", 14: "Haswell"},
            10: {5: "Haswell", 6: "Haswell", 7: "SkylakeX"},
        }
        if exmodel >= 11:       # no case in 0.3.20/0.3.21: falls into Pentium 4's
            return "Prescott"
        top = table.get(exmodel, {}).get(mdl)
        return ladder(top) if top else features()
    return features()


def threads(environ=None, ncpu=None):
    """The threads a pthreads OpenBLAS 0.3.20/0.3.21 starts with: OPENBLAS_NUM_THREADS,
    else GOTO_NUM_THREADS, else OMP_NUM_THREADS, else 64, capped at the CPUs this process
    may run on (openblas_set_num_threads/threadpoolctl change it later)."""
    import os
    env = os.environ if environ is None else environ
    if ncpu is None:
        ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    t = 0
    for var in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"):
        try:
            t = max(int(env.get(var, "0") or 0), 0)
        except ValueError:
            t = 0
        if t:
            break
    return max(1, min(t or 64, ncpu, 64))


def chunks(n, nthreads):
    """How a level-1 call splits over threads: [(start, width)], width = ceil(left /
    threads left)."""
    out, start, left = [], 0, n
    for k in range(nthreads):
        w = min(-(-left // (nthreads - k)), left)
        if w <= 0:
            break
        out.append((start, w))
        start, left = start + w, left - w
    return out


def kernels(name):
    try:
        return KERNELS[name]
    except KeyError:
        raise ValueError(f"openblas_core={name!r}: no model of its OpenBLAS kernels; "
                         f"modelled: {sorted(KERNELS)}") from None


# -- axpy: y + a*x ---------------------------------------------------------------------------

def axpy_segments(n, f32, core_name, nthreads=1):
    """The boundaries of the elements of an axpy of length n that the kernel fuses (body)
    and those it multiplies and adds separately (tail), alternating, from the body:
    haswell fuses [0, w & -32) (float32) / [0, w & -16) (float64) of each thread's chunk w;
    skylakex fuses every element; barcelona none."""
    fam = kernels(core_name)
    parts = [(0, n)] if (n <= L1_THREAD_MIN or nthreads <= 1) else chunks(n, nthreads)
    bounds = [0]
    for start, w in parts:
        fused = (w & -32 if f32 else w & -16) if fam == "haswell" else (
            w if fam == "skylakex" else 0)
        bounds += [start + fused, start + w]
    return tuple(bounds)


# -- dot(x, x) -------------------------------------------------------------------------------

def _fma(a, b, c):
    from .._kernels import fma
    return fma(a, b, c)


def sdot_sq(x, core_name):
    """cblas_sdot(n, x, 1, x, 1), float32 (never threaded in 0.3.20/0.3.21).
    haswell: n1 = n & -32 through 4 x 8 fma accumulators (element 32k + 8a + l into
    acc[a][l]), h_a = acc[a][0:4] + acc[a][4:8], q = (h0 + h1) + (h2 + h3),
    mydot = (q0 + q1) + (q2 + q3). skylakex: n64 = n & -64 through 4 x 16 accumulators,
    folded to 4 x 8, a remaining 32-block fused into them, then ((a0 + a1) + a2) + a3,
    halves, pairs. Both: the tail's float products summed in double from 0, plus mydot.
    barcelona: generic/dot.c, float throughout, no fma."""
    x = np.ascontiguousarray(x, np.float32).reshape(-1)
    fam, n = kernels(core_name), x.size
    if fam == "barcelona":
        u4, u = n & -16, n & -4
        acc = np.zeros((4, 4), np.float32)
        for k in range(0, u4, 16):
            blk = x[k:k + 16].reshape(4, 4)
            acc = acc + blk * blk
        v = (acc[0] + acc[1]) + (acc[2] + acc[3])
        for k in range(u4, u, 4):
            v = v + x[k:k + 4] * x[k:k + 4]
        dot = (v[0] + v[1]) + (v[2] + v[3])
        for i in range(u, n):
            dot = dot + x[i] * x[i]
        return F(dot)
    n1 = n & -32
    if fam == "haswell":
        acc = np.zeros((4, 8), np.float32)
        for k in range(0, n1, 32):
            blk = x[k:k + 32].reshape(4, 8)
            acc = _fma(blk, blk, acc)
        h = acc[:, :4] + acc[:, 4:]
        q = (h[0] + h[1]) + (h[2] + h[3])
    else:
        n64 = n1 & -64
        A = np.zeros((4, 16), np.float32)
        for k in range(0, n64, 64):
            blk = x[k:k + 64].reshape(4, 16)
            A = _fma(blk, blk, A)
        acc = A[:, :8] + A[:, 8:]
        for k in range(n64, n1, 32):
            blk = x[k:k + 32].reshape(4, 8)
            acc = _fma(blk, blk, acc)
        v = ((acc[0] + acc[1]) + acc[2]) + acc[3]
        q = v[:4] + v[4:]
    mydot = (q[0] + q[1]) + (q[2] + q[3])
    dot = 0.0
    for v in x[n1:]:
        dot += float(v * v)
    return F(dot + float(mydot))


def _ddot_part(x, fam):
    n = x.size
    n1 = n & -16
    if fam == "haswell":
        acc = np.zeros((4, 4))
        for k in range(0, n1, 16):
            blk = x[k:k + 16].reshape(4, 4)
            acc = _fma(blk, blk, acc)
        h = acc[:, :2] + acc[:, 2:]
        q = (h[0] + h[1]) + (h[2] + h[3])
    else:
        n32 = n1 & -32
        A = np.zeros((4, 8))
        for k in range(0, n32, 32):
            blk = x[k:k + 32].reshape(4, 8)
            A = _fma(blk, blk, A)
        acc = A[:, :4] + A[:, 4:]
        for k in range(n32, n1, 16):
            blk = x[k:k + 16].reshape(4, 4)
            acc = _fma(blk, blk, acc)
        v = ((acc[0] + acc[1]) + acc[2]) + acc[3]
        q = v[:2] + v[2:]
    dot = float(q[0] + q[1]) if n1 else 0.0
    for v in x[n1:]:            # the C tail: skylakex's build contracts it to an fma
        dot = float(_fma(np.array([v]), np.array([v]), np.array([dot]))[0]) \
            if fam == "skylakex" else dot + float(v) * float(v)
    return dot


def ddot_sq(x, core_name, nthreads=1):
    """cblas_ddot(n, x, 1, x, 1), float64: as sdot_sq with 4-lane (haswell) or 8-lane
    (skylakex) accumulators over n & -16, the tail added in double (fused on skylakex); for
    n > 10000 each thread's chunk is summed on its own and the partial sums are added in
    chunk order from 0. barcelona (dot_sse2.S, 16-byte aligned x): 4 x 2 accumulators over
    8-blocks, then 4-, 2- and 1-element steps, no fma, not threaded."""
    x = np.ascontiguousarray(x, np.float64).reshape(-1)
    fam, n = kernels(core_name), x.size
    if fam == "barcelona":
        acc, p = np.zeros((4, 2)), 0
        for _ in range(n // 8):
            blk = x[p:p + 8].reshape(4, 2)
            acc, p = acc + blk * blk, p + 8
        if n & 4:
            acc[0] = acc[0] + x[p:p + 2] * x[p:p + 2]
            acc[1] = acc[1] + x[p + 2:p + 4] * x[p + 2:p + 4]
            p += 4
        if n & 2:
            acc[0], p = acc[0] + x[p:p + 2] * x[p:p + 2], p + 2
        if n & 1:
            acc[0, 0] = acc[0, 0] + x[p] * x[p]
        s = (acc[0] + acc[1]) + (acc[2] + acc[3])
        return float(s[0] + s[1])
    if n <= L1_THREAD_MIN or nthreads <= 1:
        return _ddot_part(x, fam)
    total = 0.0
    for start, w in chunks(n, nthreads):
        total = total + _ddot_part(x[start:start + w], fam)
    return total


# -- the preset options ------------------------------------------------------------------------

def core_option(version):
    """The ``openblas_core`` option of a framework linked against OpenBLAS ``version``."""
    def from_meta(meta):
        recorded = _recorded(meta, "openblas_core")
        if recorded:
            return recorded
        blas = meta.get("blas") or {}                       # the golden files' provenance
        return blas.get("openblas_get_corename")
    return Detect("openblas_core",
                  lambda cpu: core(version, cpu, _cpu.environ("OPENBLAS_CORETYPE")),
                  from_meta,
                  f"the core OpenBLAS {version} runs (detected as OpenBLAS detects it, "
                  "OPENBLAS_CORETYPE included)", "Haswell")


THREADS = Detect("openblas_threads", lambda cpu: threads(), lambda meta: (
    _recorded(meta, "openblas_threads") or ((meta.get("blas") or {}).get(
        "OPENBLAS_NUM_THREADS_env") and int(meta["blas"]["OPENBLAS_NUM_THREADS_env"]))),
    "the threads OpenBLAS runs its level-1 kernels on (OPENBLAS_NUM_THREADS, ...)", 1)
