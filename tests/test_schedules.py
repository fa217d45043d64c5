"""Tests of adamkit.schedules: each schedule against a direct transcription of
its reference formula (TensorFlow, Keras 2, Caffe's SGDSolver::GetLearningRate,
keras-adamw's cosine annealing), composition, and use in the optimizers."""
import ctypes
import ctypes.util
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import adamkit
from adamkit import schedules as S

T = list(range(0, 60)) + [99, 100, 101, 1000, 12345]


def test_constant():
    s = S.constant(0.3)
    assert all(s(t) == 0.3 for t in T)
    assert isinstance(s, S.Schedule) and isinstance(s(0), float)


def _powf(x, y):
    libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    libm.powf.restype, libm.powf.argtypes = ctypes.c_float, [ctypes.c_float] * 2
    return np.float32(libm.powf(float(x), float(y)))


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_tf_formula(staircase):
    """TensorFlow's ops on a Python float learning rate, transcribed: float32 throughout,
    the step Cast to float32, glibc powf (the framework comparison is in
    test_schedules_frameworks.py)."""
    f = np.float32
    lr, steps, rate = 0.1, 7, 0.96
    s = S.exponential_decay(lr, steps, rate, staircase=staircase)
    for t in T:
        p = f(t) / f(steps)
        if staircase:
            p = np.floor(p)
        assert s(t) == float(f(lr) * _powf(f(rate), p))
    assert S.exponential_decay(0.1, 10, 0.5, staircase=True)(25) == float(f(0.1) * f(0.25))
    assert_allclose(S.exponential_decay(0.1, 10, 0.5)(25), 0.1 * 0.5 ** 2.5, rtol=1e-7)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay_tf_formula(staircase):
    f = np.float32
    lr, steps, rate = 0.1, 5, 0.5
    s = S.inverse_time_decay(lr, steps, rate, staircase=staircase)
    for t in T:
        p = f(t) / f(steps)
        if staircase:
            p = np.floor(p)
        assert s(t) == float(f(lr) / (f(1) + f(rate) * p))
    assert S.inverse_time_decay(1.0, 1, 1.0)(3) == 0.25


def test_inverse_sqrt_decay_adam_paper():
    s = S.inverse_sqrt_decay(0.01)
    assert s(0) == 0.01                    # the paper's t = 1
    assert s(3) == 0.005                   # alpha / sqrt(4)
    for t in T:
        assert s(t) == 0.01 / math.sqrt(t + 1)


def test_keras_decay():
    s = S.keras_decay(0.01, 1e-3)
    assert s(0) == 0.01
    for t in T:
        assert s(t) == 0.01 * (1.0 / (1.0 + 1e-3 * t))


# -- Caffe -------------------------------------------------------------------

class _CaffeSolver:
    """Direct transcription of caffe's SGDSolver<Dtype>::GetLearningRate with its C++
    types: the solver's fields are float (np.float32), ``pow(float, int)`` promotes to
    double, everything else is in Dtype (float32: glibc powf/expf, as libstdc++'s
    float overloads call them); and its stateful multistep counter, called once per
    iteration from iter 0 like caffe's Solver::Step."""

    def __init__(self, policy, base_lr, gamma=None, power=None, stepsize=None,
                 stepvalue=(), max_iter=None, dtype="float32"):
        f = np.float32
        self.__dict__.update(policy=policy, base_lr=f(base_lr), gamma=f(gamma or 0),
                             power=f(power or 0), stepsize=stepsize, stepvalue=list(stepvalue),
                             max_iter=max_iter, D=np.float32 if dtype == "float32" else float)
        self.current_step = 0

    def rate(self, it):
        p, D = self.policy, self.D
        libm = ctypes.CDLL(ctypes.util.find_library("m"))
        for name, t, k in (("powf", ctypes.c_float, 2), ("expf", ctypes.c_float, 1),
                           ("pow", ctypes.c_double, 2), ("exp", ctypes.c_double, 1)):
            getattr(libm, name).restype, getattr(libm, name).argtypes = t, [t] * k
        dpow = (lambda x, y: libm.powf(x, y)) if D is np.float32 else libm.pow
        dexp = (lambda x: libm.expf(x)) if D is np.float32 else libm.exp
        base = float(self.base_lr)
        if p == "fixed":
            return D(base)
        if p == "step":
            self.current_step = it // self.stepsize
            return D(base * libm.pow(float(self.gamma), self.current_step))
        if p == "exp":
            return D(base * libm.pow(float(self.gamma), it))
        if p == "inv":
            x = D(np.float32(self.gamma * np.float32(it))) + D(1)
            return D(D(base) * D(dpow(x, -float(self.power))))
        if p == "multistep":
            if (self.current_step < len(self.stepvalue)
                    and it >= self.stepvalue[self.current_step]):
                self.current_step += 1
            return D(base * libm.pow(float(self.gamma), self.current_step))
        if p == "poly":
            return D(D(base) * D(dpow(D(1) - D(it) / D(self.max_iter), float(self.power))))
        if p == "sigmoid":
            e = D(dexp(D(-self.gamma) * (D(it) - D(self.stepsize))))
            return D(D(base) * (D(1) / (D(1) + e)))
        raise AssertionError(p)


