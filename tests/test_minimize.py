"""Tests of the scipy.optimize-style front end (``adamkit.minimize`` and the
method callables), in the style of scipy's ``test_optimize.py`` tests of
custom methods, plus convergence on a small published problem set."""
import inspect

import numpy as np
import pytest
import scipy.optimize as so
from numpy.testing import assert_allclose, assert_array_equal, assert_equal
from scipy.optimize import Bounds, OptimizeResult, OptimizeWarning, rosen, rosen_der

import adamkit
from adamkit import schedules

METHODS = ["adam", "amsgrad", "adamw", "adamax", "nadam", "rmsprop"]
RESULT_KEYS = {"x", "fun", "jac", "nit", "nfev", "njev", "status", "success", "message"}
MAXITER_MSG = "Maximum number of iterations has been exceeded."
CALLBACK_MSG = "`callback` raised `StopIteration`."

# a strictly convex quadratic with known minimizer
H = np.linspace(1.0, 3.0, 5)
C = np.array([0.5, -1.0, 2.0, 0.0, 1.5])


def quad(x):
    return 0.5 * np.sum(H * (x - C) ** 2)


def quad_grad(x):
    return H * (x - C)


def quad_fg(x):
    return quad(x), quad_grad(x)


def _same_result(a, b):
    assert set(a) == set(b)
    assert_array_equal(a.x, b.x)
    assert_array_equal(a.jac, b.jac)
    for k in ("fun", "nit", "nfev", "njev", "status", "success", "message"):
        assert_equal(a[k], b[k], err_msg=k)


# ---------------------------------------------------------------------------
# the result and the calling conventions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_result_attributes(method):
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, method=method,
                           options={"maxiter": 50})
    assert isinstance(res, OptimizeResult)
    assert RESULT_KEYS <= set(res)
    assert res.x.shape == (5,) and res.jac.shape == (5,)
    assert isinstance(res.fun, float)
    assert res.nit == 50 and res.status == 1 and res.success is False
    assert res.message == MAXITER_MSG
    # fun and jac are those of x
    assert_allclose(res.fun, quad(res.x), rtol=1e-14)
    assert_allclose(res.jac, quad_grad(res.x), rtol=1e-14)
    assert res.nfev == res.njev == 51            # x0 and one per iteration


@pytest.mark.parametrize("method", METHODS)
def test_method_is_registered_and_public(method):
    fn = getattr(adamkit, method)
    sig = inspect.signature(fn)
    # scipy's custom-method call: method(fun, x0, args=, jac=, hess=, hessp=,
    # bounds=, constraints=, callback=, **options)
    for p in ("fun", "x0", "args", "jac", "hess", "hessp", "bounds",
              "constraints", "callback", "lr", "maxiter", "gtol"):
        assert p in sig.parameters
    assert "Other Parameters" in fn.__doc__          # the options, numpydoc's section


def test_jac_true_callable_and_finite_differences():
    opts = {"lr": 0.05, "maxiter": 3000, "gtol": 1e-6}
    r_true = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options=opts)
    r_call = adamkit.minimize(quad, np.zeros(5), jac=quad_grad, options=opts)
    r_fd = adamkit.minimize(quad, np.zeros(5), options=opts)
    r_fd3 = adamkit.minimize(quad, np.zeros(5), jac="3-point", options=opts)
    r_cs = adamkit.minimize(quad, np.zeros(5), jac="cs", options=opts)
    for r in (r_true, r_call, r_fd, r_fd3, r_cs):
        assert r.success, r.message
        assert_allclose(r.x, C, atol=1e-5)
    _same_result(r_true, r_call)
    assert r_true.nfev == r_true.njev == r_true.nit + 1
    # finite differences: n extra evaluations ('2-point') or 2n ('3-point')
    assert r_fd.njev == r_fd.nit + 1
    assert r_fd.nfev == r_fd.njev * (1 + 5)
    assert r_fd3.nfev == r_fd3.njev * (1 + 10)
    assert r_cs.nfev == r_cs.njev * (1 + 5)


