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


#: inputs tried by the hostile-input suite (tests/test_hostile_*.py, test_fuzz.py), by test
HOSTILE_INPUTS = {}


@pytest.fixture
def hostile(request, report):
    """``hostile(n, line)``: report ``line`` and count ``n`` hostile inputs for the summary
    line the session prints at its end."""
    def count(n, line):
        HOSTILE_INPUTS[request.node.nodeid] = HOSTILE_INPUTS.get(request.node.nodeid, 0) + n
        report(line)
    return count


def pytest_terminal_summary(terminalreporter):
    if HOSTILE_INPUTS:
        terminalreporter.write_line(
            f"hostile-input suite: {sum(HOSTILE_INPUTS.values())} inputs in "
            f"{len(HOSTILE_INPUTS)} tests")
