"""Presets whose bits depend on the arrays updated together (optax under XLA, Keras's
per-tensor clipping), on Keras's floatx, and on torch's threads (ATen's sums)."""

import numpy as np
import pytest

import adamkit
from adamkit import _vocab as V
from adamkit.presets import PresetError
from adamkit.presets._context import torch_threads
from adamkit.presets._reductions import ATEN_GRAIN, sum_aten, sum_xla


def test_optax_rule_depends_on_the_arrays():
    """One array: 1 / (1 - b^t) multiplies; several: 1 - b^t divides (XLA keeps a divisor
    with several users), folded into the denominator under jit."""
    for jit, step in ((True, V.U_DIV_BC), (False, V.U_BC_DIV)):
        opt = adamkit.Adam(preset="optax", learning_rate=1e-3, jit=jit)
        one = opt._rule_for([(5,)]).ops
        two = opt._rule_for([(5,), (1,)]).ops
        assert one["denom"] == V.D_MULBC_SQRT_EPS and one.get("step", 0) == V.U_MUL_DIV
        assert two["denom"] == V.D_BC_SQRT_EPS and two["step"] == step
    nadam = adamkit.Adam(preset="optax.nadam", learning_rate=1e-3)
    assert nadam._rule_for([(3,), (3,)]).ops["numer"] == V.NUM_NADAM_DIV_FMA


def test_optax_several_arrays_step_differs_from_one():
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(256).astype(np.float32)
    alone, together = p0.copy(), p0.copy()
    other, og = np.ones(3, np.float32), np.ones(3, np.float32)
    a = adamkit.Adam(preset="optax", learning_rate=1e-3)
    b = adamkit.Adam(preset="optax", learning_rate=1e-3)
    for _ in range(100):
        g = (rng.standard_normal(256) * 10.0 ** rng.uniform(-3, 3, 256)).astype(np.float32)
        a.step(alone, g)
        b.step([together, other], [g, og])
    assert a._rule.ops.get("step", 0) != b._rule.ops["step"]
    assert np.allclose(alone, together, rtol=1e-5) and not np.array_equal(alone, together)


def test_optax_rule_for_a_set_of_arrays_is_made_once(monkeypatch):
    """The rule for the arrays a step updates is made (its recipe compiled) at the first
    step with that set of shapes, not at every step; another set makes its own, and the
    steps give the bits of a fresh optimizer's."""
    from adamkit.presets import _recipe
    made = []
    real = _recipe.compile_recipe
    monkeypatch.setattr(_recipe, "compile_recipe", lambda *a: made.append(1) or real(*a))
    rng = np.random.default_rng(5)
    one = [rng.standard_normal(64).astype(np.float32)]
    two = [rng.standard_normal(64).astype(np.float32), rng.standard_normal(7).astype(np.float32)]
    opt = adamkit.Adam(preset="optax", learning_rate=1e-3)
    p1, p2 = [a.copy() for a in one], [a.copy() for a in two]
    grads = lambda ps, k: [np.full_like(p, 0.01 * (k + 1)) for p in ps]  # noqa: E731
    opt.step(p2, grads(p2, 0))
    first = len(made)
    assert first > 0
    for k in range(1, 4):
        opt.step(p2, grads(p2, k))
    assert len(made) == first
    ref = adamkit.Adam(preset="optax", learning_rate=1e-3)
    r2 = [a.copy() for a in two]
    for k in range(4):
        ref.step(r2, grads(r2, k))
    assert all(np.array_equal(a, b) for a, b in zip(p2, r2))
    # the rule in force is the one for two arrays (not one array's: other ops)
    assert opt._rule.ops == opt._rule_for([(64,), (7,)]).ops != opt._rule_for([(64,)]).ops
    lone = adamkit.Adam(preset="optax", learning_rate=1e-3)
    lone.step(p1, grads(p1, 0))             # another set of shapes: its own rule, made
    assert len(made) > first


def test_optax_eager_eps_root_for_one_array_is_reproduced():
    opt = adamkit.Adam(preset="optax", learning_rate=1e-3, eps_root=1e-8, jit=False)
    assert opt._rule_for([(4,)]).ops["denom"] == V.D_MULBC_EPSR_SQRT_EPS


@pytest.mark.parametrize("framework", ["keras_tensorflow", "keras_torch", "keras_jax_eager"])
def test_keras_clipnorm_scales_each_array_by_its_own_norm(framework):
    """Per-tensor clipnorm: stepping several arrays together equals stepping each alone."""
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(n) * s for n, s in ((40, 10.0), (70, 0.01), (9, 3.0))]
    grads = [rng.standard_normal(a.size) * 5 for a in arrays]
    together = [a.copy() for a in arrays]
    opt = adamkit.Adam(preset=framework, clipnorm=0.7)
    alone = [(adamkit.Adam(preset=framework, clipnorm=0.7), a.copy()) for a in arrays]
    for _ in range(3):
        opt.step(together, grads)
        for (o, a), g in zip(alone, grads):
            o.step(a, g)
    for t, (_, a) in zip(together, alone):
        assert np.array_equal(t, a)


