"""The command line: ``python -m adamkit demo`` (and, as they land, verify/replay/compare/bench)."""

import argparse
import sys
import time

import numpy as np


def _demo(args):
    from . import Adam, RMSProp, openmp_enabled, effective_n_threads
    rng = np.random.default_rng(0)
    out = sys.stdout
    out.write(f"adamkit demo: OpenMP {'on' if openmp_enabled() else 'off'}, "
              f"{effective_n_threads(None)} threads available\n")
    # a quadratic bowl: f(p) = 0.5 * sum(a * p^2), gradient a * p
    n = args.n
    for dtype in (np.float32, np.float64):
        a = rng.uniform(0.5, 2.0, n).astype(dtype)
        for opt in (Adam(lr=0.05), RMSProp(lr=0.01)):
            p = np.ones(n, dtype=dtype)
            g = np.empty_like(p)
            t0 = time.perf_counter()
            for _ in range(args.steps):
                np.multiply(a, p, out=g)
                opt.step(p, g)
            dt = time.perf_counter() - t0
            f = 0.5 * float(np.sum(a * p * p))
            out.write(f"  {type(opt).__name__:8s} {np.dtype(dtype).name}: n={n} "
                      f"steps={args.steps} f={f:.3e} ({dt / args.steps * 1e6:.1f} us/step "
                      "incl. gradient)\n")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m adamkit",
                                 description="adamkit: exact, fast Adam and RMSProp")
    sub = ap.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="run the kernels on a quadratic bowl")
    d.add_argument("--n", type=int, default=100_000)
    d.add_argument("--steps", type=int, default=200)
    d.set_defaults(func=_demo)
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 0
    return args.func(args)
