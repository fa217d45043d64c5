"""Hostile hyper-parameters and arguments (issue 13, findings 5, 7, 8, 11): every keyword
of every preset, the optimizer classes' switches, ``step``'s ``lr_mult`` and
``minimize``'s bounds, given values chosen to break them.

The rules checked on every input:

* construction either raises TypeError or ValueError whose message names the framework and
  the keyword (or the adamkit name it was given as), or accepts the value;
* NaN and infinities, strings where a number or a switch is expected, and switches that
  are not True/False/0/1 are never accepted;
* an accepted value of moderate size (|x| <= 1000) gives finite parameters after two steps
  of a finite gradient, or a ValueError before anything is written.

Each test reports how many inputs it tried.
"""

import inspect
import math
import random
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import Bounds

import adamkit
from adamkit import presets

ALLOWED = (TypeError, ValueError)


def _hostile():
    """(value, label) pairs: non-finite, huge, wrong types, strings that read as True."""
    out = [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"),
           (np.float32("nan"), "nan"), (np.float64("inf"), "inf"),
           (10**400, "huge"), (-10**400, "huge"), (1e300, "big"), (-1e300, "big"),
           (1e-300, "tiny"), (-1.0, "neg"), (-1e-12, "neg"), (0.0, "zero"), (-0.0, "zero"),
           (0.5, "mod"), (1.0, "mod"), (2.0, "mod"), (1000.0, "mod"), (3, "mod"), (-3, "neg"),
           (np.float32(0.9), "mod"), (Fraction(1, 3), "mod"),
           ("False", "str"), ("True", "str"), ("", "str"), ("0.9", "str"), ("nan", "str"),
           (None, "none"), (True, "bool"), (False, "bool"), (np.bool_(True), "bool"),
           (0, "int01"), (1, "int01"), (2, "int"), ([], "list"), ([0.9, 0.999], "pair"),
           ((0.9,), "list"), ((math.nan, 0.9), "pair"), ({}, "dict"), (object(), "obj"),
           (1 + 0j, "complex"), (Decimal("0.1"), "decimal"), (np.array(0.9), "array0d"),
           (np.array([0.9, 0.99]), "array")]
    return out


HOSTILE = _hostile()
# the keywords an optimizer class takes itself (checked by the class)
CLASS_FLAGS = ("amsgrad", "nesterov", "maximize", "decoupled_weight_decay", "centered")


def _cls(row):
    if row.family == "rmsprop":
        return adamkit.RMSProp
    return {"adamw": adamkit.AdamW, "adamax": adamkit.AdaMax}.get(row.optimizer, adamkit.Adam)


def _class_args(row):
    """The keywords the optimizer class takes itself (None there means: not given)."""
    return set(inspect.signature(_cls(row).__init__).parameters)


def _keywords(row):
    return [k for k in row.defaults if k not in row.ignored and k not in row.only_default]


def _nonfinite(value):
    try:
        return isinstance(value, (float, np.floating)) and not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _contains_nonfinite(value):
    if isinstance(value, (list, tuple)):
        return any(_contains_nonfinite(v) for v in value)
    return _nonfinite(value)


def _moderate(value):
    try:
        return (not isinstance(value, (bool, np.bool_, str)) and value is not None
                and abs(float(value)) <= 1000)
    except (TypeError, ValueError, OverflowError):
        return False


def _base(row):
    return {name: 1e-3 for name in row.required}


def _try(row, kwargs):
    """(optimizer or None, exception or None)."""
    try:
        return _cls(row)(preset=f"{row.framework}.{row.optimizer}", **kwargs), None
    except ALLOWED as e:
        return None, e


def _steps_ok(row, opt):
    """Two steps of a finite gradient: finite parameters, or a ValueError (nothing
    written). MXNet's Adamax has no epsilon: a zero gradient gives 0/0, as in MXNet."""
    dt = np.float32 if row.dtypes == ("float32",) else np.float64
    p = np.linspace(0.5, 1.5, 37).astype(dt)
    g = np.linspace(-0.3, 0.2, 37).astype(dt)
    g[g == 0] = dt(0.01)
    for _ in range(2):
        before, t = p.copy(), opt.t
        try:
            with np.errstate(all="ignore"):
                opt.step(p, g)
        except ValueError as e:
            assert np.array_equal(p, before) and opt.t == t, f"wrote before raising: {e}"
            return True
    return bool(np.all(np.isfinite(p)))


