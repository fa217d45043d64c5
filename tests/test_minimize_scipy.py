"""scipy's own tests of generic and custom minimizers, run with adamkit's methods.

Adapted from scipy/scipy at commit 3dbf660a919b1479cdf30d533176053b428d08d3 (main,
2026-08-22, version 2.0.0.dev0; ``test_optimize.py`` last changed in b92b297a), files
``scipy/optimize/tests/test_optimize.py`` (TO) and
``scipy/optimize/tests/test__basinhopping.py`` (BH).  Each test names its origin; the
adaptations: ``method=adamkit.<m>`` (through :func:`scipy.optimize.minimize` and
:func:`adamkit.minimize`) in place of scipy's method names, scipy's private helpers
(``ScalarFunction``, ``MINIMIZE_METHODS``) replaced by plain counting, options scipy's
methods have and adamkit's do not (``maxfev``) left out.

=====================================================  ===================================
test here                                              origin
=====================================================  ===================================
test_custom, test_custom_scipy_custmin                 TO TestOptimizeSimple.test_custom
test_gh10771                                           TO TestOptimizeSimple.test_gh10771
test_minimize_tol_parameter                            TO ...test_minimize_tol_parameter
test_minimize_callback_copies_array                    TO ...test_minimize_callback_copies_array
test_no_increase (keep_best=True; plain Adam: xfail)   TO ...test_no_increase
test_respect_maxiter                                   TO ...test_respect_maxiter
test_nan_values                                        TO ...test_nan_values
test_duplicate_evaluations                             TO ...test_duplicate_evaluations
test_callback_stopiteration                            TO ...test_callback_stopiteration
test_ndim_error                                        TO ...test_ndim_error
test_minimize_invalid_bounds                           TO ...test_minimize_invalid_bounds
test_minimize_warnings_gh1953                          TO ...test_minimize_warnings_gh1953
test_minimize_coerce_args_param                        TO ...test_minimize_coerce_args_param
test_minimize_with_scalar                              TO test_minimize_with_scalar
test_attributes_present                                TO TestOptimizeResultAttributes
test_iteration_limits                                  TO TestIterationLimits (maxiter part)
test_result_x_shape_when_len_x_is_one                  TO test_result_x_shape_when_len_x_is_one
test_equal_bounds                                      TO test_equal_bounds (no nonlinear
                                                       constraints: adamkit has none)
test_all_bounds_equal, ..._writable                    TO test_all_bounds_equal(_writable)
test_bounds_with_list                                  TO test_bounds_with_list
test_minimize_does_not_mutate_bounds                   TO test_minimize_does_not_mutate_bounds
test_minimize_bounds_reusable_across_sizes             TO test_minimize_bounds_reusable_...
test_minimize_maxiter_noninteger                       TO test_minimize_maxiter_noninteger
test_x_overwritten_user_function                       TO test_x_overwritten_user_function
test_basinhopping_all_minimizers                       BH TestBasinHopping.test_all_minimizers
=====================================================  ===================================
"""
import inspect
import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_almost_equal, assert_equal
from scipy import optimize
from scipy.optimize import Bounds, OptimizeResult

import adamkit

METHODS = ["adam", "amsgrad", "adamw", "adamax", "nadam", "rmsprop"]
# the methods whose defaults minimize fun itself (AdamW's default weight decay biases the
# minimizer towards 0)
UNBIASED = ["adam", "amsgrad", "adamax", "nadam", "rmsprop"]
ENTRY = {"scipy": optimize.minimize, "adamkit": adamkit.minimize}


@pytest.fixture(params=["scipy", "adamkit"])
def minimize(request):
    return ENTRY[request.param]


def _m(name):
    return getattr(adamkit, name)


# -- TestOptimizeSimple (TO) ------------------------------------------------------------

