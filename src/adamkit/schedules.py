"""Learning-rate schedules.

A *schedule* is any callable ``schedule(t) -> float`` where ``t`` is the number
of optimizer steps already taken (``t = 0`` for the first step).  Every
optimizer object accepts one as ``lr=`` and :func:`adamkit.minimize` accepts
one as the ``lr`` option.  The optimizer calls it once per step, so
it must be cheap and must not keep state: all schedules here are pure
functions of ``t`` (even Caffe's stateful ``multistep`` policy is computed in
closed form), so a restored optimizer resumes its schedule exactly.

The objects in this module are instances of :class:`Schedule` and compose:

``a >> b`` (or ``then(a, b)``)
    Run ``a`` for ``a.duration`` steps, then ``b`` with its clock restarted at
    0.  When ``a`` is a :func:`warmup`, the warm-up ramps linearly up to
    ``b(0)``; so ``warmup(100) >> cosine(1e-3, 900)`` is the usual "linear
    warm-up, then cosine decay" schedule.
``a * b`` (or ``a * 0.5``)
    Pointwise product on the same clock; ``warmup(100) * exponential_decay(...)``
    multiplies the decayed rate by the warm-up factor (``warmup(n)`` alone is
    the factor ``start_factor -> 1`` and stays 1 after ``n`` steps).

Plain callables can take part in both (``then(warmup(10), my_fn)``).

Per-parameter-group multipliers (Caffe's ``lr_mult``, keras-adamw's
``lr_multipliers``) are not schedules: pass them to ``optimizer.step(...,
lr_mult=...)`` or use the ``groups``/``lr_mult`` options of
:func:`adamkit.minimize`.

Examples
--------
>>> from adamkit import schedules as S
>>> s = S.warmup(100) >> S.cosine(1e-3, period=900)
>>> s(0), s(50), s(100), s(999)
(0.0, 0.0005, 0.001, 0.0)
>>> S.exponential_decay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)(25)
0.02500000037252903

The frameworks' own schedules, in each framework's arithmetic, are in one namespace per
framework, under the framework's names: ``S.tensorflow`` (``tf.compat.v1.train``),
``S.keras`` (Keras 3, per backend), ``S.pytorch`` (``torch.optim.lr_scheduler``),
``S.optax``, ``S.mxnet``, ``S.chainer``; :func:`from_config` builds one from the JSON
description a recording carries. Every value of those is verified bit for bit against the
framework (``tests/test_schedules_frameworks.py``).

>>> S.pytorch.StepLR(0.1, step_size=30, gamma=0.1)(60)
0.0010000000000000002
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Union

__all__ = [
    "Schedule", "constant", "exponential_decay", "inverse_time_decay",
    "inverse_sqrt_decay", "keras_decay", "caffe", "cosine", "sgdr",
    "warmup", "then", "from_config", "FrameworkSchedule",
    "tensorflow", "keras", "pytorch", "optax", "mxnet", "chainer",
]

ScheduleLike = Union["Schedule", Callable[[int], float], float]


class Schedule:
    """Base class of the schedules in this module.

    Subclasses implement ``__call__(t) -> float``.  ``duration`` is the number
    of steps after which the schedule is "done" (used by ``>>``/:func:`then`
    to place the next piece), or ``None`` for a schedule that runs forever.
    """

    duration: Optional[int] = None

    def __call__(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __rshift__(self, other: ScheduleLike) -> "Schedule":
        return then(self, other)

    def __rrshift__(self, other: ScheduleLike) -> "Schedule":
        return then(other, self)

    def __mul__(self, other: ScheduleLike) -> "Schedule":
        return _Product(self, _as_schedule(other))

    def __rmul__(self, other: ScheduleLike) -> "Schedule":
        return _Product(_as_schedule(other), self)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


class _Function(Schedule):
    """A plain callable (or a number) seen as a schedule."""

    def __init__(self, fn: Callable[[int], float], duration: Optional[int] = None):
        self.fn = fn
        self.duration = duration

    def __call__(self, t: int) -> float:
        return float(self.fn(t))


def _as_schedule(s: ScheduleLike) -> Schedule:
    if isinstance(s, Schedule):
        return s
    if callable(s):
        return _Function(s, getattr(s, "duration", None))
    if isinstance(s, (int, float)):
        return Constant(float(s))
    raise TypeError(f"expected a schedule, a callable t -> float or a number, got {s!r}")


class _Product(Schedule):
    def __init__(self, a: Schedule, b: Schedule):
        self.a, self.b = a, b
        da, db = a.duration, b.duration
        self.duration = None if da is None or db is None else max(da, db)

    def __call__(self, t: int) -> float:
        return float(self.a(t) * self.b(t))


# --------------------------------------------------------------------------
# Basic schedules
# --------------------------------------------------------------------------

class Constant(Schedule):
    r"""Constant rate, :math:`\eta_t = \eta`."""

    def __init__(self, learning_rate: float):
        self.learning_rate = float(learning_rate)

    def __call__(self, t: int) -> float:
        return self.learning_rate


def constant(learning_rate: float) -> Schedule:
    r"""Constant learning rate :math:`\eta_t = \eta` (Caffe's ``fixed``)."""
    return Constant(learning_rate)


def exponential_decay(learning_rate: float, decay_steps: int, decay_rate: float,
                      staircase: bool = False, dtype: str = "float32") -> Schedule:
    r"""TensorFlow's exponential decay, exactly as TensorFlow computes it.

    .. math:: \eta_t = \eta \cdot r^{\,t / s}
              \quad(\text{staircase: } r^{\lfloor t / s \rfloor})

    This is :func:`tensorflow.exponential_decay <adamkit.schedules.tensorflow>`:
    ``tf.compat.v1.train.exponential_decay(learning_rate, global_step, decay_steps,
    decay_rate, staircase)`` with ``global_step = t`` (the TF1 optimizers increment it after
    each update), computed in float32 as TensorFlow does for a Python float
    ``learning_rate`` (``dtype="float64"``: a float64 ``learning_rate`` tensor): every op
    rounded to float32, glibc's ``powf``, flush-to-zero; the value is a float32 number.
    ``tf.keras.optimizers.schedules.ExponentialDecay`` (tf_keras) gives the same values;
    Keras 3 and optax have their own (``schedules.keras``, ``schedules.optax``).
    """
    return tensorflow.exponential_decay(learning_rate, decay_steps, decay_rate, staircase,
                                        dtype=dtype)


def inverse_time_decay(learning_rate: float, decay_steps: int, decay_rate: float,
                       staircase: bool = False, dtype: str = "float32") -> Schedule:
    r"""TensorFlow's inverse-time decay, exactly as TensorFlow computes it.

    .. math:: \eta_t = \frac{\eta}{1 + r\, t / s}
              \quad(\text{staircase: } \lfloor t / s \rfloor)

    ``tf.compat.v1.train.inverse_time_decay`` (and tf_keras' ``InverseTimeDecay``) in
    float32 (``dtype``), op by op as TensorFlow's kernels: see :func:`exponential_decay`.
    """
    return tensorflow.inverse_time_decay(learning_rate, decay_steps, decay_rate, staircase,
                                         dtype=dtype)


class InverseSqrtDecay(Schedule):
    def __init__(self, learning_rate):
        self.learning_rate = float(learning_rate)

    def __call__(self, t: int) -> float:
        return self.learning_rate / math.sqrt(t + 1)


def inverse_sqrt_decay(learning_rate: float) -> Schedule:
    r"""The Adam paper's :math:`\alpha_t = \alpha / \sqrt{t}` (Kingma & Ba 2015, sec. 4).

    The paper counts steps from 1, so with adamkit's ``t`` (steps already
    taken) this is :math:`\eta_t = \eta / \sqrt{t + 1}`: the first step uses
    the full rate.
    """
    return InverseSqrtDecay(learning_rate)


class KerasDecay(Schedule):
    def __init__(self, learning_rate, decay):
        self.learning_rate = float(learning_rate)
        self.decay = float(decay)

    def __call__(self, t: int) -> float:
        return float(self.learning_rate * (1.0 / (1.0 + self.decay * t)))


def keras_decay(learning_rate: float, decay: float) -> Schedule:
    r"""Keras 2's ``decay`` argument of its optimizers.

    .. math:: \eta_t = \eta \cdot \frac{1}{1 + \text{decay}\cdot t}

    where Keras' ``iterations`` (steps already taken) is ``t``.
    """
    return KerasDecay(learning_rate, decay)


# --------------------------------------------------------------------------
# Caffe
# --------------------------------------------------------------------------

class Caffe(Schedule):
    def __init__(self, policy, base_lr, gamma=None, power=None, stepsize=None,
                 stepvalue=(), max_iter=None, dtype="float32"):
        from .presets import caffe as _caffe  # Caffe's own arithmetic, in one place
        _caffe.check_policy(policy, gamma, power, stepsize, max_iter)
        if str(dtype) not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64' (Caffe's Dtype), got {dtype!r}")
        self.policy = policy
        self.base_lr = float(base_lr)
        self.gamma = None if gamma is None else float(gamma)
        self.power = None if power is None else float(power)
        self.stepsize = None if stepsize is None else int(stepsize)
        self.stepvalue = tuple(int(s) for s in stepvalue)
        self.max_iter = None if max_iter is None else int(max_iter)
        self.dtype = str(dtype)
        self._rate = _caffe.learning_rate
        self._kw = dict(gamma=self.gamma or 0.0, power=self.power or 0.0,
                        stepsize=self.stepsize or 0, times=_caffe.multistep_times(self.stepvalue),
                        max_iter=self.max_iter or 0, f32=self.dtype == "float32")

    def __call__(self, t: int) -> float:
        return float(self._rate(self.policy, self.base_lr, t, **self._kw))


