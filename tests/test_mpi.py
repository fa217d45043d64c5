"""adamkit.mpi under ``mpiexec -n 4, 3, 2, 1``: the same bits on every rank, every rank
count and in one process.

tests/mpi_cases.py runs every case on P ranks (oversubscribed: 4 ranks on 2 cores is
fine for MPICH) and saves what each rank got; the one-process results are computed here,
by ``adamkit.minimize`` and the unsharded optimizers, without MPI.  Each mpiexec run has
a timeout.

MPI is installed when missing, as .ci/run installs gfortran: ``pip install`` of the
pinned wheels below (mpi4py, and MPICH with ``mpiexec`` and ``mpicc``) into the running
interpreter's environment.  If that fails the tests are skipped, except in CI (``CI``
set), where they fail.  The four runs take about 20 s on 2 busy cores.
"""
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import adamkit
from adamkit._blocks import split_range

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
PINS = ("mpi4py==4.1.2", "mpich==5.0.2")
RANKS = (4, 3, 2, 1)          # 4 first: the others resume its checkpoint
TIMEOUT = 240                 # seconds per mpiexec run (2 shared cores)

sys.path.insert(0, str(HERE))
import mpi_cases as cases  # noqa: E402


def require(condition, reason):
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI is set: this must not be skipped)")
    pytest.skip(reason)


def _tool(name):
    for d in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return shutil.which(name)


def _mpi4py_works():
    code = "from mpi4py import MPI; MPI.Get_library_version()"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    return r.returncode == 0


@pytest.fixture(scope="module")
def mpi():
    """``{"mpiexec": [...], "mpicc": path}``, installing the pinned wheels if needed."""
    if not (_mpi4py_works() and _tool("mpiexec")):
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                            "--disable-pip-version-check", *PINS],
                           capture_output=True, text=True, timeout=900)
        require(r.returncode == 0 and _mpi4py_works() and _tool("mpiexec"),
                f"MPI is not available and `pip install {' '.join(PINS)}` failed: "
                f"{r.stderr[-1500:]}")
    mpiexec = [_tool("mpiexec")]
    version = subprocess.run(mpiexec + ["--version"], capture_output=True, text=True,
                             timeout=60).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        mpiexec += ["--oversubscribe", "--allow-run-as-root"]
    return {"mpiexec": mpiexec, "mpicc": _tool("mpicc")}