@pytest.mark.parametrize("method", ["adam", "adamax", "nadam"])
def test_custom(minimize, method):
    # TO test_custom minimizes rosen from this x0 with a custom method; here the custom
    # method is adamkit's
    x0 = [1.35, 0.9, 0.8, 1.1, 1.2]
    res = minimize(optimize.rosen, x0, method=_m(method), jac=optimize.rosen_der)
    assert res.success, res.message
    assert_allclose(res.x, 1.0, rtol=1e-4, atol=1e-4)


def test_custom_scipy_custmin():
    # TO test_custom verbatim, through adamkit.minimize (which takes a callable method)
    def custmin(fun, x0, args=(), maxfev=None, stepsize=0.1,
                maxiter=100, callback=None, **options):
        bestx = x0
        besty = fun(x0)
        funcalls = 1
        niter = 0
        improved = True
        stop = False

        while improved and not stop and niter < maxiter:
            improved = False
            niter += 1
            for dim in range(np.size(x0)):
                for s in [bestx[dim] - stepsize, bestx[dim] + stepsize]:
                    testx = np.copy(bestx)
                    testx[dim] = s
                    testy = fun(testx, *args)
                    funcalls += 1
                    if testy < besty:
                        besty = testy
                        bestx = testx
                        improved = True
                if callback is not None:
                    callback(bestx)
                if maxfev is not None and funcalls >= maxfev:
                    stop = True
                    break

        return optimize.OptimizeResult(fun=besty, x=bestx, nit=niter,
                                       nfev=funcalls, success=(niter > 1))

    x0 = [1.35, 0.9, 0.8, 1.1, 1.2]
    res = adamkit.minimize(optimize.rosen, x0, method=custmin,
                           options=dict(stepsize=0.05))
    assert_allclose(res.x, 1.0, rtol=1e-4, atol=1e-4)


def test_gh10771():
    # adamkit.minimize passes bounds and constraints to a custom minimizer unchanged
    bounds = [(-2, 2), (0, 3)]
    constraints = 'constraints'

    def custmin(fun, x0, **options):
        assert options['bounds'] is bounds
        assert options['constraints'] is constraints
        return optimize.OptimizeResult()

    x0 = [1, 1]
    adamkit.minimize(optimize.rosen, x0, method=custmin,
                     bounds=bounds, constraints=constraints)


@pytest.mark.filterwarnings("ignore::scipy.optimize.OptimizeWarning")
@pytest.mark.parametrize("method", METHODS)
def test_minimize_tol_parameter(minimize, method):
    # Check that the minimize() tol= argument does something
    def func(z):
        x, y = z
        return x**2*y**2 + x**4 + 1

    def dfunc(z):
        x, y = z
        return np.array([2*x*y**2 + 4*x**3, 2*x**2*y])

    sol1 = minimize(func, [2, 2], jac=dfunc, tol=1e-10, method=_m(method))
    sol2 = minimize(func, [2, 2], jac=dfunc, tol=1.0, method=_m(method))
    assert func(sol1.x) < func(sol2.x), f"{method}: {func(sol1.x)} vs. {func(sol2.x)}"


@pytest.mark.parametrize("method", METHODS)
def test_minimize_callback_copies_array(minimize, method):
    # Check that arrays passed to callbacks are not modified in place by the optimizer
    # afterwards (TO: options=dict(maxiter=5); also through adamkit.minimize)
    results = []

    def callback(x, *args, **kwargs):
        assert not isinstance(x, optimize.OptimizeResult)
        results.append((x, np.copy(x)))

    minimize(optimize.rosen, np.zeros(10), method=_m(method), callback=callback,
             options=dict(maxiter=5))

    assert len(results) > 2
    assert all(np.all(x == y) for x, y in results)
    combinations = itertools.combinations(results, 2)
    assert not any(np.may_share_memory(x[0], y[0]) for x, y in combinations)


