"""Data-parallel :func:`minimize`: :func:`adamkit.minimize`'s run, with the blocks of the
objective spread over the ranks of an MPI communicator.

The run is :func:`adamkit.minimize`'s own (``adamkit._minimize.run`` and its loop), on
an :class:`~adamkit._minimize.Engine` that evaluates the sum over the blocks across the
ranks (:class:`DistributedObjective`), optionally shards the optimizer state
(:class:`~adamkit.mpi.ShardedOptimizer`), and makes the ranks agree on errors and on the
callback's verdict.  Every rank runs the same loop on the same bits, so every decision
(stopping tests, ``keep_best``) is taken identically everywhere without being sent.
"""
from __future__ import annotations

import dataclasses
import hashlib
import inspect
from typing import Any, Callable, Optional, Union

import numpy as np
from mpi4py import MPI
from scipy.optimize import OptimizeResult

from .. import _minimize as M
from .._blocks import BlockObjective, check_block_options, evaluate_blocks
from ._comm import BlockSum, RankError, raise_all
from ._sharded import ShardedOptimizer

__all__ = ["minimize"]


class DistributedObjective(BlockObjective):
    """The sum over blocks, each rank evaluating the blocks it holds."""

    def __init__(self, comm: MPI.Comm, fun: Callable, jac: Any, args: tuple,
                 x: np.ndarray, *, copy_x: bool, blocks: Any):
        super().__init__(fun, jac, args, x, copy_x=copy_x, blocks=blocks)
        self.sums = BlockSum(comm, self.nblocks, x.size, x.dtype)
        self.pool = self.sums.pool

    def _evaluate_sum(self) -> tuple:
        self.nfev += 1
        self.njev += 1
        lo, hi = self.sums.blocks
        values, entries, error = [], [], None
        try:
            values, partial = evaluate_blocks(self.block, self.nblocks, lo, hi, self.pool)
            entries = partial.entries
        except Exception as e:  # every rank must learn of it
            error = e
        f = self.sums.values(values, error)         # raises on every rank on an error
        mine = self.sums.reduce_scatter_partial(entries)
        return f, self.sums.allgather(mine, self.gbuf)

    def value_only(self) -> tuple:
        if self.jac is True:
            return self.evaluate()
        self.nfev += 1
        lo, hi = self.sums.blocks
        values, error = [], None
        try:
            values = [self.value(b) for b in range(lo, hi)]
        except Exception as e:
            error = e
        return self.sums.values(values, error), None


def _digest(x: np.ndarray, opts: M.Options, method: str, shard: bool) -> str:
    """What must be the same on every rank: x0's bits and the options that steer the loop."""
    h = hashlib.sha256(x.tobytes())
    nblocks = opts.blocks if isinstance(opts.blocks, (int, np.integer)) else len(opts.blocks)
    plain = (str(x.dtype), x.size, int(nblocks), method, shard, opts.maxiter, opts.gtol,
             opts.norm, opts.ftol, opts.xtol, opts.patience, opts.keep_best, opts.return_all,
             opts.groups, opts.lr_mult, opts.preset)
    h.update(repr(plain).encode())
    return h.hexdigest()


class _MPIEngine(M.Engine):
    def __init__(self, comm: MPI.Comm, shard: bool, method: str):
        self.comm, self.shard, self.method = comm, shard, method
        self.started = False

    def options(self, opts: M.Options, n: int) -> M.Options:
        if opts.blocks is None:
            raise ValueError("adamkit.mpi.minimize needs the option blocks: the objective is "
                             "a sum over a fixed number of blocks, spread over the ranks")
        if self.comm.rank != 0 and opts.disp:
            return dataclasses.replace(opts, disp=False, n=n)      # rank 0 prints
        return opts

    def optimizer(self, cls: type, kw: dict):
        if self.shard:
            return ShardedOptimizer(cls, comm=self.comm, _agree=False, **kw)
        return cls(**kw)

    def objective(self, fun, jac, args, x, opts, box):
        check_block_options(jac, opts)
        return DistributedObjective(self.comm, fun, jac, args, x, copy_x=opts.copy_x,
                                    blocks=opts.blocks)

    def callback(self, callback: Optional[Callable]) -> Optional[Callable]:
        if callback is None:
            return None
        comm = self.comm

        def call(*a, **k):
            error, stop = None, False
            try:
                callback(*a, **k)
            except StopIteration:
                stop = True
            except Exception as e:
                error = e
            flags = np.array([error is not None, stop], dtype=np.int32)
            comm.Allreduce(MPI.IN_PLACE, flags, op=MPI.MAX)
            if flags[0]:
                raise_all(comm, error)
            if flags[1]:
                raise StopIteration

        try:
            new_style = set(inspect.signature(callback).parameters) == {"intermediate_result"}
        except (TypeError, ValueError):
            new_style = False
        if new_style:
            def agreed(intermediate_result):
                call(intermediate_result=intermediate_result)
        else:
            def agreed(xk):
                call(xk)
        return agreed

    def start(self, x: np.ndarray, opts: M.Options) -> None:
        self._x, self._opts = x, opts
        self._exchange(None, _digest(x, opts, self.method, self.shard))

    def _exchange(self, error: Optional[BaseException], digest: Optional[str]) -> None:
        """The run's first collective: the setup errors, and x0 and the options compared."""
        self.started = True                 # (whatever follows, this was the collective)
        got = self.comm.allgather((None if error is None
                                   else f"{type(error).__name__}: {error}", digest))
        bad = [r for r, (e, _) in enumerate(got) if e is not None]
        if bad:
            if error is not None:
                raise error
            raise RankError(f"rank {bad[0]} of {self.comm.size} raised {got[bad[0]][0]}")
        if len({d for _, d in got}) != 1:
            raise ValueError("x0 or the options differ between the ranks: every rank must "
                             "pass the same x0 (bit for bit), blocks, method and options")

    def fail(self, error: BaseException) -> None:
        """This rank raised before the loop: tell the others (in their first collective)."""
        self._exchange(error, None)


