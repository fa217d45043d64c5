"""Replay a trajectory file through the matching preset and measure the distance in ULPs.

A trajectory file (:mod:`adamkit.tools.trajectory` documents the format; the golden files of
``conformance/golden/`` are examples) records a gradient stream fed to a real framework and
the parameters and optimizer state it produced after every step. ``replay`` feeds the same
gradients to adamkit's preset for that framework, from the same initial state, and compares
every step's parameters and state, bit for bit.
"""

import dataclasses
import os

import numpy as np

from .. import _cpu, presets
from .._kernels import Kernel
from .._optim import Adam, RMSProp
from . import trajectory


def ulp_distance(a, b):
    """Elementwise distance in units in the last place between two float arrays of one
    dtype: the number of representable values between them (0 = bit-identical up to the
    sign of zero; NaN against NaN = 0; NaN against a number = the dtype's maximum)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != b.dtype:
        raise TypeError(f"dtypes differ: {a.dtype} vs {b.dtype}")
    itype, bits = (np.int32, 31) if a.dtype == np.float32 else (np.int64, 63)

    def ordered(x):
        i = x.view(itype).astype(np.int64) if itype is np.int32 else x.view(itype)
        return np.where(i < 0, -(i & ((1 << bits) - 1)), i)

    with np.errstate(over="ignore"):
        d = np.abs(ordered(a).astype(np.float64) - ordered(b).astype(np.float64))
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    d = np.where(nan_a & nan_b, 0.0, d)
    d = np.where(nan_a ^ nan_b, float(2 ** bits), d)
    return d


@dataclasses.dataclass
class ReplayResult:
    name: str
    framework: str
    optimizer: str
    dtype: str
    steps: int
    max_ulp: dict              # "params" and each state name -> max over all steps
    first_diff_step: int       # first step with a difference, or 0
    ulp_by_step: np.ndarray    # (T,) max over params and states at each step
    first_diff_array: str = ""   # the array (params or a state) that differs first
    context: dict = dataclasses.field(default_factory=dict)   # the CPU path replayed

    @property
    def worst(self):
        return max(self.max_ulp.values()) if self.max_ulp else 0.0

    @property
    def identical(self):
        return self.worst == 0


def make_optimizer(framework, optimizer, hyperparameters, n_threads=None):
    """An optimizer object running the preset of ``framework``/``optimizer`` with the
    framework's own hyper-parameter names (as the files record them)."""
    row = presets.get(framework, optimizer)
    cls = Adam if row.family == "adam" else RMSProp
    return cls(preset=f"{row.framework}.{row.optimizer}", n_threads=n_threads,
               **hyperparameters)


def replay(grads, params, states, meta, name="", n_threads=None, **options):
    """Replay one recording; see the module docstring. ``grads``, ``params`` and ``states``
    are one array's, or lists with one entry per array (a multi-array recording: the
    optimizer steps them together). ``options`` override the preset's (e.g.
    ``portable=True``: every estimate by its software model). Returns a
    :class:`ReplayResult` (a multi-array one labels each array's entries ``[k]``)."""
    multi = isinstance(grads, list)
    G, P, S = (grads, params, states) if multi else ([grads], [params], [states])
    row, hp = presets.for_recording(meta)
    hp.update(options)
    framework, optimizer = row.framework, row.optimizer
    opt = make_optimizer(framework, optimizer, hp, n_threads=n_threads)
    for st in S:
        unknown = set(st) - set(row.states)
        if unknown:
            raise ValueError(f"{name}: state arrays {sorted(unknown)} are not known to the "
                             f"{framework} {optimizer} preset ({sorted(row.states)})")
    ps = [np.array(p[0]) for p in P]            # an ndarray also for a 0-d array
    # start from the recorded initial state (framework names -> adamkit buffers)
    init = []
    for p, st in zip(ps, S):
        buffers = {buf: st[fw][0].reshape(-1).copy() for fw, buf in row.states.items()
                   if fw in st}
        fresh = opt._new_state(p)
        init.append({buf: buffers.get(buf, fresh[buf]) for buf in opt._needed_state()})
    ops = opt._rule_for([p.shape for p in ps]).ops
    opt.load_state_dict({"t": 0, "ops": Kernel(row.family, dict(ops)).ops, "state": init})
    T = G[0].shape[0]
    per_step = np.zeros(T)
    label = (lambda k, what: f"{what}[{k}]") if multi else (lambda k, what: what)
    maxes = {}
    first_array = ""
    for t in range(1, T + 1):
        opt.step(ps if multi else ps[0],
                 [np.asarray(g[t - 1]) for g in G] if multi else G[0][t - 1])
        worst = 0.0
        for k, (p, want_p, st) in enumerate(zip(ps, P, S)):
            mine = opt._state[k]
            pairs = [(label(k, "params"), p, want_p[t])] + [
                (label(k, fw), mine[row.states[fw]].reshape(arr[t].shape), arr[t])
                for fw, arr in st.items()]
            for what, got, want in pairs:
                d = ulp_distance(got, want).max(initial=0.0)
                maxes[what] = max(maxes.get(what, 0.0), d)
                if d and not first_array:
                    first_array = what
                worst = max(worst, d)
        per_step[t - 1] = worst
    nz = np.flatnonzero(per_step)
    cpu = _cpu.from_meta(meta)
    context = {**presets.context(row, opt.hyperparameters),
               **({"recorded_cpu": cpu.describe()} if cpu else {})}
    return ReplayResult(name, framework, optimizer, str(P[0].dtype), T, maxes,
                        int(nz[0]) + 1 if nz.size else 0, per_step, first_array, context)


def replay_file(path, n_threads=None, **options):
    """Replay a trajectory ``.npz`` file (golden or live recording), read with the checked
    loader of :mod:`adamkit.tools.trajectory`."""
    traj = trajectory.load(path)
    return replay(traj.grads, traj.params, traj.states, traj.meta,
                  name=os.path.basename(path), n_threads=n_threads, **options)
