"""The presets' published defaults (``python -m adamkit defaults``), checked against the
frameworks themselves.

Live: in each stack's environment, ``defaults_probe.py`` reads the signature of every
preset's framework callable (``Preset.constructor``) and what the constructed object
reports (``get_config()``, ``.defaults``, ``.hyperparam``). Each of the framework's
keywords must be one the preset takes (under the framework's name or an alias) or ignores,
with the same default; each keyword the preset lists as the framework's must exist there;
the release must be the preset's.

Golden: for the frameworks that cannot be installed, the golden recordings of the
"default" cases store ``hyperparameters_effective`` (the constructor's defaults filled in,
read from the framework) and the keywords actually passed; the defaults left to the
framework must be the preset's.

A stack whose environment is missing is skipped locally and fails in CI (CI=true).
"""

import glob
import json
import os
import subprocess

import numpy as np
import pytest

from adamkit import presets
from adamkit.presets import _same

from .verify import stack_python

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")

#: the stack whose environment holds each live framework
STACK_OF = {"pytorch": "modern", "optax": "modern", "tensorflow": "modern",
            "keras_tensorflow": "modern", "keras_tensorflow_eager": "modern",
            "keras_jax": "modern", "keras_jax_eager": "modern", "keras_torch": "modern",
            "tf_keras": "modern", "tf_keras_legacy": "modern",
            "mxnet": "legacy", "chainer": "legacy", "lasagne_0.1": "legacy",
            "keras2": "legacy", "keras_adamw": "kerasadamw"}

