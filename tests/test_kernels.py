"""The kernels against the float64 oracle, across threads, and the C header contract."""

import os
import re

import numpy as np
import pytest
import reference as ref

import adamkit
from adamkit import _kernels as K
from adamkit import _rules as R
from adamkit import _vocab

HEADER = os.path.join(os.path.dirname(__file__), "..", "adam_c", "include", "adam_c.h")

SIZES = [0, 1, 7, 8, 9, 4099, 10**6 + 3]
DTYPES = [np.float32, np.float64]
THREADS = [1, 2]

# every value of every ops field, one field at a time, on top of a base row
ADAM_FIELD_VALUES = {
    "maximize": [1], "grad_scale": [1, 2, 3], "grad_decay": [1, 2, 3, 4], "grad_clip": [1],
    "decoupled": [1, 2, 3], "first": [1, 2, 3, 4, 5, 6],
    "second": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    "amsgrad": [1], "numer": [1, 2, 3, 4, 5], "denom": [0, 2, 3, 4, 5, 6, 7, 8],
    "step": [1, 2, 3, 4, 5, 6], "apply": [1, 2, 3, 4, 5, 6], "sqrt_kind": [1], "ftz": [1],
}
RMS_FIELD_VALUES = {
    "maximize": [1], "grad_scale": [1, 2, 3], "grad_decay": [1, 2, 3, 4], "grad_clip": [1],
    "decoupled": [1, 2, 3], "square": [1, 2, 3, 4, 5, 6, 7, 8],
    "center": [1, 2, 3, 4, 5], "denom": [1, 2, 3, 4, 5], "step": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    "momentum": [1, 2, 3, 4, 5, 6, 7, 8], "variance": [1, 2], "sqrt_kind": [1], "ftz": [1],
}


def adam_variants():
    base = {"denom": R.D_SQRT_BC_EPS}
    yield "base", dict(base)
    for field, values in ADAM_FIELD_VALUES.items():
        for val in values:
            yield f"{field}={val}", {**base, field: val}


def rms_variants():
    base = {"denom": R.RD_SQRT_EPS_IN}
    yield "base", dict(base)
    for field, values in RMS_FIELD_VALUES.items():
        for val in values:
            yield f"{field}={val}", {**base, field: val}


def adam_scalars(dtype, t=5):
    r = R.rounder(dtype == np.float32)
    b1, b2 = 0.9, 0.999
    return {k: r(v) for k, v in dict(
        b1=b1, c1=1 - b1, b2=b2, c2=1 - b2, eps=1e-8, eps_root=1e-10, alpha=1e-2 / (1 - b1**t),
        bc1=1 - b1**t, bc1n=1 - b1**(t + 1), bc2=np.sqrt(1 - b2**t), s=0.5, k=0.99,
        gmul=0.75, gdiv=1.5, wd=0.01, clip=0.8, dk=0.999, dlr=1e-2, l1=3e-4, l2=2e-3,
        lo=1e-4, hi=5e-3, dscale=1.25).items()}


def rms_scalars(dtype):
    r = R.rounder(dtype == np.float32)
    return {k: r(v) for k, v in dict(rho=0.9, c=0.1, eps=1e-6, lr=1e-2, mu=0.9, gmul=0.75,
                                      gdiv=1.5, wd=0.01, clip=0.8, dk=0.999, dlr=1e-2,
                                      dscale=1.25).items()}


def data(rng, n, dtype, k):
    """k well-conditioned arrays: p, g ~ N(0,1); moments positive where they must be."""
    out = [rng.standard_normal(n).astype(dtype) for _ in range(k)]
    return out


def assert_close(got, want, dtype, what):
    rtol, atol = (2e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-14)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)


def sized(variants, large_subset):
    """(name, ops, n) cases: every variant at every size, except that the largest size
    (10**6 + 3, several seconds of float64 oracle each) runs on a representative subset."""
    return [pytest.param(name, ops, n, id=f"{name}-n{n}") for name, ops in variants
            for n in SIZES if n <= 10**5 or name in large_subset]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ops,n", sized(adam_variants(), (
    "base", "amsgrad=1", "second=5", "numer=1", "first=2")))
def test_adam_variant_matches_oracle(name, ops, n, dtype, rng):
    p, g, m = data(rng, n, dtype, 3)
    v = np.abs(rng.standard_normal(n)).astype(dtype) + dtype(0.1)
    vh = v + np.abs(rng.standard_normal(n)).astype(dtype)
    s = adam_scalars(dtype)
    want = ref.adam(dict(K.Kernel("adam", ops).ops), s, p, g, m, v, vh)
    for nt in THREADS:
        kern = K.Kernel("adam", ops)
        kern.set_scalars(**s)
        bufs = [x.copy() for x in (p, m, v, vh)]
        kern.run(bufs[0], g, bufs[1], bufs[2], bufs[3], nt)
        for got, exp, label in zip(bufs, want, ("p", "m", "v", "vhat")):
            if label == "vhat" and not ops.get("amsgrad"):
                continue
            assert_close(got, exp, dtype, f"{name} {label} n={n} threads={nt}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ops,n", sized(rms_variants(), (
    "base", "center=1", "momentum=1", "denom=1")))