def mpirun(mpi, P, *cmd, cwd=None):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run(mpi["mpiexec"] + ["-n", str(P), *map(str, cmd)], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, f"mpiexec -n {P} {cmd} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def runs(mpi, tmp_path_factory):
    """{P: [the arrays rank r saved, r = 0..P-1]} for P = 4, 3, 2, 1."""
    out = tmp_path_factory.mktemp("mpi")
    for P in RANKS:
        mpirun(mpi, P, sys.executable, HERE / "mpi_cases.py", out)
    return {P: [dict(np.load(out / f"P{P}" / f"rank{r}.npz")) for r in range(P)]
            for P in RANKS}


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def everywhere(runs, key, expect):
    """Every rank of every run holds ``expect``, bit for bit."""
    for P, ranks in runs.items():
        for r, got in enumerate(ranks):
            assert same(got[key], expect), f"{key} on rank {r} of {P}: {got[key]!r} " \
                                           f"!= {expect!r}"


@pytest.mark.parametrize("name", sorted(cases.MINIMIZE))
def test_minimize_same_bits_on_1_to_4_ranks_and_one_process(runs, name):
    res = cases.minimize_single(name)
    for k in cases.RESULT_KEYS:
        everywhere(runs, f"{name}.{k}", res[k])
    assert res.nit > 30


@pytest.mark.parametrize("name", sorted(cases.SHARDED))
def test_sharded_equals_one_optimizer(runs, name):
    params, state = cases.sharded_single(name)
    for i, p in enumerate(params):
        everywhere(runs, f"{name}.p{i}", p)
    for i, st in enumerate(state["state"]):
        for k, v in st.items():
            everywhere(runs, f"{name}.state{i}.{k}", v)
    everywhere(runs, f"{name}.t", cases.SHARDED_STEPS)
    # memory: each rank holds the state of its shard only
    layout = cases.SHARDED[name][2]
    nbuf = len(state["state"][0])
    starts = np.cumsum([0] + [s for s, _ in layout])
    for P, ranks in runs.items():
        for r, got in enumerate(ranks):
            lo, hi = got[f"{name}.shard"]
            assert (lo, hi) == (sum(s for s, _ in layout) * r // P,
                                sum(s for s, _ in layout) * (r + 1) // P)
            expect = sum(max(0, min(hi, a + s) - max(lo, a)) * np.dtype(d).itemsize * nbuf
                         for a, (s, d) in zip(starts, layout))
            assert got[f"{name}.state_nbytes"] == expect


def test_zero1_reduce_scatter_update_allgather(runs):
    everywhere(runs, "zero.p", cases.zero_single())


def test_checkpoint_of_4_ranks_resumes_on_any_number(runs):
    p = cases.ckpt_single()
    everywhere(runs, "ckpt.p", p)
    everywhere(runs, "ckpt.t", 2 * cases.CKPT_STEPS)
    everywhere(runs, "ckpt.unsharded_p", p)      # full_state_dict() into adamkit.Adam
    for P, ranks in runs.items():                # shards of 2 of the 4 ranks: elements
        for r, got in enumerate(ranks):          # [0, 50) only
            lo, hi = split_range(cases.CKPT_N, P, r)
            err = str(got["error_missing_shards"])
            if hi > 50:
                assert err.startswith("ValueError: the shards cover"), err
            else:
                assert err.startswith("RankError: rank ") and "the shards cover" in err, err


def test_a_rank_that_raises_makes_every_rank_raise(runs):
    for P, ranks in runs.items():
        holder = next(r for r in range(P) if split_range(7, P, r)[0] <= 3
                      < split_range(7, P, r)[1])
        for r, got in enumerate(ranks):
            err = str(got["error_block"])
            if r == holder:
                assert err == "ValueError: block 3 failed"
            else:
                assert err == f"RankError: rank {holder} of {P} raised ValueError: " \
                              "block 3 failed"
            err = str(got["error_option"])
            if r == P - 1:
                assert err.startswith("ValueError: option maxiter must be")
            else:
                assert err.startswith(f"RankError: rank {P - 1} of {P} raised ValueError")
            err = str(got["error_x0"])
            if P == 1:
                assert err == "no error"
            else:
                assert err.startswith("ValueError: x0 or the options differ")
    everywhere(runs, "error_step_shard_clip", "ValueError: preset 'keras_tensorflow' "
               "computes a norm of all the gradients (clipping): use step() with the whole "
               "gradients")
    for P, ranks in runs.items():
        for got in ranks:
            assert str(got["error_layout"]).startswith("ValueError: the parameters")
    # StopIteration in the callback of the last rank only stops every rank
    everywhere(runs, "stop.nit", 5)
    everywhere(runs, "stop.status", 99)
    fun, x0, kw, _ = cases.MINIMIZE["adam_f64"]
    res = adamkit.minimize(fun, x0, **{**kw, "options": {**kw["options"], "maxiter": 5}})
    everywhere(runs, "stop.x", res.x)


# ---------------------------------------------------------------------------------------
# the C example of docs/mpi.md: mpicc, the installed header and static library
# ---------------------------------------------------------------------------------------

MARK = re.compile(r"<!--\s*mpi-example:\s*(\S+)\s*-->\s*\n```[a-z+]*\n(.*?)\n```", re.S)


def doc_example(name):
    for found, body in MARK.findall((ROOT / "docs" / "mpi.md").read_text()):
        if found == name:
            return body + "\n"
    raise AssertionError(f"no <!-- mpi-example: {name} --> in docs/mpi.md")


def doc_problem():
    """The Python side of the C example, from docs/mpi.md's python block."""
    ns = {}
    exec(doc_example("same_in_python.py"), ns)
    return ns


@pytest.fixture(scope="module")
def installed():
    inc, lib = Path(adamkit.get_include()), Path(adamkit.get_lib())
    missing = [str(f) for f in (inc / "adam_c.h", lib / "libadam_c.a") if not f.is_file()]
    if missing and not IN_CI:
        pytest.skip("the C header and static library exist only in a regular install "
                    "(pip install ., or a wheel), not in an editable one")
    assert not missing, f"the installed adamkit lacks {missing}"
    return inc, lib


def parse_bits(stdout):
    """``label index value`` lines: a C99 hex float, or the integer bits of a double."""
    got = {}
    for line in stdout.splitlines():
        label, i, v = line.split()
        if "x" in v.lower() or "p" in v.lower():
            got[label, int(i)] = float.fromhex(v)
        else:
            got[label, int(i)] = float(np.array(int(v), dtype=np.int64).view(np.float64))
    return got


def assert_same_as_python(stdout, P):
    res = doc_problem()["res"]
    got = parse_bits(stdout)
    assert [got["x", i] for i in range(res.x.size)] == res.x.tolist(), P
    assert got["f", 0] == res.fun and res.nit == 200


def test_c_example_same_bits_as_python(mpi, installed, tmp_path):
    require(mpi["mpicc"] is not None, "mpicc is not installed")
    inc, lib = installed
    (tmp_path / "adam_mpi.c").write_text(doc_example("adam_mpi.c"))
    cmd = [mpi["mpicc"], "-std=c99", "-O2", "-ffp-contract=off", "adam_mpi.c", f"-I{inc}",
           f"-L{lib}", "-ladam_c", "-lm", "-o", "adam_mpi"]
    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    for P in RANKS:
        assert_same_as_python(mpirun(mpi, P, "./adam_mpi", cwd=tmp_path), P)


def test_fortran_example_same_bits_as_python(installed, tmp_path):
    """With Debian's MPICH (libmpich-dev: mpifort and its own mpiexec), when installed;
    the mpich wheel has no Fortran compiler wrapper."""
    mpifort = shutil.which("mpifort")
    require(mpifort is not None, "mpifort is not installed (Debian: libmpich-dev)")
    mpiexec = os.path.join(os.path.dirname(os.path.realpath(mpifort)), "mpiexec")
    mpiexec = mpiexec if os.access(mpiexec, os.X_OK) else shutil.which("mpiexec.mpich")
    require(mpiexec is not None, "no mpiexec next to mpifort")
    inc, lib = installed
    (tmp_path / "adam_mpi.f90").write_text(doc_example("adam_mpi.f90"))
    for cmd in ([mpifort, "-c", str(inc / "adam_c.f90")],
                [mpifort, "-O2", "-ffp-contract=off", "adam_mpi.f90", "adam_c.o", f"-L{lib}",
                 "-ladam_c", "-lm", "-o", "adam_mpi_f"]):
        r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    for P in RANKS:
        r = subprocess.run([mpiexec, "-n", str(P), "./adam_mpi_f"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert r.returncode == 0, r.stderr
        assert_same_as_python(r.stdout, P)


# ---------------------------------------------------------------------------------------
# the benchmark runs (its numbers are not checked here: docs/mpi.md)
# ---------------------------------------------------------------------------------------

def test_bench_runs(mpi):
    out = mpirun(mpi, 2, sys.executable, "-m", "adamkit.mpi.bench", "--sizes", "1e4",
                 "--repeat", "2", "--dtype", "float64")
    for name in ("allreduce+adam", "tree+adam", "tree+zero1"):
        assert re.search(rf"^\s*{re.escape(name)}\s+10000\s", out, re.M), out