CAFFE_CASES = [
    dict(policy="fixed", base_lr=0.01),
    dict(policy="step", base_lr=0.01, gamma=0.1, stepsize=10),
    dict(policy="exp", base_lr=0.01, gamma=0.99),
    dict(policy="inv", base_lr=0.01, gamma=1e-4, power=0.75),
    dict(policy="multistep", base_lr=0.01, gamma=0.5, stepvalue=[5, 20, 21, 40]),
    # duplicate / out-of-order step values: caffe advances one per iteration
    dict(policy="multistep", base_lr=1.0, gamma=0.1, stepvalue=[0, 3, 3, 3, 2, 50]),
    dict(policy="poly", base_lr=0.01, power=0.9, max_iter=60),
    dict(policy="poly", base_lr=0.01, power=2.0, max_iter=60),
    dict(policy="sigmoid", base_lr=0.01, gamma=-0.1, stepsize=30),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CAFFE_CASES, ids=lambda c: c["policy"])
def test_caffe_policies(case, dtype):
    """Bit for bit Caffe<Dtype>'s own arithmetic (0 ULP, NaN where Caffe's pow gives NaN)."""
    ref = _CaffeSolver(**case, dtype=dtype)
    expected = [float(ref.rate(t)) for t in range(61)]
    kw = {k: v for k, v in case.items() if k not in ("policy", "base_lr")}
    s = S.caffe(case["policy"], case["base_lr"], dtype=dtype, **kw)
    got = [s(t) for t in range(61)]
    assert np.array_equal(got, expected, equal_nan=True)
    # stateless: any order, any repetition, same values
    for t in (60, 3, 3, 0, 41, 22):
        assert s(t) == expected[t]


def test_caffe_multistep_counts_one_per_iteration():
    s = S.caffe("multistep", 1.0, gamma=0.1, stepvalue=[3, 3, 10])
    # at iter 3 only one step is taken, the second at iter 4 (caffe's counter)
    assert_allclose([s(t) for t in (2, 3, 4, 9, 10)], [1, 0.1, 0.01, 0.01, 0.001])


def test_caffe_poly_past_max_iter_is_nan_like_c_pow():
    s = S.caffe("poly", 0.01, power=0.5, max_iter=10)
    assert s(10) == 0.0
    assert math.isnan(s(11))
    assert S.caffe("poly", 1.0, power=2.0, max_iter=10)(15) == 0.25


@pytest.mark.parametrize("policy, kw, match", [
    ("cosine", {}, "Unknown learning rate policy"),
    ("step", {"gamma": 0.1}, "stepsize"),
    ("step", {"gamma": 0.1, "stepsize": 0}, "stepsize"),
    ("exp", {"gamma": -0.1}, "gamma"),
    ("inv", {"gamma": 0.1}, "power"),
    ("poly", {"power": 1.0}, "max_iter"),
])
def test_caffe_errors(policy, kw, match):
    with pytest.raises(ValueError, match=match):
        S.caffe(policy, 0.01, **kw)


# -- cosine annealing / SGDR --------------------------------------------------

def _keras_adamw_eta(total_iterations, n, eta_min=0.0, eta_max=1.0):
    """keras-adamw's eta_t for the steps t = 0..n-1 (autorestart), transcribed:
    the variable starts at 1.0; after each step t_cur <- 0 if t_cur == TI-1
    else t_cur+1, and eta_t <- eta_min + (eta_max - eta_min)/2 *
    (1 + cos(pi * t_cur / (TI - 1)))."""
    out, t_cur, eta = [], 0, 1.0
    for _ in range(n):
        out.append(eta)
        t_cur = 0 if t_cur == total_iterations - 1 else t_cur + 1
        eta = eta_min + 0.5 * (eta_max - eta_min) * (
            1 + math.cos(math.pi * t_cur / (total_iterations - 1)))
    return out


@pytest.mark.parametrize("eta_min, eta_max", [(0.0, 1.0), (0.1, 0.9)])
def test_sgdr_matches_keras_adamw(eta_min, eta_max):
    s = S.sgdr(0.01, 25, eta_min=eta_min, eta_max=eta_max)
    expected = [0.01 * e for e in _keras_adamw_eta(25, 100, eta_min, eta_max)]
    got = [s(t) for t in range(100)]
    # keras-adamw's first step uses the variable's initial 1.0
    assert_allclose(got[1:], expected[1:], rtol=1e-14, atol=1e-17)
    assert got[0] == 0.01 * eta_max
    if eta_max == 1.0:
        assert got[0] == expected[0]
    assert s(25) == 0.01 * eta_max
    assert_allclose(s(24), 0.01 * eta_min, atol=1e-17)


def test_sgdr_period_mult():
    s = S.sgdr(1.0, 4, period_mult=2)
    vals = np.array([s(t) for t in range(60)])
    restarts = [t for t in range(1, 60) if vals[t] == 1.0]
    assert restarts == [4, 12, 28]                  # periods 4, 8, 16, 32
    assert_allclose(vals[11], 0.0, atol=1e-16)      # end of the second period
    third = [0.5 * (1 + math.cos(math.pi * k / 15)) for k in range(16)]
    assert_allclose(vals[12:28], third, rtol=1e-14, atol=1e-16)
    with pytest.raises(ValueError):
        S.sgdr(1.0, 1)
    with pytest.raises(ValueError):
        S.sgdr(1.0, 10, period_mult=0.5)


