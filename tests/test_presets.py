"""The preset table's API: names, aliases, the framework's own keywords, errors; the CLI."""

import os
import subprocess
import sys

import numpy as np
import pytest

import adamkit
from adamkit import presets
from adamkit._kernels import Kernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_row_builds_with_its_defaults():
    for framework, optimizer in presets.available():
        row = presets.get(framework, optimizer)
        given = {name: 1e-3 for name in row.required}
        rule, hp, lr, _ = presets.build(f"{framework}.{optimizer}",
                                     "RMSProp" if row.family == "rmsprop" else "Adam", given)
        assert rule.family == row.family
        Kernel(rule.family, rule.ops)      # the ops row is valid for the C core


def test_every_row_has_a_specialized_loop_at_its_defaults():
    """adam_c/src/instances.h lists each preset's default ops rows (body and tail), so
    that presets run a straight-line loop, not the generic loop's per-element branches.
    A row added to the table without its instance line fails here."""
    missing = []
    for framework, optimizer in presets.available():
        row = presets.get(framework, optimizer)
        rule, _, _, _ = presets.build(f"{framework}.{optimizer}",
                                   "RMSProp" if row.family == "rmsprop" else "Adam",
                                   {name: 1e-3 for name in row.required})
        tail = None if rule.tail_ops is None else Kernel(rule.family,
                                                         {**rule.ops, **rule.tail_ops})
        for kernel in (Kernel(rule.family, rule.ops), tail):
            for dtype in row.dtypes:
                if kernel is not None and not kernel.is_specialized(np.dtype(dtype).char):
                    missing.append((f"{framework}.{optimizer}", dtype, kernel.ops))
    assert not missing, missing


def test_the_build_has_exactly_the_instances_the_rows_use():
    """instances.h is generated from the rows (adam_c/codegen.py): one loop per distinct
    row, none that no rule or preset uses."""
    from adamkit._kernels import instance_counts
    from adamkit.presets._instances import instance_rows
    runtime = ("ftz", "estimate", "portable")     # cleared by the run functions
    distinct = {(fam, tuple(sorted((k, v) for k, v in ops.items() if v and k not in runtime)))
                for fam, ops, _ in instance_rows()}
    assert instance_counts() == {fam: sum(1 for f, _ in distinct if f == fam)
                                 for fam in ("adam", "rmsprop")}


def test_class_and_flags_pick_the_row():
    assert adamkit.Adam(preset="lasagne_master", amsgrad=True)._rule.name == \
        "lasagne_master.amsgrad"
    assert adamkit.AdaMax(preset="torch7")._rule.name == "torch7.adamax"
    assert adamkit.Adam(preset="keras")._rule.name == "keras_tensorflow.adam"
    assert adamkit.Adam(preset="optax", learning_rate=1e-3, nesterov=True)._rule.name == \
        "optax.nadam"
    # PyTorch keeps amsgrad as an Adam hyper-parameter
    opt = adamkit.Adam(preset="pytorch", amsgrad=True)
    assert opt._rule.name == "pytorch.adam" and opt.hyperparameters["amsgrad"] is True


def test_framework_and_adamkit_names_agree():
    a = adamkit.Adam(preset="caffe", base_lr=0.01, momentum=0.9, momentum2=0.99, delta=1e-7)
    b = adamkit.Adam(preset="caffe", lr=0.01, betas=(0.9, 0.99), eps=1e-7)
    assert a.hyperparameters == b.hyperparameters and a.lr == b.lr


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"preset": "nonesuch"}, ValueError, "no preset for framework"),
    ({"preset": "caffe.nadam"}, ValueError, "caffe has no 'nadam'"),
    ({"preset": 3}, TypeError, "preset must be a string"),
    ({"preset": "caffe"}, TypeError, "needs base_lr"),
    ({"preset": "torch7", "learning_rate": 1e-3}, TypeError, "unknown keyword"),
    ({"preset": "torch7", "nesterov": True}, TypeError, "not an option"),
    ({"preset": "torch7", "beta1": 1.5}, ValueError, "beta1"),
    # keywords of the framework that change the numerics: refused by name, unless default
    ({"preset": "keras", "gradient_accumulation_steps": 4}, ValueError,
     "gradient_accumulation_steps=4 is not reproduced"),
    ({"preset": "keras_jax", "use_ema": True}, ValueError, "use_ema=True"),
    ({"preset": "tf_keras", "adaptive_epsilon": True}, ValueError, "adaptive_epsilon"),
    ({"preset": "mxnet", "begin_num_update": 10}, ValueError, "begin_num_update=10"),
    ({"preset": "keras_adamw.adamw", "amsgrad": True}, ValueError, "amsgrad=True"),
    ({"preset": "keras_adamw.adamw", "use_cosine_annealing": True, "total_iterations": 10,
      "autorestart": False}, ValueError, "autorestart=False"),
])
def test_bad_preset_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        adamkit.Adam(**kwargs)


