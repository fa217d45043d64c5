"""The iteration shared by every method of :func:`adamkit.minimize`.

:func:`solve` runs one optimizer object on an :class:`~adamkit._minimize_objective.Objective`
(see the docstring of :mod:`adamkit._minimize` for the iteration and its stopping tests)
and builds the :class:`scipy.optimize.OptimizeResult`.  The loop itself does no
per-element Python work and allocates nothing per iteration beyond what ``fun`` returns,
the copies of ``x`` handed to ``fun`` (``copy_x=True``), and what ``callback``,
``return_all`` and ``keep_best`` need when given.
"""
from __future__ import annotations

import inspect
import math
import sys
import warnings
from typing import Callable, Optional

import numpy as np
from scipy.optimize import OptimizeResult, OptimizeWarning

from ._minimize_objective import Objective
from ._minimize_options import Box, Options, user_stacklevel

__all__ = ["solve", "fixed_result", "MESSAGES", "STATUS"]

MESSAGES = {
    "gtol": "Optimization terminated successfully: gradient norm <= gtol.",
    "ftol": "Optimization terminated successfully: relative reduction of the objective "
            "<= ftol.",
    "xtol": "Optimization terminated successfully: step size <= xtol.",
    "fixed": "All independent variables were fixed by bounds.",
    "maxiter": "Maximum number of iterations has been exceeded.",
    "batches": "The iterable of batches is exhausted.",
    "nan": "NaN result encountered.",
    "callback": "`callback` raised `StopIteration`.",
}

# ``res.status``: 0 is success, like scipy; 99 is scipy's code for a callback's stop
STATUS = {"gtol": 0, "ftol": 0, "xtol": 0, "fixed": 0, "maxiter": 1, "batches": 2,
          "nan": 3, "callback": 99}


def _disp(line: str) -> None:
    """The ``disp`` output: the only printing in the library."""
    print(line)  # noqa: T201


# ---------------------------------------------------------------------------------------
# the parts of one iteration
# ---------------------------------------------------------------------------------------

def _norms(x: np.ndarray, box: Optional[Box], norm: float, gtol: float) -> tuple:
    """``(fast, exact)``: the norm of the projected gradient of ``g`` at ``x``.

    The projected gradient is L-BFGS-B's: ``min(max(g, x - ub), x - lb)``, so a component
    that points out of an active bound is 0 (and a fixed variable's always is).  ``fast``
    may return the 2-norm in place of the max-abs norm when that already proves
    ``|g|_inf > gtol`` (``|g|_inf >= |g|_2 / sqrt(n)``): one dot product in most
    iterations.  NaN or inf in ``g`` always give a non-finite value.
    """
    absbuf = np.empty_like(x)
    dot = np.dot

    def exact_plain(g):
        if norm == np.inf:
            np.abs(g, out=absbuf)
            return float(absbuf.max())
        if norm == 2:
            return math.sqrt(float(dot(g, g)))
        return float(np.linalg.norm(g, ord=norm))

    if norm == np.inf:
        sq_bound = (gtol * gtol * x.size * 1.01) if gtol > 0 else -1.0  # float32 margin

        def fast_plain(g):
            s = float(dot(g, g))
            if sq_bound < s < math.inf:
                return math.sqrt(s)
            np.abs(g, out=absbuf)
            return float(absbuf.max())
    else:
        fast_plain = exact_plain
    if box is None:
        return fast_plain, exact_plain
    pg, lo, hi = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    lb, ub = box.lb, box.ub
    subtract, maximum, minimum = np.subtract, np.maximum, np.minimum

    def project(g):
        subtract(x, ub, out=lo)
        subtract(x, lb, out=hi)
        maximum(g, lo, out=pg)
        return minimum(pg, hi, out=pg)

    return (lambda g: fast_plain(project(g))), (lambda g: exact_plain(project(g)))


