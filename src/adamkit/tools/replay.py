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
    """Replay one recording; see the module docstring. Returns a :class:`ReplayResult`.
    ``options`` override the preset's (e.g. ``portable=True``: every estimate by its
    software model)."""
    row, hp = presets.for_recording(meta)
    hp.update(options)
    framework, optimizer = row.framework, row.optimizer
    opt = make_optimizer(framework, optimizer, hp, n_threads=n_threads)
    unknown = set(states) - set(row.states)
    if unknown:
        raise ValueError(f"{name}: state arrays {sorted(unknown)} are not known to the "
                         f"{framework} {optimizer} preset ({sorted(row.states)})")
    p = params[0].copy()
    # start from the recorded initial state (framework names -> adamkit buffers)
    needed = opt._needed_state()
    init = {}
    for fw_name, buf in row.states.items():
        if fw_name in states:
            init[buf] = states[fw_name][0].copy()
    for buf in needed:
        init.setdefault(buf, opt._new_state(p)[buf])
    opt.load_state_dict({"t": 0, "ops": opt.state_dict()["ops"], "state": [init]})
    T = grads.shape[0]
    per_step = np.zeros(T)
    maxes = {"params": 0.0, **{k: 0.0 for k in states}}
    first_array = ""
    for t in range(1, T + 1):
        opt.step(p, grads[t - 1])
        worst = 0.0
        st = opt._state[0]
        pairs = [("params", p, params[t])] + [(k, st[row.states[k]], arr[t])
                                              for k, arr in states.items()]
        for label, got, want in pairs:
            d = ulp_distance(got, want).max(initial=0.0)
            maxes[label] = max(maxes[label], d)
            if d and not first_array:
                first_array = label
            worst = max(worst, d)
        per_step[t - 1] = worst
    nz = np.flatnonzero(per_step)
    cpu = _cpu.from_meta(meta)
    context = {**presets.context(row, opt.hyperparameters),
               **({"recorded_cpu": cpu.describe()} if cpu else {})}
    return ReplayResult(name, framework, optimizer, str(params.dtype), T, maxes,
                        int(nz[0]) + 1 if nz.size else 0, per_step, first_array, context)


def replay_file(path, n_threads=None, **options):
    """Replay a trajectory ``.npz`` file (golden or live recording), read with the checked
    loader of :mod:`adamkit.tools.trajectory`."""
    traj = trajectory.load(path)
    return replay(traj.grads, traj.params, traj.states, traj.meta,
                  name=os.path.basename(path), n_threads=n_threads, **options)