def test_framework_calls_and_configs_are_accepted():
    """What users paste: a framework's constructor call or get_config(), numerics-free
    keywords and defaults included."""
    adamkit.Adam(preset="tensorflow", learning_rate=1e-3, use_locking=True, name="Adam",
                 use_own_namescope_for_non_slot_vars=False)
    tf1 = adamkit.RMSProp(preset="tensorflow", learning_rate=1e-2, decay=0.95, momentum=0.0,
                          epsilon=1e-10, use_locking=False, centered=False, name="RMSProp")
    assert tf1.hyperparameters["rho"] == 0.95
    adamkit.Adam(preset="mxnet", learning_rate=1e-3, lazy_update=True, multi_precision=True,
                 param_idx2name=None, lr_scheduler=None, begin_num_update=0, sym=None,
                 param_dict=None)
    config = {"name": "adam", "learning_rate": 0.0010000000474974513, "weight_decay": None,
              "clipnorm": None, "global_clipnorm": None, "clipvalue": None, "use_ema": False,
              "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
              "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999,
              "epsilon": 1e-07, "amsgrad": False}   # keras.optimizers.Adam().get_config()
    adamkit.Adam(preset="keras_jax", **config)
    adamkit.AdamW(preset="keras_adamw", **{       # keras_adamw.AdamW().get_config()
        "name": "AdamW", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False, "total_iterations": 0, "weight_decays": {},
        "use_cosine_annealing": False, "autorestart": False, "t_cur": 0, "eta_t": 1.0,
        "eta_min": 0.0, "eta_max": 1.0, "init_verbose": True})


def test_defaults_cli_lists_every_preset_and_the_readme_table_is_its_output():
    r = run_cli("defaults")
    assert r.returncode == 0, r.stderr
    for framework, optimizer in presets.available():
        assert f"{presets.get(framework, optimizer).name}: " in r.stdout
    assert "torch.optim.RMSprop, torch 2.13.0" in r.stdout
    md = run_cli("defaults", "--markdown").stdout.strip()
    readme = open(os.path.join(ROOT, "README.md")).read()
    start = readme.index("<!-- generated: python -m adamkit defaults --markdown -->")
    table = readme[start:readme.index("<!-- end generated -->", start)].split("\n", 1)[1]
    assert table.strip() == md, "README's defaults table is stale: regenerate it"


def test_preset_step_matches_its_replay_semantics():
    """A preset used as an optimizer object steps like the kernel path of replay."""
    rng = np.random.default_rng(0)
    p = rng.standard_normal(67).astype(np.float32)
    q = p.copy()
    a = adamkit.Adam(preset="torch7")
    b = adamkit.Adam(preset="torch7", n_threads=1)
    for _ in range(10):
        g = rng.standard_normal(67).astype(np.float32)
        a.step(p, g)
        b.step(q, g)
    assert np.array_equal(p, q)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "adamkit", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)


def test_cli_replay_and_compare(tmp_path):
    golden = os.path.join(ROOT, "conformance", "golden", "caffe-adam-l1-float32.npz")
    r = run_cli("replay", golden)
    assert r.returncode == 0 and "1 of 1 files bit-identical" in r.stdout
    plot = tmp_path / "drift.png"
    r = run_cli("compare", "pytorch", "tensorflow", "--steps", "50", "--plot", str(plot))
    assert r.returncode == 0, r.stderr
    assert "first step that differs" in r.stdout and plot.exists()


def test_conformance_verify_golden_only():
    r = subprocess.run([sys.executable, "-m", "conformance", "verify", "--golden-only"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "56 identical (56 recordings)" in r.stdout
    assert "this machine: " in r.stdout


def test_caffe_clip_gradients_scales_by_the_float_norm():
    """Caffe's ClipGradients (written from sgd_solver.cpp; no clipped golden run exists):
    the gradient is scaled by clip / ||g|| in float32 when the norm exceeds clip."""
    from adamkit.presets._openblas import sdot_sq as _openblas_sdot_sq
    rng = np.random.default_rng(1)
    g = (rng.standard_normal(67) * 10).astype(np.float32)
    clipped = adamkit.Adam(preset="caffe", base_lr=0.01, momentum=0.9, clip_gradients=1.0,
                           openblas_core="Haswell")
    manual = adamkit.Adam(preset="caffe", base_lr=0.01, momentum=0.9, openblas_core="Haswell")
    p, q = g.copy(), g.copy()
    clipped.step(p, g)
    scale = np.float32(1.0) / np.sqrt(_openblas_sdot_sq(g, "Haswell"))
    manual.step(q, g * scale)                     # sscal: one float multiply per element
    assert np.array_equal(p, q)
    loose = adamkit.Adam(preset="caffe", base_lr=0.01, momentum=0.9, clip_gradients=1e9)
    r = g.copy()
    loose.step(r, g)                              # norm below the threshold: untouched
    s = g.copy()
    adamkit.Adam(preset="caffe", base_lr=0.01, momentum=0.9).step(s, g)
    assert np.array_equal(r, s)


def test_keras_adamw_takes_one_lr_multiplier():
    p, g = np.zeros(4, np.float32), np.ones(4, np.float32)
    with pytest.raises(ValueError, match="one lr_multipliers entry"):   # when the recipe
        adamkit.AdamW(preset="keras_adamw", lr_multipliers={"p": 0.5, "q": 2.0})  # compiles
    assert not p.any()
    half = adamkit.AdamW(preset="keras_adamw", lr_multipliers={"p": 0.5})
    full = adamkit.AdamW(preset="keras_adamw")
    a, b = p.copy(), p.copy()
    half.step(a, g)
    full.step(b, g)
    assert 0 < abs(a[0]) < abs(b[0])


def test_from_framework_refuses_what_it_cannot_read():
    with pytest.raises(TypeError, match="not a framework optimizer adamkit reads"):
        adamkit.from_framework(object())
    with pytest.raises(TypeError, match="only a constructor"):
        adamkit.from_framework(object(), learning_rate_x=1)
