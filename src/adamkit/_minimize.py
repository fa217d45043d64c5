"""A :func:`scipy.optimize.minimize`-style front end to the adamkit optimizers.

:func:`minimize` runs one of the adaptive first-order methods of this package
(``adam``, ``amsgrad``, ``adamw``, ``adamax``, ``nadam``, ``rmsprop``) and returns a
:class:`scipy.optimize.OptimizeResult`.  Each method is also a plain function with
scipy's custom-method signature, so::

    scipy.optimize.minimize(fun, x0, method=adamkit.adam, options={...})

is the same computation as ``adamkit.minimize(fun, x0, method="adam", options={...})``
and returns the same result.

The iteration (common to all methods)
-------------------------------------
::

    x = copy of x0 (float32 stays float32, anything else becomes float64),
        projected onto the bounds
    f, g = fun(x), grad(x)                       # evaluation 0
    repeat:
        stop if |P(g)| <= gtol (success), nit == maxiter, batches are exhausted
        optimizer.step(x, g)                     # one Adam/RMSProp update, in place
        x = clip(x, lb, ub)                      # projection onto the bounds
        nit += 1
        f, g = fun(x), grad(x)                   # one evaluation per iteration
        stop on NaN/inf, on callback's StopIteration, ftol or xtol

so ``res.fun`` and ``res.jac`` are the value and gradient at ``res.x`` (with
``keep_best=True``: at the best point seen), and a run of ``nit`` iterations evaluates
``fun`` ``nit + 1`` times (plus the finite-difference evaluations when no gradient is
given).

Bounds
------
Bounds are enforced by projection after every step (projected Adam/RMSProp; the moment
estimates are not modified by the projection).  They are rounded inwards to the dtype of
the iterate, so ``res.x`` is always inside them; bounds that hold no value of that dtype,
and NaN bounds, are refused.  The stopping test uses L-BFGS-B's projected gradient
``P(g) = min(max(g, x - ub), x - lb)``: a component pointing out of an active bound is 0,
so a minimizer on the boundary is a success.  Variables fixed by the bounds (``lb ==
ub``) are left out of the problem as scipy's ``minimize`` does: they are not
differentiated (``res.jac`` holds NaN for them with finite differences) and do not move;
when all variables are fixed, ``fun`` is evaluated once and the run ends with success.

Calls of ``fun``
----------------
``fun``, ``jac`` and ``callback`` get a fresh copy of the iterate (scipy gh-13740): they
may keep or modify it.  With ``copy_x=False`` they get a read-only view of the iterate,
updated in place (no per-iteration copy: copy it if you keep it).  ``fun`` may return a
noisy estimate: it is called once per iteration (with ``jac=True``; with a separate
``jac`` callable, ``fun`` and then ``jac`` are called once each at the same ``x``).
``nfev`` and ``njev`` count these calls.  Two options make stochastic runs reproducible:

* ``batches``: an iterable; the call becomes ``fun(x, batch, *args)`` (also for a
  ``jac`` callable) with a new batch per evaluation (the first batch is used at ``x0``,
  so ``N`` batches allow ``N - 1`` iterations); the run stops with ``status = 2`` when
  it is exhausted.
* ``seed``: when given, ``fun`` (and ``jac``) are called with
  ``rng=np.random.default_rng(seed)`` if they have an ``rng`` parameter: one generator
  for the whole run.  Without ``seed`` no ``rng`` is passed.

Defaults
--------
``lr=1e-2`` and ``maxiter=15000`` for every method (not the optimizer objects' 1e-3:
that default is made for millions of noisy minibatch steps).  Adam moves each variable
by about ``lr`` per iteration, so ``lr`` bounds how far ``x`` travels within the budget,
and 15000 is L-BFGS-B's default ``maxiter``.  On five standard problems (Rosenbrock in
2, 10 and 100 dimensions from ``(-1.2, 1, ...)``, a 200 x 20 linear least-squares
problem, an L2-regularized logistic regression on sklearn's breast-cancer data), Adam
with the old defaults (lr 1e-3, 1000 iterations) reached ``gtol=1e-5`` on none; with
these it reaches it on all five (at most 9749 iterations).  Methods that do not reach a
stationary point with a constant rate (RMSProp without momentum, AdamW's decay) end at
the budget: when the *default* ``maxiter`` ends away from a stationary point an
`OptimizeWarning` says so (set ``maxiter`` to silence it).

Design
------
This module holds the public functions and the table of methods; the options and the
checks of ``x0`` and the bounds are in ``_minimize_options`` (the :class:`Options`
dataclass), the calls of ``fun`` in ``_minimize_objective`` (:class:`Objective`) and the
loop in ``_minimize_loop``; :class:`Engine` says where the objective is evaluated and the
optimizer stepped (this process; ``adamkit.mpi`` runs the same ``run`` across MPI ranks),
and ``_blocks`` holds the ``blocks`` option's fixed summation order.  The six methods
are generated from the table ``_METHODS`` by ``_method_factory``: the scipy signature is
written once, in ``_minimize_method``; each generated function has the full signature
(scipy's arguments, the method's hyper-parameters, the common options) as ``__signature__`` for
:func:`inspect.signature` and help(), and is typed through a ``ParamSpec`` so that type
checkers see scipy's custom-method signature.  Only scipy's public API is used
(``OptimizeResult``, ``OptimizeWarning``, ``Bounds``); NumPy >= 2 makes the real floor
scipy 1.13, the first release built for it.
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import warnings
from typing import Any, Callable, Concatenate, Optional, ParamSpec, Union

import numpy as np
from scipy.optimize import OptimizeResult, OptimizeWarning

from ._blocks import BlockObjective, check_block_options
from ._minimize_loop import fixed_result, solve
from ._minimize_objective import Objective
from ._minimize_options import (
    DEFAULT_LR,
    Options,
    prepare_bounds,
    prepare_x0,
    split_options,
    user_stacklevel,
)

__all__ = ["minimize", "adam", "amsgrad", "adamw", "adamax", "nadam", "rmsprop"]


# ---------------------------------------------------------------------------------------
# the table of methods
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Method:
    name: str
    optimizer: str                 # the adamkit class that runs it
    fixed: dict                    # constructor arguments the method implies
    hyperparameters: tuple         # its hyper-parameters, as the class names them
    doc: str                       # title and update rule
    weight_decay_doc: str = "L2 penalty added to the gradient (default 0)."


_ADAM_RULE = r"""
    With :math:`g_t = \nabla f(x_{t-1}) + \lambda x_{t-1}` (``weight_decay``
    :math:`\lambda`, L2 form) and ``lr`` :math:`\eta_t`:

    .. math::
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        x_t &= x_{t-1} - \eta_t\, \frac{m_t/(1-\beta_1^t)}
               {\sqrt{v_t/(1-\beta_2^t)} + \epsilon}
