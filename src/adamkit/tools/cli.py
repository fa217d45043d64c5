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
            r = replay_file(path, n_threads=args.threads, lr_source=args.lr,
                            max_bytes=args.max_mib * 2**20 if args.max_mib else None)
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
    from .compare import run_cli
    return run_cli(args, _out, lambda line: sys.stderr.write(line + "\n"))


# --- defaults ----------------------------------------------------------------------------

def _defaults(args):
    from . import defaults
    _out(defaults.markdown() if args.markdown else defaults.text())
    return 0


# --- demo --------------------------------------------------------------------------------

def _demo(args):
    import numpy as np

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
    from .. import __version__
    ap = argparse.ArgumentParser(prog="python -m adamkit", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--version", action="version", version=f"adamkit {__version__}",
                    help="print adamkit's version and exit")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("replay", help="replay trajectory files; exit 1 unless all identical")
    r.add_argument("files", nargs="+", help="trajectory .npz files (conformance recordings)")
    r.add_argument("--threads", type=int, default=None,
                   help="OpenMP threads of the replaying optimizer (default: all)")
    r.add_argument("--lr", choices=("recorded", "schedule", "constant"), default=None,
                   help="each step's learning rate: the file's recorded rates (the default "
                        "when it has them), adamkit's schedule for meta['schedule'], or the "
                        "recorded hyper-parameter")
    r.add_argument("--max-mib", type=int, default=None, metavar="MIB",
                   help="trust a file to inflate to this many MiB (default: 8 times its "
                        "size, at least 16 and at most 512 MiB)")
    r.set_defaults(func=_replay)

    c = sub.add_parser("compare", help="drift between two presets on one gradient stream",
                       description="Feed one gradient stream to two presets with the same "
                                   "hyper-parameters (each under the framework's own name) "
                                   "and print how far they drift apart, in ULPs.")
    c.add_argument("preset_a", help="framework or framework.optimizer, e.g. tensorflow or "
                                    "caffe.adam (as preset= takes it)")
    c.add_argument("preset_b", help="the other preset, same form")
    c.add_argument("--optimizer", default="adam",
                   help="the row of a preset given by framework only: adam, rmsprop, ... "
                        "(default adam)")
    c.add_argument("--steps", type=int, default=1000, help="number of steps (default 1000)")
    c.add_argument("--n", type=int, default=67, help="elements per array (default 67)")
    c.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                   help="dtype of the parameters and gradients (default float32)")
    c.add_argument("--seed", type=int, default=20261122, help="seed of the gradient stream")
    c.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    c.add_argument("--eps", type=float, default=1e-8, help="epsilon (default 1e-8)")
    c.add_argument("--betas", type=float, nargs=2, default=None, metavar=("B1", "B2"),
                   help="Adam's decay rates, as Adam(betas=...) (default 0.9 0.999)")
    c.add_argument("--alpha", type=float, default=None,
                   help="RMSProp's decay of the mean square, as RMSProp(alpha=...) (rho, "
                        "decay_rate, gamma1, ... in the frameworks; default 0.9)")
    c.add_argument("--beta1", type=float, default=None, help="deprecated: --betas B1 B2")
    c.add_argument("--beta2", type=float, default=None, help="deprecated: --betas B1 B2")
    c.add_argument("--rho", type=float, default=None, help="deprecated: --alpha")
    c.add_argument("--framework-defaults", action="store_true",
                   help="use each framework's own defaults instead of common settings")
    c.add_argument("--plot", default=None, metavar="PNG",
                   help="also draw the distance per step (symlog axis) into this PNG "
                        "(needs matplotlib: pip install 'adamkit[plot]')")
    c.set_defaults(func=_compare)

    f = sub.add_parser("defaults", help="each preset's defaults and where they come from")
    f.add_argument("--markdown", action="store_true", help="the README's summary table")
    f.set_defaults(func=_defaults)

    sub.add_parser("bench", help="adamkit vs the memory-only kernel vs installed peers "
                   "(python -m adamkit bench --help)")

    d = sub.add_parser("demo", help="run the kernels on a quadratic bowl")
    d.add_argument("--n", type=int, default=100_000, help="elements (default 100000)")
    d.add_argument("--steps", type=int, default=200, help="steps (default 200)")
    d.set_defaults(func=_demo)

    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help()
        return 0
    return args.func(args)
