"""scipy's contract for ``adamkit.minimize`` and the method callables (issue 14 item 1,
issue 13 finding 8), and the checks of the options (issue 11 item 5): each test fails on
the front end before that rework."""
import inspect
import pathlib
import warnings

import numpy as np
import pytest
import scipy.optimize as so
from numpy.testing import assert_allclose, assert_array_equal, assert_equal
from scipy.optimize import Bounds, OptimizeWarning

import adamkit

METHODS = ["adam", "amsgrad", "adamw", "adamax", "nadam", "rmsprop"]
H = np.linspace(1.0, 3.0, 5)
C = np.array([0.5, -1.0, 2.0, 0.0, 1.5])


def quad(x):
    return 0.5 * np.sum(H * (x - C) ** 2)


def quad_grad(x):
    return H * (x - C)


def quad_fg(x):
    return quad(x), quad_grad(x)


def _same(a, b):
    assert_array_equal(a.x, b.x)
    assert_array_equal(a.jac, b.jac)
    for k in ("fun", "nit", "nfev", "njev", "status", "message"):
        assert_equal(a[k], b[k], err_msg=k)


# ---------------------------------------------------------------------------------------
# bounds: projected gradient, fixed variables, float32
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("entry", ["adamkit", "scipy"])
@pytest.mark.parametrize("bounds", [[(-1, 1)], Bounds(-1, 1)])
def test_minimizer_on_the_boundary_is_a_success(entry, bounds):
    # (x-2)^2 on [-1, 1]: the gradient at x = 1 is -2, pointing out of the active bound;
    # the projected gradient is 0 (L-BFGS-B's test), so the run stops there with success
    def f(x):
        return float((x[0] - 2) ** 2), 2 * (x - 2)
    minimize = adamkit.minimize if entry == "adamkit" else so.minimize
    res = minimize(f, [0.0], jac=True, bounds=bounds, method=adamkit.adam)
    assert res.success, res.message
    assert_array_equal(res.x, [1.0])
    assert res.nit < 150                     # about 1/lr steps to travel from 0 to 1
    assert_allclose(res.jac, [-2.0])         # the gradient itself is reported
    # the lower bound and a mix of active and inactive components
    res = adamkit.minimize(lambda x: (float(np.sum((x - [-2, 0.3]) ** 2)),
                                      2 * (x - [-2, 0.3])),
                           [0.0, 0.0], jac=True, bounds=[(-1, 1), (-1, 1)],
                           options={"gtol": 1e-6})
    assert res.success and res.x[0] == -1.0
    assert_allclose(res.x[1], 0.3, atol=1e-6)


def test_projected_gradient_caps_at_the_distance_to_the_bound():
    # inside the box but close to the bound: the step towards it is at most the distance
    # (a nonzero gradient that would push past ub by less than gtol is not stationary)
    res = adamkit.minimize(lambda x: (float(-x[0]), -np.ones(1)), [0.0], jac=True,
                           bounds=[(None, 1.0)], options={"maxiter": 0})
    assert not res.success                   # x = 0, 1 away from ub: |P(g)| = 1
    res = adamkit.minimize(lambda x: (float(-x[0]), -np.ones(1)), [1.0 - 1e-7], jac=True,
                           bounds=[(None, 1.0)], options={"maxiter": 0})
    assert res.success                       # |P(g)| = 1e-7 <= gtol


