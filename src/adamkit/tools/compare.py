"""Two presets on one gradient stream: how far apart their rounding takes them, per step.

:func:`compare` runs both presets from the same initial parameters on the same gradients
(the standard streams of :mod:`adamkit.tools.streams`) and returns a :class:`Comparison`
with both trajectories and their distance in ULPs at every step. By default both take
the *same* hyper-parameters (``lr``, ``eps``, ``betas`` for the Adam family, ``alpha``
(RMSProp's decay) for RMSProp), each under the framework's own name, so that only the
rounding differs; a preset that has no keyword for one of them (MXNet's AdaMax has no
epsilon) is reported in :attr:`Comparison.not_applied`, never silently skipped.
``framework_defaults=True`` uses each framework's own defaults instead.

``python -m adamkit compare A B`` prints :func:`report` and, with ``--plot``, draws
:func:`plot` (a symlog axis: 0 ULP is drawn at 0).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Optional

import numpy as np

__all__ = ["Comparison", "CompareError", "compare", "report", "figure", "plot",
           "parse_preset"]

#: the settings shared by both presets, and the family each belongs to
_COMMON = {"lr": ("adam", "rmsprop"), "eps": ("adam", "rmsprop"), "betas": ("adam",),
           "alpha": ("rmsprop",)}
_CHECKPOINTS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


class CompareError(ValueError):
    """A preset that does not exist or does not take the settings asked for."""


@dataclasses.dataclass
class Comparison:
    """The result of :func:`compare`.

    Parameters
    ----------
    names : (str, str)
        The two preset rows, ``"framework.optimizer"``.
    configs : (dict, dict)
        Each optimizer's :meth:`~adamkit.Adam.get_config`.
    not_applied : (dict, dict)
        The common settings each preset has no keyword for (it keeps its own).
    settings : dict
        The common settings (empty with ``framework_defaults``).
    dtype : str
    n : int
    steps : int
    seed : int
        The gradient stream: ``steps`` gradients of ``n`` elements from ``seed``.
    params : (ndarray, ndarray)
        Each preset's trajectory, shape ``(steps, n)`` (row ``t - 1`` after step ``t``).
    ulps : ndarray
        The distance between them in ULPs, shape ``(steps, n)``.
    """

    names: tuple[str, str]
    configs: tuple[dict, dict]
    not_applied: tuple[dict, dict]
    settings: dict
    dtype: str
    n: int
    steps: int
    seed: int
    params: tuple[np.ndarray, np.ndarray]
    ulps: np.ndarray

    @property
    def max_ulp(self) -> np.ndarray:
        """The largest distance at each step, shape ``(steps,)``."""
        return self.ulps.max(axis=1)

    @property
    def median_ulp(self) -> np.ndarray:
        return np.median(self.ulps, axis=1)

    @property
    def max_rel(self) -> np.ndarray:
        """The largest relative difference at each step."""
        a, b = self.params
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
        return np.nan_to_num(rel, nan=0.0).max(axis=1)

    @property
    def first_difference(self) -> Optional[int]:
        """The first step at which the trajectories differ, or None."""
        nz = np.flatnonzero(self.max_ulp > 0)
        return int(nz[0]) + 1 if nz.size else None

    def rows(self) -> list[dict]:
        """The text table: one row per checkpoint step (1, 2, 3, 5, 10, 20, 50, ...,
        and the last), each with the largest distance since the previous row and the step
        where it occurred, so that a spike between two checkpoints is not lost."""
        shown = sorted({s for s in _CHECKPOINTS if s <= self.steps} | {self.steps})
        mx, med, rel = self.max_ulp, self.median_ulp, self.max_rel
        out, prev = [], 0
        for t in shown:
            window = mx[prev:t]
            k = int(np.argmax(window))
            out.append({"step": t, "max_ulp": float(mx[t - 1]),
                        "median_ulp": float(med[t - 1]), "max_rel": float(rel[t - 1]),
                        "differing": int((self.ulps[t - 1] > 0).sum()),
                        "peak_ulp": float(window[k]), "peak_step": prev + k + 1})
            prev = t
        return out


def parse_preset(spec: str, optimizer: str = "adam") -> tuple[str, str]:
    """The preset row's ``(framework, optimizer)`` of a name.

    Parameters
    ----------
    spec : str
        ``"framework"`` or ``"framework.optimizer"`` (as ``preset=`` takes it; the old
        ``"framework:optimizer"`` too).
    optimizer : str
        The row of a name given by framework only.

    Raises
    ------
    CompareError
        An unknown name (the message lists the choices).
    """
    from .. import presets
    framework, sep, opt = spec.partition(":")
    if not sep:
        frameworks = {f for f, _ in presets.PRESETS} | set(presets.ALIASES)
        if spec not in frameworks and "." in spec:
            framework, _, opt = spec.rpartition(".")
    try:
        row = presets.get(framework, opt or optimizer)
    except presets.UnknownPreset as e:
        raise CompareError(str(e)) from None
    return row.framework, row.optimizer


def _settings_for(row, settings: dict) -> tuple[dict, dict]:
    """The common settings under the framework's names, and those it has no keyword for."""
    given: dict[str, Any] = {}
    skipped: dict[str, Any] = {}
    for name, value in settings.items():
        if row.family not in _COMMON[name]:
            continue
        target = row.aliases.get(name, name)
        names = target if isinstance(target, tuple) else (target,)
        if not all(t in row.defaults for t in names):     # no such keyword
            skipped[name] = value
        elif isinstance(target, tuple):
            given.update(zip(target, value))
        else:
            given[target] = value
    return given, skipped