@pytest.mark.parametrize("keep_best", [
    True,
    pytest.param(False, marks=pytest.mark.xfail(
        strict=True, reason="Adam follows the gradient it is given (no line search): "
                            "without keep_best it ends worse than x0 on a wrong gradient")),
])
@pytest.mark.parametrize("method", METHODS)
def test_no_increase(minimize, method, keep_best):
    # Check that the solver doesn't return a value worse than the initial point.
    def func(x):
        return (x - 1)**2

    def bad_grad(x):
        # purposefully invalid gradient function, simulates a case
        # where line searches start failing
        return 2*(x - 1) * (-1) - 2

    x0 = np.array([2.0])
    f0 = func(x0)
    sol = minimize(func, x0, jac=bad_grad, method=_m(method),
                   options=dict(maxiter=20, keep_best=keep_best))
    assert_equal(func(sol.x), sol.fun)
    assert func(sol.x) <= f0


@pytest.mark.parametrize("method", METHODS)
def test_respect_maxiter(minimize, method):
    # the number of iterations equals maxiter, assuming convergence doesn't come first
    # (TO counts with scipy's private ScalarFunction; plain counters here)
    MAXITER = 4
    calls = {"f": 0, "g": 0}

    def f(x):
        calls["f"] += 1
        return optimize.rosen(x)

    def g(x):
        calls["g"] += 1
        return optimize.rosen_der(x)

    for jac in (None, g):
        calls.update(f=0, g=0)
        sol = minimize(f, np.zeros(10), jac=jac, method=_m(method),
                       options=dict(maxiter=MAXITER))
        assert sol.nit == MAXITER
        assert sol.nfev >= calls["f"] and sol.nfev == calls["f"]
        assert sol.njev >= calls["g"]
        assert sol.status == 1 and not sol.success


@pytest.mark.parametrize("method", METHODS)
def test_nan_values(minimize, method):
    # Check nan values result to failed exit status
    rng = np.random.default_rng(123122)
    count = [0]

    def func(x):
        return np.nan

    def func2(x):
        count[0] += 1
        if count[0] > 2:
            return np.nan
        else:
            return rng.random()

    def grad(x):
        return np.array([1.0])

    x0 = np.array([1.0])
    with np.errstate(invalid='ignore'):
        for f, g in itertools.product([func, func2], [grad, None]):
            count = [0]
            sol = minimize(f, x0, jac=g, method=_m(method), options=dict(maxiter=20))
            assert_equal(sol.success, False)
            assert sol.status == 3


class _Entropy:
    """TO CheckOptimize: the constrained entropy maximization problem (Berger et al.,
    Computational Linguistics 22(1), 1996), with its call counters and trace."""

    F = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 1], [1, 0, 0], [1, 0, 0]])
    K = np.array([1., 0.3, 0.5])
    startparams = np.zeros(3, np.float64)
    solution = np.array([0., -0.524869316, 0.487525860])

    def __init__(self):
        self.funccalls = 0
        self.trace = []

    def func(self, x):
        self.funccalls += 1
        if self.funccalls > 6000:
            raise RuntimeError("too many iterations in optimization routine")
        log_pdot = np.dot(self.F, x)
        logZ = np.log(sum(np.exp(log_pdot)))
        self.trace.append(np.copy(x))
        return logZ - np.dot(self.K, x)

    def grad(self, x):
        log_pdot = np.dot(self.F, x)
        logZ = np.log(sum(np.exp(log_pdot)))
        p = np.exp(log_pdot - logZ)
        return np.dot(self.F.transpose(), p) - self.K


@pytest.mark.parametrize("method", UNBIASED)
@pytest.mark.parametrize("jac", [None, "grad"])
def test_duplicate_evaluations(minimize, method, jac):
    # check that there are no duplicate evaluations (TO: jac=None for the first-order
    # methods; here also with the gradient)
    prob = _Entropy()
    minimize(prob.func, prob.startparams, method=_m(method),
             jac=prob.grad if jac else None, options=dict(maxiter=1000))
    for i in range(1, len(prob.trace)):
        if np.array_equal(prob.trace[i - 1], prob.trace[i]):
            raise RuntimeError(f"Duplicate evaluations made by {method}")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("new_cb_interface", [0, 1, 2])