@pytest.mark.parametrize("jac", [None, "3-point", "cs", "callable", True])
@pytest.mark.parametrize("bound_type", ["pairs", "Bounds"])
def test_fixed_variables_are_removed(jac, bound_type):
    # scipy's test_equal_bounds problem: x[1] = 2 and x[3] = -1 fixed
    lb = np.array([0, 2, -1, -1.0])
    ub = np.array([3, 2, 2, -1.0])
    fixed = lb == ub
    seen = []

    def fun(x):
        seen.append(np.copy(x))
        return so.rosen(x)
    kw = {"callable": dict(fun=fun, jac=so.rosen_der),
          True: dict(fun=lambda x: (fun(x), so.rosen_der(x)), jac=True)}.get(
        jac, dict(fun=fun, jac=jac))
    bounds = list(zip(lb, ub)) if bound_type == "pairs" else Bounds(lb, ub)
    res = adamkit.minimize(x0=np.full(4, 0.5), bounds=bounds, **kw,
                           options={"lr": 0.02, "maxiter": 20000, "gtol": 1e-6})
    assert res.success, res.message          # no NaN from a zero-width difference
    assert_array_equal(np.array(seen)[:, fixed], np.tile(lb[fixed], (len(seen), 1)))
    ref = so.minimize(so.rosen, np.full(4, 0.5), jac=so.rosen_der, bounds=bounds,
                      method="L-BFGS-B")
    assert_allclose(res.x, ref.x, rtol=1e-4)
    assert_allclose(res.fun, ref.fun, rtol=1e-5)
    if jac in ("callable", True):         # the true gradient, as L-BFGS-B reports it
        assert_allclose(res.jac[fixed], ref.jac[fixed], rtol=1e-6)
    else:                                    # not differentiated: NaN, as scipy
        assert np.all(np.isnan(res.jac[fixed])) and np.all(np.isfinite(res.jac[~fixed]))
        per_gradient = {None: 2, "cs": 2, "3-point": 4}[jac]     # 2 free variables
        assert res.nfev == res.njev * (1 + per_gradient)


@pytest.mark.parametrize("jac", [None, True])
def test_all_variables_fixed(jac):
    calls = []

    def f(x, p1=1):
        calls.append(x)
        return np.linalg.norm(x) + p1
    fun = f if jac is None else (lambda x, p1=1: (f(x, p1), x / np.linalg.norm(x)))
    res = adamkit.minimize(fun, (1.0, 3.0), jac=jac, bounds=[(1, 1), (2, 2)], args=(2,))
    assert res.success and res.status == 0 and res.nit == 0
    assert res.message == "All independent variables were fixed by bounds."
    assert res.nfev == 1 and len(calls) == 1
    assert_allclose(res.fun, np.sqrt(5) + 2)
    assert_array_equal(res.x, [1.0, 2.0])
    assert res.x.flags.writeable
    assert res.njev == (0 if jac is None else 1)


def test_all_variables_fixed_with_batches_and_seed():
    seen = []

    def f(x, batch, rng):
        seen.append((batch, rng))
        return float(np.sum(x)) + batch
    res = adamkit.minimize(f, [0.0, 0.0], bounds=[(1, 1), (2, 2)],
                           options={"batches": iter([10.0, 20.0]), "seed": 1})
    assert res.success and res.fun == 13.0 and res.nfev == 1
    assert seen[0][0] == 10.0 and isinstance(seen[0][1], np.random.Generator)


def test_float32_bounds_holding_no_float32_value_are_refused():
    # issue 13 finding 8: (0.1, 0.1000000001) holds no float32; float32(0.1) > 0.1
    x0 = np.array([0.1], np.float32)
    for bounds in ([(0.1, 0.1000000001)], [(0.1, 0.1)], Bounds([0.1], [0.1000000001])):
        with pytest.raises(ValueError, match=r"x\[0\].*no finite float32 value"):
            adamkit.minimize(lambda x: float(x[0]), x0, bounds=bounds)
    # the same bounds are fine in float64 (0.1 is then a float64 value)
    res = adamkit.minimize(lambda x: float(x[0]), [0.2], bounds=[(0.1, 0.1000000001)])
    assert 0.1 <= res.x[0] <= 0.1000000001


