"""``mpiexec -n P python -m adamkit.mpi.bench``: the cost of a data-parallel Adam step.

Three ways to turn the block gradients held by the ranks into an updated parameter
vector, timed in interleaved rounds within one run:

* ``allreduce+adam``: sum this rank's blocks, ``MPI_Allreduce`` (MPI's own order, which
  depends on the number of ranks and the algorithm MPI picks), full Adam on every rank;
* ``tree+adam``: :class:`BlockSum.allreduce` (the fixed tree: local subtrees,
  ``MPI_Alltoall(v)``, tree merge of the slices, an allgather), full Adam on every
  rank -- what :func:`adamkit.mpi.minimize` does;
* ``tree+zero1``: :class:`BlockSum.reduce_scatter`, Adam on this rank's shard only
  (:class:`ShardedOptimizer.step_shard`), an allgather of the parameters.

Printed per method and size, on rank 0: the time per step (median over the steps of the
slowest rank's time), the bytes this rank sends per step, the optimizer state and the
communication buffers it holds.  Bytes are the payload of a bandwidth-optimal algorithm
(ring or Rabenseifner: ``2 (P-1)/P n`` per rank for an allreduce, ``(P-1)/P n`` for an
allgather; ``MPI_Alltoallv``'s exactly, from its counts), not a measurement of the wire.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
from typing import Any

import numpy as np
from mpi4py import MPI

import adamkit

from ._comm import BlockSum
from ._sharded import ShardedOptimizer

METHODS = ("allreduce+adam", "tree+adam", "tree+zero1")


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


class _Case:
    """One method at one size: its parameters, state and one step."""

    def __init__(self, method: str, comm: MPI.Comm, n: int, dtype: np.dtype, nblocks: int,
                 grads: list):
        self.method, self.comm, self.grads = method, comm, grads
        self.p = np.linspace(-1, 1, n).astype(dtype)
        P, itemsize = comm.size, np.dtype(dtype).itemsize
        self.sums: Any = None
        self.opt: Any
        if method == "allreduce+adam":
            self.g = np.empty(n, dtype)
            self.opt = adamkit.Adam(lr=1e-3)
            self.sent = 2 * (P - 1) * n // P * itemsize
        else:
            self.sums = BlockSum(comm, nblocks, n, dtype)
            a2a = sum(c for q, c in enumerate(self.sums._scounts) if q != comm.rank)
            self.sent = (a2a + (P - 1) * n // P) * itemsize
            if method == "tree+adam":
                self.g = np.empty(n, dtype)
                self.opt = adamkit.Adam(lr=1e-3)
            else:
                self.opt = ShardedOptimizer("Adam", comm=comm, lr=1e-3)

    def step(self) -> None:
        if self.method == "allreduce+adam":
            self.g[...] = self.grads[0]
            for g in self.grads[1:]:
                np.add(self.g, g, out=self.g)
            self.comm.Allreduce(MPI.IN_PLACE, self.g, op=MPI.SUM)
            self.opt.step(self.p, self.g)
        elif self.method == "tree+adam":
            self.sums.allreduce(self.grads, out=self.g)
            self.opt.step(self.p, self.g)
        else:
            self.opt.step_shard(self.p, self.sums.reduce_scatter(self.grads))

    @property
    def buffers(self) -> int:
        """Bytes of the gradient buffers this method holds besides the block gradients
        (after a step): the summed gradient, the partial sums, send and receive buffers."""
        held = [getattr(self, "g", None)]
        if self.sums is not None:
            held += self.sums.pool.free + [self.sums._recv, self.sums._send]
        return sum(a.nbytes for a in held if a is not None)

    @property
    def state(self) -> int:
        if isinstance(self.opt, ShardedOptimizer):
            return self.opt.state_nbytes
        return sum(a.nbytes for st in (self.opt._state or ()) for a in st.values())


def run(sizes: list, dtype: np.dtype, nblocks: int, repeat: int, methods: list,
        comm: MPI.Comm) -> list:
    """Rows ``(method, n, seconds per step, bytes sent, state bytes, buffer bytes)``."""
    rows = []
    for n in sizes:
        lo, hi = BlockSum(comm, nblocks, 0).blocks
        grads = [np.random.default_rng(b).standard_normal(n).astype(dtype)
                 for b in range(lo, hi)]
        cases = [_Case(m, comm, n, dtype, nblocks, grads) for m in methods]
        times: dict = {m: [] for m in methods}
        for c in cases:                       # warm-up: first touch, state allocation
            c.step()
        for _ in range(repeat):               # interleaved rounds
            for c in cases:
                comm.Barrier()
                t0 = MPI.Wtime()
                c.step()
                dt = np.array([MPI.Wtime() - t0])
                comm.Allreduce(MPI.IN_PLACE, dt, op=MPI.MAX)
                times[c.method].append(float(dt[0]))
        for c in cases:
            rows.append((c.method, n, float(np.median(times[c.method])), c.sent, c.state,
                         c.buffers))
        same = [c.p for c in cases if c.method != "allreduce+adam"]
        if len(same) == 2:
            rows.append(("# tree+adam == tree+zero1 (bits)", n,
                         bool(np.array_equal(same[0], same[1])), 0, 0, 0))
        del cases, grads
    return rows


def main(argv: list | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m adamkit.mpi.bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--blocks", type=int, default=None,
                    help="number of blocks (default: the number of ranks)")
    ap.add_argument("--repeat", type=int, default=10, help="timed steps per method")
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    args = ap.parse_args(argv)
    comm = MPI.COMM_WORLD
    nblocks = args.blocks or comm.size
    rows = run([int(s) for s in args.sizes], np.dtype(args.dtype), nblocks, args.repeat,
               args.methods, comm)
    peak = np.array([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss], dtype=np.int64)
    comm.Allreduce(MPI.IN_PLACE, peak, op=MPI.MAX)
    if comm.rank != 0:
        return
    out = [f"# {comm.size} ranks, {nblocks} blocks, {args.dtype}, {args.repeat} steps; "
           f"{_cpu()}, {os.cpu_count()} cores, load average "
           f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
           f"{MPI.Get_library_version().splitlines()[0].strip()}",
           f"{'method':<16} {'n':>10} {'ms/step':>10} {'MB sent/rank':>13} "
           f"{'state MB/rank':>14} {'buffers MB/rank':>16}"]
    for m, n, t, sent, state, buf in rows:
        if m.startswith("#"):
            out.append(f"{m} n={n}: {t}")
        else:
            out.append(f"{m:<16} {n:>10d} {t * 1e3:>10.3f} {sent / 1e6:>13.3f} "
                       f"{state / 1e6:>14.3f} {buf / 1e6:>16.3f}")
    out.append(f"# peak RSS of the largest rank: {peak[0] / 1024:.0f} MB")
    print("\n".join(out))  # noqa: T201


if __name__ == "__main__":
    main()