def _stepper(opt, x: np.ndarray, gbuf: np.ndarray, opts: Options) -> Callable:
    """``step(g)``: one optimizer update of ``x``, per parameter group when asked."""
    step = opt.step
    if opts.groups is not None:
        edges = np.cumsum([0, *opts.groups])
        xparts = [x[a:b] for a, b in zip(edges[:-1], edges[1:])]
        gparts = [gbuf[a:b] for a, b in zip(edges[:-1], edges[1:])]   # g is gbuf
        mults = None if opts.lr_mult is None else list(opts.lr_mult)
        return lambda g: step(xparts, gparts, lr_mult=mults)
    if opts.lr_mult is not None:
        xs, mults = [x], list(opts.lr_mult)
        return lambda g: step(xs, [g], lr_mult=mults)
    return lambda g: step(x, g)


def _notifier(callback: Optional[Callable], objective: Objective) -> Optional[Callable]:
    """``notify(x, f, g, nit) -> bool`` (True: stop) calling ``callback`` as
    ``callback(intermediate_result=OptimizeResult(x, fun, jac, nit))`` when its only
    parameter is named ``intermediate_result``, else as ``callback(xk)``, with copies
    of ``x`` and ``g`` (read-only views with ``copy_x=False``)."""
    if callback is None:
        return None
    try:
        new_style = set(inspect.signature(callback).parameters) == {"intermediate_result"}
    except (TypeError, ValueError):
        new_style = False
    copy_x = objective.copy_x
    view = objective.view

    def notify(x, f, g, nit):
        xk = x.copy() if copy_x else view
        try:
            if new_style:
                jac = objective.reported(g) if copy_x else g
                callback(intermediate_result=OptimizeResult(x=xk, fun=f, jac=jac, nit=nit))
            else:
                callback(xk)
        except StopIteration:
            return True
        return False
    return notify


class _History:
    """``allvecs`` (``return_all``) and the best point seen (``keep_best``)."""

    def __init__(self, x: np.ndarray, opts: Options):
        self.allvecs: Optional[list] = [] if opts.return_all else None
        self.keep_best = opts.keep_best
        self.best_f = math.inf
        self.best_x, self.best_g = np.empty_like(x), np.empty_like(x)

    def record(self, x: np.ndarray, f: float, g: np.ndarray) -> None:
        if self.allvecs is not None:
            self.allvecs.append(x.copy())
        if self.keep_best and f < self.best_f:
            self.best_f = f
            np.copyto(self.best_x, x)
            np.copyto(self.best_g, g)


class _Stall:
    """The ``ftol`` / ``xtol`` tests, ``patience`` iterations in a row."""

    def __init__(self, x: np.ndarray, opts: Options):
        self.x, self.ftol, self.xtol, self.patience = x, opts.ftol, opts.xtol, opts.patience
        self.count = 0
        if self.xtol > 0:
            self.xprev, self.dbuf = np.empty_like(x), np.empty_like(x)

    def before_step(self) -> None:
        if self.xtol > 0:
            np.copyto(self.xprev, self.x)

    def check(self, f_prev: float, f: float) -> Optional[str]:
        ftol, xtol = self.ftol, self.xtol
        f_small = ftol > 0 and abs(f_prev - f) <= ftol * max(abs(f_prev), abs(f), 1.0)
        x_small = False
        if xtol > 0 and not f_small:
            np.subtract(self.x, self.xprev, out=self.dbuf)
            np.abs(self.dbuf, out=self.dbuf)
            x_small = float(self.dbuf.max()) <= xtol
        self.count = self.count + 1 if (f_small or x_small) else 0
        if self.count >= self.patience:
            return "ftol" if f_small else "xtol"
        return None


# ---------------------------------------------------------------------------------------
# the loop
# ---------------------------------------------------------------------------------------

