"""``python -m adamkit bench --load K``: the threading policy beside K busy processes.

The ``threads`` section times ``Adam(n_threads=...).step(p, g)`` with the default team
(``n_threads=None``), one thread and two threads in the same interleaved rounds, at each
n and dtype, and reports the same-run ratios default/1 and 1/2 (the speed-up of two
threads). With ``--load K``, K busy processes (a pure spin loop each, in a fresh
interpreter) start before the measurement and are killed after it, also on an error, on
Ctrl-C or SIGTERM; each one also stops by itself when its parent is gone. Under load
every batch of calls lasts at least 30 ms, so that it averages over the scheduler's time
slices.

Goals (issue 16): under ``--load 2`` on 2 cores, default <= 1.2x the 1-thread step at
every n; quiet, two threads >= 1.6x faster than one beyond L2.

Standalone use (any adamkit with ``adamkit.tools.bench``, e.g. to measure an older build
in the same session)::

    python src/adamkit/tools/bench_load.py --load 2 --sizes 1e3,1e4,1e5,1e6,1e7
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np

# a busy process: spins, and looks every few ms whether its parent still exists
_SPIN = ("import os\n"
         "ppid = os.getppid()\n"
         "while os.getppid() == ppid:\n"
         "    for _ in range(100000):\n"
         "        pass\n")


class Spinners:
    """``with Spinners(k):`` -- k busy processes for the duration of the block."""

    def __init__(self, k):
        self.k, self.procs, self._old = int(k), [], None

    def __enter__(self):
        if self.k <= 0:
            return self
        if threading_main():
            self._old = signal.signal(signal.SIGTERM, _sigterm)
        try:
            for _ in range(self.k):
                self.procs.append(subprocess.Popen([sys.executable, "-c", _SPIN],
                                                   stdin=subprocess.DEVNULL))
            time.sleep(0.5)                     # interpreters started and spinning
            dead = [p.returncode for p in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"a load process exited at once ({dead})")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            p.wait()
        self.procs = []
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
            self._old = None

    def __exit__(self, *exc):
        self.stop()
        return False


def threading_main():
    import threading
    return threading.current_thread() is threading.main_thread()


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)


def _uptime():
    try:
        return "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "n/a"


def bench_threads(rep, sizes, dtypes, args):
    """Default team vs 1 thread vs 2 threads, Adam step(), per n and dtype."""
    import adamkit
    from adamkit.tools.bench import _fmt_r, _fmt_t, make_arrays, measure
    try:
        from adamkit import _kernels as K
        policy = getattr(K, "reset_threading_policy", None)
    except ImportError:                        # pragma: no cover
        K, policy = None, None
    rows, raw = [], []
    for n in sizes:
        for dtype in dtypes:
            p, g, _ = make_arrays(n, dtype, 0)
            c = {}
            for label, nt in (("default", None), ("1 thread", 1), ("2 threads", 2)):
                opt = adamkit.Adam(lr=1e-3, n_threads=nt)
                buf = p.copy()

                def run(k, opt=opt, buf=buf, g=g):
                    for _ in range(k):
                        opt.step(buf, g)
                c[label] = run
            if policy is not None:
                policy()                       # each row learns from scratch
            # under load, batches of >= 30 ms average over the scheduler's time slices
            t = measure(c, args.rounds, max(args.target, 0.03) if args.load else args.target)
            stats = dict(measure.last)
            med = {k: v["median"] for k, v in stats.items()}
            row = {"n": n, "dtype": np.dtype(dtype).name, "load": args.load, **t,
                   "stats": stats}
            if K is not None and hasattr(K, "threading_info"):
                row["policy"] = K.threading_info()
            raw.append(row)
            rows.append([f"{n:.0e}", np.dtype(dtype).name, _fmt_t(t["default"]),
                         _fmt_t(t["1 thread"]), _fmt_t(t["2 threads"]),
                         _fmt_r(t["default"] / t["1 thread"]),
                         _fmt_r(med["default"] / med["1 thread"]),
                         _fmt_r(t["1 thread"] / t["2 threads"]),
                         _fmt_r(med["1 thread"] / med["2 threads"])])
            del p, g, c
    stat = args.stat
    rep.table(f"Threads: default team vs 1 vs 2 threads, Adam step(), load {args.load} "
              f"(K busy processes), {stat} per call",
              ["n", "dtype", "default", "1 thread", "2 threads", f"default/1 ({stat})",
               "default/1 (median)", f"1/2 ({stat})", "1/2 (median)"], rows,
              note=f"{args.load} busy process(es) beside the measurement on "
                   f"{os.cpu_count()} cores; load average now {_uptime()}. Goals: under "
                   "load, default/1 <= 1.2; quiet, 1/2 >= 1.6 beyond L2.")
    rep.results.setdefault("threads", []).extend(raw)


def main(argv=None):                            # standalone: see the module docstring
    import argparse

    from adamkit.tools.bench import Report, machine_info
    ap = argparse.ArgumentParser(prog="bench_load.py", description=__doc__.split("\n")[0])
    ap.add_argument("--load", type=int, default=0)
    ap.add_argument("--sizes", default="1e3,1e4,1e5,1e6,1e7")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--target", type=float, default=0.003)
    ap.add_argument("--stat", default="min", choices=["min", "median"])
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from adamkit.tools import bench as B
    B.STAT["name"] = args.stat
    rep = Report(lambda line="": (sys.stdout.write(line + "\n"), sys.stdout.flush()))
    for k, v in machine_info().items():
        rep.out(f"- {k}: {v}")
    with Spinners(args.load):
        bench_threads(rep, [int(float(x)) for x in args.sizes.split(",")],
                      args.dtypes.split(","), args)
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump(rep.results, f, indent=1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