def test_args_passed():
    def f(x, a, b):
        return np.sum((x - a) ** 2) * b, 2 * b * (x - a)
    res = adamkit.minimize(f, np.zeros(3), args=(np.ones(3), 2.0), jac=True,
                           options={"lr": 0.05, "maxiter": 3000})
    assert_allclose(res.x, 1.0, atol=1e-5)
    # a non-tuple args is wrapped, like scipy
    res = adamkit.minimize(lambda x, a: (np.sum((x - a) ** 2), 2 * (x - a)),
                           np.zeros(2), args=3.0, jac=True,
                           options={"lr": 0.05, "maxiter": 3000})
    assert_allclose(res.x, 3.0, atol=1e-5)


def test_unknown_options_warn():
    with pytest.warns(OptimizeWarning, match="Unknown solver options: foo, bar") as rec:
        adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                         options={"maxiter": 2, "foo": 1, "bar": 2})
    assert rec[0].filename == __file__          # stacklevel points at user code
    with pytest.warns(OptimizeWarning, match="Unknown solver options: foo") as rec:
        so.minimize(quad_fg, np.zeros(5), jac=True, method=adamkit.rmsprop,
                    options={"maxiter": 2, "foo": 1})
    assert rec[0].filename == __file__
    with pytest.warns(OptimizeWarning) as rec:
        adamkit.adam(quad_fg, np.zeros(5), jac=True, maxiter=2, foo=1)
    assert rec[0].filename == __file__


def test_unknown_method():
    with pytest.raises(ValueError, match="Unknown solver"):
        adamkit.minimize(quad, np.zeros(5), method="sgd-with-love")


def test_hess_and_constraints_warn():
    with pytest.warns(RuntimeWarning, match="Hessian"):
        so.minimize(quad_fg, np.zeros(5), jac=True, method=adamkit.adam,
                    hess=lambda x: np.diag(H), options={"maxiter": 2})
    with pytest.warns(RuntimeWarning, match="constraints"):
        so.minimize(quad_fg, np.zeros(5), jac=True, method=adamkit.adam,
                    constraints={"type": "eq", "fun": lambda x: x[0]},
                    options={"maxiter": 2})


@pytest.mark.parametrize("x0", [[0, 0], (0, 0), np.array([0, 0]),
                                np.array([0, 0], dtype=np.int32)])
def test_integer_and_list_x0_become_float64(x0):
    res = adamkit.minimize(lambda x: (np.sum((x - 1) ** 2), 2 * (x - 1)), x0,
                           jac=True, options={"maxiter": 3})
    assert res.x.dtype == np.float64 and res.jac.dtype == np.float64


