"""adamkit.minimize end to end: per-iteration cost beyond the user's function (n = 10).

Goal: <= 5 us per iteration beyond fun. ``track_overhead_us`` reports it directly.
"""

import time

import numpy as np

import adamkit

from .common import Benchmark

ITERS = 1000


def _problem(n):
    a = np.arange(1.0, n + 1.0)

    def fun(x):
        r = a * x
        return 0.5 * float(r @ x), r
    return fun, np.linspace(-1.0, 1.0, n)


class Minimize(Benchmark):
    params = [[10, 10**4], ["adam", "rmsprop"]]
    param_names = ["n", "method"]

    def setup(self, n, method):
        if not hasattr(adamkit, "minimize"):
            raise NotImplementedError("adamkit.minimize is not available")
        self.fun, self.x0 = _problem(n)
        self.opts = {"maxiter": ITERS, "gtol": 0.0}

    def time_minimize_1000_iters(self, n, method):
        adamkit.minimize(self.fun, self.x0, method=method, jac=True, options=self.opts)

    def track_overhead_us(self, n, method):
        best_min, best_fun = float("inf"), float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            adamkit.minimize(self.fun, self.x0, method=method, jac=True, options=self.opts)
            best_min = min(best_min, (time.perf_counter() - t0) / ITERS)
            t0 = time.perf_counter()
            for _ in range(ITERS):
                self.fun(self.x0)
            best_fun = min(best_fun, (time.perf_counter() - t0) / ITERS)
        return (best_min - best_fun) * 1e6

    track_overhead_us.unit = "us"