def caffe(policy: str, base_lr: float, *, gamma: Optional[float] = None,
          power: Optional[float] = None, stepsize: Optional[int] = None,
          stepvalue: Sequence[int] = (), max_iter: Optional[int] = None,
          dtype: str = "float32") -> Schedule:
    r"""Caffe's ``lr_policy`` (``SGDSolver<Dtype>::GetLearningRate``), with ``iter = t``.

    Arguments are named as the fields of Caffe's ``SolverParameter``.

    ==============  ==========================================================
    ``fixed``       :math:`\text{base\_lr}`
    ``step``        :math:`\text{base\_lr}\cdot\gamma^{\lfloor t/\text{stepsize}\rfloor}`
    ``exp``         :math:`\text{base\_lr}\cdot\gamma^{t}`
    ``inv``         :math:`\text{base\_lr}\cdot(1+\gamma t)^{-\text{power}}`
    ``multistep``   :math:`\text{base\_lr}\cdot\gamma^{k(t)}`, :math:`k(t)` the
                    number of ``stepvalue`` entries passed (advancing at most one
                    per iteration, as Caffe's stateful counter does)
    ``poly``        :math:`\text{base\_lr}\cdot(1 - t/\text{max\_iter})^{\text{power}}`
    ``sigmoid``     :math:`\text{base\_lr}\cdot 1/(1+e^{-\gamma(t-\text{stepsize})})`
    ==============  ==========================================================

    Computed as Caffe computes it (``adamkit.presets.caffe.learning_rate``): the solver's
    fields are float, ``pow(float, int)`` is a double ``pow``, the rest is in ``Dtype``
    (``dtype``, float32 by default; glibc powf/expf for float). Like Caffe, ``poly`` is
    only meaningful for ``t <= max_iter``: past it, C's ``pow`` returns NaN for a
    non-integer ``power`` and so does this schedule.
    """
    return Caffe(policy, base_lr, gamma=gamma, power=power, stepsize=stepsize,
                 stepvalue=stepvalue, max_iter=max_iter, dtype=dtype)


