r"""adamkit's optimizers as ``torch.optim`` optimizers: any framework's Adam or RMSProp,
bit for bit, in a PyTorch training loop.

:class:`Adam`, :class:`AdamW`, :class:`AdaMax` and :class:`RMSprop` are
``torch.optim.Optimizer`` subclasses. ``preset=`` names the framework whose update to
reproduce (``"pytorch"``, ``"tensorflow"``, ``"keras_tensorflow"``, ``"optax"``, ...;
``None`` for adamkit's own rule) and the other keywords are that framework's
hyper-parameters, under its own names (``adamkit.presets``)::

    opt = adamkit.torch.Adam(model.parameters(), preset="tensorflow", learning_rate=1e-3,
                             beta1=0.9, epsilon=1e-7)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        sched.step()

What works as with ``torch.optim``: param groups with their own hyper-parameters (each
group runs its own adamkit optimizer), ``zero_grad``, closures, ``maximize``, learning-rate
schedulers (they set ``group["lr"]``; the preset's framework's arithmetic then rounds it as
that framework rounds its learning rate), step hooks, ``state_dict`` /
``load_state_dict`` in torch's format (``state[i]`` holds ``step`` and the buffers under
torch's names: ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``, ``exp_inf`` for AdaMax,
``square_avg``, ``grad_avg``, ``momentum_buffer``), ``torch.save``, pickling. A group
keyword changed between steps (a scheduler cycling ``betas``) rebuilds that group's adamkit
optimizer with the new values and the same state. The preset's gradient clipping
(Keras's ``clipnorm``, ``clipvalue``, ``global_clipnorm``) is applied as its framework
applies it, over the gradients of one param group.

The arrays: parameters, gradients and the state are updated in place through NumPy views
of the CPU tensors (no copies), float32 or float64, dense and contiguous; anything else
(sparse gradients, another device, half precision, a non-contiguous parameter or
gradient) is refused with an error before any tensor is written. A parameter without a
gradient is skipped, and its state keeps its own ``step`` count, as in ``torch.optim``.

``state["step"]`` is a float64 0-d tensor (exact up to 2**53 steps; torch's optimizers keep
a float32 one, and read either): a state_dict of ``torch.optim.Adam`` loads into
``adamkit.torch.Adam(preset="pytorch")`` and continues bit for bit, and the other way
round.

``torch.compile``: ``step`` is excluded from compilation (``torch.compiler.disable``): a
compiled training step runs the optimizer eagerly, at a graph break, with the bits of the
eager update on the gradients it is given.
"""

import numbers

import numpy as np

try:
    import torch
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("adamkit.torch needs PyTorch (pip install 'adamkit[torch]')") from exc

from . import _frameworks

__all__ = ["Adam", "AdamW", "AdaMax", "Adamax", "RMSprop", "RMSProp"]

#: adamkit's state buffers under torch's state names
STATE_NAMES = {"m": "exp_avg", "v": "exp_avg_sq", "vhat": "max_exp_avg_sq",
               "ms": "square_avg", "mg": "grad_avg", "mom": "momentum_buffer"}
#: keys torch's own schedulers and param-name support add to a param group
_TORCH_GROUP_KEYS = frozenset({"initial_lr", "max_lr", "min_lr", "base_momentum",
                               "max_momentum", "param_names"})
_FLOATS = (torch.float32, torch.float64)


class _Required:
    def __repr__(self):
        return "<required>"


_REQUIRED = _Required()


