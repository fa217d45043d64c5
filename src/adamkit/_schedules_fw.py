"""The frameworks' own learning-rate schedules, one namespace per framework
(``adamkit.schedules.tensorflow``, ``.keras``, ``.pytorch``, ``.optax``, ``.mxnet``,
``.chainer``), computed in each framework's arithmetic by its preset module's
``# -- schedules --`` section. Imported by :mod:`adamkit.schedules` only.

Why namespaces: the same name means different arithmetic in different frameworks
(``exponential_decay`` is float32 glibc ``powf`` in TensorFlow, and under ``jax.jit`` in
optax it is ``powf`` of ``count * (1/n)``; torch's schedulers are a recursion in doubles),
so each framework's schedules keep its own names, arguments and defaults, and a line of a
training script transcribes one to one (``tf.compat.v1.train.exponential_decay(0.01, gs,
100, 0.96)`` -> ``schedules.tensorflow.exponential_decay(0.01, 100, 0.96)``). Each
namespace has ``from_config(config)`` for the JSON description a recording carries, and
:func:`adamkit.schedules.from_config` dispatches on the framework's name.
"""

from .presets import chainer as _chainer
from .presets import keras as _keras
from .presets import mxnet as _mxnet
from .presets import optax as _optax
from .presets import pytorch as _pytorch
from .presets import tensorflow as _tf
from .schedules import Schedule

__all__ = ["FrameworkSchedule", "tensorflow", "keras", "pytorch", "optax", "mxnet", "chainer",
           "from_config"]


class FrameworkSchedule(Schedule):
    """A framework's schedule: ``s(t)`` is the rate the framework's optimizer uses at the
    step after ``t`` steps, as a Python float (a float32 value is exactly representable).
    ``framework``, ``name`` and ``params`` say what it reproduces; ``dtype`` is the dtype
    the framework computes it in."""

    def __init__(self, framework, name, fn, params, dtype="float64", duration=None):
        self.framework, self.name, self.params = framework, name, dict(params)
        self.dtype, self.duration = dtype, duration
        self._fn = fn

    def __call__(self, t):
        t = int(t)
        if t < 0:
            raise ValueError(f"t must be >= 0, got {t}")
        return float(self._fn(t))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"schedules.{self.framework}.{self.name}({args})"


def _args(kw):
    return {k: v for k, v in kw.items() if k != "self"}


# --------------------------------------------------------------------------
# TensorFlow 1 (tf.compat.v1.train)
# --------------------------------------------------------------------------

def _tf1(name, kw):
    kw = _args(kw)
    return FrameworkSchedule("tensorflow", name, _tf.TF1_SCHEDULES[name](**kw), kw,
                             dtype=kw.get("dtype", "float32"))


class tensorflow:  # noqa: N801 - a namespace named after the framework
    """``tf.compat.v1.train``'s learning-rate decays (TensorFlow 2.21), without
    ``global_step``: ``t`` is its value (the TF1 optimizers increment it after each update).
    Computed as TF's kernels compute them: op by op in ``dtype`` (the dtype of
    ``learning_rate``: float32 for a Python float), glibc ``powf``/``cosf``/``logf``/``expf``,
    flush-to-zero. ``tf.keras.optimizers.schedules`` (tf_keras) runs the same code. Verified
    against TensorFlow over t = 0..10000 (tests/test_schedules_frameworks.py)."""

    @staticmethod
    def exponential_decay(learning_rate, decay_steps, decay_rate, staircase=False,
                          dtype="float32"):
        """``learning_rate * decay_rate ** (t / decay_steps)`` (floored with staircase)."""
        return _tf1("exponential_decay", locals())

    @staticmethod
    def natural_exp_decay(learning_rate, decay_steps, decay_rate, staircase=False,
                          dtype="float32"):
        """exponential_decay with rate ``exp(-decay_rate)`` (a float32 ``expf``)."""
        return _tf1("natural_exp_decay", locals())

    @staticmethod
    def inverse_time_decay(learning_rate, decay_steps, decay_rate, staircase=False,
                           dtype="float32"):
        """``learning_rate / (1 + decay_rate * t / decay_steps)``."""
        return _tf1("inverse_time_decay", locals())

    @staticmethod
    def polynomial_decay(learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                         cycle=False, dtype="float32"):
        """``(lr - end) * (1 - t / decay_steps) ** power + end`` (t clipped, or the period
        stretched to ``ceil(t / decay_steps)`` periods with ``cycle``)."""
        return _tf1("polynomial_decay", locals())

    @staticmethod
    def cosine_decay(learning_rate, decay_steps, alpha=0.0, dtype="float32"):
        """``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(t, n) / n)) + alpha)``."""
        return _tf1("cosine_decay", locals())

    @staticmethod
    def cosine_decay_restarts(learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                              alpha=0.0, dtype="float32"):
        """SGDR: cosine periods growing by ``t_mul``, peaks scaled by ``m_mul``."""
        return _tf1("cosine_decay_restarts", locals())

    @staticmethod
    def piecewise_constant(boundaries, values, dtype="float32"):
        """``values[i]`` for ``boundaries[i-1] < t <= boundaries[i]``."""
        return _tf1("piecewise_constant", locals())

    @staticmethod
    def from_config(config):
        """``{"function": "tf.compat.v1.train.<name>", "args": {...}}`` (``"dtype":
        "float64"`` for a float64 ``learning_rate``)."""
        name, kw = _tf.tf1_from_config(config)
        return _tf1(name, kw)