def test_x0_must_be_1d():
    with pytest.raises(ValueError, match="one dimension"):
        adamkit.minimize(quad, np.zeros((2, 2)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("jac", [True, "fd"])
def test_float32_stays_float32(method, jac):
    seen = []

    def f(x):
        seen.append(x.dtype)
        x64 = x.astype(np.float64)
        return quad(x64), quad_grad(x64)             # float64 gradient: cast once
    x0 = np.zeros(5, dtype=np.float32)
    if jac is True:
        res = adamkit.minimize(f, x0, jac=True, method=method, options={"maxiter": 20})
    else:
        res = adamkit.minimize(lambda x: f(x)[0], x0, method=method,
                               options={"maxiter": 20})
    assert res.x.dtype == np.float32 and res.jac.dtype == np.float32
    assert set(seen) == {np.dtype(np.float32)}
    assert x0.tolist() == [0.0] * 5                  # x0 not modified


def test_float32_converges():
    x0 = np.zeros(5, dtype=np.float32)
    res = adamkit.minimize(lambda x: (np.float32(quad(x)), quad_grad(x).astype(np.float32)),
                           x0, jac=True, options={"lr": 0.05, "maxiter": 3000})
    assert res.x.dtype == np.float32
    assert_allclose(res.x, C, atol=1e-4)


def test_fun_sees_readonly_iterate_with_copy_x_false():
    # copy_x=False: the zero-copy read-only view of the iterate (the default is a fresh
    # copy, see test_minimize_scipy.py::test_x_overwritten_user_function)
    seen = []

    def f(x):
        with pytest.raises(ValueError):
            x[0] = 1.0
        seen.append(x)
        return quad_fg(x)
    res = adamkit.minimize(f, np.zeros(5), jac=True, options={"maxiter": 2,
                                                             "copy_x": False})
    assert all(np.shares_memory(x, res.x) for x in seen)     # views of the iterate


def test_gradient_aliasing_the_iterate_is_safe():
    # fun returns (a view of) its argument as gradient: f = |x|^2 / 2
    res = adamkit.minimize(lambda x: (0.5 * x @ x, x), np.ones(4), jac=True,
                           options={"lr": 0.05, "maxiter": 3000})
    assert_allclose(res.x, 0.0, atol=1e-5)
    assert not np.shares_memory(res.x, res.jac)


def test_gradient_shape_checked():
    with pytest.raises(ValueError, match="elements"):
        adamkit.minimize(lambda x: (0.0, np.ones(3)), np.zeros(5), jac=True)


def test_fun_must_return_scalar():
    with pytest.raises(ValueError, match="scalar"):
        adamkit.minimize(lambda x: (x, x), np.zeros(5), jac=True)


# ---------------------------------------------------------------------------
# callbacks and stopping
# ---------------------------------------------------------------------------

def test_callback_intermediate_result():
    seen = []

    def callback(intermediate_result):
        assert isinstance(intermediate_result, OptimizeResult)
        seen.append(intermediate_result)
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, callback=callback,
                           options={"maxiter": 10})
    assert len(seen) == res.nit == 10
    assert [r.nit for r in seen] == list(range(1, 11))
    assert_array_equal(seen[-1].x, res.x)
    assert seen[-1].fun == res.fun
    for r in seen:
        assert_allclose(r.fun, quad(r.x), rtol=1e-14)
    assert not np.shares_memory(seen[-1].x, res.x)   # a copy, not the live iterate
    assert not np.array_equal(seen[0].x, seen[-1].x)


def test_callback_legacy_xk():
    xs = []
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, callback=xs.append,
                           options={"maxiter": 10, "return_all": True})
    assert len(xs) == 10
    assert all(isinstance(x, np.ndarray) for x in xs)
    assert_array_equal(xs[-1], res.x)
    assert_array_equal(np.array(xs), np.array(res.allvecs[1:]))
    assert len({x.tobytes() for x in xs}) == 10     # copies, not one live array


@pytest.mark.parametrize("form", ["intermediate_result", "xk"])
@pytest.mark.parametrize("entry", ["adamkit", "scipy"])
def test_callback_stop_iteration(form, entry):
    count = [0]
    if form == "xk":
        def callback(xk):
            count[0] += 1
            if count[0] == 7:
                raise StopIteration
    else:
        def callback(intermediate_result):
            count[0] += 1
            if intermediate_result.nit == 7:
                raise StopIteration
    if entry == "adamkit":
        res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, callback=callback)
    else:
        res = so.minimize(quad_fg, np.zeros(5), jac=True, callback=callback,
                          method=adamkit.adam)
    assert res.status == 99
    assert res.message == CALLBACK_MSG
    assert res.success is False
    assert res.nit == 7 and count[0] == 7
    assert_allclose(res.fun, quad(res.x), rtol=1e-14)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("maxiter", [0, 1, 17])
def test_maxiter(method, maxiter):
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, method=method,
                           options={"maxiter": maxiter})
    assert res.nit == maxiter
    assert res.status == 1 and not res.success
    assert res.message == MAXITER_MSG
    if maxiter == 0:
        assert_array_equal(res.x, np.zeros(5))


def test_gtol_success():
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                           options={"lr": 0.05, "gtol": 1e-4, "maxiter": 10000})
    assert res.success and res.status == 0
    assert "gtol" in res.message
    assert np.max(np.abs(res.jac)) <= 1e-4
    assert res.nit < 10000
    # already converged at x0: no iteration
    res = adamkit.minimize(quad_fg, C.copy(), jac=True)
    assert res.success and res.nit == 0
    # the other norm
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                           options={"lr": 0.05, "gtol": 1e-4, "norm": 2,
                                    "maxiter": 10000})
    assert res.success and np.linalg.norm(res.jac) <= 1e-4


