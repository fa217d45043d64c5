"""Compiled scalar recipes (presets/_recipe.py, _recipe.h) against the Python recipes.

Every preset's Python scalar recipe is the reference. The program recorded from it and
run in C must give the same bits for every scalar (NaN for NaN, the sign of zero) at any
step and learning rate, for float32 and float64 buffers, for the defaults and for
random valid hyper-parameters; and an optimizer stepping through the program must write
the same bits as one stepping through the Python recipe (``COMPILE_RECIPES = False``).
"""

import math
import random
import struct

import numpy as np
import pytest

import adamkit
from adamkit import _core, _kernels, _vocab, presets
from adamkit.presets._recipe import Untraceable, compile_recipe

ROWS = sorted(presets.PRESETS.values(), key=lambda r: r.name)
STEPS = (1, 2, 3, 4, 7, 10, 99, 100, 1000, 12_345, 87_500, 2**24 - 1, 2**24, 2**24 + 1,
         10**9 + 7, 2**40 + 3, 2**53)
RATES = (1e-3, 0.1, 1.0, 0.0, 3e-7, 1e-30, 2.5e-41, 7.25, 3.0e38, 1e300)

#: rows whose default configuration keeps its Python recipe, and why
PYTHON_RECIPES: dict[str, str] = {}


def _cls(row):
    if row.family == "rmsprop":
        return adamkit.RMSProp
    return {"adamw": adamkit.AdamW, "adamax": adamkit.AdaMax}.get(row.optimizer, adamkit.Adam)


def _make(row, **kw):
    kw = {**{name: 1e-3 for name in row.required}, **kw}
    return _cls(row)(preset=f"{row.framework}.{row.optimizer}", **kw)


def _bits(x):
    return struct.pack("<d", x)


def _python(rule, hp, t, lr, f32):
    """The Python recipe's scalars in field order (0 where it sets none), or None when
    Python raises (a division by zero or an overflow C gives as inf or NaN)."""
    try:
        with np.errstate(all="ignore"):
            values = rule.scalars(hp, t, lr, f32)
    except (ZeroDivisionError, OverflowError):
        return None
    return [float(values.get(name, 0.0)) for name in _vocab.SCALARS[rule.family]]


def _check(opt, steps=STEPS, rates=RATES):
    rule, hp = opt._rule, opt._hp
    mismatches = []
    for f32 in (False, True):
        prog = opt._programs[f32]
        for t in steps:
            for lr in rates:
                want = _python(rule, hp, t, lr, f32)
                got = _kernels.run_recipe(prog, t, lr)
                if want is None:
                    if all(math.isfinite(x) for x in got):
                        mismatches.append((t, lr, f32, "Python raised, C finite"))
                    continue
                for name, w, g in zip(_vocab.SCALARS[rule.family], want, got):
                    if _bits(w) != _bits(g) and not (math.isnan(w) and math.isnan(g)):
                        mismatches.append((t, lr, f32, name, w, g))
    return mismatches


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_default_recipe_is_compiled_and_exact(row):
    opt = _make(row)
    if opt._rule.c_scalars is not None:
        pytest.skip("adamkit's own C scalars")
    if opt._programs is None:
        assert row.name in PYTHON_RECIPES, _why(opt)
        return
    assert row.name not in PYTHON_RECIPES, "compiled now: take it off PYTHON_RECIPES"
    assert not _check(opt)[:10]


def _why(opt):
    try:
        compile_recipe(opt._rule.scalars, opt._hp, True, _vocab.SCALARS[opt._rule.family],
                       strict=True)
    except Untraceable as e:
        return f"not compiled: {e}"
    return "not compiled"


def _random_keywords(row, rng):
    """Valid-looking values for a random subset of the row's keywords."""
    kw = {}
    for key, default in row.defaults.items():
        if key in row.ignored or key in row.only_default or rng.random() < 0.5:
            continue
        if isinstance(default, bool):
            kw[key] = rng.random() < 0.5
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            kw[key] = rng.choice([default, 0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 1e-8, 1e-3,
                                  0.1, 2.0, 0.25 + rng.random() * 0.7])
        elif isinstance(default, tuple) and len(default) == 2:
            kw[key] = (rng.choice([0.0, 0.5, 0.9, default[0]]),
                       rng.choice([0.9, 0.99, 0.999, default[1]]))
    return kw