# --------------------------------------------------------------------------
# Keras 3 (keras.optimizers.schedules)
# --------------------------------------------------------------------------

def _k(cls, kw):
    kw = _args(kw)
    run = {k: kw.pop(k) for k in ("backend", "mode", "floatx", "x64")}
    config = {k: v for k, v in kw.items() if v is not None or k == "warmup_target"}
    fn = _keras.keras_schedule(cls, config, **run)
    return FrameworkSchedule("keras", cls, fn, {**config, **run}, dtype=run["floatx"])


class keras:  # noqa: N801
    """``keras.optimizers.schedules`` (Keras 3.15) as a Keras optimizer evaluates them at
    each step, on ``backend`` ("tensorflow", "jax" or "torch") run as ``mode`` (TF:
    "function", as ``model.fit``, or "eager"; JAX: "jit", as the JAX trainer, or "eager";
    torch: "eager"; default: the trainer's), for variables of ``floatx``
    (``keras.config.floatx()``); ``x64``: JAX with ``jax_enable_x64`` (the schedule then
    runs in float64). Arguments as the classes'; ``from_config`` takes ``{"class",
    "config": get_config(), "backend", "mode", "floatx", "x64"}``. On the torch backend
    the cosine schedules are refused: torch.cos is MKL's, not reproduced."""

    @staticmethod
    def ExponentialDecay(initial_learning_rate, decay_steps, decay_rate,  # noqa: N802
                         staircase=False, *, backend="tensorflow", mode=None,
                         floatx="float32", x64=False):
        return _k("ExponentialDecay", locals())

    @staticmethod
    def InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate,  # noqa: N802
                         staircase=False, *, backend="tensorflow", mode=None,
                         floatx="float32", x64=False):
        return _k("InverseTimeDecay", locals())

    @staticmethod
    def PolynomialDecay(initial_learning_rate, decay_steps,  # noqa: N802
                        end_learning_rate=0.0001, power=1.0, cycle=False, *,
                        backend="tensorflow", mode=None, floatx="float32", x64=False):
        return _k("PolynomialDecay", locals())

    @staticmethod
    def CosineDecay(initial_learning_rate, decay_steps, alpha=0.0,  # noqa: N802
                    warmup_target=None, warmup_steps=0, *, backend="tensorflow", mode=None,
                    floatx="float32", x64=False):
        return _k("CosineDecay", locals())

    @staticmethod
    def CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0,  # noqa: N802
                            m_mul=1.0, alpha=0.0, *, backend="tensorflow", mode=None,
                            floatx="float32", x64=False):
        return _k("CosineDecayRestarts", locals())

    @staticmethod
    def PiecewiseConstantDecay(boundaries, values, *, backend="tensorflow",  # noqa: N802
                               mode=None, floatx="float32", x64=False):
        return _k("PiecewiseConstantDecay", locals())

    @staticmethod
    def from_config(config):
        cfg = {k: v for k, v in dict(config["config"]).items() if k != "name"}
        run = {k: config[k] for k in ("backend", "mode", "floatx", "x64") if k in config}
        run.setdefault("x64", False)
        run.setdefault("backend", "tensorflow")
        run.setdefault("mode", None)
        run.setdefault("floatx", "float32")
        return _k(config["class"], {**cfg, **run})


