"""Property-based tests (hypothesis) of the optimizer objects' documented behaviour.

* ``test_*_matches_equations``: adamkit's own Adam (plain, AMSGrad, Nesterov, L2, AdamW,
  AdaMax, maximize) and RMSProp (momentum, centered, L2, maximize) against the equations
  of their docstrings evaluated operation by operation in the array's dtype with NumPy
  (IEEE, correctly rounded: the same bits are expected, NaN positions included), over
  dtypes, sizes, several steps, and extreme hyper-parameters and gradients: beta 0 and
  just below 1, eps 0, huge lr, huge / subnormal / zero / signed-zero gradients, Inf, NaN.
* ``test_bad_input_raises_before_writing``: one defect (dtype, shape, contiguity, a
  read-only or aliased buffer, a non-array, a count mismatch) anywhere in a list of arrays
  raises TypeError/ValueError, and no parameter, gradient, state buffer or step count
  changes.
* ``test_shapes_and_strides``: any C-contiguous shape steps like its flattening; any
  non-contiguous view is refused before writing.
* ``test_threads_mixed_optimizers_same_bits``: Python threads stepping different
  optimizers (families, dtypes, OpenMP threads) at once give the serial bits.

The number of examples run is printed at the end of the module ("hypothesis examples").
``ADAMKIT_HYPOTHESIS_SCALE`` multiplies the example counts (default 1).
"""

import math
import os
import threading
from collections import Counter

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import adamkit  # noqa: E402

SCALE = float(os.environ.get("ADAMKIT_HYPOTHESIS_SCALE", "1"))
COUNTS = Counter()


def examples(n):
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@pytest.fixture(scope="module", autouse=True)
def report_counts(report):
    yield
    report("hypothesis examples run in tests/test_properties.py: "
                + ", ".join(f"{k}={v}" for k, v in sorted(COUNTS.items()))
                + f" (total {sum(COUNTS.values())})")


# --- strategies ---------------------------------------------------------------------------

DTYPES = st.sampled_from([np.float32, np.float64])
BETAS = st.one_of(
    st.sampled_from([0.0, 5e-324, 1e-8, 0.5, 0.9, 0.99, 0.999, 1 - 2.0 ** -24,
                     1 - 2.0 ** -53, math.nextafter(1.0, 0.0)]),
    st.floats(0.0, 1.0, exclude_max=True))
EPS = st.one_of(st.sampled_from([0.0, 5e-324, 1e-45, 1e-8, 1.0, 1e30]),
                st.floats(0.0, 10.0))
LR = st.one_of(st.sampled_from([0.0, 1e-3, 1.0, 1e30]), st.floats(0.0, 100.0))
WD = st.sampled_from([0.0, 0.0, 1e-2, 0.5])
SIZES = st.one_of(st.integers(0, 40), st.sampled_from([63, 64, 65, 127, 129, 1000]))


def special_floats(dtype):
    fi = np.finfo(dtype)
    return st.sampled_from([0.0, -0.0, 1.0, -1.0, float(fi.max), -float(fi.max),
                            float(fi.smallest_subnormal), -float(fi.smallest_subnormal),
                            float(fi.tiny), math.inf, -math.inf, math.nan,
                            float(np.sqrt(fi.max)) * 2])


def values(dtype):
    width = 32 if dtype == np.float32 else 64
    return st.one_of(st.floats(width=width), special_floats(dtype),
                     st.floats(-10, 10, width=width))


@st.composite
def problems(draw, family):
    dt = draw(DTYPES)
    n = draw(SIZES)
    k = draw(st.integers(1, 4))
    finite_p = draw(st.booleans())
    pel = st.floats(-1e3, 1e3, width=32 if dt == np.float32 else 64) if finite_p else values(dt)
    p = draw(hnp.arrays(dt, n, elements=pel))
    gs = draw(hnp.arrays(dt, (k, n), elements=values(dt)))
    lr = draw(LR)
    if family == "adam":
        hp = dict(b1=draw(BETAS), b2=draw(BETAS), eps=draw(EPS), wd=draw(WD),
                  amsgrad=draw(st.booleans()), nesterov=draw(st.booleans()),
                  decoupled=draw(st.booleans()), maximize=draw(st.booleans()),
                  adamax=draw(st.booleans()))
    else:
        hp = dict(rho=draw(BETAS), eps=draw(EPS), wd=draw(WD),
                  momentum=draw(st.sampled_from([0.0, 0.5, 0.9, 0.0])),
                  centered=draw(st.booleans()), maximize=draw(st.booleans()))
    return dt, p, gs, lr, hp


# --- the equations, operation by operation in the array's dtype -------------------------