def solve(objective: Objective, opt, box: Optional[Box], opts: Options,
          callback: Optional[Callable], method: str) -> OptimizeResult:
    """Run ``opt`` (an adamkit optimizer object) from ``objective.x`` (feasible)."""
    x = objective.x
    step = _stepper(opt, x, objective.gbuf, opts)
    norm_of, exact_norm = _norms(x, box, opts.norm, opts.gtol)
    notify = _notifier(callback, objective)
    history = _History(x, opts) if (opts.return_all or opts.keep_best) else None
    stall = _Stall(x, opts) if (opts.ftol > 0 or opts.xtol > 0) else None
    maxiter = sys.maxsize if opts.maxiter is None else opts.maxiter
    gtol, batches = opts.gtol, opts.batches is not None
    disp_every = 0 if isinstance(opts.disp, bool) or opts.disp < 2 else opts.disp
    if disp_every:
        _disp(f"{'nit':>8} {'fun':>16} {'|grad|':>12}")

    if batches and not objective.next_batch():
        raise ValueError("`batches` is empty")
    f, g = objective.evaluate()                                    # at x0
    gnorm, nit, isfinite = norm_of(g), 0, math.isfinite
    if history is not None:
        history.record(x, f, g)
    why = "nan" if not (isfinite(f) and isfinite(gnorm)) else "gtol" if gnorm <= gtol \
        else None
    while why is None:
        if nit >= maxiter:
            why = "maxiter"
            break
        if batches and not objective.next_batch():
            why = "batches"
            break
        if stall is not None:
            stall.before_step()
        step(g)                                                    # in place
        if box is not None:
            box.project(x)
        nit += 1
        f_prev = f
        f, g = objective.evaluate()
        gnorm = norm_of(g)
        if not (isfinite(f) and isfinite(gnorm)):
            why = "nan"
            break
        if history is not None:
            history.record(x, f, g)
        if notify is not None and notify(x, f, g, nit):
            why = "callback"
            break
        if disp_every and nit % disp_every == 0:
            _disp(f"{nit:>8d} {f:>16.8e} {exact_norm(g):>12.4e}")
        if gnorm <= gtol:
            why = "gtol"
            break
        if stall is not None:
            why = stall.check(f_prev, f)

    if why == "maxiter":
        gnorm = exact_norm(g)                      # for the report (norm_of may bound it)
    if history is not None and history.keep_best and history.best_f < math.inf \
            and not f <= history.best_f:                           # (f may be NaN)
        x, f, g = history.best_x, history.best_f, history.best_g
    res = OptimizeResult(x=x, fun=f, jac=objective.reported(g), nit=nit,
                         nfev=objective.nfev, njev=objective.njev, status=STATUS[why],
                         success=STATUS[why] == 0, message=MESSAGES[why])
    if history is not None and history.allvecs is not None:
        res.allvecs = history.allvecs
    _report(res, opts, method, getattr(opt, "lr", None), gnorm)
    return res


def fixed_result(objective: Objective, box: Box, opts: Options) -> OptimizeResult:
    """All variables fixed by the bounds: one evaluation, success (scipy's behaviour)."""
    x = objective.x
    if opts.batches is not None and not objective.next_batch():
        raise ValueError("`batches` is empty")
    f, g = objective.value_only()
    jac = np.full_like(x, np.nan) if g is None else g
    res = OptimizeResult(x=x, fun=f, jac=jac, nit=0, nfev=objective.nfev,
                         njev=objective.njev, status=0, success=True,
                         message=MESSAGES["fixed"])
    if opts.return_all:
        res.allvecs = [x.copy()]
    _report(res, opts, "", None, 0.0)
    return res


def _report(res: OptimizeResult, opts: Options, method: str, lr, gnorm: float) -> None:
    """``disp``'s summary, scipy's OptimizeWarning for a failure when ``disp`` is set,
    and a warning when the default budget ends away from a stationary point."""
    budget = res.status == 1 and opts.default_budget and opts.gtol > 0
    if opts.disp or budget:
        if res.status == 0:
            _disp(res.message)
        else:
            msg = res.message
            if budget:
                msg += (f" {method} ran the default maxiter={opts.maxiter} iterations "
                        f"with lr={lr!r} and stopped where the norm of the projected "
                        f"gradient is {gnorm:.3g} > gtol={opts.gtol:g}: not at a "
                        "stationary point. Raise maxiter or lr (or pass a schedule as lr); "
                        "setting maxiter also silences this warning.")
            warnings.warn(msg, OptimizeWarning, stacklevel=user_stacklevel())
    if opts.disp:
        _disp(f"         Current function value: {res.fun:f}")
        _disp(f"         Iterations: {res.nit:d}")
        _disp(f"         Function evaluations: {res.nfev:d}")
        _disp(f"         Gradient evaluations: {res.njev:d}")
