"""Long runs and state files.

* ``test_million_small_steps_no_memory_growth``: many small steps (Adam and RMSProp, two
  arrays each, float32 and float64) in a fresh interpreter; the resident set size (RSS,
  from /proc/self/statm) after the run may exceed the RSS after a warm-up by at most a
  small, fixed amount. ``ADAMKIT_LONGRUN_STEPS`` sets the number of steps: the default
  (2*10**5 in CI, 10**5 otherwise) keeps CI short, as a step costs ~0.1 ms of Python;
  ``ADAMKIT_LONGRUN_STEPS=1000000`` is the full run (measured: 0 kB growth).
* State files (``adamkit._io.save_state`` / ``load_state``, format in ``_io.py``): a round
  trip resumes bit-identically; every truncation and every single-bit flip of a file
  gives a clear ValueError or (for bytes no reader checks, e.g. ZIP timestamps) exactly
  the saved state -- never garbage; foreign files, other optimizers and missing files
  are refused; a save is atomic (no temporary file is left behind).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import adamkit
from adamkit import _io

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
STEPS = int(os.environ.get("ADAMKIT_LONGRUN_STEPS", 2 * 10**5 if IN_CI else 10**5))
# Allowed RSS growth after warm-up. A leak of one 8-byte object per step would be 8 MB.
MAX_GROWTH_KB = 2048

CHILD = r"""
import json, sys, time
import numpy as np
import adamkit