def test_callback_stopiteration(minimize, method, new_cb_interface):
    # Check that if callback raises StopIteration, optimization
    # terminates with the same result as if iterations were limited

    def f(x):
        f.flag = False  # check that f isn't called after StopIteration
        return optimize.rosen(x)
    f.flag = False

    def g(x):
        f.flag = False
        return optimize.rosen_der(x)

    def h(x):
        f.flag = False
        return optimize.rosen_hess(x)

    maxiter = 5

    if new_cb_interface == 1:
        def callback_interface(*, intermediate_result):
            assert intermediate_result.fun == f(intermediate_result.x)
            callback()
    elif new_cb_interface == 2:
        class Callback:
            def __call__(self, intermediate_result: OptimizeResult):
                assert intermediate_result.fun == f(intermediate_result.x)
                callback()
        callback_interface = Callback()
    else:
        def callback_interface(xk, *args):
            callback()

    def callback():
        callback.i += 1
        callback.flag = False
        if callback.i == maxiter:
            callback.flag = True
            raise StopIteration()
    callback.i = 0
    callback.flag = False

    # TO passes hess=h too: scipy's second-order methods use it, adamkit's warn
    kwargs = {'x0': [1.1]*5, 'method': _m(method), 'fun': f, 'jac': g}

    res = minimize(**kwargs, callback=callback_interface)
    ref = minimize(**kwargs, options={'maxiter': maxiter})
    assert res.message.startswith("`callback` raised `StopIteration`")
    assert res.nit == ref.nit == maxiter
    assert res.fun == ref.fun
    assert_equal(res.x, ref.x)
    assert res.status == 99
    assert not res.success


def test_ndim_error(minimize):
    msg = "'x0' must only have one dimension."
    with pytest.raises(ValueError, match=msg):
        minimize(lambda x: x, np.ones((2, 1)), method=adamkit.adam)


@pytest.mark.parametrize("method", METHODS)
def test_minimize_invalid_bounds(minimize, method):
    def f(x):
        return np.sum(x**2)

    bounds = Bounds([1, 2], [3, 4])
    msg = 'The number of bounds is not compatible with the length of `x0`.'
    with pytest.raises(ValueError, match=msg):
        minimize(f, x0=[1, 2, 3], method=_m(method), bounds=bounds)

    bounds = Bounds([1, 6, 1], [3, 4, 2])
    msg = 'An upper bound is less than the corresponding lower bound.'
    with pytest.raises(ValueError, match=msg):
        minimize(f, x0=[1, 2, 3], method=_m(method), bounds=bounds)


@pytest.mark.parametrize("method", METHODS)
def test_minimize_warnings_gh1953(minimize, method):
    # test that minimize methods produce warnings rather than just using
    # `print`; see gh-1953.
    options = {'disp': True, 'maxiter': 10}
    with pytest.warns(optimize.OptimizeWarning, match='Maximum number'):
        minimize(lambda x: optimize.rosen(x), [0, 0], jac=optimize.rosen_der,
                 method=_m(method), options=options)

    options['disp'] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minimize(lambda x: optimize.rosen(x), [0, 0], jac=optimize.rosen_der,
                 method=_m(method), options=options)


@pytest.mark.parametrize("method", METHODS)
def test_minimize_coerce_args_param(minimize, method):
    # Regression test for gh-3503
    def Y(x, c):
        return np.sum((x-c)**2)

    def dY_dx(x, c=None):
        return 2*(x-c)

    c = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    rng = np.random.default_rng(1234)
    xinit = rng.standard_normal(len(c))
    minimize(Y, xinit, jac=dY_dx, args=(c), method=_m(method), options={"maxiter": 50})


