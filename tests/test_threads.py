"""The threading policy (issue 16; src/adamkit/_pool.h): the default team from the affinity
mask and the cgroup quota, chunks that cover every element once, the same bits for every
team size and claim order, the adaptive judgement, a busy pool, fork, the bench's load.

No timing is asserted anywhere: speed lives in ``python -m adamkit bench --load K``.
"""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import adamkit
from adamkit import _kernels as K
from adamkit import _rules as R

MS = 1_000_000


# -- the default team ------------------------------------------------------------------------

@pytest.mark.parametrize("omp,affinity,quota,want", [
    (2, 2, 0, 2),          # nothing else set: OMP_NUM_THREADS / the CPUs
    (8, 2, 0, 2),          # taskset to 2 CPUs
    (8, 8, 3, 3),          # cpu.max "250000 100000" -> 3
    (8, 4, 1, 1),          # a container limited to one CPU
    (1, 8, 8, 1),          # OMP_NUM_THREADS=1 / threadpoolctl limit 1
    (4, 0, 0, 4),          # affinity unknown (not Linux)
    (0, 0, 0, 1),
])
def test_team_size_from_limits(omp, affinity, quota, want):
    assert K.policy_team_size(omp, affinity, quota) == want


@pytest.mark.parametrize("text,cpus", [
    ("max 100000\n", 0), ("max", 0), ("100000 100000\n", 1), ("150000 100000", 2),
    ("250000 100000\n", 3), ("50000 100000", 1), ("1 1000000", 1), ("0 100000", 0),
    ("-1 100000", 0), ("", 0), ("garbage", 0), ("100000", 0),
])
def test_cgroup_cpu_max_parsing(text, cpus):
    assert K.policy_parse_cpu_max(text) == cpus


