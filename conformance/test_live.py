"""Live conformance: run each framework stack's adapters on the standard gradient streams
and replay every recording through its preset.

A stack whose environment is missing is skipped locally (run ``python -m adamkit setup``)
and fails in CI (CI=true): there, no conformance case may be skipped.
"""

import os

import pytest

from adamkit._verify import live_results, load_stacks, stack_python

HERE = os.path.dirname(os.path.abspath(__file__))
STACKS = load_stacks(HERE)


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_live_stack_replays_bit_for_bit(stack, tmp_path):
    if not os.path.exists(stack_python(HERE, stack)):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the {stack} framework stack is not installed (python -m adamkit setup)")
        pytest.skip(f"the {stack} framework stack is not installed (python -m adamkit setup)")
    results = live_results(HERE, stack, str(tmp_path / "streams"), str(tmp_path / "rec"))
    assert results, f"{stack}: the adapters wrote no recordings"
    bad = [(name, r.max_ulp if r else why, status) for r, status, why, name in results
           if status not in ("identical", "pinned", "not reproduced")]
    assert not bad, bad