"""

_ADAM_HP = ("lr", "betas", "eps", "weight_decay")

_METHODS = {m.name: m for m in (
    _Method("adam", "Adam", {}, _ADAM_HP,
            "Minimize a scalar function with Adam (Kingma & Ba 2015, Algorithm 1).\n"
            + _ADAM_RULE + "\n    (``preset=`` selects another framework's exact variant)."),
    _Method("amsgrad", "Adam", {"amsgrad": True}, _ADAM_HP,
            r"""Minimize a scalar function with AMSGrad (Reddi et al. 2018).

    Adam (see :func:`adam`) with the running maximum of the second moment:

    .. math::
        \hat v_t = \max(\hat v_{t-1}, v_t), \qquad
        x_t = x_{t-1} - \eta_t\, \frac{m_t/(1-\beta_1^t)}
              {\sqrt{\hat v_t/(1-\beta_2^t)} + \epsilon}

    (``Adam(amsgrad=True)``; ``preset=`` selects a framework's variant)."""),
    _Method("adamw", "AdamW", {}, _ADAM_HP,
            r"""Minimize a scalar function with AdamW (Loshchilov & Hutter 2019).

    Adam with decoupled weight decay :math:`\lambda`: the gradient is not modified, the
    decay is applied to the iterate,

    .. math::
        x_t = x_{t-1} - \eta_t \left(\frac{m_t/(1-\beta_1^t)}
              {\sqrt{v_t/(1-\beta_2^t)} + \epsilon} + \lambda x_{t-1}\right)

    so the minimizer of ``fun`` is biased towards 0 and the gradient of ``fun`` does not
    vanish there (set ``weight_decay=0`` to minimize ``fun`` itself).""",
            weight_decay_doc=r":math:`\lambda` (decoupled) (default 1e-2)."),
    _Method("adamax", "AdaMax", {}, _ADAM_HP,
            r"""Minimize a scalar function with AdaMax (Kingma & Ba 2015, Algorithm 2).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \qquad
        x_t = x_{t-1} - \frac{\eta_t}{1-\beta_1^t}\, \frac{m_t}{u_t}

    (:math:`\epsilon` inside the max, as PyTorch and Torch7; ``preset=`` selects a
    framework's variant)."""),
    _Method("nadam", "Adam", {"nesterov": True}, _ADAM_HP,
            r"""Minimize a scalar function with NAdam (Dozat 2016): Adam with Nesterov momentum.

    ``Adam(nesterov=True)``: the first-moment term of the Adam update (see :func:`adam`) is
    replaced by its Nesterov look-ahead

    .. math::
        \frac{\beta_1 m_t}{1-\beta_1^{t}} + \frac{(1-\beta_1) g_t}{1-\beta_1^t}

    (the exact bias corrections and momentum schedule follow the optimizer object and its
    ``preset``)."""),
    _Method("rmsprop", "RMSProp", {},
            ("lr", "alpha", "eps", "weight_decay", "momentum", "centered"),
            r"""Minimize a scalar function with RMSProp (Tieleman & Hinton 2012), in PyTorch's form.

    :math:`\epsilon` outside the square root:

    .. math::
        v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2, \qquad
        \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t \ \text{(centered)} \\
        d_t &= \frac{g_t}{\sqrt{v_t - \bar g_t^2} + \epsilon}
        \quad(\bar g_t = 0 \text{ unless centered}) \\
        b_t &= \mu b_{t-1} + d_t, \qquad x_t = x_{t-1} - \eta_t b_t
        \quad(b_t = d_t \text{ if } \mu = 0)

    Without momentum its steps do not shrink near a minimizer: use a schedule for ``lr``
    (or ``momentum``) to converge."""),
)}

