"""The command line, ``python -m adamkit COMMAND`` (the conformance suite of a source
checkout has its own: ``python -m conformance setup|verify``).

replay    replay trajectory files through their presets; max ULP per file
compare   feed one gradient stream to two presets; how far they drift apart, per step
defaults  every preset's defaults, the framework callable and release they come from
bench     time adamkit against the memory-only kernel and the installed peers
demo      run the kernels on a quadratic bowl
"""

import argparse
import os
import sys
import time

import numpy as np


def _out(line=""):
    sys.stdout.write(line + "\n")


# --- replay ------------------------------------------------------------------------------

def _fmt_ulp(x):
    return "0" if x == 0 else (f"{x:.0f}" if x < 1e6 else f"{x:.2e}")


def _replay(args):
    from .replay import replay_file
    bad = 0
    _out(f"{'file':52s} {'steps':>5s} {'max ULP':>9s}  first diff  worst array")
    for path in args.files:
        try:
            r = replay_file(path, n_threads=args.threads, lr_source=args.lr)
        except Exception as exc:  # report and go on: one bad file must not hide the rest
            bad += 1
            _out(f"{os.path.basename(path):52s} ERROR {type(exc).__name__}: {exc}")
            continue
        worst = max(r.max_ulp, key=r.max_ulp.get)
        _out(f"{r.name:52s} {r.steps:5d} {_fmt_ulp(r.worst):>9s}  "
             f"{r.first_diff_step or '-':>10}  {worst if r.worst else '-'}")
        bad += not r.identical
    _out(f"{len(args.files) - bad} of {len(args.files)} files bit-identical")
    return 1 if bad else 0


# --- compare -----------------------------------------------------------------------------