class _Group:
    """One param group's adamkit optimizer and what it has bound: NumPy views of the
    parameters (recognised by their data pointer), the state buffers (views of the state
    tensors), and every parameter's step count (one float64 tensor, whose 0-d views are the
    ``state["step"]`` tensors)."""

    __slots__ = ("group", "plist", "n", "inner", "key", "raw", "lr", "pviews", "ptrs",
                 "bufs", "steps_t", "steps", "bound", "synced")

    def __init__(self, group, inner, key):
        self.group, self.plist, self.n = group, group["params"], len(group["params"])
        self.inner, self.key, self.lr = inner, key, None
        self.raw = ()             # the group's keyword values last seen (by identity)
        self.pviews = [None] * self.n
        self.ptrs = [0] * self.n
        self.bufs = [None] * self.n
        self.steps_t = torch.zeros(self.n, dtype=torch.float64)
        self.steps = self.steps_t.numpy()
        self.bound = None         # the indices whose state the inner optimizer holds
        self.synced = False       # every parameter bound, at the inner optimizer's t

    def current(self, group):
        return self.group is group and self.plist is group["params"] and \
            len(self.plist) == self.n


class _Optimizer(torch.optim.Optimizer):
    """The machinery of :class:`Adam`, :class:`AdamW`, :class:`AdaMax`, :class:`RMSprop`."""

    _cls_name: str = ""              # set by each optimizer class
    _state_names = STATE_NAMES

    def __init__(self, params, lr=None, *, preset=_REQUIRED, n_threads=None,
                 **hyperparameters):
        if preset is _REQUIRED:
            raise TypeError(f"{type(self).__name__}() needs preset=: the framework whose "
                            "update to reproduce ('pytorch', 'tensorflow', 'keras', 'optax', "
                            "...; see adamkit.presets.available()), or None for adamkit's "
                            "own rule")
        given = dict(hyperparameters)
        if lr is not None:
            given["lr"] = lr
        self._configure(preset, given, n_threads)
        defaults = {"lr": self._spec.lr, **self._spec.keywords, "preset": preset}
        super().__init__(params, defaults)

    def _configure(self, preset, given, n_threads):
        self._spec = _frameworks.Spec(self._cls_name, preset, given)
        self._made = (preset, given, n_threads)      # what pickling keeps
        self._keys = tuple(self._spec.keywords)
        self._n_threads = n_threads
        self._groups = {}

    # -- groups ------------------------------------------------------------------------------

    def add_param_group(self, param_group):
        """Add a param group; its keywords may use the preset's names or adamkit's (e.g.
        ``betas`` for ``beta1, beta2``). Its parameters and hyper-parameters are checked
        now: a preset error is raised here, not at the first step."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        group = {"params": param_group["params"]}
        rest = {k: v for k, v in param_group.items() if k != "params"}
        preset = rest.pop("preset", self.defaults["preset"])
        if preset != self.defaults["preset"]:
            raise ValueError(f"a param group cannot change the preset "
                             f"({preset!r} != {self.defaults['preset']!r}): use one "
                             "optimizer per preset")
        torch_keys = {k: rest.pop(k) for k in list(rest) if k in _TORCH_GROUP_KEYS}
        named = self._spec.framework_names(rest)
        if self._spec.lr_name in named:
            named["lr"] = named.pop(self._spec.lr_name)
        unknown = set(named) - set(self._keys) - {"lr"}
        if unknown:
            raise TypeError(f"unknown keyword(s) {sorted(unknown)} in a param group of "
                            f"{type(self).__name__}(preset={preset!r}); it takes lr and "
                            f"{sorted(self._keys)}")
        group.update(named)
        group.update(torch_keys)
        super().add_param_group(group)
        group = self.param_groups[-1]
        try:
            for i, p in enumerate(group["params"]):
                _check_param(p, f"parameter {i} of param group {len(self.param_groups) - 1}")
            self._build(group)                 # the preset's own checks, now
        except Exception:
            self.param_groups.pop()
            raise

    def _build(self, group):
        lr = _lr_value(group["lr"])
        key = tuple(_frameworks.plain(group[k]) for k in self._keys)
        inner = self._spec.build(lr, dict(zip(self._keys, key)), self._n_threads)
        return inner, key

    def _record(self, gi, group):
        """The group's record, rebuilt when the group is new or replaced, and its adamkit
        optimizer rebuilt when a keyword changed (the state stays)."""
        rec = self._groups.get(gi)
        if rec is None or not rec.current(group):
            inner, key = self._build(group)
            rec = _Group(group, inner, key)
            rec.raw = [group[k] for k in self._keys]
            self._adopt_all(gi, rec)
            self._groups[gi] = rec
            return rec
        raw = [group[k] for k in self._keys]
        if len(raw) == len(rec.raw) and all(a is b for a, b in zip(raw, rec.raw)):
            return rec                                      # the usual case: untouched
        rec.raw = raw
        key = tuple(_frameworks.plain(v) for v in raw)
        if key != rec.key:
            inner, key = self._build(group)
            if inner._needed_state() != rec.inner._needed_state() and \
                    any(b is not None for b in rec.bufs):
                raise ValueError(f"param group {gi}: the new values of its keywords need "
                                 f"other state buffers ({inner._needed_state()} instead of "
                                 f"{rec.inner._needed_state()}); this cannot change after "
                                 "the first step")
            rec.inner, rec.key, rec.lr, rec.bound, rec.synced = inner, key, None, None, False
        return rec

    def _adopt_all(self, gi, rec):
        """Bind the state the group's parameters already have (a loaded state_dict)."""
        for i, p in enumerate(rec.plist):
            st = self.state.get(p)
            if st:
                self._adopt(gi, rec, i, p, st)

    def _adopt(self, gi, rec, i, p, st):
        where = f"state of parameter {i} of param group {gi}"
        names = rec.inner._needed_state()
        bufs = {}
        for name in names:
            tname = self._state_names[name]
            t = st.get(tname)
            if not isinstance(t, torch.Tensor):
                raise ValueError(f"{where}: no tensor {tname!r} (it has {sorted(st)}); this "
                                 f"optimizer's rule needs {[self._state_names[n] for n in names]}")
            if t.device.type != "cpu" or t.layout != torch.strided or t.dtype != p.dtype \
                    or t.shape != p.shape:
                raise ValueError(f"{where}: {tname!r} is a {t.dtype} {t.layout} tensor of shape "
                                 f"{tuple(t.shape)} on {t.device}; expected {p.dtype} "
                                 f"{tuple(p.shape)} on the CPU")
            if not t.is_contiguous():
                t = t.contiguous()
            t = t.detach()
            st[tname] = t
            bufs[name] = t.numpy().reshape(-1)
        step = st.get("step", None)
        value = float(step) if isinstance(step, (torch.Tensor, numbers.Real)) else -1.0
        if not (0.0 <= value <= 2.0 ** 53 and value == int(value)):
            raise ValueError(f"{where}: 'step' must be a whole number of steps >= 0, got "
                             f"{step!r}")
        rec.steps[i] = value
        st["step"] = rec.steps_t[i]
        rec.bufs[i] = bufs
        rec.synced = False

    def _new_state(self, rec, i, p, pview):
        arrays = rec.inner._new_state(pview)
        st = self.state[p]
        st.clear()
        rec.steps[i] = 0.0
        st["step"] = rec.steps_t[i]
        for name, a in arrays.items():
            st[self._state_names[name]] = torch.from_numpy(a).view(p.shape)
        rec.bufs[i] = arrays
        rec.synced = False

    # -- the step ------------------------------------------------------------------------------

    @torch.compiler.disable
    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns the closure's loss.

        Every group's tensors are checked first (CPU, float32/float64 matching the
        parameter, dense, contiguous, the parameter's shape): an error leaves every
        parameter and state unchanged.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        work = [self._collect(gi, group) for gi, group in enumerate(self.param_groups)]
        for rec, idx, ps, gs in work:
            if idx:
                self._run(rec, idx, ps, gs)
        return loss

    def _collect(self, gi, group):
        """Check and gather one group's parameters with a gradient: (record, their
        indices, parameter views, gradient views)."""
        rec = self._record(gi, group)
        lr = group["lr"]
        if lr is not rec.lr or isinstance(lr, torch.Tensor):
            value = _lr_value(lr)
            if value != rec.inner.lr:
                rec.inner.lr = value
            rec.lr = lr
        idx, ps, gs = [], [], []
        pviews, ptrs, bufs = rec.pviews, rec.ptrs, rec.bufs
        for i, p in enumerate(rec.plist):
            g = p.grad
            if g is None:
                continue
            v = pviews[i]
            if v is None or p.data_ptr() != ptrs[i]:
                v = self._view(rec, gi, i, p)
            try:
                a = g.numpy()
            except (TypeError, RuntimeError):
                a = None
            if a is None or a.shape != v.shape or a.dtype is not v.dtype or \
                    not a.flags.c_contiguous:
                v = self._view(rec, gi, i, p)      # the parameter may have a new shape
                _check_grad(p, g, f"parameter {i} of param group {gi}", a)
            if bufs[i] is None:
                self._new_state(rec, i, p, v)
            idx.append(i)
            ps.append(v)
            gs.append(a)
        return rec, idx, ps, gs

    def _view(self, rec, gi, i, p):
        """A checked NumPy view of parameter i, cached with its data pointer."""
        _check_param(p, f"parameter {i} of param group {gi}")
        v = rec.pviews[i] = p.detach().numpy()
        rec.ptrs[i] = p.data_ptr()
        return v

    def _run(self, rec, idx, ps, gs):
        inner, steps = rec.inner, rec.steps
        if rec.synced and len(idx) == rec.n:
            inner.step(ps, gs)            # every parameter, one step count: the usual case
            steps += 1.0
            return
        # parameters without a gradient, or with their own step count (torch keeps one per
        # parameter): one adamkit step per distinct count, over those parameters
        counts = steps[idx]
        for t in np.unique(counts):
            sel = [k for k, c in enumerate(counts) if c == t]
            members = tuple(idx[k] for k in sel)
            if members != rec.bound or inner.t != int(t):
                inner._state = [rec.bufs[i] for i in members]
                inner.t = int(t)
                rec.bound = members
            inner.step([ps[k] for k in sel], [gs[k] for k in sel])
            steps[list(members)] += 1.0
        rec.synced = len(rec.bound) == rec.n

    # -- state -------------------------------------------------------------------------------

    def __setstate__(self, state):
        state = dict(state)
        made = state.pop("_adamkit", None)
        super().__setstate__(state)
        if made is not None:                     # unpickling
            self._configure(*made)
        for group in self.param_groups:          # a state_dict of torch's own optimizer
            for k, v in self.defaults.items():
                group.setdefault(k, v)
        self._groups = {}

    def __getstate__(self):
        return {**super().__getstate__(), "_adamkit": self._made}

    def load_state_dict(self, state_dict):
        """Load a state_dict of this class or of the matching ``torch.optim`` optimizer
        (missing group keywords take this optimizer's defaults). The state is checked
        and bound now: a missing buffer or a tensor of another shape raises here."""
        super().load_state_dict(state_dict)
        for gi, group in enumerate(self.param_groups):
            if group["preset"] != self.defaults["preset"]:
                raise ValueError(f"param group {gi} of the state_dict has preset "
                                 f"{group['preset']!r}, this optimizer "
                                 f"{self.defaults['preset']!r}")
            self._record(gi, group)

    def __repr__(self):
        return f"adamkit.torch.{super().__repr__()}"


