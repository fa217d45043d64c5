"""A :func:`scipy.optimize.minimize`-style front end to the adamkit optimizers.

:func:`minimize` runs one of the adaptive first-order methods of this package
(``adam``, ``amsgrad``, ``adamw``, ``adamax``, ``nadam``, ``rmsprop``) and
returns a :class:`scipy.optimize.OptimizeResult`.  Each method is also a plain
function with scipy's custom-method signature, so::

    scipy.optimize.minimize(fun, x0, method=adamkit.adam, options={...})

is the same computation as ``adamkit.minimize(fun, x0, method="adam",
options={...})`` and returns the same result.

The iteration (common to all methods)
-------------------------------------
::

    x = copy of x0 (float32 stays float32, anything else becomes float64),
        projected onto the bounds
    f, g = fun(x), grad(x)                       # evaluation 0
    repeat:
        stop if |g| <= gtol (success), nit == maxiter, batches are exhausted
        optimizer.step(x, g)                     # one Adam/RMSProp update, in place
        x = clip(x, lb, ub)                      # projection onto the bounds
        nit += 1
        f, g = fun(x), grad(x)                   # one evaluation per iteration
        stop on NaN/inf, on callback's StopIteration, ftol or xtol

so ``res.fun`` and ``res.jac`` are always the value and gradient at
``res.x``, and a run of ``nit`` iterations evaluates ``fun`` ``nit + 1`` times
(plus the finite-difference evaluations when no gradient is given).

Bounds are enforced by projection (clipping to ``[lb, ub]``) after every step: this is
projected Adam/RMSProp.  The moment estimates are not modified by the
projection, so a coordinate held at a bound keeps its (decaying) moments.

Stochastic objectives
---------------------
``fun`` may return a noisy estimate (e.g. on a random minibatch): it is called
exactly once per iteration (with ``jac=True``; with a separate ``jac``
callable, ``fun`` and then ``jac`` are called once each with the same ``x``,
so use ``jac=True`` when both must see the same minibatch).  ``nfev`` and
``njev`` count these calls.  Two helpers make such runs reproducible:

* ``batches`` option: an iterable; the call becomes ``fun(x, batch, *args)``
  (also for a ``jac`` callable) with a new batch per evaluation (the first
  batch is used at ``x0``, so ``N`` batches allow ``N - 1`` iterations).  The
  run stops with ``status = 2`` when the iterable is exhausted.
* ``seed`` option: if ``fun`` (or ``jac``) has a parameter named ``rng``, it is
  called with ``rng=np.random.default_rng(seed)``, one generator for the whole
  run; the same seed gives the same run.

Finite differences assume ``fun`` is deterministic within one iteration:
with a random objective pass the sample through ``batches``.

Performance contract
--------------------
``fun`` receives a read-only view of the iterate, which is updated in place:
copy it if you keep it.  The loop does no per-element Python work and no
per-iteration allocation besides what ``fun`` returns (and what ``callback``,
``return_all`` and ``batches`` need, when given); the gradient is used
as is when it is a C-contiguous array of the iterate's dtype, otherwise it is
copied into a preallocated buffer.
"""
from __future__ import annotations

import importlib
import inspect
import math
import re
import sys
import warnings
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import numpy as np
from scipy.optimize import Bounds, OptimizeResult, OptimizeWarning

__all__ = ["minimize", "adam", "amsgrad", "adamw", "adamax", "nadam", "rmsprop"]

# standard status messages of the adaptive methods
_status_message = {
    "success": "Optimization terminated successfully.",
    "gtol": "Optimization terminated successfully: gradient norm <= gtol.",
    "ftol": "Optimization terminated successfully: relative reduction of "
            "the objective <= ftol.",
    "xtol": "Optimization terminated successfully: step size <= xtol.",
    "maxiter": "Maximum number of iterations has been exceeded.",
    "batches": "The iterable of batches is exhausted.",
    "nan": "NaN result encountered.",
    "callback": "`callback` raised `StopIteration`.",
}

# status codes (``res.status``); 0 is success, like scipy.
_STATUS = {"gtol": 0, "ftol": 0, "xtol": 0, "maxiter": 1, "batches": 2,
           "nan": 3, "callback": 99}

_FD_METHODS = ("2-point", "3-point", "cs")
_OWN_PACKAGES = ("adamkit", "scipy")


# ---------------------------------------------------------------------------
# helpers in the style of scipy.optimize._optimize
# ---------------------------------------------------------------------------