def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (__import__("os").sysconf("SC_PAGE_SIZE") // 1024)

steps = int(sys.argv[1])
runs = [(adamkit.Adam(lr=1e-3, amsgrad=True, n_threads=1), np.float32),
        (adamkit.RMSProp(momentum=0.9, centered=True, n_threads=1), np.float64)]
arrays = [([np.zeros(3, dt), np.zeros(5, dt)], [np.ones(3, dt), np.ones(5, dt)])
          for _, dt in runs]
warm = max(1, steps // 20)
rss0 = None
t0 = time.perf_counter()
for i in range(steps):
    k = i & 1
    opt, _ = runs[k]
    p, g = arrays[k]
    opt.step(p, g)
    if i == warm:
        rss0 = rss_kb()
rss1 = rss_kb()
print(json.dumps({"steps": steps, "rss_after_warmup_kb": rss0, "rss_end_kb": rss1,
                  "seconds": time.perf_counter() - t0,
                  "t": [opt.t for opt, _ in runs],
                  "finite": bool(all(np.isfinite(a).all() for p, _ in arrays for a in p))}))
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_million_small_steps_no_memory_growth(report):
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("RSS is meaningless under AddressSanitizer")
    r = subprocess.run([sys.executable, "-c", CHILD, str(STEPS)], capture_output=True,
                       text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    growth = res["rss_end_kb"] - res["rss_after_warmup_kb"]
    report(f"long run: {res['steps']} steps in {res['seconds']:.1f} s, RSS "
                      f"{res['rss_after_warmup_kb']} kB after warm-up -> "
                      f"{res['rss_end_kb']} kB at the end (growth {growth} kB)")
    assert res["t"] == [STEPS // 2 + STEPS % 2, STEPS // 2]
    assert res["finite"]
    assert growth <= MAX_GROWTH_KB, f"RSS grew by {growth} kB over {STEPS} steps"


# --- state files ---------------------------------------------------------------------------

OPTIMIZERS = {
    "adam": lambda: adamkit.Adam(lr=1e-2),
    "amsgrad": lambda: adamkit.Adam(lr=1e-2, amsgrad=True, weight_decay=1e-3),
    "adamw": lambda: adamkit.AdamW(),
    "adamax": lambda: adamkit.AdaMax(),
    "rmsprop": lambda: adamkit.RMSProp(momentum=0.9, centered=True),
    "caffe": lambda: adamkit.Adam(preset="caffe", base_lr=1e-3),
    "torch7": lambda: adamkit.RMSProp(preset="torch7", learningRate=1e-2),
}


def run_steps(opt, params, rng_seed, steps):
    rng = np.random.default_rng(rng_seed)
    for _ in range(steps):
        opt.step(params, [rng.standard_normal(p.shape).astype(p.dtype) for p in params])


def bits(arrays):
    return [a.tobytes() for a in arrays]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_state_file_round_trip_resumes_bit_identically(name, dtype, tmp_path, rng):
    make = OPTIMIZERS[name]
    params = [rng.standard_normal(n).astype(dtype) for n in (7, 33, 1)]
    a = make()
    run_steps(a, params, 1, 5)
    path = tmp_path / "state.npz"
    _io.save_state(a, path)
    saved = [p.copy() for p in params]
    run_steps(a, params, 2, 5)                         # continue the original
    b = make()
    _io.load_state(b, path)
    assert b.t == 5
    resumed = [p.copy() for p in saved]
    run_steps(b, resumed, 2, 5)                        # resume from the file
    assert bits(resumed) == bits(params)
    assert b.t == a.t == 10
    assert os.listdir(tmp_path) == ["state.npz"]      # atomic save: no temp files


def test_state_file_before_any_step(tmp_path):
    a = adamkit.Adam()
    _io.save_state(a, tmp_path / "s.npz")
    b = adamkit.Adam()
    b.step(np.zeros(3), np.ones(3))
    _io.load_state(b, tmp_path / "s.npz")
    assert b.t == 0 and b.state_dict()["state"] is None


def saved_file(tmp_path):
    opt = adamkit.Adam(lr=1e-2, amsgrad=True)
    p = [np.linspace(-1, 1, 6), np.linspace(0, 1, 3)]
    run_steps(opt, p, 3, 3)
    path = tmp_path / "state.npz"
    _io.save_state(opt, path)
    return opt, path


def same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    if sa["t"] != sb["t"] or (sa["state"] is None) != (sb["state"] is None):
        return False
    return all(set(x) == set(y) and all(x[k].dtype == y[k].dtype
                                        and x[k].tobytes() == y[k].tobytes() for k in x)
               for x, y in zip(sa["state"], sb["state"]))


def test_every_truncation_is_a_clear_error(tmp_path):
    opt, path = saved_file(tmp_path)
    data = path.read_bytes()
    bad = tmp_path / "bad.npz"
    for n in range(len(data)):
        bad.write_bytes(data[:n])
        target = adamkit.Adam(lr=1e-2, amsgrad=True)
        with pytest.raises(ValueError, match="not a valid adamkit state file"):
            _io.load_state(target, bad)
        assert target.t == 0 and target.state_dict()["state"] is None


def test_every_bit_flip_is_an_error_or_harmless(tmp_path, report):
    """Flip one bit in each byte of the file (one file per byte): the load either fails
    with a clear ValueError or restores exactly the saved state."""
    opt, path = saved_file(tmp_path)
    data = path.read_bytes()
    bad = tmp_path / "bad.npz"
    refused = harmless = 0
    for i in range(len(data)):
        corrupted = bytearray(data)
        corrupted[i] ^= 1 << (i % 8)
        bad.write_bytes(bytes(corrupted))
        target = adamkit.Adam(lr=1e-2, amsgrad=True)
        try:
            _io.load_state(target, bad)
        except ValueError as e:
            assert "not a valid adamkit state file" in str(e) or "update rule" in str(e) \
                or "holds the state" in str(e), str(e)
            assert target.t == 0
            refused += 1
        else:
            assert same_state(target, opt), f"byte {i}: a corrupted file loaded as garbage"
            harmless += 1
    report(f"state file bit flips: {len(data)} files, {refused} refused, "
                      f"{harmless} harmless (unchecked ZIP metadata)")
    assert refused > 0.75 * len(data)


def test_foreign_and_missing_files(tmp_path):
    opt = adamkit.Adam()
    with pytest.raises(FileNotFoundError):
        _io.load_state(opt, tmp_path / "missing.npz")
    np.save(tmp_path / "x.npy", np.zeros(3))
    np.savez(tmp_path / "y.npz", a=np.zeros(3))
    (tmp_path / "z.npz").write_bytes(b"PK\x03\x04 definitely not a zip")
    (tmp_path / "e.npz").write_bytes(b"")
    for name in ("x.npy", "y.npz", "z.npz", "e.npz"):
        with pytest.raises(ValueError, match="not a valid adamkit state file"):
            _io.load_state(opt, tmp_path / name)
    assert opt.t == 0


def test_other_optimizer_is_refused(tmp_path):
    a = adamkit.Adam()
    a.step(np.zeros(3), np.ones(3))
    _io.save_state(a, tmp_path / "s.npz")
    for other in (adamkit.RMSProp(), adamkit.Adam(amsgrad=True), adamkit.AdaMax()):
        with pytest.raises(ValueError):
            _io.load_state(other, tmp_path / "s.npz")
        assert other.t == 0


def test_no_pickle_in_state_files(tmp_path):
    """Files are read with allow_pickle=False: an object array is refused, not executed."""
    a = adamkit.Adam()
    a.step(np.zeros(3), np.ones(3))
    path = tmp_path / "s.npz"
    _io.save_state(a, path)
    with np.load(path) as z:
        members = {k: z[k] for k in z.files}
    members["s0_m"] = np.array([object()] * 3, dtype=object)
    np.savez(tmp_path / "p.npz", **members)
    with pytest.raises(ValueError, match="not a valid adamkit state file"):
        _io.load_state(adamkit.Adam(), tmp_path / "p.npz")
