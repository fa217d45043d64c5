"""adamkit.mpi: data-parallel :func:`minimize` and a sharded optimizer (ZeRO-1) over MPI,
with the same bits on any number of ranks.

* :func:`minimize` -- :func:`adamkit.minimize` for an objective that is a sum over a fixed
  number of blocks, each rank evaluating the blocks it holds; the sum is taken in one
  fixed tree order, so the result is bit-identical on 1, 2, 3, ... ranks and to
  ``adamkit.minimize(..., options={"blocks": B})`` in one process.
* :class:`ShardedOptimizer` -- any adamkit optimizer (class, preset, schedule) with its
  state split over the ranks: each rank holds and updates ``1 / P`` of it, the parameters
  are gathered after each step; checkpoints reshard to another number of ranks.
* :class:`BlockSum` -- the fixed-order sums themselves (reduce-scatter, allreduce, values),
  for training loops of your own.
* :class:`RankError` -- what the other ranks raise when one rank raises.

Needs mpi4py (``pip install "adamkit[mpi]"``) and an MPI library (the system's, or
``pip install mpich``).  ``import adamkit`` never imports this package.  See docs/mpi.md.
"""
try:
    from mpi4py import MPI  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("adamkit.mpi needs mpi4py and an MPI library: "
                      "pip install 'adamkit[mpi]' (and, without a system MPI, "
                      "pip install mpich)") from e

from ._comm import BlockSum, RankError
from ._minimize import minimize
from ._sharded import ShardedOptimizer

__all__ = ["minimize", "ShardedOptimizer", "BlockSum", "RankError"]
