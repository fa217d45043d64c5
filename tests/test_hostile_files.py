"""Hostile files (issue 13, findings 2, 3 and 11): crafted state and trajectory files of at
most 2 MB, special files, and mutated files, through every reader: ``load_state``
(``adamkit._io.read_state``), ``adamkit.tools.trajectory.load`` and
``adamkit.tools.replay.replay_file``.

Each crafted file is read in a child forked from a warmed-up driver (``python
tests/test_hostile_files.py --measure``), under an address-space limit (so that a
regression fails with MemoryError instead of taking the machine's memory), with a
timeout (so that a FIFO that blocks fails instead of hanging). The child reports its peak
resident memory above what it started with and its CPU time: every reader must refuse or
accept each file with at most ``PEAK_MB`` more memory and ``CPU_S`` seconds of CPU time
(bounds on hostile input, about 10 times what the readers take here; they are not speed
goals). The mutation fuzz reports how many files it read.
"""

import io
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

PEAK_MB = 50
CPU_S = 5.0
N_MUTATIONS = int(os.environ.get("ADAMKIT_FILE_FUZZ_N", "20000"))


# ---------------------------------------------------------------------------------------
# crafting files
# ---------------------------------------------------------------------------------------

def npy_header(shape, dtype, version=1):
    """The bytes of an .npy header (magic, length, dict) for shape and dtype."""
    buf = io.BytesIO()
    d = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
         "shape": tuple(shape)}
    if version == 1:
        np.lib.format.write_array_header_1_0(buf, d)
    else:
        np.lib.format.write_array_header_2_0(buf, d)
    return buf.getvalue()


def write_zip(path, members):
    """members: [(name, header_bytes, n_zero_bytes_or_payload, compress)], streamed so that
    a member of hundreds of MB of zeros is never held in memory."""
    with zipfile.ZipFile(path, "w", allowZip64=True) as zf:
        for name, head, body, compress in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            with zf.open(info, "w") as f:
                f.write(head)
                if isinstance(body, int):
                    chunk = bytes(1 << 20)
                    for left in range(body, 0, -len(chunk)):
                        f.write(chunk[:left])
                else:
                    f.write(body)


def state_meta(buffers, t=1, sha="0" * 64):
    meta = {"format": "adamkit-state", "version": 1, "t": t, "family": "adam",
            "preset": None, "ops": {}, "hyperparameters": {}, "n_arrays": len(buffers),
            "buffers": buffers, "sha256": sha}
    return json.dumps(meta)


def unicode_member(text):
    a = np.array(text)
    return npy_header(a.shape, a.dtype), a.tobytes()


def traj_meta(**extra):
    return json.dumps({"framework": "pytorch", "optimizer": "adam", "hyperparameters": {},
                       "dtype": "float32", **extra})