def test_keras_jax_refuses_norms_xla_does_not_sum_with_its_tree():
    big = np.zeros(4096, np.float32)
    with pytest.raises(PresetError, match="YNNPACK"):
        adamkit.Adam(preset="keras_jax", clipnorm=1.0).step(big, np.ones_like(big))
    assert not big.any()                      # nothing written
    small = np.zeros(20, np.float32)
    with pytest.raises(PresetError, match="fuses the square"):
        adamkit.Adam(preset="keras_jax", global_clipnorm=1.0).step(small, np.ones_like(small))
    wide = np.zeros(100, np.float32)
    adamkit.Adam(preset="keras_jax", clipnorm=1.0).step(wide, np.ones_like(wide))
    adamkit.Adam(preset="keras_jax_eager", clipnorm=1.0).step(small, np.ones_like(small))


def test_keras_floatx():
    with pytest.raises(ValueError, match="floatx must be one of"):
        adamkit.Adam(preset="keras_tensorflow", floatx="float16")
    g = np.full(8, 0.25)
    p32, p64 = np.ones(8), np.ones(8)
    adamkit.Adam(preset="keras_tensorflow", learning_rate=0.1).step(p32, g)
    adamkit.Adam(preset="keras_tensorflow", learning_rate=0.1, floatx="float64").step(p64, g)
    assert not np.array_equal(p32, p64)       # the lr variable: float32 vs float64


def test_torch_threads_as_torch_starts_with_them(monkeypatch):
    from adamkit import _cpu
    monkeypatch.setattr(_cpu, "physical_cores", lambda: 4)
    assert torch_threads({}) == 4
    assert torch_threads({"OMP_NUM_THREADS": "1"}) == 1
    assert torch_threads({"OMP_NUM_THREADS": "8"}) == 4                 # MKL_DYNAMIC caps
    assert torch_threads({"OMP_NUM_THREADS": "8", "MKL_DYNAMIC": "FALSE"}) == 8
    assert torch_threads({"MKL_NUM_THREADS": "2", "OMP_NUM_THREADS": "1"}) == 2


def test_sum_aten_order():
    f32 = np.float32
    x = np.array([1e8, 3, -1e8, 5, 7], f32)           # fewer than 8: 4 accumulators
    acc0 = f32(f32(f32(0) + x[0]) + x[4])
    want = f32(f32(0) + f32(f32(f32(acc0 + x[1]) + x[2]) + x[3]))
    assert sum_aten(x, True) == want
    rng = np.random.default_rng(2)
    y = (rng.standard_normal(ATEN_GRAIN + 5000) * 1e3).astype(f32) ** 2
    k = -(-y.size // 2)                                # two threads: two chunks of ceil(n/2)
    two = f32(f32(0) + f32(f32(f32(0) + sum_aten(y[:k], True)) + sum_aten(y[k:], True)))
    assert sum_aten(y, True, nthreads=2) == two
    assert sum_aten(y[:1000], True, nthreads=2) == sum_aten(y[:1000], True)


def test_sum_xla_windows_each_long_dimension():
    x = np.arange(1, 1 + 10 * 40, dtype=np.float64).reshape(10, 40) ** 3
    win = np.pad(x, [(0, 0), (12, 12)]).reshape(10, 2, 32).transpose(1, 0, 2).reshape(2, -1)
    want = 0.0
    for w in win:
        s = 0.0
        for v in w:
            s += v
        want += s
    assert sum_xla(x, False) == want


def test_sum_eigen_blocks_on_a_thread_pool():
    from adamkit.presets._context import tf_threads
    from adamkit.presets._reductions import eigen_threads, sum_eigen
    assert eigen_threads(108387, True, 8) == 1 and eigen_threads(108388, True, 8) == 2
    assert eigen_threads(54193, False, 8) == 1 and eigen_threads(54194, False, 8) == 2
    assert eigen_threads(10**7, True, 3) == 3
    rng = np.random.default_rng(3)
    xs = [(rng.standard_normal(200003) * 10.0 ** rng.uniform(-3, 3, 200003)).astype(
        np.float32) ** 2 for _ in range(8)]
    assert any(sum_eigen(x, True, 2) != sum_eigen(x, True, 1) for x in xs)
    small = xs[0][:100000]                            # below the cost model's 2 threads
    assert sum_eigen(small, True, 2) == sum_eigen(small, True, 1)
    assert tf_threads({"TF_NUM_INTRAOP_THREADS": "3"}) == 3