def test_tol_sets_gtol_like_scipy():
    a = adamkit.minimize(quad_fg, np.zeros(5), jac=True, tol=1e-3,
                         options={"lr": 0.05, "maxiter": 10000})
    b = so.minimize(quad_fg, np.zeros(5), jac=True, tol=1e-3, method=adamkit.adam,
                    options={"lr": 0.05, "maxiter": 10000})
    assert a.success and np.max(np.abs(a.jac)) <= 1e-3
    _same_result(a, b)


def test_ftol_and_xtol():
    opts = {"lr": 0.05, "maxiter": 10000, "gtol": 0.0}
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={**opts, "ftol": 1e-10})
    assert res.success and "ftol" in res.message and res.nit < 10000
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={**opts, "xtol": 1e-7})
    assert res.success and "xtol" in res.message and res.nit < 10000
    # patience: more iterations needed before declaring convergence
    r1 = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={**opts, "ftol": 1e-6})
    r5 = adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                          options={**opts, "ftol": 1e-6, "patience": 5})
    assert r5.nit >= r1.nit + 4


def test_nan_stops():
    res = adamkit.minimize(lambda x: (np.nan if x[0] > 0.005 else 0.0, -np.ones(2)),
                           np.zeros(2), jac=True, options={"lr": 0.01})
    assert res.status == 3 and not res.success
    assert res.message == "NaN result encountered."
    assert res.nit == 1


def test_disp(capsys):
    adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"maxiter": 4})
    assert capsys.readouterr().out == ""
    # a failure is an OptimizeWarning (scipy gh-1953), the summary is printed
    with pytest.warns(OptimizeWarning, match=MAXITER_MSG):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"maxiter": 4, "disp": True})
    out = capsys.readouterr().out
    assert MAXITER_MSG not in out
    for line in ("Current function value:", "Iterations: 4", "Function evaluations: 5",
                 "Gradient evaluations: 5"):
        assert line in out
    with pytest.warns(OptimizeWarning, match=MAXITER_MSG):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"maxiter": 4, "disp": 2})
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["nit", "fun", "|grad|"]
    assert [ln.split()[0] for ln in out[1:3]] == ["2", "4"]


# ---------------------------------------------------------------------------
# bounds
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("bounds", [
    [(None, 0.0), (-0.5, None), (None, None), (0.1, 0.2), (-1, 1)],
    Bounds([-np.inf, -0.5, -np.inf, 0.1, -1], [0.0, np.inf, np.inf, 0.2, 1]),
])
@pytest.mark.parametrize("method", METHODS)
def test_bounds_respected(bounds, method):
    lb = np.array([-np.inf, -0.5, -np.inf, 0.1, -1])
    ub = np.array([0.0, np.inf, np.inf, 0.2, 1])
    xs = []
    opts = {"lr": 0.05, "maxiter": 2000, "weight_decay": 0.0}
    res = adamkit.minimize(quad_fg, np.full(5, 3.0), jac=True, method=method,
                           bounds=bounds, callback=xs.append, options=opts)
    xs = np.array(xs)
    assert np.all(xs >= lb) and np.all(xs <= ub)
    # the constrained minimizer of a separable quadratic is the clipped C
    atol = 1e-2 if method == "adamax" else 2e-4
    assert_allclose(res.x, np.clip(C, lb, ub), atol=atol)


def test_bounds_float32_rounded_inwards():
    res = adamkit.minimize(lambda x: (float(np.sum(x)), np.ones(2, np.float32)),
                           np.array([1.0, 1.0], np.float32), jac=True,
                           bounds=[(0.1, None), (0.3, None)],
                           options={"lr": 0.1, "maxiter": 100})
    assert res.x.dtype == np.float32
    assert res.x[0] >= 0.1 and res.x[1] >= 0.3      # compared in float64
    assert_allclose(res.x, [0.1, 0.3], rtol=1e-6)


def test_bounds_projection_of_x0_and_errors():
    res = adamkit.minimize(quad_fg, np.full(5, 5.0), jac=True,
                           bounds=[(None, 1.0)] * 5, options={"maxiter": 0})
    assert_array_equal(res.x, 1.0)
    with pytest.raises(ValueError, match="upper bound"):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, bounds=[(1, 0)] * 5)
    with pytest.raises(ValueError, match="number of bounds"):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, bounds=[(1, 2)] * 3)


