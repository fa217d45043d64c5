"""Optimizer objects: Adam, AdamW, AdaMax, RMSProp.

Each object owns its hyper-parameters, its update rule (adamkit's own, or a framework's
via ``preset=``), the step count and the state buffers of the arrays it updates. ``step``
checks every input before it writes anything, then runs the C kernels in place.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from typing import Any, Union

import numpy as np

from . import _core, _rules
from ._kernels import Kernel
from ._validation import check_beta, check_flag, check_pair, check_real

__all__ = ["Adam", "AdamW", "AdaMax", "RMSProp"]

#: A learning rate: a float >= 0, or a schedule ``lr(t) -> float`` (t = steps taken).
LearningRate = Union[float, Callable[[int], float]]


class _Optimizer(_core.Core):
    """Common machinery: hyper-parameters, state_dict, repr. Subclasses set the rule.

    The step itself, ``t``, ``lr``, ``n_threads`` and the state buffers live in the C-level
    base class (``_core.Core``): this layer only resolves the constructor's arguments
    into an update rule (adamkit's own, or a framework's via ``preset=``).
    """

    _family: str = ""       # "adam" or "rmsprop"

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The hyper-parameters in force (a copy: they are fixed at construction)."""
        return dict(self._hp)

    def _setup(self, rule, hp, lr, n_threads, preset, initial_state=0.0, flags=None):
        self._configure(rule, hp, initial_state)
        self.lr = lr                            # checked by the property
        self.n_threads = n_threads              # checked; resolved again per step
        self.preset = preset
        self._flags = dict(flags or {})         # the switches given (for get_config)

    # -- configuration: the constructor's keywords, repr, pickling ----------------------------

    def get_config(self) -> dict[str, Any]:
        """The constructor keywords that build this optimizer again: ``type(opt)(
        **opt.get_config())`` has the same update rule, hyper-parameters, learning rate
        and thread setting (not the step count or the state: see :meth:`state_dict`).

        adamkit's own names (``lr``, ``betas``, ``eps``, ...) for adamkit's rules; with a
        preset, ``preset="framework.optimizer"`` and every hyper-parameter under the
        framework's own names, the CPU-dependent code path included (as detected when the
        optimizer was built), so that the copy computes the same bits on any machine.
        """
        if self.preset is not None:
            cfg = {"preset": self._rule.name}
            lr_name = _preset_row(self._rule.name).lr_name
            cfg.update((k, self.lr if k == lr_name else v) for k, v in self._hp.items())
        else:
            cfg = {"lr": self.lr, **self._native_config()}
        if self.n_threads is not None:
            cfg["n_threads"] = self.n_threads
        return cfg

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_literal(v)}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __reduce__(self):
        """Pickling and :func:`copy.deepcopy`: the configuration, the step count and a
        copy of the state buffers; the copy steps bit-identically to the original."""
        state = None if self._state is None else [
            {k: v.copy() for k, v in st.items()} for st in self._state]
        return (_rebuild, (type(self), self.get_config(), self.t, state, self.preset))

    def _native_config(self) -> dict[str, Any]:   # pragma: no cover - per family
        raise NotImplementedError

    @property
    def _tail_kernel(self):
        return self._tail

    def _needed_state(self):
        return self._kernel.buffers

    def _new_state(self, p):
        return _core.Core._new_state(self, p)

    # -- state ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A copy of everything needed to resume bit-identically.

        Returns a dict with ``t``, ``family``, ``preset``, ``hyperparameters`` and
        ``state`` (a list, one dict of 1-D arrays per parameter array). Schedules are not
        serialised: pass the same ``lr`` when you rebuild the optimizer.
        """
        state = None if self._state is None else [
            {k: v.copy() for k, v in st.items()} for st in self._state]
        return {"t": self.t, "family": self._family, "preset": self.preset,
                "ops": self._ops_for(state), "hyperparameters": dict(self.hyperparameters),
                "state": state}

    def _ops_for(self, state: list | None) -> dict[str, int]:
        """The ops of the rule that steps the arrays of ``state`` (a rule that depends on
        the arrays stepped together, ``Rule.arrays``, has its own for each set)."""
        if self._rule.arrays is None or not state:
            return dict(self._kernel.ops)
        rule = self._rule_for([(len(next(iter(st.values()))),) for st in state])
        return dict(Kernel(rule.family, dict(rule.ops)).ops)

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; the update rule (ops) must be the same.

        Parameters
        ----------
        d : dict
            A :meth:`state_dict` (of this optimizer or of one with the same rule); a
            different rule, step count or buffer set raises ValueError and changes
            nothing.
        """
        if not isinstance(d, dict) or not {"t", "state", "ops"} <= set(d):
            raise ValueError("not an adamkit state_dict (needs keys 't', 'ops', 'state')")
        ops = self._ops_for(d["state"])
        if dict(d["ops"]) != ops:
            raise ValueError("the state_dict was made by a different update rule: "
                             f"{d['ops']} != {ops}")
        t = d["t"]
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t <= 2**53:
            raise ValueError(f"state_dict['t'] must be an int in [0, 2**53], got {t!r}")
        state = d["state"]
        if state is not None:
            names = set(self._needed_state())
            new = []
            for i, st in enumerate(state):
                if set(st) != names:
                    raise ValueError(f"state[{i}] has buffers {sorted(st)}, expected "
                                     f"{sorted(names)}")
                arrs = {k: np.array(v, copy=True, order="C").reshape(-1) for k, v in st.items()}
                dts = {a.dtype for a in arrs.values()}
                sizes = {a.size for a in arrs.values()}
                if len(dts) != 1 or len(sizes) != 1 or dts.pop() not in (np.float32, np.float64):
                    raise ValueError(f"state[{i}] buffers must share one float dtype and size")
                new.append(arrs)
            state = new
        with self._mutating("load_state_dict()"):
            self._set_loaded(int(t), state)

    def save_state(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`state_dict` to ``path`` (an uncompressed ``.npz`` with a checksum;
        the format is documented in the embedding guide, docs/embedding.md). The write
        is atomic.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (replaced atomically if it exists).
        """
        from ._io import save_state
        save_state(self, path)

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Restore a file written by :meth:`save_state`; a truncated, corrupted or foreign
        file raises ``ValueError`` and leaves the optimizer unchanged.

        Parameters
        ----------
        path : str or os.PathLike
            A file written by :meth:`save_state` for the same update rule.
        """
        from ._io import load_state
        load_state(self, path)



def _literal(v):
    """``repr`` of a configuration value as Python source (NumPy scalars as Python
    numbers, so that ``eval(repr(opt))`` needs no import)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, tuple):
        inner = ", ".join(_literal(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    return repr(v)


def _preset_row(name):
    from . import presets
    framework, _, optimizer = name.rpartition(".")
    return presets.get(framework, optimizer)


def _rebuild(cls, config, t, state, preset):
    """Unpickle an optimizer (see ``_Optimizer.__reduce__``)."""
    opt = cls(**config)
    opt.preset = preset
    if t or state is not None:
        d = opt.state_dict()
        d.update(t=t, state=state, ops=opt._ops_for(state))
        opt.load_state_dict(d)
    return opt


class _AdamBase(_Optimizer):
    _family = "adam"


def _where(preset):
    """How an error names a switch: with the preset (the framework) when there is one."""
    return f"{preset}: " if isinstance(preset, str) else ""


def _preset_rule(preset, optimizer, given):
    from . import presets
    return presets.build(preset, optimizer, given)


class Adam(_AdamBase):
    r"""Adam (Kingma & Ba, 2015), with AMSGrad, Nesterov, L2 and decoupled weight decay.

    adamkit's own rule is the paper's Algorithm 1, computed as

    .. math::

        g &\leftarrow g + \lambda p \quad (\text{weight\_decay} = \lambda > 0)\\
        m &\leftarrow m + (g - m)(1 - \beta_1)\\
        v &\leftarrow v + (g^2 - v)(1 - \beta_2)\\
        \hat v &\leftarrow \max(\hat v, v) \quad (\text{amsgrad; } v \text{ below means } \hat v)\\
        p &\leftarrow p - \frac{m \cdot \eta/(1-\beta_1^t)}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}

    with :math:`1-\beta`, :math:`\beta^t` and the bias corrections computed in double and
    rounded once to the array dtype. ``nesterov=True`` uses
    :math:`g(1-\beta_1) + \beta_1 m` in the numerator (TensorFlow's ``use_nesterov``).

    Parameters
    ----------
    lr : float or callable, default 1e-3
        Learning rate, or a schedule ``lr(t) -> float`` (t = steps already taken).
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the moments, each in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0
        L2 penalty added to the gradient; with ``decoupled_weight_decay=True`` the
        parameters are instead multiplied by ``1 - lr*weight_decay`` (AdamW).
    amsgrad, nesterov, maximize, decoupled_weight_decay : bool
    n_threads : int or None
        Threads of a step (arrays of at least 64 KiB per buffer). ``None``, the default:
        up to the smallest of ``OMP_NUM_THREADS`` (or a ``threadpoolctl`` limit), the
        CPUs in the affinity mask and the cgroup CPU quota, and only while the extra
        threads pay: on a machine whose cores are busy with other processes a step falls
        back to one thread and tries again later. An int: exactly that many threads
        (negative: counted back from ``OMP_NUM_THREADS``). Results are bit-identical
        for every thread count.
    preset : str or None
        A framework whose rounding to reproduce bit for bit (see ``adamkit.presets``);
        its own hyper-parameter names are accepted as keywords.
    **preset_options
        With ``preset``: the framework's own hyper-parameters and options, under its
        names (``base_lr``, ``momentum2``, ``learningRate``, ...).

    Notes
    -----
    ``repr(opt)`` is the constructor call :meth:`get_config` describes; optimizers can
    be pickled and deep-copied (the copy steps bit-identically).

    Examples
    --------
    >>> import numpy as np, adamkit
    >>> p = np.array([1.0, -2.0]); opt = adamkit.Adam(lr=0.1)
    >>> opt.step(p, np.array([0.5, -0.5]))
    >>> p
    array([ 0.9, -1.9])
    """

    _default_lr = 1e-3
    _default_wd = 0.0
    _decoupled_default = False

    def __init__(self, lr: LearningRate | None = None,
                 betas: tuple[float, float] | None = None, eps: float | None = None,
                 weight_decay: float | None = None, *, amsgrad: bool = False,
                 nesterov: bool = False, maximize: bool = False,
                 decoupled_weight_decay: bool | None = None, n_threads: int | None = None,
                 preset: str | None = None, **preset_options: Any) -> None:
        where = _where(preset)
        amsgrad, nesterov, maximize = (check_flag(where + n, v) for n, v in (
            ("amsgrad", amsgrad), ("nesterov", nesterov), ("maximize", maximize)))
        if decoupled_weight_decay is not None:
            decoupled_weight_decay = check_flag(where + "decoupled_weight_decay",
                                                decoupled_weight_decay)
        given = {k: v for k, v in dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                       amsgrad=amsgrad or None, nesterov=nesterov or None,
                                       maximize=maximize or None,
                                       decoupled_weight_decay=decoupled_weight_decay).items()
                 if v is not None}
        if preset is not None:
            rule, hp, lr, _ = _preset_rule(preset, type(self).__name__,
                                           {**given, **preset_options})
            self._setup(rule, hp, lr, n_threads, preset)
            return
        if preset_options:
            raise TypeError(f"unknown keyword arguments {sorted(preset_options)} "
                            "(framework-specific names need preset=...)")
        lr = self._default_lr if lr is None else lr
        b1, b2 = check_pair("betas", (0.9, 0.999) if betas is None else betas)
        decoupled = self._decoupled_default if decoupled_weight_decay is None \
            else decoupled_weight_decay
        hp = {"b1": b1, "b2": b2,
              "eps": check_real("eps", 1e-8 if eps is None else eps, 0.0),
              "weight_decay": check_real("weight_decay",
                                         self._default_wd if weight_decay is None
                                         else weight_decay, 0.0)}
        rule = _rules.native_adam(amsgrad=amsgrad, nesterov=nesterov, decoupled=decoupled,
                                  weight_decay=hp["weight_decay"], maximize=maximize,
                                  adamax=self._adamax)
        flags = {"amsgrad": bool(amsgrad), "nesterov": bool(nesterov),
                 "maximize": bool(maximize), "decoupled_weight_decay": decoupled}
        self._setup(rule, hp, lr, n_threads, None, flags=flags)

    _adamax = False

    def _native_config(self):
        hp, f = self._hp, self._flags
        cfg = {"betas": (hp["b1"], hp["b2"]), "eps": hp["eps"],
               "weight_decay": hp["weight_decay"]}
        cfg.update((k, True) for k in ("amsgrad", "nesterov", "maximize") if f[k])
        if f["decoupled_weight_decay"] != self._decoupled_default:
            cfg["decoupled_weight_decay"] = f["decoupled_weight_decay"]
        return cfg


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    As :class:`Adam`, but ``weight_decay`` (default 1e-2) multiplies the parameters by
    :math:`1 - \eta\lambda` before the moments are updated, instead of adding
    :math:`\lambda p` to the gradient.
    """

    _default_wd = 1e-2
    _decoupled_default = True


def _adam_parameters(**defaults):
    """Adam's Parameters section, with another class's defaults."""
    doc = Adam.__doc__ or ""
    text = doc[doc.index("    Parameters\n"):doc.index("    Notes\n")]
    for old, new in defaults.items():
        text = text.replace(old, new)
    return text


AdamW.__doc__ = (AdamW.__doc__ or "") + "\n" + _adam_parameters(**{
    "weight_decay : float, default 0": "weight_decay : float, default 1e-2",
    "decoupled_weight_decay : bool": "decoupled_weight_decay : bool (default True)"})


class AdaMax(Adam):
    r"""AdaMax (Kingma & Ba, 2015, Sec. 7.1): Adam with the infinity norm.

    .. math::

        m &\leftarrow m + (g - m)(1 - \beta_1)\\
        u &\leftarrow \max(\beta_2 u, |g| + \epsilon)\\
        p &\leftarrow p - \frac{m \cdot \eta/(1-\beta_1^t)}{u}

    Default ``lr`` is 2e-3. (epsilon inside the max, as PyTorch and Torch7, keeps u > 0.)
    """

    _default_lr = 2e-3
    _adamax = True


AdaMax.__doc__ = (AdaMax.__doc__ or "") + "\n" + _adam_parameters(**{
    "lr : float or callable, default 1e-3": "lr : float or callable, default 2e-3"})


class RMSProp(_Optimizer):
    r"""RMSProp (Tieleman & Hinton, 2012), with momentum and the centered variant.

    adamkit's own rule (epsilon outside the square root, as PyTorch):

    .. math::

        s &\leftarrow s + (g^2 - s)(1 - \rho)\\
        \bar g &\leftarrow \bar g + (g - \bar g)(1 - \rho),\quad w = s - \bar g^2
               \quad (\text{centered; else } w = s)\\
        u &= \frac{g\,\eta}{\sqrt{w} + \epsilon}\\
        b &\leftarrow \mu b + u,\quad p \leftarrow p - b \quad (\text{momentum } \mu > 0;
               \text{ else } p \leftarrow p - u)

    Parameters
    ----------
    lr : float or callable, default 1e-2
    alpha : float, default 0.99
        Decay rate :math:`\rho` of the mean square, in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0 (L2, added to the gradient)
    momentum : float, default 0
    centered, maximize : bool
    initial_accumulator : float, default 0
        Initial value of the mean square (TensorFlow 1 starts it at 1.0).
    n_threads : int or None
        Threads of a step, as for :class:`Adam`.
    preset : str or None
        A framework's RMSProp to reproduce, as for :class:`Adam`.
    **preset_options
        With ``preset``: the framework's own names, as for :class:`Adam`.
    """

    _family = "rmsprop"

    def __init__(self, lr: LearningRate | None = None, alpha: float | None = None,
                 eps: float | None = None, weight_decay: float | None = None, *,
                 momentum: float | None = None, centered: bool = False,
                 maximize: bool = False, initial_accumulator: float | None = None,
                 n_threads: int | None = None, preset: str | None = None,
                 **preset_options: Any) -> None:
        centered = check_flag(_where(preset) + "centered", centered)
        maximize = check_flag(_where(preset) + "maximize", maximize)
        given = {k: v for k, v in dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                       momentum=momentum, centered=centered or None,
                                       maximize=maximize or None,
                                       initial_accumulator=initial_accumulator).items()
                 if v is not None}
        if preset is not None:
            rule, hp, lr, initial = _preset_rule(preset, "RMSProp",
                                                 {**given, **preset_options})
            self._setup(rule, hp, lr, n_threads, preset, initial)
            return
        if preset_options:
            raise TypeError(f"unknown keyword arguments {sorted(preset_options)} "
                            "(framework-specific names need preset=...)")
        lr = 1e-2 if lr is None else lr
        def real(name, value, default):          # None is the default; "" or [] is not 0
            return check_real(name, default if value is None else value, 0.0)
        hp = {"alpha": check_beta("alpha", 0.99 if alpha is None else alpha),
              "eps": real("eps", eps, 1e-8),
              "weight_decay": real("weight_decay", weight_decay, 0.0),
              "momentum": real("momentum", momentum, 0.0),
              "initial_accumulator": real("initial_accumulator", initial_accumulator, 0.0)}
        rule = _rules.native_rmsprop(momentum=hp["momentum"], centered=centered,
                                     weight_decay=hp["weight_decay"], maximize=maximize)
        self._setup(rule, hp, lr, n_threads, None, hp["initial_accumulator"],
                    flags={"centered": bool(centered), "maximize": bool(maximize)})

    def _native_config(self):
        hp = self._hp
        cfg = {k: hp[k] for k in ("alpha", "eps", "weight_decay", "momentum")}
        cfg.update((k, True) for k, v in self._flags.items() if v)
        if hp["initial_accumulator"]:
            cfg["initial_accumulator"] = hp["initial_accumulator"]
        return cfg


