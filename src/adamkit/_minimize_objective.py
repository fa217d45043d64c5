"""The objective as the loop of :func:`adamkit.minimize` sees it.

:class:`Objective` owns every call to the user's ``fun`` and ``jac``: what ``x`` they
get (a fresh copy, or a read-only view of the iterate with ``copy_x=False``), the extra
arguments (``args``, the current batch, ``rng=`` when a ``seed`` is given), the finite
differences when no gradient is given, and the counters ``nfev`` and ``njev``.

Finite differences follow the semantics documented for scipy's ``approx_derivative``
(the helper behind :func:`scipy.optimize.approx_fprime`; not imported: it is private):
relative steps ``EPS**(1/2)`` ('2-point', 'cs') and ``EPS**(1/3)`` ('3-point') times
``max(1, |x|)`` (``finite_diff_rel_step * |x|`` when given), ``EPS`` that of the
smaller of the iterate's and ``fun``'s float types, steps recomputed as exactly
representable differences, and one-sided schemes near a bound so that ``fun`` is only
evaluated inside the box.  Variables fixed by the bounds (``lb == ub``) are not
differentiated (their component is 0 for the loop, NaN in what is reported).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

import numpy as np

from ._minimize_options import Box, accepts_rng

__all__ = ["Objective", "FD_SCHEMES"]

FD_SCHEMES = ("2-point", "3-point", "cs")


def _unwrap_memoize_jac(fun: Callable, jac: Any) -> tuple:
    """``scipy.optimize.minimize(jac=True)`` hands custom methods ``fun=MemoizeJac(f)``
    and ``jac=fun.derivative``; go back to ``(f, True)`` so that both entry points make
    the same calls (and skip its copies).  Recognized by its shape, not imported (scipy's
    class is private); anything else, including a future scipy's, is used as given, which
    is also correct, only slower."""
    owner = getattr(jac, "__self__", None)
    if owner is not None and owner is fun and type(fun).__name__ == "MemoizeJac" \
            and getattr(jac, "__name__", "") == "derivative" and callable(fun.fun):
        return fun.fun, True
    return fun, jac


def _to_float(f: Any) -> float:
    if isinstance(f, float):
        return f if type(f) is float else float(f)
    try:
        return float(np.asarray(f).item())
    except (TypeError, ValueError) as e:
        raise ValueError("The user-provided objective function must return a scalar "
                         "value.") from e


class Objective:
    """``fun`` and its gradient at the live iterate ``x`` (updated in place by the loop).

    ``evaluate()`` returns ``(f, g)`` at ``x`` for the current batch: ``f`` a float,
    ``g`` an array of ``x``'s dtype and shape that the loop may hand to the optimizer
    (it never aliases ``x``); ``next_batch()`` moves to the next batch (False when the
    batches are exhausted).  ``nfev`` counts calls of ``fun``, ``njev`` gradients.
    """

    def __init__(self, fun: Callable, jac: Any, args: tuple, x: np.ndarray, *,
                 copy_x: bool, box: Optional[Box], rel_step: Optional[np.ndarray],
                 batches: Optional[Iterator], rng: Optional[np.random.Generator],
                 own_buffer: bool):
        fun, jac = _unwrap_memoize_jac(fun, jac)
        self.fun, self.jac = fun, jac
        self.x = x
        self.copy_x = copy_x
        self.view = x.view()
        self.view.flags.writeable = False      # what fun sees with copy_x=False
        self.args = args
        self._fargs = args
        self._batches = iter(()) if batches is None else batches
        self._kw_fun = {"rng": rng} if rng is not None and accepts_rng(fun) else {}
        self._kw_jac = {"rng": rng} if rng is not None and callable(jac) \
            and jac is not True and accepts_rng(jac) else {}
        self.uses_rng = bool(self._kw_fun or self._kw_jac)
        self.nfev = 0
        self.njev = 0
        self.gbuf = np.empty_like(x)            # the gradient when it must be copied
        self._own_buffer = own_buffer           # always copy (the loop steps on gbuf)
        # what the loop calls: one of the three _evaluate_* methods
        self.fd_scheme = None
        self._fixed_nan = None                  # variables reported with a NaN gradient
        if jac is True:
            self.evaluate = self._evaluate_fg
        elif callable(jac):
            self.evaluate = self._evaluate_f_jac
        else:
            self.fd_scheme = jac if jac in FD_SCHEMES else "2-point"
            self._fd = _FiniteDifferences(self.fd_scheme, rel_step, box, x)
            if box is not None and box.fixed.any():
                self._fixed_nan = box.fixed
            self.evaluate = self._evaluate_fd

    # -- calls ------------------------------------------------------------------------

    def _point(self) -> np.ndarray:
        return self.x.copy() if self.copy_x else self.view

    def next_batch(self) -> bool:
        """Take the next batch (``fun(x, batch, *args)``); False if there is none."""
        try:
            batch = next(self._batches)
        except StopIteration:
            return False
        self._fargs = (batch,) + self.args
        return True

    def _evaluate_fg(self) -> tuple:
        self.nfev += 1
        self.njev += 1
        x = self.x
        f, g = self.fun(x.copy() if self.copy_x else self.view, *self._fargs,
                        **self._kw_fun)
        if type(f) is not float:
            f = _to_float(f)
        # the hot path: a new array of the iterate's dtype and shape is used as is
        if type(g) is np.ndarray and g.base is None and g.dtype is x.dtype \
                and g.shape == x.shape and not self._own_buffer:
            return f, g
        return f, self._gradient(g)

    def _evaluate_f_jac(self) -> tuple:
        self.nfev += 1
        f = self.fun(self._point(), *self._fargs, **self._kw_fun)
        if type(f) is not float:
            f = _to_float(f)
        self.njev += 1
        x = self.x
        g = self.jac(self._point(), *self._fargs, **self._kw_jac)
        if type(g) is np.ndarray and g.base is None and g.dtype is x.dtype \
                and g.shape == x.shape and not self._own_buffer:
            return f, g
        return f, self._gradient(g)

    def _evaluate_fd(self) -> tuple:
        self.nfev += 1
        raw = self.fun(self._point(), *self._fargs, **self._kw_fun)
        f = _to_float(raw)
        self.njev += 1
        self.nfev += self._fd.gradient(self._fun_raw, self.x, f, getattr(raw, "dtype", None),
                                       self.gbuf)
        return f, self.gbuf

    def _fun_raw(self, z: np.ndarray) -> Any:
        """``fun`` at a point of the finite differences (its raw value: complex for 'cs')."""
        return self.fun(z, *self._fargs, **self._kw_fun)

    def _gradient(self, g: Any) -> np.ndarray:
        """``g`` itself when the optimizer can use it as is, else a copy in ``gbuf``."""
        x = self.x
        if type(g) is np.ndarray and g.dtype is x.dtype and g.shape == x.shape \
                and not self._own_buffer and g.flags.c_contiguous \
                and (g.base is None or not np.may_share_memory(g, x)):
            return g
        g = np.asarray(g)
        if g.size != x.size:
            raise ValueError(f"the gradient has {g.size} elements, expected {x.size}")
        np.copyto(self.gbuf, g.reshape(x.shape), casting="same_kind")
        return self.gbuf

    def reported(self, g: np.ndarray) -> np.ndarray:
        """A copy of ``g`` for the caller: NaN for the variables that finite differences
        left out (fixed by the bounds), as scipy's ``minimize`` reports them."""
        g = np.array(g, copy=True)
        if self._fixed_nan is not None:
            g[self._fixed_nan] = np.nan
        return g

    def value_only(self) -> tuple:
        """``(f, g or None)`` at ``x`` without computing a gradient (all variables fixed):
        ``g`` only comes for free with ``jac=True``."""
        if self.jac is True:
            self.nfev += 1
            self.njev += 1
            f, g = self.fun(self._point(), *self._fargs, **self._kw_fun)
            return _to_float(f), np.array(g, dtype=self.x.dtype).reshape(self.x.shape)
        self.nfev += 1
        return _to_float(self.fun(self._point(), *self._fargs, **self._kw_fun)), None


