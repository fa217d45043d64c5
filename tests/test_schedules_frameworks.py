"""The frameworks' schedules against the frameworks, bit for bit.

``tests/data/schedules/*.npz`` hold what each framework computed (recorded by
``conformance/schedules/record.py`` in the framework's environment; each file's ``meta``
says the versions, the command, the CPU and the date): per case the schedule's JSON config
and its values at t = 0..N-1 as the framework's optimizer sees them, and, per framework,
an optimizer run of 300 steps with a schedule. Here every value is compared with
``adamkit.schedules.from_config(...)`` (0 mismatches), and every run is replayed by the
preset with the schedule as its ``lr`` (the same parameters, bit for bit).
"""

import json
import os

import numpy as np
import pytest

import adamkit
from adamkit import schedules as S

DATA = os.path.join(os.path.dirname(__file__), "data", "schedules")

#: the LambdaLR / MultiplicativeLR functions of the torch recording, by their source text
LAMBDAS = {"lambda epoch: 0.95 ** epoch": lambda epoch: 0.95 ** epoch,
           "lambda epoch: 0.999": lambda epoch: 0.999,
           "lambda epoch: 1.0 / (1.0 + 0.01 * epoch)": lambda epoch: 1.0 / (1.0 + 0.01 * epoch)}


def _load(name):
    path = os.path.join(DATA, name + ".npz")
    z = np.load(path)
    meta = json.loads(str(z["meta"]))
    return z, meta


def _files():
    return sorted(f[:-4] for f in os.listdir(DATA) if f.endswith(".npz"))


#: recording group -> the framework name adamkit.schedules.from_config takes
FRAMEWORK = {"tf1": "tensorflow", "torch_sched": "pytorch", "optax_sched": "optax",
             "optax_sched-x64": "optax", "keras3-tensorflow": "keras",
             "keras3-jax": "keras", "keras3-jax-x64": "keras", "keras3-torch": "keras",
             "tf_keras": "tf_keras",
             "mxnet": "mxnet", "chainer": "chainer"}


def _config(group, config):
    """What the recording wrote, plus what the file name says (x64) and the test's
    lambdas for the torch functions it names."""
    config = json.loads(json.dumps(config))
    if group.endswith("-x64"):
        config["x64"] = True

    def fix(spec):
        if isinstance(spec, list):
            return [fix(s) for s in spec]
        if "schedulers" in spec:
            spec["schedulers"] = fix(spec["schedulers"])
        if "lr_lambda" in (spec.get("args") or {}):
            spec["args"]["lr_lambda"] = LAMBDAS[spec["args"]["lr_lambda"]]
        return spec
    if "scheduler" in config:
        config["scheduler"] = fix(config["scheduler"])
    return config


#: (recording group prefix, schedule class) that adamkit refuses (PresetError) rather than
#: get wrong: torch.cos on the torch backend is MKL's vmsCos; Keras' cosine schedules on JAX
#: mix float32 casts into float64 (x64) and compile ops.cond's branches even eagerly.
REFUSED = {("keras3-torch", "CosineDecay"), ("keras3-torch", "CosineDecayRestarts"),
           ("keras3-jax", "CosineDecay"), ("keras3-jax", "CosineDecayRestarts")}


def _refused(group, config):
    key = (group.replace("-x64", ""), config.get("class"))
    return key in REFUSED or (group.replace("-x64", ""),
                              (config.get("schedule") or {}).get("class")) in REFUSED


def _value_cases():
    for group in _files():
        _, meta = _load(group)
        for case in meta["cases"]:
            if case["kind"] == "values":
                yield pytest.param(group, case["id"], id=f"{group}:{case['id']}")


def _run_cases():
    for group in _files():
        _, meta = _load(group)
        for case in meta["cases"]:
            if case["kind"] == "run":
                yield pytest.param(group, case["id"], id=f"{group}:{case['id']}")


@pytest.mark.parametrize("group", _files())
def test_recordings_say_where_they_come_from(group):
    _, meta = _load(group)
    for key in ("versions", "command", "cpu", "date_utc", "cases"):
        assert meta[key], key
    assert group in FRAMEWORK


