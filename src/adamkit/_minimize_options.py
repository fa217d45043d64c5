"""The inputs of :func:`adamkit.minimize`, checked once: the solver options, ``x0`` and
the bounds.

Every check runs before ``fun`` is first called, and every error names the option
(``gtol``, ``bounds``, ``x0``, ...) and the value it got.  Nothing here evaluates
the objective or steps an optimizer.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import numbers
import operator
import sys
import warnings
from types import FrameType
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import numpy as np
from scipy.optimize import Bounds

__all__ = ["DEFAULT_LR", "DEFAULT_MAXITER", "Options", "Box", "prepare_x0", "prepare_bounds",
           "split_options", "user_stacklevel"]

#: The defaults of the front end (not those of the optimizer objects): see "Defaults" in
#: the docstring of adamkit._minimize for the measurements behind them.
DEFAULT_LR = 1e-2
DEFAULT_MAXITER = 15000

_OWN_PACKAGES = ("adamkit", "scipy")


def user_stacklevel() -> int:
    """``stacklevel`` for :func:`warnings.warn` called from the caller of this function,
    pointing at the first frame outside adamkit and scipy (user code, whether it called
    :func:`adamkit.minimize`, a method, or :func:`scipy.optimize.minimize`)."""
    frame: Optional[FrameType] = sys._getframe(1)
    level = 1
    while frame is not None and \
            frame.f_globals.get("__name__", "").split(".")[0] in _OWN_PACKAGES:
        frame = frame.f_back
        level += 1
    return level


# ---------------------------------------------------------------------------------------
# scalar checks (each error names the option)
# ---------------------------------------------------------------------------------------

def _real(name: str, value: Any, *, lo: float = 0.0, allow_inf: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"option {name} must be a real number >= {lo:g}, got {value!r}")
    value = float(value)
    if math.isnan(value) or value < lo or (math.isinf(value) and not allow_inf):
        raise ValueError(f"option {name} must be a {'' if allow_inf else 'finite '}"
                         f"real number >= {lo:g}, got {value!r}")
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"option {name} must be True or False, got {value!r}")
    return bool(value)


def _count(name: str, value: Any, lo: int) -> int:
    """An int-like option; a float is truncated like scipy does (maxiter=100.1)."""
    v = _real(name, value, lo=lo)
    return int(v)


# ---------------------------------------------------------------------------------------
# the solver options
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Options:
    """The solver options common to every method, checked and normalized on construction.

    The method's own hyper-parameters (``lr``, ``betas``, ...) are not here: they go to
    the optimizer object, which checks them.  ``given`` holds the names the caller set
    (for ``tol``, which sets ``gtol`` only when ``gtol`` is not given, and for the
    default-budget warning).  ``n`` (the number of variables) checks the options whose
    shape depends on it.
    """

    maxiter: Optional[int] = DEFAULT_MAXITER
    gtol: float = 1e-5
    norm: float = np.inf
    ftol: float = 0.0
    xtol: float = 0.0
    patience: int = 1
    tol: Optional[float] = None
    disp: Union[bool, int] = False
    return_all: bool = False
    keep_best: bool = False
    copy_x: bool = True
    finite_diff_rel_step: Any = None
    batches: Optional[Iterable] = None
    seed: Any = None
    blocks: Any = None
    groups: Optional[Sequence[int]] = None
    lr_mult: Any = None
    n_threads: Optional[int] = None
    preset: Optional[str] = None
    preset_options: Optional[dict] = None
    given: frozenset = dataclasses.field(default=frozenset(), repr=False)
    n: dataclasses.InitVar[int] = 1

    def __post_init__(self, n: int) -> None:
        put = functools.partial(object.__setattr__, self)
        if self.maxiter is not None:
            maxiter = _real("maxiter", self.maxiter, allow_inf=True)
            put("maxiter", None if math.isinf(maxiter) else int(maxiter))
        if self.tol is not None:
            put("tol", _real("tol", self.tol))
            if "gtol" not in self.given:            # explicit options win over tol
                put("gtol", self.tol)
        put("gtol", _real("gtol", self.gtol))
        norm = _real("norm", self.norm, allow_inf=True)
        if norm == 0:
            raise ValueError("option norm must be > 0 (np.inf: the max-abs norm), got 0.0")
        put("norm", norm)
        put("ftol", _real("ftol", self.ftol))
        put("xtol", _real("xtol", self.xtol))
        put("patience", _count("patience", self.patience, 1))
        put("disp", bool(self.disp) if isinstance(self.disp, (bool, np.bool_))
            else _count("disp", self.disp, 0))
        for name in ("return_all", "keep_best", "copy_x"):
            put(name, _flag(name, getattr(self, name)))
        if self.finite_diff_rel_step is not None:
            put("finite_diff_rel_step", self._rel_step(n))
        if self.batches is not None and not hasattr(self.batches, "__iter__"):
            raise TypeError(f"option batches must be an iterable, got {self.batches!r}")
        if self.seed is not None:
            try:
                np.random.default_rng(self.seed)    # checks; the run makes its own
            except (TypeError, ValueError) as e:
                raise TypeError(f"option seed must be None, an int, a SeedSequence or a "
                                f"Generator, got {self.seed!r}") from e
        if self.blocks is not None:
            from ._blocks import block_items
            block_items(self.blocks)                # checks
        if self.groups is not None:
            put("groups", self._groups(n))
        if self.lr_mult is not None:
            put("lr_mult", self._lr_mult())
        if self.preset is not None and not isinstance(self.preset, str):
            raise TypeError(f"option preset must be a string such as 'pytorch', "
                            f"got {self.preset!r}")
        if self.preset_options is not None:
            if not isinstance(self.preset_options, dict):
                raise TypeError("option preset_options must be a dict")
            if self.preset is None:
                raise ValueError("option preset_options given without preset")

    def _rel_step(self, n: int) -> np.ndarray:
        try:
            h = np.broadcast_to(np.asarray(self.finite_diff_rel_step, dtype=np.float64), (n,))
        except (TypeError, ValueError) as e:
            raise ValueError(f"option finite_diff_rel_step must be a positive number or "
                             f"{n} of them, got {self.finite_diff_rel_step!r}") from e
        if not np.all(np.isfinite(h) & (h > 0)):
            raise ValueError(f"option finite_diff_rel_step must be positive and finite, got "
                             f"{self.finite_diff_rel_step!r}")
        return h

    def _groups(self, n: int) -> tuple:
        try:
            sizes = tuple(_size(s) for s in self.groups or ())
        except TypeError as e:
            raise TypeError(f"option groups must be a sequence of ints, got "
                            f"{self.groups!r}") from e
        if sum(sizes) != n or any(s <= 0 for s in sizes):
            raise ValueError(f"option groups must be positive sizes adding up to len(x0) = "
                             f"{n}, got {list(sizes)}")
        return sizes

    def _lr_mult(self) -> tuple:
        k = 1 if self.groups is None else len(self.groups)
        try:
            m = np.asarray(self.lr_mult, dtype=np.float64)
            mults = np.broadcast_to(m, (k,)) if m.ndim <= 1 else None
        except (TypeError, ValueError):
            mults = None
        if mults is None or (self.groups is None and m.size != 1):
            raise ValueError("option lr_mult must be a number, or one per group (several "
                             f"values need groups), got {self.lr_mult!r}")
        if not np.all(np.isfinite(mults) & (mults >= 0)):
            raise ValueError(f"option lr_mult must be finite and >= 0, got {self.lr_mult!r}")
        return tuple(float(v) for v in mults)

    @property
    def default_budget(self) -> bool:
        """True when the run stops at the default ``maxiter`` (the caller did not set it)."""
        return "maxiter" not in self.given


def _size(v: Any) -> int:
    if isinstance(v, (bool, np.bool_)):
        raise TypeError("a bool is not a size")
    return operator.index(v)


OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(Options)) - {"given"}


# ---------------------------------------------------------------------------------------
# sorting the options of a call: solver options, hyper-parameters, unknown names
# ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _hyperparameter_vocabulary() -> frozenset:
    """Every name that is a hyper-parameter somewhere in adamkit: the optimizer classes'
    keywords and every preset's own names and aliases."""
    from . import _optim, presets
    names = set()
    for cls in (_optim.Adam, _optim.AdamW, _optim.AdaMax, _optim.RMSProp):
        for p in inspect.signature(cls).parameters.values():
            if p.kind is not p.VAR_KEYWORD:
                names.add(p.name)
    for row in presets.PRESETS.values():
        names |= set(row.defaults) | set(row.aliases)
    return frozenset(names - OPTION_NAMES - {"preset"})