# ---------------------------------------------------------------------------
# the scipy plug-in path
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("jac", ["true", "callable", "fd"])
def test_scipy_custom_method_identical(method, jac):
    kw = {"true": dict(fun=quad_fg, jac=True), "callable": dict(fun=quad, jac=quad_grad),
          "fd": dict(fun=quad)}[jac]
    opts = {"lr": 0.02, "maxiter": 300}
    bounds = [(None, 0.2)] + [(-2, 2)] * 4
    a = adamkit.minimize(x0=np.zeros(5), method=method, options=opts, bounds=bounds, **kw)
    b = so.minimize(x0=np.zeros(5), method=getattr(adamkit, method), options=opts,
                    bounds=bounds, **kw)
    _same_result(a, b)
    c = getattr(adamkit, method)(x0=np.zeros(5), bounds=bounds, **kw, **opts)
    _same_result(a, c)


def test_scipy_custom_method_float32_and_callable_method():
    x0 = np.zeros(5, dtype=np.float32)
    a = adamkit.minimize(quad_fg, x0, jac=True, method="nadam", options={"maxiter": 50})
    b = so.minimize(quad_fg, x0, jac=True, method=adamkit.nadam, options={"maxiter": 50})
    assert b.x.dtype == np.float32
    _same_result(a, b)
    # adamkit.minimize also takes a callable method, like scipy
    c = adamkit.minimize(quad_fg, x0, jac=True, method=adamkit.nadam,
                         options={"maxiter": 50})
    _same_result(a, c)


# ---------------------------------------------------------------------------
# options passed to the optimizer objects
# ---------------------------------------------------------------------------

class _Recorder:
    """Stands in for an optimizer class; records the constructor's kwargs."""

    calls = []

    def __init__(self, **kw):
        type(self).calls.append(kw)
        self.t = 0

    def step(self, params, grads, lr_mult=None):
        self.t += 1


@pytest.mark.parametrize("method, cls, fixed", [
    ("adam", "Adam", {}), ("amsgrad", "Adam", {"amsgrad": True}),
    ("adamw", "AdamW", {}), ("adamax", "AdaMax", {}),
    ("nadam", "Adam", {"nesterov": True}), ("rmsprop", "RMSProp", {}),
])
def test_optimizer_construction(monkeypatch, method, cls, fixed):
    monkeypatch.setattr(adamkit, cls, _Recorder)
    _Recorder.calls = []
    adamkit.minimize(quad_fg, np.zeros(5), jac=True, method=method,
                     options={"maxiter": 1})
    # minimize's own lr default (see "Defaults"); the rest left to the object
    assert _Recorder.calls[-1] == {**fixed, "lr": 1e-2}
    sched = schedules.constant(0.1)
    adamkit.minimize(quad_fg, np.zeros(5), jac=True, method=method,
                     options={"maxiter": 1, "lr": sched, "eps": 1e-3,
                              "preset": "someframework", "n_threads": 2,
                              "preset_options": {"epsilon": 1e-7}})
    assert _Recorder.calls[-1] == {**fixed, "lr": sched, "eps": 1e-3, "n_threads": 2,
                                   "preset": "someframework", "epsilon": 1e-7}
    with pytest.raises(ValueError, match="preset_options"):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, method=method,
                         options={"preset_options": {"epsilon": 1e-7}})


def test_learning_rate_schedule_in_minimize():
    ts = []

    def lr(t):
        ts.append(t)
        return 0.1 if t < 5 else 0.0            # frozen after 5 steps
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                           options={"lr": lr, "maxiter": 12,
                                    "return_all": True})
    assert ts == list(range(12))
    assert_array_equal(res.allvecs[5], res.x)
    assert not np.array_equal(res.allvecs[4], res.x)
    # a schedules object, composed
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={
        "lr": schedules.warmup(50) >> schedules.cosine(0.1, 2000),
        "maxiter": 2050, "gtol": 0})
    assert_allclose(res.x, C, atol=1e-6)


