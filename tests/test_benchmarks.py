"""The benchmarks must keep running: ``python -m adamkit bench`` and the asv suite.

These check that every section and every asv benchmark runs to the end without error on
small sizes; they time nothing (speed goals live in the benchmarks themselves).
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECTIONS = "adam,rmsprop,overhead,presets,multi,minimize,threshold"


def _bench(tmp_path, *args):
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, "-m", "adamkit", "bench", "--quick", "--json", str(out),
                        "--sizes", "1e2,3e4", *args],
                       capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout, json.loads(out.read_text())


def test_bench_cli_every_section_runs(tmp_path):
    out, res = _bench(tmp_path, "--no-peers", "--sections", SECTIONS)
    for key in ("adam", "rmsprop", "overhead", "presets", "multi", "minimize"):
        assert res[key], key
    # every preset was timed, and each measurement is a positive time
    from adamkit import presets
    timed = {row["preset"] for row in res["presets"]}
    assert {f"{fw}.{name}" for fw, name in presets.available()} <= timed
    assert all(row["t"] > 0 for row in res["presets"])
    assert "| n " in out and res["machine"]["cores"] >= 1


def test_bench_load_runs_the_threads_section(tmp_path):
    """``--load K`` runs K busy processes beside the threads section (default team vs 1
    vs 2 threads) and says so; a few seconds."""
    out, res = _bench(tmp_path, "--no-peers", "--load", "1", "--dtypes", "float64")
    assert [row["n"] for row in res["threads"]] == [10**4, 10**5]     # --quick's sizes
    for row in res["threads"]:
        assert row["load"] == 1 and row["dtype"] == "float64"
        assert all(row[k] > 0 for k in ("default", "1 thread", "2 threads"))
    assert "load processes: 1" in out and "load 1 (K busy processes)" in out


def test_bench_cli_with_the_framework_peers(tmp_path):
    """With the framework environment of ``python -m adamkit setup`` present, the peers
    (torch default/foreach/fused, optax jit) are timed in the same run."""
    from adamkit.tools.bench_peers import _find_peer_python
    py = _find_peer_python(None)
    if py is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs `python -m adamkit setup` first: the peer environment "
                        "(torch, optax) must exist")
        pytest.skip("no framework environment (run `python -m adamkit setup`)")
    out, res = _bench(tmp_path, "--sections", "overhead", "--peer-python", py)
    row = res["overhead"][0]
    assert {"torch_fused", "optax_jit"} <= set(row), row


def test_bench_drops_only_the_float32_peer_that_fails():
    """A DeepSpeed or IPEX peer that fails (its op did not build, IPEX refused the torch
    version) loses its column alone: the other peers and adamkit's rows stay, and float64
    rows never ask the float32-only peers."""
    import types

    from adamkit.tools import bench as B

    asked = []

    class FakePeers:
        def available(self, nt=1):
            return {"torch": "x", "deepspeed": "x", "ipex": "x"}

        def contender(self, kind, sizes, dtype, family, nt):
            asked.append((kind, dtype))

            def run(k):
                if kind == "ipex_fused_adam":
                    raise RuntimeError("refused")
                return 1e-6
            return run

    lines = []
    rep = B.Report(lines.append)
    args = types.SimpleNamespace(rounds=1, target=1e-4, no_numpy=True)
    B.bench_family(rep, "adam", [100, 200], ["float32", "float64"], [1], FakePeers(), args)
    text = "\n".join(lines)
    assert "# ipex_fused_adam failed at n=100: refused" in text
    assert "failed at n=200" not in text            # not asked again after it failed
    rows = rep.results["adam"]
    assert [("deepspeed_cpu_adam" in r, "ipex_fused_adam" in r, "torch_fused" in r)
            for r in rows] == [(True, False, True), (False, False, True)] * 2
    assert ("ipex_fused_adam", "float32") in asked
    assert not any(d == "float64" and k in B._F32_PEERS for k, d in asked)
    assert "step/deepspeed" in text and "step/ipex" in text


def test_bench_frameworks_section_runs(tmp_path):
    """``--sections frameworks``: adamkit.torch and adamkit.optax timed against torch's
    fused Adam and jitted optax.adam in the framework environment (small sizes here)."""
    from adamkit.tools.elsewhere import framework_python
    py = framework_python(ROOT)
    if py is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs `python -m conformance setup` first: the framework "
                        "environment must exist")
        pytest.skip("no framework environment (python -m conformance setup)")
    out, res = _bench(tmp_path, "--sections", "frameworks", "--framework-tensors", "1,4",
                      "--peer-python", py)          # --quick: 1e2 and 1e4 parameters
    rows = res["frameworks"]["rows"]
    assert [(r["total"], r["count"]) for r in rows] == [(100, 1), (100, 4), (10000, 1),
                                                        (10000, 4)]
    for r in rows:
        for k in ("torch_fused", "adamkit_torch", "optax_jit", "adamkit_optax",
                  "adamkit_optax_nocarry"):
            assert r[k]["min"] > 0, (k, r)
    assert "| params" in out


def test_asv_suite_runs_quick(tmp_path):
    """``asv run --python=same --quick`` (the command asv.conf.json documents) finishes
    every benchmark without a failure, on sizes capped at 1e5 elements."""
    asv = shutil.which("asv")
    if asv is None:
        if os.environ.get("CI"):
            pytest.fail("asv is a test dependency (pip install '.[test]')")
        pytest.skip("asv is not installed")
    work = tmp_path / "asv"
    shutil.copytree(os.path.join(ROOT, "asv_benchmarks"), work,
                    ignore=shutil.ignore_patterns(".asv"))
    # HOME: asv machine writes ~/.asv-machine.json
    env = {**os.environ, "ADAMKIT_ASV_MAX_N": "1e5", "HOME": str(tmp_path)}
    # the config names the repository relative to itself: point it at this checkout
    conf = (work / "asv.conf.json").read_text().replace('"repo": ".."', f'"repo": "{ROOT}"')
    (work / "asv.conf.json").write_text(conf)
    subprocess.run([asv, "machine", "--yes"], cwd=work, env=env, check=True,
                   capture_output=True, timeout=120)
    r = subprocess.run([asv, "run", "--python=same", "--quick", "--dry-run", "--show-stderr"],
                       cwd=work, env=env, capture_output=True, text=True, timeout=1800)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-5000:]
    assert not re.search(r"\bfailed\b", log), log[-5000:]
    assert re.search(r"bench_kernels\.", log), log[-3000:]