def rnd(x, dt):
    with np.errstate(over="ignore"):
        return dt(x)


def maxnan(a, b):
    """adam_c's max: a if a > b or a is NaN, else b."""
    return np.where((a > b) | (a != a), a, b)


def adam_scalars_finite(dt, t, lr, hp):
    """Whether the scalars adamkit's Adam reads at step t are finite in dt (it refuses a
    step whose scalars overflow, before writing: issue 13)."""
    b1, b2, eps, wd = hp["b1"], hp["b2"], hp["eps"], hp["wd"]
    bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
    used = [lr / bc1, math.sqrt(bc2), eps, 1.0 - b1, 1.0 - b2, b1, b2]
    if wd:
        used.append(1.0 - lr * wd if hp["decoupled"] else wd)
    return all(np.isfinite(rnd(x, dt)) for x in used)


def adam_equations(dt, p, g, m, v, vh, t, lr, hp):
    b1, b2, eps, wd = hp["b1"], hp["b2"], hp["eps"], hp["wd"]
    bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
    R = lambda x: rnd(x, dt)  # noqa: E731
    if hp["maximize"]:
        g = -g
    if wd and not hp["decoupled"]:
        g = g + p * R(wd)
    if wd and hp["decoupled"]:
        p = p * R(1.0 - lr * wd)
    m = m + (g - m) * R(1.0 - b1)
    if hp["adamax"]:
        v = maxnan(R(b2) * v, np.abs(g) + R(eps))
    else:
        v = v + (g * g - v) * R(1.0 - b2)
    w = v
    if hp["amsgrad"]:
        w = maxnan(vh, v)
        vh = w
    num = g * R(1.0 - b1) + R(b1) * m if hp["nesterov"] else m
    d = w if hp["adamax"] else np.sqrt(w) / R(math.sqrt(bc2)) + R(eps)
    u = (num * R(lr / bc1)) / d
    return p - u, m, v, vh


def rmsprop_equations(dt, p, g, ms, mg, mom, lr, hp):
    R = lambda x: rnd(x, dt)  # noqa: E731
    rho, c = R(hp["rho"]), R(1.0 - hp["rho"])
    if hp["maximize"]:
        g = -g
    if hp["wd"]:
        g = g + p * R(hp["wd"])
    ms = ms + (g * g - ms) * c
    w = ms
    if hp["centered"]:
        mg = mg + (g - mg) * c
        w = ms - mg * mg
    d = np.sqrt(w) + R(hp["eps"])
    u = (g * R(lr)) / d
    if hp["momentum"]:
        mom = R(hp["momentum"]) * mom + u
        return p - mom, ms, mg, mom
    del rho
    return p - u, ms, mg, mom