def test_rmsprop_variant_matches_oracle(name, ops, n, dtype, rng):
    p, g, mg, mom = data(rng, n, dtype, 4)
    mg *= dtype(0.1)
    ms = (np.abs(rng.standard_normal(n)) + 0.5).astype(dtype)
    s = rms_scalars(dtype)
    want = ref.rmsprop(dict(K.Kernel("rmsprop", ops).ops), s, p, g, ms, mg, mom)
    for nt in THREADS:
        kern = K.Kernel("rmsprop", ops)
        kern.set_scalars(**s)
        bufs = [x.copy() for x in (p, ms, mg, mom)]
        kern.run(bufs[0], g, bufs[1], bufs[2], bufs[3], nt)
        for got, exp, label in zip(bufs, want, ("p", "ms", "mg", "mom")):
            if (label == "mg" and not ops.get("center")) or (
                    label == "mom" and ops.get("momentum", 0) in (0, 4, 5)):
                continue
            assert_close(got, exp, dtype, f"{name} {label} n={n} threads={nt}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ops", list(adam_variants()), ids=[v[0] for v in adam_variants()])
def test_adam_bits_independent_of_threads(name, ops, dtype, rng):
    """Same bits for 1 and 2 threads, including NaN, Inf, zeros and denormals in g."""
    n = 3 * 32768 + 5
    p, g, m = data(rng, n, dtype, 3)
    g[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, np.finfo(dtype).smallest_subnormal]
    g[n // 2: n // 2 + 3] = [np.nan, 1e30, -1e-30]
    v = np.abs(rng.standard_normal(n)).astype(dtype)
    vh = v.copy()
    kern = K.Kernel("adam", ops)
    kern.set_scalars(**adam_scalars(dtype))
    results = []
    for nt in (1, 2):
        bufs = [x.copy() for x in (p, m, v, vh)]
        kern.run(bufs[0], g, bufs[1], bufs[2], bufs[3], nt)
        results.append(np.concatenate([b.view(np.uint8) for b in bufs]))
    assert np.array_equal(results[0], results[1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ops", list(rms_variants()), ids=[v[0] for v in rms_variants()])
def test_rmsprop_bits_independent_of_threads(name, ops, dtype, rng):
    n = 3 * 32768 + 5
    p, g, mg, mom = data(rng, n, dtype, 4)
    g[:4] = [0.0, np.nan, np.inf, -np.inf]
    ms = np.abs(rng.standard_normal(n)).astype(dtype)
    kern = K.Kernel("rmsprop", ops)
    kern.set_scalars(**rms_scalars(dtype))
    results = []
    for nt in (1, 2):
        bufs = [x.copy() for x in (p, ms, mg, mom)]
        kern.run(bufs[0], g, bufs[1], bufs[2], bufs[3], nt)
        results.append(np.concatenate([b.view(np.uint8) for b in bufs]))
    assert np.array_equal(results[0], results[1])


def test_threadpoolctl_limit_gives_same_bits(rng):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    n = 200_003
    p0, g = data(rng, n, np.float32, 2)
    outs = []
    for limit in (None, 1):
        p = p0.copy()
        opt = adamkit.Adam(lr=1e-3)
        if limit is None:
            for _ in range(3):
                opt.step(p, g)
        else:
            with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
                assert K.effective_n_threads(None) == 1
                for _ in range(3):
                    opt.step(p, g)
        outs.append(p)
    assert np.array_equal(outs[0].view(np.uint32), outs[1].view(np.uint32))


def test_openmp_enabled():
    if os.environ.get("ADAMKIT_SKIP_OPENMP_TEST"):
        pytest.skip("ADAMKIT_SKIP_OPENMP_TEST is set")
    assert K.openmp_enabled(), "adamkit was built without OpenMP"


def test_effective_n_threads():
    assert K.effective_n_threads(1) == 1
    assert K.effective_n_threads(-1) == K.openmp_max_threads()
    with pytest.raises(ValueError):
        K.effective_n_threads(0)
    with pytest.raises(TypeError):
        K.effective_n_threads(1.5)


def _header_enums():
    text = open(HEADER).read()
    return {name: int(val) for name, val in re.findall(r"(ADAM_C_\w+)\s*=\s*(-?\d+)", text)}


def test_status_codes_agree_with_header():
    enums = _header_enums()
    assert len(_vocab.STATUS) == 4
    for name, value in _vocab.STATUS.items():
        assert enums["ADAM_C_" + name] == value


def test_rule_constants_agree_with_header():
    enums = _header_enums()
    checked = 0
    for name, value in vars(R).items():
        if name.isupper() and isinstance(value, int) and f"ADAM_C_{name}" in enums:
            assert enums[f"ADAM_C_{name}"] == value, name
            checked += 1
    assert checked > 60


def test_struct_fields_agree_with_header():
    text = open(HEADER).read()
    adam_ops = re.search(r"typedef struct adam_c_adam_ops \{(.*?)\}", text, re.S).group(1)
    fields = re.findall(r"int (\w+);", adam_ops)
    assert tuple(fields) == tuple(name for name, _ in _vocab.OPS["adam"])


def test_native_rules_are_specialized():
    """adamkit's own modes run a vectorized loop, not the generic one."""
    for rule in (R.native_adam(), R.native_adam(amsgrad=True), R.native_adam(adamax=True),
                 R.native_rmsprop(), R.native_rmsprop(momentum=0.9),
                 R.native_rmsprop(centered=True)):
        for ch in "fd":
            if rule.name == "native" and rule.ops.get("second") == R.V_MAX_EPS:
                continue  # AdaMax runs the generic loop (see instances.h)
            assert K.Kernel(rule.family, rule.ops).is_specialized(ch), rule.ops


def test_bad_ops_refused():
    with pytest.raises(ValueError, match="unknown adam ops"):
        K.Kernel("adam", {"frist": 1})
    with pytest.raises(ValueError, match="invalid adam ops"):
        K.Kernel("adam", {"first": 99})
    with pytest.raises(ValueError, match="invalid rmsprop ops"):
        K.Kernel("rmsprop", {"momentum": -1})
    with pytest.raises(ValueError, match="unknown family"):
        K.Kernel("sgd", {})


@pytest.mark.parametrize("dtype", DTYPES)
def test_ftz_flushes_subnormal_results_and_restores_the_mode(dtype):
    tiny = np.finfo(dtype).tiny
    outs = {}
    for ftz in (0, 1):
        k = K.Kernel("rmsprop", {"square": R.MS_AXPBY, "denom": R.RD_SQRT_EPS_IN, "ftz": ftz})
        k.set_scalars(rho=0.25, c=0.75, eps=1.0, lr=0.0)
        ms = np.full(4, tiny, dtype)
        k.run(np.zeros(4, dtype), np.zeros(4, dtype), ms, None, None, 1)
        outs[ftz] = ms
    assert (outs[0] > 0).all() and (outs[0] < tiny).all()      # subnormal without ftz
    assert (outs[1] == 0).all()                                 # flushed with it
    assert np.array([tiny], dtype)[0] / dtype(4) > 0            # the caller's mode is back


# adamkit's own scalars, written out in Python from the equations of adam_c.h's
# adam_c_adam_default / adam_c_rmsprop_default: an oracle for the C functions the
# optimizers use (1 - beta, beta^t and the corrections in double, each rounded once).

def _native_adam_scalars(hp, t, lr, f32):
    r = R.rounder(f32)
    b1, b2, wd = hp["b1"], hp["b2"], hp["weight_decay"]
    bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
    return {"b1": r(b1), "c1": r(1.0 - b1), "b2": r(b2), "c2": r(1.0 - b2), "eps": r(hp["eps"]),
            "alpha": r(lr / bc1), "bc1": r(bc1), "bc2": r(np.sqrt(bc2)), "wd": r(wd),
            "dk": r(1.0 - lr * wd), "s": 1.0, "k": 1.0, "gmul": 1.0, "gdiv": 1.0}


def _native_rmsprop_scalars(hp, lr, f32):
    r = R.rounder(f32)
    rho = hp["alpha"]
    return {"rho": r(rho), "c": r(1.0 - rho), "eps": r(hp["eps"]), "lr": r(lr),
            "mu": r(hp["momentum"]), "wd": r(hp["weight_decay"]), "gmul": 1.0, "gdiv": 1.0,
            "dk": 1.0}


@pytest.mark.parametrize("f32", [True, False])
@pytest.mark.parametrize("t", [1, 2, 7, 1000, 10**6])
def test_native_scalars_in_c_equal_python(f32, t):
    hp = {"b1": 0.9, "b2": 0.999, "eps": 1e-8, "weight_decay": 0.01}
    want = _native_adam_scalars(hp, t, 3e-3, f32)
    got = K.native_scalars("adam", 3e-3, (0.9, 0.999, 1e-8, 0.01), t, f32)
    for name, value in want.items():
        assert got[name] == value, name


@pytest.mark.parametrize("f32", [True, False])
@pytest.mark.parametrize("lr", [1e-2, 0.3, 0.0])
def test_native_rmsprop_scalars_in_c_equal_python(f32, lr):
    hp = {"alpha": 0.99, "eps": 1e-8, "momentum": 0.9, "weight_decay": 0.01}
    want = _native_rmsprop_scalars(hp, lr, f32)
    got = K.native_scalars("rmsprop", lr, (0.99, 1e-8, 0.9, 0.01), 5, f32)
    for name, value in want.items():
        assert got[name] == value, name
