"""Gradient streams fed to every framework by the conformance suite.

The recipe is the one used to record the golden trajectories in ``golden/`` (see
``golden/README.md``), so live recordings and golden files exercise the same kinds of
values: per-element scales log-uniform over 1e-6..1e3, random signs, 1 % spikes (x100),
5 % exact zeros, one element whose gradient is always zero (in the SIMD tail, so the
second moment stays 0 and epsilon alone decides its update), three constant-gradient
elements, and exact zeros in the initial parameters.

The stream is generated once, in the main environment, and handed to the framework
adapters as data (conformance/make_streams.py), so nothing depends on two NumPy versions
drawing the same random numbers. ``python -m adamkit compare`` uses it too.
"""

import numpy as np

__all__ = ["make_stream"]


def make_stream(seed, n, T):
    """Return ``(p0, grads, special)`` in float64, following the golden-data recipe.

    ``grads[t-1]`` is the gradient of step ``t``; ``special`` records the indices with a
    fixed role. Cast both arrays with ``astype(float32)`` for float32 cases.
    """
    if n < 7:
        raise ValueError(f"the stream needs n >= 7 (it places an always-zero gradient, 3 "
                         f"constant ones and 3 zero parameters among the others), got {n}")
    rng = np.random.default_rng(seed)
    log10_scale = rng.uniform(-6.0, 3.0, size=n)
    sign = np.where(rng.uniform(0.0, 1.0, size=(T, n)) < 0.5, -1.0, 1.0)
    magnitude = rng.uniform(0.2, 2.0, size=(T, n))
    # Python's float power (libm pow) rather than np.power: NumPy may pick a SIMD pow
    # whose last bit depends on the CPU, which is why the golden files' own streams differ
    # from this one in the last bit of some scales. The stream always travels as data.
    scale = np.array([10.0 ** float(x) for x in log10_scale])
    g = sign * magnitude * scale
    g = np.where(rng.uniform(0.0, 1.0, size=(T, n)) < 0.01, g * 100.0, g)
    g = np.where(rng.uniform(0.0, 1.0, size=(T, n)) < 0.05, 0.0, g)
    zero_index = n - 2
    body = rng.choice(n - 3, 2, replace=False)
    constant = {int(body[0]): 3e-6, int(body[1]): -0.75, n - 1: 250.0}
    g[:, zero_index] = 0.0
    for i, value in constant.items():
        g[:, i] = value
    p0 = rng.standard_normal(n)
    ordinary = np.setdiff1d(np.arange(n), [zero_index, *constant])
    zeros = rng.choice(ordinary, 3, replace=False)
    p0[zeros] = 0.0
    special = {
        "always_zero_grad_index": zero_index,
        "constant_grad": {str(i): c for i, c in constant.items()},
        "zero_init_param_indices": sorted(int(i) for i in zeros),
    }
    return p0, g, special
