"""ZeRO-1: the optimizer state sharded over the ranks, the same bits as one optimizer.

Every element of an adamkit update depends on that element's parameter, gradient and
state and on the step's scalars only, so the flattened parameters can be cut anywhere
and each piece updated by its own optimizer object with the same bits, with three
exceptions that :class:`ShardedOptimizer` handles by name:

* **segments** (``Rule.split``: BLAS and SIMD tails whose rounding depends on an
  element's position in its array: Caffe, Torch7, PyTorch ``fused``, Keras RMSprop's
  rsqrt packets): each piece gets the segments of its array cut to it;
* **global reductions** (``Rule.prepare``: Keras clipnorm/global_clipnorm, Chainer's
  GradientClipping, Caffe's clip_gradients): computed exactly as one optimizer computes
  them, by the preset's own code, from the whole gradients, which every rank has in
  :meth:`~ShardedOptimizer.step` (refused in :meth:`~ShardedOptimizer.step_shard`);
* **rules chosen per set of arrays** (``Rule.arrays``, no preset uses it yet): refused.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional, Sequence, Union

import numpy as np
from mpi4py import MPI

from .. import _optim
from .._blocks import split_range
from .._validation import check_real
from ._comm import agree, gather, mpi_type

__all__ = ["ShardedOptimizer"]

_FORMAT = "adamkit.mpi.shard/1"
_CLASSES = {c.__name__: c for c in (_optim.Adam, _optim.AdamW, _optim.AdaMax,
                                    _optim.RMSProp)}


def _as_list(x: Any, what: str) -> list:
    if isinstance(x, np.ndarray):
        return [x]
    if isinstance(x, (list, tuple)) and all(isinstance(a, np.ndarray) for a in x):
        return list(x)
    raise TypeError(f"{what} must be a numpy.ndarray or a list of them")


@dataclasses.dataclass
class _Piece:
    array: int          # which parameter array
    start: int          # [start, stop) within it
    stop: int
    opt: Any            # the optimizer object updating it


class ShardedOptimizer:
    """An adamkit optimizer whose state is sharded over the ranks of ``comm`` (ZeRO-1).

    The parameters (one array or a list) are seen as one flattened vector of ``N``
    elements; rank ``r`` of ``P`` owns elements ``[N r // P, N (r+1) // P)``, holds the
    optimizer state (``m``, ``v``, ...) of those only and updates them with
    ``optimizer(**kwargs)`` objects (any class, preset and schedule), then every rank's
    updated elements are gathered (an allgather), so the parameters are the same
    on every rank after each step, bit for bit those of one unsharded optimizer.

    Parameters
    ----------
    optimizer : type or str
        ``adamkit.Adam``, ``AdamW``, ``AdaMax`` or ``RMSProp`` (or its name).
    comm : mpi4py.MPI.Comm, optional
        Default ``MPI.COMM_WORLD``.  The constructor is collective (every rank must
        call it; an error on one rank raises on all).
    **kwargs
        The optimizer's arguments (``lr``, ``betas``, ``preset=``, framework keywords...).

    Notes
    -----
    Memory per rank: the state of ``N / P`` elements (``state_nbytes``).  Per step, with
    :meth:`step` (whole gradients given): the update of ``N / P`` elements and one
    allgather per parameter array.  :meth:`step_shard` takes only this rank's
    shard of the gradient, as :meth:`adamkit.mpi.BlockSum.reduce_scatter` returns it:
    that is ZeRO-1's reduce-scatter, update, all-gather.

    Examples
    --------
    ::

        opt = ShardedOptimizer(adamkit.Adam, lr=1e-3, preset="pytorch")
        sums = BlockSum(comm, nblocks=16, size=p.size, dtype=p.dtype)
        for step in range(steps):
            lo, hi = sums.blocks
            opt.step_shard(p, sums.reduce_scatter([grad(p, b) for b in range(lo, hi)]))
    """

    def __init__(self, optimizer: Union[type, str] = "Adam",
                 comm: Optional[MPI.Comm] = None, *, _agree: bool = True, **kwargs: Any):
        self.comm = MPI.COMM_WORLD if comm is None else comm
        error = None
        try:
            cls = _CLASSES.get(optimizer) if isinstance(optimizer, str) else optimizer
            if not (isinstance(cls, type) and issubclass(cls, _optim._Optimizer)):
                raise TypeError(f"optimizer must be one of {sorted(_CLASSES)} (a class or "
                                f"its name), got {optimizer!r}")
            self._cls, self._kw = cls, dict(kwargs)
            self._template = cls(**kwargs)         # checks every argument
            rule = self._template._rule
            if rule.arrays is not None:
                raise ValueError(f"preset {self._template.preset!r} chooses its rule per "
                                 "set of arrays; ShardedOptimizer does not support it")
        except Exception as e:
            error = e
        if _agree:
            agree(self.comm, error)
        elif error is not None:
            raise error
        self._rule = rule
        self._t = 0
        self._layout: Any = None           # ((size, dtype), ...) once known
        self._pieces: list = []
        self._prepared: dict = {}

    # -- the layout of the shards ----------------------------------------------------------

    @property
    def shard(self) -> tuple:
        """``(lo, hi)``: the elements of the flattened parameters this rank updates."""
        n = 0 if self._layout is None else sum(s for s, _ in self._layout)
        return split_range(n, self.comm.size, self.comm.rank)

    def _build(self, layout: tuple) -> None:
        P = self.comm.size
        n = sum(s for s, _ in layout)
        ranges = [split_range(n, P, q) for q in range(P)]
        lo, hi = ranges[self.comm.rank]
        pieces, gathers, off = [], [], 0
        for i, (size, dt) in enumerate(layout):
            a, b = max(lo, off), min(hi, off + size)
            if a < b:
                pieces.append(_Piece(i, a - off, b - off, self._new_piece(size, dt, a - off,
                                                                          b - off)))
            counts = [max(0, min(q1, off + size) - max(q0, off)) for q0, q1 in ranges]
            displs = [min(max(q0 - off, 0), size) for q0, _ in ranges]
            gathers.append((counts, displs, mpi_type(dt)))
            off += size
        self._layout, self._pieces, self._gathers = layout, pieces, gathers

    def _new_piece(self, size: int, dtype: np.dtype, a: int, b: int):
        """The optimizer of elements ``[a, b)`` of an array of ``size`` elements."""
        opt = self._cls(**self._kw)
        rule = opt._rule
        changes: dict = {}
        if rule.split is not None:
            s = rule.split(size, dtype == np.float32)
            bounds = (0, int(s), size) if isinstance(s, (int, np.integer)) \
                else tuple(int(v) for v in s)
            local = tuple(min(max(v - a, 0), b - a) for v in bounds)
            changes["split"] = lambda n, f32, local=local: local
        if rule.prepare is not None:
            changes["prepare"] = lambda hp, grads: self._prepared
        if changes:
            opt._with_rule(dataclasses.replace(rule, **changes))
        opt.t = self._t
        return opt

    # -- properties ------------------------------------------------------------------------

    @property
    def t(self) -> int:
        """The number of steps taken."""
        return self._t

    @property
    def lr(self):
        return self._template.lr

    @lr.setter
    def lr(self, value) -> None:
        self._template.lr = value
        for p in self._pieces:
            p.opt.lr = value

    @property
    def preset(self) -> Optional[str]:
        return self._template.preset

    @property
    def hyperparameters(self) -> dict:
        return self._template.hyperparameters

    @property
    def state_nbytes(self) -> int:
        """Bytes of optimizer state held by this rank."""
        return sum(a.nbytes for p in self._pieces for st in (p.opt._state or ())
                   for a in st.values())

    def __repr__(self) -> str:
        return (f"ShardedOptimizer({self._template!r}, rank {self.comm.rank} of "
                f"{self.comm.size}, shard {self.shard})")

    # -- the step ----------------------------------------------------------------------------

    def _check(self, params: Any, grads: Any, lr_mult: Any) -> tuple:
        ps = _as_list(params, "params")
        gs = [None] * len(ps) if grads is None else _as_list(grads, "grads")
        if len(ps) != len(gs):
            raise ValueError(f"{len(ps)} parameter arrays and {len(gs)} gradients")
        for i, (p, g) in enumerate(zip(ps, gs)):
            if p.dtype not in (np.float32, np.float64):
                raise TypeError(f"params[{i}] has dtype {p.dtype}; float32 or float64 needed")
            if not (p.flags.c_contiguous and p.flags.writeable):
                raise ValueError(f"params[{i}] must be C-contiguous and writeable")
            if g is not None and (g.dtype != p.dtype or g.shape != p.shape):
                raise ValueError(f"grads[{i}] ({g.dtype}, {g.shape}) does not match params[{i}]"
                                 f" ({p.dtype}, {p.shape})")
        layout = tuple((p.size, p.dtype) for p in ps)
        if self._layout is None:
            self._build(layout)
        elif layout != self._layout:
            raise ValueError(f"the parameters {layout} are not those of the first step "
                             f"{self._layout}")
        mults = None
        if lr_mult is not None:
            mults = [check_real(f"lr_mult[{i}]", m, 0.0) for i, m in enumerate(lr_mult)]
            if len(mults) != len(ps):
                raise ValueError(f"lr_mult has {len(mults)} entries for {len(ps)} arrays")
        return ps, gs, mults

    def _update(self, ps: list, grad_of: Any, mults: Optional[list]) -> None:
        for pc in self._pieces:
            p = ps[pc.array].reshape(-1)[pc.start:pc.stop]
            pc.opt.step(p, grad_of(pc),
                        lr_mult=None if mults is None else [mults[pc.array]])
        self._t += 1

    def _gather(self, ps: list) -> None:
        for p, (counts, displs, _) in zip(ps, self._gathers):
            if p.size:
                gather(self.comm, p.reshape(-1), counts, displs)

    def step(self, params: Any, grads: Any, lr_mult: Optional[Sequence[float]] = None
             ) -> None:
        """One update from the whole gradients (the same on every rank, e.g.
        :meth:`BlockSum.allreduce`'s); the parameters are gathered on every rank.

        Collective.  Every input is checked before anything is written; an error on any
        rank raises on every rank."""
        error = None
        try:
            ps, gs, mults = self._check(params, grads, lr_mult)
            if self._rule.prepare is not None:         # a norm of all the gradients
                self._prepared = self._rule.prepare(self._template._hp, gs)
            flat = [g.reshape(-1) for g in gs]
            self._update(ps, lambda pc: flat[pc.array][pc.start:pc.stop], mults)
        except Exception as e:
            error = e
        agree(self.comm, error)
        self._gather(ps)

    def step_shard(self, params: Any, grad_shard: np.ndarray,
                   lr_mult: Optional[Sequence[float]] = None) -> None:
        """One update from this rank's shard of the gradient only (``shard[1] - shard[0]``
        elements of the flattened gradient, as :meth:`BlockSum.reduce_scatter` returns
        it; one dtype for all the parameters).  Collective, like :meth:`step`."""
        error = None
        try:
            ps, _, mults = self._check(params, None, lr_mult)
            if self._rule.prepare is not None:
                raise ValueError(f"preset {self.preset!r} computes a norm of all the "
                                 "gradients (clipping): use step() with the whole gradients")
            lo, hi = self.shard
            g = np.asarray(grad_shard)
            if g.ndim != 1 or g.size != hi - lo or any(d != g.dtype for _, d in self._layout):
                raise ValueError(f"grad_shard must be 1-D with {hi - lo} elements of the "
                                 f"parameters' dtype, got {g.dtype}, {g.shape}")
            starts = np.cumsum([0] + [s for s, _ in self._layout]).tolist()
            self._update(ps, lambda pc: g[starts[pc.array] + pc.start - lo:
                                          starts[pc.array] + pc.stop - lo], mults)
        except Exception as e:
            error = e
        agree(self.comm, error)
        self._gather(ps)

    # -- state ---------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """This rank's shard of the state: a copy, with the layout it belongs to."""
        tpl = self._template
        return {"format": _FORMAT, "t": self._t, "family": tpl._family, "preset": tpl.preset,
                "ops": dict(tpl._kernel.ops), "hyperparameters": tpl.hyperparameters,
                "layout": None if self._layout is None
                else [(s, np.dtype(d).str) for s, d in self._layout],
                "nranks": self.comm.size, "rank": self.comm.rank,
                "pieces": [{"array": p.array, "start": p.start, "stop": p.stop,
                            "state": None if p.opt._state is None else
                            {k: v.copy() for k, v in p.opt._state[0].items()}}
                           for p in self._pieces]}

    def load_state_dict(self, shards: Union[dict, Sequence[dict]]) -> None:
        """Restore from the shards saved on any number of ranks (a list of their
        :meth:`state_dict`, in any order, covering at least this rank's elements), or from
        one unsharded optimizer's ``state_dict()``.  Collective."""
        error = None
        try:
            self._load(shards)
        except Exception as e:
            error = e
        agree(self.comm, error)

    def _load(self, shards: Any) -> None:
        shards = [_from_unsharded(shards)] if isinstance(shards, dict) \
            and shards.get("format") != _FORMAT else \
            [shards] if isinstance(shards, dict) else list(shards)
        if not shards or any(not isinstance(s, dict) or s.get("format") != _FORMAT
                             for s in shards):
            raise ValueError("not adamkit.mpi shard state_dicts")
        ops = dict(self._template._kernel.ops)
        ts = {int(s["t"]) for s in shards}
        layouts = {None if s["layout"] is None else tuple(map(tuple, s["layout"]))
                   for s in shards}
        if len(ts) != 1 or len(layouts) != 1:
            raise ValueError(f"the shards are of different steps or layouts: t {sorted(ts)}")
        if any(dict(s["ops"]) != ops for s in shards):
            raise ValueError("the state was made by a different update rule: "
                             f"{shards[0]['ops']} != {ops}")
        t = ts.pop()
        layout: Any = layouts.pop()
        if layout is not None:
            layout = tuple((int(s), np.dtype(d)) for s, d in layout)
            if self._layout is not None and layout != self._layout:
                raise ValueError(f"the state is for parameters {layout}, this optimizer "
                                 f"steps {self._layout}")
            self._layout = None
            self._t = t
            self._build(layout)
        self._t = t
        for pc in self._pieces:
            pc.opt.load_state_dict({"t": t, "ops": dict(pc.opt._kernel.ops),
                                    "state": _assemble(shards, pc, layout)})

    def full_state_dict(self) -> dict:
        """The unsharded optimizer's ``state_dict()`` (gathered on every rank):
        ``adamkit.Adam(...).load_state_dict`` takes it.  Collective."""
        shards = self.comm.allgather(self.state_dict())
        tpl = self._template
        state = None
        if self._layout is not None and any(p["state"] is not None
                                            for s in shards for p in s["pieces"]):
            state = [_assemble(shards, _Piece(i, 0, size, None), self._layout)[0]
                     for i, (size, _) in enumerate(self._layout)]
        return {"t": self._t, "family": tpl._family, "preset": tpl.preset,
                "ops": dict(tpl._kernel.ops), "hyperparameters": tpl.hyperparameters,
                "state": state}


def _assemble(shards: list, pc: _Piece, layout: tuple) -> Any:
    """The state of elements ``[pc.start, pc.stop)`` of array ``pc.array`` from the
    shards' pieces (None if the shards hold no state yet)."""
    out, covered = None, 0
    for s in shards:
        for piece in s["pieces"]:
            a, b = max(pc.start, piece["start"]), min(pc.stop, piece["stop"])
            if piece["array"] != pc.array or a >= b:
                continue
            if piece["state"] is None:
                continue
            if out is None:
                dt = layout[pc.array][1]
                out = {k: np.empty(pc.stop - pc.start, dtype=dt) for k in piece["state"]}
            for k, v in piece["state"].items():
                out[k][a - pc.start:b - pc.start] = v[a - piece["start"]:b - piece["start"]]
            covered += b - a
    stateless = all(piece["state"] is None for s in shards for piece in s["pieces"])
    if out is None and stateless:
        return None                       # saved before the first step
    if covered != pc.stop - pc.start:
        raise ValueError(f"the shards cover {covered} of the {pc.stop - pc.start} elements "
                         f"[{pc.start}, {pc.stop}) of array {pc.array} (missing or "
                         "overlapping shards)")
    return [out]


def _from_unsharded(d: dict) -> dict:
    """One unsharded optimizer's state_dict as a single shard holding everything."""
    if not isinstance(d, dict) or not {"t", "ops", "state"} <= set(d):
        raise ValueError("not an adamkit state_dict (needs keys 't', 'ops', 'state')")
    state = d["state"]
    if state is None:
        return {"format": _FORMAT, "t": d["t"], "ops": d["ops"], "layout": None,
                "pieces": []}
    layout, pieces = [], []
    for i, st in enumerate(state):
        arrs = {k: np.asarray(v).reshape(-1) for k, v in st.items()}
        first = next(iter(arrs.values()))
        layout.append((first.size, first.dtype.str))
        pieces.append({"array": i, "start": 0, "stop": first.size, "state": arrs})
    return {"format": _FORMAT, "t": d["t"], "ops": d["ops"], "layout": layout,
            "pieces": pieces}
