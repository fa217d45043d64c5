"""Replay a trajectory file through the matching preset and measure the distance in ULPs.

A trajectory file (:mod:`adamkit.tools.trajectory` documents the format; the golden files of
``conformance/golden/`` are examples) records a gradient stream fed to a real framework and
the parameters and optimizer state it produced after every step. ``replay`` feeds the same
gradients to adamkit's preset for that framework, from the same initial state, and compares
every step's parameters and state, bit for bit.

A recording of real training (several arrays, a learning-rate schedule) is replayed with
the learning rate the framework used at each step (its ``lr`` member), so that the
optimizer's arithmetic is checked on its own, or with adamkit's schedule for the one
``meta["schedule"]`` describes (``lr_source="schedule"``). Parameter groups with their own
hyper-parameters (``meta["param_groups"]``) get one optimizer each, as the frameworks step
them.
"""

import dataclasses
import os

import numpy as np

from .. import _cpu, presets, schedules
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
        """The bit patterns as integers in the order of the values (-0 and +0 equal)."""
        i = x.view(itype).astype(np.int64)
        return np.where(i < 0, -(i & ((1 << bits) - 1)), i)

    # The difference of two int64 can overflow and a float64 holds only 53 bits of it, so
    # it is formed from 32-bit halves, each difference exact: exact below 2**53 ULP
    ia, ib = ordered(a), ordered(b)
    hi = (ia >> 32).astype(np.float64) - (ib >> 32).astype(np.float64)
    lo = (ia & 0xFFFFFFFF).astype(np.float64) - (ib & 0xFFFFFFFF).astype(np.float64)
    d = np.abs(hi * 4294967296.0 + lo)
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
    lr_source: str = ""          # "recorded", "schedule" or "" (the hyper-parameter)
    arrays: list = dataclasses.field(default_factory=list)   # the arrays' names, if named

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


def groups(meta, K):
    """The parameter groups of a recording: [(array indices, the group's metadata)]. One
    group of every array, unless ``meta["param_groups"]`` lists groups, each
    ``{"arrays": [k, ...], "hyperparameters": {...}}`` with the hyper-parameters in which
    it differs (the framework's names)."""
    listed = meta.get("param_groups")
    if not listed:
        return [(list(range(K)), meta)]
    out, seen = [], []
    base = dict(meta.get("hyperparameters_effective") or meta.get("hyperparameters") or {})
    for g in listed:
        idx = [int(k) for k in g["arrays"]]
        seen += idx
        out.append((idx, {**meta, "hyperparameters_effective": {
            **base, **(g.get("hyperparameters") or {})}}))
    if sorted(seen) != list(range(K)):
        raise ValueError(f"param_groups must cover each of the {K} arrays once: {listed}")
    return out


def _keras_run(meta):
    """backend, mode, floatx and x64 of a Keras 3 recording (its framework name and dtype)."""
    backend = meta["framework"].split("_")[1]
    eager = meta["framework"].endswith("_eager")
    mode = "eager" if eager or backend == "torch" else ("jit" if backend == "jax" else
                                                         "function")
    version = meta.get("version") if isinstance(meta.get("version"), dict) else {}
    x64 = bool(version.get("jax_enable_x64")) or str(
        (meta.get("env") or {}).get("JAX_ENABLE_X64", "")) in ("1", "true", "True")
    return {"backend": backend, "mode": mode, "floatx": meta.get("dtype", "float32"),
            "x64": x64}


def _piece(meta, piece, lr0):
    """One piece of a real-training recording's ``meta["schedule"]["pieces"]`` as the
    framework's exact schedule (``adamkit.schedules.<framework>``), or None."""
    name, args = piece.get("name"), dict(piece.get("args") or {})
    fw = meta["framework"]
    if fw in ("torch", "pytorch"):
        return ("torch", (name, args))
    if fw.startswith("keras_") and fw != "keras_adamw":
        return schedules.keras.from_config({"class": name, "config": args, **_keras_run(meta)})
    if fw == "tf_keras" and name == "ExponentialDecay":   # TF's own ExponentialDecay
        return schedules.tensorflow.exponential_decay(
            args["initial_learning_rate"], args["decay_steps"], args["decay_rate"],
            args.get("staircase", False))
    if name == "tf.compat.v1.train.exponential_decay":
        return schedules.tensorflow.exponential_decay(
            args["learning_rate"], args["decay_steps"], args["decay_rate"],
            args.get("staircase", False))
    if name == "optax.exponential_decay":
        jit = bool(meta.get("jit", True))
        return schedules.optax.exponential_decay(**args, jit=jit, x64=meta.get("dtype") ==
                                                 "float64")
    if name == "FactorScheduler":
        return schedules.mxnet.FactorScheduler(lr0, args["step"], args["factor"],
                                               args.get("stop_factor_lr", 1e-8))
    if name == "ExponentialShift":
        return schedules.chainer.ExponentialShift(lr0, args["rate"], args.get("every", 1),
                                                  args.get("target"))
    return None


