"""Packaging conventions (issue 14, item 6): one version source, the console script, the
extras, the licence, and an ``import adamkit`` that does not import scipy.

Import *time* is a benchmark, not an assertion (docs/packaging.md has the measurement);
what is asserted is its cause: ``scipy.optimize`` (1-1.5 s here) is imported only when
``minimize`` or a method function is first used.
"""

import importlib.metadata
import os
import re
import subprocess
import sys

import pytest

import adamkit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")


def _pyproject():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_import_does_not_import_scipy():
    out = _run("import sys, adamkit; print(sorted(m for m in sys.modules "
               "if m.split('.')[0] == 'scipy'))")
    assert out == "[]"
    # the lazy names resolve, and only then is scipy.optimize imported
    out = _run("import sys, adamkit; f = adamkit.minimize; from adamkit import adam; "
               "print(f.__module__, adam.__name__, 'scipy.optimize' in sys.modules, "
               "'minimize' in dir(adamkit))")
    assert out == "adamkit._minimize adam True True"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        adamkit.nope  # noqa: B018


def test_one_version_source():
    meson = open(os.path.join(ROOT, "meson.build")).read()
    version = re.search(r"project\('adamkit'.*?version: '([^']+)'", meson, re.S).group(1)
    project = _pyproject()["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert adamkit.__version__ == version == importlib.metadata.version("adamkit")
    for path in ("src/adamkit/__init__.py", "src/adamkit/tools/cli.py", "README.md"):
        text = open(os.path.join(ROOT, path)).read()
        assert f'"{version}"' not in text, f"{path} writes the version again"


def test_console_script_and_extras():
    project = _pyproject()["project"]
    assert project["scripts"] == {"adamkit": "adamkit.tools.cli:main"}
    eps = importlib.metadata.entry_points(group="console_scripts")
    assert any(e.name == "adamkit" and e.value == "adamkit.tools.cli:main" for e in eps)
    extras = project["optional-dependencies"]
    assert any(d.startswith("matplotlib") for d in extras["plot"])
    assert {"sphinx", "numpydoc", "myst-parser"} <= {re.split("[<>=]", d)[0]
                                                     for d in extras["docs"]}
    # README's test command installs only [test]: it must bring what the tests need
    assert "adamkit[plot,docs]" in extras["test"]
    assert any(d.startswith("mypy") for d in extras["test"])


def test_license_file():
    text = open(os.path.join(ROOT, "LICENSE")).read()
    assert text.startswith("BSD 3-Clause License") and "adamkit developers" in text
    project = _pyproject()["project"]
    assert project["license"] == "BSD-3-Clause" and project["license-files"] == ["LICENSE"]