@pytest.mark.parametrize("group, case_id", list(_value_cases()))
def test_schedule_values_bit_for_bit(group, case_id):
    z, meta = _load(group)
    case = next(c for c in meta["cases"] if c["id"] == case_id)
    if _refused(group, case["config"]):
        with pytest.raises(adamkit.presets.PresetError, match="not reproduce"):
            S.from_config(FRAMEWORK[group], _config(group, case["config"]))
        return
    sched = S.from_config(FRAMEWORK[group], _config(group, case["config"]))
    want = z[case_id]
    got = np.array([sched(t) for t in range(len(want))], dtype=np.float64)
    # the framework's value is of its dtype; adamkit's float is that value exactly
    assert np.all(got.astype(want.dtype) == got) or want.dtype == np.float64
    bad = np.flatnonzero(got != want.astype(np.float64))
    assert bad.size == 0, (f"{bad.size} of {want.size} differ, first at t={bad[0]}: "
                           f"{got[bad[0]]!r} != {float(want[bad[0]])!r}")
    # a pure function of t: the same values in another order
    for t in (len(want) - 1, 0, len(want) // 2, 1):
        assert sched(t) == float(want[t])


def _optimizer(group, config):
    """The adamkit optimizer that replays an end-to-end run, with the schedule as lr."""
    sched = S.from_config(FRAMEWORK[group], _config(group, config["schedule"]))
    hp = config.get("hyperparameters") or {}
    if group == "tf1":                             # TF1 AdamOptimizer
        return adamkit.Adam(preset="tensorflow.adam", learning_rate=sched)
    if group == "torch_sched":
        return adamkit.Adam(preset="pytorch.adam", lr=sched,
                            **{k: v for k, v in hp.items() if k != "lr"})
    if group.startswith("optax"):
        return adamkit.Adam(preset="optax.adam", learning_rate=sched, jit=hp["jit"])
    if group.startswith("keras3-"):
        backend = config["schedule"]["backend"]
        mode = config["schedule"]["mode"]
        name = {"tensorflow": "keras_tensorflow", "jax": "keras_jax",
                "torch": "keras_torch"}[backend]
        if mode == "eager" and backend != "torch":
            name += "_eager"
        return adamkit.Adam(preset=f"{name}.adam", learning_rate=sched)
    raise AssertionError(group)


@pytest.mark.parametrize("group, case_id", list(_run_cases()))
def test_optimizer_with_schedule_bit_for_bit(group, case_id):
    z, meta = _load(group)
    case = next(c for c in meta["cases"] if c["id"] == case_id)
    opt = _optimizer(group, case["config"])
    p = z[f"{case_id}/p0"].copy()
    grads, params = z[f"{case_id}/grads"], z[f"{case_id}/params"]
    if f"{case_id}/lr" in z:                       # the rate the framework used, per step
        lr = z[f"{case_id}/lr"]
        assert [opt.lr(t) for t in range(len(lr))] == [float(x) for x in lr]
    for t, g in enumerate(grads):
        opt.step(p, g)
        bad = np.flatnonzero(p != params[t + 1])
        assert bad.size == 0, f"step {t + 1}: {bad.size} elements differ, first {bad[0]}"


def test_top_level_tf_schedules_are_tensorflows():
    """schedules.exponential_decay / inverse_time_decay are TensorFlow's, in float32: the
    value TF1's AdamOptimizer receives at global_step 101 is float32(0.0096) - 1 ulp."""
    s = S.exponential_decay(0.01, 100, 0.96, staircase=True)
    assert s(101) == float(np.float32(0.0095999995))
    assert s(101) == S.tensorflow.exponential_decay(0.01, 100, 0.96, staircase=True)(101)
    assert S.inverse_time_decay(0.1, 10, 0.5)(3) == \
        S.tensorflow.inverse_time_decay(0.1, 10, 0.5)(3)
    assert "float32" in S.exponential_decay.__doc__


def test_torch_recursion_is_not_the_closed_form():
    """What torch steps is a recursion: ExponentialLR's value after 5000 steps differs from
    base_lr * gamma ** t (and the recording has torch's, so adamkit must too)."""
    s = S.pytorch.ExponentialLR(0.1, gamma=0.999)
    closed = [0.1 * 0.999 ** t for t in range(5000)]
    assert sum(s(t) != c for t, c in enumerate(closed)) > 100


def test_from_config_refuses_unknown():
    with pytest.raises(ValueError, match="no schedules for framework"):
        S.from_config("nosuch", {})
    with pytest.raises(ValueError, match="no schedule"):
        S.from_config("tensorflow", {"function": "tf.compat.v1.train.nosuch"})
    with pytest.raises(ValueError, match="no scheduler"):
        S.from_config("pytorch", {"lr": 0.1, "scheduler": {"class": "NoSuchLR"}})


def test_framework_schedules_compose():
    s = S.warmup(10) >> S.pytorch.CosineAnnealingLR(0.1, T_max=100)
    assert s(10) == 0.1 and s(5) == 0.05
    assert (S.tensorflow.exponential_decay(0.1, 10, 0.5) * 2)(0) == float(np.float32(0.1)) * 2


def test_replay_builds_the_recorded_schedule(tmp_path):
    """A trajectory whose metadata carries the framework's schedule replays with it."""
    from adamkit.tools import replay, trajectory
    z, meta = _load("torch_sched")
    case = next(c for c in meta["cases"] if c["kind"] == "run")
    cid = case["id"]
    rec = {"framework": "pytorch", "optimizer": "adam", "schedule": case["config"]["schedule"],
           "hyperparameters": {"lr": 0.01}}
    path = str(tmp_path / "run.npz")
    trajectory.save(path, z[f"{cid}/grads"], z[f"{cid}/params"], {}, rec, lr=z[f"{cid}/lr"])
    result = replay.replay_file(path)
    assert result.identical, result