@pytest.mark.parametrize("method", METHODS)
def test_minimize_with_scalar(minimize, method):
    # checks that minimize works with a scalar being provided to it (with the default
    # options: 17 is 1700 steps of the default lr away)
    def f(x):
        return np.sum(x ** 2)

    res = minimize(f, 17, bounds=[(-100, 100)], method=_m(method))
    assert res.success
    assert_allclose(res.x, [0.0], atol=1e-5)


@pytest.mark.filterwarnings("ignore:Method .+ does not use:RuntimeWarning")
@pytest.mark.parametrize("method", METHODS)
def test_attributes_present(minimize, method):
    # TO TestOptimizeResultAttributes: every method returns these attributes
    attributes = ['nit', 'nfev', 'x', 'success', 'status', 'fun', 'message']
    res = minimize(optimize.rosen, [5, 5], method=_m(method), jac=optimize.rosen_der,
                   hess=optimize.rosen_hess, hessp=optimize.rosen_hess_prod,
                   options={"maxiter": 100})
    for attribute in attributes:
        assert hasattr(res, attribute)
        assert attribute in dir(res)
    # gh13001, OptimizeResult.message should be a str
    assert isinstance(res.message, str)


@pytest.mark.parametrize("method", ["adam", "rmsprop"])
@pytest.mark.parametrize("start_v", [[0.1, 0.1], [1, 1], [2, 2]])
def test_iteration_limits(minimize, method, start_v):
    # TO TestIterationLimits.check_limits: optimisation does not give up before trying
    # the requested number of iterations, nor succeed by exceeding them (the maxiter
    # part; adamkit has no maxfev); nfev counts every call
    calls = [0]

    def slow_func(v):
        calls[0] += 1
        r, t = np.sqrt(v[0]**2+v[1]**2), np.arctan2(v[0], v[1])
        return np.sin(r*20 + t)+r*0.5

    for mit in [50, 500, 5000]:
        calls[0] = 0
        res = minimize(slow_func, start_v, method=_m(method), options={"maxiter": mit})
        assert calls[0] == res["nfev"]
        if res["success"]:
            assert res["nit"] <= mit
        else:
            assert res["nit"] >= mit


@pytest.mark.parametrize("method", METHODS)
def test_result_x_shape_when_len_x_is_one(minimize, method):
    def fun(x):
        return x * x

    def jac(x):
        return 2. * x

    res = minimize(fun, np.array([0.1]), method=_m(method), options={"maxiter": 10})
    assert res.x.shape == (1,)
    res = minimize(fun, np.array([0.1]), method=_m(method), jac=jac,
                   options={"maxiter": 10})
    assert res.x.shape == (1,)


# -- minimize with equal upper and lower bounds (TO) --------------------------------------

def setup_test_equal_bounds():
    # the success of test_equal_bounds depends on the exact seed
    rng = np.random.default_rng(12223)
    x0 = rng.random(4)
    lb = np.array([0, 2, -1, -1.0])
    ub = np.array([3, 2, 2, -1.0])
    i_eb = (lb == ub)

    def check_x(x, check_size=True, check_values=True):
        if check_size:
            assert x.size == 4
        if check_values:
            assert_allclose(x[i_eb], lb[i_eb])

    def func(x):
        check_x(x)
        return optimize.rosen(x)

    def grad(x):
        check_x(x)
        return optimize.rosen_der(x)

    def callback(x, *args):
        check_x(x)

    def callback2(intermediate_result):
        assert isinstance(intermediate_result, OptimizeResult)
        check_x(intermediate_result.x)

    # TO: the methods that accept bounds, use derivatives, and have trouble when bounds
    # fix variables (L-BFGS-B, SLSQP, TNC); here adamkit's
    methods = UNBIASED

    # test w/out gradient, w/ gradient, and w/ combined objective/gradient
    kwds = ({"fun": func, "jac": False},
            {"fun": func, "jac": grad},
            {"fun": (lambda x: (func(x), grad(x))),
             "jac": True})

    # test with both old- and new-style bounds
    bound_types = (lambda lb, ub: list(zip(lb, ub)),
                   Bounds)

    # TO also pairs nonlinear constraints with their reference (SLSQP only)
    constraints = ((None, None), ([], []))

    # test with and without callback function
    callbacks = (None, callback, callback2)

    return {"methods": methods, "kwds": kwds, "bound_types": bound_types,
            "constraints": constraints, "callbacks": callbacks,
            "lb": lb, "ub": ub, "x0": x0, "i_eb": i_eb}