# --------------------------------------------------------------------------
# Cosine annealing / SGDR
# --------------------------------------------------------------------------

class CosineAnnealing(Schedule):
    def __init__(self, learning_rate, period, period_mult=1.0, eta_min=0.0,
                 eta_max=1.0, restarts=True):
        if int(period) != period or period < 2:
            raise ValueError("period must be an integer >= 2")
        if period_mult < 1:
            raise ValueError("period_mult must be >= 1")
        self.learning_rate = float(learning_rate)
        self.period = int(period)
        self.period_mult = float(period_mult)
        self.eta_min = float(eta_min)
        self.eta_max = float(eta_max)
        self.restarts = bool(restarts)
        self.duration = None if restarts else self.period

    def _position(self, t: int):
        """(t_cur, T_i): the step within the current period and its length."""
        T = self.period
        if self.period_mult == 1.0:
            return t % T, T
        i = 0
        start = 0
        while t >= start + T:
            start += T
            i += 1
            T = int(round(self.period * self.period_mult ** i))
        return t - start, T

    def __call__(self, t: int) -> float:
        if not self.restarts and t >= self.period:
            return self.learning_rate * self.eta_min
        t_cur, T = self._position(t)
        eta = self.eta_min + 0.5 * (self.eta_max - self.eta_min) * (
            1.0 + math.cos(math.pi * t_cur / (T - 1)))
        return float(self.learning_rate * eta)


