"""Optimizer objects: bad input refused before any write, state round trips, equivalences."""

import threading

import numpy as np
import pytest

import adamkit
from adamkit import _kernels as K
from adamkit import _rules as R

OPTIMIZERS = [
    lambda **kw: adamkit.Adam(**kw),
    lambda **kw: adamkit.Adam(amsgrad=True, **kw),
    lambda **kw: adamkit.AdamW(**kw),
    lambda **kw: adamkit.AdaMax(**kw),
    lambda **kw: adamkit.RMSProp(momentum=0.9, centered=True, **kw),
]
OPT_IDS = ["adam", "amsgrad", "adamw", "adamax", "rmsprop"]


def snapshot(*arrays):
    return [a.copy() for a in arrays]


def unchanged(before, *arrays):
    return all(np.array_equal(b, a, equal_nan=True) for b, a in zip(before, arrays))


@pytest.fixture(params=list(zip(OPTIMIZERS, OPT_IDS)), ids=OPT_IDS)
def make_opt(request):
    return request.param[0]


def stepped(make_opt, rng, n=50, dtype=np.float64):
    """An optimizer that has taken one step (so state exists) and its arrays."""
    opt = make_opt()
    p = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    opt.step(p, g)
    return opt, p, g


def state_arrays(opt):
    return [a for st in (opt._state or []) for a in st.values()]


@pytest.mark.parametrize("bad", [
    "dtype_int", "dtype_mixed", "dtype_f16", "shape", "noncontig_p", "noncontig_g",
    "readonly_p", "alias_pg", "alias_overlap", "alias_two_params", "not_array",
    "count_mismatch", "list_len",
])
def test_bad_arrays_raise_before_writing(make_opt, bad, rng):
    opt, p, g = stepped(make_opt, rng)
    st0 = snapshot(*state_arrays(opt))
    p0 = p.copy()
    t0 = opt.t
    args = None
    if bad == "dtype_int":
        args = (np.arange(50), np.arange(50))
        exc = TypeError
    elif bad == "dtype_mixed":
        args = (p, g.astype(np.float32))
        exc = TypeError
    elif bad == "dtype_f16":
        args = (p.astype(np.float16), g.astype(np.float16))
        exc = TypeError
    elif bad == "shape":
        args = (p, g[:-1])
        exc = ValueError
    elif bad == "noncontig_p":
        big = np.repeat(p, 2)
        args = (big[::2], g)
        exc = ValueError
    elif bad == "noncontig_g":
        args = (p, np.repeat(g, 2)[::2])
        exc = ValueError
    elif bad == "readonly_p":
        ro = p.copy()
        ro.flags.writeable = False
        args = (ro, g)
        exc = ValueError
    elif bad == "alias_pg":
        args = (p, p)
        exc = ValueError
    elif bad == "alias_overlap":
        buf = np.concatenate([p, p])
        args = (buf[:50], buf[10:60])
        exc = ValueError
    elif bad == "alias_two_params":
        args = ([p, p], [g, g])
        exc = ValueError
    elif bad == "not_array":
        args = (list(p), g)
        exc = TypeError
    elif bad == "count_mismatch":
        args = ([p, p.copy()], [g])
        exc = ValueError
    elif bad == "list_len":
        args = ([p, p.copy()], [g, g.copy()])   # state holds one array
        exc = ValueError
    with pytest.raises(exc):
        opt.step(*args)
    assert opt.t == t0
    assert np.array_equal(p, p0)
    assert unchanged(st0, *state_arrays(opt))


def test_state_mismatch_in_size_is_refused(make_opt, rng):
    opt, p, g = stepped(make_opt, rng)
    with pytest.raises(ValueError, match="does not match"):
        opt.step(p[:10].copy(), g[:10].copy())


@pytest.mark.parametrize("kwargs,exc", [
    ({"lr": float("nan")}, ValueError), ({"lr": -1.0}, ValueError),
    ({"lr": float("inf")}, ValueError), ({"lr": "0.1"}, TypeError),
    ({"eps": -1e-8}, ValueError), ({"weight_decay": -0.1}, ValueError),
    ({"betas": (1.0, 0.999)}, ValueError), ({"betas": (0.9, -0.1)}, ValueError),
    ({"betas": (0.9, float("nan"))}, ValueError), ({"n_threads": 0}, ValueError),
    ({"learning_rate": 0.1}, TypeError),
])
def test_bad_adam_hyperparameters(kwargs, exc):
    with pytest.raises(exc):
        adamkit.Adam(**kwargs)