def test_random_hyperparameters_compile_exactly():
    """Random valid hyper-parameter sets of every row: the programs give the Python
    recipe's bits (the sets refused at construction are skipped; the count of checked
    sets must be large)."""
    rng = random.Random(20261207)
    checked, mismatches = 0, []
    for _ in range(1500):
        row = rng.choice(ROWS)
        try:
            opt = _make(row, **_random_keywords(row, rng))
        except (TypeError, ValueError):
            continue
        if opt._programs is None:
            continue
        checked += 1
        steps = (1, 2, rng.randint(3, 10**6), 2**24 + 1)
        rates = (1e-3, rng.random(), 10 ** rng.uniform(-12, 2))
        bad = _check(opt, steps, rates)
        if bad:
            mismatches.append((row.name, opt._hp, bad[:3]))
    assert checked > 600, checked
    assert not mismatches, "\n".join(map(str, mismatches[:10]))


def _twin_steps(row, kw, dt, steps=40, reset_to=None):
    """Parameters after `steps` steps through the program and through the Python recipe."""
    out = []
    for compiled in (True, False):
        _core.COMPILE_RECIPES = compiled
        try:
            opt = _make(row, **kw)
        finally:
            _core.COMPILE_RECIPES = True
        assert (opt._programs is not None) == compiled
        rng = np.random.default_rng(5)
        ps = [rng.standard_normal(n).astype(dt) for n in (3, 64, 257)]
        for k in range(steps):
            gs = [rng.standard_normal(p.size).astype(dt) * dt(10.0 ** (k % 7 - 4)) for p in ps]
            opt.step(ps, gs)
            if reset_to is not None and k == steps // 2:
                opt.t = reset_to
        out.append(ps)
    return out


TWINS = [(name, dt) for name in ("pytorch.adam", "tensorflow.adam", "keras_torch.adam",
                                  "keras_tensorflow.adamw", "optax.nadam", "mxnet.adam",
                                  "chainer.adabound", "caffe.adam", "torch7.rmsprop",
                                  "tf_keras_legacy.adam", "keras_adamw.adamw")
         for dt in (np.float32, np.float64)
         if np.dtype(dt).name in presets.PRESETS[tuple(name.split("."))].dtypes]


@pytest.mark.parametrize("name, dt", TWINS, ids=lambda x: getattr(x, "__name__", x))
@pytest.mark.parametrize("reset_to", [None, 3, 10**6])
def test_steps_through_the_program_write_the_recipes_bits(name, dt, reset_to):
    """Whole steps (three arrays): the same bits either way, also after ``t`` is set back
    or forward (TF1's running beta powers keep their last value in the program)."""
    row = presets.PRESETS[tuple(name.split("."))]
    a, b = _twin_steps(row, {}, dt, reset_to=reset_to)
    for x, y in zip(a, b):
        assert x.tobytes() == y.tobytes()


def test_a_recipe_that_branches_on_t_keeps_python():
    """keras-adamw's cosine annealing branches on t: not compiled; its steps still run
    (through the Python recipe)."""
    row = presets.PRESETS[("keras_adamw", "adamw")]
    opt = _make(row, use_cosine_annealing=True, total_iterations=50)
    assert opt._programs is None
    with pytest.raises(Untraceable):
        compile_recipe(opt._rule.scalars, opt._hp, True, _vocab.SCALARS["adam"], strict=True)
    p, g = np.ones(5, np.float32), np.full(5, 0.1, np.float32)
    opt.step(p, g)
    assert np.all(np.isfinite(p))


def test_non_finite_scalars_refused_before_writing():
    """A compiled recipe's non-finite scalar raises before anything is written, naming it."""
    opt = _make(presets.PRESETS[("pytorch", "adam")], lr=1e308)
    assert opt._programs is not None
    p, g = np.ones(5), np.full(5, 0.1)
    opt.t = 1
    with pytest.raises(ValueError, match="nothing was written"):
        with np.errstate(all="ignore"):
            opt.step(p, g)
    assert np.array_equal(p, np.ones(5)) and opt.t == 1