# --------------------------------------------------------------------------
# PyTorch (torch.optim.lr_scheduler)
# --------------------------------------------------------------------------

def _spec(s):
    """A scheduler spec: {"class", "args"} / {"class", "state_dict"} / (name, kwargs) /
    a _TorchSpec from this namespace's constructors."""
    if isinstance(s, dict):
        return s
    if isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], str):
        return {"class": s[0], "args": dict(s[1])}
    if isinstance(s, FrameworkSchedule) and s.framework == "pytorch":
        return s.params["scheduler"]
    raise TypeError(f"not a torch scheduler spec: {s!r}")


def _torch(lr, spec):
    if isinstance(spec, (list, tuple)) and not (len(spec) == 2 and isinstance(spec[0], str)):
        spec = [_spec(s) for s in spec]
    else:
        spec = _spec(spec)
    name = spec["class"] if isinstance(spec, dict) else "chain"
    return FrameworkSchedule("pytorch", name, _pytorch.torch_schedule(lr, spec),
                             {"lr": lr, "scheduler": spec})


def _sched(name):
    def make(lr, **kwargs):
        return _torch(lr, {"class": name, "args": kwargs})
    make.__name__ = make.__qualname__ = name
    make.__doc__ = (f"``torch.optim.lr_scheduler.{name}(optimizer, **kwargs)`` on an "
                    "optimizer created with ``lr``: ``group['lr']`` after t scheduler steps.")
    return staticmethod(make)


class pytorch:  # noqa: N801
    """``torch.optim.lr_scheduler`` (PyTorch 2.13): the value of ``param_groups[0]["lr"]``
    after ``t`` calls of ``scheduler.step()`` (one after each ``optimizer.step()``), from
    the same recursion in doubles as torch (the closed forms differ in the last bits).
    Every schedule is a pure function of t (the recursion is cached). Each constructor takes
    the optimizer's ``lr`` and the scheduler's own arguments; ``chain`` constructs several
    schedulers on one optimizer (each stepped every step), ``SequentialLR`` and
    ``ChainedScheduler`` take specs: ``("StepLR", {"step_size": 30})``, a dict
    ``{"class": ..., "args": ...}`` or a schedule made here."""

    StepLR = _sched("StepLR")
    MultiStepLR = _sched("MultiStepLR")
    ConstantLR = _sched("ConstantLR")
    LinearLR = _sched("LinearLR")
    ExponentialLR = _sched("ExponentialLR")
    CosineAnnealingLR = _sched("CosineAnnealingLR")
    LambdaLR = _sched("LambdaLR")
    MultiplicativeLR = _sched("MultiplicativeLR")
    OneCycleLR = _sched("OneCycleLR")

    @staticmethod
    def SequentialLR(lr, schedulers, milestones):  # noqa: N802
        return _torch(lr, {"class": "SequentialLR", "milestones": list(milestones),
                           "schedulers": [_spec(s) for s in schedulers]})

    @staticmethod
    def ChainedScheduler(lr, schedulers):  # noqa: N802
        return _torch(lr, {"class": "ChainedScheduler",
                           "schedulers": [_spec(s) for s in schedulers]})

    @staticmethod
    def chain(lr, schedulers):
        """Several schedulers constructed in this order on one optimizer, all stepped."""
        return _torch(lr, [_spec(s) for s in schedulers])

    @staticmethod
    def from_config(config):
        """``{"lr": ..., "scheduler": spec or [specs]}``; a spec may carry a scheduler's
        ``state_dict()`` instead of ``args`` (OneCycleLR also its ``param_group``)."""
        return _torch(config["lr"], config["scheduler"])


# --------------------------------------------------------------------------
# optax
# --------------------------------------------------------------------------

def _ox(name, kw, fn=None):
    kw = _args(kw)
    fn = fn or _optax.OPTAX_SCHEDULES[name](**kw)
    dtype = "float32" if getattr(fn, "float32", False) or not kw.get("x64") else "float64"
    return FrameworkSchedule("optax", name, fn, kw, dtype=dtype)