def _lr_value(lr):
    if isinstance(lr, torch.Tensor):
        if lr.numel() != 1:
            raise ValueError(f"lr must be a number or a 1-element tensor, got shape "
                             f"{tuple(lr.shape)}")
        return lr.item()
    return lr


def _check_param(p, what):
    if not isinstance(p, torch.Tensor):
        raise TypeError(f"{what} is a {type(p).__name__}, not a tensor")
    if p.device.type != "cpu":
        raise ValueError(f"{what} is on {p.device}: adamkit.torch updates CPU tensors in "
                         "place (the C core runs on the host)")
    if p.layout != torch.strided:
        raise ValueError(f"{what} is a {p.layout} tensor; adamkit.torch updates dense "
                         "tensors")
    if p.dtype not in _FLOATS:
        raise TypeError(f"{what} is {p.dtype}; adamkit.torch updates float32 and float64 "
                        "tensors")
    if not p.is_contiguous():
        raise ValueError(f"{what} is not contiguous (strides {p.stride()} for shape "
                         f"{tuple(p.shape)}); make it contiguous before building the "
                         "optimizer (e.g. param.data = param.data.contiguous())")


def _check_grad(p, g, what, a):
    """Raise the error that says why this gradient cannot be used (return if ``a``, its
    NumPy view, is usable after all)."""
    if g.is_sparse or g.layout != torch.strided:
        raise ValueError(f"{what}: its gradient is a {g.layout} tensor; adamkit.torch "
                         "updates from dense gradients (torch.optim.SparseAdam is torch's "
                         "optimizer for sparse ones)")
    if g.device.type != "cpu":
        raise ValueError(f"{what}: its gradient is on {g.device}, not the CPU")
    if g.dtype != p.dtype:
        raise TypeError(f"{what}: its gradient is {g.dtype}, the parameter {p.dtype}")
    if g.shape != p.shape:
        raise ValueError(f"{what}: its gradient has shape {tuple(g.shape)}, the parameter "
                         f"{tuple(p.shape)}")
    if not g.is_contiguous():
        raise ValueError(f"{what}: its gradient is not contiguous (strides {g.stride()})")
    if g.requires_grad:
        raise ValueError(f"{what}: its gradient requires grad (create_graph=True?); "
                         "adamkit.torch does not differentiate through the update")
    if a is None:
        raise ValueError(f"{what}: its gradient cannot be viewed as a NumPy array")