# ---------------------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------------------

class _FiniteDifferences:
    """The gradient of a scalar ``fun`` by the '2-point', '3-point' or 'cs' scheme."""

    def __init__(self, scheme: str, rel_step: Optional[np.ndarray], box: Optional[Box],
                 x: np.ndarray):
        self.scheme = scheme
        self.rel_step = rel_step
        self.lb = None if box is None else box.lb
        self.ub = None if box is None else box.ub
        self.free = range(x.size) if box is None else box.free

    def _steps(self, x: np.ndarray, f_dtype: Any) -> np.ndarray:
        """The absolute steps ``h`` (dtype of x), before the bounds are taken into account."""
        eps = np.finfo(x.dtype).eps
        if f_dtype is not None and np.issubdtype(f_dtype, np.inexact) \
                and np.dtype(f_dtype).itemsize < x.dtype.itemsize:
            eps = np.finfo(f_dtype).eps
        rstep = eps ** (1 / 3) if self.scheme == "3-point" else eps ** 0.5
        sign = (x >= 0).astype(x.dtype) * 2 - 1
        default = (rstep * sign * np.maximum(1.0, np.abs(x))).astype(x.dtype)
        if self.rel_step is None:
            return default
        h = (self.rel_step * sign * np.abs(x)).astype(x.dtype)
        return np.where((x + h) - x == 0, default, h)

    def _one_sided(self, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        """'2-point': step backwards where ``x + h`` leaves the box, shorter where neither
        direction fits."""
        lb, ub = self.lb, self.ub
        if lb is None:
            return h
        h = h.copy()
        lower, upper = x - lb, ub - x
        z = x + h
        fits = np.abs(h) <= np.maximum(lower, upper)
        h[((z < lb) | (z > ub)) & fits] *= -1
        forward = (upper >= lower) & ~fits
        h[forward] = upper[forward]
        backward = (upper < lower) & ~fits
        h[backward] = -lower[backward]
        return h

    def _two_sided(self, x: np.ndarray, h: np.ndarray) -> tuple:
        """'3-point': central where ``x +- h`` fits, else the one-sided 3-point scheme
        (forward or backward), with a shorter step where needed."""
        h = np.abs(h)
        one_sided = np.zeros(h.shape, dtype=bool)
        if self.lb is None:
            return h, one_sided
        lower, upper = x - self.lb, self.ub - x
        central = (lower >= h) & (upper >= h)
        adjusted = h.copy()
        forward = (upper >= lower) & ~central
        adjusted[forward] = np.minimum(h[forward], 0.5 * upper[forward])
        one_sided[forward] = True
        backward = (upper < lower) & ~central
        adjusted[backward] = -np.minimum(h[backward], 0.5 * lower[backward])
        one_sided[backward] = True
        min_dist = np.minimum(upper, lower)
        back_central = ~central & (np.abs(adjusted) <= min_dist)
        adjusted[back_central] = min_dist[back_central]
        one_sided[back_central] = False
        return adjusted, one_sided

    def gradient(self, fun: Callable, x: np.ndarray, f0: float, f_dtype: Any,
                 out: np.ndarray) -> int:
        """Write the gradient at ``x`` into ``out`` (0 for fixed variables); return the
        number of calls of ``fun``.  Each call gets a fresh array."""
        h = self._steps(x, f_dtype)
        out[...] = 0
        scheme = self.scheme
        if scheme == "2-point":
            h = self._one_sided(x, h)
            for i in self.free:
                z = x.copy()
                z[i] = x[i] + h[i]
                dx = z[i] - x[i]            # the step actually taken, before fun sees z
                out[i] = (_to_float(fun(z)) - f0) / dx
            return len(self.free)
        if scheme == "3-point":
            h, one_sided = self._two_sided(x, h)
            for i in self.free:
                z1, z2 = x.copy(), x.copy()
                if one_sided[i]:
                    z1[i], z2[i] = x[i] + h[i], x[i] + 2 * h[i]
                    dx = z2[i] - x[i]
                else:
                    z1[i], z2[i] = x[i] - h[i], x[i] + h[i]
                    dx = z2[i] - z1[i]
                f1, f2 = _to_float(fun(z1)), _to_float(fun(z2))
                out[i] = ((-3.0 * f0 + 4 * f1 - f2) if one_sided[i] else (f2 - f1)) / dx
            return 2 * len(self.free)
        for i in self.free:                                 # 'cs'
            z = x.astype(complex)
            z[i] += h[i] * 1.0j
            out[i] = np.imag(np.asarray(fun(z)).item()) / h[i]
        return len(self.free)