@pytest.mark.parametrize("bounds", [[(np.nan, 1.0)], [(0.0, np.nan)], Bounds(np.nan, 1)])
def test_nan_bounds_are_refused(bounds):
    with pytest.raises(ValueError, match="NaN"):
        adamkit.minimize(quad, np.zeros(1), bounds=bounds)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_result_never_outside_the_bounds(dtype):
    rng = np.random.default_rng(5)
    lo = rng.uniform(-1, 1, 50) * 10.0 ** rng.integers(-9, 2, 50)
    hi = lo + rng.uniform(0, 1, 50) * 10.0 ** rng.integers(-9, 0, 50)
    lo_in = lo.astype(dtype)                             # lo rounded up to the dtype
    lo_in = np.where(lo_in < lo, np.nextafter(lo_in, dtype(np.inf)), lo_in)
    keep = lo_in.astype(float) <= hi                     # a representable point inside
    lo, hi = lo[keep], hi[keep]
    target = rng.uniform(-20, 20, lo.size)               # mostly outside the box
    xs = []
    res = adamkit.minimize(lambda x: (float(np.sum((x - target) ** 2)),
                                      (2 * (x - target)).astype(dtype)),
                           np.zeros(lo.size, dtype), jac=True, bounds=list(zip(lo, hi)),
                           callback=xs.append, options={"lr": 0.5, "maxiter": 100})
    assert res.x.dtype == dtype
    for x in xs + [res.x]:                               # compared in float64
        assert np.all(x.astype(float) >= lo) and np.all(x.astype(float) <= hi)


def _fd_problem(dtype):
    def f(x):
        return np.sum(np.sin(x) * x ** 2 + np.cos(3 * x))      # complex-safe for 'cs'
    rng = np.random.default_rng(2)
    x0 = rng.uniform(-3, 3, 8).astype(dtype)
    x0[0] = 0.0
    lb = np.full(8, -np.inf)
    ub = np.full(8, np.inf)
    lb[1], ub[2] = x0[1], x0[2]                 # at a bound: one-sided
    lb[3], ub[4] = x0[3] - 1e-9, x0[4] + 1e-9   # next to a bound: shorter steps
    lb[5], ub[5] = x0[5] - 1e-9, x0[5] + 1e-6   # 3-point's central/forward choice
    return f, x0, lb, ub


@pytest.mark.parametrize("rel_step", [None, 1e-6])
@pytest.mark.parametrize("scheme", ["2-point", "3-point", "cs"])
def test_finite_differences_are_scipys(scheme, rel_step):
    # the semantics documented for scipy's approx_derivative, here compared with it bit
    # for bit (the test's oracle only: adamkit does not import scipy's private modules)
    numdiff = pytest.importorskip("scipy.optimize._numdiff")
    f, x0, lb, ub = _fd_problem(np.float64)
    for bounds in (None, (lb, ub)):
        res = adamkit.minimize(f, x0, jac=scheme, options={
            "maxiter": 0, "finite_diff_rel_step": rel_step},
            bounds=None if bounds is None else Bounds(lb, ub))
        ref = numdiff.approx_derivative(f, x0, method=scheme, rel_step=rel_step,
                                        f0=f(x0), bounds=bounds or (-np.inf, np.inf))
        assert_array_equal(res.jac, ref)
        assert res.nfev == 1 + (16 if scheme == "3-point" else 8)


# ---------------------------------------------------------------------------------------
# calls of fun: copies, rng, counters
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("jac", [True, "callable", None])
def test_fun_and_jac_get_fresh_copies(jac):
    # scipy gh-13740: a fun that overwrites its argument must not change the run
    def clobber(x):
        x[...] = 1e6
    if jac is True:
        def f(x):
            out = quad_fg(x)
            clobber(x)
            return out
        kw = dict(fun=f, jac=True)
        ref = dict(fun=quad_fg, jac=True)
    elif jac == "callable":
        def f(x):
            out = quad(x)
            clobber(x)
            return out

        def g(x):
            out = quad_grad(x)
            clobber(x)
            return out
        kw = dict(fun=f, jac=g)
        ref = dict(fun=quad, jac=quad_grad)
    else:
        def f(x):
            out = quad(x)
            clobber(x)
            return out
        kw = dict(fun=f)
        ref = dict(fun=quad)

    def cb(intermediate_result):
        clobber(intermediate_result.x)
        clobber(intermediate_result.jac)
    opts = {"maxiter": 50}
    _same(adamkit.minimize(x0=np.zeros(5), callback=cb, options=opts, **kw),
          adamkit.minimize(x0=np.zeros(5), options=opts, **ref))


