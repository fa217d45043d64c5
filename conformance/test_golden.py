"""Every golden trajectory (recorded from real Caffe, Torch7, Lasagne, Blocks and
keras-adamw builds; provenance in golden/README.md) replays through its adamkit preset
bit for bit: 0 ULP in the parameters and in every state array, at every step."""

import glob
import os

import numpy as np
import pytest

from adamkit.tools.replay import replay_file, ulp_distance

GOLDEN = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "golden", "*.npz")))


def test_golden_set_is_complete():
    assert len(GOLDEN) == 56


@pytest.mark.parametrize("path", GOLDEN, ids=[os.path.basename(p)[:-4] for p in GOLDEN])
def test_golden_replays_bit_for_bit(path):
    result = replay_file(path)
    assert result.steps == 100
    assert result.max_ulp["params"] == 0 and result.identical, result.max_ulp


@pytest.mark.parametrize("path", [p for p in GOLDEN if "caffe-adam-l2" in p or
                                  "torch7-adam-custom-float32" in p])
def test_golden_replay_is_thread_count_independent(path):
    a, b = replay_file(path, n_threads=1), replay_file(path, n_threads=2)
    assert a.identical and b.identical


def test_replay_detects_a_one_ulp_change(tmp_path):
    """The comparison can fail: nudge one recorded value by one ULP and replay."""
    src = next(p for p in GOLDEN if "torch7-adam-default-float32" in p)
    with np.load(src) as z:
        arrays = {k: z[k].copy() for k in z.files}
    arrays["params"][50, 7] = np.nextafter(arrays["params"][50, 7], np.float32(np.inf))
    dst = tmp_path / "nudged.npz"
    np.savez(dst, **arrays)
    result = replay_file(str(dst))
    assert not result.identical
    assert result.max_ulp["params"] == 1 and result.first_diff_step == 50


def test_ulp_distance():
    x = np.array([1.0, -0.0, 0.0, np.nan, 1.0], dtype=np.float32)
    y = np.array([np.nextafter(np.float32(1), np.float32(2)), 0.0, -0.0, np.nan, np.nan],
                 dtype=np.float32)
    d = ulp_distance(x, y)
    assert d[0] == 1 and d[1] == 0 and d[2] == 0 and d[3] == 0 and d[4] > 1e9
    tiny = np.array([np.finfo(np.float64).smallest_subnormal, -np.finfo(np.float64).smallest_subnormal])
    assert ulp_distance(tiny[:1], tiny[1:])[0] == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ulp_distance_counts_every_step_at_every_magnitude(dtype):
    """One, two and 1000 steps apart at magnitudes from subnormal to huge, both signs, and
    across zero: exact counts (float64's int64 patterns exceed float64's 53 bits)."""
    info = np.finfo(dtype)
    for x in (info.smallest_subnormal, info.tiny, 1.0, 2.043135627725876, 1e30, info.max / 4):
        for sign in (1, -1):
            a = np.array([sign * x], dtype=dtype)
            for k in (1, 2, 1000):
                b = a.copy()
                for _ in range(k):
                    b = np.nextafter(b, dtype(np.inf) * sign)
                assert ulp_distance(a, b)[0] == k and ulp_distance(b, a)[0] == k
    one = np.array([info.smallest_subnormal], dtype=dtype)
    assert ulp_distance(one, -one)[0] == 2
    big = np.array([info.max], dtype=dtype)
    assert ulp_distance(big, -big)[0] > 1e9
