"""``adamkit.from_framework`` on the frameworks' own objects, in their stacks (the cases
are in ``from_framework_cases.py``): the preset chosen, every hyper-parameter carried
over, torch's own steps against adamkit's on a several-array model (for-loop, foreach,
fused, schedulers), and the questions asked when the object cannot tell.

A stack whose environment is missing is skipped locally and fails in CI (CI=true).
"""

import json
import os
import subprocess

import pytest

from .inside import bootstrap
from .verify import stack_python

HERE = os.path.dirname(os.path.abspath(__file__))

#: group -> (stack, environment)
GROUPS = {
    "torch": ("modern", {}),
    "keras-tensorflow": ("modern", {"KERAS_BACKEND": "tensorflow"}),
    "keras-jax": ("modern", {"KERAS_BACKEND": "jax"}),
    "keras-torch": ("modern", {"KERAS_BACKEND": "torch"}),
    "tf": ("modern", {}),
    "optax": ("modern", {}),
    "legacy": ("legacy", {"KERAS_BACKEND": "theano"}),
    "kerasadamw": ("kerasadamw", {"TF_KERAS": "1"}),
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_from_framework_reads_the_framework_objects(group, tmp_path):
    stack, env = GROUPS[group]
    python = stack_python(stack)
    if not os.path.exists(python):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the {stack} framework stack is not installed")
        pytest.skip(f"the {stack} framework stack is not installed (python -m conformance setup)")
    env = {**os.environ, **env, "ADAMKIT_BOOTSTRAP": bootstrap(), "TF_CPP_MIN_LOG_LEVEL": "3",
           "KERAS_HOME": str(tmp_path), "THEANO_FLAGS":
           f"blas.ldflags=,base_compiledir={tmp_path}/theano"}
    out = subprocess.run([python, os.path.join(HERE, "from_framework_cases.py"),
                          group.split("-")[0]], capture_output=True, text=True, env=env,
                         timeout=900, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["checked"] > 0
    assert not report["failures"], "\n".join(report["failures"])