def test_groups_and_lr_mult():
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={
        "groups": [2, 3], "lr_mult": [1.0, 0.0], "maxiter": 50})
    assert_array_equal(res.x[2:], 0.0)
    assert np.all(res.x[:2] != 0.0)
    # multiplier 2 with lr 0.05 == lr 0.1 (Adam's first steps are lr-sized)
    a = adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                         options={"lr_mult": 2.0, "lr": 0.05, "maxiter": 30})
    b = adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                         options={"lr": 0.1, "maxiter": 30})
    assert_allclose(a.x, b.x, rtol=1e-12)
    with pytest.raises(ValueError, match="groups"):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"groups": [2, 2]})


# ---------------------------------------------------------------------------
# stochastic objectives
# ---------------------------------------------------------------------------

def test_batches():
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((8, 5)) + C for _ in range(30)]
    seen = []

    def f(x, batch, scale):
        seen.append(batch)
        r = x - batch
        return scale * 0.5 * np.mean(np.sum(r * r, axis=1)), scale * r.mean(axis=0)
    res = adamkit.minimize(f, np.zeros(5), args=(2.0,), jac=True,
                           options={"batches": data, "maxiter": 1000})
    assert res.status == 2 and not res.success
    assert res.message == "The iterable of batches is exhausted."
    assert res.nit == 29 and res.nfev == 30
    assert all(s is d for s, d in zip(seen, data))
    # maxiter still applies; a generator works
    res = adamkit.minimize(f, np.zeros(5), args=(1.0,), jac=True,
                           options={"batches": iter(data), "maxiter": 10})
    assert res.status == 1 and res.nit == 10
    with pytest.raises(ValueError, match="empty"):
        adamkit.minimize(f, np.zeros(5), args=(1.0,), jac=True, options={"batches": []})


def test_seed_reproducible():
    def noisy(x, rng):
        return quad(x), quad_grad(x) + 0.5 * rng.standard_normal(x.size)
    opts = {"lr": 0.05, "maxiter": 200}
    a = adamkit.minimize(noisy, np.zeros(5), jac=True, options={**opts, "seed": 42})
    b = adamkit.minimize(noisy, np.zeros(5), jac=True, options={**opts, "seed": 42})
    c = adamkit.minimize(noisy, np.zeros(5), jac=True, options={**opts, "seed": 43})
    _same_result(a, b)
    assert not np.array_equal(a.x, c.x)
    # same through scipy
    d = so.minimize(noisy, np.zeros(5), jac=True, method=adamkit.adam,
                    options={**opts, "seed": 42})
    _same_result(a, d)
    # a Generator is accepted as seed
    e = adamkit.minimize(noisy, np.zeros(5), jac=True,
                         options={**opts, "seed": np.random.default_rng(42)})
    _same_result(a, e)
    with pytest.warns(OptimizeWarning, match="seed"):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"seed": 1, "maxiter": 2})


def test_stochastic_one_evaluation_per_iteration():
    calls = [0]

    def f(x, rng):
        calls[0] += 1
        return quad(x), quad_grad(x) + 0.1 * rng.standard_normal(x.size)
    res = adamkit.minimize(f, np.zeros(5), jac=True, options={"maxiter": 100, "seed": 0})
    assert calls[0] == res.nfev == res.njev == res.nit + 1 == 101


# ---------------------------------------------------------------------------
# convergence on a published problem set
# ---------------------------------------------------------------------------

def _decay(lr, steps=2000):
    return schedules.exponential_decay(lr, steps, 0.5)


@pytest.mark.parametrize("method", ["adam", "nadam", "adamax"])
def test_rosenbrock_2d(method):
    res = adamkit.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method=method,
                           options={"lr": _decay(0.02), "maxiter": 20000,
                                    "gtol": 1e-6})
    assert res.success, res.message
    assert_allclose(res.x, [1.0, 1.0], atol=1e-5)
    assert res.fun < 1e-10


@pytest.mark.parametrize("method, lr, decay_steps, maxiter, atol", [
    ("amsgrad", 0.05, 2000, 10000, 2e-3), ("rmsprop", 0.01, 1000, 8000, 5e-4)])
def test_rosenbrock_2d_slow_methods(method, lr, decay_steps, maxiter, atol):
    # AMSGrad's monotone second moment and RMSProp's lack of momentum make
    # slower progress down the valley: fixed budget, looser tolerance.
    res = adamkit.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method=method,
                           options={"lr": _decay(lr, decay_steps),
                                    "maxiter": maxiter, "gtol": 1e-6})
    assert_allclose(res.x, [1.0, 1.0], atol=atol)