@pytest.mark.parametrize("kwargs,exc", [
    ({"lr": float("nan")}, ValueError), ({"alpha": 1.0}, ValueError),
    ({"eps": -1.0}, ValueError), ({"momentum": -0.5}, ValueError),
    ({"weight_decay": float("inf")}, ValueError), ({"rho": 0.9}, TypeError),
])
def test_bad_rmsprop_hyperparameters(kwargs, exc):
    with pytest.raises(exc):
        adamkit.RMSProp(**kwargs)


def test_schedule_returning_nan_is_refused_before_writing(rng):
    opt = adamkit.Adam(lr=lambda t: float("nan"))
    p = rng.standard_normal(10)
    p0 = p.copy()
    with pytest.raises(ValueError, match="schedule"):
        opt.step(p, rng.standard_normal(10))
    assert np.array_equal(p, p0) and opt.t == 0


def test_readonly_grad_is_fine(rng):
    p = rng.standard_normal(10)
    g = rng.standard_normal(10)
    g.flags.writeable = False
    adamkit.Adam().step(p, g)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_state_round_trip_is_bit_identical(make_opt, dtype, rng):
    n, k, total = 1000, 7, 20
    grads = rng.standard_normal((total, n)).astype(dtype)
    p_ref = rng.standard_normal(n).astype(dtype)
    p_res = p_ref.copy()
    ref = make_opt(lr=lambda t: 1e-2 / (1 + t))
    for t in range(total):
        ref.step(p_ref, grads[t])
    first = make_opt(lr=lambda t: 1e-2 / (1 + t))
    for t in range(k):
        first.step(p_res, grads[t])
    saved = first.state_dict()
    resumed = make_opt(lr=lambda t: 1e-2 / (1 + t))
    resumed.load_state_dict(saved)
    for t in range(k, total):
        resumed.step(p_res, grads[t])
    assert resumed.t == total
    assert np.array_equal(p_ref.view(np.uint8), p_res.view(np.uint8))


def test_load_state_dict_refuses_other_rule(rng):
    opt, p, g = stepped(lambda: adamkit.Adam(), rng)
    with pytest.raises(ValueError, match="different update rule"):
        adamkit.RMSProp().load_state_dict(opt.state_dict())
    with pytest.raises(ValueError):
        adamkit.Adam().load_state_dict({"t": 1})


def test_multi_array_step_equals_separate_optimizers(rng):
    shapes = [(3, 4), (7,), (2, 2, 2)]
    ps = [rng.standard_normal(s) for s in shapes]
    gs = [rng.standard_normal(s) for s in shapes]
    together = [p.copy() for p in ps]
    adamkit.Adam(lr=0.1).step(together, gs)
    for p, g, want in zip(ps, gs, together):
        q = p.copy()
        adamkit.Adam(lr=0.1).step(q, g)
        assert np.array_equal(q, want)


def test_lr_mult_scales_one_array(rng):
    p = [rng.standard_normal(5), rng.standard_normal(5)]
    g = [rng.standard_normal(5), rng.standard_normal(5)]
    a = [x.copy() for x in p]
    adamkit.Adam(lr=0.1).step(a, g, lr_mult=[1.0, 0.5])
    b0, b1 = p[0].copy(), p[1].copy()
    adamkit.Adam(lr=0.1).step(b0, g[0])
    adamkit.Adam(lr=0.05).step(b1, g[1])
    assert np.array_equal(a[0], b0) and np.array_equal(a[1], b1)


def test_float32_stays_float32(rng):
    p = rng.standard_normal(10).astype(np.float32)
    opt = adamkit.Adam()
    opt.step(p, rng.standard_normal(10).astype(np.float32))
    assert p.dtype == np.float32
    assert all(a.dtype == np.float32 for a in state_arrays(opt))


def test_nan_gradient_propagates_only_to_its_element(rng):
    p = np.zeros(4)
    g = np.array([1.0, np.nan, np.inf, -1.0])
    adamkit.Adam(lr=0.1).step(p, g)
    assert np.isfinite(p[[0, 3]]).all() and np.isnan(p[1]) and np.isnan(p[2])


