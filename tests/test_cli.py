"""The command line (issue 14, item 7): ``adamkit``/``python -m adamkit``.

--version, help on every option, and each ``compare`` finding: the common settings
honoured by every preset (pytorch/torch, numpy_scratch and cs231n included), an unknown
preset and ``--plot`` without matplotlib end in a one-line error with exit code 2 (no
traceback, no computation), the symlog plot, spikes between the table's rows, and
``compare`` as a function returning data. ``bench`` finds the framework environments
without running from the checkout's root. About 5 s.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import pytest

import adamkit
from adamkit import presets
from adamkit.tools import bench_peers, cli
from adamkit.tools import compare as C


def _run(*args):
    return subprocess.run([sys.executable, "-m", "adamkit", *args], capture_output=True,
                          text=True)


# -- --version, help ---------------------------------------------------------------------

def test_version():
    r = _run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"adamkit {adamkit.__version__}"


class _Parsed(Exception):
    pass


def _parsers(monkeypatch, main, argv):
    """The parser ``main(argv)`` builds (caught at parse_args)."""
    def capture(self, args=None, namespace=None):
        raise _Parsed(self)
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    with pytest.raises(_Parsed) as e:
        main(argv)
    top = e.value.args[0]
    out = {top.prog: top}
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            out.update({p.prog: p for p in action.choices.values()})
    return out


def test_every_option_has_help(monkeypatch):
    from adamkit.tools import bench
    parsers = _parsers(monkeypatch, cli.main, ["demo"])
    parsers.update(_parsers(monkeypatch, bench.main, []))
    assert {"python -m adamkit compare", "python -m adamkit bench"} <= set(parsers)
    missing = [f"{prog} {a.dest}" for prog, p in parsers.items() for a in p._actions
               if not isinstance(a, argparse._SubParsersAction) and not a.help]
    assert missing == []


# -- compare: the settings reach every preset --------------------------------------------

ADAM_ROWS = [f"{f}.{o}" for (f, o), row in sorted(presets.PRESETS.items())
             if row.family == "adam"]
RMSPROP_ROWS = [f"{f}.{o}" for (f, o), row in sorted(presets.PRESETS.items())
                if row.family == "rmsprop"]


def _values(cfg):
    out = []
    for v in cfg.values():
        out.extend(v if isinstance(v, tuple) else [v])
    return out


@pytest.mark.parametrize("name", ADAM_ROWS)
def test_compare_honours_adam_settings_for_every_preset(name):
    c = C.compare(name, name, steps=1, n=7, lr=0.0123, eps=3e-5, betas=(0.8, 0.95))
    cfg, skipped = c.configs[0], c.not_applied[0]
    values = _values(cfg)
    assert 0.0123 in values and 0.8 in values and 0.95 in values, cfg
    assert (3e-5 in values) != ("eps" in skipped), (cfg, skipped)


@pytest.mark.parametrize("name", RMSPROP_ROWS)
def test_compare_honours_rmsprop_settings_for_every_preset(name):
    c = C.compare(name, name, steps=1, n=7, lr=0.0123, eps=3e-5, alpha=0.85)
    cfg, skipped = c.configs[0], c.not_applied[0]
    values = _values(cfg)
    assert 0.0123 in values and 0.85 in values, cfg
    assert (3e-5 in values) != ("eps" in skipped), (cfg, skipped)


def test_compare_pytorch_numpy_scratch_cs231n_by_their_own_names():
    c = C.compare("torch", "numpy_scratch", steps=2, n=7, lr=0.02, eps=1e-6,
                  betas=(0.8, 0.99))
    torch, scratch = c.configs
    assert (torch["lr"], torch["betas"], torch["eps"]) == (0.02, (0.8, 0.99), 1e-6)
    assert (scratch["lr"], scratch["beta1"], scratch["eps"]) == (0.02, 0.8, 1e-6)
    c = C.compare("cs231n", "pytorch", optimizer="rmsprop", steps=2, n=7, eps=1e-6,
                  alpha=0.8)
    cs, torch = c.configs
    assert (cs["eps"], cs["decay_rate"]) == (1e-6, 0.8)
    assert (torch["eps"], torch["alpha"]) == (1e-6, 0.8)
    assert c.settings == {"lr": 1e-3, "eps": 1e-6, "alpha": 0.8}


def test_compare_reports_a_setting_a_preset_has_no_keyword_for():
    c = C.compare("torch7.adamax", "mxnet.adamax", steps=2, n=7)
    assert c.not_applied == ({}, {"eps": 1e-8})
    assert any("no keyword for eps" in line for line in C.report(c))


def test_compare_framework_defaults():
    c = C.compare("caffe", "optax", steps=2, n=7, lr=0.05, framework_defaults=True)
    caffe, optax = c.configs
    assert caffe["momentum"] == 0.0 and caffe["base_lr"] == 0.05   # caffe.proto default
    assert optax["learning_rate"] == 0.05 and c.settings == {}


def test_preset_spellings():
    assert C.parse_preset("lasagne_0.1") == ("lasagne_0.1", "adam")
    assert C.parse_preset("lasagne_0.1.rmsprop") == ("lasagne_0.1", "rmsprop")
    assert C.parse_preset("torch", "rmsprop") == ("pytorch", "rmsprop")
    assert C.parse_preset("caffe:adam") == C.parse_preset("caffe.adam") == ("caffe", "adam")
    assert C.parse_preset("pytorch.adamax") == ("pytorch", "adamax")
    with pytest.raises(C.CompareError, match="no 'nadam' preset"):
        C.parse_preset("pytorch.nadam")


# -- compare: errors without a traceback --------------------------------------------------

def test_unknown_preset_is_a_clear_error():
    r = _run("compare", "nope", "torch", "--steps", "2")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("adamkit compare: error: no preset for framework 'nope'")
    assert "Traceback" not in r.stderr
    r = _run("compare", "torch", "mxnet", "--optimizer", "nadam", "--steps", "2")
    assert r.returncode == 2 and "pytorch has no 'nadam' preset" in r.stderr
    assert "Traceback" not in r.stderr


def test_plot_without_matplotlib_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(C, "have_matplotlib", lambda: False)
    ran = []
    monkeypatch.setattr(C, "compare", lambda *a, **k: ran.append(1))
    png = tmp_path / "drift.png"
    assert cli.main(["compare", "caffe", "torch7", "--plot", str(png)]) == 2
    err = capsys.readouterr().err
    assert "--plot needs matplotlib" in err and "adamkit[plot]" in err
    assert not png.exists() and ran == []          # checked before anything runs


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "drift.png"
    r = _run("compare", "caffe", "torch7", "--steps", "30", "--plot", str(png))
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_is_symlog_with_zero_drawn_at_zero():
    pytest.importorskip("matplotlib")
    c = C.compare("torch", "torch", steps=5, n=7)            # identical: all 0 ULP
    ax = C.figure(c).axes[0]
    assert ax.get_yscale() == "symlog"
    assert all(np.all(line.get_ydata() == 0) for line in ax.get_lines())


# -- compare: the table does not lose spikes ---------------------------------------------

def _comparison(ulps):
    steps, n = ulps.shape
    p = np.zeros((steps, n), np.float32)
    return C.Comparison(names=("a.adam", "b.adam"), configs=({}, {}), not_applied=({}, {}),
                        settings={}, dtype="float32", n=n, steps=steps, seed=0,
                        params=(p, p), ulps=ulps)


def test_table_shows_a_spike_between_rows():
    ulps = np.zeros((20, 3))
    ulps[6, 1] = 4096.0                    # step 7: between the rows of steps 5 and 10
    c = _comparison(ulps)
    rows = {r["step"]: r for r in c.rows()}
    assert sorted(rows) == [1, 2, 3, 5, 10, 20]
    assert rows[10]["max_ulp"] == 0 and rows[10]["peak_ulp"] == 4096
    assert rows[10]["peak_step"] == 7 and rows[20]["peak_ulp"] == 0
    text = "\n".join(C.report(c))
    assert "4096 at step 7" in text and "largest distance: 4096 ULP at step 7" in text


def test_compare_returns_data_and_the_cli_prints_it(capsys):
    c = C.compare("caffe", "torch7", steps=60, n=20)
    assert c.ulps.shape == (60, 20) and c.params[0].shape == (60, 20)
    assert c.first_difference is not None
    assert max(r["peak_ulp"] for r in c.rows()) == c.max_ulp.max()
    assert cli.main(["compare", "caffe", "torch7", "--steps", "60", "--n", "20"]) == 0
    assert capsys.readouterr().out.splitlines() == C.report(c)


# -- bench: the framework environments from an installed package ---------------------------

def test_bench_finds_framework_environments_outside_the_checkout(tmp_path, monkeypatch):
    import importlib.util
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None
                        if name in ("torch", "optax") else real_find_spec(name, *a))
    monkeypatch.delenv("ADAMKIT_PEER_PYTHON", raising=False)
    monkeypatch.delenv("ADAMKIT_VENVS", raising=False)
    clone = tmp_path / "clone"
    py = clone / ".venvs" / "modern" / "bin" / "python"
    py.parent.mkdir(parents=True)
    py.write_text("")
    deep = clone / "work" / "deeper"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)                     # a parent of the current directory
    assert bench_peers._find_peer_python(None) == str(py)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("ADAMKIT_VENVS", str(clone / ".venvs"))
    assert bench_peers._find_peer_python(None) == str(py)
    assert bench_peers._find_peer_python("/x/python") == "/x/python"


def test_console_script_is_the_cli():
    exe = os.path.join(os.path.dirname(sys.executable), "adamkit")
    if not os.path.exists(exe):
        pytest.skip("the adamkit console script is not in this environment's bin/")
    r = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == f"adamkit {adamkit.__version__}"


def test_compare_option_names_are_the_optimizers():
    """--betas and --alpha as Adam(betas=)/RMSProp(alpha=); the old spellings still work
    with a deprecation note, and both at once are refused by name."""
    def run(*args):
        r = _run("compare", "torch", "keras", "--steps", "2", *args)
        return r.returncode, r.stdout, r.stderr
    code, out, err = run("--betas", "0.8", "0.9")
    assert code == 0 and "betas=(0.8, 0.9)" in out and err == ""
    code, out2, err = run("--beta1", "0.8", "--beta2", "0.9")
    assert code == 0 and out2 == out and "--beta1/--beta2 are deprecated" in err
    code, out, err = run("--optimizer", "rmsprop", "--alpha", "0.7")
    assert code == 0 and "alpha=0.7" in out and "rho=0.7" in out
    code, out2, err = run("--optimizer", "rmsprop", "--rho", "0.7")
    assert code == 0 and out2 == out and "--rho is deprecated" in err
    code, out, err = run("--alpha", "0.7", "--rho", "0.7")
    assert code == 2 and "--alpha and --rho both given" in err