def _user_stacklevel() -> int:
    """``stacklevel`` for :func:`warnings.warn` called from the caller of this
    function, pointing at the first frame outside adamkit and scipy (user code,
    whether it called :func:`minimize`, a method directly, or
    :func:`scipy.optimize.minimize`)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and \
            frame.f_globals.get("__name__", "").split(".")[0] in _OWN_PACKAGES:
        frame = frame.f_back
        level += 1
    return level


def _disp(line: str) -> None:
    """The ``disp`` output: the only printing in the library."""
    print(line)  # noqa: T201


def _check_unknown_options(unknown_options: dict) -> None:
    if unknown_options:
        msg = ", ".join(map(str, unknown_options.keys()))
        warnings.warn(f"Unknown solver options: {msg}", OptimizeWarning,
                      stacklevel=_user_stacklevel())


def _wrap_callback(callback: Optional[Callable]) -> Optional[Callable]:
    """Return ``cb(x, f, g, nit) -> bool`` (True: stop) calling ``callback``
    as ``callback(intermediate_result=OptimizeResult(...))`` when its only
    parameter is named ``intermediate_result``, else as ``callback(xk)``."""
    if callback is None:
        return None
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = None
    if params == {"intermediate_result"}:
        def call(x, f, g, nit):
            callback(intermediate_result=OptimizeResult(
                x=x.copy(), fun=f, jac=np.array(g, copy=True), nit=nit))
    else:
        def call(x, f, g, nit):
            callback(np.copy(x))

    def wrapped(x, f, g, nit):
        try:
            call(x, f, g, nit)
        except StopIteration:
            return True
        return False
    return wrapped


def _accepts_rng(fn: Callable) -> bool:
    try:
        p = inspect.signature(fn).parameters.get("rng")
    except (TypeError, ValueError):
        return False
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)


def _prepare_x0(x0: Any) -> np.ndarray:
    """A private, writeable, C-contiguous 1-D copy of x0: float32 stays
    float32, everything else (ints, lists, float16, ...) becomes float64."""
    x0 = np.atleast_1d(np.asarray(x0))
    if x0.ndim != 1:
        raise ValueError("'x0' must only have one dimension.")
    if x0.dtype.kind == "c":
        raise TypeError("complex 'x0' is not supported")
    dtype = np.float32 if x0.dtype == np.float32 else np.float64
    return np.array(x0, dtype=dtype, order="C", copy=True)


def _prepare_bounds(bounds: Any, n: int, dtype: np.dtype):
    """(lb, ub) arrays of ``dtype`` from a scipy ``Bounds`` or a sequence of
    ``(lo, hi)`` pairs (``None`` = unbounded); ``None`` if nothing is bounded.
    float32 bounds are rounded inwards so that projected points are feasible."""
    if bounds is None:
        return None
    if isinstance(bounds, Bounds):
        lb, ub = bounds.lb, bounds.ub
    else:
        pairs = list(bounds)
        if len(pairs) != n:
            raise ValueError("The number of bounds is not compatible with the "
                             "length of `x0`.")
        lb = [-np.inf if p[0] is None else p[0] for p in pairs]
        ub = [np.inf if p[1] is None else p[1] for p in pairs]
    try:
        lb = np.broadcast_to(np.asarray(lb, dtype=np.float64), (n,))
        ub = np.broadcast_to(np.asarray(ub, dtype=np.float64), (n,))
    except ValueError as e:
        raise ValueError("The number of bounds is not compatible with the "
                         "length of `x0`.") from e
    if np.any(ub < lb):
        raise ValueError("An upper bound is less than the corresponding lower bound.")
    if np.all(np.isneginf(lb)) and np.all(np.isposinf(ub)):
        return None
    lbd = np.array(lb, dtype=dtype)
    ubd = np.array(ub, dtype=dtype)
    if dtype != np.float64:
        low = lbd.astype(np.float64) < lb
        lbd[low] = np.nextafter(lbd[low], dtype.type(np.inf))
        high = ubd.astype(np.float64) > ub
        ubd[high] = np.nextafter(ubd[high], dtype.type(-np.inf))
    return lbd, ubd


def _to_float(f: Any) -> float:
    if isinstance(f, (float, np.floating, int)):
        return float(f)
    try:
        return float(np.asarray(f).item())
    except (TypeError, ValueError) as e:
        raise ValueError("The user-provided objective function must "
                         "return a scalar value.") from e


def _unwrap_memoize_jac(fun, jac):
    """``scipy.optimize.minimize(jac=True)`` hands custom methods
    ``fun=MemoizeJac(f)`` and ``jac=fun.derivative``; go back to ``(f, True)``
    so both entry points do exactly the same calls (and skip its copies)."""
    try:
        from scipy.optimize._optimize import MemoizeJac
    except ImportError:  # pragma: no cover
        return fun, jac
    if isinstance(fun, MemoizeJac) and getattr(jac, "__self__", None) is fun \
            and getattr(jac, "__func__", None) is MemoizeJac.derivative:
        return fun.fun, True
    return fun, jac


def _optimizer_class(name: str):
    return getattr(importlib.import_module(__package__ or "adamkit"), name)


def _make_optimizer(class_name: str, learning_rate, kwargs: dict, preset,
                    preset_options, n_threads):
    kw = {k: v for k, v in kwargs.items() if v is not None}
    if learning_rate is not None:
        kw["lr"] = learning_rate if callable(learning_rate) else float(learning_rate)
    if n_threads is not None:
        kw["n_threads"] = n_threads
    if preset is not None:
        kw["preset"] = preset
        kw.update(preset_options or {})
    elif preset_options:
        raise ValueError("`preset_options` given without `preset`")
    return _optimizer_class(class_name)(**kw)


# ---------------------------------------------------------------------------
# the loop shared by all methods
# ---------------------------------------------------------------------------

def _solve(opt, fun, x0, args, jac, hess, hessp, bounds, constraints, callback,
           method: str, *, maxiter, gtol, norm, ftol, xtol, patience, tol, disp,
           return_all, finite_diff_rel_step, batches, seed, groups, lr_mult
           ) -> OptimizeResult:
    if hess is not None:
        warnings.warn(f"Method {method} does not use Hessian information (hess).",
                      RuntimeWarning, stacklevel=_user_stacklevel())
    if hessp is not None:
        warnings.warn(f"Method {method} does not use Hessian-vector product "
                      "information (hessp).", RuntimeWarning,
                      stacklevel=_user_stacklevel())
    if constraints is not None and not (isinstance(constraints, (list, tuple, dict))
                                        and len(constraints) == 0):
        warnings.warn(f"Method {method} cannot handle constraints.",
                      RuntimeWarning, stacklevel=_user_stacklevel())
    if tol is not None:
        gtol = tol
    maxiter = sys.maxsize if maxiter is None else int(maxiter)
    patience = max(int(patience), 1)
    if not isinstance(args, tuple):
        args = (args,)

    fun, jac = _unwrap_memoize_jac(fun, jac)
    x = _prepare_x0(x0)
    n = x.size
    dtype = x.dtype
    shape = x.shape
    xv = x.view()
    xv.flags.writeable = False          # what fun sees
    gbuf = np.empty_like(x)
    box = _prepare_bounds(bounds, n, dtype)
    if box is not None:
        lb, ub = box
        np.minimum(np.maximum(x, lb, out=x), ub, out=x)

    # -- calls to fun / jac ---------------------------------------------------
    kw_f: dict = {}
    kw_j: dict = {}
    if seed is not None or _accepts_rng(fun) or (callable(jac) and _accepts_rng(jac)):
        rng = np.random.default_rng(seed)
        if _accepts_rng(fun):
            kw_f["rng"] = rng
        if callable(jac) and not isinstance(jac, bool) and _accepts_rng(jac):
            kw_j["rng"] = rng
        if seed is not None and not (kw_f or kw_j):
            warnings.warn("`seed` is ignored: neither `fun` nor `jac` has an `rng` "
                          "parameter", OptimizeWarning, stacklevel=_user_stacklevel())
    fd_evals = [0]                       # fun calls made by finite differences
    force_copy = groups is not None
    ndarray = np.ndarray

    def as_grad(g):
        """g itself when the kernel can use it directly, else a copy in gbuf."""
        if (type(g) is ndarray and g.dtype == dtype and g.shape == shape
                and g.flags.c_contiguous and not force_copy
                and not np.may_share_memory(g, x)):
            return g
        g = np.asarray(g)
        if g.size != n:
            raise ValueError(f"the gradient has {g.size} elements, expected {n}")
        np.copyto(gbuf, g.reshape(shape), casting="same_kind")
        return gbuf

    # Fast path of as_grad: a fresh array (it owns its memory, so it cannot
    # alias x) of the right dtype and shape is used as is.
    if jac is True:
        def evaluate(fargs):
            f, g = fun(xv, *fargs, **kw_f)
            if not isinstance(f, float):
                f = _to_float(f)
            if (type(g) is ndarray and g.base is None and g.dtype is dtype
                    and g.shape == shape and not force_copy):
                return f, g
            return f, as_grad(g)
    elif callable(jac):
        def evaluate(fargs):
            f = fun(xv, *fargs, **kw_f)
            if not isinstance(f, float):
                f = _to_float(f)
            g = jac(xv, *fargs, **kw_j)
            if (type(g) is ndarray and g.base is None and g.dtype is dtype
                    and g.shape == shape and not force_copy):
                return f, g
            return f, as_grad(g)
    else:
        from scipy.optimize._numdiff import approx_derivative
        fd_method = jac if jac in _FD_METHODS else "2-point"
        fd_bounds = (box[0], box[1]) if box is not None else (-np.inf, np.inf)

        def evaluate(fargs):
            f = _to_float(fun(xv, *fargs, **kw_f))

            def fd_fun(z):       # raw value: complex for the 'cs' scheme
                fd_evals[0] += 1
                return fun(z, *fargs, **kw_f)
            g = approx_derivative(fd_fun, x, method=fd_method,
                                  rel_step=finite_diff_rel_step,
                                  f0=f,
                                  bounds=fd_bounds)
            return f, as_grad(g)

    # -- gradient norm (no allocation for the inf- and 2-norms) ---------------
    # gnorm_of(g) returns the exact norm, except that for the inf-norm it may
    # return the 2-norm instead when that proves |g|_inf > gtol (|g|_inf >=
    # |g|_2 / sqrt(n)): one dot product instead of abs + max in most
    # iterations.  NaN/inf in g always give a non-finite value.
    absbuf = np.empty_like(x)
    dot = np.dot

    def exact_norm(g):
        if norm == np.inf:
            np.abs(g, out=absbuf)
            return float(absbuf.max())
        if norm == 2:
            return math.sqrt(float(dot(g, g)))
        return float(np.linalg.norm(g, ord=norm))

    if norm == np.inf:
        # squared threshold with a margin for the rounding of a float32 dot
        sq_bound = (gtol * gtol * n * 1.01) if gtol > 0 else -1.0

        def gnorm_of(g):
            s = float(dot(g, g))
            if sq_bound < s < math.inf:
                return math.sqrt(s)
            np.abs(g, out=absbuf)
            return float(absbuf.max())
    elif norm == 2:
        def gnorm_of(g):
            return math.sqrt(float(dot(g, g)))
    else:
        gnorm_of = exact_norm

    # -- the step, with optional parameter groups -----------------------------
    step = opt.step
    if groups is not None:
        sizes = [int(s) for s in groups]
        if sum(sizes) != n or any(s <= 0 for s in sizes):
            raise ValueError("`groups` must be positive sizes adding up to len(x0)")
        edges = np.cumsum([0] + sizes)
        xparts = [x[a:b] for a, b in zip(edges[:-1], edges[1:])]
        gparts = [gbuf[a:b] for a, b in zip(edges[:-1], edges[1:])]
        if lr_mult is None:
            mults = None
        else:
            mults = [float(m) for m in np.broadcast_to(np.asarray(lr_mult, float),
                                                       (len(sizes),))]

        def do_step(g):  # g is gbuf (force_copy)
            step(xparts, gparts, lr_mult=mults)
    elif lr_mult is not None:
        if np.size(lr_mult) != 1:
            raise ValueError("several `lr_mult` values need `groups`")
        mults = [float(np.asarray(lr_mult).item())]
        xs = [x]

        def do_step(g):
            step(xs, [g], lr_mult=mults)
    else:
        def do_step(g):
            step(x, g)

    cb = _wrap_callback(callback)
    disp_every = int(disp) if (not isinstance(disp, bool) and int(disp) > 1) else 0
    it = iter(batches) if batches is not None else None
    allvecs = [x.copy()] if return_all else None
    if disp_every:
        _disp(f"{'nit':>8} {'fun':>16} {'|grad|':>12}")

    # -- the loop -------------------------------------------------------------
    fargs = args
    if it is not None:
        try:
            fargs = (next(it),) + args
        except StopIteration:
            raise ValueError("`batches` is empty") from None
    f, g = evaluate(fargs)
    gnorm = gnorm_of(g)
    nit = 0
    stalled = 0
    if not (math.isfinite(f) and math.isfinite(gnorm)):
        why = "nan"
    elif gnorm <= gtol:
        why = "gtol"
    else:
        why = None
    if xtol > 0:
        xprev = np.empty_like(x)
        dbuf = np.empty_like(x)
    isfinite = math.isfinite
    maximum, minimum = np.maximum, np.minimum
    while why is None:
        if nit >= maxiter:
            why = "maxiter"
            break
        if it is not None:
            try:
                fargs = (next(it),) + args
            except StopIteration:
                why = "batches"
                break
        if xtol > 0:
            np.copyto(xprev, x)
        do_step(g)
        if box is not None:
            maximum(x, lb, out=x)           # projection onto the box
            minimum(x, ub, out=x)
        nit += 1
        f_prev = f
        f, g = evaluate(fargs)
        gnorm = gnorm_of(g)
        if not (isfinite(f) and isfinite(gnorm)):
            why = "nan"
            break
        if allvecs is not None:
            allvecs.append(x.copy())
        if cb is not None and cb(x, f, g, nit):
            why = "callback"
            break
        if disp_every and nit % disp_every == 0:
            _disp(f"{nit:>8d} {f:>16.8e} {exact_norm(g):>12.4e}")
        if gnorm <= gtol:
            why = "gtol"
            break
        if ftol > 0 or xtol > 0:
            f_small = ftol > 0 and abs(f_prev - f) <= ftol * max(abs(f_prev), abs(f), 1.0)
            x_small = False
            if xtol > 0 and not f_small:
                np.subtract(x, xprev, out=dbuf)
                np.abs(dbuf, out=dbuf)
                x_small = float(dbuf.max()) <= xtol
            stalled = stalled + 1 if (f_small or x_small) else 0
            if stalled >= patience:
                why = "ftol" if f_small else "xtol"
                break

    status = _STATUS[why]
    msg = _status_message[why]
    njev = nit + 1                       # one evaluation at x0, one per iteration
    nfev = njev + fd_evals[0]
    if disp:
        _disp(msg if status == 0 else "Warning: " + msg)
        _disp(f"         Current function value: {f:f}")
        _disp(f"         Iterations: {nit:d}")
        _disp(f"         Function evaluations: {nfev:d}")
        _disp(f"         Gradient evaluations: {njev:d}")
    res = OptimizeResult(x=x, fun=f, jac=np.array(g, copy=True), nit=nit,
                         nfev=nfev, njev=njev, status=status,
                         success=status == 0, message=msg)
    if allvecs is not None:
        res.allvecs = allvecs
    return res


# ---------------------------------------------------------------------------
# the methods
# ---------------------------------------------------------------------------

_COMMON_NAMES = ("maxiter", "gtol", "norm", "ftol", "xtol", "patience", "tol",
                 "disp", "return_all", "finite_diff_rel_step", "batches", "seed",
                 "groups", "lr_mult")

_PARAMETERS_DOC = """
    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float`` (``fun(x, batch, *args)`` with the
        ``batches`` option), or ``-> (float, ndarray)`` with ``jac=True``.
        ``x`` is a read-only view of the iterate, updated in place.
    x0 : array_like, shape (n,)
        Initial guess.  float32 stays float32; anything else becomes float64.
    args : tuple, optional
        Extra arguments passed to ``fun`` and ``jac``.
    jac : {callable, True, '2-point', '3-point', 'cs', None}, optional
        The gradient: a callable with ``fun``'s signature, ``True`` if ``fun``
        returns ``(f, g)``, or a finite-difference scheme computed by scipy's
        ``approx_derivative`` (the helper behind
        :func:`scipy.optimize.approx_fprime`; ``None``: '2-point').
    hess, hessp : None
        Accepted for scipy's custom-method signature; not used (a
        ``RuntimeWarning`` is issued if given).
    bounds : `scipy.optimize.Bounds` or sequence of ``(lo, hi)``, optional
        Box constraints (``None`` for no bound), enforced by projection of
        the iterate after each step.
    constraints : ()
        Not supported (a ``RuntimeWarning`` is issued if given).
    callback : callable, optional
        ``callback(intermediate_result: OptimizeResult)`` (the parameter must
        be named ``intermediate_result``; it gets ``x, fun, jac, nit``) or the
        legacy ``callback(xk)``; called after each iteration.  Raising
        ``StopIteration`` ends the run with ``status = 99``.
