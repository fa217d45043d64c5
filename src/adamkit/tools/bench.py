"""``python -m adamkit bench``: adamkit vs the memory-only kernel vs the installed peers.

One run prints, side by side, per array size n, dtype and thread count:

* ``mem``     the memory-only kernel (adam_c/src/membench.c): the exact access pattern of
              the update (Adam: read p, g, m, v; write p, m, v) and no arithmetic, threaded
              and chunked like the update. The bandwidth bound.
* ``kernel``  adamkit's own Adam kernel on the same buffers, called from C in a loop (no
              Python cost per call).
* ``step``    ``adamkit.Adam(n_threads=...).step(p, g)``, the public call, from Python.
* peers       NumPy in place (one thread), torch Adam default / foreach / fused=True,
              optax.adam under ``jax.jit`` (with donated buffers), when installed.

and the ratios step/mem, kernel/mem, step/torch-fused, step/optax. Timings are medians
over interleaved rounds (every contender runs once per round, in turn), so a load from
another process hits all of them alike and the ratios stay meaningful on a busy machine.

Peers run in a worker process (torch's and jax's own thread pools stay out of this
process): the current interpreter if it can import torch or optax, else the Python of a
framework environment (``--peer-python``, ``$ADAMKIT_PEER_PYTHON``, or
``.venvs/modern/bin/python`` as ``python -m conformance setup`` creates it: looked for in
``$ADAMKIT_VENVS``, in the current directory and its parents, and in the checkout an
editable install runs from). ``--no-peers`` skips them.

Sections (``--sections``, default ``adam,rmsprop,overhead,presets,multi,minimize``):
``adam`` and ``rmsprop`` (large and cache-resident arrays), ``overhead`` (one small
step() call from Python), ``presets`` (every preset vs adamkit's fastest mode),
``multi`` (one step over 200 arrays of 1e3-1e5 elements), ``minimize`` (per-iteration
cost of ``adamkit.minimize`` beyond the objective). ``threshold`` (1 vs 2 threads per
kernel at each n, forcing the parallel region), ``threads`` (the default team vs 1 vs 2
threads: :mod:`adamkit.tools.bench_load`) and ``frameworks`` (``adamkit.torch`` and
``adamkit.optax`` against torch's fused Adam and jitted optax, 1e2-1e7 parameters in 1
and 200 tensors: :mod:`adamkit.tools.bench_frameworks`) are not in the default set.

``--load K`` runs K busy processes beside the whole measurement (started before it,
killed after it, also on Ctrl-C); without ``--sections`` it runs the ``threads`` section.
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from .bench_peers import Peers, _find_peer_python, numpy_adam, numpy_rmsprop

# ---------------------------------------------------------------------------------------
# Machine
# ---------------------------------------------------------------------------------------


def machine_info():
    """CPU model, relevant ISA flags, cores, OpenMP threads, load, versions."""
    from .. import _kernels as K
    cpu, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key = key.strip()
                if key == "model name" and cpu in ("", platform.machine(), "x86_64"):
                    cpu = val.strip()
                elif key == "flags" and not flags:
                    flags = set(val.split())
    except OSError:
        pass
    isa = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl", "neon", "asimd")
           if f in flags]
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "n/a"
    import adamkit
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": cpu, "isa": " ".join(isa) or "n/a", "cores": os.cpu_count(),
        "omp_threads": K.openmp_max_threads(), "openmp": K.openmp_enabled(),
        "serial_threshold": K.SERIAL_THRESHOLD, "load": load,
        "threading": K.threading_info() if hasattr(K, "threading_info") else "OpenMP",
        "python": platform.python_version(), "numpy": np.__version__,
        "adamkit": adamkit.__version__,
    }


# ---------------------------------------------------------------------------------------
# Timing: interleaved rounds, medians
# ---------------------------------------------------------------------------------------


def _calibrate(fn, target):
    """Calls per batch so that one batch lasts about ``target`` seconds."""
    fn(1)                                   # warm up (pages, caches, jit)
    k = 1
    while True:
        t0 = time.perf_counter()
        fn(k)
        dt = time.perf_counter() - t0
        if dt >= target or k >= 1 << 20:
            return k
        k = min(k * 10, max(k + 1, int(k * target / max(dt, 1e-7) * 1.2)))


STAT = {"name": "min"}


def measure(contenders, rounds, target):
    """``contenders``: {name: fn(k) running k calls (or returning its own per-call time)}.

    Every round runs each contender once (one batch of k calls), in turn. Returns
    {name: seconds per call}: the minimum over the rounds (default; the least disturbed
    batch, robust to preemption on a shared machine) or the median (``--stat median``).
    Both are kept in ``measure.last`` for the JSON output. A contender that returns a float
    reports its own per-call time (peers timed in the worker); otherwise wall time / k.
    """
    ks = {name: _calibrate(fn, target) for name, fn in contenders.items()}
    samples = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            r = fn(ks[name])
            dt = time.perf_counter() - t0
            samples[name].append(r if isinstance(r, float) else dt / ks[name])
    measure.last = {name: {"min": float(np.min(s)), "median": float(np.median(s))}
                    for name, s in samples.items()}
    return {name: v[STAT["name"]] for name, v in measure.last.items()}


def _loop(f):
    def run(k):
        for _ in range(k):
            f()
    return run


# ---------------------------------------------------------------------------------------
# Contenders in this process
# ---------------------------------------------------------------------------------------


def make_arrays(n, dtype, count, seed=0):
    """p, g and zeroed state; every page touched (np.ones-style) before timing."""
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(n).astype(dtype)
    g = (1e-3 * rng.standard_normal(n)).astype(dtype)
    state = [np.zeros(n, dtype) for _ in range(count)]
    for s in state:
        s.fill(0.0)
    return p, g, state


def _fmt_t(s):
    if s is None or s != s:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.3g} us"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def _fmt_r(x):
    return "-" if x is None or x != x else f"{x:.2f}"


class Report:
    def __init__(self, out):
        self.out = out
        self.results = {}

    def table(self, title, header, rows, note=None):
        self.out("")
        self.out(f"## {title}")
        if note:
            self.out(note)
        self.out("")
        widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
                  for i, h in enumerate(header)]
        self.out("| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |")
        self.out("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for r in rows:
            self.out("| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |")


# ---------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------


# float32-only Adam peers, each dropped alone when it fails: kind -> ratio column name
_F32_PEERS = {"deepspeed_cpu_adam": "deepspeed", "ipex_fused_adam": "ipex"}


class _PeerFailed(RuntimeError):
    def __init__(self, kind, exc):
        super().__init__(str(exc))
        self.kind = kind


def _droppable(kind, fn):
    def run(k):
        try:
            return fn(k)
        except RuntimeError as exc:
            raise _PeerFailed(kind, exc) from exc
    return run


def bench_family(rep, family, sizes, dtypes, threads, peers, args):
    """Adam or RMSProp: mem / kernel / step / peers, per n x dtype x threads."""
    import adamkit

    from . import _membench as MB
    rows, raw = [], []
    peer_kinds = []
    if peers is not None:
        have = peers.available(1)
        if have.get("torch"):
            peer_kinds += ["torch_default", "torch_foreach"]
            if family == "adam":
                peer_kinds.append("torch_fused")
        if have.get("optax"):
            peer_kinds.append("optax_jit")
        if have.get("deepspeed") and family == "adam":
            peer_kinds.append("deepspeed_cpu_adam")      # float32 only
        if have.get("ipex") and family == "adam":
            peer_kinds.append("ipex_fused_adam")         # float32 only
    failed = set()
    for n in sizes:
        for dtype in dtypes:
            for nt in threads:
                p, g, st = make_arrays(n, dtype, 2 if family == "adam" else 1)
                c = {}
                if family == "adam":
                    m, v = st
                    c["mem"] = lambda k, p=p, g=g, m=m, v=v, nt=nt: MB.mem_adam(
                        p, g, m, v, nt, k)
                    c["kernel"] = lambda k, p=p, g=g, m=m, v=v, nt=nt: MB.adam_native(
                        p, g, m, v, nt, k)
                    c["div"] = lambda k, p=p, g=g, m=m, v=v, nt=nt: MB.div_adam(
                        p, g, m, v, nt, k)
                    opt = adamkit.Adam(lr=1e-3, n_threads=nt)
                else:
                    (s,) = st
                    c["mem"] = lambda k, p=p, g=g, s=s, nt=nt: MB.mem_rms(p, g, s, nt, k)
                    c["kernel"] = lambda k, p=p, g=g, s=s, nt=nt: MB.rms_native(
                        p, g, s, nt, k)
                    opt = adamkit.RMSProp(lr=1e-2, n_threads=nt)
                p2 = p.copy()
                c["step"] = _loop(lambda opt=opt, p2=p2, g=g: opt.step(p2, g))
                if nt == 1 and not args.no_numpy:
                    p3 = p.copy()
                    c["numpy"] = _loop(numpy_adam(p3, g) if family == "adam"
                                       else numpy_rmsprop(p3, g))
                for kind in peer_kinds:
                    if kind in failed or (kind in _F32_PEERS and
                                          np.dtype(dtype) != np.float32):
                        continue
                    c[kind] = peers.contender(kind, [n], np.dtype(dtype).name, family, nt)
                    if kind in _F32_PEERS:
                        c[kind] = _droppable(kind, c[kind])
                try:
                    while True:
                        try:
                            t = measure(c, args.rounds, args.target)
                            break
                        except _PeerFailed as exc:  # DeepSpeed's op did not build, IPEX
                            rep.out(f"# {exc.kind} failed at n={n}: {exc}")  # refused torch
                            failed.add(exc.kind)
                            del c[exc.kind]
                except RuntimeError as exc:      # a peer failed: report without peers
                    rep.out(f"# peer error at n={n}: {exc}")
                    t = measure({k: f for k, f in c.items() if k in
                                 ("mem", "div", "kernel", "step", "numpy")}, args.rounds,
                                args.target)
                del p, g, st, p2, c
                fused = t.get("torch_fused") or t.get("torch_foreach")
                row = {"n": n, "dtype": np.dtype(dtype).name, "threads": nt, **t,
                       "stats": dict(measure.last)}
                raw.append(row)
                div = [] if family != "adam" else [_fmt_t(t["div"])]
                div_r = [] if family != "adam" else [_fmt_r(t["kernel"] / t["div"])]
                rows.append([f"{n:.0e}", np.dtype(dtype).name, nt, _fmt_t(t["mem"]), *div,
                             _fmt_t(t["kernel"]), _fmt_t(t["step"]), _fmt_t(t.get("numpy")),
                             *(_fmt_t(t.get(k)) for k in peer_kinds),
                             _fmt_r(t["kernel"] / t["mem"]), *div_r,
                             _fmt_r(t["step"] / t["mem"]),
                             _fmt_r(t["step"] / fused if fused else None),
                             _fmt_r(t["step"] / t["optax_jit"] if "optax_jit" in t else None),
                             *(_fmt_r(t["step"] / t[k] if k in t else None)
                               for k in _F32_PEERS if k in peer_kinds)])
    ref = "torch_fused" if family == "adam" else "torch_foreach"
    adam = family == "adam"
    header = ["n", "dtype", "thr", "mem", *(["div"] if adam else []), "kernel", "step",
              "numpy", *peer_kinds, "kernel/mem", *(["kernel/div"] if adam else []),
              "step/mem", f"step/{ref}", "step/optax",
              *(f"step/{_F32_PEERS[k]}" for k in _F32_PEERS if k in peer_kinds)]
    streams = "7 streams: read p,g,m,v; write p,m,v" if family == "adam" else \
        "5 streams: read p,g,s; write p,s"
    rep.table(f"{'Adam' if family == 'adam' else 'RMSProp'} step, {STAT['name']} per call",
              header,
              rows, note=f"mem = memory-only kernel, same access pattern ({streams}), "
                         "same threads and chunking; "
                         + ("div = the own step's two divisions and square root per "
                            "element alone (the compute bound where the divider limits); "
                            if adam else "") +
                         "kernel = C kernel looped in C; "
                         "step = opt.step(p, g) from Python.")
    rep.results[family] = raw


def bench_threshold(rep, sizes, dtypes, args):
    """1 vs 2 threads with the parallel region forced (threshold 0): the break-even."""
    from . import _membench as MB
    rows, raw = [], []
    for n in sizes:
        for dtype in dtypes:
            p, g, (m, v) = make_arrays(n, dtype, 2)
            s = m
            c = {}
            for nt in (1, 2):
                c[f"adam{nt}"] = lambda k, nt=nt: MB.adam_native(p, g, m, v, nt, k, threshold=0)
                c[f"rms{nt}"] = lambda k, nt=nt: MB.rms_native(p, g, s, nt, k, threshold=0)
                c[f"mem{nt}"] = lambda k, nt=nt: MB.mem_adam(p, g, m, v, nt, k, threshold=0)
            t = measure(c, args.rounds, args.target)
            raw.append({"n": n, "dtype": np.dtype(dtype).name, **t})
            rows.append([f"{n:.0e}", np.dtype(dtype).name,
                         *(f"{_fmt_t(t[f'{k}1'])} / {_fmt_t(t[f'{k}2'])} = "
                           f"{t[f'{k}1'] / t[f'{k}2']:.2f}x" for k in ("adam", "rms", "mem"))])
    rep.table("Threads: 1 vs 2, parallel region forced (speed-up = t1/t2)",
              ["n", "dtype", "Adam kernel", "RMSProp kernel", "memory-only"], rows,
              note="A speed-up below 1 means waking the second thread costs more than it saves: "
                   "the serial threshold should sit above that n.")
    rep.results["threshold"] = raw


def bench_overhead(rep, peers, args):
    """One small step() from Python: adamkit vs the C kernel alone vs peers."""
    import adamkit

    from . import _membench as MB
    rows, raw = [], []
    kinds = []
    if peers is not None:
        have = peers.available(1)
        kinds = (["torch_default", "torch_fused"] if have.get("torch") else []) + \
            (["optax_jit"] if have.get("optax") else []) + \
            (["deepspeed_cpu_adam"] if have.get("deepspeed") else []) + \
            (["ipex_fused_adam"] if have.get("ipex") else [])
    for n in (100, 1000):
        p, g, (m, v) = make_arrays(n, np.float32, 2)
        opt = adamkit.Adam(lr=1e-3, n_threads=1)
        c = {"kernel(C loop)": lambda k: MB.adam_native(p, g, m, v, 1, k),
             "kernel(1 call/Py)": _loop(lambda: MB.adam_native(p, g, m, v, 1, 1)),
             "step": _loop(lambda: opt.step(p, g))}
        for kind in kinds:
            c[kind] = peers.contender(kind, [n], "float32", "adam", 1)
        t = measure(c, args.rounds, args.target)
        raw.append({"n": n, **t})
        rows.append([n, *(_fmt_t(t[k]) for k in c),
                     _fmt_r(t["torch_fused"] / t["step"]) if "torch_fused" in t else "-",
                     _fmt_r(t["optax_jit"] / t["step"]) if "optax_jit" in t else "-"])
    rep.table("Small arrays: one Python-level step() (float32, 1 thread)",
              ["n", "C kernel", "kernel, 1 call from Py", "Adam.step", *kinds,
               "torch_fused/step", "optax/step"], rows,
              note="Goal: step <= 1.5 us, >= 10x faster than torch fused, >= 5x than optax.")
    rep.results["overhead"] = raw


def _native_like(opt):
    """adamkit's own mode with the same state buffers (the same memory streams) as
    ``opt``: AMSGrad's vhat, RMSProp's momentum and centered buffers."""
    import adamkit
    names = set(opt._needed_state())
    if opt._family == "adam":
        return adamkit.Adam(lr=1e-3, amsgrad="vhat" in names, n_threads=1)
    return adamkit.RMSProp(lr=1e-2, momentum=0.9 if "mom" in names else 0.0,
                           centered="mg" in names, n_threads=1)


def _python_recipe_twin(cls, key, kw):
    """The preset with its scalar recipe run in Python at every step (not compiled)."""
    from .. import _core
    _core.COMPILE_RECIPES = False
    try:
        return cls(preset=key, n_threads=1, **kw)
    finally:
        _core.COMPILE_RECIPES = True


def bench_presets(rep, sizes, args):
    """Every preset vs adamkit's own mode with the same state buffers, at the same n,
    one table per dtype of ``--preset-dtypes``."""
    raw = []
    for dtype in args.preset_dtypes.split(","):
        _presets_one_dtype(rep, sizes, np.dtype(dtype).type, args, raw)
    rep.results["presets"] = raw


def _presets_one_dtype(rep, sizes, dtype, args, raw):
    import adamkit

    from .. import presets
    rows = []
    for n in sizes:
        p, g, _ = make_arrays(n, dtype, 0)
        c, base_of, vec, bufs = {}, {}, {}, {}
        for fw, name in [(None, None), *presets.available()]:
            if fw is None:                  # the fastest mode: native Adam
                key, opt = "native.adam", adamkit.Adam(lr=1e-3, n_threads=1)
            else:
                row = presets.get(fw, name)
                if np.dtype(dtype).name not in row.dtypes:
                    continue
                cls = adamkit.RMSProp if row.family == "rmsprop" else adamkit.Adam
                kw = {r: 1e-3 for r in row.required}
                key = f"{fw}.{name}"
                opt = cls(preset=key, n_threads=1, **kw)
                ch = "f" if dtype is np.float32 else "d"
                vec[key] = opt._kernel.is_specialized(ch) and (
                    opt._tail_kernel is None or opt._tail_kernel.is_specialized(ch))
            base = _native_like(opt)
            bkey = "native." + base._family + "(" + ",".join(base._needed_state()) + ")"
            base_of[key] = bkey
            pairs = [(key, opt), (bkey, base)]
            if fw is not None and n <= 1000 and opt._programs is not None:
                pairs.append((key + "#py", _python_recipe_twin(cls, key, kw)))
            for k, o in pairs:
                if k not in c:
                    bufs[k] = p.copy()
                    c[k] = _loop(lambda o=o, b=bufs[k]: o.step(b, g))
        t = measure(c, args.rounds, args.target)
        fastest = t["native.adam"]
        for key in base_of:
            s, b = t[key], t[base_of[key]]
            raw.append({"n": n, "dtype": np.dtype(dtype).name, "preset": key, "t": s,
                        "native": base_of[key],
                        "t_native": b, "vectorized": vec.get(key, True)})
            py = t.get(key + "#py")
            if py is not None:
                raw[-1]["t_python_recipe"] = py
            rows.append([f"{n:.0e}", key, _fmt_t(s), base_of[key], _fmt_r(s / b),
                         _fmt_r(s / fastest), "yes" if vec.get(key, True) else "no",
                         _fmt_t(py) if py is not None else "-"])
    rep.table(f"Presets ({np.dtype(dtype).name}, 1 thread): step() time vs adamkit's own "
              "mode",
              ["n", "preset", "step", "own mode, same state buffers", "vs it",
               "vs native Adam", "vectorized", "step, Python recipe"],
              rows, note="Goal: every preset within 1.25x of adamkit's own mode at the same n "
                         "(compared with the mode that streams the same state buffers), and "
                         "<= 1.5 us per bound step at n <= 1e3. Last column (n <= 1e3): the "
                         "same preset with its scalar recipe run in Python at each step "
                         "instead of compiled (presets/_recipe.py).")


def bench_multi(rep, peers, args):
    """One step over 200 arrays of 1e3..1e5 elements (log-spaced): per-array cost."""
    import adamkit

    from . import _membench as MB
    rng = np.random.default_rng(1)
    sizes = [int(s) for s in np.logspace(3, 5, 200).astype(int)]
    total = sum(sizes)
    ps = [rng.standard_normal(s).astype(np.float32) for s in sizes]
    gs = [(1e-3 * rng.standard_normal(s)).astype(np.float32) for s in sizes]
    p, g, (m, v) = make_arrays(total, np.float32, 2)
    opt = adamkit.Adam(lr=1e-3, n_threads=1)
    c = {"mem (one buffer)": lambda k: MB.mem_adam(p, g, m, v, 1, k),
         "kernel (one buffer)": lambda k: MB.adam_native(p, g, m, v, 1, k),
         "step(list of 200)": _loop(lambda: opt.step(ps, gs))}
    kinds = []
    if peers is not None and peers.available(1).get("torch"):
        kinds = ["torch_foreach", "torch_fused"]
        for kind in kinds:
            c[kind] = peers.contender(kind, sizes, "float32", "adam", 1)
    t = measure(c, args.rounds, args.target)
    rep.results["multi"] = {"total": total, **t}
    rows = [[k, _fmt_t(s), _fmt_r(s / t["mem (one buffer)"])] for k, s in t.items()]
    rep.table(f"Multi-tensor: 200 float32 arrays, 1e3..1e5 elements ({total} in all), "
              "1 thread", ["contender", "time", "vs mem"], rows)


def bench_minimize(rep, args):
    import adamkit
    if not hasattr(adamkit, "minimize"):
        rep.out("\n(adamkit.minimize is not available: skipped)")
        return
    x0 = np.linspace(-1, 1, 10)
    a = np.arange(1.0, 11.0)

    def fun(x):
        r = a * x
        return float(r @ x) * 0.5, r
    iters = 2000

    def run_min(k):
        for _ in range(k):
            adamkit.minimize(fun, x0, method="adam", jac=True,
                             options={"maxiter": iters, "gtol": 0.0})
    c = {"minimize": run_min, "fun alone": _loop(lambda: fun(x0))}
    t = measure(c, max(3, args.rounds // 2), args.target)
    per_iter = t["minimize"] / iters
    over = per_iter - t["fun alone"]
    rep.results["minimize"] = {"per_iter": per_iter, "fun": t["fun alone"], "overhead": over}
    rep.table("minimize(): per-iteration cost at n = 10 (float64, 1 thread)",
              ["per iteration", "fun(x)", "overhead beyond fun"],
              [[_fmt_t(per_iter), _fmt_t(t["fun alone"]), _fmt_t(over)]],
              note="Goal: overhead <= 5 us.")


# ---------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------


def _sizes(text):
    return [int(float(x)) for x in text.split(",") if x]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m adamkit bench",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--sections", default=None,
                    help="comma-separated: adam,rmsprop,overhead,presets,multi,minimize,"
                         "threshold,threads,frameworks (default: the first six; with "
                         "--load: threads)")
    ap.add_argument("--load", type=int, default=0, metavar="K",
                    help="run K busy processes (pure spin) beside the measurement")
    ap.add_argument("--threads-sizes", default="1e3,1e4,1e5,1e6,1e7",
                    help="array sizes of the threads section")
    ap.add_argument("--sizes", default="1e2,1e4,1e5,1e6,1e7", help="array sizes")
    ap.add_argument("--dtypes", default="float32,float64",
                    help="comma-separated dtypes (default float32,float64)")
    ap.add_argument("--threads", default=None, help="e.g. 1,2 (default: 1 and all cores)")
    ap.add_argument("--preset-dtypes", default="float32",
                    help="comma-separated dtypes of the presets section (default float32)")
    ap.add_argument("--preset-sizes", default="1e5",
                    help="array sizes of the presets section (default 1e5)")
    ap.add_argument("--threshold-sizes", default="1e3,3e3,1e4,3e4,1e5,3e5",
                    help="array sizes of the threshold section")
    ap.add_argument("--framework-sizes", default="1e2,1e3,1e4,1e5,1e6,1e7",
                    help="parameters in all (frameworks section)")
    ap.add_argument("--framework-tensors", default="1,200",
                    help="how many tensors hold them (frameworks section)")
    ap.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    ap.add_argument("--target", type=float, default=0.003, help="seconds per timed batch")
    ap.add_argument("--stat", default="min", choices=["min", "median"],
                    help="per-call time over the rounds (default min: least disturbed)")
    ap.add_argument("--quick", action="store_true", help="small sizes, 3 rounds")
    ap.add_argument("--no-peers", action="store_true",
                    help="do not time PyTorch and optax (no worker process)")
    ap.add_argument("--no-numpy", action="store_true",
                    help="do not time the NumPy implementations")
    ap.add_argument("--peer-python", default=None,
                    help="Python with torch and/or optax (default: this one if it has "
                         "them, else $ADAMKIT_PEER_PYTHON, else modern/bin/python in "
                         "$ADAMKIT_VENVS or in .venvs/ of the current directory or a parent)")
    ap.add_argument("--json", default=None, help="also write the raw results here")
    args = ap.parse_args(argv)
    if args.sections is None:
        args.sections = "threads" if args.load else "adam,rmsprop,overhead,presets,multi,minimize"
    if args.load < 0:
        raise SystemExit("--load takes a number of busy processes >= 0")
    STAT["name"] = args.stat
    if args.quick:
        args.rounds, args.target = 3, 0.002
        args.sizes, args.preset_sizes = "1e2,1e4", "1e4"
        args.threshold_sizes = "1e3,1e4"
        args.framework_sizes = "1e2,1e4"
        args.threads_sizes = "1e4,1e5"
    from .. import _kernels as K
    sizes, dtypes = _sizes(args.sizes), args.dtypes.split(",")
    nmax = K.effective_n_threads(None)
    threads = [int(x) for x in args.threads.split(",")] if args.threads else \
        sorted({1, nmax})
    sections = args.sections.split(",")

    rep = Report(lambda line="": (sys.stdout.write(line + "\n"), sys.stdout.flush()))
    info = machine_info()
    peers = None
    if not args.no_peers:
        py = _find_peer_python(args.peer_python)
        if py:
            peers = Peers(py)
            have = peers.available(1)
            info["peers"] = ", ".join(f"{k} {v}" for k, v in have.items()) or "none"
            info["peer_python"] = py
            if not have:
                peers = None
        else:
            info["peers"] = "none found (install torch or optax, or pass --peer-python)"
    rep.out("# adamkit bench")
    rep.out("")
    rep.out(f"Times are the {args.stat} over {args.rounds} interleaved rounds of batches of "
            f"~{args.target * 1e3:g} ms per contender.")
    rep.out("")
    for k, v in info.items():
        rep.out(f"- {k}: {v}")
    rep.results["machine"] = info
    from .bench_load import Spinners, bench_threads
    rep.out(f"- load processes: {args.load} (busy, beside the measurement)")
    spin = Spinners(args.load)
    try:
        spin.__enter__()                    # the busy processes, stopped in finally
        for sec in sections:
            if sec == "adam":
                bench_family(rep, "adam", sizes, dtypes, threads, peers, args)
            elif sec == "rmsprop":
                bench_family(rep, "rmsprop", sizes, dtypes, threads, peers, args)
            elif sec == "overhead":
                bench_overhead(rep, peers, args)
            elif sec == "presets":
                bench_presets(rep, _sizes(args.preset_sizes), args)
            elif sec == "multi":
                bench_multi(rep, peers, args)
            elif sec == "minimize":
                bench_minimize(rep, args)
            elif sec == "threshold":
                bench_threshold(rep, _sizes(args.threshold_sizes), dtypes, args)
            elif sec == "threads":
                bench_threads(rep, _sizes(args.threads_sizes), dtypes, args)
            elif sec == "frameworks":
                from .bench_frameworks import bench_frameworks
                bench_frameworks(rep, args, _fmt_t, _fmt_r)
            elif sec:
                raise SystemExit(f"unknown section {sec!r}")
    finally:
        spin.stop()
        if peers is not None:
            peers.close()
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "n/a"
    rep.out("")
    rep.out(f"load average at the end: {load} (on {info['cores']} cores; above ~0.5 per core "
            "the machine was shared and absolute times are inflated; ratios less so)")
    rep.results["load_end"] = load
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rep.results, f, indent=1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