def test_default_team_follows_the_affinity_mask():
    """A process whose affinity mask holds one CPU gets a team of one by default (an
    explicit n_threads is still honoured)."""
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs sched_setaffinity and 2 CPUs")
    cpu = min(os.sched_getaffinity(0))
    code = textwrap.dedent(f"""
        import os
        os.sched_setaffinity(0, {{{cpu}}})
        from adamkit import _kernels as K
        info = K.threading_info()
        print(K.effective_n_threads(None), K.effective_n_threads(2), info["affinity"])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={k: v for k, v in os.environ.items()
                                           if k != "OMP_NUM_THREADS"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "2", "1"]


def test_default_team_within_the_limits():
    info = K.threading_info()
    team = K.effective_n_threads(None)
    assert team == info["default_team"] <= K.openmp_max_threads()
    if hasattr(os, "sched_getaffinity"):
        assert team <= len(os.sched_getaffinity(0)) == info["affinity"]
    if info["cgroup_quota"]:
        assert team <= info["cgroup_quota"]


# -- chunks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 63, 64, 65, 16384, 100_003, 10**6 + 7, 10**8 + 1])
@pytest.mark.parametrize("itemsize", [4, 8])
@pytest.mark.parametrize("team", [2, 3, 16])
def test_chunk_lengths(n, itemsize, team):
    chunk = K.policy_chunk(n, itemsize, team)
    c = K.policy_constants()
    assert chunk % 64 == 0 and chunk * itemsize >= c["min_chunk_bytes"]
    assert -(-n // chunk) <= 65535
    if n * itemsize >= c["min_chunk_bytes"] * team * c["chunks_per_thread"] and n < 10**8:
        assert -(-n // chunk) >= team * c["chunks_per_thread"] - 1   # work for every thread


@pytest.mark.parametrize("n,itemsize,team", [
    (65537, 4, 2), (10**6 + 3, 4, 2), (10**6 + 3, 8, 3), (123_457, 8, 4), (4_000_001, 4, 2),
])
def test_pool_runs_every_element_once(n, itemsize, team):
    counts = np.zeros(n, np.uint8)
    got = K.pool_coverage(counts, itemsize, team)
    assert got is not None, "the pool declined (no worker thread could be started)"
    mine, nchunks, chunk = got
    assert nchunks == -(-n // chunk) and 0 <= mine <= nchunks
    assert counts.min() == 1 and counts.max() == 1


# -- the same bits for every team size and claim order -------------------------------------------

ROWS = [
    ("adam", {"denom": R.D_SQRT_BC_EPS}),
    ("adam", {"denom": R.D_SQRT_BC_EPS, "amsgrad": 1, "decoupled": 1}),
    ("rmsprop", {"denom": R.RD_SQRT_EPS_IN, "center": 1, "momentum": 1}),
]


def _scalars(family, dtype):
    r = R.rounder(dtype == np.float32)
    if family == "adam":
        v = dict(b1=0.9, c1=0.1, b2=0.999, c2=1e-3, eps=1e-8, alpha=1e-2, bc1=0.1,
                 bc2=0.05, wd=0.01, dlr=1e-2)
    else:
        v = dict(rho=0.9, c=0.1, eps=1e-6, lr=1e-2, mu=0.9, wd=0.01, dlr=1e-2)
    return {k: r(x) for k, x in v.items()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("family,ops", ROWS, ids=["adam", "adamw-amsgrad", "rms-centered"])
def test_bits_same_for_every_team_and_claim_order(family, ops, dtype, rng):
    n = 300_007
    kern = K.Kernel(family, ops)
    kern.set_scalars(**_scalars(family, dtype))
    p = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal(n).astype(dtype)
    g[:5] = [np.nan, np.inf, -np.inf, 0.0, np.finfo(dtype).smallest_subnormal]
    state = [np.abs(rng.standard_normal(n)).astype(dtype) for _ in range(3)]

    def fresh():
        return [p.copy(), *(s.copy() for s in state)]

    def bits(bufs):
        return b"".join(b.tobytes() for b in bufs)

    want = fresh()
    kern.run(want[0], g, *want[1:], 1)
    for team in (2, 3, 4, 7):
        got = fresh()
        kern.run(got[0], g, *got[1:], team)
        assert bits(got) == bits(want), f"team {team}"
    chunk = K.policy_chunk(n, np.dtype(dtype).itemsize, 2)
    nc = -(-n // chunk)
    for order in (list(range(nc))[::-1], list(rng.permutation(nc))):
        got = fresh()
        kern.run_chunks(got[0], g, *got[1:], chunk, [int(c) for c in order])
        assert bits(got) == bits(want), f"claim order {order}"
    with pytest.raises(ValueError):
        kern.run_chunks(p.copy(), g, *fresh()[1:], chunk, [0] * nc)


def test_optimizer_bits_same_for_default_and_fixed_teams(rng):
    p0 = rng.standard_normal(400_003).astype(np.float32)
    g = rng.standard_normal(p0.size).astype(np.float32)
    out = []
    for nt in (1, 2, 3, None):
        K.reset_threading_policy()
        p = p0.copy()
        opt = adamkit.Adam(lr=1e-3, n_threads=nt)
        for _ in range(70):                 # > one serial sample of the adaptive policy
            opt.step(p, g)
        out.append(p.tobytes())
    assert all(o == out[0] for o in out)
    info = K.threading_info()
    assert info["parallel_runs"] + info["serial_runs"] > 0


def test_busy_pool_runs_on_the_caller(rng):
    """Two threads stepping at once: one of them finds the pool in use and runs its
    range on its own thread; both get the bits of one thread."""
    p0 = rng.standard_normal(1_000_003).astype(np.float64)
    g = rng.standard_normal(p0.size)
    want = p0.copy()
    ref = adamkit.Adam(lr=1e-3, n_threads=1)
    for _ in range(20):
        ref.step(want, g)
    got, errors = [None, None], []

    def work(i):
        try:
            p = p0.copy()
            opt = adamkit.Adam(lr=1e-3, n_threads=2)
            for _ in range(20):
                opt.step(p, g)
            got[i] = p
        except Exception as exc:            # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert all(np.array_equal(x.view(np.uint64), want.view(np.uint64)) for x in got)


# -- the adaptive judgement ----------------------------------------------------------------------

def test_adaptive_judgement_and_backoff():
    c = K.policy_constants()
    lo, hi = c["backoff_min_ns"], c["backoff_max_ns"]
    # paid: the multi-thread mean below 0.9x the one-thread mean
    assert K.policy_step(0, 0, 1000, 500) == (True, 500, 0)
    assert K.policy_step(0, 0, 1000, 950) == (False, 950, lo)
    assert K.policy_step(0, 880, 1000, 900)[0] is True        # mean 885
    assert K.policy_step(0, 900, 1000, 900)[0] is False
    # running mean with weight 1/4, a sample counted at most 8x the one-thread mean: one
    # stall fails the size class at once; a probe after the back-off is judged on its own
    # run, so one good probe brings it back, and a stalled probe fails again
    paid, par, bo = K.policy_step(0, 500, 1000, 20_500)
    assert (paid, par, bo) == (False, 500 + (8000 - 500) // 4, lo)
    assert K.policy_step(bo, par, 1000, 20_500) == (False, 8000, 2 * lo)
    paid, par, bo = K.policy_step(bo, par, 1000, 500)
    assert (paid, par, bo) == (True, 500, 0)
    bo = 4 * lo
    while bo:                                            # then each success halves it
        old = bo
        paid, par, bo = K.policy_step(bo, par, 1000, 500)
        assert paid and bo == (old // 2 if old // 2 >= lo else 0)
    # failures double the back-off up to the cap; a success halves it
    bo = 0
    for _ in range(20):
        bo = K.policy_step(bo, 10**6, 1000, 10**6)[2]
    assert bo == hi
    assert K.policy_step(hi, 100, 1000, 100)[2] == hi // 2
    assert K.policy_step(lo, 100, 1000, 100)[2] == 0


# -- fork --------------------------------------------------------------------------------------

def test_fork_child_threads_start_a_new_pool(tmp_path):
    """After the parent's workers ran, a thread of a forked child runs on new workers (the
    at-fork handler emptied the pool) and gets the same bits; the forking thread runs on
    one thread."""
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork")
    script = tmp_path / "fork_pool.py"
    script.write_text(textwrap.dedent("""
        import os, threading, time
        import numpy as np
        import adamkit
        from adamkit import _kernels as K

        def run(nt):
            p = np.linspace(-1, 1, 2_000_000, dtype=np.float32)
            opt = adamkit.Adam(lr=1e-2, n_threads=nt)
            for _ in range(3):
                opt.step(p, np.cos(p))
            return p.tobytes()

        want = run(1)
        assert run(2) == want and K.threading_info()["parallel_runs"] > 0
        pid = os.fork()
        if pid == 0:
            K.reset_threading_policy()
            ok = run(2) == want and K.threading_info()["parallel_runs"] == 0
            res = {}
            def work():
                res["same"] = run(2) == want
                res["pool"] = K.threading_info()["parallel_runs"] > 0
            t = threading.Thread(target=work)
            t.start()
            t.join(30)
            os._exit(0 if ok and not t.is_alive() and res == {"same": True, "pool": True}
                     else 3)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                print("exit", os.waitstatus_to_exitcode(status))
                break
            time.sleep(0.02)
        else:
            os.kill(pid, 9)
            print("hung")
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "exit 0"