"""

_COMMON_OPTIONS_DOC = """
    preset : str, optional
        Reproduce a framework's exact semantics (passed to the optimizer
        object with ``preset_options``).
    preset_options : dict, optional
        Extra keyword arguments for the preset.
    maxiter : int
        Maximum number of iterations (optimizer steps).
    gtol : float
        Stop with success when the norm of the gradient is ``<= gtol``.
    norm : float
        Order of that norm (``np.inf``: max-abs, as scipy's BFGS).
    ftol : float
        Stop with success when
        ``|f_k - f_{k+1}| <= ftol * max(|f_k|, |f_{k+1}|, 1)`` for
        ``patience`` iterations in a row (scipy's L-BFGS-B criterion); 0 turns
        it off.
    xtol : float
        Stop with success when ``max|x_{k+1} - x_k| <= xtol`` for
        ``patience`` iterations in a row; 0 turns it off.
    patience : int
        See ``ftol``/``xtol``; use more than 1 for noisy objectives.
    tol : float, optional
        scipy's generic tolerance (``minimize(..., tol=...)``): overrides
        ``gtol``.
    disp : bool or int
        ``True``: print a convergence summary like scipy's methods; an integer
        ``k > 1`` also prints ``nit, fun, |grad|`` every ``k`` iterations.
    return_all : bool
        Also return ``res.allvecs``, the list of iterates.
    finite_diff_rel_step : float or array_like, optional
        Relative step of the finite differences (scipy's default if None).
    batches : iterable, optional
        Data for a stochastic objective: each evaluation takes the next item
        and calls ``fun(x, batch, *args)``; the run stops with ``status = 2``
        when it is exhausted.
    seed : {None, int, numpy.random.Generator, SeedSequence}
        Seed of the generator ``np.random.default_rng(seed)`` passed as
        ``rng=`` to ``fun`` (and ``jac``) if they have an ``rng`` parameter.
    groups : sequence of int, optional
        Sizes of consecutive parameter groups splitting ``x`` (sum = n), each
        updated as a separate array by the optimizer.
    lr_mult : float or sequence of float, optional
        Learning-rate multiplier of each group (Caffe's ``lr_mult``); a
        scalar applies to all of ``x``.
    n_threads : int, optional
        Threads of the kernel (passed to the optimizer object).
    **unknown_options
        Any other option triggers an `OptimizeWarning`.

    Returns
    -------
    res : OptimizeResult
        ``x, fun, jac`` (at ``x``), ``nit, nfev, njev, status, success,
        message`` (and ``allvecs``).  ``status``: 0 converged (``gtol``,
        ``ftol`` or ``xtol``), 1 ``maxiter`` reached, 2 ``batches``
        exhausted, 3 NaN/inf encountered, 99 ``callback`` raised
        ``StopIteration``.
"""


_OPTIONS_HEAD_DOC = """Options
    -------
    Hyper-parameters left at ``None`` take the optimizer object's default
    (shown) or, with ``preset=``, the framework's default."""

_LEARNING_RATE_DOC = """learning_rate : float or callable, optional
        :math:`\\eta` (default {lr}), or a schedule ``lr(t)`` (see
        :mod:`adamkit.schedules`)."""

_BETAS_EPS_DOC = """
    betas : (float, float), optional
        :math:`(\\beta_1, \\beta_2)` (default (0.9, 0.999)).
    eps : float, optional
        :math:`\\epsilon` (default 1e-8)."""


def _docstring(func):
    """Fill the shared parts of a method's docstring (placeholders %(name)s)."""
    doc = (func.__doc__.replace("%(parameters)s", _PARAMETERS_DOC.strip())
           .replace("%(common_options)s", _COMMON_OPTIONS_DOC.strip())
           .replace("%(options_head)s", _OPTIONS_HEAD_DOC))
    doc = re.sub(r"%\(adam_hyperparameters lr=([^)]*)\)s",
                 lambda m: _LEARNING_RATE_DOC.format(lr=m.group(1)) + _BETAS_EPS_DOC, doc)
    doc = re.sub(r"%\(learning_rate lr=([^)]*)\)s",
                 lambda m: _LEARNING_RATE_DOC.format(lr=m.group(1)), doc)
    func.__doc__ = doc
    return func


def _common(loc: dict) -> dict:
    return {k: loc[k] for k in _COMMON_NAMES}


@_docstring
def adam(fun: Callable, x0: Any, args: tuple = (), jac: Any = None, hess=None,
         hessp=None, bounds: Any = None, constraints: Any = (),
         callback: Optional[Callable] = None, *,
         learning_rate: Union[None, float, Callable[[int], float]] = None,
         betas: Optional[tuple] = None, eps: Optional[float] = None,
         weight_decay: Optional[float] = None,
         preset: Optional[str] = None, preset_options: Optional[dict] = None,
         maxiter: int = 1000, gtol: float = 1e-5, norm: float = np.inf,
         ftol: float = 0.0, xtol: float = 0.0, patience: int = 1,
         tol: Optional[float] = None, disp: Union[bool, int] = False,
         return_all: bool = False, finite_diff_rel_step=None,
         batches: Optional[Iterable] = None, seed=None,
         groups: Optional[Sequence[int]] = None, lr_mult=None,
         n_threads: Optional[int] = None, **unknown_options) -> OptimizeResult:
    r"""Minimize a scalar function with Adam (Kingma & Ba 2015, Algorithm 1).

    With :math:`g_t = \nabla f(x_{t-1}) + \lambda x_{t-1}` (``weight_decay``
    :math:`\lambda`, L2 form) and ``learning_rate`` :math:`\eta_t`:

    .. math::
        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        x_t &= x_{t-1} - \eta_t\, \frac{m_t/(1-\beta_1^t)}
               {\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    (``preset=`` selects another framework's exact variant).
    %(parameters)s
    %(options_head)s

    %(adam_hyperparameters lr=1e-3)s
    weight_decay : float, optional
        :math:`\lambda` (L2 penalty added to the gradient) (default 0).
    %(common_options)s
    """
    _check_unknown_options(unknown_options)
    opt = _make_optimizer("Adam", learning_rate,
                          dict(betas=betas, eps=eps, weight_decay=weight_decay),
                          preset, preset_options, n_threads)
    return _solve(opt, fun, x0, args, jac, hess, hessp, bounds, constraints,
                  callback, "adam", **_common(locals()))


@_docstring
def amsgrad(fun: Callable, x0: Any, args: tuple = (), jac: Any = None, hess=None,
            hessp=None, bounds: Any = None, constraints: Any = (),
            callback: Optional[Callable] = None, *,
            learning_rate: Union[None, float, Callable[[int], float]] = None,
            betas: Optional[tuple] = None, eps: Optional[float] = None,
            weight_decay: Optional[float] = None,
            preset: Optional[str] = None, preset_options: Optional[dict] = None,
            maxiter: int = 1000, gtol: float = 1e-5, norm: float = np.inf,
            ftol: float = 0.0, xtol: float = 0.0, patience: int = 1,
            tol: Optional[float] = None, disp: Union[bool, int] = False,
            return_all: bool = False, finite_diff_rel_step=None,
            batches: Optional[Iterable] = None, seed=None,
            groups: Optional[Sequence[int]] = None, lr_mult=None,
            n_threads: Optional[int] = None, **unknown_options) -> OptimizeResult:
    r"""Minimize a scalar function with AMSGrad (Reddi et al. 2018).

    Adam (see :func:`adam`) with the running maximum of the second moment:

    .. math::
        \hat v_t = \max(\hat v_{t-1}, v_t), \qquad
        x_t = x_{t-1} - \eta_t\, \frac{m_t/(1-\beta_1^t)}
              {\sqrt{\hat v_t/(1-\beta_2^t)} + \epsilon}

    (``Adam(amsgrad=True)``; ``preset=`` selects a framework's variant).
    %(parameters)s
    %(options_head)s

    %(adam_hyperparameters lr=1e-3)s
    weight_decay : float, optional
        L2 penalty added to the gradient (default 0).
    %(common_options)s
    """
    _check_unknown_options(unknown_options)
    opt = _make_optimizer("Adam", learning_rate,
                          dict(betas=betas, eps=eps, weight_decay=weight_decay,
                               amsgrad=True),
                          preset, preset_options, n_threads)
    return _solve(opt, fun, x0, args, jac, hess, hessp, bounds, constraints,
                  callback, "amsgrad", **_common(locals()))


@_docstring
def adamw(fun: Callable, x0: Any, args: tuple = (), jac: Any = None, hess=None,
          hessp=None, bounds: Any = None, constraints: Any = (),
          callback: Optional[Callable] = None, *,
          learning_rate: Union[None, float, Callable[[int], float]] = None,
          betas: Optional[tuple] = None, eps: Optional[float] = None,
          weight_decay: Optional[float] = None,
          preset: Optional[str] = None, preset_options: Optional[dict] = None,
          maxiter: int = 1000, gtol: float = 1e-5, norm: float = np.inf,
          ftol: float = 0.0, xtol: float = 0.0, patience: int = 1,
          tol: Optional[float] = None, disp: Union[bool, int] = False,
          return_all: bool = False, finite_diff_rel_step=None,
          batches: Optional[Iterable] = None, seed=None,
          groups: Optional[Sequence[int]] = None, lr_mult=None,
          n_threads: Optional[int] = None, **unknown_options) -> OptimizeResult:
    r"""Minimize a scalar function with AdamW (Loshchilov & Hutter 2019).

    Adam with decoupled weight decay :math:`\lambda`: the gradient is not
    modified, the decay is applied to the iterate,

    .. math::
        x_t = x_{t-1} - \eta_t \left(\frac{m_t/(1-\beta_1^t)}
              {\sqrt{v_t/(1-\beta_2^t)} + \epsilon} + \lambda x_{t-1}\right)

    Note that the minimizer of ``fun`` is then biased towards 0 (set
    ``weight_decay=0`` to minimize ``fun`` itself).
    %(parameters)s
    %(options_head)s

    %(adam_hyperparameters lr=1e-3)s
    weight_decay : float, optional
        :math:`\lambda` (decoupled) (default 1e-2).
    %(common_options)s
    """
    _check_unknown_options(unknown_options)
    opt = _make_optimizer("AdamW", learning_rate,
                          dict(betas=betas, eps=eps, weight_decay=weight_decay),
                          preset, preset_options, n_threads)
    return _solve(opt, fun, x0, args, jac, hess, hessp, bounds, constraints,
                  callback, "adamw", **_common(locals()))


@_docstring
def adamax(fun: Callable, x0: Any, args: tuple = (), jac: Any = None, hess=None,
           hessp=None, bounds: Any = None, constraints: Any = (),
           callback: Optional[Callable] = None, *,
           learning_rate: Union[None, float, Callable[[int], float]] = None,
           betas: Optional[tuple] = None, eps: Optional[float] = None,
           weight_decay: Optional[float] = None,
           preset: Optional[str] = None, preset_options: Optional[dict] = None,
           maxiter: int = 1000, gtol: float = 1e-5, norm: float = np.inf,
           ftol: float = 0.0, xtol: float = 0.0, patience: int = 1,
           tol: Optional[float] = None, disp: Union[bool, int] = False,
           return_all: bool = False, finite_diff_rel_step=None,
           batches: Optional[Iterable] = None, seed=None,
           groups: Optional[Sequence[int]] = None, lr_mult=None,
           n_threads: Optional[int] = None, **unknown_options) -> OptimizeResult:
    r"""Minimize a scalar function with AdaMax (Kingma & Ba 2015, Algorithm 2).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \qquad
        x_t = x_{t-1} - \frac{\eta_t}{1-\beta_1^t}\, \frac{m_t}{u_t}

    (:math:`\epsilon` inside the max, as PyTorch and Torch7; ``preset=``
    selects a framework's variant).
    %(parameters)s
    %(options_head)s

    %(adam_hyperparameters lr=2e-3)s
    weight_decay : float, optional
        L2 penalty added to the gradient (default 0).
    %(common_options)s
    """
    _check_unknown_options(unknown_options)
    opt = _make_optimizer("AdaMax", learning_rate,
                          dict(betas=betas, eps=eps, weight_decay=weight_decay),
                          preset, preset_options, n_threads)
    return _solve(opt, fun, x0, args, jac, hess, hessp, bounds, constraints,
                  callback, "adamax", **_common(locals()))


@_docstring
def nadam(fun: Callable, x0: Any, args: tuple = (), jac: Any = None, hess=None,
          hessp=None, bounds: Any = None, constraints: Any = (),
          callback: Optional[Callable] = None, *,
          learning_rate: Union[None, float, Callable[[int], float]] = None,
          betas: Optional[tuple] = None, eps: Optional[float] = None,
          weight_decay: Optional[float] = None,
          preset: Optional[str] = None, preset_options: Optional[dict] = None,
          maxiter: int = 1000, gtol: float = 1e-5, norm: float = np.inf,
          ftol: float = 0.0, xtol: float = 0.0, patience: int = 1,
          tol: Optional[float] = None, disp: Union[bool, int] = False,
          return_all: bool = False, finite_diff_rel_step=None,
          batches: Optional[Iterable] = None, seed=None,
          groups: Optional[Sequence[int]] = None, lr_mult=None,
          n_threads: Optional[int] = None, **unknown_options) -> OptimizeResult:
    r"""Minimize a scalar function with NAdam (Dozat 2016): Adam with
    Nesterov momentum, ``Adam(nesterov=True)``.

    The first-moment term of the Adam update (see :func:`adam`) is replaced
    by its Nesterov look-ahead

    .. math::
        \frac{\beta_1 m_t}{1-\beta_1^{t}} + \frac{(1-\beta_1) g_t}{1-\beta_1^t}

    (the exact bias corrections and momentum schedule follow the optimizer
    object and its ``preset``).
    %(parameters)s
    %(options_head)s

    %(adam_hyperparameters lr=1e-3)s
    weight_decay : float, optional
        L2 penalty added to the gradient (default 0).
    %(common_options)s
    """
    _check_unknown_options(unknown_options)
    opt = _make_optimizer("Adam", learning_rate,
                          dict(betas=betas, eps=eps, weight_decay=weight_decay,
                               nesterov=True),
                          preset, preset_options, n_threads)
    return _solve(opt, fun, x0, args, jac, hess, hessp, bounds, constraints,
                  callback, "nadam", **_common(locals()))


@_docstring
def rmsprop(fun: Callable, x0: Any, args: tuple = (), jac: Any = None, hess=None,
            hessp=None, bounds: Any = None, constraints: Any = (),
            callback: Optional[Callable] = None, *,
            learning_rate: Union[None, float, Callable[[int], float]] = None,
            alpha: Optional[float] = None, eps: Optional[float] = None,
            weight_decay: Optional[float] = None, momentum: Optional[float] = None,
            centered: bool = False,
            preset: Optional[str] = None, preset_options: Optional[dict] = None,
            maxiter: int = 1000, gtol: float = 1e-5, norm: float = np.inf,
            ftol: float = 0.0, xtol: float = 0.0, patience: int = 1,
            tol: Optional[float] = None, disp: Union[bool, int] = False,
            return_all: bool = False, finite_diff_rel_step=None,
            batches: Optional[Iterable] = None, seed=None,
            groups: Optional[Sequence[int]] = None, lr_mult=None,
            n_threads: Optional[int] = None, **unknown_options) -> OptimizeResult:
    r"""Minimize a scalar function with RMSProp (Tieleman & Hinton 2012),
    in PyTorch's form (:math:`\epsilon` outside the square root).

    .. math::
        v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2, \qquad
        \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t \ \text{(centered)} \\
        d_t &= \frac{g_t}{\sqrt{v_t - \bar g_t^2} + \epsilon}
        \quad(\bar g_t = 0 \text{ unless centered}) \\
        b_t &= \mu b_{t-1} + d_t, \qquad x_t = x_{t-1} - \eta_t b_t
        \quad(b_t = d_t \text{ if } \mu = 0)

    %(parameters)s
    %(options_head)s

    %(learning_rate lr=1e-2)s
    alpha : float, optional
        Smoothing constant :math:`\alpha` (default 0.99).
    eps : float, optional
        :math:`\epsilon` (default 1e-8).
    weight_decay : float, optional
        L2 penalty added to the gradient (default 0).
    momentum : float, optional
        :math:`\mu` (default 0).
    centered : bool
        Normalize by the estimated variance of the gradient.
    %(common_options)s
    """
    _check_unknown_options(unknown_options)
    opt = _make_optimizer("RMSProp", learning_rate,
                          dict(alpha=alpha, eps=eps, weight_decay=weight_decay,
                               momentum=momentum, centered=centered),
                          preset, preset_options, n_threads)
    return _solve(opt, fun, x0, args, jac, hess, hessp, bounds, constraints,
                  callback, "rmsprop", **_common(locals()))


_METHODS: dict[str, Callable[..., OptimizeResult]] = {
    "adam": adam,
    "amsgrad": amsgrad,
    "adamw": adamw,
    "adamax": adamax,
    "nadam": nadam,
    "rmsprop": rmsprop,
}


def minimize(fun: Callable, x0: Any, args: tuple = (),
             method: Union[str, Callable] = "adam", jac: Any = None,
             callback: Optional[Callable] = None, options: Optional[dict] = None,
             bounds: Any = None, tol: Optional[float] = None) -> OptimizeResult:
    """Minimize a scalar function with an adaptive first-order method.

    The interface of :func:`scipy.optimize.minimize`; see the module
    docstring for the iteration, the bounds and the stochastic contract.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``, or ``-> (float, ndarray)`` with
        ``jac=True``; ``fun(x, batch, *args)`` with the ``batches`` option.
    x0 : array_like, shape (n,)
        Initial guess.  float32 stays float32 (the iterate, the optimizer
        state and ``res.x``); anything else becomes float64.
    args : tuple, optional
        Extra arguments passed to ``fun`` (and ``jac``).
    method : str or callable
        One of ``'adam'``, ``'amsgrad'``, ``'adamw'``, ``'adamax'``,
        ``'nadam'``, ``'rmsprop'`` (case-insensitive), or a custom method
        with scipy's custom-method signature.  The options of each are the
        keyword arguments of :func:`adamkit.adam` etc.
    jac : {callable, True, '2-point', '3-point', 'cs', None}, optional
        The gradient.  ``None``: forward differences with scipy's
        ``approx_derivative``.
    callback : callable, optional
        ``callback(intermediate_result)`` or ``callback(xk)``; raise
        ``StopIteration`` to stop (``status = 99``).
    options : dict, optional
        Method options (e.g. ``learning_rate``, which may be a schedule,
        ``maxiter``, ``gtol``, ``ftol``, ``xtol``, ``disp``, ``preset``,
        ``batches``, ``seed``).  Unknown ones trigger an `OptimizeWarning`.
    bounds : `scipy.optimize.Bounds` or sequence of ``(lo, hi)``, optional
        Box constraints, enforced by projection after each step.
    tol : float, optional
        Passed to the method as the ``tol`` option (as scipy does for custom
        methods); it sets ``gtol``.

    Returns
    -------
    res : OptimizeResult
        ``x, fun, jac, nit, nfev, njev, status, success, message``.

    Examples
    --------
    >>> import numpy as np, adamkit
    >>> from scipy.optimize import rosen, rosen_der
    >>> res = adamkit.minimize(rosen, [-1.2, 1.0], method="adam", jac=rosen_der,
    ...                        options={"learning_rate": 0.01, "maxiter": 20000})
    >>> bool(np.allclose(res.x, [1, 1], atol=1e-3))
    True
    """
    x0 = np.atleast_1d(np.asarray(x0))
    if x0.ndim != 1:
        raise ValueError("'x0' must only have one dimension.")
    if x0.dtype.kind in np.typecodes["AllInteger"]:
        x0 = np.asarray(x0, dtype=float)
    if not isinstance(args, tuple):
        args = (args,)
    if callable(method):
        meth = method
    else:
        try:
            meth = _METHODS[method.lower()]
        except KeyError:
            raise ValueError(f"Unknown solver {method}") from None
    options = {} if options is None else dict(options)
    if tol is not None:
        options.setdefault("tol", tol)
    # exactly the call scipy.optimize.minimize makes for a custom method
    return meth(fun, x0, args=args, jac=jac, hess=None, hessp=None,
                bounds=bounds, constraints=(), callback=callback, **options)
