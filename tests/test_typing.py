"""mypy on the type stubs of the compiled modules, the public API and the examples.

Runs when mypy is installed (the ``test`` extra installs it). mypy checks a copy of the
package as Python imports it (so an editable install, whose generated modules live in
the build directory, is checked the same way as an installed wheel):
``tests/typing/public_api.py`` (calls that must type-check, and calls that must be type
errors, marked ``# type: ignore[...]`` under ``--warn-unused-ignores``) and
``examples/*.py``. About 20-40 s cold; mypy's cache lives in the temporary directory.
"""

import glob
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytest.importorskip("mypy")


def _package_copy(dest):
    """adamkit's Python sources and stubs, as imported, in ``dest/adamkit``."""
    import adamkit._version
    import adamkit._vocab

    import adamkit
    src = os.path.dirname(adamkit.__file__)
    pkg = os.path.join(dest, "adamkit")
    shutil.copytree(src, pkg, ignore=lambda d, names: [
        n for n in names if not (n.endswith((".py", ".pyi", "py.typed"))
                                 or os.path.isdir(os.path.join(d, n)))])
    for mod in (adamkit._version, adamkit._vocab):   # generated: in the build directory
        shutil.copy(mod.__file__, pkg)
    for stub in ("_kernels.pyi", "_core.pyi", os.path.join("tools", "_membench.pyi")):
        assert os.path.exists(os.path.join(pkg, stub)), f"stub {stub} is not installed"
    return dest


def test_mypy_stubs_public_api_and_examples(tmp_path):
    path = _package_copy(str(tmp_path / "pkg"))
    files = [os.path.join(path, "adamkit"),           # the package, its stubs included
             os.path.join(ROOT, "tests", "typing", "public_api.py"),
             *sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))]
    env = dict(os.environ, MYPYPATH=path)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", os.path.join(ROOT, "pyproject.toml"),
         "--no-error-summary", "--cache-dir", str(tmp_path / "cache"), *files],
        capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