_HYPER_DOC = {
    "lr": f"""lr : float or callable, optional
        :math:`\\eta` (default {DEFAULT_LR:g}, see the Notes of :func:`adamkit.minimize`;
        with ``preset=``, the framework's), or a schedule ``lr(t)`` (see
        :mod:`adamkit.schedules`).  ``learning_rate`` is a deprecated alias.""",
    "betas": """betas : (float, float), optional
        :math:`(\\beta_1, \\beta_2)` (default (0.9, 0.999)).""",
    "eps": """eps : float, optional
        :math:`\\epsilon` (default 1e-8).""",
    "alpha": """alpha : float, optional
        Smoothing constant :math:`\\alpha` (default 0.99).""",
    "momentum": """momentum : float, optional
        :math:`\\mu` (default 0).""",
    "centered": """centered : bool, optional
        Normalize by the estimated variance of the gradient.""",
}

_HYPER_TYPES = {"lr": "Union[float, Callable[[int], float]]", "betas": "Optional[tuple]",
                "centered": "Optional[bool]"}

_PARAMETERS_DOC = """Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (``fun(x, batch, *args)`` with the ``batches``
        option), or ``-> (float, ndarray)`` with ``jac=True``.  ``x`` is a fresh copy of
        the iterate (a read-only view of it with ``copy_x=False``).
    x0 : array_like, shape (n,)
        Initial guess.  float32 stays float32; anything else becomes float64.
    args : tuple, optional
        Extra arguments passed to ``fun`` and ``jac``.
    jac : {callable, True, '2-point', '3-point', 'cs', None}, optional
        The gradient: a callable with ``fun``'s signature, ``True`` if ``fun`` returns
        ``(f, g)``, or a finite-difference scheme with the semantics of scipy's
        ``approx_derivative`` (``None``: '2-point'; :func:`scipy.optimize.minimize`
        hands custom methods ``None`` for '3-point' and 'cs').
    hess, hessp : None
        Accepted for scipy's custom-method signature; not used (a ``RuntimeWarning`` is
        issued if given).
    bounds : `scipy.optimize.Bounds` or sequence of ``(lo, hi)``, optional
        Box constraints (``None`` for no bound), enforced by projection of the iterate
        after each step; ``lo == hi`` fixes a variable.
    constraints : ()
        Not supported (a ``RuntimeWarning`` is issued if given).
    callback : callable, optional
        ``callback(intermediate_result: OptimizeResult)`` (the parameter must be named
        ``intermediate_result``; it gets ``x, fun, jac, nit``) or the legacy
        ``callback(xk)``; called after each iteration with copies (views with
        ``copy_x=False``).  Raising ``StopIteration`` ends the run with ``status = 99``."""

