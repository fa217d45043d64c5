"""The code path a framework takes on a CPU, as preset options.

A preset whose bits depend on the CPU takes the path as an option (``estimate``,
``xla_isa``, ``openblas_core``, ...). Its default is a :class:`Detect`: what the framework
itself detects on this machine, read when the optimizer is built. A recording says what the
framework detected where it ran (``Detect.from_meta``), and a replay takes that path, on
any machine: the C core computes the estimates with this CPU's instruction when it gives
the same bits and with an exact software model otherwise.
"""

import os

from .. import _cpu


class Detect:
    """A preset option's default: ``detect(cpu)`` on this machine's CPU; ``from_meta(meta)``
    reads a recording (None when it does not say); ``fixed`` is the value the build uses
    when it lists the rows that get a specialised loop (the same on every build machine)."""

    def __init__(self, name, detect, from_meta, doc, fixed):
        self.name, self._detect, self._from_meta, self.doc = name, detect, from_meta, doc
        self.fixed = fixed

    def detect(self):
        return self._detect(_cpu.host())

    def from_meta(self, meta):
        return self._from_meta(meta)

    def __repr__(self):
        return f"<{self.name}: detected>"


def _recorded(meta, *keys):
    """meta["paths"][key] of a conformance recording (the first key present)."""
    paths = meta.get("paths") or {}
    for key in keys:
        if key in paths:
            return paths[key]
    return None


# -- the reciprocal-square-root estimate (rsqrtss/rsqrtps) -------------------------------------

def estimate_of(cpu):
    """Which rsqrtps a framework computes with on ``cpu``: "zen" (AMD Zen 3/4/5's table,
    which the kernels reproduce on any machine) or "host" (another CPU's own, computed by
    this machine's instruction: not portable). Without x86 there is no such instruction
    (the frameworks take other paths, not reproduced); "zen" there, as a definite answer."""
    return "zen" if cpu.amd_zen or not cpu.x86 else "host"


def _estimate_from_meta(meta):
    cpu = _cpu.from_meta(meta)
    return None if cpu is None else estimate_of(cpu)


ESTIMATE = Detect("estimate", estimate_of, _estimate_from_meta,
                  "the CPU's reciprocal-square-root estimate: 'zen' (AMD Zen 3/4/5, "
                  "reproduced on any machine) or 'host' (this machine's own)", "zen")

PORTABLE = Detect("portable", lambda cpu: os.environ.get("ADAMKIT_PORTABLE", "") == "1",
                  lambda meta: None,
                  "compute every estimate with its software model, never with this CPU's "
                  "instruction (ADAMKIT_PORTABLE=1 sets it for every optimizer)", False)


# -- XLA's target instruction set -----------------------------------------------------------

#: --xla_cpu_max_isa values, in order
XLA_ISAS = ("SSE4_2", "AVX", "AVX2", "AVX512", "AVX512_VNNI", "AVX512_BF16", "AMX",
            "AMX_FP16")
_XLA_FEATURE = {"SSE4_2": "sse4_2", "AVX": "avx", "AVX2": "avx2", "AVX512": "avx512f",
                "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16",
                "AMX": "amx_tile", "AMX_FP16": "amx_fp16"}


def xla_isa(cpu, xla_flags=None):
    """The instruction set XLA's CPU backend compiles for: the widest of ``XLA_ISAS`` the
    CPU has, capped by ``--xla_cpu_max_isa`` in ``xla_flags`` (XLA_FLAGS)."""
    have = [isa for isa in XLA_ISAS if _XLA_FEATURE[isa] in cpu.flags]
    isa = have[-1] if have else "SSE4_2"
    for flag in (xla_flags or "").split():
        if flag.startswith("--xla_cpu_max_isa="):
            cap = flag.split("=", 1)[1].upper()
            if cap in XLA_ISAS and XLA_ISAS.index(cap) < XLA_ISAS.index(isa):
                isa = cap
    return isa


def xla_avx512(isa):
    """XLA's float64 rsqrt takes the vrsqrt14pd path from AVX512 up (with avx512f)."""
    return XLA_ISAS.index(isa) >= XLA_ISAS.index("AVX512")