def _compare(args):
    from .. import presets
    from .replay import make_optimizer, ulp_distance
    from .streams import make_stream
    p0, grads, _ = make_stream(args.seed, args.n, args.steps)
    dtype = np.dtype(args.dtype)
    p0, grads = p0.astype(dtype), grads.astype(dtype)
    runs = []
    for spec in (args.preset_a, args.preset_b):
        framework, _, opt = spec.partition(":")
        opt = opt or args.optimizer
        row = presets.get(framework, opt)
        hp = {}
        if not args.framework_defaults:   # same settings for both: only rounding differs
            common = {"lr": args.lr, "eps": args.eps, "betas": (args.beta1, args.beta2),
                      "alpha": args.rho}
            for name, value in common.items():
                target = row.aliases.get(name)
                if isinstance(target, tuple):
                    hp.update(zip(target, value))
                elif target:
                    hp[target] = value
        for name in row.required:
            hp.setdefault(name, args.lr)
        o = make_optimizer(framework, opt, hp)
        p = p0.copy()
        traj = np.empty((args.steps, args.n), dtype)
        for t in range(args.steps):
            o.step(p, grads[t])
            traj[t] = p
        runs.append((f"{framework}:{opt}", o, traj))
    (na, oa, a), (nb, ob, b) = runs
    _out(f"compare {na} vs {nb}: {args.dtype}, n={args.n}, {args.steps} steps, "
         f"seed {args.seed}")
    _out(f"  {na}: {oa.hyperparameters}")
    _out(f"  {nb}: {ob.hyperparameters}")
    _out(f"{'step':>6s} {'max ULP':>12s} {'median ULP':>11s} {'max rel':>10s} "
         f"{'elements differing':>19s}")
    ulps = ulp_distance(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
    rel = np.nan_to_num(rel, nan=0.0)
    shown = sorted(set([1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, args.steps]))
    for t in [s for s in shown if s <= args.steps]:
        u = ulps[t - 1]
        _out(f"{t:6d} {_fmt_ulp(u.max()):>12s} {_fmt_ulp(np.median(u)):>11s} "
             f"{rel[t - 1].max():10.2e} {int((u > 0).sum()):>12d} / {args.n}")
    first = np.flatnonzero(ulps.max(axis=1) > 0)
    _out(f"first step that differs: {first[0] + 1 if first.size else 'none'}")
    if args.plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            _out("matplotlib is not installed: no plot")
            return 0
        steps = np.arange(1, args.steps + 1)
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.semilogy(steps, np.maximum(ulps.max(axis=1), 0.5), label="max ULP")
        ax.semilogy(steps, np.maximum(np.median(ulps, axis=1), 0.5), label="median ULP")
        ax.set_xlabel("step")
        ax.set_ylabel("distance in ULPs (0 drawn at 0.5)")
        ax.set_title(f"{na} vs {nb} ({args.dtype})")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        _out(f"wrote {args.plot}")
    return 0


# --- defaults ----------------------------------------------------------------------------

def _defaults(args):
    from . import defaults
    _out(defaults.markdown() if args.markdown else defaults.text())
    return 0


# --- demo --------------------------------------------------------------------------------

def _demo(args):
    from .. import Adam, RMSProp, effective_n_threads, openmp_enabled
    rng = np.random.default_rng(0)
    _out(f"adamkit demo: OpenMP {'on' if openmp_enabled() else 'off'}, "
         f"{effective_n_threads(None)} threads available")
    n = args.n
    for dtype in (np.float32, np.float64):
        a = rng.uniform(0.5, 2.0, n).astype(dtype)      # f(p) = 0.5 sum(a p^2)
        for opt in (Adam(lr=0.05), RMSProp(lr=0.01)):
            p = np.ones(n, dtype=dtype)
            g = np.empty_like(p)
            t0 = time.perf_counter()
            for _ in range(args.steps):
                np.multiply(a, p, out=g)
                opt.step(p, g)
            dt = time.perf_counter() - t0
            f = 0.5 * float(np.sum(a * p * p))
            _out(f"  {type(opt).__name__:8s} {np.dtype(dtype).name}: n={n} steps={args.steps} "
                 f"f={f:.3e} ({dt / args.steps * 1e6:.1f} us/step incl. gradient)")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:          # bench parses its own options (argparse.REMAINDER
        from .bench import main as bench_main  # in a subparser drops leading options)
        return bench_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m adamkit", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    sub = ap.add_subparsers(dest="command")

    r = sub.add_parser("replay", help="replay trajectory files; exit 1 unless all identical")
    r.add_argument("files", nargs="+")
    r.add_argument("--threads", type=int, default=None)
    r.add_argument("--lr", choices=("recorded", "schedule", "constant"), default=None,
                   help="each step's learning rate: the file's recorded rates (the default "
                        "when it has them), adamkit's schedule for meta['schedule'], or the "
                        "recorded hyper-parameter")
    r.set_defaults(func=_replay)

    c = sub.add_parser("compare", help="drift between two presets on one gradient stream")
    c.add_argument("preset_a", help="framework[:optimizer], e.g. tensorflow or caffe:adam")
    c.add_argument("preset_b")
    c.add_argument("--optimizer", default="adam")
    c.add_argument("--steps", type=int, default=1000)
    c.add_argument("--n", type=int, default=67)
    c.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    c.add_argument("--seed", type=int, default=20261122)
    c.add_argument("--lr", type=float, default=1e-3)
    c.add_argument("--eps", type=float, default=1e-8)
    c.add_argument("--beta1", type=float, default=0.9)
    c.add_argument("--beta2", type=float, default=0.999)
    c.add_argument("--rho", type=float, default=0.9, help="RMSProp decay")
    c.add_argument("--framework-defaults", action="store_true",
                   help="use each framework's own defaults instead of common settings")
    c.add_argument("--plot", default=None, help="write a PNG (needs matplotlib)")
    c.set_defaults(func=_compare)

    f = sub.add_parser("defaults", help="each preset's defaults and where they come from")
    f.add_argument("--markdown", action="store_true", help="the README's summary table")
    f.set_defaults(func=_defaults)

    sub.add_parser("bench", help="adamkit vs the memory-only kernel vs installed peers "
                   "(python -m adamkit bench --help)")

    d = sub.add_parser("demo", help="run the kernels on a quadratic bowl")
    d.add_argument("--n", type=int, default=100_000)
    d.add_argument("--steps", type=int, default=200)
    d.set_defaults(func=_demo)

    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 0
    return args.func(args)