_COMMON_OPTIONS_DOC = """preset : str, optional
        Reproduce a framework's exact semantics (passed to the optimizer object with
        ``preset_options``, which takes the framework's own hyper-parameter names).
    preset_options : dict, optional
        Extra keyword arguments for the preset.
    maxiter : int
        Maximum number of iterations (optimizer steps); None: no limit.  Default 15000.
    gtol : float
        Stop with success when the norm of the projected gradient is ``<= gtol``.
    norm : float
        Order of that norm (``np.inf``: max-abs, as scipy's BFGS).
    ftol : float
        Stop with success when ``|f_k - f_{k+1}| <= ftol * max(|f_k|, |f_{k+1}|, 1)``
        for ``patience`` iterations in a row (scipy's L-BFGS-B criterion); 0 turns it off.
    xtol : float
        Stop with success when ``max|x_{k+1} - x_k| <= xtol`` for ``patience``
        iterations in a row; 0 turns it off.
    patience : int
        See ``ftol``/``xtol``; use more than 1 for noisy objectives.
    tol : float, optional
        scipy's generic tolerance (``minimize(..., tol=...)``): sets ``gtol`` unless
        ``gtol`` is given.
    disp : bool or int
        ``True``: print a convergence summary like scipy's methods (and issue an
        `OptimizeWarning` when the run fails); an integer ``k > 1`` also prints
        ``nit, fun, |grad|`` every ``k`` iterations.
    return_all : bool
        Also return ``res.allvecs``, the list of iterates.
    keep_best : bool
        Return the point with the smallest ``fun`` seen (``x0`` included) instead of
        the last iterate (first-order methods do not decrease ``fun`` monotonically).
    copy_x : bool
        ``True`` (default): ``fun``, ``jac`` and ``callback`` get a fresh copy of ``x``.
        ``False``: a read-only view of the iterate, updated in place (no copy).
    finite_diff_rel_step : float or array_like, optional
        Relative step of the finite differences (scipy's default if None).
    batches : iterable, optional
        Data for a stochastic objective: each evaluation takes the next item and calls
        ``fun(x, batch, *args)``; the run stops with ``status = 2`` when it is exhausted.
    seed : {None, int, numpy.random.Generator, SeedSequence}
        When given, ``rng=np.random.default_rng(seed)`` is passed to ``fun`` (and
        ``jac``) if they have an ``rng`` parameter; without it no ``rng`` is passed.
    blocks : int or sequence, optional
        The objective is a sum over ``B`` blocks: ``fun(x, b, *args)`` (``blocks=B``) or
        ``fun(x, blocks[b], *args)`` gives block ``b``'s value and gradient (``jac=True``
        or a callable ``jac``), and the terms are added by one fixed binary tree over the
        block indices (``adamkit._blocks``): the order :func:`adamkit.mpi.minimize` keeps
        on any number of ranks.  ``nfev``/``njev`` count evaluations of the sum.
    groups : sequence of int, optional
        Sizes of consecutive parameter groups splitting ``x`` (sum = n), each updated
        as a separate array by the optimizer.
    lr_mult : float or sequence of float, optional
        Learning-rate multiplier of each group (Caffe's ``lr_mult``); a scalar applies
        to all of ``x``.
    n_threads : int, optional
        Threads of the kernel (passed to the optimizer object).
    **unknown_options
        A hyper-parameter name the method does not take raises ValueError; any other
        unknown option triggers an `OptimizeWarning`.

    Returns
    -------
    res : OptimizeResult
        ``x, fun, jac`` (at ``x``), ``nit, nfev, njev, status, success, message`` (and
        ``allvecs``).  ``status``: 0 converged (``gtol``, ``ftol``, ``xtol``, or all
        variables fixed), 1 ``maxiter`` reached, 2 ``batches`` exhausted, 3 NaN/inf
        encountered, 99 ``callback`` raised ``StopIteration``."""


