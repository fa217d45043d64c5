from contextlib import nullcontext

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(scope="session")
def report(request):
    """``report(line)`` prints one line to the terminal, outside pytest's output capture
    (the fuzz, property and long-run tests report what they ran)."""
    def write(line):
        pm = request.config.pluginmanager
        tr, capman = pm.get_plugin("terminalreporter"), pm.get_plugin("capturemanager")
        if tr is None:
            print(line)  # noqa: T201
            return
        ctx = capman.global_and_fixture_disabled() if capman is not None else nullcontext()
        with ctx:
            tr.write_line("")
            tr.write_line(line)
    return write