def _xla_from_meta(meta):
    recorded = _recorded(meta, "xla_isa")
    if recorded:
        return recorded
    cpu = _cpu.from_meta(meta)
    return None if cpu is None else xla_isa(cpu, (meta.get("env") or {}).get("XLA_FLAGS"))


XLA_ISA = Detect("xla_isa", lambda cpu: xla_isa(cpu, os.environ.get("XLA_FLAGS")),
                 _xla_from_meta,
                 f"the instruction set XLA compiles for, one of {XLA_ISAS} (the CPU's "
                 "widest, capped by --xla_cpu_max_isa in XLA_FLAGS)", "AVX2")


# -- PyTorch's intra-op threads ----------------------------------------------------------------

def torch_threads(environ=None):
    """torch.get_num_threads() as PyTorch 2.13 (OpenMP and MKL build) starts with it:
    MKL_NUM_THREADS, else OMP_NUM_THREADS, else the physical cores; with MKL_DYNAMIC on
    (its default) capped at the physical cores (measured on the torch 2.13 wheel)."""
    env = os.environ if environ is None else environ
    cores = _cpu.physical_cores()
    n = 0
    for name in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        try:
            n = int(env.get(name, "").split(",")[0])
        except ValueError:
            n = 0
        if n > 0:
            break
    if n <= 0:
        return cores
    dynamic = env.get("MKL_DYNAMIC", "true").strip().lower() not in ("false", "0", "no")
    return min(n, cores) if dynamic else n


TORCH_THREADS = Detect("torch_threads", lambda cpu: torch_threads(),
                       lambda meta: _recorded(meta, "torch_threads"),
                       "torch.get_num_threads(): ATen splits a sum of 32768 or more elements "
                       "between them (MKL_NUM_THREADS or OMP_NUM_THREADS, at most the "
                       "physical cores; the physical cores when neither is set)", 1)


# -- TensorFlow's intra-op threads --------------------------------------------------------------

def tf_threads(environ=None):
    """TensorFlow 2.21's intra-op thread pool: TF_NUM_INTRAOP_THREADS, else the CPUs this
    process may run on (measured: Eigen's reductions split by it)."""
    env = os.environ if environ is None else environ
    try:
        n = int(env.get("TF_NUM_INTRAOP_THREADS", ""))
    except ValueError:
        n = 0
    if n > 0:
        return n
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


TF_THREADS = Detect("tf_threads", lambda cpu: tf_threads(),
                    lambda meta: _recorded(meta, "tf_threads"),
                    "TensorFlow's intra-op threads: Eigen splits a sum of 108388 float32 / "
                    "54194 float64 elements or more between them (TF_NUM_INTRAOP_THREADS, "
                    "else the CPUs this process may run on)", 1)


def estimate_ops(framework, hp):
    """The ops fields that select the estimate: ``estimate`` and ``portable``."""
    from .. import _vocab as V
    est = check_choice(framework, "estimate", hp["estimate"], ("zen", "host"))
    if est == "host" and hp["portable"]:
        from ._preset import PresetError
        raise PresetError(f"{framework}: estimate='host' (this CPU's own) has no portable model")
    return {"estimate": V.EST_ZEN if est == "zen" else V.EST_HOST,
            "portable": int(bool(hp["portable"]))}


def xla_ops(framework, hp):
    """The ops field of XLA's float64 rsqrt for ``xla_isa``."""
    from .. import _vocab as V
    isa = check_choice(framework, "xla_isa", hp["xla_isa"], XLA_ISAS)
    return {"rsqrt_kind": V.RSQRT_XLA_AVX512 if xla_avx512(isa) else V.RSQRT_XLA}


#: the options of a preset that computes with the rsqrtps estimate
ESTIMATE_OPTIONS = {"estimate": ESTIMATE, "portable": PORTABLE}


def check_choice(framework, name, value, choices):
    from ._preset import PresetError
    if value not in choices:
        raise PresetError(f"{framework}: {name} must be one of {tuple(choices)}, got {value!r}")
    return value