def test_concurrent_step_on_one_optimizer_is_refused(rng):
    """Two threads on one optimizer: every step either completes or is refused cleanly,
    and the step count equals the number of steps that completed."""
    opt = adamkit.Adam()
    p = rng.standard_normal(4_000_000)
    g = rng.standard_normal(4_000_000)
    done, errors = [0, 0], []

    def run(k):
        for _ in range(5):
            try:
                opt.step(p, g)
                done[k] += 1
            except RuntimeError as e:
                errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert opt.t == sum(done)
    assert sum(done) + len(errors) == 10
    for e in errors:
        assert "another thread" in str(e)


def test_many_threads_many_optimizers_same_bits(rng):
    """Python threads stepping their own optimizers (GIL released) match serial runs."""
    n, steps, k = 100_003, 5, 4
    p0 = [rng.standard_normal(n).astype(np.float32) for _ in range(k)]
    gs = [rng.standard_normal((steps, n)).astype(np.float32) for _ in range(k)]
    serial = [p.copy() for p in p0]
    for i in range(k):
        opt = adamkit.Adam(lr=1e-2)
        for s in range(steps):
            opt.step(serial[i], gs[i][s])
    par = [p.copy() for p in p0]

    def work(i):
        opt = adamkit.Adam(lr=1e-2, n_threads=1)
        for s in range(steps):
            opt.step(par[i], gs[i][s])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(k)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for a, b in zip(serial, par):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