def test_copy_x_false_is_zero_copy_and_read_only():
    seen = []

    def f(x):
        seen.append(x)
        assert not x.flags.writeable
        return quad(x)

    def g(x):
        seen.append(x)
        assert not x.flags.writeable
        return quad_grad(x)

    def cb(xk):
        seen.append(xk)
        assert not xk.flags.writeable
    res = adamkit.minimize(f, np.zeros(5), jac=g, callback=cb,
                           options={"maxiter": 5, "copy_x": False})
    assert len(seen) == 6 + 6 + 5
    assert all(np.shares_memory(x, res.x) for x in seen)
    _same(res, adamkit.minimize(quad, np.zeros(5), jac=quad_grad, options={"maxiter": 5}))


def test_no_rng_unless_a_seed_is_given():
    got = []

    def fun(x, rng=None):
        got.append(rng)
        return quad_fg(x)
    adamkit.minimize(fun, np.zeros(5), jac=True, options={"maxiter": 2})
    assert got == [None, None, None]
    so.minimize(fun, np.zeros(5), jac=True, method=adamkit.adam, options={"maxiter": 2})
    assert set(got) == {None}
    adamkit.minimize(fun, np.zeros(5), jac=True, options={"maxiter": 2, "seed": 3})
    assert all(isinstance(r, np.random.Generator) for r in got[-3:])
    assert len({id(r) for r in got[-3:]}) == 1          # one generator for the run


def test_keep_best():
    # a gradient pointing uphill: Adam follows it; keep_best returns the best point seen
    def f(x):
        return float((x[0] - 1) ** 2), -2 * (x - 1) - 2
    res = adamkit.minimize(f, [2.0], jac=True, options={"maxiter": 20})
    assert res.fun > 1.0
    best = adamkit.minimize(f, [2.0], jac=True, options={"maxiter": 20, "keep_best": True})
    assert best.fun == 1.0
    assert_array_equal(best.x, [2.0])                    # x0
    assert_allclose(best.jac, [-4.0])                    # the gradient given at x0
    assert best.nit == res.nit == 20 and best.status == 1
    # on a descent run the best point is the last one
    a = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"maxiter": 30})
    b = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"maxiter": 30,
                                                                  "keep_best": True})
    _same(a, b)


# ---------------------------------------------------------------------------------------
# the entry points
# ---------------------------------------------------------------------------------------

def test_scipy_signature_and_argument_order():
    ours = list(inspect.signature(adamkit.minimize).parameters)
    assert ours == list(inspect.signature(so.minimize).parameters)
    assert ours == ["fun", "x0", "args", "method", "jac", "hess", "hessp", "bounds",
                    "constraints", "tol", "callback", "options"]
    # all positional, in scipy's order
    res = adamkit.minimize(quad_fg, np.zeros(5), (), "adam", True, None, None, None, (),
                           1e-3, None, {"lr": 0.05})
    assert res.success and np.max(np.abs(res.jac)) <= 1e-3


def test_method_none_is_adam():
    opts = {"maxiter": 40}
    _same(adamkit.minimize(quad_fg, np.zeros(5), jac=True, options=opts),
          adamkit.minimize(quad_fg, np.zeros(5), jac=True, method="adam", options=opts))
    _same(adamkit.minimize(quad_fg, np.zeros(5), jac=True, method=None, options=opts),
          adamkit.minimize(quad_fg, np.zeros(5), jac=True, method="ADAM", options=opts))


