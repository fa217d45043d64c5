"""The trajectory format (adamkit.tools.trajectory) and the replay of multi-array
recordings: a round trip of adamkit's own runs (the format, not a framework, is under
test), the checks the loader makes before it inflates anything, and a one-ULP change found
at its step and array."""

import json
import zipfile

import numpy as np
import pytest

import adamkit
from adamkit.tools import trajectory
from adamkit.tools.replay import replay_file

SHAPES = [(3, 5), (7,), (2, 2, 2)]


def _record(tmp_path, dtype=np.float32, T=12):
    """adamkit's own pytorch preset on three arrays, written as a multi-array file."""
    rng = np.random.default_rng(3)
    ps = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    opt = adamkit.Adam(preset="pytorch", lr=1e-2)
    G = [np.empty((T, *s), dtype) for s in SHAPES]
    P = [np.empty((T + 1, *s), dtype) for s in SHAPES]
    S = [{"exp_avg": np.zeros((T + 1, *s), dtype), "exp_avg_sq": np.zeros((T + 1, *s), dtype)}
         for s in SHAPES]
    for k, p in enumerate(ps):
        P[k][0] = p
    for t in range(T):
        gs = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        opt.step(ps, gs)
        for k in range(len(SHAPES)):
            G[k][t], P[k][t + 1] = gs[k], ps[k]
            S[k]["exp_avg"][t + 1] = opt._state[k]["m"].reshape(SHAPES[k])
            S[k]["exp_avg_sq"][t + 1] = opt._state[k]["v"].reshape(SHAPES[k])
    meta = {"framework": "torch", "optimizer": "adam", "variant": "roundtrip",
            "hyperparameters": {"lr": 1e-2}, "dtype": np.dtype(dtype).name, "T": T,
            "arrays": [{"name": f"a{k}", "shape": list(s)} for k, s in enumerate(SHAPES)]}
    path = tmp_path / "multi.npz"
    trajectory.save(path, G, P, S, meta, lr=np.full(T, 1e-2))
    return path


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multi_array_round_trip(tmp_path, dtype):
    path = _record(tmp_path, dtype)
    traj = trajectory.load(path)
    assert traj.multi and traj.steps == 12 and [g.shape[1:] for g in traj.grads] == SHAPES
    r = replay_file(str(path))
    assert r.identical and set(r.max_ulp) == {f"{w}[{k}]" for k in range(3)
                                              for w in ("params", "exp_avg", "exp_avg_sq")}


def test_a_one_ulp_change_is_found_at_its_step_and_array(tmp_path):
    path = _record(tmp_path)
    with np.load(path) as z:
        arrays = {k: z[k].copy() for k in z.files}
    arrays["params_1"][9, 4] = np.nextafter(arrays["params_1"][9, 4], np.float32(np.inf))
    np.savez(tmp_path / "nudged.npz", **arrays)
    r = replay_file(str(tmp_path / "nudged.npz"))
    assert r.first_diff_step == 9 and r.first_diff_array == "params[1]"
    assert r.max_ulp["params[1]"] == 1


def _rewrite(src, dst, **changes):
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    np.savez(dst, **{k: v for k, v in arrays.items() if v is not None})


def test_the_loader_refuses_malformed_files(tmp_path):
    path = _record(tmp_path)
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        g1 = z["grads_1"]
    cases = {
        "shape": dict(grads_1=np.zeros((12, 8), np.float32)),
        "dtype": dict(grads_1=g1.astype(np.float64)),
        "extra": dict(surprise=np.zeros(3)),
        "missing": dict(params_2=None),
        "steps": dict(grads_1=np.zeros((13, 7), np.float32)),
        "meta": dict(meta=np.array(json.dumps({**meta, "arrays": "x"}))),
    }
    for label, change in cases.items():
        bad = tmp_path / f"{label}.npz"
        _rewrite(path, bad, **change)
        with pytest.raises(ValueError):
            trajectory.load(bad)
    with zipfile.ZipFile(tmp_path / "notnpy.npz", "w") as zf:
        zf.writestr("meta.npy", b"not an array")
        zf.writestr("README", b"x")
    with pytest.raises(ValueError):
        trajectory.load(tmp_path / "notnpy.npz")
    with pytest.raises(ValueError, match="inflate"):
        trajectory.load(path, max_bytes=1000)


def _record_groups(tmp_path, T=25):
    """adamkit's own pytorch preset, two parameter groups (their own lr and L2 weight
    decay), each rate halved every 10 steps: the layout of a real-training recording."""
    from adamkit import schedules
    rng = np.random.default_rng(5)
    ps = [rng.standard_normal(s) for s in SHAPES]
    groups = [([0, 2], {"lr": 0.01, "weight_decay": 0.001}), ([1], {"lr": 0.02,
                                                                   "weight_decay": 0.0})]
    opts = [adamkit.Adam(preset="pytorch", lr=schedules.pytorch.StepLR(
        hp["lr"], step_size=10, gamma=0.5), weight_decay=hp["weight_decay"])
        for _, hp in groups]
    G = [np.empty((T, *s)) for s in SHAPES]
    P = [np.empty((T + 1, *s)) for s in SHAPES]
    S = [{"exp_avg": np.zeros((T + 1, *s)), "exp_avg_sq": np.zeros((T + 1, *s))}
         for s in SHAPES]
    lr = np.empty((T, len(SHAPES)))
    for k, p in enumerate(ps):
        P[k][0] = p
    for t in range(T):
        gs = [rng.standard_normal(s) for s in SHAPES]
        for (idx, hp), opt in zip(groups, opts):
            lr[t, idx] = opt.lr(t)
            opt.step([ps[k] for k in idx], [gs[k] for k in idx])
            for j, k in enumerate(idx):
                S[k]["exp_avg"][t + 1] = opt._state[j]["m"].reshape(SHAPES[k])
                S[k]["exp_avg_sq"][t + 1] = opt._state[j]["v"].reshape(SHAPES[k])
        for k in range(len(SHAPES)):
            G[k][t], P[k][t + 1] = gs[k], ps[k]
    meta = {"framework": "torch", "optimizer": "adam", "variant": "groups", "T": T,
            "hyperparameters_effective": {"lr": 0.01, "weight_decay": 0.001},
            "param_groups": [{"arrays": idx, "hyperparameters": hp} for idx, hp in groups],
            "schedule": {"pieces": [{"name": "StepLR", "args": {"step_size": 10,
                                                                 "gamma": 0.5}}]},
            "arrays": [{"name": f"a{k}", "shape": list(s)} for k, s in enumerate(SHAPES)]}
    path = tmp_path / "groups.npz"
    trajectory.save(path, G, P, S, meta, lr=lr)
    return path


def test_param_groups_recorded_rates_and_schedules(tmp_path):
    path = _record_groups(tmp_path)
    traj = trajectory.load(path)
    assert traj.lr.shape == (25, 3)
    for source in (None, "recorded", "schedule"):
        r = replay_file(str(path), lr_source=source)
        assert r.identical, (source, r.max_ulp)
        assert r.lr_source == (source or "recorded")
    r = replay_file(str(path), lr_source="constant")      # the rate halves at step 11
    assert r.first_diff_step == 11


def test_a_per_array_lr_member_must_have_one_column_per_array(tmp_path):
    path = _record_groups(tmp_path)
    _rewrite(path, tmp_path / "bad.npz", lr=np.zeros((25, 2)))
    with pytest.raises(ValueError, match="lr"):
        trajectory.load(tmp_path / "bad.npz")