def schedule_from_meta(meta, lr0):
    """The framework's exact schedule for ``meta["schedule"]``, from the rate ``lr0``, or
    None when adamkit does not have it. Two forms: a schedule configuration
    (:func:`adamkit.schedules.from_config`), or a real-training recording's ``pieces``
    (several pieces: torch schedulers on one optimizer, all stepped)."""
    sched = meta.get("schedule") or {}
    if not sched:
        return None
    if "pieces" not in sched:
        return schedules.from_config(meta["framework"], sched)
    pieces = sched["pieces"]
    if not pieces:
        return None
    made = [_piece(meta, p, lr0) for p in pieces]
    if any(m is None for m in made):
        return None
    if isinstance(made[0], tuple):             # torch schedulers on one optimizer
        specs = [m[1] for m in made]
        return schedules.pytorch.chain(lr0, specs) if len(specs) > 1 else \
            schedules.pytorch.from_config({"lr": lr0, "scheduler": specs[0]})
    if len(made) != 1:
        return None
    return made[0]


def _rates(lr, idx, g, T):
    """The learning rate of group ``g`` (arrays ``idx``) from replay's ``lr``."""
    if lr is None:
        return None
    if callable(lr):
        return lr
    if isinstance(lr, (list, tuple)):
        return lr[g]
    lr = np.asarray(lr, dtype=np.float64)
    col = lr if lr.ndim == 1 else lr[:, idx[0]]
    if lr.ndim == 2 and not all(np.array_equal(col, lr[:, k]) for k in idx):
        raise ValueError(f"arrays {idx} of one group have different recorded rates")
    if col.shape != (T,):
        raise ValueError(f"{col.shape[0]} recorded rates for {T} steps")
    rates = [float(x) for x in col]
    return lambda t: rates[t]


def replay(grads, params, states, meta, name="", n_threads=None, lr=None, **options):
    """Replay one recording; see the module docstring. ``grads``, ``params`` and ``states``
    are one array's, or lists with one entry per array (a multi-array recording: the
    optimizer steps them together; each parameter group has its own optimizer).

    ``lr`` replaces the recorded learning-rate hyper-parameter: the rates of every step,
    (T,) or one column per array (T, K), or a schedule ``lr(t)``, or one schedule per
    parameter group. ``options`` override the preset's (e.g. ``portable=True``: every
    estimate by its software model). Returns a :class:`ReplayResult` (a multi-array one
    labels each array's entries ``[k]``)."""
    multi = isinstance(grads, list)
    G, P, S_ = (grads, params, states) if multi else ([grads], [params], [states])
    T = len(G[0]) if G else 0
    for k, (g, p, st) in enumerate(zip(G, P, S_)):  # a start and a row per step (issue 13)
        if len(g) != T or len(p) != T + 1 or any(len(a) != T + 1 for a in st.values()):
            raise ValueError(f"{name}: array {k} needs {T} gradient rows and {T + 1} rows "
                             "of params and of each state")
    opts = []
    for g, (idx, meta_g) in enumerate(groups(meta, len(G))):
        row, hp = presets.for_recording(meta_g)
        hp.update(options)
        rates = _rates(lr, idx, g, T)
        if rates is not None:
            hp[row.lr_name] = rates
        elif meta.get("schedule") and "pieces" not in meta["schedule"]:
            hp[row.lr_name] = schedules.from_config(meta["framework"], meta["schedule"])
        opt = make_optimizer(row.framework, row.optimizer, hp, n_threads=n_threads)
        for k in idx:
            unknown = set(S_[k]) - set(row.states)
            if unknown:
                raise ValueError(f"{name}: state arrays {sorted(unknown)} are not known to "
                                 f"the {row.framework} {row.optimizer} preset "
                                 f"({sorted(row.states)})")
        ps = [np.array(P[k][0]) for k in idx]      # an ndarray also for a 0-d array
        # start from the recorded initial state (framework names -> adamkit buffers)
        init = []
        for p, k in zip(ps, idx):
            buffers = {buf: S_[k][fw][0].reshape(-1).copy() for fw, buf in row.states.items()
                       if fw in S_[k]}
            fresh = opt._new_state(p)
            init.append({buf: buffers.get(buf, fresh[buf]) for buf in opt._needed_state()})
        ops = opt._rule_for([p.shape for p in ps]).ops
        opt.load_state_dict({"t": 0, "ops": Kernel(row.family, dict(ops)).ops, "state": init})
        opts.append((row, opt, idx, ps))
    per_step = np.zeros(T)
    label = (lambda k, what: f"{what}[{k}]") if multi else (lambda k, what: what)
    maxes = {}
    first_array = ""
    for t in range(1, T + 1):
        worst = 0.0
        for row, opt, idx, ps in opts:
            opt.step(ps if multi else ps[0], [np.asarray(G[k][t - 1]) for k in idx] if multi
                     else G[0][t - 1])
        for row, opt, idx, ps in opts:
            for j, (p, k) in enumerate(zip(ps, idx)):
                mine = opt._state[j]
                pairs = [(label(k, "params"), p, P[k][t])] + [
                    (label(k, fw), mine[row.states[fw]].reshape(arr[t].shape), arr[t])
                    for fw, arr in S_[k].items()]
                for what, got, want in pairs:
                    d = ulp_distance(got, want).max(initial=0.0)
                    maxes[what] = max(maxes.get(what, 0.0), d)
                    if d and not first_array:
                        first_array = what
                    worst = max(worst, d)
        per_step[t - 1] = worst
    nz = np.flatnonzero(per_step)
    cpu = _cpu.from_meta(meta)
    row, opt = opts[0][0], opts[0][1]
    context = {**presets.context(row, opt.hyperparameters),
               **({"recorded_cpu": cpu.describe()} if cpu else {})}
    names = [a.get("name", "") for a in meta.get("arrays") or []]
    return ReplayResult(name, row.framework, row.optimizer, str(P[0].dtype), T, maxes,
                        int(nz[0]) + 1 if nz.size else 0, per_step, first_array, context,
                        arrays=names)