def craft(tmp):
    """{name: (path, readers, expected outcome)}; every file is at most 2 MB."""
    tmp = Path(tmp)
    out = {}
    M = "__adamkit_state__.npy"

    def add(name, members, readers, outcome="ValueError"):
        path = tmp / f"{name}.npz"
        write_zip(path, members)
        assert path.stat().st_size <= 2 * 2**20, (name, path.stat().st_size)
        out[name] = (str(path), readers, outcome)

    # -- state files (finding 2) --
    n = 40_000_000                                # 320 MB of float64 zeros, deflated
    add("state_deflated_buffer", [(M, *unicode_member(state_meta([["m"]])), False),
                                  ("s0_m.npy", npy_header((n,), "<f8"), 8 * n, True)],
        ["state"])
    add("state_header_lies", [(M, *unicode_member(state_meta([["m"]])), False),
                              ("s0_m.npy", npy_header((10**12,), "<f8"), bytes(80), False)],
        ["state"])
    add("state_bloated_meta", [(M, npy_header((), "<U80000000"), 4 * 80_000_000, True)],
        ["state"])
    add("state_json_depth", [(M, *unicode_member("[" * 200_000), False)], ["state"])
    add("state_header_4gb", [(M, *unicode_member(state_meta([["m"]])), False),
                             ("s0_m.npy", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{", b"", False)],
        ["state"])
    add("state_many_members", [(M, *unicode_member(state_meta([["m"]] * 7000)), False)]
        + [(f"s{i}_m.npy", npy_header((1,), "<f8"), bytes(8), False) for i in range(7000)],
        ["state"])
    # -- trajectory files (findings 2, 3) --
    T, n = 200, 200_000                            # 200 + 201 rows of 0.8 MB zeros: 320 MB
    add("traj_deflated", [("meta.npy", *unicode_member(traj_meta()), False),
                          ("grads.npy", npy_header((T, n), "<f4"), 4 * T * n, True),
                          ("params.npy", npy_header((T + 1, n), "<f4"), 4 * (T + 1) * n, True)],
        ["traj", "replay"])
    T = 10**6                                      # 10^6 steps of an empty array
    add("traj_empty_steps", [("meta.npy", *unicode_member(traj_meta()), False),
                             ("grads.npy", npy_header((T, 0), "<f4"), b"", False),
                             ("params.npy", npy_header((T + 1, 0), "<f4"), b"", False)],
        ["traj", "replay"])
    T = 10**6                                      # 10^6 steps of one element: 8 MB
    add("traj_long", [("meta.npy", *unicode_member(traj_meta()), False),
                      ("grads.npy", npy_header((T, 1), "<f4"), 4 * T, True),
                      ("params.npy", npy_header((T + 1, 1), "<f4"), 4 * (T + 1), True)],
        ["traj", "replay"])
    add("traj_header_lies", [("meta.npy", *unicode_member(traj_meta()), False),
                             ("grads.npy", npy_header((10, 10**8), "<f4"), bytes(400), False),
                             ("params.npy", npy_header((11, 10**8), "<f4"), bytes(440), False)],
        ["traj", "replay"])
    add("traj_no_framework", [("meta.npy", *unicode_member(json.dumps({"x": 1})), False),
                              ("grads.npy", npy_header((2, 3), "<f4"), bytes(24), False),
                              ("params.npy", npy_header((3, 3), "<f4"), bytes(36), False)],
        ["traj", "replay"])
    add("traj_extra_params_row", [("meta.npy", *unicode_member(traj_meta()), False),
                                  ("grads.npy", npy_header((2, 3), "<f4"), bytes(24), False),
                                  ("params.npy", npy_header((4, 3), "<f4"), bytes(48), False)],
        ["traj", "replay"])
    # the most a file of at most 2 MB may inflate to by default (MIN_CAP = MAX_RATIO x 2 MB),
    # with the most steps: read and replayed within the bounds
    from adamkit.tools import trajectory
    T = trajectory.MAX_STEPS
    n = (trajectory.MAX_RATIO * 2 * 2**20 - 4096) // (4 * (2 * T + 1))
    add("traj_largest_accepted", [
        ("meta.npy", *unicode_member(traj_meta()), False),
        ("grads.npy", npy_header((T, n), "<f4"), 4 * T * n, True),
        ("params.npy", npy_header((T + 1, n), "<f4"), bytes(4 * (T + 1) * n - 1) + b"\x01",
         True)], ["traj", "replay"], outcome="ok")
    # -- special files (finding 11) --
    fifo = tmp / "fifo.npz"
    os.mkfifo(fifo)
    out["fifo"] = (str(fifo), ["state", "traj", "replay"], "ValueError")
    (tmp / "dir.npz").mkdir()
    out["directory"] = (str(tmp / "dir.npz"), ["state", "traj", "replay"], "ValueError")
    if os.path.exists("/dev/zero"):
        out["dev_zero"] = ("/dev/zero", ["state", "traj", "replay"], "ValueError")
    out["missing"] = (str(tmp / "missing.npz"), ["state", "traj", "replay"],
                      "FileNotFoundError")
    return out


# ---------------------------------------------------------------------------------------
# the driver: a warm process that forks one child per (file, reader)
# ---------------------------------------------------------------------------------------

def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _vm():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _read(reader, path):
    import adamkit
    from adamkit.tools import replay, trajectory
    if reader == "state":
        adamkit.Adam().load_state(path)
    elif reader == "traj":
        trajectory.load(path)
    else:
        replay.replay_file(path)


def measure(files, timeout=60):
    """{(name, reader): {"outcome", "peak_mb", "cpu_s"}} from one forked child each."""
    import adamkit  # noqa: F401  (warm: the children start from here)
    from adamkit.tools import replay  # noqa: F401
    results = {}
    for name, (path, readers, _) in files.items():
        for reader in readers:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                try:
                    limit = _vm() + (768 << 20)
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                    base = _rss()
                    c0 = time.process_time()
                    try:
                        _read(reader, path)
                        outcome = "ok"
                    except (ValueError, FileNotFoundError) as e:
                        outcome = type(e).__name__ if type(e) is FileNotFoundError \
                            else "ValueError"
                    except BaseException as e:  # noqa: BLE001
                        outcome = f"{type(e).__name__}: {str(e)[:150]}"
                    cpu = time.process_time() - c0
                    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
                    os.write(w, json.dumps({"outcome": outcome, "peak_mb": peak / 2**20,
                                            "cpu_s": cpu}).encode())
                finally:
                    os._exit(0)
            os.close(w)
            t0 = time.monotonic()
            while time.monotonic() - t0 < timeout:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.01)
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            data = os.read(r, 1 << 16)
            os.close(r)
            results[f"{name}/{reader}"] = json.loads(data) if data else {
                "outcome": "hung or died", "peak_mb": None, "cpu_s": None}
    return results


@pytest.mark.skipif(not hasattr(os, "fork") or not os.path.exists("/proc/self/statm"),
                    reason="measures through fork and /proc")
def test_crafted_files_are_refused_within_bounds(tmp_path, hostile):
    out = tmp_path / "results.json"
    r = subprocess.run([sys.executable, __file__, "--measure", str(tmp_path), str(out)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(out.read_text())
    files = {k: v for k, v in res.pop("_expected").items()}
    bad = []
    for key, m in res.items():
        want = files[key.split("/")[0]]
        if m["outcome"] != want or m["peak_mb"] is None or m["peak_mb"] > PEAK_MB \
                or m["cpu_s"] > CPU_S:
            bad.append((key, m, want))
    worst_mb = max(m["peak_mb"] or 0 for m in res.values())
    worst_cpu = max(m["cpu_s"] or 0 for m in res.values())
    hostile(len(res), f"hostile files: {len(res)} crafted (file, reader) pairs; worst peak "
           f"{worst_mb:.1f} MB above start, worst CPU {worst_cpu:.2f} s")
    assert not bad, json.dumps(bad, indent=1)


# ---------------------------------------------------------------------------------------
# mutated files
# ---------------------------------------------------------------------------------------

def _valid_state(tmp):
    import adamkit
    opt = adamkit.Adam(preset="pytorch", amsgrad=True)
    ps = [np.linspace(-1, 1, 7), np.linspace(0, 1, 3)]
    opt.step(ps, [np.cos(p) for p in ps])
    path = Path(tmp) / "valid_state.npz"
    opt.save_state(path)
    return path, opt.state_dict()


def _valid_traj(tmp):
    from adamkit.tools import trajectory
    T, n = 4, 5
    g = np.linspace(-1, 1, T * n, dtype=np.float32).reshape(T, n)
    p = np.zeros((T + 1, n), np.float32)
    path = Path(tmp) / "valid_traj.npz"
    trajectory.save(path, g, p, {}, json.loads(traj_meta()))
    return path


def _mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4))):
        kind = rng.randrange(5)
        i = rng.randrange(len(data)) if data else 0
        if kind == 0 and data:                       # flip a bit
            data[i] ^= 1 << rng.randrange(8)
        elif kind == 1:                              # truncate
            del data[i:]
        elif kind == 2 and data:                     # a random byte
            data[i] = rng.randrange(256)
        elif kind == 3:                              # insert bytes
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif data:                                   # a 32-bit field set to a big value
            data[i:i + 4] = rng.choice((0xFFFFFFFF, 0x7FFFFFFF, 2**31, 10**9)).to_bytes(
                4, "little")
    return bytes(data)


def test_mutated_files_refused_or_unchanged(tmp_path, hostile):
    """Every mutation of a valid state or trajectory file is refused with ValueError, or
    (a byte the format does not read) read back unchanged; never another exception."""
    import adamkit
    from adamkit._io import read_state
    from adamkit.tools import trajectory
    rng = random.Random(20261207)
    state_path, want = _valid_state(tmp_path)
    traj_path = _valid_traj(tmp_path)
    want_traj = trajectory.load(traj_path)
    sources = [("state", state_path.read_bytes()), ("traj", traj_path.read_bytes())]
    counts = {"refused": 0, "read back unchanged": 0}
    path = None
    for i in range(N_MUTATIONS):
        kind, data = sources[i % 2]
        if path is not None:
            path.unlink()
        path = tmp_path / f"mutant{i}.npz"       # a new file: truncating one flushes (ext4)
        path.write_bytes(_mutate(rng, data))
        try:
            if kind == "state":
                got = read_state(path)
                assert got["t"] == want["t"] and got["ops"] == want["ops"]
                for a, b in zip(got["state"], want["state"]):
                    assert {k: v.tobytes() for k, v in a.items()} == \
                        {k: v.tobytes() for k, v in b.items()}
                adamkit.Adam(preset="pytorch", amsgrad=True).load_state(path)
            else:
                got = trajectory.load(path)
                assert got.grads.tobytes() == want_traj.grads.tobytes()
                assert got.params.tobytes() == want_traj.params.tobytes()
            counts["read back unchanged"] += 1
        except ValueError:
            counts["refused"] += 1
    hostile(N_MUTATIONS, f"hostile files: {N_MUTATIONS} mutated state/trajectory files "
                         f"read: {counts}")
    assert sum(counts.values()) == N_MUTATIONS


if __name__ == "__main__":
    if sys.argv[1] == "--measure":
        tmp, out = sys.argv[2], sys.argv[3]
        files = craft(tmp)
        res = measure(files)
        res["_expected"] = {name: outcome for name, (_, _, outcome) in files.items()}
        Path(out).write_text(json.dumps(res, indent=1))
