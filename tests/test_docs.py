"""The documentation site builds with warnings as errors (issue 14, item 5).

``python -m sphinx -W -b html docs <tmp>``: the API reference from the docstrings, the
README's sections included (not copied), the presets' defaults table and the command-line
help generated at build time, the gallery's examples run by matplotlib's plot directive.
Needs the ``docs`` extra (the ``test`` extra includes it); skipped without it, except in
CI, where it must run. 25-30 s on 2 busy cores.
"""

import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
NEEDS = ("sphinx", "numpydoc", "myst_parser", "matplotlib")


def test_docs_build_without_warnings(tmp_path):
    missing = [m for m in NEEDS if importlib.util.find_spec(m) is None]
    if missing:
        if IN_CI:
            pytest.fail(f"the docs extra is not installed ({missing}); CI must build the docs")
        pytest.skip(f"needs {missing} (pip install '.[docs]')")
    out = tmp_path / "html"
    r = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b",
                        "html", "-d", str(tmp_path / "doctrees"), os.path.join(ROOT, "docs"),
                        str(out)], capture_output=True, text=True, cwd=str(tmp_path),
                       env=dict(os.environ, MPLBACKEND="Agg",
                                ADAMKIT_DOCS_WORKDIR=str(tmp_path)))
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-5000:]
    pages = {p.name for p in out.glob("*.html")}
    assert {"index.html", "api.html", "gallery.html", "embedding.html", "cli.html",
            "optimizers.html", "conformance.html", "install.html"} <= pages
    api = (out / "api.html").read_text()
    for name in ("adamkit.Adam", "adamkit.minimize", "adamkit.adam", "get_config",
                 "adamkit.tools.compare.compare"):
        assert f'id="{name}' in api or name in api, name
    # generated at build time: every preset row of the defaults table, the CLI's help
    from adamkit import presets
    optimizers = (out / "optimizers.html").read_text()
    assert all(f"{f}.{o}</span>" in optimizers for f, o in presets.available())
    assert "usage: adamkit compare" in (out / "cli.html").read_text()
    # the included README sections and the gallery's figures
    assert "golden-only" in (out / "install.html").read_text()
    images = {p.name for p in (out / "_images").iterdir()}
    assert {"plot_convergence.png", "plot_drift.png"} <= images
    # nothing was written into the source tree
    assert not os.path.exists(os.path.join(ROOT, "examples", "plot_drift.png"))