eb_data = setup_test_equal_bounds()


@pytest.mark.parametrize('method', eb_data["methods"])
@pytest.mark.parametrize('kwds', eb_data["kwds"])
@pytest.mark.parametrize('bound_type', eb_data["bound_types"])
@pytest.mark.parametrize('constraints', eb_data["constraints"])
@pytest.mark.parametrize('callback', eb_data["callbacks"])
def test_equal_bounds(method, kwds, bound_type, constraints, callback):
    """
    Tests that minimizers still work if (bounds.lb == bounds.ub).any()
    gh12502 - Divide by zero in Jacobian numerical differentiation when
    equality bounds constraints are used
    """
    lb, ub = eb_data["lb"], eb_data["ub"]
    x0, i_eb = eb_data["x0"], eb_data["i_eb"]

    test_constraints, reference_constraints = constraints
    fd_needed = (test_constraints != reference_constraints)

    bounds = bound_type(lb, ub)  # old- or new-style

    kwds = dict(kwds, x0=x0, method=_m(method), bounds=bounds,
                constraints=test_constraints, callback=callback)
    res = optimize.minimize(**kwds)

    # the reference is L-BFGS-B with the analytic gradient (TO: the method itself)
    expected = optimize.minimize(optimize.rosen, x0, method="L-BFGS-B",
                                 jac=optimize.rosen_der, bounds=bounds,
                                 constraints=reference_constraints)

    # compare the output of a solution with FD vs that of an analytic grad
    assert res.success
    assert_allclose(res.fun, expected.fun, rtol=5.0e-6)
    assert_allclose(res.x, expected.x, rtol=5e-4)

    if fd_needed or kwds['jac'] is False:
        expected.jac[i_eb] = np.nan
    assert res.jac.shape[0] == 4
    assert_allclose(res.jac[i_eb], expected.jac[i_eb], rtol=1e-6)

    if not (kwds['jac'] or test_constraints or isinstance(bounds, Bounds)):
        # compare the output to an equivalent FD minimization that doesn't
        # need factorization
        def fun(x):
            new_x = np.array([np.nan, 2, np.nan, -1])
            new_x[[0, 2]] = x
            return optimize.rosen(new_x)

        fd_res = optimize.minimize(fun, x0[[0, 2]], method=_m(method),
                                   bounds=bounds[::2])
        assert_allclose(res.fun, fd_res.fun)
        assert_allclose(res.x[[0, 2]], fd_res.x, rtol=2e-6)


@pytest.mark.parametrize('method', METHODS)
def test_all_bounds_equal(minimize, method):
    # this only tests methods that have parameters factored out when lb==ub
    def f(x, p1=1):
        return np.linalg.norm(x) + p1

    bounds = [(1, 1), (2, 2)]
    x0 = (1.0, 3.0)
    res = minimize(f, x0, bounds=bounds, method=_m(method))
    assert res.success
    assert_allclose(res.fun, f([1.0, 2.0]))
    assert res.nfev == 1
    assert res.message == 'All independent variables were fixed by bounds.'

    args = (2,)
    res = minimize(f, x0, bounds=bounds, method=_m(method), args=args)
    assert res.success
    assert_allclose(res.fun, f([1.0, 2.0], 2))