def _build(framework: str, optimizer: str, hp: dict, n_threads: Optional[int]):
    from .. import Adam, RMSProp, presets
    row = presets.get(framework, optimizer)
    cls = Adam if row.family == "adam" else RMSProp
    try:
        return cls(preset=f"{framework}.{optimizer}", n_threads=n_threads, **hp)
    except (TypeError, ValueError) as e:
        raise CompareError(f"{framework}.{optimizer}: {e}") from None


def compare(preset_a: str, preset_b: str, *, optimizer: str = "adam", steps: int = 1000,
            n: int = 67, dtype: str = "float32", seed: int = 20261122, lr: float = 1e-3,
            eps: float = 1e-8, betas: tuple[float, float] = (0.9, 0.999),
            alpha: float = 0.9, framework_defaults: bool = False,
            n_threads: Optional[int] = None) -> Comparison:
    """Run two presets on one gradient stream; see the module docstring.

    Parameters
    ----------
    preset_a, preset_b : str
        ``"framework"`` (its ``optimizer`` row) or ``"framework.optimizer"``.
    optimizer : str
        The row of a preset given by framework only (``adam``, ``rmsprop``, ...).
    steps, n, dtype, seed : int, int, str, int
        The stream: ``steps`` gradients of ``n`` elements (float32 or float64).
    lr, eps, betas, alpha : float, float, (float, float), float
        The settings both presets take (RMSProp's decay is ``alpha``).
    framework_defaults : bool
        Use each framework's defaults instead (a required learning rate gets ``lr``).
    n_threads : int or None
        Threads of both optimizers (the bits do not depend on it).

    Returns
    -------
    Comparison

    Raises
    ------
    CompareError
        An unknown preset, or settings a preset refuses (before any step is run).
    """
    from .replay import ulp_distance
    from .streams import make_stream
    if dtype not in ("float32", "float64"):
        raise CompareError(f"dtype must be float32 or float64, got {dtype!r}")
    if steps < 1 or n < 1:
        raise CompareError(f"steps and n must be >= 1, got {steps} and {n}")
    from .. import presets
    rows = [parse_preset(s, optimizer) for s in (preset_a, preset_b)]
    families = {presets.get(f, o).family for f, o in rows}
    settings = {k: v for k, v in {"lr": lr, "eps": eps, "betas": tuple(betas),
                                  "alpha": alpha}.items()
                if families & set(_COMMON[k])}
    opts, skipped = [], []
    for framework, opt in rows:                   # every optimizer before any step
        row = presets.get(framework, opt)
        hp, skip = ({}, {}) if framework_defaults else _settings_for(row, settings)
        for name in row.required:
            hp.setdefault(name, lr)
        o = _build(framework, opt, hp, n_threads)
        for key, value in hp.items():              # honoured, not silently replaced
            if o.hyperparameters.get(key, value) != value:
                raise CompareError(f"{framework}.{opt} did not take {key}={value!r} "
                                   f"(it has {o.hyperparameters.get(key)!r})")
        opts.append(o)
        skipped.append(skip)
    try:
        p0, grads, _ = make_stream(seed, n, steps)
    except ValueError as e:
        raise CompareError(str(e)) from None
    dt = np.dtype(dtype)
    p0, grads = p0.astype(dt), grads.astype(dt)
    trajs = []
    for o in opts:
        p = p0.copy()
        traj = np.empty((steps, n), dt)
        for t in range(steps):
            o.step(p, grads[t])
            traj[t] = p
        trajs.append(traj)
    (fa, oa), (fb, ob) = rows
    return Comparison(names=(f"{fa}.{oa}", f"{fb}.{ob}"),
                      configs=(opts[0].get_config(), opts[1].get_config()),
                      not_applied=(skipped[0], skipped[1]),
                      settings={} if framework_defaults else settings, dtype=dtype, n=n,
                      steps=steps, seed=seed, params=(trajs[0], trajs[1]),
                      ulps=ulp_distance(trajs[0], trajs[1]))


