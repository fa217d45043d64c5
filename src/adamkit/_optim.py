"""Optimizer objects: Adam, AdamW, AdaMax, RMSProp.

Each object owns its hyper-parameters, its update rule (adamkit's own, or a framework's
via ``preset=``), the step count and the state buffers of the arrays it updates. ``step``
checks every input before it writes anything, then runs the C kernels in place.
"""

import numpy as np

from . import _kernels as K
from . import _rules
from ._validation import as_array_list, check_beta, check_pairs, check_real, lr_value

__all__ = ["Adam", "AdamW", "AdaMax", "RMSProp"]


class _Optimizer(K.OptimizerCore):
    """Common machinery: state, step, threads, state_dict. Subclasses set the rule.

    ``t``, ``lr``, ``n_threads`` and ``step`` live in the C-level base class
    (``_kernels.OptimizerCore``): a step on the arrays of the previous step is one C call.
    ``_step`` here is everything else: the first step (new state), new arrays (checked,
    then bound for the next step), arrays of several dtypes, ``lr_mult``, and rules whose
    scalars need every gradient first (``Rule.prepare``), which are never bound.
    """

    _family = None          # "adam" or "rmsprop"
    _kernel_slots = ()      # the state buffers bind() takes, in its order

    @property
    def _state(self):
        return self.__state

    @_state.setter
    def _state(self, state):
        # the per-buffer lists the fast path hands to the kernel, built once per state
        self.__state = state
        self._kernel.unbind()               # the kernel held pointers to the old buffers
        self._buffers = None if state is None else [
            [st.get(name) for st in state] for name in self._kernel_slots]

    @property
    def hyperparameters(self):
        """The hyper-parameters in force (a copy: they are fixed at construction)."""
        return dict(self._hp)

    def _setup(self, rule, hp, lr, n_threads, preset, initial_state=0.0):
        self._rule = rule
        kernel = rule.kernel()
        self._tail_kernel = rule.tail_kernel()
        self._hp = dict(hp)
        self.lr = lr                            # checked by the property
        self.n_threads = n_threads              # checked; resolved again per step
        self.preset = preset
        self.t = 0
        self._initial_state = initial_state
        # a rule whose scalars need every gradient first takes _step every time
        self._bindable = rule.prepare is None
        self._use_kernel(kernel, self._tail_kernel, rule.c_scalars, self._hp,
                         self._python_scalars)
        self._state = None                      # list (one per array) of dicts of buffers

    def _python_scalars(self, t, lr, f32):
        sc = self._rule.scalars(self._hp, t, lr, f32)
        self._kernel.set_scalar_dict(sc)
        if self._tail_kernel is not None:
            self._tail_kernel.set_scalar_dict(sc)

    # -- state ---------------------------------------------------------------------------

    def _needed_state(self):
        raise NotImplementedError

    def _new_state(self, p):
        st = {}
        for name in self._needed_state():
            fill = self._initial_state if name == "ms" else 0.0
            st[name] = np.full(p.size, fill, dtype=p.dtype)
        return st

    def _check_state_matches(self, params):
        if len(self._state) != len(params):
            raise ValueError(f"this optimizer holds state for {len(self._state)} arrays, "
                             f"step() got {len(params)}")
        for i, (st, p) in enumerate(zip(self._state, params)):
            first = next(iter(st.values()), None)
            if first is not None and (first.size != p.size or first.dtype != p.dtype):
                raise ValueError(f"params[{i}] ({p.dtype}, {p.size} elements) does not match "
                                 f"the optimizer state ({first.dtype}, {first.size})")

    def state_dict(self):
        """A copy of everything needed to resume bit-identically.

        Returns a dict with ``t``, ``family``, ``preset``, ``hyperparameters`` and
        ``state`` (a list, one dict of 1-D arrays per parameter array). Schedules are not
        serialised: pass the same ``lr`` when you rebuild the optimizer.
        """
        state = None if self._state is None else [
            {k: v.copy() for k, v in st.items()} for st in self._state]
        return {"t": self.t, "family": self._family, "preset": self.preset,
                "ops": dict(self._kernel.ops), "hyperparameters": dict(self.hyperparameters),
                "state": state}

    def load_state_dict(self, d):
        """Restore a :meth:`state_dict`; the update rule (ops) must be the same."""
        if not isinstance(d, dict) or not {"t", "state", "ops"} <= set(d):
            raise ValueError("not an adamkit state_dict (needs keys 't', 'ops', 'state')")
        if dict(d["ops"]) != dict(self._kernel.ops):
            raise ValueError("the state_dict was made by a different update rule: "
                             f"{d['ops']} != {self._kernel.ops}")
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
        self.t = int(t)
        self._state = state

    def save_state(self, path):
        """Write :meth:`state_dict` to ``path`` (an uncompressed ``.npz`` with a checksum;
        the format is documented in ``adamkit._io``). The write is atomic."""
        from ._io import save_state
        save_state(self, path)

    def load_state(self, path):
        """Restore a file written by :meth:`save_state`; a truncated, corrupted or foreign
        file raises ``ValueError`` and leaves the optimizer unchanged."""
        from ._io import load_state
        load_state(self, path)

    # -- the step ------------------------------------------------------------------------

    def _step(self, params, grads, lr_mult):
        # the checked path of step() (OptimizerCore.step runs bound arrays itself)
        params, _ = as_array_list(params, "params")
        grads, _ = as_array_list(grads, "grads")
        if lr_mult is None and self._state is not None and self._bindable:
            try:
                # every check of check_pairs, in C; binds the arrays for the next step
                splits = None
                if self._tail_kernel is not None and params:
                    f32 = params[0].dtype == np.float32
                    splits = [self._rule.split(p.size, f32) for p in params]
                self._kernel.bind(params, grads, *self._buffers, splits)
            except (TypeError, ValueError):
                pass        # nothing was written: the checks below name the problem
            else:
                self._run_bound_step()
                return
        check_pairs(params, grads)
        if lr_mult is not None:
            lr_mult = [check_real(f"lr_mult[{i}]", x, 0.0) for i, x in enumerate(lr_mult)]
            if len(lr_mult) != len(params):
                raise ValueError(f"lr_mult has {len(lr_mult)} entries for {len(params)} arrays")
        state = self._state
        if state is None:
            state = [self._new_state(p) for p in params]
        else:
            self._check_state_matches(params)
        nt = K.effective_n_threads(self.n_threads)
        t = self.t + 1
        lr = lr_value(self.lr, self.t)
        kernel, tail, split = self._kernel, self._tail_kernel, self._rule.split
        # first pass: every scalar (may raise), so that nothing is written on error
        hp = self._hp
        if self._rule.prepare is not None:
            hp = {**hp, **self._rule.prepare(hp, grads)}
        scalars, cache = [], {}
        for i, p in enumerate(params):
            key = (p.dtype == np.float32, 1.0 if lr_mult is None else lr_mult[i])
            if key not in cache:
                cache[key] = self._rule.scalars(hp, t, lr * key[1], key[0])
            scalars.append((key[0], cache[key]))
        for (f32, sc), p, g, st in zip(scalars, params, grads, state):
            kernel.set_scalars(**sc)
            p1, g1 = p.reshape(-1), g.reshape(-1)
            if tail is None:
                self._run(kernel, p1, g1, st, nt)
            else:
                b = split(p1.size, f32)
                tail.set_scalars(**sc)
                self._run(kernel, p1[:b], g1[:b], {k: a[:b] for k, a in st.items()}, nt)
                self._run(tail, p1[b:], g1[b:], {k: a[b:] for k, a in st.items()}, nt)
        if self._state is not state:
            self._state = state
        self.t = t

    def __repr__(self):
        hp = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items())
        pre = f", preset={self.preset!r}" if self.preset else ""
        return f"{type(self).__name__}(lr={self.lr!r}, {hp}{pre})"


