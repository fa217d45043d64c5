"""Convergence of adam, amsgrad and rmsprop against scipy's L-BFGS-B.

Runs each method on the same problem through the same interface
(``adamkit.minimize`` / ``scipy.optimize.minimize``), records the objective
after every iteration with a ``callback(intermediate_result)``, and plots
``f(x_k) - f*`` against the iteration ``k`` (log-log).

Problems: the 2-D Rosenbrock function from (-1.2, 1) (default; needs nothing
but numpy/scipy), or L2-regularised logistic regression on scikit-learn's
bundled breast-cancer data set (``--problem logreg``, needs scikit-learn).

Usage::

    python examples/plot_convergence.py [--problem rosenbrock|logreg] [--out FILE]

Needs matplotlib (``pip install matplotlib``).
"""
import argparse

import numpy as np
import scipy.optimize as so

import adamkit
from adamkit import schedules


def rosenbrock():
    return so.rosen, so.rosen_der, np.array([-1.2, 1.0]), 0.0, "Rosenbrock 2-D"


def logistic_regression():
    from sklearn.datasets import load_breast_cancer
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    X = np.hstack([X, np.ones((X.shape[0], 1))])
    lam = 1e-2

    def f(w):
        z = X @ w
        return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * (w[:-1] @ w[:-1])

    def g(w):
        p = 0.5 * (1.0 + np.tanh(0.5 * (X @ w)))
        grad = X.T @ (p - y) / len(y)
        grad[:-1] += lam * w[:-1]
        return grad
    w0 = np.zeros(X.shape[1])
    ref = so.minimize(f, w0, jac=g, method="L-BFGS-B",
                      options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000})
    return f, g, w0, ref.fun, "logistic regression, breast cancer (n=569, d=31)"


def run(fun, jac, x0, method, options):
    history = [fun(x0)]

    def callback(intermediate_result):
        history.append(intermediate_result.fun)
    if method == "L-BFGS-B":
        so.minimize(fun, x0, jac=jac, method=method, callback=callback, options=options)
    else:
        adamkit.minimize(fun, x0, jac=jac, method=method, callback=callback,
                         options=options)
    return np.array(history)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", choices=["rosenbrock", "logreg"], default="rosenbrock")
    ap.add_argument("--out", default="plot_convergence.png")
    ap.add_argument("--maxiter", type=int, default=10000)
    args = ap.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fun, jac, x0, fstar, title = (rosenbrock if args.problem == "rosenbrock"
                                  else logistic_regression)()
    # a decaying rate lets the adaptive methods settle (see adamkit.schedules);
    # (initial rate, halving period) tuned by hand per problem
    rates = {"rosenbrock": {"adam": (0.02, 2000), "amsgrad": (0.05, 2000),
                            "rmsprop": (0.01, 1000)},
             "logreg": {"adam": (0.05, 500), "amsgrad": (0.05, 500),
                        "rmsprop": (0.01, 500)}}[args.problem]
    runs = {m: (m, {"lr": schedules.exponential_decay(lr, period, 0.5)})
            for m, (lr, period) in rates.items()}
    runs["L-BFGS-B"] = ("L-BFGS-B", {})
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, (method, opts) in runs.items():
        opts = {"maxiter": args.maxiter, "gtol": 1e-9, **opts}
        hist = run(fun, jac, x0, method, opts)
        gap = np.maximum(hist - fstar, 1e-16)
        ax.loglog(np.arange(1, len(gap) + 1), gap, label=f"{label} ({len(gap) - 1} it.)")
        print(f"{label:>9}: {len(hist) - 1:6d} iterations, f - f* = {hist[-1] - fstar:.3e}")  # noqa: T201
    ax.set_xlabel("iteration + 1")
    ax.set_ylabel("f(x) - f*")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