def test_every_preset_keyword_has_a_spec():
    missing = [(row.name, k) for row in presets.PRESETS.values() for k in _keywords(row)
               if row.spec(k) is None]
    assert not missing


def test_preset_keywords_hostile_values(hostile):
    tried = accepted = refused = 0
    problems = []
    for row in presets.PRESETS.values():
        label = f"{row.framework} {row.optimizer}"
        for key in _keywords(row):
            for value, kind in HOSTILE:
                kwargs = {**_base(row), key: value}
                tried += 1
                opt, err = _try(row, kwargs)
                if err is not None:
                    refused += 1
                    msg = str(err)
                    if key not in msg or not (label in msg or row.framework in msg):
                        problems.append((row.name, key, repr(value), "message", msg[:160]))
                    continue
                accepted += 1
                spec = row.spec(key)
                if _contains_nonfinite(value) or kind in ("huge", "complex", "obj",
                                                          "decimal", "array0d", "array") \
                        or (kind == "dict" and spec.kind != "custom") \
                        or (kind == "none" and not spec.none and spec.kind != "none"
                            and key not in _class_args(row)):   # None: the class default
                    problems.append((row.name, key, repr(value), "accepted"))
                elif kind == "str" and spec.kind not in ("choice", "text"):
                    problems.append((row.name, key, repr(value), "accepted a string"))
                elif spec.kind == "flag" and value is not None \
                        and not isinstance(value, (bool, np.bool_)) and value not in (0, 1):
                    problems.append((row.name, key, repr(value), "accepted as a switch"))
                elif _moderate(value) and not _steps_ok(row, opt):
                    if not (row.name == "mxnet.adamax" and value == 0):
                        problems.append((row.name, key, repr(value), "non-finite steps"))
    hostile(tried, f"hostile params: {tried} preset keyword values ({accepted} accepted, "
                   f"{refused} refused)")
    assert not problems, "\n".join(map(str, problems[:40]))


def test_preset_keywords_random_combinations(hostile):
    """Several keywords at once, values drawn from the hostile list and the defaults:
    only TypeError/ValueError naming the preset, nothing else escapes."""
    rng = random.Random(20261207)
    rows = list(presets.PRESETS.values())
    n = 50_000
    escaped = []
    for _ in range(n):
        row = rng.choice(rows)
        keys = _keywords(row)
        kwargs = _base(row)
        for key in rng.sample(keys, min(len(keys), rng.randint(1, 4))):
            kwargs[key] = rng.choice(HOSTILE)[0] if rng.random() < 0.7 \
                else row.defaults[key]
        try:
            _cls(row)(preset=f"{row.framework}.{row.optimizer}", **kwargs)
        except ALLOWED as e:
            if row.framework not in str(e):
                escaped.append((row.name, sorted(kwargs), str(e)[:120]))
        except Exception as e:  # noqa: BLE001
            escaped.append((row.name, {k: repr(v) for k, v in kwargs.items()},
                            f"{type(e).__name__}: {e}"[:200]))
    hostile(n, f"hostile params: {n} random keyword combinations")
    assert not escaped, "\n".join(map(str, escaped[:30]))


PRESETS_OF = {adamkit.Adam: (None, "pytorch", "keras", "optax", "tensorflow"),
              adamkit.AdamW: (None, "pytorch", "keras", "optax"),
              adamkit.AdaMax: (None, "tensorflow", "optax", "keras2"),
              adamkit.RMSProp: (None, "pytorch", "keras", "optax", "tensorflow")}


@pytest.mark.parametrize("cls", [adamkit.Adam, adamkit.AdamW, adamkit.AdaMax,
                                 adamkit.RMSProp])