def split_options(method: str, hyper_names: Sequence[str], options: dict
                  ) -> tuple[dict, dict, dict]:
    """``(solver_options, hyperparameters, unknown)`` from the options of one call.

    ``learning_rate`` is the deprecated spelling of ``lr`` (a DeprecationWarning); a
    hyper-parameter name that is not one of ``method``'s raises a ValueError; any other
    unknown name is returned in ``unknown`` (scipy's OptimizeWarning, issued by the
    caller).
    """
    options = dict(options)
    if "learning_rate" in options:
        if "lr" in options:
            raise ValueError("options lr and learning_rate both given: use lr")
        warnings.warn("the option learning_rate is deprecated: use lr (the optimizer "
                      "objects' name)", DeprecationWarning, stacklevel=user_stacklevel())
        options["lr"] = options.pop("learning_rate")
    solver, hyper, unknown, wrong = {}, {}, {}, []
    for name, value in options.items():
        if name in OPTION_NAMES:
            solver[name] = value
        elif name in hyper_names:
            hyper[name] = value
        elif name in _hyperparameter_vocabulary():
            wrong.append(name)
        else:
            unknown[name] = value
    if wrong:
        raise ValueError(
            f"{', '.join(map(repr, wrong))}: not a hyper-parameter of method {method!r}, "
            f"which takes {', '.join(hyper_names)} (another method's or a framework's "
            "name: choose that method, or pass framework names in preset_options with "
            "preset=)")
    return solver, hyper, unknown