@pytest.mark.parametrize('method', METHODS)
def test_all_bounds_equal_writable(minimize, method):
    # When all bounds have lb == ub, the objective gets a writable x
    def f(x):
        assert x.flags.writeable, "x passed to objective is not writable"
        return np.linalg.norm(x)

    bounds = [(1, 1), (2, 2)]
    x0 = (1.0, 3.0)
    res = minimize(f, x0, bounds=bounds, method=_m(method))
    assert res.success
    assert res.x.flags.writeable


def test_bounds_with_list(minimize):
    # gh13501. Bounds created with lists weren't working for Powell.
    bounds = optimize.Bounds(lb=[5., 5.], ub=[10., 10.])
    minimize(optimize.rosen, x0=np.array([9, 9]), method=adamkit.adam, bounds=bounds,
             options={"maxiter": 10})


@pytest.mark.parametrize('method', METHODS)
def test_minimize_does_not_mutate_bounds(minimize, method):
    # `minimize` broadcast lb/ub onto the caller's `Bounds`; cf. gh-8419
    bounds = optimize.Bounds(0., np.inf)
    lb, ub, keep_feasible = bounds.lb, bounds.ub, bounds.keep_feasible
    minimize(optimize.rosen, [0.5, 0.5], method=_m(method), bounds=bounds,
             options={"maxiter": 10})
    assert bounds.lb is lb
    assert bounds.ub is ub
    assert bounds.keep_feasible is keep_feasible


def test_minimize_bounds_reusable_across_sizes(minimize):
    # consequence of the above: a dimension-agnostic `Bounds` was only usable once
    bounds = optimize.Bounds(0., np.inf)
    minimize(optimize.rosen, [0.5, 0.5], method=adamkit.adam, bounds=bounds,
             options={"maxiter": 10})
    minimize(optimize.rosen, [0.5, 0.5, 0.5], method=adamkit.adam, bounds=bounds,
             options={"maxiter": 10})


@pytest.mark.parametrize('method', METHODS)
def test_minimize_maxiter_noninteger(minimize, method):
    # Regression test for gh-23430
    x0 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])
    res = minimize(optimize.rosen, x0, method=_m(method), options={'maxiter': 100.1})
    assert res.nit == 100


@pytest.mark.parametrize('method', UNBIASED)
def test_x_overwritten_user_function(minimize, method):
    # if the user overwrites the x-array in the user function it's likely
    # that the minimizer stops working properly.
    # gh13740
    def fquad(x):
        a = np.arange(np.size(x))
        x -= a
        x *= x
        return np.sum(x)

    def fquad_jac(x):
        a = np.arange(np.size(x))
        x *= 2
        x -= 2 * a
        return x

    x0 = np.ones(5) * 1.5
    # TO gives jac only to the methods that need one; here both ways, default options
    for jac in (None, fquad_jac):
        res = minimize(fquad, x0, method=_m(method), jac=jac)
        assert_allclose(res.x, np.arange(np.size(x0)), atol=2e-4)


# -- TestBasinHopping (BH) ----------------------------------------------------------------

def func2d(x):
    f = np.cos(14.5 * x[0] - 0.3) + (x[1] + 0.2) * x[1] + (x[0] + 0.2) * x[0]
    df = np.zeros(2)
    df[0] = -14.5 * np.sin(14.5 * x[0] - 0.3) + 2. * x[0] + 0.2
    df[1] = 2. * x[1] + 0.2
    return f, df


@pytest.mark.parametrize("method", ["adam", "nadam", "adamax"])
def test_basinhopping_all_minimizers(method):
    # BH test_all_minimizers: 2-D minimization with gradient, the local minimizer being
    # adamkit's (niter=100 as in BH, seeded: rng= since scipy 1.15, seed= before)
    seeding = "rng" if "rng" in inspect.signature(optimize.basinhopping).parameters \
        else "seed"
    res = optimize.basinhopping(func2d, [1.0, 1.0], niter=100, **{seeding: 1234},
                                minimizer_kwargs={"method": _m(method), "jac": True})
    assert_almost_equal(res.x, np.array([-0.195, -0.1]), 3)