def _fmt_ulp(x: float) -> str:
    return "0" if x == 0 else (f"{x:.0f}" if x < 1e6 else f"{x:.2e}")


def report(c: Comparison) -> list[str]:
    """The lines ``python -m adamkit compare`` prints for ``c`` (a :class:`Comparison`).

    Parameters
    ----------
    c : Comparison
    """
    (na, nb), lines = c.names, []
    lines.append(f"compare {na} vs {nb}: {c.dtype}, n={c.n}, {c.steps} steps, seed {c.seed}")
    if c.settings:
        lines.append("  same settings for both: " + ", ".join(
            f"{k}={v!r}" for k, v in c.settings.items()))
    else:
        lines.append("  each framework's own defaults")
    for name, cfg, skip in zip(c.names, c.configs, c.not_applied):
        lines.append(f"  {name}: {', '.join(f'{k}={v!r}' for k, v in cfg.items())}")
        if skip:
            lines.append(f"    (no keyword for {', '.join(sorted(skip))}: "
                         "the framework's own computation is kept)")
    lines.append(f"{'step':>6s} {'max ULP':>10s} {'median ULP':>11s} {'max rel':>10s} "
                 f"{'elements differing':>19s}  {'peak since previous row':>24s}")
    for r in c.rows():
        peak = f"{_fmt_ulp(r['peak_ulp'])} at step {r['peak_step']}"
        lines.append(f"{r['step']:6d} {_fmt_ulp(r['max_ulp']):>10s} "
                     f"{_fmt_ulp(r['median_ulp']):>11s} {r['max_rel']:10.2e} "
                     f"{r['differing']:>10d} / {c.n:<6d}  {peak:>24s}")
    first = c.first_difference
    mx = c.max_ulp
    k = int(np.argmax(mx))
    lines.append(f"first step that differs: {first or 'none'}; largest distance: "
                 f"{_fmt_ulp(float(mx[k]))} ULP at step {k + 1}")
    return lines


def figure(c: Comparison) -> Any:
    """A matplotlib figure of the largest and median distance per step, on a symlog axis
    (linear below one ULP, so that 0 is drawn at 0). Needs matplotlib.

    Parameters
    ----------
    c : Comparison
    """
    from matplotlib.figure import Figure
    steps = np.arange(1, c.steps + 1)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    ax.plot(steps, c.max_ulp, label="max ULP", lw=1)
    ax.plot(steps, c.median_ulp, label="median ULP", lw=1)
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("step")
    ax.set_ylabel("distance in ULPs (symlog: linear below 1)")
    ax.set_title(f"{c.names[0]} vs {c.names[1]} ({c.dtype}, n={c.n})")
    ax.legend()
    fig.tight_layout()
    return fig


def plot(c: Comparison, path: str) -> None:
    """Write :func:`figure` to a file.

    Parameters
    ----------
    c : Comparison
    path : str
        The PNG to write.
    """
    figure(c).savefig(path, dpi=100)


def have_matplotlib() -> bool:
    import importlib.util
    return importlib.util.find_spec("matplotlib") is not None


def run_cli(args: Any, out: Callable[[str], None], err: Callable[[str], None]) -> int:
    """``python -m adamkit compare``: 0, or 2 with a one-line error (no traceback)."""
    if args.plot and not have_matplotlib():
        err("adamkit compare: error: --plot needs matplotlib, which is not installed "
            "(pip install 'adamkit[plot]')")
        return 2
    if ":" in args.preset_a + args.preset_b:
        err("adamkit compare: note: 'framework:optimizer' is deprecated; write "
            "'framework.optimizer' as preset= does")
    betas, alpha = args.betas or [0.9, 0.999], args.alpha    # the optimizers' names
    if args.beta1 is not None or args.beta2 is not None:
        if args.betas is not None:
            err("adamkit compare: error: --betas and --beta1/--beta2 both given")
            return 2
        err("adamkit compare: note: --beta1/--beta2 are deprecated; write --betas B1 B2")
        betas = [0.9 if args.beta1 is None else args.beta1,
                 0.999 if args.beta2 is None else args.beta2]
    if args.rho is not None:
        if alpha is not None:
            err("adamkit compare: error: --alpha and --rho both given")
            return 2
        err("adamkit compare: note: --rho is deprecated; write --alpha")
        alpha = args.rho
    try:
        c = compare(args.preset_a, args.preset_b, optimizer=args.optimizer, steps=args.steps,
                    n=args.n, dtype=args.dtype, seed=args.seed, lr=args.lr, eps=args.eps,
                    betas=(betas[0], betas[1]), alpha=0.9 if alpha is None else alpha,
                    framework_defaults=args.framework_defaults)
    except CompareError as e:
        err(f"adamkit compare: error: {e}")
        return 2
    for line in report(c):
        out(line)
    if args.plot:
        plot(c, args.plot)
        out(f"wrote {args.plot}")
    return 0