def test_class_switches_are_booleans(cls, hostile):
    """Finding 7: nesterov='False', decoupled_weight_decay='False', centered='False' and
    centered=2 enabled the option; amsgrad='False'/None failed inside int()."""
    flags = ("centered", "maximize") if cls is adamkit.RMSProp else \
        ("amsgrad", "nesterov", "maximize", "decoupled_weight_decay")
    tried = 0
    for preset in PRESETS_OF[cls]:
        for flag in flags:
            for value, kind in HOSTILE:
                tried += 1
                kw = {flag: value}
                if preset in ("optax", "tensorflow") and cls is not adamkit.Adam:
                    kw["learning_rate"] = 1e-3
                elif preset == "optax":
                    kw["learning_rate"] = 1e-3
                try:
                    opt = cls(preset=preset, **kw)
                except ALLOWED as e:
                    assert flag in str(e) and (preset is None or preset in str(e)), str(e)
                    continue
                assert kind in ("bool", "int01", "zero", "none") or value in (0, 1), \
                    (cls.__name__, preset, flag, value)
                if kind == "none":          # None: the default (decoupled_weight_decay)
                    assert flag == "decoupled_weight_decay"
                    continue
                if preset is None and flag != "decoupled_weight_decay":
                    ops = opt._kernel.ops
                    field = {"amsgrad": "amsgrad", "nesterov": "numer", "centered": "center",
                             "maximize": "maximize"}[flag]
                    assert bool(ops[field]) == bool(value), (flag, value, ops)
    hostile(tried, f"hostile params: {tried} {cls.__name__} switch values")


def test_finding_5_examples_refused_at_construction():
    """The issue's examples: each refused when the optimizer is built, naming the keyword
    and the framework."""
    nan, inf = math.nan, math.inf
    cases = [("chainer", {"eps": nan}, "eps"), ("keras", {"clipnorm": nan}, "clipnorm"),
             ("keras2", {"decay": nan}, "decay"), ("blocks", {"decay_factor": inf},
                                                   "decay_factor"),
             ("caffe", {"base_lr": 1e-3, "gamma": nan}, "gamma"),
             ("caffe", {"base_lr": 1e-3, "power": inf}, "power"),
             ("caffe", {"base_lr": 1e-3, "stepsize": inf}, "stepsize"),
             ("caffe", {"base_lr": 1e-3, "max_iter": nan}, "max_iter"),
             ("caffe", {"base_lr": 1e-3, "lr_policy": "step"}, "stepsize"),
             ("caffe", {"base_lr": 1e-3, "lr_policy": "poly", "power": 1.0}, "max_iter"),
             ("keras_adamw", {"use_cosine_annealing": True, "total_iterations": 0},
              "total_iterations"),
             ("chainer", {"gamma": 0.0, "adabound": True}, "gamma"),
             ("tf_keras_legacy", {"decay": -1.0}, "decay")]
    for preset, kw, name in cases:
        cls = adamkit.AdamW if preset == "keras_adamw" else adamkit.Adam
        with pytest.raises(ALLOWED) as info:
            cls(preset=preset, **kw)
        msg = str(info.value)
        assert name in msg and preset.split("_")[0] in msg, msg


def test_finding_11_messages_name_the_parameter():
    p = np.zeros(3)
    for kw, name in (({"betas": (0.9,)}, "betas"), ({"betas": (0.9, 0.9, 0.9)}, "betas"),
                     ({"eps": 10**400}, "eps"), ({"lr": 10**400}, "lr"),
                     ({"weight_decay": 10**400}, "weight_decay")):
        with pytest.raises(ALLOWED, match=name):
            adamkit.Adam(**kw)
    for kw in ({"alpha": ""}, {"alpha": []}, {"alpha": False}, {"eps": ""},
               {"weight_decay": []}, {"momentum": False}, {"initial_accumulator": ""}):
        with pytest.raises(TypeError, match=next(iter(kw))):
            adamkit.RMSProp(**kw)
    with pytest.raises(TypeError, match="lr_mult"):
        adamkit.Adam().step([p], [np.ones(3)], lr_mult=2.0)
    opt = adamkit.Adam(lr=1e300)
    with pytest.raises(ValueError, match="lr_mult"):
        opt.step([p], [np.ones(3)], lr_mult=[1e300])
    assert opt.t == 0 and not p.any()
    with pytest.raises(ValueError, match="x0"):
        adamkit.minimize(lambda x: float(x @ x), np.array([]), method="adam")
    with pytest.raises(ValueError, match="bounds"):
        adamkit.minimize(lambda x: float(x @ x), np.zeros(3), method="adam", bounds=[1, 2, 3])
    with pytest.raises(TypeError, match="gtol"):
        adamkit.minimize(lambda x: float(x @ x), np.zeros(2), method="adam",
                         options={"gtol": "x"})