def same_bits(a, b):
    """Bit-identical, except that any NaN equals any NaN (payloads are not specified)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f":
        return a.tobytes() == b.tobytes()
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    return bool(np.array_equal(nan_a, nan_b)
                and a[~nan_a].tobytes() == b[~nan_b].tobytes())


def describe(a, b):
    bad = np.nonzero(~((a == b) | (np.isnan(a) & np.isnan(b))
                       | ((a == b) & (np.signbit(a) != np.signbit(b)))))[0][:5]
    return f"first differences at {bad}: {a[bad]} vs {b[bad]}"


# --- properties ---------------------------------------------------------------------------

@examples(400)
@given(problems("adam"))
def test_adam_matches_equations(prob):
    dt, p, gs, lr, hp = prob
    COUNTS["adam_equations"] += 1
    cls = adamkit.AdaMax if hp["adamax"] else adamkit.Adam
    kw = dict(lr=lr, betas=(hp["b1"], hp["b2"]), eps=hp["eps"], weight_decay=hp["wd"],
              amsgrad=hp["amsgrad"], nesterov=hp["nesterov"], maximize=hp["maximize"],
              decoupled_weight_decay=hp["decoupled"])
    opt = cls(**kw)
    p_ref = p.copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    vh = np.zeros_like(p)
    with np.errstate(all="ignore"):
        for t, g in enumerate(gs, start=1):
            g_before = g.copy()
            if not adam_scalars_finite(dt, t, lr, hp):
                with pytest.raises(ValueError, match="is not finite"):
                    opt.step(p, g)
                assert same_bits(p, p_ref) and opt.t == t - 1     # nothing written
                return
            opt.step(p, g)
            assert same_bits(g, g_before), "the gradient was modified"
            p_ref, m, v, vh = adam_equations(dt, p_ref, g, m, v, vh, t, lr, hp)
            assert p.dtype == dt
            assert same_bits(p, p_ref), f"step {t}: {describe(p, p_ref)}"
            st_ = opt.state_dict()["state"][0]
            assert same_bits(st_["m"], m) and same_bits(st_["v"], v)
            if hp["amsgrad"]:
                assert same_bits(st_["vhat"], vh)
    assert opt.t == len(gs)


@examples(300)
@given(problems("rmsprop"))
def test_rmsprop_matches_equations(prob):
    dt, p, gs, lr, hp = prob
    COUNTS["rmsprop_equations"] += 1
    opt = adamkit.RMSProp(lr=lr, alpha=hp["rho"], eps=hp["eps"], weight_decay=hp["wd"],
                          momentum=hp["momentum"], centered=hp["centered"],
                          maximize=hp["maximize"])
    p_ref = p.copy()
    ms, mg, mom = (np.zeros_like(p) for _ in range(3))
    with np.errstate(all="ignore"):
        for t, g in enumerate(gs, start=1):
            opt.step(p, g)
            p_ref, ms, mg, mom = rmsprop_equations(dt, p_ref, g, ms, mg, mom, lr, hp)
            assert same_bits(p, p_ref), f"step {t}: {describe(p, p_ref)}"
            st_ = opt.state_dict()["state"][0]
            assert same_bits(st_["ms"], ms)
            if hp["centered"]:
                assert same_bits(st_["mg"], mg)
            if hp["momentum"]:
                assert same_bits(st_["mom"], mom)


OPTIMIZERS = [
    lambda: adamkit.Adam(lr=1e-2),
    lambda: adamkit.Adam(lr=1e-2, amsgrad=True),
    lambda: adamkit.AdamW(),
    lambda: adamkit.AdaMax(),
    lambda: adamkit.RMSProp(momentum=0.9, centered=True),
    lambda: adamkit.RMSProp(),
]
DEFECTS = ["int_dtype", "f16_dtype", "mixed_dtype", "big_endian", "shape", "strided_p",
           "strided_g", "transposed_p", "readonly_p", "alias_p_g", "alias_p_p",
           "alias_p_g_other", "overlap_views", "list_not_array", "extra_grad",
           "missing_grad", "count_vs_state", "size_vs_state", "dtype_vs_state"]


@st.composite
def defect_cases(draw):
    dt = draw(DTYPES)
    k = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(2, 50), min_size=k, max_size=k))
    return draw(st.sampled_from(range(len(OPTIMIZERS)))), dt, sizes, \
        draw(st.integers(0, k - 1)), draw(st.sampled_from(DEFECTS)), draw(st.integers(0, 2**32 - 1))


def make_defect(defect, params, grads, i, dt, rng):
    """Return (params, grads) with one defect at index i (lists; new arrays as needed)."""
    P, G = list(params), list(grads)
    n = P[i].size
    other = np.float32 if dt == np.float64 else np.float64
    if defect == "int_dtype":
        P[i] = np.arange(n)
        G[i] = np.arange(n)
    elif defect == "f16_dtype":
        P[i] = P[i].astype(np.float16)
        G[i] = G[i].astype(np.float16)
    elif defect == "mixed_dtype":
        G[i] = G[i].astype(other)
    elif defect == "big_endian":
        P[i] = P[i].astype(P[i].dtype.newbyteorder(">"))
        G[i] = G[i].astype(G[i].dtype.newbyteorder(">"))
    elif defect == "shape":
        G[i] = np.append(G[i], G[i][:1])
    elif defect == "strided_p":
        big = np.repeat(P[i], 2)
        P[i] = big[::2]
    elif defect == "strided_g":
        G[i] = np.repeat(G[i], 2)[::2]
    elif defect == "transposed_p":
        P[i] = np.ascontiguousarray(P[i][: n - n % 2].reshape(2, -1)).T
        G[i] = np.zeros(P[i].shape, dt)
        assume(not P[i].flags.c_contiguous)      # a (1, 2) transpose is still contiguous
    elif defect == "readonly_p":
        P[i] = P[i].copy()
        P[i].flags.writeable = False
    elif defect == "alias_p_g":
        G[i] = P[i]
    elif defect == "alias_p_p":
        P.append(P[i])
        G.append(G[i].copy())
    elif defect == "alias_p_g_other":
        P.append(G[i])
        G.append(G[i].copy())
    elif defect == "overlap_views":
        buf = np.zeros(n + 1, dt)
        P[i] = buf[:n]
        P.append(buf[1:])
        G.append(np.zeros(n, dt))
    elif defect == "list_not_array":
        P[i] = P[i].tolist()
    elif defect == "extra_grad":
        G.append(G[i].copy())
    elif defect == "missing_grad":
        G.pop(i)
    elif defect == "count_vs_state":
        P.append(np.zeros(3, dt))
        G.append(np.zeros(3, dt))
    elif defect == "size_vs_state":
        P[i] = np.zeros(n + 1, dt)
        G[i] = np.zeros(n + 1, dt)
    elif defect == "dtype_vs_state":
        P[i] = P[i].astype(other)
        G[i] = G[i].astype(other)
    return P, G


@examples(300)
@given(defect_cases())
def test_bad_input_raises_before_writing(case):
    which, dt, sizes, i, defect, seed = case
    COUNTS["bad_input"] += 1
    rng = np.random.default_rng(seed)
    opt = OPTIMIZERS[which]()
    params = [rng.standard_normal(n).astype(dt) for n in sizes]
    grads = [rng.standard_normal(n).astype(dt) for n in sizes]
    opt.step(params, grads)                      # state exists, t == 1
    before_state = [{k: a.copy() for k, a in s.items()} for s in opt.state_dict()["state"]]
    P, G = make_defect(defect, params, grads, i, dt, rng)
    snap = [np.array(a, copy=True) for a in P + G]
    with pytest.raises((TypeError, ValueError)):
        opt.step(P, G)
    assert opt.t == 1
    for a, b in zip(P + G, snap):
        assert same_bits(np.asarray(a), b), f"{defect}: an input was written"
    after = opt.state_dict()["state"]
    for s0, s1 in zip(before_state, after):
        assert all(same_bits(s0[k], s1[k]) for k in s0), f"{defect}: state was written"
    # and the optimizer still works afterwards
    opt.step(params, grads)
    assert opt.t == 2


@st.composite
def strided_views(draw):
    dt = draw(DTYPES)
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    steps = tuple(draw(st.sampled_from([1, 1, 2, -1, 3])) for _ in shape)
    transpose = draw(st.booleans())
    return dt, shape, steps, transpose


@examples(200)
@given(strided_views())
def test_shapes_and_strides(case):
    dt, shape, steps, transpose = case
    COUNTS["strides"] += 1
    rng = np.random.default_rng(len(shape) * 7 + sum(steps))
    full = [s * abs(k) for s, k in zip(shape, steps)]
    base = rng.standard_normal(full).astype(dt)
    view = base[tuple(slice(None, None, k) for k in steps)]
    if transpose:
        view = view.T
    g = rng.standard_normal(view.shape).astype(dt)
    opt = adamkit.Adam(lr=0.1)
    if view.flags.c_contiguous:
        flat = view.reshape(-1).copy()
        ref = adamkit.Adam(lr=0.1)
        ref.step(flat, np.ascontiguousarray(g).reshape(-1))
        opt.step(view, g)
        assert same_bits(view.reshape(-1), flat)
    else:
        before = base.copy()
        with pytest.raises(ValueError, match="contiguous"):
            opt.step(view, g)
        assert same_bits(base, before) and opt.t == 0
    # a non-contiguous gradient is refused too (never silently copied or misread)
    if g.size > 1:
        g2 = np.repeat(g.reshape(-1), 2)[::2].reshape(g.shape)
        p2 = np.zeros(g.shape, dt)
        with pytest.raises(ValueError):
            adamkit.Adam().step(p2, g2)


def test_threads_mixed_optimizers_same_bits(rng):
    """Threads stepping different optimizers (Adam/AdamW/AdaMax/RMSProp; float32 and
    float64; with and without OpenMP inside) at once: the same bits as one by one."""
    makers = [lambda: adamkit.Adam(lr=1e-2, amsgrad=True, n_threads=2),
              lambda: adamkit.AdamW(n_threads=1),
              lambda: adamkit.AdaMax(n_threads=2),
              lambda: adamkit.RMSProp(momentum=0.9, centered=True, n_threads=1),
              lambda: adamkit.RMSProp(n_threads=2),
              lambda: adamkit.Adam(nesterov=True, n_threads=1)]
    n, steps = 70_001, 4
    dts = [np.float32, np.float64] * 3
    p0 = [rng.standard_normal(n).astype(dt) for dt in dts]
    gs = [rng.standard_normal((steps, n)).astype(dt) for dt in dts]
    serial = [p.copy() for p in p0]
    for i, mk in enumerate(makers):
        opt = mk()
        for s in range(steps):
            opt.step(serial[i], gs[i][s])
    par = [p.copy() for p in p0]
    barrier = threading.Barrier(len(makers))

    def work(i):
        opt = makers[i]()
        barrier.wait()
        for s in range(steps):
            opt.step(par[i], gs[i][s])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(makers))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for a, b in zip(serial, par):
        assert same_bits(a, b)