class _AdamBase(_Optimizer):
    _family = "adam"
    _kernel_slots = ("m", "v", "vhat")

    def _needed_state(self):
        return ("m", "v", "vhat") if self._kernel.ops["amsgrad"] else ("m", "v")

    def _run(self, kernel, p, g, st, nt):
        kernel.run(p, g, st["m"], st["v"], st.get("vhat"), nt)


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
        OpenMP threads; None follows ``OMP_NUM_THREADS``/threadpoolctl. Results are
        bit-identical for every thread count.
    preset : str or None
        A framework whose rounding to reproduce bit for bit (see ``adamkit.presets``);
        its own hyper-parameter names are accepted as keywords.

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

    def __init__(self, lr=None, betas=None, eps=None, weight_decay=None, *, amsgrad=False,
                 nesterov=False, maximize=False, decoupled_weight_decay=None, n_threads=None,
                 preset=None, **preset_options):
        given = {k: v for k, v in dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                       amsgrad=amsgrad or None, nesterov=nesterov or None,
                                       maximize=maximize or None,
                                       decoupled_weight_decay=decoupled_weight_decay).items()
                 if v is not None}
        if preset is not None:
            rule, hp, lr = _preset_rule(preset, type(self).__name__, {**given, **preset_options})
            self._setup(rule, hp, lr, n_threads, preset)
            return
        if preset_options:
            raise TypeError(f"unknown keyword arguments {sorted(preset_options)} "
                            "(framework-specific names need preset=...)")
        lr = self._default_lr if lr is None else lr
        b1, b2 = (0.9, 0.999) if betas is None else betas
        decoupled = self._decoupled_default if decoupled_weight_decay is None \
            else bool(decoupled_weight_decay)
        hp = {"b1": check_beta("betas[0]", b1), "b2": check_beta("betas[1]", b2),
              "eps": check_real("eps", 1e-8 if eps is None else eps, 0.0),
              "weight_decay": check_real("weight_decay",
                                         self._default_wd if weight_decay is None
                                         else weight_decay, 0.0)}
        rule = _rules.native_adam(amsgrad=amsgrad, nesterov=nesterov, decoupled=decoupled,
                                  weight_decay=hp["weight_decay"], maximize=maximize,
                                  adamax=self._adamax)
        self._setup(rule, hp, lr, n_threads, None)

    _adamax = False


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    As :class:`Adam`, but ``weight_decay`` (default 1e-2) multiplies the parameters by
    :math:`1 - \eta\lambda` before the moments are updated, instead of adding
    :math:`\lambda p` to the gradient.
    """

    _default_wd = 1e-2
    _decoupled_default = True


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
    n_threads, preset : as for :class:`Adam`.
    """

    _family = "rmsprop"
    _kernel_slots = ("ms", "mg", "mom")

    def __init__(self, lr=None, alpha=None, eps=None, weight_decay=None, *, momentum=None,
                 centered=False, maximize=False, initial_accumulator=None, n_threads=None,
                 preset=None, **preset_options):
        given = {k: v for k, v in dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                       momentum=momentum, centered=centered or None,
                                       maximize=maximize or None,
                                       initial_accumulator=initial_accumulator).items()
                 if v is not None}
        if preset is not None:
            rule, hp, lr = _preset_rule(preset, "RMSProp", {**given, **preset_options})
            self._setup(rule, hp, lr, n_threads, preset, hp.get("initial_accumulator", 0.0))
            return
        if preset_options:
            raise TypeError(f"unknown keyword arguments {sorted(preset_options)} "
                            "(framework-specific names need preset=...)")
        lr = 1e-2 if lr is None else lr
        hp = {"alpha": check_beta("alpha", 0.99 if alpha is None else alpha),
              "eps": check_real("eps", 1e-8 if eps is None else eps, 0.0),
              "weight_decay": check_real("weight_decay", weight_decay or 0.0, 0.0),
              "momentum": check_real("momentum", momentum or 0.0, 0.0),
              "initial_accumulator": check_real("initial_accumulator",
                                                initial_accumulator or 0.0, 0.0)}
        rule = _rules.native_rmsprop(momentum=hp["momentum"], centered=centered,
                                     weight_decay=hp["weight_decay"], maximize=maximize)
        self._setup(rule, hp, lr, n_threads, None, hp["initial_accumulator"])

    def _needed_state(self):
        names = ["ms"]
        if self._kernel.needs_mg:
            names.append("mg")
        if self._kernel.needs_mom:
            names.append("mom")
        return tuple(names)

    def _run(self, kernel, p, g, st, nt):
        kernel.run(p, g, st["ms"], st.get("mg"), st.get("mom"), nt)
