"""The updates an addition turns into given values (``adam_c/src/delta.c``, through
``adamkit._kernels.exact_updates``): what ``adamkit.optax`` returns so that
``optax.apply_updates`` gives the framework's parameters.

Checked here against a NumPy model of its definition, in both modes: IEEE arithmetic,
and flush-to-zero with denormals-are-zero (XLA's CPU mode) modelled by flushing every
operand and result below the smallest normal to a zero of its sign. The inputs are built
so that every branch runs: random bit patterns (every exponent, subnormals, infinities,
NaNs), targets a few units in the last place from a parameter, targets far below their
parameter (q - p rounds, p + (q - p) misses q, and the walk runs without a hit), targets
at a binade's edge above a parameter of the other sign (q - p is a tie that rounds one
unit short: the walk hits), and the specials.
Against XLA's own arithmetic: tests/frameworks/jax_worker.py (``exact_updates``).
"""

import numpy as np
import pytest

from adamkit import _kernels

SEARCH = 4

pytestmark = pytest.mark.skipif(not _kernels.HAVE_FTZ, reason="FTZ needs x86-64")


def _flush(x, on):
    if not on:
        return x
    tiny = np.finfo(x.dtype).tiny
    return np.where(np.abs(x) < tiny, np.copysign(np.zeros_like(x), x), x)


def model(p, q, ftz, search=SEARCH):
    """The definition, elementwise in NumPy (np.nextafter steps the walk)."""
    f = lambda x: _flush(x, ftz)                      # noqa: E731
    fp, fq = f(p), f(q)
    with np.errstate(all="ignore"):
        u = f(fq - fp)
        ok = (f(fp + f(u)) == fq) | np.isnan(q)
        up = f(fp + f(u)) < fq
        best, c = u.copy(), u.copy()
        for _ in range(search):
            c = np.nextafter(c, np.where(up, np.inf, -np.inf).astype(p.dtype))
            hit = ~ok & (f(fp + f(c)) == fq)
            best = np.where(hit, c, best)
            ok |= hit
    return best


def inputs(dt, n=200_000, seed=5):
    rng = np.random.default_rng(seed)
    it = np.uint32 if dt == np.float32 else np.uint64
    fi = np.finfo(dt)
    bits = lambda k: rng.integers(0, np.iinfo(it).max, k, dtype=it, endpoint=True).view(dt)  # noqa: E731
    p1, q1 = bits(n), bits(n)                                 # anything
    p2 = bits(n)                                              # a few ulps away
    q2 = (p2.view(it) + rng.integers(-6, 7, n).astype(it)).view(dt)
    with np.errstate(all="ignore"):
        p3 = rng.standard_normal(n).astype(dt)                # far below the parameter
        q3 = (p3 * dt(2.0) ** rng.integers(-60, -1, n).astype(dt)
              * rng.uniform(0.5, 1.5, n).astype(dt)).astype(dt)
        p4 = (rng.standard_normal(n) * fi.tiny * 8).astype(dt)  # around the subnormals
        q4 = (rng.standard_normal(n) * fi.tiny * 8).astype(dt)
    # a target at a binade's edge, above a parameter of the other sign: q - p is a tie
    # that rounds to even, one unit below what reaches q (p = -2048, q = 2^35 in
    # float32: q - p rounds to 2^35, and 2^35 + 4096 is the update): the walk hits
    k = n // 8
    bits_ = fi.nmant + 1
    sign = rng.choice(np.array([-1.0, 1.0]), k)
    e = rng.integers(-30, 30, k)
    p5 = (-sign * rng.integers(1, 65, k) * 2.0 ** e).astype(dt)
    q5 = (sign * 2.0 ** (e + bits_ + rng.integers(0, 8, k))).astype(dt)
    spec = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, fi.max, -fi.max, fi.tiny,
                     -fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal, 1.0, -1.0,
                     fi.eps, 2.0 ** 30], dt)
    ps, qs = np.repeat(spec, len(spec)), np.tile(spec, len(spec))
    return np.concatenate([p1, p2, p3, p4, p5, ps]), np.concatenate([q1, q2, q3, q4, q5, qs])


@pytest.mark.parametrize("ftz", [False, True])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_exact_updates_equal_the_model(dt, ftz):
    p, q = inputs(dt)
    u = np.empty_like(p)
    _kernels.exact_updates(p, q, u, ftz, SEARCH, 2)
    want = model(p, q, ftz)
    it = np.uint32 if dt == np.float32 else np.uint64
    same = (u.view(it) == want.view(it)) | (np.isnan(u) & np.isnan(want))
    assert same.all(), (int((~same).sum()), p[~same][:3], q[~same][:3], u[~same][:3],
                        want[~same][:3])
    # every branch ran: the walk hit (the update is not q - p), and it ran without a hit
    # for targets no addition reaches (p + u misses q)
    it = np.uint32 if dt == np.float32 else np.uint64
    with np.errstate(all="ignore"):
        d = _flush(_flush(q, ftz) - _flush(p, ftz), ftz)
        missed = ~np.isnan(q) & (_flush(_flush(p, ftz) + _flush(u, ftz), ftz)
                                 != _flush(q, ftz))
    walked = (u.view(it) != d.view(it)) & ~np.isnan(u)
    assert walked.sum() > 1000 and missed.sum() > 1000, (walked.sum(), missed.sum())

def test_exact_updates_threads_and_search():
    """Any thread count gives the same bits, and so does writing over the targets;
    search=0 is q - p."""
    p, q = inputs(np.float32, n=300_000, seed=8)
    a, b = np.empty_like(p), np.empty_like(p)
    _kernels.exact_updates(p, q, a, True, SEARCH, 1)
    _kernels.exact_updates(p, q, b, True, SEARCH, 2)
    assert a.tobytes() == b.tobytes()
    _kernels.exact_updates(p, q, b, False, 0, 1)
    with np.errstate(all="ignore"):
        assert b.tobytes() == (q - p).tobytes()
    q2 = q.copy()                           # written over the targets: the same bits
    _kernels.exact_updates(p, q2, q2, True, SEARCH, 2)
    assert q2.tobytes() == a.tobytes()


def test_exact_updates_refuses_bad_buffers():
    p = np.ones(8, np.float32)
    u = np.full(8, 7, np.float32)
    with pytest.raises(TypeError, match="float32"):
        _kernels.exact_updates(p, np.ones(8), u, True, 4)
    with pytest.raises(ValueError, match="same length"):
        _kernels.exact_updates(p, p[:4].copy(), u, True, 4)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.ones(8, np.float32)
        ro.flags.writeable = False
        _kernels.exact_updates(p, p, ro, True, 4)
    with pytest.raises(ValueError, match="apart"):
        _kernels.exact_updates(p, p.copy(), p, True, 4)
    big = np.ones(16, np.float32)
    with pytest.raises(ValueError, match="apart"):
        _kernels.exact_updates(p, big[:8], big[4:12], True, 4)
    with pytest.raises(ValueError, match="search"):
        _kernels.exact_updates(p, p, u, True, -1)
    with pytest.raises(TypeError, match="float32 or float64"):
        _kernels.exact_updates(np.ones(8, np.int32), p, u, True, 4)
    assert (u == 7).all()                   # nothing written