def test_finding_8_bounds_property(hostile):
    """minimize's result is inside the bounds as given, or the bounds are refused (NaN, or
    no value of the iterate's dtype inside them)."""
    rng = np.random.default_rng(20261207)
    tried = refused = 0
    specials = [0.1, 0.1000000001, 1e-45, -1e-45, 1e38, 3.4028235e38, 3.5e38, -0.0, 1.0,
                np.nextafter(np.float32(1), np.float32(2)), math.nan, math.inf, -math.inf]
    for i in range(1500):
        with np.errstate(all="ignore"):
            refused += _one_bounds(rng, specials, i)
        tried += 1
    hostile(tried, f"hostile params: {tried} minimize bounds ({refused} refused)")


def _one_bounds(rng, specials, i):
    """One random box: 1 if refused (and rightly), 0 if the result is inside it."""
    dt = np.float32 if i % 2 else np.float64
    lo = rng.choice(specials) if rng.random() < 0.5 \
        else rng.normal() * 10.0 ** rng.integers(-8, 8)
    width = rng.choice([0.0, 1e-12, 1e-9, 1e-7, 1e-3, 1.0, math.inf])
    hi = rng.choice(specials) if rng.random() < 0.2 else lo + width
    x0 = np.array([rng.normal()], dtype=dt)
    try:
        res = adamkit.minimize(lambda x: float((x[0] - 0.3) ** 2), x0, method="adam",
                               bounds=[(lo, hi)], options={"maxiter": 5})
    except ValueError as e:
        assert "bounds" in str(e) or "upper bound" in str(e), str(e)
        assert (math.isnan(lo) or math.isnan(hi) or hi < lo
                or not _representable(lo, hi, dt)), (lo, hi, dt, str(e))
        return 1
    x = float(res.x[0])
    assert res.x.dtype == dt and lo <= x <= hi, (lo, hi, dt, x)
    return 0


def _representable(lo, hi, dt):
    """Some finite value of dt in [lo, hi]."""
    with np.errstate(over="ignore"):
        v = np.array(lo, dtype=np.float64).astype(dt)
    if not np.isfinite(v) and lo > 0:
        return False
    if float(v) < lo:
        v = np.nextafter(v, dt(np.inf))
    if not np.isfinite(v):
        v = np.array(-np.finfo(dt).max, dtype=dt)
    return bool(np.isfinite(v) and lo <= float(v) <= hi)


def test_bounds_object_nan_refused():
    for b in (Bounds([math.nan], [1.0]), Bounds([0.0], [math.nan])):
        with pytest.raises(ValueError, match="NaN"):
            adamkit.minimize(lambda x: float(x @ x), np.zeros(1), method="adam", bounds=b)


def test_finding_11_c_status_for_t_0():
    """adam_c_adam_default(t=0) filled NaN scalars (1 - b1^0 = 0) through a void
    function: it returns ADAM_C_EARG now, which the binding raises."""
    from adamkit import _kernels, _vocab
    assert _vocab.STATUS["EARG"] == -3
    ok = _kernels.native_scalars("adam", 1e-3, (0.9, 0.999, 1e-8, 0.0), 1, False)
    assert all(math.isfinite(v) for v in ok.values())
    for hp, t in (((0.9, 0.999, 1e-8, 0.0), 0), ((1.0, 0.999, 1e-8, 0.0), 1),
                  ((0.9, 0.999, math.nan, 0.0), 1)):
        with pytest.raises(ValueError, match="range"):
            _kernels.native_scalars("adam", 1e-3, hp, t, False)
    with pytest.raises(ValueError, match="range"):
        _kernels.native_scalars("rmsprop", -1.0, (0.9, 1e-8, 0.0, 0.0), 1, True)


def test_finding_11_replay_refuses_an_extra_params_row():
    from adamkit.tools.replay import replay
    T, n = 3, 4
    g = np.full((T, n), 0.1, np.float32)
    meta = {"framework": "pytorch", "optimizer": "adam", "hyperparameters": {}}
    for params in (np.zeros((T + 2, n), np.float32), np.zeros((T, n), np.float32)):
        with pytest.raises(ValueError, match="rows"):
            replay(g, params, {}, meta)
    assert replay(g, np.zeros((T + 1, n), np.float32), {}, meta).steps == T
