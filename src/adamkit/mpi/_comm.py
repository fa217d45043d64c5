"""The collectives of adamkit.mpi: sums over blocks in the fixed tree order, and errors
that every rank sees.

Design
------
* **Who holds what.**  ``B`` blocks and ``n`` elements are split into contiguous,
  near-equal ranges: rank ``r`` holds blocks ``split_range(B, P, r)`` and owns elements
  ``split_range(n, P, r)`` (its *shard*).  Both partitions are functions of ``(B, n, P,
  r)`` alone, so every rank knows every other rank's without asking.
* **The sum.**  A rank adds its blocks' gradients into the maximal subtrees of the fixed
  tree (``adamkit._blocks.TreeSum``; one partial sum when its blocks are a whole aligned
  subtree, at most about ``2 log2(B)`` otherwise).  ``MPI_Alltoallv`` sends each partial
  sum's slice ``[e_q, e_{q+1})`` to the rank ``q`` that owns those elements; rank ``q``
  pushes the slices it received, in rank order (which is block order), through the same
  ``TreeSum`` and so obtains its shard of the sum with the bits of the one-process sum.
  That is a reduce-scatter whose order does not depend on ``P``: it sends what a ring
  reduce-scatter sends when every rank holds one subtree, and adds the same number of
  elements.  An allgather (:func:`gather`) then gives every rank the whole sum (an
  allreduce), or the sharded optimizer gathers the updated parameters instead.
* **Errors.**  A rank that raises takes part in the next collective all the others are
  in, with a flag; every rank then raises: the failing rank its own exception, the
  others :class:`RankError` naming the rank and the error.  No rank is left waiting.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
from mpi4py import MPI

from .._blocks import GradientPool, TreeSum, node_sizes, split_range

__all__ = ["RankError", "agree", "raise_all", "mpi_type", "gather", "BlockSum"]


class RankError(RuntimeError):
    """Raised on every rank that did not fail itself when another rank raised."""


def mpi_type(dtype: Any) -> MPI.Datatype:
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        return MPI.DOUBLE
    if dtype == np.float32:
        return MPI.FLOAT
    raise TypeError(f"adamkit.mpi sums float32 or float64 arrays, got {dtype}")


def raise_all(comm: MPI.Comm, error: Optional[BaseException]) -> None:
    """Every rank calls this once some rank failed: the failing ranks re-raise their own
    exception, the others raise :class:`RankError` about the first failing rank."""
    msgs = comm.allgather(None if error is None else f"{type(error).__name__}: {error}")
    if error is not None:
        raise error
    r = next(i for i, m in enumerate(msgs) if m is not None)
    raise RankError(f"rank {r} of {comm.size} raised {msgs[r]}")


def agree(comm: MPI.Comm, error: Optional[BaseException]) -> None:
    """A collective: return on every rank if no rank passed an error, else raise on
    every rank (see :func:`raise_all`)."""
    flag = np.array([0 if error is None else 1], dtype=np.int32)
    comm.Allreduce(MPI.IN_PLACE, flag, op=MPI.MAX)
    if flag[0]:
        raise_all(comm, error)


def gather(comm: MPI.Comm, out: np.ndarray, counts: list, displs: list,
           mine: Optional[np.ndarray] = None) -> None:
    """Every rank's piece ``out[displs[q]:displs[q] + counts[q]]`` into ``out`` on every
    rank; this rank's is ``mine`` (default: already in place in ``out``).

    ``MPI_Allgather`` when the pieces are equal; otherwise an ``MPI_Alltoallv`` in which
    each rank sends its piece to every other rank: the same bytes as ``MPI_Allgatherv``,
    whose default (ring) algorithm took 1.4 s for 40 MB on 3 ranks sharing 2 cores here,
    against 28 ms for this (MPICH 5.0.2; docs/mpi.md).
    """
    P, r, t = comm.size, comm.rank, mpi_type(out.dtype)
    c = counts[0]
    if all(k == c for k in counts) and all(d == c * q for q, d in enumerate(displs)):
        if mine is None:
            comm.Allgather(MPI.IN_PLACE, [out, t])
        else:
            comm.Allgather([mine, t], [out, t])
        return
    own = out[displs[r]:displs[r] + counts[r]]
    if mine is None:
        mine = own.copy()                 # a send buffer apart from the receive buffer
    else:
        own[...] = mine
    sc = [0 if q == r else counts[r] for q in range(P)]
    rc = [0 if q == r else counts[q] for q in range(P)]
    comm.Alltoallv([mine, (sc, [0] * P), t], [out, (rc, displs), t])


class BlockSum:
    """Sums over ``nblocks`` blocks spread over the ranks of ``comm``, in the fixed tree
    order: the same bits on any number of ranks, and in one process.

    Rank ``r`` holds blocks ``blocks = split_range(nblocks, comm.size, r)`` and owns the
    elements ``shard = split_range(size, comm.size, r)`` of the ``size``-element vectors.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
    nblocks : int
        The number of terms of the sum, fixed whatever the number of ranks.
    size : int
        Elements of each term.
    dtype : float32 or float64
        The dtype the terms are rounded to and added in.

    Examples
    --------
    In a training loop, with the gradient of each of this rank's blocks::

        sums = BlockSum(comm, nblocks=16, size=n, dtype=np.float64)
        lo, hi = sums.blocks
        g = sums.allreduce([grad(x, b) for b in range(lo, hi)])      # the whole sum
        part = sums.reduce_scatter([grad(x, b) for b in range(lo, hi)])  # its shard only
    """

    def __init__(self, comm: MPI.Comm, nblocks: int, size: int, dtype: Any = np.float64):
        if nblocks < 1 or size < 0:
            raise ValueError(f"BlockSum needs nblocks >= 1 and size >= 0, got {nblocks}, "
                             f"{size}")
        P, r = comm.size, comm.rank
        self.comm, self.nblocks, self.size = comm, int(nblocks), int(size)
        self.dtype = np.dtype(dtype)
        self._type = mpi_type(self.dtype)
        self.block_ranges = [split_range(self.nblocks, P, q) for q in range(P)]
        self.shards = [split_range(self.size, P, q) for q in range(P)]
        self.nodes = [node_sizes(self.nblocks, *self.block_ranges[q]) for q in range(P)]
        self.blocks, self.shard = self.block_ranges[r], self.shards[r]
        k = len(self.nodes[r])
        mine = self.shard[1] - self.shard[0]
        self._k = k
        self._scounts = [k * (b - a) for a, b in self.shards]
        self._sdispls = [k * a for a, _ in self.shards]
        self._rcounts = [len(nd) * mine for nd in self.nodes]
        self._rdispls = np.concatenate([[0], np.cumsum(self._rcounts)[:-1]]).tolist()
        self._recv = np.empty(sum(self._rcounts), dtype=self.dtype)
        self._send = np.empty(k * self.size, dtype=self.dtype) if k > 1 else None
        self._gcounts = [b - a for a, b in self.shards]
        self._gdispls = [a for a, _ in self.shards]
        # equal counts everywhere: MPI_Alltoall (MPICH's MPI_Alltoallv was 2x slower for
        # 40 MB on this machine: docs/mpi.md)
        self._a2a_even = self.size % P == 0 and len({len(nd) for nd in self.nodes}) == 1
        vc = [1 + (b - a) for a, b in self.block_ranges]
        self._vcounts, self._vdispls = vc, np.concatenate([[0], np.cumsum(vc)[:-1]]).tolist()
        self._vbuf = np.empty(sum(vc), dtype=np.float64)
        self.pool = GradientPool(np.empty(self.size, dtype=self.dtype))

    # -- this rank's blocks -----------------------------------------------------------

    def local(self, grads: Sequence[Any]) -> list:
        """The partial sums ``[(lo, hi, array)]`` of this rank's block gradients (one per
        block of ``blocks``, in order), in buffers of ``pool``."""
        lo, hi = self.blocks
        if len(grads) != hi - lo:
            raise ValueError(f"rank {self.comm.rank} holds blocks [{lo}, {hi}): "
                             f"{hi - lo} gradients expected, got {len(grads)}")
        sums = TreeSum(self.nblocks, add=GradientPool.add, release=self.pool.give)
        for b, g in zip(range(lo, hi), grads):
            g = np.asarray(g)
            if g.size != self.size:
                raise ValueError(f"the gradient of block {b} has {g.size} elements, "
                                 f"expected {self.size}")
            buf = self.pool.take()
            np.copyto(buf, g.reshape(-1), casting="same_kind")
            sums.push(b, b + 1, buf)
        return sums.entries

    # -- the collectives -----------------------------------------------------------------

    def reduce_scatter_partial(self, entries: list) -> np.ndarray:
        """This rank's shard of the sum, from its partial sums ``entries`` (as returned by
        :meth:`local`; their buffers go back to ``pool``).  A view of an internal buffer,
        valid until the next call."""
        expect = self.nodes[self.comm.rank]
        if [e[:2] for e in entries] != expect:
            raise ValueError(f"partial sums {[e[:2] for e in entries]}, expected {expect}")
        if self._k == 1:
            send = entries[0][2]
        elif self._k == 0:
            send = self._recv[:0]
        else:
            send = self._send
            assert send is not None          # k > 1 here
            for (a, b), at in zip(self.shards, self._sdispls):
                for j, e in enumerate(entries):
                    send[at + j * (b - a):at + (j + 1) * (b - a)] = e[2][a:b]
        t = self._type
        if self._a2a_even:
            self.comm.Alltoall([send, t], [self._recv, t])
        else:
            self.comm.Alltoallv([send, (self._scounts, self._sdispls), t],
                                [self._recv, (self._rcounts, self._rdispls), t])
        for e in entries:
            self.pool.give(e[2])
        m = self.shard[1] - self.shard[0]
        sums = TreeSum(self.nblocks, add=GradientPool.add)
        for q, at in enumerate(self._rdispls):
            for j, (lo, hi) in enumerate(self.nodes[q]):
                sums.push(lo, hi, self._recv[at + j * m:at + (j + 1) * m])
        return sums.result()

    def reduce_scatter(self, grads: Sequence[Any]) -> np.ndarray:
        """This rank's shard ``[shard[0], shard[1])`` of the sum of every block's gradient,
        from the gradients of this rank's blocks (a view, valid until the next call)."""
        return self.reduce_scatter_partial(self.local(grads))

    def allgather(self, mine: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Every rank's shard into ``out`` (``size`` elements, ``dtype``)."""
        gather(self.comm, out, self._gcounts, self._gdispls, mine)
        return out

    def allreduce(self, grads: Sequence[Any], out: Optional[np.ndarray] = None
                  ) -> np.ndarray:
        """The whole sum on every rank (into ``out`` if given)."""
        out = np.empty(self.size, dtype=self.dtype) if out is None else out
        return self.allgather(self.reduce_scatter(grads), out)

    def values(self, values: Sequence[float], error: Optional[BaseException] = None
               ) -> float:
        """The tree sum of every block's value (Python floats, this rank's blocks in
        order), on every rank; ``error``: this rank failed (every rank raises)."""
        r = self.comm.rank
        send = np.zeros(self._vcounts[r], dtype=np.float64)
        send[0] = 0.0 if error is None else 1.0
        if error is None:
            send[1:] = values
        self.comm.Allgatherv(send, [self._vbuf, (self._vcounts, self._vdispls), MPI.DOUBLE])
        if self._vbuf[self._vdispls].any():
            raise_all(self.comm, error)
        keep = np.ones(self._vbuf.size, dtype=bool)
        keep[self._vdispls] = False
        sums = TreeSum(self.nblocks)
        for b, v in enumerate(self._vbuf[keep].tolist()):
            sums.push(b, b + 1, v)
        return sums.result()
