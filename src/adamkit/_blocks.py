"""Objectives that are sums over a fixed number of blocks, added in one fixed order.

The ``blocks`` option of :func:`adamkit.minimize` says that the objective is

.. math::
    f(x) = \\sum_{b=0}^{B-1} f_b(x), \\qquad \\nabla f(x) = \\sum_{b=0}^{B-1} \\nabla f_b(x)

with ``fun(x, block) -> (f_b, g_b)`` (``jac=True``) or ``fun`` and ``jac`` called per
block.  Floating-point addition is not associative, so the order of the additions is part
of the definition: the terms are added by **one fixed binary tree over the block
indices**, the same whoever computes which part of it.  That is what makes
:func:`adamkit.mpi.minimize` give the same bits on any number of ranks as this process
does: a rank adds the blocks it holds into whole subtrees, and the subtrees are added
across ranks by the same tree.

The tree
--------
Its nodes are the aligned dyadic intervals of block indices cut at ``B``: the node of
level ``l`` and index ``i`` covers ``[i 2^l, min((i+1) 2^l, B))``, and its value is the sum
``left + right`` of its two children (level ``l - 1``, indices ``2i`` and ``2i + 1``), or
its left child alone when the right one is empty.  For ``B = 5``::

    f = ((f0 + f1) + (f2 + f3)) + f4

Each addition is one IEEE operation in the dtype of the terms: elementwise ``numpy.add``
in the iterate's dtype for the gradients (every block gradient is first rounded to it),
Python float (double) addition for the values.

:class:`TreeSum` evaluates it from any ordered sequence of tree nodes that tiles an
interval of blocks (single blocks, or whole subtrees computed elsewhere), keeping at most
``log2(B) + 1`` partial sums: the node pushed last is merged with its left neighbour
whenever the two are siblings.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from ._minimize_objective import Objective, _to_float

__all__ = ["TreeSum", "node_sizes", "split_range", "block_items", "tree_sum", "BlockObjective",
           "check_block_options", "evaluate_blocks", "GradientPool"]


def _is_power_of_two(k: int) -> bool:
    return k > 0 and (k & (k - 1)) == 0


class TreeSum:
    """The fixed-tree sum of the terms of blocks ``[0, nblocks)``, fed in block order.

    ``push(lo, hi, value)`` adds the tree node ``[lo, hi)`` (a single block, ``hi = lo +
    1``, or a whole subtree); it must start where the previous node ended.  ``add(a, b)``
    returns ``a + b`` and may reuse ``a``'s storage (the left operand is always the
    partial sum of lower block indices); ``release(b)`` is called with the right operand
    after each addition (to recycle its buffer).  ``entries`` are the partial sums
    ``(lo, hi, value)`` not merged yet: for the terms of one rank, the maximal subtrees
    of its blocks.
    """

    def __init__(self, nblocks: int, add: Callable[[Any, Any], Any] = lambda a, b: a + b,
                 release: Optional[Callable[[Any], None]] = None):
        if nblocks < 1:
            raise ValueError(f"the number of blocks must be >= 1, got {nblocks}")
        self.nblocks = nblocks
        self._add = add
        self._release = release
        self.entries: list = []

    def _siblings(self, left: tuple, right: tuple) -> bool:
        """Whether ``left`` and ``right`` are the two children of one tree node."""
        lo, mid, hi = left[0], left[1], right[1]
        half = mid - lo
        return (_is_power_of_two(half) and lo % (2 * half) == 0
                and hi == min(lo + 2 * half, self.nblocks))

    def push(self, lo: int, hi: int, value: Any) -> None:
        e = self.entries
        if (e[-1][1] if e else lo) != lo or not 0 <= lo < hi <= self.nblocks:
            raise ValueError(f"node [{lo}, {hi}) does not follow {e[-1][:2] if e else ()}")
        e.append((lo, hi, value))
        while len(e) >= 2 and self._siblings(e[-2], e[-1]):
            right = e.pop()
            left = e.pop()
            e.append((left[0], right[1], self._add(left[2], right[2])))
            if self._release is not None:
                self._release(right[2])

    def result(self) -> Any:
        """The sum of every block (all of ``[0, nblocks)`` must have been pushed)."""
        if len(self.entries) != 1 or self.entries[0][:2] != (0, self.nblocks):
            raise ValueError(f"the pushed nodes {[x[:2] for x in self.entries]} do not cover "
                             f"the {self.nblocks} blocks")
        return self.entries[0][2]


def tree_sum(values: Sequence[float]) -> float:
    """The fixed-tree sum of Python floats (one per block, in block order)."""
    s = TreeSum(len(values))
    for b, v in enumerate(values):
        s.push(b, b + 1, v)
    return s.result()


def split_range(total: int, parts: int, k: int) -> tuple:
    """The ``k``-th of ``parts`` contiguous, near-equal ranges of ``range(total)``:
    ``[total * k // parts, total * (k + 1) // parts)``."""
    return total * k // parts, total * (k + 1) // parts


def node_sizes(nblocks: int, lo: int, hi: int) -> list:
    """The ``(lo, hi)`` of the partial sums (maximal subtrees) left by blocks ``[lo, hi)``."""
    s = TreeSum(nblocks, add=lambda a, b: None)
    for b in range(lo, hi):
        s.push(b, b + 1, None)
    return [e[:2] for e in s.entries]


def block_items(blocks: Any) -> tuple:
    """``(B, item)``: the number of blocks and ``item(b)``, what ``fun`` gets for block
    ``b`` (the index for ``blocks=B``, else ``blocks[b]``)."""
    if isinstance(blocks, (bool, np.bool_)):
        raise TypeError(f"option blocks must be a positive int or a sequence, got {blocks!r}")
    if isinstance(blocks, (int, np.integer)):
        if blocks < 1:
            raise ValueError(f"option blocks must be >= 1, got {blocks}")
        return int(blocks), int
    if hasattr(blocks, "__len__") and hasattr(blocks, "__getitem__") \
            and not isinstance(blocks, (str, bytes, dict)):
        if len(blocks) < 1:
            raise ValueError("option blocks is empty")
        return len(blocks), blocks.__getitem__
    raise TypeError("option blocks must be a positive int (fun gets the block index) or a "
                    f"sequence (fun gets blocks[b]), got {type(blocks).__name__}")


class GradientPool:
    """Buffers of the iterate's dtype and shape for the partial sums of the gradients."""

    def __init__(self, like: np.ndarray):
        self.like = like
        self.free: list = []

    def take(self) -> np.ndarray:
        return self.free.pop() if self.free else np.empty_like(self.like)

    def give(self, buf: np.ndarray) -> None:
        self.free.append(buf)

    @staticmethod
    def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.add(a, b, out=a)


def evaluate_blocks(call: Callable[[int, np.ndarray], float], nblocks: int, lo: int,
                    hi: int, pool: GradientPool, first: Optional[np.ndarray] = None
                    ) -> tuple:
    """Evaluate blocks ``[lo, hi)`` in order: ``call(b, buf)`` writes block ``b``'s
    gradient into ``buf`` and returns its value.  Returns ``(values, sums)``: the list of
    the values and the :class:`TreeSum` of the gradients (partial sums in ``pool``'s
    buffers; block ``lo``'s, and so the leftmost partial sum, in ``first`` when given)."""
    sums = TreeSum(nblocks, add=GradientPool.add, release=pool.give)
    values = []
    for b in range(lo, hi):
        buf = first if (b == lo and first is not None) else pool.take()
        values.append(call(b, buf))
        sums.push(b, b + 1, buf)
    return values, sums


# ---------------------------------------------------------------------------------------
# the objective of minimize(..., options={"blocks": ...}) in one process
# ---------------------------------------------------------------------------------------

def check_block_options(jac: Any, opts: Any) -> None:
    """The options that ``blocks`` cannot be combined with, refused by name."""
    if not (jac is True or callable(jac)):
        raise ValueError("option blocks needs the gradient of each block: jac=True (fun "
                         "returns (f_b, g_b)) or a callable jac(x, block, *args); finite "
                         "differences are not summed by blocks")
    if opts.batches is not None:
        raise ValueError("options blocks and batches cannot be combined: the blocks are the "
                         "terms of one deterministic objective")
    if opts.seed is not None:
        raise ValueError("options blocks and seed cannot be combined: a block's randomness "
                         "must not depend on who evaluates it; derive it from the block")


class BlockObjective(Objective):
    """``f = sum_b f_b`` and its gradient at the live iterate, summed by the fixed tree.

    ``fun(x, item, *args)`` (and ``jac``) is called once per block per evaluation, in
    block order, with ``item = b`` (``blocks=B``) or ``blocks[b]``; every block gradient is
    rounded to the iterate's dtype, then the terms are added by :class:`TreeSum`.
    ``nfev`` and ``njev`` count evaluations of the sum (one per iteration), whatever
    ``B`` is.
    """

    def __init__(self, fun: Callable, jac: Any, args: tuple, x: np.ndarray, *,
                 copy_x: bool, blocks: Any):
        super().__init__(fun, jac, args, x, copy_x=copy_x, box=None, rel_step=None,
                         batches=None, rng=None, own_buffer=True)
        self.nblocks, self.item = block_items(blocks)
        self.pool = GradientPool(x)
        self.evaluate = self._evaluate_sum

    def block(self, b: int, buf: np.ndarray) -> float:
        """Block ``b``: its value, its gradient written into ``buf``."""
        fargs = (self.item(b),) + self.args
        if self.jac is True:
            f, g = self.fun(self._point(), *fargs)
        else:
            f = self.fun(self._point(), *fargs)
            g = self.jac(self._point(), *fargs)
        f = _to_float(f)
        g = np.asarray(g)
        if g.size != buf.size:
            raise ValueError(f"the gradient of block {b} has {g.size} elements, expected "
                             f"{buf.size}")
        np.copyto(buf, g.reshape(buf.shape), casting="same_kind")
        return f

    def value(self, b: int) -> float:
        return _to_float(self.fun(self._point(), self.item(b), *self.args))

    def _evaluate_sum(self) -> tuple:
        self.nfev += 1
        self.njev += 1
        values, sums = evaluate_blocks(self.block, self.nblocks, 0, self.nblocks,
                                       self.pool, first=self.gbuf)
        return tree_sum(values), sums.result()

    def value_only(self) -> tuple:
        if self.jac is True:
            return self.evaluate()
        self.nfev += 1
        return tree_sum([self.value(b) for b in range(self.nblocks)]), None
