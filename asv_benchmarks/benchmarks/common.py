"""Shared helpers for adamkit's asv benchmarks (in the style of scipy's benchmarks/common.py).

Data is made once per process (``get_data`` is cached) with every page already faulted
in (``np.ones``-style fills), so the first timed call does not pay for page faults.
Optional peers (torch, jax/optax) are imported through :func:`optional`; a benchmark whose
peer is missing raises ``NotImplementedError`` in ``setup``, which asv reports as skipped.
"""

import functools
import importlib
import os

import numpy as np


class Benchmark:
    """Base class: asv attributes shared by every adamkit benchmark."""

    # A step is microseconds to milliseconds: let asv pick the repeat count, but cap
    # the wall time so that a full run stays a few minutes on 2 cores.
    timeout = 120
    # asv's default sample time (10 ms) is fine; warm-up keeps the first-touch cost
    # and the CPU frequency ramp out of the numbers.
    warmup_time = 0.05


@functools.lru_cache(maxsize=None)
def _base(n, dtype):
    dtype = np.dtype(dtype)
    p = np.ones(n, dtype=dtype)                 # faults every page
    p *= 0.5
    g = np.ones(n, dtype=dtype)
    g *= 1e-3
    return p, g


def get_data(n, dtype, n_state=2):
    """``(p, g, [state buffers])`` of n elements: p and g copied from a cached base, the
    state zeros (written, so faulted). Fresh copies so a benchmark's updates never leak
    into another's data."""
    p0, g = _base(int(n), str(np.dtype(dtype)))
    p = p0.copy()
    state = []
    for _ in range(n_state):
        s = np.empty_like(p)
        s.fill(0.0)
        state.append(s)
    return p, g, state


def sizes(*ns):
    """The array sizes a benchmark runs, capped by ``$ADAMKIT_ASV_MAX_N`` (e.g. ``1e5`` in
    CI, where only "the benchmarks still run" matters; unset: all sizes)."""
    cap = float(os.environ.get("ADAMKIT_ASV_MAX_N", "inf"))
    return [int(n) for n in ns if n <= cap] or [int(min(ns))]


def n_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def skip_unless_threads(n_threads):
    """Skip a multi-thread case on a machine (or a build) that cannot run it."""
    import adamkit
    if n_threads > 1 and (not adamkit.openmp_enabled() or n_cores() < n_threads):
        raise NotImplementedError(f"{n_threads} threads need OpenMP and {n_threads} cores")


def optional(name):
    """Import an optional peer or skip the benchmark (NotImplementedError = skipped)."""
    try:
        return importlib.import_module(name)
    except Exception as exc:  # ImportError, or a broken install
        raise NotImplementedError(f"{name} is not importable: {exc}") from None
