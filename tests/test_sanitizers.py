"""The C core's tests (and the README's C example) under AddressSanitizer and
UndefinedBehaviorSanitizer, and, in CI or with ADAMKIT_SANITIZE_PYTHON=1, the Python
kernel tests against an instrumented build of the extension (.ci/sanitize.sh)."""

import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, ".ci", "sanitize.sh")


@pytest.mark.skipif(not os.path.exists(SCRIPT), reason="needs a source checkout")
def test_sanitizers_are_clean():
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    python_part = (os.environ.get("CI", "").lower() == "true"
                   or os.environ.get("ADAMKIT_SANITIZE_PYTHON") == "1")
    env = dict(os.environ, SANITIZE_PYTHON="1" if python_part else "0")
    r = subprocess.run(["bash", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=1800)
    assert r.returncode == 0, (r.stdout[-4000:], r.stderr[-4000:])
    assert "C core under ASan+UBSan: clean" in r.stdout
