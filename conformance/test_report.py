"""``python -m conformance``'s report (issue 14, item 7): progress while ``setup`` and
``verify`` run, failure rows that say what, where and why, and the report as data.
About 3 s."""

import os
import subprocess
import sys
import textwrap

import pytest

from adamkit.tools.replay import ReplayResult

from . import verify as V


def test_progress_lines_arrive_while_the_command_runs(tmp_path):
    """Each line reaches ``on_line`` as it is printed: the child waits for the file that
    the callback of its first line creates (it would time out if lines came at the end)."""
    flag = tmp_path / "seen"
    child = textwrap.dedent(f"""
        import os, sys, time
        print("Collecting numpy==2.0", flush=True)
        print("wrote a-adam-default-float32.npz (0.1 s)", flush=True)
        t0 = time.time()
        while not os.path.exists({str(flag)!r}):
            if time.time() - t0 > 20:
                sys.exit("no progress: the line was not passed on while running")
            time.sleep(0.01)
        print("noise that is not progress")
        print("Successfully installed numpy-2.0", flush=True)
    """)
    shown, seen = [], []

    def on_line(line):
        seen.append(line)
        if line.startswith("wrote "):
            flag.write_text("")
    V.run_with_progress([sys.executable, "-c", child], shown.append, on_line=on_line)
    assert seen[1] == "wrote a-adam-default-float32.npz (0.1 s)" and len(seen) == 4
    assert [s.split("s  ", 1)[1] for s in shown] == ["Collecting numpy==2.0",
                                                    "Successfully installed numpy-2.0"]


def test_a_failing_command_reports_its_output():
    with pytest.raises(subprocess.CalledProcessError) as e:
        V.run_with_progress([sys.executable, "-c", "print('ERROR: no such package'); "
                             "raise SystemExit(3)"], lambda s: None)
    assert e.value.returncode == 3 and "no such package" in e.value.output


def _result(**kw):
    base = dict(name="torch-adam-default-float32.npz", framework="pytorch", optimizer="adam",
                dtype="float32", steps=1000, max_ulp={"params": 2.0, "exp_avg": 1.0},
                first_diff_step=17, ulp_by_step=None, first_diff_array="exp_avg",
                context={})
    base.update(kw)
    return ReplayResult(**base)


def test_failure_rows_say_what_where_and_why():
    out = []
    printer = V._row_printer(out.append)
    printer("live", _result(), "FAIL", "first differs at step 17 in exp_avg; recorded on "
            "Zen 4, replayed on Zen 3", "torch-adam-default-float32.npz")
    assert out[0].split()[-1] == "FAIL"
    assert out[1].startswith("    what:  pytorch.adam preset against the live recording "
                             "torch-adam-default-float32.npz (float32, 1000 steps)")
    assert out[2] == ("    where: first difference at step 17, in exp_avg; max ULP per "
                      "array: exp_avg 1, params 2")
    assert out[3] == "    why:   first differs at step 17 in exp_avg; recorded on Zen 4, " \
                     "replayed on Zen 3"
    out.clear()
    printer("golden", None, "ERROR", "ValueError: truncated file", "caffe-adam-x-float32.npz")
    assert out[0].split() == ["caffe-adam-x-float32", "ERROR"]
    assert out[1:] == ["    what:  replaying the golden recording caffe-adam-x-float32.npz",
                       "    where: golden/caffe-adam-x-float32.npz",
                       "    why:   ValueError: truncated file"]
    out.clear()
    printer("live", _result(), "identical", "", "torch-adam-default-float32.npz")
    assert len(out) == 1                       # an identical row is one line


def test_report_is_data():
    lines = []
    rep = V.report(live=False, only="torch7-adam-default", out=lines.append,
                   require_all=False)
    assert [r.name for r in rep.rows] == ["torch7-adam-default-float32.npz",
                                         "torch7-adam-default-float64.npz"]
    assert all(r.ok and r.status == "identical" and r.result.identical for r in rep.rows)
    assert rep.exit_code == 0 and rep.failures == [] and rep.counts == {"identical": 2}
    assert lines[-1] == "\n2 identical (2 recordings)"
    assert V.verify(live=False, only="torch7-adam-default", out=lambda s: None,
                    require_all=False) == 0


