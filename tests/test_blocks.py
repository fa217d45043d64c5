"""The blocks option of adamkit.minimize and the fixed tree order it sums in (no MPI).

The tree is checked against its definition (a recursive function written here from
adamkit/_blocks.py's docstring), for every number of blocks up to 40 and every way of
cutting the blocks into contiguous ranges: the partial sums of each range, added across
ranges in order, give the same bits.  That is what adamkit.mpi does across ranks
(tests/test_mpi.py runs it under MPI).
"""
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import adamkit
from adamkit._blocks import TreeSum, node_sizes, split_range, tree_sum


def definition(values, lo, level):
    """The node of ``level`` starting at ``lo``: [lo, min(lo + 2^level, B))."""
    B = len(values)
    if level == 0:
        return values[lo]
    left = definition(values, lo, level - 1)
    mid = lo + 2 ** (level - 1)
    return left if mid >= B else left + definition(values, mid, level - 1)


def root(values):
    level = max(0, (len(values) - 1).bit_length())
    return definition(values, 0, level)


def wide(rng, B):
    """Values whose sum depends on the order (magnitudes 1e-8 to 1e8, both signs)."""
    return (rng.standard_normal(B) * 10.0 ** rng.integers(-8, 9, B)).tolist()


@pytest.mark.parametrize("B", range(1, 41))
def test_tree_is_the_definition_for_every_cut(B):
    rng = np.random.default_rng(B)
    values = wide(rng, B)
    expect = root(values)
    assert tree_sum(values) == expect or (np.isnan(expect) and np.isnan(tree_sum(values)))
    for P in range(1, B + 2):                     # P ranks, some with no block when P > B
        ranks = []
        for r in range(P):
            lo, hi = split_range(B, P, r)
            s = TreeSum(B)
            for b in range(lo, hi):
                s.push(b, b + 1, values[b])
            assert [e[:2] for e in s.entries] == node_sizes(B, lo, hi)
            ranks.append(s.entries)
        across = TreeSum(B)
        for entries in ranks:
            for lo, hi, v in entries:
                across.push(lo, hi, v)
        assert across.result() == expect, (B, P)


def test_order_matters_on_these_values():
    """The check above can fail: the left-to-right sum differs for most B."""
    rng = np.random.default_rng(0)
    differ = sum(root(v) != sum(v[1:], v[0]) for v in (wide(rng, B) for B in range(3, 41)))
    assert differ > 20


def test_push_out_of_order_and_incomplete():
    s = TreeSum(4)
    s.push(0, 1, 1.0)
    with pytest.raises(ValueError, match="does not follow"):
        s.push(2, 3, 1.0)
    with pytest.raises(ValueError, match="do not cover"):
        s.result()
    with pytest.raises(ValueError):
        TreeSum(0)


# ---------------------------------------------------------------------------------------
# minimize(..., options={"blocks": B})
# ---------------------------------------------------------------------------------------

B, N = 6, 9
_rng = np.random.default_rng(3)
C = _rng.standard_normal((B, N)) * 10.0 ** np.arange(-2, 4)[:, None]
W = _rng.uniform(0.5, 2.0, (B, N))


def fun(x, b):
    d = x - C[b]
    return float(np.cumsum(W[b] * d * d)[-1]), (2.0 * W[b]) * d


def test_blocks_is_adam_on_the_tree_sum():
    """The run equals a hand-written loop: tree sum of the block gradients, Adam step."""
    res = adamkit.minimize(fun, np.zeros(N), jac=True,
                           options={"blocks": B, "maxiter": 25, "gtol": 0.0, "lr": 0.05})
    x = np.zeros(N)
    opt = adamkit.Adam(lr=0.05)
    for _ in range(25):
        s = TreeSum(B)
        for b in range(B):
            s.push(b, b + 1, fun(x, b)[1])
        opt.step(x, s.result())
    assert_array_equal(res.x, x)
    assert res.fun == tree_sum([fun(x, b)[0] for b in range(B)])
    assert res.nit == 25 and res.nfev == res.njev == 26
    # and the left-to-right order gives other bits here (the test above can fail)
    seq = adamkit.minimize(lambda z: (sum(fun(z, b)[0] for b in range(B)),
                                      sum(fun(z, b)[1] for b in range(B))),
                           np.zeros(N), jac=True, options={"maxiter": 25, "gtol": 0.0,
                                                           "lr": 0.05})
    assert not np.array_equal(seq.x, res.x)


def test_blocks_sequence_jac_callable_float32():
    items = [(C[b], W[b]) for b in range(B)]

    def f(x, item):
        c, w = item
        d = x - c.astype(x.dtype)
        return float(np.sum(w * d * d))

    def g(x, item):
        c, w = item
        return 2.0 * w * (x - c)                  # float64: rounded to float32 per block
    res = adamkit.minimize(f, np.zeros(N, np.float32), jac=g,
                           options={"blocks": items, "maxiter": 10})
    assert res.x.dtype == np.float32 and res.nit == 10
    x = np.zeros(N, np.float32)
    opt = adamkit.Adam(lr=1e-2)
    for _ in range(10):
        s = TreeSum(B)
        for b in range(B):
            s.push(b, b + 1, g(x, items[b]).astype(np.float32))
        opt.step(x, s.result())
    assert_array_equal(res.x, x)


@pytest.mark.parametrize("options, jac, match", [
    ({"blocks": 0}, True, ">= 1"),
    ({"blocks": 2.5}, True, "positive int"),
    ({"blocks": []}, True, "empty"),
    ({"blocks": 3}, None, "gradient of each block"),
    ({"blocks": 3, "batches": [1, 2]}, True, "batches"),
    ({"blocks": 3, "seed": 1}, True, "seed"),
])
def test_blocks_refusals(options, jac, match):
    with pytest.raises((ValueError, TypeError), match=match):
        adamkit.minimize(fun, np.zeros(N), jac=jac, options=options)


def test_blocks_wrong_gradient_size():
    with pytest.raises(ValueError, match="block 0 has 3 elements"):
        adamkit.minimize(lambda x, b: (0.0, np.zeros(3)), np.zeros(N), jac=True,
                         options={"blocks": 2})


def test_import_adamkit_does_not_import_mpi4py():
    code = ("import sys, adamkit, adamkit.tools; "
            "assert 'mpi4py' not in sys.modules and 'adamkit.mpi' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