def _docstring(m: _Method) -> str:
    hyper = [_HYPER_DOC[h] if h != "weight_decay" else
             f"weight_decay : float, optional\n        {m.weight_decay_doc}"
             for h in m.hyperparameters]
    return (f"{m.doc}\n\n    The options (Other Parameters) are keyword arguments here and the\n"
            "    ``options`` dict of :func:`scipy.optimize.minimize`; hyper-parameters left at\n"
            "    ``None`` take the optimizer object's default or, with ``preset=``, the\n"
            f"    framework's default.\n\n    {_PARAMETERS_DOC}\n\n"
            "    Other Parameters\n    ----------------\n    "
            + "\n    ".join(hyper) + "\n    " + _COMMON_OPTIONS_DOC + "\n    ")


# ---------------------------------------------------------------------------------------
# one method, written once
# ---------------------------------------------------------------------------------------

def _warn_unused(method: str, hess, hessp, constraints) -> None:
    if hess is not None:
        warnings.warn(f"Method {method} does not use Hessian information (hess).",
                      RuntimeWarning, stacklevel=user_stacklevel())
    if hessp is not None:
        warnings.warn(f"Method {method} does not use Hessian-vector product information "
                      "(hessp).", RuntimeWarning, stacklevel=user_stacklevel())
    if constraints is not None and not (isinstance(constraints, (list, tuple, dict))
                                        and len(constraints) == 0):
        warnings.warn(f"Method {method} cannot handle constraints.", RuntimeWarning,
                      stacklevel=user_stacklevel())


def _optimizer_spec(method: _Method, hyper: dict, opts: Options) -> tuple:
    """``(class, keywords)`` of the optimizer object (looked up in adamkit at call time,
    it checks ``hyper`` when constructed)."""
    kw = dict(method.fixed)
    kw.update((k, v) for k, v in hyper.items() if v is not None)
    if opts.preset is None:
        kw.setdefault("lr", DEFAULT_LR)
    else:
        kw["preset"] = opts.preset
        kw.update(opts.preset_options or {})
    if opts.n_threads is not None:
        kw["n_threads"] = opts.n_threads
    return getattr(importlib.import_module(__package__ or "adamkit"), method.optimizer), kw


class Engine:
    """Where a run evaluates the objective and steps the optimizer: in this process (this
    class) or across the ranks of an MPI communicator (``adamkit.mpi``, a subclass)."""

    def options(self, opts: Options, n: int) -> Options:
        return opts

    def optimizer(self, cls: type, kw: dict):
        return cls(**kw)

    def objective(self, fun: Callable, jac: Any, args: tuple, x: np.ndarray, opts: Options,
                  box: Any) -> Objective:
        if opts.blocks is not None:
            check_block_options(jac, opts)
            return BlockObjective(fun, jac, args, x, copy_x=opts.copy_x, blocks=opts.blocks)
        return Objective(
            fun, jac, args, x, copy_x=opts.copy_x, box=box, rel_step=opts.finite_diff_rel_step,
            batches=None if opts.batches is None else iter(opts.batches),
            rng=None if opts.seed is None else np.random.default_rng(opts.seed),
            own_buffer=opts.groups is not None)

    def callback(self, callback: Optional[Callable]) -> Optional[Callable]:
        return callback

    def start(self, x: np.ndarray, opts: Options) -> None:
        """Every check has passed; ``fun`` is called next."""


