"""The defaults of ``adamkit.minimize`` (issue 14): ``lr=1e-2`` and ``maxiter=15000``
reach ``gtol`` on five standard problems with Adam, where the optimizer objects' 1e-3
and the former 1000 iterations reach it on none; when the default budget ends away from
a stationary point, an OptimizeWarning says so."""
import inspect
import warnings

import numpy as np
import pytest
from scipy.optimize import OptimizeWarning, rosen, rosen_der

import adamkit


def _least_squares():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((200, 20))
    b = A @ rng.standard_normal(20) + 0.1 * rng.standard_normal(200)

    def fg(x):
        r = A @ x - b
        return 0.5 * float(r @ r) / len(b), A.T @ r / len(b)
    return fg, np.zeros(20)


def _logistic():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = np.hstack([(X - X.mean(0)) / X.std(0), np.ones((X.shape[0], 1))])
    lam = 1e-2

    def fg(w):
        z = X @ w
        f = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * (w[:-1] @ w[:-1])
        g = X.T @ (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / len(y)
        g[:-1] += lam * w[:-1]
        return float(f), g
    return fg, np.zeros(X.shape[1])


def _rosen(n):
    return (lambda x: (rosen(x), rosen_der(x))), np.tile([-1.2, 1.0], n // 2)


PROBLEMS = {"rosenbrock-2": lambda: _rosen(2), "rosenbrock-10": lambda: _rosen(10),
            "rosenbrock-100": lambda: _rosen(100), "least-squares": _least_squares,
            "logistic": _logistic}


@pytest.mark.parametrize("name", PROBLEMS)
def test_defaults_reach_gtol_on_standard_problems(name):
    fg, x0 = PROBLEMS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # no budget warning either
        res = adamkit.minimize(fg, x0, jac=True)
    assert res.success, res.message
    assert np.max(np.abs(res.jac)) <= 1e-5
    assert res.nit < 10000                               # a margin below maxiter
    # the former defaults (the optimizer object's lr, 1000 iterations) do not
    old = adamkit.minimize(fg, x0, jac=True, options={"lr": 1e-3, "maxiter": 1000})
    assert not old.success


def test_default_budget_warns_away_from_a_stationary_point():
    fg, x0 = _rosen(2)
    # RMSProp without momentum does not converge with a constant lr
    with pytest.warns(OptimizeWarning, match=r"^Maximum number of iterations has been "
                      r"exceeded\. rmsprop ran the default maxiter=15000 iterations with "
                      r"lr=0\.01 .* > gtol=1e-05: not at a stationary point") as rec:
        res = adamkit.minimize(fg, x0, jac=True, method="rmsprop")
    assert rec[0].filename == __file__
    assert res.status == 1 and res.nit == 15000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        adamkit.minimize(fg, x0, jac=True, method="rmsprop", options={"maxiter": 15000})
        adamkit.minimize(fg, x0, jac=True, method="rmsprop", options={"maxiter": 15000,
                                                                     "gtol": 0})


def test_defaults_in_the_signature_and_the_optimizer():
    for name in ("adam", "amsgrad", "adamw", "adamax", "nadam", "rmsprop"):
        params = inspect.signature(getattr(adamkit, name)).parameters
        assert params["lr"].default == 1e-2 and params["maxiter"].default == 15000
    seen = []

    def fg(x):
        return float(x @ x), 2 * x
    adamkit.minimize(fg, np.ones(2), jac=True, options={"maxiter": 1},
                     callback=lambda xk: seen.append(xk))
    # one Adam step from 1 with lr 0.01: 1 - 0.01 (the first step is lr-sized)
    np.testing.assert_allclose(seen[0], 0.99, rtol=1e-6)