def _doc(cls_name, torch_name, equations):
    return f"""{cls_name} of any framework, as a ``torch.optim.Optimizer``.

    Parameters
    ----------
    params : iterable of tensors or of dicts (param groups)
    lr : float, optional
        The learning rate (``group["lr"]``; schedulers set it). Default: the preset's.
    preset : str or None (required)
        The framework whose update runs, bit for bit: ``"pytorch"`` (``{torch_name}``),
        ``"tensorflow"``, ``"keras"``, ``"optax"``, ... (``adamkit.presets.available()``);
        None for adamkit's own rule (:class:`adamkit.{cls_name if cls_name != "RMSprop"
        else "RMSProp"}`).
    n_threads : int or None
        OpenMP threads of the C core (the bits do not depend on it).
    **hyperparameters
        The preset's keywords, under its framework's names or adamkit's (``betas``,
        ``eps``, ``weight_decay``, ...), plus ``maximize``. Param groups may set any of
        them.

    {equations}
    """


class Adam(_Optimizer):
    __doc__ = _doc("Adam", "torch.optim.Adam", "Adam's update as the preset's framework "
                   "computes it; ``amsgrad=True`` its AMSGrad.")
    _cls_name = "Adam"


class AdamW(_Optimizer):
    __doc__ = _doc("AdamW", "torch.optim.AdamW", "Adam with decoupled weight decay, as the "
                   "preset's framework computes it.")
    _cls_name = "AdamW"


class AdaMax(_Optimizer):
    __doc__ = _doc("AdaMax", "torch.optim.Adamax",
                   "AdaMax (Adam with the infinity norm), as the preset's framework "
                   "computes it. Its state is ``exp_avg`` and ``exp_inf``, as torch's.")
    _cls_name = "AdaMax"
    _state_names = {**STATE_NAMES, "v": "exp_inf"}


class RMSprop(_Optimizer):
    __doc__ = _doc("RMSprop", "torch.optim.RMSprop", "RMSProp as the preset's framework "
                   "computes it (momentum and centered where the framework has them).")
    _cls_name = "RMSProp"


Adamax = AdaMax
RMSProp = RMSprop