def test_setup_streams_pip_progress(monkeypatch, tmp_path):
    """setup_stack shows pip's per-package lines as they come (no -q)."""
    calls = []

    def fake(cmd, out, t0=None, **kw):
        calls.append(cmd)
        out("      1 s  Collecting x")
    monkeypatch.setattr(V, "run_with_progress", fake)
    monkeypatch.setattr(V.subprocess, "run", lambda *a, **k: None)     # no venv made
    monkeypatch.setattr(V, "stack_python", lambda s: os.path.join(tmp_path, "bin", "python"))
    monkeypatch.setitem(V.STACKS, "fake", {"pip": [["numpy"], ["--no-deps", "x"]],
                                           "adapters": []})
    shown = []
    V.setup_stack("fake", shown.append)
    assert [c[-1] for c in calls] == ["numpy", "x"] and "-q" not in calls[0]
    assert shown[1] == "  [1/2] pip install numpy" and shown[2] == "      1 s  Collecting x"


def test_verify_replays_each_recording_while_its_adapter_runs(tmp_path, monkeypatch):
    """record_stack hands each recording to ``on_file`` as soon as the adapter prints
    ``wrote <file>``: the fake adapter writes its second file only after the first was
    handed over (it would stop with an error otherwise)."""
    runner = tmp_path / "adapters" / "_run.py"
    runner.parent.mkdir()
    runner.write_text(textwrap.dedent("""
        import os, sys, time
        out = sys.argv[sys.argv.index("--out") + 1]
        for name in ("fake-adam-a-float32.npz", "fake-adam-b-float32.npz"):
            open(os.path.join(out, name), "w").close()
            print(f"wrote {name} (0.0 s)", flush=True)
            t0 = time.time()
            while not os.path.exists(os.path.join(out, name + ".seen")):
                if time.time() - t0 > 20:
                    sys.exit(f"{name} was not handed over while the adapter ran")
                time.sleep(0.01)
        print("fake_adapter: wrote 2 trajectory files", flush=True)
    """))
    monkeypatch.setattr(V, "HERE", str(tmp_path))
    monkeypatch.setattr(V, "stack_python", lambda stack: sys.executable)
    monkeypatch.setitem(V.STACKS, "fake", {"pip": [], "adapters": [("fake_adapter", {})]})
    dest = tmp_path / "rec"
    dest.mkdir()
    seen, shown = [], []

    def on_file(path):
        seen.append(os.path.basename(path))
        open(path + ".seen", "w").close()
    files = V.record_stack("fake", str(tmp_path), str(dest), out=shown.append,
                           on_file=on_file)
    assert seen == ["fake-adam-a-float32.npz", "fake-adam-b-float32.npz"]
    assert [os.path.basename(f) for f in files] == seen
    assert shown[0] == "  [1/1] fake_adapter: running"
    assert shown[-1].startswith("  [1/1] fake_adapter: fake_adapter: wrote 2 trajectory files")


def test_setup_refuses_before_installing_when_the_disk_is_too_full(monkeypatch, tmp_path):
    """``setup`` checks the free space the missing stacks need (``disk_gb``) first, and
    says how much is needed and free; nothing is created or installed."""
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**12, 10**12 - 2 * 10**9,
                                                               2 * 10**9))
    monkeypatch.setattr(V, "stack_python", lambda s: str(tmp_path / s / "bin" / "python"))
    monkeypatch.setattr(V, "setup_stack", lambda *a, **k: pytest.fail("installed anyway"))
    with pytest.raises(OSError, match=r"need about 8\.0 GB .* 2\.0 GB are free"):
        V.setup_all(out=lambda s: None)
    assert not any(tmp_path.iterdir())
    # enough room: the check passes and setup goes on to install each stack
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**12, 0, 10**12))
    done = []
    monkeypatch.setattr(V, "setup_stack", lambda s, out: done.append(s))
    V.setup_all(out=lambda s: None)
    assert done == list(V.STACKS)