#: what each stack's frameworks need in the environment to import
PROBE_ENV = {"modern": {"TF_CPP_MIN_LOG_LEVEL": "3"},
             "legacy": {"KERAS_BACKEND": "theano"},
             "kerasadamw": {"TF_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}}

#: presets whose defaults no test can read from the framework, and why
UNCHECKED = {
    "caffe": "Caffe cannot be installed here; its defaults are caffe.proto's SolverParameter "
             "field defaults (read at 9b89154), and the golden 'default' cases pass every "
             "value explicitly",
}


#: None defaults that the framework resolves in its constructor, and what the recordings
#: store for them (keras-adamw's __init__; the recording's hyperparameters_note)
RESOLVED_NONE = {("keras_adamw", "epsilon"): 1e-7, ("keras_adamw", "autorestart"): False,
                 ("keras_adamw", "total_iterations_wd"): 0,
                 ("keras_adamw", "weight_decays"): {}}


def _callable(row):
    """(dotted path, keywords the preset fixes in the call) of ``Preset.constructor``."""
    path, _, args = row.constructor.partition("(")
    fixed = {}
    for part in filter(None, args.rstrip(")").split(",")):
        key, _, value = part.partition("=")
        fixed[key.strip()] = json.loads(value.strip().replace("True", "true")
                                        .replace("False", "false"))
    return path, fixed


def _live_rows():
    return [row for key, row in sorted(presets.PRESETS.items())
            if row.framework in STACK_OF and row.constructor]


_ANSWERS = {}


def _answers(stack, tmp_path_factory):
    """The probe's answers for every preset of ``stack`` (one run per stack)."""
    if stack not in _ANSWERS:
        python = stack_python(stack)
        if not os.path.exists(python):
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"the {stack} framework stack is not installed "
                            "(python -m conformance setup)")
            pytest.skip(f"the {stack} framework stack is not installed "
                        "(python -m conformance setup)")
        tmp = tmp_path_factory.mktemp(f"probe-{stack}")
        env = {**os.environ, **PROBE_ENV[stack], "KERAS_HOME": str(tmp),
               "THEANO_FLAGS": f"blas.ldflags=,base_compiledir={tmp}/theano"}
        requests = [{"preset": row.name, "constructor": _callable(row)[0]}
                    for row in _live_rows() if STACK_OF[row.framework] == stack]
        out = subprocess.run([python, os.path.join(HERE, "defaults_probe.py")],
                             input=json.dumps(requests), capture_output=True, text=True,
                             env=env, timeout=600, check=True)
        _ANSWERS[stack] = json.loads(out.stdout)
    return _ANSWERS[stack]


def _float32_equal(a, b):
    """A default the object stores as a float32 variable (Keras's get_config)."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return _same(a, b)
    try:
        return float(np.float32(a)) == float(np.float32(b))
    except (TypeError, ValueError):
        return _same(a, b)


def _resolve(row, key):
    target = row.aliases.get(key, key)
    return target if isinstance(target, str) else None


@pytest.mark.parametrize("row", _live_rows(), ids=lambda r: r.name)
def test_defaults_match_the_live_framework(row, tmp_path_factory):
    answer = _answers(STACK_OF[row.framework], tmp_path_factory)[row.name]
    assert "error" not in answer, f"{row.constructor}: {answer.get('error')}"
    assert answer["version"].split("+")[0] == row.version, (
        f"{row.name} reproduces {row.version}; the stack has {answer['version']}")
    _, fixed = _callable(row)
    signature, config = answer["signature"], answer["config"] or {}
    problems = []
    for key, default in [*signature.items(),
                         *((k, v) for k, v in config.items() if k not in signature)]:
        if key in row.ignored:
            continue
        target = _resolve(row, key)
        if target not in row.defaults:
            problems.append(f"{key}: a keyword of {row.constructor} the preset does not take")
            continue
        want = fixed.get(key, default)
        have = row.defaults[target]
        if isinstance(want, dict) and want.get("required"):
            if target not in row.required:
                problems.append(f"{key}: required by the framework, not by the preset")
        elif key in signature:
            if not _same(have, want) and not (isinstance(want, list) and _same(tuple(want),
                                                                               have)):
                problems.append(f"{key}: the framework's default is {want!r}, the preset's "
                                f"{have!r}")
        elif not _float32_equal(have, want):
            problems.append(f"{key}: {row.constructor}() reports {want!r}, the preset has "
                            f"{have!r}")
    known = set(signature) | set(config)
    for key in row.framework_keywords():
        names = {key} | {a for a, t in row.aliases.items() if t == key}
        if not names & known:
            problems.append(f"{key}: listed as the framework's, but {row.constructor} has "
                            "no such keyword (an adamkit option belongs in options)")
    assert not problems, f"{row.name}:\n  " + "\n  ".join(problems)


def _golden_defaults():
    """(preset, file, the defaults the case left to the framework) for each golden
    'default' case."""
    out = {}
    for path in sorted(glob.glob(os.path.join(GOLDEN, "*-default-*.npz"))):
        with np.load(path) as z:
            meta = json.loads(str(z["meta"]))
        passed = meta.get("hyperparameters") or {}
        for inner in ("kwargs_as_passed", "config_table_as_passed"):
            if inner in passed:
                passed = passed[inner]
        row = presets.get(meta["framework"], meta["optimizer"])
        left = {k: v for k, v in meta["hyperparameters_effective"].items() if k not in passed}
        out.setdefault(row.name, (row, os.path.basename(path), meta, left))
    return list(out.values())


@pytest.mark.parametrize("case", _golden_defaults(), ids=lambda c: c[0].name)
def test_defaults_match_the_golden_recordings(case):
    row, name, meta, left = case
    assert row.version.split(" ")[0] in json.dumps(meta["version"]), (
        f"{name}: recorded with {meta['version']!r}; the preset says {row.version}")
    problems = []
    for key, value in left.items():
        target = _resolve(row, key)
        if key in row.ignored:
            continue
        if target not in row.defaults:
            problems.append(f"{key}: recorded as a default, not a keyword of the preset")
        elif not _same(row.defaults[target], value) and not (
                row.defaults[target] is None
                and _same(RESOLVED_NONE.get((row.framework, target), None), value)):
            problems.append(f"{key}: recorded {value!r}, the preset's {row.defaults[target]!r}")
    assert not problems, f"{row.name} ({name}):\n  " + "\n  ".join(problems)


def test_every_preset_with_defaults_is_checked():
    live = {r.name for r in _live_rows()}
    golden = {c[0].name for c in _golden_defaults()}
    unchecked = [row.name for row in presets.PRESETS.values()
                 if row.constructor and row.name not in live | golden
                 and row.framework not in UNCHECKED]
    assert not unchecked, f"no live or golden evidence for the defaults of {unchecked}"