def _minimize_method(method: _Method, fun: Callable, x0: Any, args: tuple = (),
                     jac: Any = None, hess: Any = None, hessp: Any = None,
                     bounds: Any = None, constraints: Any = (),
                     callback: Optional[Callable] = None, **options: Any) -> OptimizeResult:
    """The body of every method: check everything, then run the loop."""
    return run(Engine(), method, fun, x0, args, jac, hess, hessp, bounds, constraints,
               callback, options)


def run(engine: Engine, method: _Method, fun: Callable, x0: Any, args: Any, jac: Any,
        hess: Any, hessp: Any, bounds: Any, constraints: Any, callback: Optional[Callable],
        options: dict) -> OptimizeResult:
    """One run of ``method`` on ``engine``: every check, then the loop."""
    _warn_unused(method.name, hess, hessp, constraints)
    solver, hyper, unknown = split_options(method.name, method.hyperparameters, options)
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(map(str, unknown))}",
                      OptimizeWarning, stacklevel=user_stacklevel())
    x = prepare_x0(x0)
    opts = engine.options(Options(**solver, given=frozenset(solver), n=x.size), x.size)
    box = prepare_bounds(bounds, x.size, x.dtype)
    if box is not None:
        box.project(x)
    opt = engine.optimizer(*_optimizer_spec(method, hyper, opts))
    objective = engine.objective(fun, jac, args if isinstance(args, tuple) else (args,), x,
                                 opts, box)
    if opts.seed is not None and not objective.uses_rng:
        warnings.warn("`seed` is ignored: neither `fun` nor `jac` has an `rng` parameter",
                      OptimizeWarning, stacklevel=user_stacklevel())
    callback = engine.callback(callback)
    engine.start(x, opts)
    if box is not None and box.free.size == 0:
        return fixed_result(objective, box, opts)
    return solve(objective, opt, box, opts, callback, method.name)


_P = ParamSpec("_P")


def _method_factory(template: Callable[Concatenate[_Method, _P], OptimizeResult]
                    ) -> Callable[[_Method], Callable[_P, OptimizeResult]]:
    """``make(method)``: the public function of one row of ``_METHODS``, with the
    signature of ``template`` (minus its first argument) for type checkers and the full
    signature, options included, for :func:`inspect.signature`."""
    head = list(inspect.signature(template).parameters.values())[1:-1]
    common = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                                annotation=f.type)
              for f in dataclasses.fields(Options) if f.name != "given"]
    tail = inspect.Parameter("unknown_options", inspect.Parameter.VAR_KEYWORD)

    def make(spec: _Method) -> Callable[_P, OptimizeResult]:
        def method(*args: _P.args, **kwargs: _P.kwargs) -> OptimizeResult:
            return template(spec, *args, **kwargs)
        hyper = [inspect.Parameter(h, inspect.Parameter.KEYWORD_ONLY,
                                   default=DEFAULT_LR if h == "lr" else None,
                                   annotation=_HYPER_TYPES.get(h, "Optional[float]"))
                 for h in spec.hyperparameters]
        method.__name__ = method.__qualname__ = spec.name
        method.__doc__ = _docstring(spec)
        method.__signature__ = inspect.Signature(          # type: ignore[attr-defined]
            head + hyper + common + [tail], return_annotation="OptimizeResult")
        return method
    return make


_make = _method_factory(_minimize_method)
adam = _make(_METHODS["adam"])
amsgrad = _make(_METHODS["amsgrad"])
adamw = _make(_METHODS["adamw"])
adamax = _make(_METHODS["adamax"])
nadam = _make(_METHODS["nadam"])
rmsprop = _make(_METHODS["rmsprop"])
_FUNCTIONS = {"adam": adam, "amsgrad": amsgrad, "adamw": adamw, "adamax": adamax,
              "nadam": nadam, "rmsprop": rmsprop}


# ---------------------------------------------------------------------------------------
# minimize
# ---------------------------------------------------------------------------------------