# ---------------------------------------------------------------------------------------
# x0 and the bounds
# ---------------------------------------------------------------------------------------

def prepare_x0(x0: Any) -> np.ndarray:
    """A private, writeable, C-contiguous 1-D copy of x0: float32 stays float32,
    everything else (ints, lists, float16, ...) becomes float64."""
    try:
        x0 = np.atleast_1d(np.asarray(x0))
    except (TypeError, ValueError) as e:
        raise ValueError(f"x0 must be an array of real numbers: {e}") from e
    if x0.ndim != 1:
        raise ValueError("'x0' must only have one dimension.")
    if x0.size == 0:
        raise ValueError("x0 is empty: there is nothing to minimize")
    if x0.dtype.kind == "c":
        raise TypeError("complex 'x0' is not supported")
    if x0.dtype.kind not in "biuf":
        raise TypeError(f"x0 must hold real numbers, got dtype {x0.dtype}")
    dtype = np.float32 if x0.dtype == np.float32 else np.float64
    x = np.array(x0, dtype=dtype, order="C", copy=True)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be finite, got {x0!r}")
    return x


@dataclasses.dataclass(frozen=True)
class Box:
    """Bounds ``lb <= x <= ub`` in the iterate's dtype, rounded inwards (so that a
    projected point is feasible), and the variables they fix (``lb == ub``)."""

    lb: np.ndarray
    ub: np.ndarray
    fixed: np.ndarray          # bool mask
    free: np.ndarray           # indices of the variables that are not fixed

    def project(self, x: np.ndarray) -> None:
        """Clip ``x`` onto the box, in place."""
        np.maximum(x, self.lb, out=x)
        np.minimum(x, self.ub, out=x)


_NOT_PAIRS = ("bounds must be a scipy.optimize.Bounds or a sequence of (lo, hi) pairs, one "
              "per variable (None: unbounded)")


def prepare_bounds(bounds: Any, n: int, dtype: np.dtype) -> Optional[Box]:
    """The :class:`Box` of ``bounds`` (a scipy ``Bounds`` or ``(lo, hi)`` pairs) for ``n``
    variables of ``dtype``; None if nothing is bounded.  The user's object is not modified.
    """
    if bounds is None:
        return None
    if isinstance(bounds, Bounds):
        lb, ub = bounds.lb, bounds.ub
    else:
        try:
            pairs = list(bounds)
        except TypeError:
            raise ValueError(f"{_NOT_PAIRS}, got {bounds!r}") from None
        for i, p in enumerate(pairs):
            if isinstance(p, (str, bytes)) or not hasattr(p, "__len__") or len(p) != 2:
                raise ValueError(f"{_NOT_PAIRS}; bounds[{i}] is {p!r}")
        if len(pairs) != n:
            raise ValueError("The number of bounds is not compatible with the length of "
                             "`x0`.")
        lb = [-np.inf if p[0] is None else p[0] for p in pairs]
        ub = [np.inf if p[1] is None else p[1] for p in pairs]
    try:
        lb = np.asarray(lb, dtype=np.float64)
        ub = np.asarray(ub, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"bounds must be real numbers or None: {e}") from e
    try:
        lb = np.broadcast_to(lb, (n,))
        ub = np.broadcast_to(ub, (n,))
    except ValueError as e:
        raise ValueError("The number of bounds is not compatible with the length of "
                         "`x0`.") from e
    bad = np.flatnonzero(np.isnan(lb) | np.isnan(ub))
    if bad.size:
        raise ValueError(f"bounds of x[{bad[0]}] are NaN: ({lb[bad[0]]}, {ub[bad[0]]})")
    if np.any(ub < lb):
        raise ValueError("An upper bound is less than the corresponding lower bound.")
    if np.all(np.isneginf(lb)) and np.all(np.isposinf(ub)):
        return None
    # rounded inwards: x is stored in `dtype`, so the box is the set of its values
    # inside [lb, ub]
    dt = np.dtype(dtype)
    with np.errstate(over="ignore"):
        lbd = lb.astype(dt)
        ubd = ub.astype(dt)
    low = lbd.astype(np.float64) < lb
    lbd[low] = np.nextafter(lbd[low], dt.type(np.inf))
    high = ubd.astype(np.float64) > ub
    ubd[high] = np.nextafter(ubd[high], dt.type(-np.inf))
    empty = np.flatnonzero((lbd > ubd) | np.isposinf(lbd) | np.isneginf(ubd))
    if empty.size:
        i = empty[0]
        hint = ": widen them or use a float64 x0" if dt != np.float64 else ""
        raise ValueError(f"bounds of x[{i}], [{float(lb[i])!r}, {float(ub[i])!r}], hold no "
                         f"finite {dt} value{hint}")
    fixed = lbd == ubd
    return Box(lb=lbd, ub=ubd, fixed=fixed, free=np.flatnonzero(~fixed))


def accepts_rng(fn: Callable) -> bool:
    """Whether ``fn`` has a parameter named ``rng`` that can be passed by keyword."""
    try:
        p = inspect.signature(fn).parameters.get("rng")
    except (TypeError, ValueError):
        return False
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