def test_cosine_single_period():
    s = S.cosine(0.1, 11, eta_min=0.1)
    assert s.duration == 11
    assert s(0) == 0.1
    assert_allclose(s(5), 0.1 * (0.1 + 0.5 * 0.9), rtol=1e-14)
    assert_allclose(s(10), 0.01, rtol=1e-14)
    assert s(11) == s(500) == 0.1 * 0.1


# -- warm-up and composition ----------------------------------------------------

def test_warmup_factor():
    w = S.warmup(10)
    assert [w(t) for t in (0, 5, 10, 11)] == [0.0, 0.5, 1.0, 1.0]
    w = S.warmup(4, start_factor=0.2)
    assert_allclose([w(t) for t in range(6)], [0.2, 0.4, 0.6, 0.8, 1.0, 1.0])


def test_warmup_then_schedule():
    s = S.warmup(100) >> S.cosine(1e-3, period=901)
    assert s(0) == 0.0
    assert_allclose(s(50), 5e-4, rtol=1e-15)
    assert s(100) == 1e-3                       # cosine restarted at 0
    assert_allclose(s(550), 0.5e-3, rtol=1e-12)
    assert s(1000) == 0.0
    assert s.duration == 1001
    # also with a schedule that has no duration, and a plain function after it
    e = S.warmup(10) >> S.exponential_decay(0.1, 10, 0.5)
    assert_allclose([e(t) for t in (0, 5, 10, 20)], [0.0, 0.05, 0.1, 0.05])
    f = S.warmup(10) >> (lambda t: 0.2 / (t + 1))
    assert_allclose([f(5), f(10), f(11)], [0.1, 0.2, 0.1])


def test_warmup_times_schedule_same_clock():
    s = S.warmup(10) * S.exponential_decay(0.1, 10, 0.5)
    assert_allclose([s(t) for t in (0, 5, 10, 20)],
                    [0.0, 0.5 * 0.1 * 0.5 ** 0.5, 0.05, 0.025])
    assert_allclose((0.5 * S.constant(0.2))(7), 0.1)


def test_then_chains_and_boundaries():
    a, b, c = S.constant(1.0), S.constant(2.0), S.inverse_sqrt_decay(3.0)
    s = S.then(a, b, c, boundaries=[5, 8])
    assert [s(t) for t in (0, 4, 5, 7)] == [1.0, 1.0, 2.0, 2.0]
    assert s(8) == 3.0 and s(11) == 1.5          # c's clock restarted at 8
    chained = S.cosine(1.0, 5) >> S.cosine(0.5, 5) >> S.constant(0.1)
    flat = S.then(S.cosine(1.0, 5), S.cosine(0.5, 5), S.constant(0.1))
    assert [chained(t) for t in range(15)] == [flat(t) for t in range(15)]
    with pytest.raises(ValueError, match="no duration"):
        S.constant(1.0) >> S.constant(2.0)
    with pytest.raises(ValueError, match="boundaries"):
        S.then(a, b, boundaries=[3, 4])
    with pytest.raises(ValueError, match="boundaries"):
        S.then(a, b, c, boundaries=[5, 5])


def test_schedules_return_python_floats():
    for s in (S.constant(1), S.exponential_decay(1, 2, 0.5), S.inverse_time_decay(1, 2, 1),
              S.inverse_sqrt_decay(1), S.keras_decay(1, 0.1),
              S.caffe("step", 1, gamma=0.5, stepsize=2), S.sgdr(1, 3),
              S.warmup(3) >> S.constant(1)):
        assert type(s(np.int64(4))) is float


# -- use in the optimizer objects and in minimize --------------------------------

@pytest.mark.parametrize("cls", ["Adam", "AdamW", "AdaMax", "RMSProp"])
def test_schedule_in_optimizer_equals_float_each_step(cls):
    sched = S.warmup(3) >> S.caffe("multistep", 0.05, gamma=0.5, stepvalue=[2, 4])
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((10, 6))
    p1 = np.ones(6)
    p2 = np.ones(6)
    o1 = getattr(adamkit, cls)(lr=sched)
    o2 = getattr(adamkit, cls)(lr=sched(0))
    for g in grads:
        o2.lr = sched(o2.t)
        o1.step(p1, g)
        o2.step(p2, g)
    assert_array_equal(p1, p2)
    assert not np.array_equal(p1, np.ones(6))


def test_schedule_in_minimize_is_called_with_steps_taken():
    calls = []
    base = S.exponential_decay(0.1, 5, 0.5)

    def lr(t):
        calls.append(t)
        return base(t)
    res = adamkit.minimize(lambda x: (0.5 * float(x @ x), x.copy()), np.ones(3), jac=True,
                           options={"lr": lr, "maxiter": 8})
    assert calls == list(range(8)) and res.nit == 8