def minimize(fun: Callable, x0: Any, args: tuple = (),
             method: Union[None, str, Callable] = None, jac: Any = None, hess: Any = None,
             hessp: Any = None, bounds: Any = None, constraints: Any = (),
             tol: Optional[float] = None, callback: Optional[Callable] = None,
             options: Optional[dict] = None) -> OptimizeResult:
    """Minimize a scalar function with an adaptive first-order method.

    The signature and argument order of :func:`scipy.optimize.minimize`; see the module
    docstring of ``adamkit._minimize`` for the iteration, the bounds and the calls of
    ``fun``, and the Notes below for the defaults.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, or ``-> (float, ndarray)`` with ``jac=True``;
        ``fun(x, batch, *args)`` with the ``batches`` option.
    x0 : array_like, shape (n,)
        Initial guess.  float32 stays float32 (the iterate, the optimizer state and
        ``res.x``); anything else becomes float64.
    args : tuple, optional
        Extra arguments passed to ``fun`` (and ``jac``).
    method : str or callable, optional
        One of ``'adam'`` (the default), ``'amsgrad'``, ``'adamw'``, ``'adamax'``,
        ``'nadam'``, ``'rmsprop'`` (case-insensitive), or a custom method with scipy's
        custom-method signature.  The options of each are the keyword arguments of
        :func:`adamkit.adam` etc.
    jac : {callable, True, '2-point', '3-point', 'cs', None}, optional
        The gradient.  ``None``: forward differences.
    hess, hessp : None
        Passed to the method (adamkit's methods warn that they do not use them).
    bounds : `scipy.optimize.Bounds` or sequence of ``(lo, hi)``, optional
        Box constraints, enforced by projection after each step.
    constraints : ()
        Passed to the method (adamkit's methods warn that they cannot handle them).
    tol : float, optional
        Passed to the method as the ``tol`` option (as scipy does for custom methods);
        it sets ``gtol`` unless ``options`` has ``gtol``.
    callback : callable, optional
        ``callback(intermediate_result)`` or ``callback(xk)``; raise ``StopIteration``
        to stop (``status = 99``).
    options : dict, optional
        Method options (e.g. ``lr``, which may be a schedule, ``maxiter``, ``gtol``,
        ``ftol``, ``xtol``, ``disp``, ``keep_best``, ``copy_x``, ``preset``,
        ``batches``, ``seed``).  A hyper-parameter the method does not take raises
        ValueError; other unknown options trigger an `OptimizeWarning`.

    Returns
    -------
    res : OptimizeResult
        ``x, fun, jac, nit, nfev, njev, status, success, message``.

    Notes
    -----
    The defaults are ``lr=1e-2`` and ``maxiter=15000`` for every method, not the
    optimizer objects' ``lr=1e-3`` (made for millions of noisy minibatch steps): Adam
    moves each variable by about ``lr`` per iteration.  With them Adam reaches
    ``gtol=1e-5`` on Rosenbrock in 2, 10 and 100 dimensions, a least-squares problem and
    a logistic regression (with ``lr=1e-3`` and 1000 iterations, on none).  When the
    default ``maxiter`` ends away from a stationary point (e.g. RMSProp without momentum,
    whose steps do not shrink) an `OptimizeWarning` says so.

    Examples
    --------
    >>> import numpy as np, adamkit
    >>> from scipy.optimize import rosen, rosen_der
    >>> res = adamkit.minimize(rosen, [-1.2, 1.0], jac=rosen_der)
    >>> res.success, bool(np.allclose(res.x, [1, 1], atol=1e-4))
    (True, True)
    """
    x0 = np.atleast_1d(np.asarray(x0))
    if x0.ndim != 1:
        raise ValueError("'x0' must only have one dimension.")
    if x0.dtype.kind in np.typecodes["AllInteger"]:
        x0 = np.asarray(x0, dtype=float)
    if not isinstance(args, tuple):
        args = (args,)
    if method is None:
        method = "adam"
    if callable(method):
        meth = method
    elif isinstance(method, str) and method.lower() in _FUNCTIONS:
        meth = _FUNCTIONS[method.lower()]
    else:
        raise ValueError(f"Unknown solver {method}")
    options = {} if options is None else dict(options)
    if tol is not None:
        options.setdefault("tol", tol)
    # exactly the call scipy.optimize.minimize makes for a custom method
    return meth(fun, x0, args=args, jac=jac, hess=hess, hessp=hessp, bounds=bounds,
                constraints=constraints, callback=callback, **options)