def test_rosenbrock_100d():
    x0 = np.tile([-1.2, 1.0], 50)
    res = adamkit.minimize(rosen, x0, jac=rosen_der, method="adam",
                           options={"lr": _decay(0.02, 3000), "maxiter": 30000,
                                    "gtol": 1e-6})
    assert res.success, res.message
    assert_allclose(res.x, np.ones(100), atol=1e-5)
    assert res.fun < 1e-10


@pytest.mark.parametrize("method, lr", [("adam", 0.05), ("amsgrad", 0.05),
                                        ("rmsprop", 0.01), ("nadam", 0.05)])
def test_noisy_quadratic(method, lr):
    h = np.linspace(0.5, 5, 20)
    c = np.linspace(-1, 1, 20)

    def noisy(x, rng):
        return 0.5 * np.sum(h * (x - c) ** 2), h * (x - c) + 0.1 * rng.standard_normal(20)
    res = adamkit.minimize(noisy, np.zeros(20), jac=True, method=method,
                           options={"lr": _decay(lr, 500), "maxiter": 4000,
                                    "seed": 1, "gtol": 0})
    assert res.nit == 4000
    assert_allclose(res.x, c, atol=0.03)


@pytest.fixture(scope="module")
def breast_cancer():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    X = np.hstack([X, np.ones((X.shape[0], 1))])      # intercept
    lam = 1e-2

    def loss(w):
        """L2-regularized mean logistic loss and its gradient (strictly convex)."""
        z = X @ w
        f = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * (w[:-1] @ w[:-1])
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        g = X.T @ (p - y) / len(y)
        g[:-1] += lam * w[:-1]
        return f, g
    ref = so.minimize(loss, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B",
                      options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000})
    assert ref.success
    return loss, ref


@pytest.mark.parametrize("method, lr, maxiter, ftol_reached, xtol_reached", [
    ("adam", 0.05, 3000, 1e-10, 1e-4),
    ("amsgrad", 0.05, 3000, 1e-10, 1e-4),
    ("nadam", 0.05, 3000, 1e-10, 1e-4),
    ("rmsprop", 0.01, 5000, 1e-9, 1e-4),
    ("adamax", 0.05, 3000, 1e-5, 1e-2),
])
def test_logistic_regression_breast_cancer(breast_cancer, method, lr, maxiter,
                                           ftol_reached, xtol_reached):
    loss, ref = breast_cancer
    res = adamkit.minimize(loss, np.zeros(ref.x.size), jac=True, method=method,
                           options={"lr": _decay(lr, 500), "maxiter": maxiter,
                                    "gtol": 1e-7})
    assert res.fun - ref.fun < ftol_reached
    assert res.fun - ref.fun > -1e-12                  # L-BFGS-B found the optimum
    assert np.max(np.abs(res.x - ref.x)) < xtol_reached


def test_gradient_passed_without_copies(monkeypatch):
    """The loop hands fun's gradient to the kernel as is when it can, and
    otherwise reuses one preallocated buffer (no per-iteration allocation)."""
    seen = []

    class Rec(_Recorder):
        def step(self, params, grads, lr_mult=None):
            seen.append((params, grads))
            self.t += 1
    monkeypatch.setattr(adamkit, "Adam", Rec)
    returned = []

    def fg(x):
        g = quad_grad(x.astype(np.float64))
        returned.append(g)
        return quad(x), g
    res = adamkit.minimize(fg, np.zeros(5), jac=True, options={"maxiter": 5})
    assert len(seen) == 5
    assert all(g is r for (_, g), r in zip(seen, returned))   # the same objects
    assert all(p is seen[0][0] for p, _ in seen)         # one iterate buffer, in place
    assert res.x is seen[0][0]
    seen.clear()
    adamkit.minimize(fg, np.zeros(5, np.float32), jac=True, options={"maxiter": 5})
    bufs = {id(g) for _, g in seen}
    assert len(bufs) == 1                                 # float64 -> one float32 buffer
    assert seen[0][1].dtype == np.float32
