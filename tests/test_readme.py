"""README.md's Python examples run as written, in order, in one namespace (the docs site
includes them from README.md, so the site's examples are these). A few seconds."""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCKS = re.findall(r"```python\n(.*?)\n```", open(os.path.join(ROOT, "README.md")).read(),
                    re.S)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 3


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "readme"}
    for i, block in enumerate(BLOCKS):
        try:
            exec(compile(block, f"README.md python block {i}", "exec"), ns)
        except Exception as e:      # name the block
            pytest.fail(f"README python block {i} raised {type(e).__name__}: {e}")
    assert (tmp_path / "checkpoint.npz").is_file()
    assert repr(ns["same"]) == repr(ns["opt"]) and ns["twin"].t == ns["opt"].t == 100
    assert ns["resumed"].state_dict()["t"] == 100
    assert ns["res"].success and ns["res"].x.tobytes() == ns["res2"].x.tobytes()