def minimize(fun: Callable, x0: Any, args: tuple = (),
             method: Union[None, str] = None, jac: Any = None, hess: Any = None,
             hessp: Any = None, bounds: Any = None, constraints: Any = (),
             tol: Optional[float] = None, callback: Optional[Callable] = None,
             options: Optional[dict] = None, *, comm: Optional[MPI.Comm] = None,
             shard: bool = False) -> OptimizeResult:
    """:func:`adamkit.minimize` over the ranks of ``comm``, with the same bits on any
    number of ranks.

    The objective is a sum over a fixed number ``B`` of blocks (the option ``blocks``,
    required here)

    .. math::
        f(x) = \\sum_{b=0}^{B-1} f_b(x)

    and ``fun(x, b, *args)`` (``blocks=B``) or ``fun(x, blocks[b], *args)`` returns
    ``(f_b, g_b)`` with ``jac=True`` (or ``f_b``, with a callable ``jac`` for ``g_b``).
    Rank ``r`` of ``P`` evaluates blocks ``[B r // P, B (r+1) // P)`` only; the values and
    gradients are added by one fixed binary tree over the block indices, whichever rank
    computed them (see ``adamkit._blocks``), so ``x``, ``fun``, ``jac``, ``nit``, ``nfev``,
    ``status`` and ``message`` are bit-identical on 1, 2, 3, ... ranks and to
    ``adamkit.minimize(fun, x0, ..., options={"blocks": B, ...})`` in one process.  Every
    rank returns the same :class:`~scipy.optimize.OptimizeResult`.

    Parameters
    ----------
    fun, x0, args, method, jac, hess, hessp, bounds, constraints, tol, callback, options
        As :func:`adamkit.minimize` (``method`` a name: ``'adam'``, ``'amsgrad'``,
        ``'adamw'``, ``'adamax'``, ``'nadam'``, ``'rmsprop'``; any ``preset`` and
        learning-rate schedule), with the option ``blocks``.  Every rank must pass the
        same ``x0``, ``blocks`` and options (checked).  ``disp`` prints on rank 0 only.
        ``callback`` runs on every rank; if it raises ``StopIteration`` on any rank,
        the run stops on all of them.
    comm : mpi4py.MPI.Comm, optional
        Default ``MPI.COMM_WORLD``.
    shard : bool
        Keep the optimizer's state sharded (:class:`~adamkit.mpi.ShardedOptimizer`):
        each rank holds the moments of ``n / P`` elements and updates only those, then
        the iterate is gathered.  Same bits; saves memory, not communication.

    Raises
    ------
    RankError
        On every other rank when one rank raises (in ``fun``, ``jac``, ``callback`` or
        a check): the failing rank raises its own exception; no rank is left waiting.

    Notes
    -----
    Per iteration: ``fun`` on this rank's blocks, one ``MPI_Allgatherv`` of the block
    values (with an error flag), one ``MPI_Alltoall(v)`` and one allgather of the
    gradient (a reduce-scatter in the tree's order and an allgather: about what a ring
    allreduce sends when each rank's blocks form one subtree, e.g. ``B`` a power of two
    times ``P``), and with ``shard=True`` an allgather of the iterate.
    """
    comm = MPI.COMM_WORLD if comm is None else comm
    meth = "adam" if method is None else method
    engine = _MPIEngine(comm, bool(shard), str(meth))
    try:
        if not isinstance(meth, str) or meth.lower() not in M._METHODS:
            raise ValueError(f"Unknown solver {method} (adamkit.mpi.minimize runs adamkit's "
                             f"methods: {', '.join(M._METHODS)})")
        x0 = np.atleast_1d(np.asarray(x0))
        if x0.ndim != 1:
            raise ValueError("'x0' must only have one dimension.")
        if x0.dtype.kind in np.typecodes["AllInteger"]:
            x0 = np.asarray(x0, dtype=float)
        options = {} if options is None else dict(options)
        if tol is not None:
            options.setdefault("tol", tol)
        return M.run(engine, M._METHODS[meth.lower()], fun, x0, args, jac, hess, hessp,
                     bounds, constraints, callback, options)
    except BaseException as e:
        if not engine.started:
            engine.fail(e)
        raise