def sgdr(learning_rate: float, period: int, period_mult: float = 1.0,
         eta_min: float = 0.0, eta_max: float = 1.0) -> Schedule:
    r"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017).

    As keras-adamw's ``use_cosine_annealing`` with ``autorestart``: within a
    period of :math:`T_i` steps, with :math:`t_{cur} = 0, \dots, T_i - 1`,

    .. math::
        \eta_t = \eta\left[\eta_{min} + \tfrac12(\eta_{max}-\eta_{min})
                 \left(1 + \cos\frac{\pi\, t_{cur}}{T_i - 1}\right)\right]

    so the first step of a period uses :math:`\eta\,\eta_{max}` and the last
    :math:`\eta\,\eta_{min}`; then :math:`t_{cur}` restarts at 0.  ``eta_min``
    and ``eta_max`` are multipliers of ``learning_rate`` (keras-adamw's
    convention).  Period lengths grow as
    :math:`T_i = \mathrm{round}(T_0\,m^i)` with ``period_mult`` :math:`m`
    (SGDR's :math:`T_{mult}`; keras-adamw itself has only ``m = 1``).

    This is keras-adamw's ``eta_t`` (``total_iterations`` = ``period``) at
    every step but the very first, where keras-adamw uses its variable's
    initial value 1.0 rather than ``eta_max`` (the two agree for the default
    ``eta_max = 1``).  keras-adamw computes in float32; this in float64 (the
    ``preset="keras_adamw"`` optimizer reproduces its float32 rounding).
    """
    return CosineAnnealing(learning_rate, period, period_mult, eta_min, eta_max,
                           restarts=True)


def cosine(learning_rate: float, period: int, eta_min: float = 0.0,
           eta_max: float = 1.0) -> Schedule:
    r"""One cosine decay from ``learning_rate*eta_max`` to ``learning_rate*eta_min``
    over ``period`` steps (the first period of :func:`sgdr`), then constant at
    ``learning_rate*eta_min``.  ``duration == period``.
    """
    return CosineAnnealing(learning_rate, period, 1.0, eta_min, eta_max,
                           restarts=False)


# --------------------------------------------------------------------------
# Warm-up and composition
# --------------------------------------------------------------------------

class Warmup(Schedule):
    def __init__(self, steps, start_factor=0.0, target=1.0):
        if int(steps) != steps or steps < 1:
            raise ValueError("steps must be a positive integer")
        self.steps = int(steps)
        self.start_factor = float(start_factor)
        self.target = float(target)
        self.duration = self.steps

    def __call__(self, t: int) -> float:
        if t >= self.steps:
            return self.target
        f = self.start_factor + (1.0 - self.start_factor) * (t / self.steps)
        return float(self.target * f)


def warmup(steps: int, start_factor: float = 0.0) -> Schedule:
    r"""Linear warm-up over ``steps`` steps.

    Alone, it is the factor

    .. math:: w_t = s + (1 - s)\,\min(t / n, 1)

    (``s = start_factor``, ``n = steps``), as PyTorch's ``LinearLR``; with the
    default ``s = 0`` the first step has rate 0, as the Hugging Face
    ``get_*_schedule_with_warmup`` schedules.  Compose it:

    * ``warmup(n) >> sched``: :math:`\eta_t = w_t\, \text{sched}(0)` for
      :math:`t < n`, then :math:`\text{sched}(t - n)`;
    * ``warmup(n) * sched``: :math:`\eta_t = w_t\, \text{sched}(t)` (same clock).
    """
    return Warmup(steps, start_factor)


class _Then(Schedule):
    def __init__(self, pieces, starts):
        self.pieces = pieces
        self.starts = starts
        last = pieces[-1].duration
        self.duration = None if last is None else starts[-1] + last

    def __call__(self, t: int) -> float:
        starts = self.starts
        i = len(starts) - 1
        while starts[i] > t:
            i -= 1
        return self.pieces[i](t - starts[i])

    def _params(self):
        return {"pieces": self.pieces, "starts": self.starts}


def then(*schedules: ScheduleLike, boundaries: Optional[Sequence[int]] = None) -> Schedule:
    """Run schedules one after another, each with its clock restarted at 0.

    Piece ``i`` starts at step ``boundaries[i-1]`` (``boundaries`` has one
    entry fewer than ``schedules``, positive and increasing); by default each
    piece lasts its ``duration`` (a piece without one must be last).  A
    :func:`warmup` piece ramps up to the value of the next piece at its start
    (and holds that value if its next piece starts later than ``steps``).
    ``a >> b`` is ``then(a, b)``; ``a >> b >> c`` is ``then(then(a, b), c)``,
    which is the same schedule as ``then(a, b, c)``.
    """
    if not schedules:
        raise ValueError("then() needs at least one schedule")
    pieces = [_as_schedule(s) for s in schedules]
    if boundaries is not None:
        boundaries = [int(b) for b in boundaries]
        if len(boundaries) != len(pieces) - 1:
            raise ValueError("boundaries must have one entry fewer than schedules")
        if any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:])) or \
                (boundaries and boundaries[0] <= 0):
            raise ValueError("boundaries must be positive and increasing")
        starts = [0] + boundaries
    else:
        starts = [0]
        for p in pieces[:-1]:
            if p.duration is None:
                raise ValueError(
                    f"{p!r} has no duration, so it must be the last piece "
                    "(or pass boundaries=)")
            starts.append(starts[-1] + p.duration)
    # bind warm-ups to the start value of the piece that follows them
    for k in range(len(pieces) - 1):
        if isinstance(pieces[k], Warmup):
            w = pieces[k]
            pieces[k] = Warmup(w.steps, w.start_factor,
                               target=w.target * pieces[k + 1](0))
    return _Then(pieces, starts)


# the frameworks' own schedules (their arithmetic lives in adamkit.presets.<framework>)
from ._schedules_fw import (  # noqa: E402
    FrameworkSchedule,
    chainer,
    from_config,
    keras,
    mxnet,
    optax,
    pytorch,
    tensorflow,
)