# --- equivalences that hold bit for bit by construction ---------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_beta1_zero_no_bias_correction_is_rmsprop(dtype, rng):
    """Adam with b1 = 0 (m = g exactly in the b1*m + c1*g form), alpha = lr and eps added
    to sqrt(raw v) runs the same operations as RMSProp with eps outside the root."""
    n = 5000
    p0 = rng.standard_normal(n).astype(dtype)
    r = R.rounder(dtype == np.float32)
    ak = K.Kernel("adam", {"first": R.M_AXPBY, "second": R.V_AXPBY, "denom": R.D_SQRT_EPS})
    ak.set_scalars(b1=0.0, c1=1.0, b2=r(0.9), c2=r(0.1), eps=r(1e-6), alpha=r(1e-2))
    rk = K.Kernel("rmsprop", {"square": R.MS_AXPBY, "denom": R.RD_SQRT_EPS})
    rk.set_scalars(rho=r(0.9), c=r(0.1), eps=r(1e-6), lr=r(1e-2))
    pa, pr = p0.copy(), p0.copy()
    m, v, ms = np.zeros(n, dtype), np.zeros(n, dtype), np.zeros(n, dtype)
    for _ in range(20):
        g = rng.standard_normal(n).astype(dtype)
        ak.run(pa, g, m, v, None, 1)
        rk.run(pr, g, ms, None, None, 1)
    assert np.array_equal(pa, pr) and np.array_equal(v, ms)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l2_decay_equals_adding_it_to_the_gradient(dtype, rng):
    n, wd = 1000, 0.01
    p1 = rng.standard_normal(n).astype(dtype)
    p2 = p1.copy()
    a, b = adamkit.Adam(lr=1e-2, weight_decay=wd), adamkit.Adam(lr=1e-2)
    for _ in range(10):
        g = rng.standard_normal(n).astype(dtype)
        a.step(p1, g)
        b.step(p2, g + p2 * dtype(wd))     # the same two roundings: p*wd, then g + .
    assert np.array_equal(p1, p2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adamw_equals_scaling_p_first(dtype, rng):
    n, wd, lr = 1000, 0.05, 1e-2
    p1 = rng.standard_normal(n).astype(dtype)
    p2 = p1.copy()
    a, b = adamkit.AdamW(lr=lr, weight_decay=wd), adamkit.Adam(lr=lr)
    k = dtype(1 - lr * wd)
    for _ in range(10):
        g = rng.standard_normal(n).astype(dtype)
        a.step(p1, g)
        p2 *= k
        b.step(p2, g)
    assert np.array_equal(p1, p2)


def test_maximize_equals_negated_gradient(rng):
    p1 = rng.standard_normal(100)
    p2 = p1.copy()
    a, b = adamkit.Adam(maximize=True), adamkit.Adam()
    for _ in range(5):
        g = rng.standard_normal(100)
        a.step(p1, g)
        b.step(p2, -g)
    assert np.array_equal(p1, p2)


_BOUND_CASES = {
    "adam-amsgrad": lambda: adamkit.Adam(lr=1e-2, amsgrad=True),
    "adamw-schedule": lambda: adamkit.AdamW(lr=lambda t: 1e-2 / (1 + t)),
    "adamax": lambda: adamkit.AdaMax(),
    "rmsprop-centered-momentum": lambda: adamkit.RMSProp(momentum=0.9, centered=True),
    "rmsprop-plain": lambda: adamkit.RMSProp(weight_decay=0.1),
    "preset-pytorch": lambda: adamkit.Adam(preset="pytorch.adam", lr=1e-2),
    "preset-tf-rmsprop": lambda: adamkit.RMSProp(preset="tensorflow.rmsprop", lr=1e-2),
    # rules with a tail row past a BLAS split point (body and tail kernels, both bound)
    "split-torch7-adam": lambda: adamkit.Adam(preset="torch7.adam", lr=1e-2),
    "split-caffe-rmsprop": lambda: adamkit.RMSProp(preset="caffe.rmsprop", base_lr=1e-2),
    "split-keras-rmsprop": lambda: adamkit.RMSProp(preset="keras_tensorflow.rmsprop"),
}


@pytest.mark.parametrize("case", sorted(_BOUND_CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bound_steps_match_the_checked_path(case, dtype, rng):
    """Three ways to step, the same bits at every step: the very same arrays each time
    (bound, one C call), the same parameters with a new gradient array each time (bound,
    the gradient re-checked), and lr_mult=[1] (the fully checked per-array path, never
    bound)."""
    n = 1000                        # a split rule's tail is [992, 1000) or [976, 1000)
    p0 = rng.standard_normal((10, n // 10)).astype(dtype)
    ps = [p0.copy() for _ in range(3)]
    opts = [_BOUND_CASES[case]() for _ in range(3)]
    assert (opts[0]._tail_kernel is not None) == case.startswith("split")
    g_buf = np.empty_like(p0)
    for _ in range(12):
        g = rng.standard_normal(p0.shape).astype(dtype)
        g_buf[...] = g
        opts[0].step(ps[0], g_buf)
        opts[1].step(ps[1], g.copy())
        opts[2].step([ps[2]], [g], lr_mult=[1.0])
        assert all(np.array_equal(ps[0].view(np.uint8), q.view(np.uint8)) for q in ps[1:])
    assert opts[0].t == opts[1].t == opts[2].t == 12
    for name in opts[0]._needed_state():
        assert np.array_equal(opts[0]._state[0][name], opts[2]._state[0][name])


def _bound_adam(dtype=np.float32, n=64):
    opt = adamkit.Adam(lr=1e-2)
    p = np.linspace(-1, 1, n).astype(dtype)
    g = np.full(n, 0.5, dtype)
    for _ in range(3):                      # state made, arrays bound
        opt.step(p, g)
    return opt, p, g


def _snapshot(opt, p):
    return opt.t, p.copy(), [{k: v.copy() for k, v in st.items()} for st in opt._state]


def _unchanged(opt, p, snap):
    t, p0, st0 = snap
    return opt.t == t and np.array_equal(p, p0) and all(
        np.array_equal(st[k], st0[i][k]) for i, st in enumerate(opt._state) for k in st)


@pytest.mark.parametrize("bad, exc, match", [
    (lambda p, g: np.full(p.shape, 0.5, np.float64), TypeError, "dtype"),
    (lambda p, g: np.full(p.shape, 0.5, p.dtype.newbyteorder()), TypeError, "dtype"),
    (lambda p, g: np.full((8, p.size // 8), 0.5, p.dtype), ValueError, "shape"),
    (lambda p, g: np.full(2 * p.size, 0.5, p.dtype)[::2], ValueError, "contiguous"),
    (lambda p, g: p, ValueError, "share memory"),
    (lambda p, g: np.full(p.size + 1, 0.5, p.dtype), ValueError, "shape"),
    (lambda p, g: p.tolist(), TypeError, "ndarray"),
])
def test_bound_parameters_with_a_bad_new_gradient_write_nothing(bad, exc, match):
    opt, p, g = _bound_adam()
    snap = _snapshot(opt, p)
    with pytest.raises(exc, match=match):
        opt.step(p, bad(p, g))
    assert _unchanged(opt, p, snap)
    opt.step(p, g)                          # and the optimizer still works
    assert opt.t == snap[0] + 1


def test_bound_parameters_changed_in_place_are_rechecked():
    opt, p, g = _bound_adam()
    p.flags.writeable = False
    snap = _snapshot(opt, p)
    with pytest.raises(ValueError, match="read-only"):
        opt.step(p, g)
    assert _unchanged(opt, p, snap)
    p.flags.writeable = True
    g.flags.writeable = False               # a read-only gradient is fine
    opt.step(p, g)
    assert opt.t == snap[0] + 1
    with pytest.raises(ValueError, match="elements"):
        opt.step(np.zeros(p.size + 1, p.dtype), np.zeros(p.size + 1, p.dtype))


@pytest.mark.parametrize("preset", [None, "torch7.adam"])
def test_an_empty_list_after_state_exists_is_a_clear_error(preset):
    opt = adamkit.Adam(preset=preset) if preset else adamkit.Adam()
    p, g = np.ones(40, np.float32), np.ones(40, np.float32)
    opt.step(p, g)
    opt.step(p, g)
    with pytest.raises(ValueError, match="holds state for 1 arrays"):
        opt.step([], [])


def test_loading_state_drops_the_bound_buffers():
    """load_state_dict replaces the state buffers; a step on the arrays bound before it must
    use the loaded state (not the old buffers' pointers)."""
    opt, p, g = _bound_adam()
    saved, p_saved = opt.state_dict(), p.copy()
    for _ in range(4):
        opt.step(p, g)
    opt.load_state_dict(saved)
    p[...] = p_saved
    ref = adamkit.Adam(lr=1e-2)
    ref.load_state_dict(saved)
    q = p_saved.copy()
    for _ in range(2):
        opt.step(p, g)
        ref.step([q], [g], lr_mult=[1.0])
    assert np.array_equal(p, q) and opt.t == ref.t


def test_bound_lists_with_new_gradient_arrays(rng):
    """Lists of the same parameters with new gradient arrays stay on the bound path: every
    new gradient is checked (dtype, shape, contiguity, no memory shared with any
    parameter) before any is bound or anything is written; the bits are those of the
    checked path."""
    shapes = [(16,), (4, 8), (8,)]
    ps = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    qs = [p.copy() for p in ps]
    a, ref = adamkit.Adam(lr=1e-2), adamkit.Adam(lr=1e-2)
    for _ in range(6):
        gs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        a.step(ps, gs)                               # new arrays every step
        ref.step(qs, [g.copy() for g in gs], lr_mult=[1.0] * 3)
        assert all(np.array_equal(p, q) for p, q in zip(ps, qs))
    good = [np.full(s, 0.25, np.float32) for s in shapes]
    snap = (a.t, [p.copy() for p in ps])
    for bad, exc in [([good[0], good[1], ps[2]], ValueError),          # is a parameter
                     ([good[0], ps[0].reshape(4, 4)[:, :2].copy().reshape(-1)[:0], good[2]],
                      ValueError),                                      # wrong shape
                     ([good[0], good[1], good[2].astype(np.float64)], TypeError),
                     ([ps[1].reshape(-1)[:16], good[1], good[2]], ValueError)]:  # overlaps
        with pytest.raises(exc):
            a.step(ps, bad)
        assert a.t == snap[0] and all(np.array_equal(p, q) for p, q in zip(ps, snap[1]))
    shared = np.full(8, 0.5, np.float32)             # gradients may share memory
    a.step(ps, [good[0], good[1], shared])
    ref.step(qs, [good[0], good[1], shared], lr_mult=[1.0] * 3)
    assert all(np.array_equal(p, q) for p, q in zip(ps, qs))


def test_step_count_and_hyperparameters_are_checked_when_set():
    opt = adamkit.Adam()
    for bad in (-1, 1.5, True, 2**53 + 1, "3"):
        with pytest.raises(ValueError):
            opt.t = bad
    with pytest.raises(ValueError):
        opt.lr = -1.0
    with pytest.raises(TypeError):
        opt.lr = "0.1"
    with pytest.raises(ValueError):
        opt.n_threads = 0
    opt.t, opt.lr, opt.n_threads = 5, 0.5, 1
    assert (opt.t, opt.lr, opt.n_threads) == (5, 0.5, 1)
    hp = opt.hyperparameters
    hp["b1"] = 0.0                      # a copy: the optimizer's own are fixed
    assert opt.hyperparameters["b1"] == 0.9