_CLASS_OF = {"adamw": AdamW, "adamax": AdaMax, "rmsprop": RMSProp}


def from_framework(obj, /, *, traced=None, group=None, scheduler=None, learning_rate=None,
                   n_threads=None, **call):
    """The adamkit optimizer that reproduces a framework's optimizer object, bit for bit.

    ``obj`` is the framework's own object: a ``torch.optim`` Adam/AdamW/RMSprop; a Keras 3
    ``keras.optimizers`` Adam/AdamW/RMSprop (on the backend and floatx in force), a
    ``tf_keras.optimizers`` (new or legacy) or Keras 2.3.1 optimizer, a
    ``keras_adamw.AdamW``; a ``tf.compat.v1.train`` AdamOptimizer/RMSPropOptimizer; an
    ``mx.optimizer`` Adam/Adamax/RMSProp; a ``chainer.optimizers`` optimizer with its
    hooks; or the optax constructor (``optax.adam``) with its call's keywords in ``call``.
    Its hyper-parameters and its learning-rate schedule come along.

    What the object cannot tell is asked, never guessed: ``traced`` (whether the training
    step runs under tf.function, ``model.fit``'s default, or jax.jit; Keras on TF/JAX,
    tf_keras and optax compute differently then), ``group`` (which torch param group, when
    they differ), ``scheduler`` (the torch lr scheduler(s) attached), ``learning_rate``
    (instead of one the object holds opaquely: a TF1 tensor, an optax schedule function).

    Returns an :class:`Adam`, :class:`AdamW`, :class:`AdaMax` or :class:`RMSProp` with
    ``preset`` set; raises :class:`~adamkit.presets.PresetError` or ``ValueError`` with the
    question to answer, ``TypeError`` for an object no preset reads.
    """
    from . import presets
    setting = presets.Setting(traced=traced, group=group, scheduler=scheduler,
                              learning_rate=learning_rate, call=call)
    if call and not inspect.isfunction(obj):
        raise TypeError(f"unexpected keywords {sorted(call)}: only a constructor (optax) "
                        "takes its call's keywords")
    framework, optimizer, hp = presets.from_framework(obj, setting)
    row = presets.get(framework, optimizer)
    cls = _CLASS_OF.get(optimizer, RMSProp if row.family == "rmsprop" else Adam)
    return cls(preset=f"{framework}.{optimizer}", n_threads=n_threads, **hp)