def lr_sources(traj):
    """The learning-rate sources a recording can be replayed with (``replay_file``'s
    ``lr_source``): ``"recorded"`` if it records each step's rate (else None: its
    hyper-parameter), then ``"schedule"`` if adamkit has its schedule."""
    out = ["recorded" if traj.lr is not None else None]
    if schedule_from_meta(traj.meta, 1.0) is not None:
        out.append("schedule")
    return out


def replay_trajectory(traj, name="", n_threads=None, lr_source=None, **options):
    """Replay a loaded :class:`~adamkit.tools.trajectory.Trajectory`.

    ``lr_source`` says which learning rate each step takes: ``"recorded"`` the file's
    ``lr`` member, ``"schedule"`` adamkit's schedule for ``meta["schedule"]`` (from each
    group's recorded initial rate), ``"constant"`` the recorded hyper-parameter; None
    (the default) the file's ``lr`` member if it has one, else the hyper-parameter."""
    lr, source = None, ""
    if lr_source == "schedule":
        lr = []
        for _, meta_g in groups(traj.meta, len(traj.grads) if traj.multi else 1):
            row, hp = presets.for_recording(meta_g)
            s = schedule_from_meta(traj.meta, hp[row.lr_name])
            if s is None:
                raise ValueError(f"{name}: no schedule adamkit has "
                                 f"({(traj.meta.get('schedule') or {}).get('pieces')})")
            lr.append(s)
        source = "schedule"
    elif lr_source in (None, "recorded") and traj.lr is not None:
        lr, source = traj.lr, "recorded"
    elif lr_source == "recorded":
        raise ValueError(f"{name}: the file records no learning rates")
    elif lr_source not in (None, "constant"):
        raise ValueError(f"lr_source must be None, 'recorded', 'schedule' or 'constant', "
                         f"not {lr_source!r}")
    r = replay(traj.grads, traj.params, traj.states, traj.meta, name=name,
               n_threads=n_threads, lr=lr, **options)
    r.lr_source = source
    return r


def replay_file(path, n_threads=None, lr_source=None, max_bytes=None, **options):
    """Replay a trajectory ``.npz`` file (golden or live recording), read with the checked
    loader of :mod:`adamkit.tools.trajectory` (``max_bytes``: trust the file to inflate to
    that many bytes); ``lr_source`` as for :func:`replay_trajectory`."""
    return replay_trajectory(trajectory.load(path, max_bytes=max_bytes),
                             os.path.basename(path), n_threads, lr_source, **options)