@pytest.mark.parametrize("entry", ["adamkit", "scipy"])
def test_explicit_gtol_wins_over_tol(entry):
    minimize = adamkit.minimize if entry == "adamkit" else so.minimize
    kw = dict(jac=True, method=adamkit.adam)
    loose = minimize(quad_fg, np.zeros(5), tol=1e-1, options={"lr": 0.05}, **kw)
    strict = minimize(quad_fg, np.zeros(5), tol=1e-1, options={"lr": 0.05, "gtol": 1e-7},
                      **kw)
    assert loose.success and strict.success
    assert 1e-7 < np.max(np.abs(loose.jac)) <= 1e-1
    assert np.max(np.abs(strict.jac)) <= 1e-7
    direct = adamkit.adam(quad_fg, np.zeros(5), jac=True, lr=0.05, tol=1e-1, gtol=1e-7)
    _same(strict, direct)


@pytest.mark.parametrize("method", METHODS)
def test_generated_methods_share_one_signature(method):
    fn = getattr(adamkit, method)
    assert fn.__name__ == method and fn.__module__ == "adamkit._minimize"
    params = inspect.signature(fn).parameters
    head = list(params)[:9]
    assert head == ["fun", "x0", "args", "jac", "hess", "hessp", "bounds", "constraints",
                    "callback"]
    hyper = ("lr", "alpha", "eps", "weight_decay", "momentum", "centered") \
        if method == "rmsprop" else ("lr", "betas", "eps", "weight_decay")
    for name in hyper + ("maxiter", "gtol", "keep_best", "copy_x", "seed", "preset"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert f"{name} :" in fn.__doc__
    assert params["lr"].default == 1e-2
    assert list(params)[-1] == "unknown_options"
    assert "Other Parameters\n    ----------------" in fn.__doc__   # the options (numpydoc)
    for name in list(params)[9:-1]:                      # every option is documented
        assert f"\n    {name} :" in fn.__doc__, name


def test_source_files_are_small_and_use_public_scipy_only():
    src = pathlib.Path(adamkit.__file__).parent
    files = sorted(src.glob("_minimize*.py"))
    assert len(files) >= 4
    for p in files:
        text = p.read_text()
        assert len(text.splitlines()) <= 600, p.name
        assert "scipy.optimize._" not in text and "from scipy._" not in text, p.name


# ---------------------------------------------------------------------------------------
# option names and values
# ---------------------------------------------------------------------------------------

def test_lr_is_the_option_name_learning_rate_deprecated():
    a = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"lr": 0.05, "maxiter": 30})
    with pytest.warns(DeprecationWarning, match="learning_rate.*use lr") as rec:
        b = adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                             options={"learning_rate": 0.05, "maxiter": 30})
    assert rec[0].filename == __file__
    _same(a, b)
    with pytest.raises(ValueError, match="both"):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                         options={"learning_rate": 0.05, "lr": 0.05})


@pytest.mark.parametrize("method, name", [
    ("adam", "alpha"), ("adam", "momentum"), ("adam", "amsgrad"), ("adam", "centered"),
    ("rmsprop", "betas"), ("adamw", "base_lr"), ("nadam", "beta1"), ("adam", "epsilon"),
])
def test_hyperparameter_of_another_method_is_refused(method, name):
    with pytest.raises(ValueError, match=f"'{name}': not a hyper-parameter of method "
                                         f"'{method}'"):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, method=method,
                         options={name: 0.5, "maxiter": 1})
    with pytest.raises(ValueError, match=f"'{name}'"):
        so.minimize(quad_fg, np.zeros(5), jac=True, method=getattr(adamkit, method),
                    options={name: 0.5, "maxiter": 1})


def test_unknown_solver_option_still_warns():
    with pytest.warns(OptimizeWarning, match="Unknown solver options: maxfun"):
        adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"maxfun": 3, "maxiter": 1})


