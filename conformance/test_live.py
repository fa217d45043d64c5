"""Live conformance: run each framework stack's adapters on the standard gradient streams
and replay every recording through its preset, on the code path the recording says the
framework took (this CPU's natively, and the framework's own ISA limits: stacks.py).

Every recording is replayed twice: with this CPU's estimate instructions where they give
the frameworks' bits, and with every estimate computed by its portable software model
(``portable=True``, what another machine does); both must give the recorded bits. A
recording of real training is replayed with the learning rate it recorded at each step
and, when adamkit has its schedule, with that schedule (a second row, ``#schedule``).

A stack whose environment is missing is skipped locally (run ``python -m conformance
setup``) and fails in CI (CI=true): there, no conformance case may be skipped.
"""

import os

import pytest

from adamkit.tools import trajectory
from adamkit.tools.replay import replay_file

from .stacks import STACKS
from .verify import live_results, stack_python


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_live_stack_replays_bit_for_bit(stack, tmp_path):
    if not os.path.exists(stack_python(stack)):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the {stack} framework stack is not installed "
                        "(python -m conformance setup)")
        pytest.skip(f"the {stack} framework stack is not installed (python -m conformance setup)")
    rec = tmp_path / "rec"
    results = live_results(stack, str(tmp_path / "streams"), str(rec))
    assert results, f"{stack}: the adapters wrote no recordings"
    bad = [(name, r.max_ulp if r else why, status) for r, status, why, name in results
           if status not in ("identical", "pinned", "not reproduced")]
    assert not bad, bad
    portable = []
    for r, status, _, name in results:
        if r is None:
            continue
        file, _, source = name.partition("#")     # "<file>#schedule": adamkit's schedule
        p = replay_file(str(rec / file), portable=True, lr_source=source or None,
                        n_threads=1 if r.arrays else None,
                        max_bytes=trajectory.MAX_BYTES)   # the suite's own recordings
        if p.max_ulp != r.max_ulp:
            portable.append((name, r.max_ulp, p.max_ulp))
    assert not portable, portable