# -- the bench's load ----------------------------------------------------------------------------

def test_load_processes_start_and_stop():
    from adamkit.tools.bench_load import Spinners
    with Spinners(2) as s:
        procs = list(s.procs)
        assert len(procs) == 2 and all(p.poll() is None for p in procs)
    assert all(p.poll() is not None for p in procs)
    with pytest.raises(KeyboardInterrupt), Spinners(1) as s:
        procs = list(s.procs)
        raise KeyboardInterrupt
    assert all(p.poll() is not None for p in procs)


# -- the pool under ThreadSanitizer ----------------------------------------------------------------

def test_pool_under_thread_sanitizer(tmp_path):
    """tests/c/pool_stress.c against _pool.h, built with -fsanitize=thread: no data race
    reported, every element of every job run once. A few seconds."""
    import shutil
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None or not hasattr(os, "fork"):
        pytest.skip("needs a C compiler")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exe = tmp_path / "pool_stress"
    build = subprocess.run([cc, "-O1", "-g", "-fsanitize=thread", "-pthread",
                            "-I", os.path.join(root, "src", "adamkit"),
                            os.path.join(root, "tests", "c", "pool_stress.c"), "-o", str(exe)],
                           capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip(f"no ThreadSanitizer here: {build.stderr[-300:]}")
    probe = subprocess.run([str(exe), "0"], capture_output=True, text=True)
    if probe.returncode != 0 and "ThreadSanitizer" in probe.stderr and "ok" not in probe.stdout:
        pytest.skip(f"ThreadSanitizer cannot run here: {probe.stderr[-300:]}")
    r = subprocess.run([str(exe), "200"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, TSAN_OPTIONS="halt_on_error=1:exitcode=66"))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert r.stdout.startswith("ok") and "WARNING: ThreadSanitizer" not in r.stderr