@pytest.mark.parametrize("options, error, match", [
    ({"gtol": "x"}, TypeError, "option gtol must be a real number"),
    ({"gtol": -1.0}, ValueError, "option gtol"),
    ({"gtol": np.nan}, ValueError, "option gtol"),
    ({"ftol": None}, TypeError, "option ftol"),
    ({"maxiter": "100"}, TypeError, "option maxiter"),
    ({"maxiter": -1}, ValueError, "option maxiter"),
    ({"norm": 0}, ValueError, "option norm"),
    ({"patience": 0}, ValueError, "option patience"),
    ({"tol": "tight"}, TypeError, "option tol"),
    ({"disp": "yes"}, TypeError, "option disp"),
    ({"return_all": "no"}, TypeError, "option return_all must be True or False"),
    ({"keep_best": 1}, TypeError, "option keep_best"),
    ({"copy_x": None}, TypeError, "option copy_x"),
    ({"batches": 5}, TypeError, "option batches"),
    ({"seed": "abc"}, TypeError, "option seed"),
    ({"groups": [2, 2]}, ValueError, "option groups"),
    ({"groups": [2.5, 2.5]}, TypeError, "option groups"),
    ({"lr_mult": [1.0, 2.0]}, ValueError, "option lr_mult"),
    ({"lr_mult": -1.0}, ValueError, "option lr_mult"),
    ({"finite_diff_rel_step": -1e-8}, ValueError, "option finite_diff_rel_step"),
    ({"finite_diff_rel_step": [1e-8, 1e-8]}, ValueError, "option finite_diff_rel_step"),
    ({"preset": 3}, TypeError, "option preset"),
    ({"preset_options": {"epsilon": 1.0}}, ValueError, "preset_options given without"),
    ({"lr": "fast"}, TypeError, "lr must be a real number"),         # the optimizer's
    ({"eps": -1.0}, ValueError, "eps must be >= 0"),
    ({"betas": (0.9, 1.5)}, ValueError, r"betas\[1\]"),
])
def test_option_errors_name_the_option(options, error, match):
    called = []

    def f(x):
        called.append(x)
        return quad_fg(x)
    with pytest.raises(error, match=match):
        adamkit.minimize(f, np.zeros(5), jac=True, options=options)
    assert called == []                       # checked before fun is first called


@pytest.mark.parametrize("x0, bounds, error, match", [
    ([], None, ValueError, "x0 is empty"),
    ([0.0, np.nan], None, ValueError, "x0 must be finite"),
    (["a", "b"], None, TypeError, "x0 must hold real numbers"),
    ([0.0, 0.0, 0.0], [1, 2, 3], ValueError, r"\(lo, hi\) pairs.*bounds\[0\] is 1"),
    ([0.0, 0.0], "ab", ValueError, r"\(lo, hi\) pairs"),
    ([0.0, 0.0], [(0, 1)], ValueError, "number of bounds"),
    ([0.0, 0.0], [(0, "x"), (0, 1)], ValueError, "bounds must be real numbers"),
    ([0.0, 0.0], [(1, 0), (0, 1)], ValueError, "upper bound is less"),
    ([0.0, 0.0], Bounds([0, 0, 0], [1, 1, 1]), ValueError, "number of bounds"),
    ([0.0], [(np.inf, np.inf)], ValueError, "no finite float64 value"),
])
def test_x0_and_bounds_errors(x0, bounds, error, match):
    with pytest.raises(error, match=match):
        adamkit.minimize(quad, x0, bounds=bounds)


def test_maxiter_non_integer_and_unlimited():
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True, options={"maxiter": 10.7})
    assert res.nit == 10
    res = adamkit.minimize(quad_fg, np.zeros(5), jac=True,
                           options={"maxiter": None, "lr": 0.05})
    assert res.success


def test_bounds_object_not_modified():
    bounds = Bounds(0.0, np.inf)
    lb, ub = bounds.lb, bounds.ub
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        adamkit.minimize(so.rosen, [0.5, 0.5], bounds=bounds, options={"maxiter": 5})
        adamkit.minimize(so.rosen, [0.5, 0.5, 0.5], bounds=bounds, options={"maxiter": 5})
    assert bounds.lb is lb and bounds.ub is ub