class optax:  # noqa: N801
    """optax 0.2.8 schedules as ``optax.adam(schedule)`` applies them (``count`` int32;
    ``jit``: the update under ``jax.jit``, XLA's rewrites and fmas, else eager; ``x64``:
    ``jax_enable_x64``, which makes some of them float64). The value is then cast to the
    parameters' dtype (``preset="optax"`` does that)."""

    @staticmethod
    def exponential_decay(init_value, transition_steps, decay_rate, transition_begin=0,
                          staircase=False, end_value=None, *, jit=True, x64=False):
        return _ox("exponential_decay", locals())

    @staticmethod
    def polynomial_schedule(init_value, end_value, power, transition_steps, transition_begin=0,
                            *, jit=True, x64=False):
        return _ox("polynomial_schedule", locals())

    @staticmethod
    def linear_schedule(init_value, end_value, transition_steps, transition_begin=0, *,
                        jit=True, x64=False):
        return _ox("linear_schedule", locals())

    @staticmethod
    def cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0, *, jit=True,
                              x64=False):
        return _ox("cosine_decay_schedule", locals())

    @staticmethod
    def warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
                                     end_value=0.0, exponent=1.0, *, jit=True, x64=False):
        return _ox("warmup_cosine_decay_schedule", locals())

    @staticmethod
    def piecewise_constant_schedule(init_value, boundaries_and_scales=None, *, jit=True,
                                    x64=False):
        return _ox("piecewise_constant_schedule", locals())

    @staticmethod
    def constant_schedule(value, *, jit=True, x64=False):
        return _ox("constant_schedule", locals())

    @staticmethod
    def join_schedules(schedules, boundaries):
        """Pieces made here (their own jit/x64), on the count since their boundary."""
        fns = [s._fn if isinstance(s, FrameworkSchedule) else s for s in schedules]
        return _ox("join_schedules", {"schedules": list(schedules),
                                      "boundaries": list(boundaries)},
                   fn=_optax.optax_join_schedules(fns, boundaries))

    @staticmethod
    def from_config(config, jit=None, x64=None):
        """``{"function": "optax.<name>", "args": {...}, "jit": bool, "x64": bool}``."""
        fn = _optax.optax_schedule(config, jit=jit, x64=x64)
        name = str(config["function"]).rsplit(".", 1)[-1]
        return _ox(name, {"config": config}, fn=fn)


# --------------------------------------------------------------------------
# MXNet and Chainer
# --------------------------------------------------------------------------

class mxnet:  # noqa: N801
    """``mx.lr_scheduler`` (MXNet 1.9.1) as the optimizer evaluates it at each update."""

    @staticmethod
    def FactorScheduler(base_lr, step, factor=1.0, stop_factor_lr=1e-8):  # noqa: N802
        """``base_lr`` times ``factor`` once per ``step`` updates, a recursion in doubles."""
        kw = {"base_lr": base_lr, "step": step, "factor": factor,
              "stop_factor_lr": stop_factor_lr}
        return FrameworkSchedule("mxnet", "FactorScheduler", _mxnet.factor_scheduler(**kw), kw)

    @staticmethod
    def from_config(config):
        return mxnet.FactorScheduler(**{k: v for k, v in config.items() if k != "class"})


class chainer:  # noqa: N801
    """Chainer 7.8.1's ``ExponentialShift`` extension on the learning-rate attribute."""

    @staticmethod
    def ExponentialShift(init, rate, every=1, target=None):  # noqa: N802
        """``init * rate ** k`` after ``k`` shifts, one every ``every`` iterations."""
        kw = {"init": init, "rate": rate, "every": every, "target": target}
        return FrameworkSchedule("chainer", "ExponentialShift",
                                 _chainer.exponential_shift(**kw), kw)

    @staticmethod
    def from_config(config):
        return chainer.ExponentialShift(**{k: v for k, v in config.items() if k != "class"})


NAMESPACES = {"tensorflow": tensorflow, "keras": keras, "pytorch": pytorch, "optax": optax,
              "mxnet": mxnet, "chainer": chainer}
ALIASES = {"tf": "tensorflow", "tf1": "tensorflow", "torch": "pytorch"}


def from_config(framework, config):
    """The exact schedule of ``framework`` described by ``config`` (see each namespace's
    ``from_config``): what a recording's metadata stores as its ``schedule``."""
    key = ALIASES.get(framework, framework)
    for prefix in sorted(NAMESPACES, key=len, reverse=True):
        if key == prefix or key.startswith(prefix + "_"):
            return NAMESPACES[prefix].from_config(config)
    raise ValueError(f"no schedules for framework {framework!r}; have {sorted(NAMESPACES)}")
