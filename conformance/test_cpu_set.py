"""The cross-CPU set (``conformance/cpu/``, made by ``cpu_set.py``): live recordings of
CPU-dependent framework paths, replayed on whatever CPU runs the tests.

Each file is replayed on the path its recording says the framework took (``cpu``, ``env``,
``paths`` in its metadata): with this CPU's estimate instructions where they are the
recorded ones, with the software models where they are not (a Zen 3 machine replays the
AVX-512 files through the vrsqrt14pd model, an Intel machine every rsqrtps through the
Zen model); and once more with every estimate from its model (``portable=True``). Both
must give the recorded bits at every step.
"""

import glob
import json
import os

import numpy as np
import pytest

from adamkit import presets
from adamkit.tools.replay import replay_file

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = sorted(glob.glob(os.path.join(HERE, "cpu", "*.npz")))


def _meta(path):
    with np.load(path) as z:
        return json.loads(str(z["meta"]))


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
@pytest.mark.parametrize("portable", [False, True], ids=["this-cpu", "portable"])
def test_cross_cpu_recording_replays_bit_for_bit(path, portable):
    r = replay_file(path, portable=portable)
    assert r.identical, (f"{os.path.basename(path)}: max {r.worst} ULP, first at step "
                         f"{r.first_diff_step} ({r.max_ulp})")


def test_the_set_covers_the_cpu_dependent_paths():
    """The paths another machine cannot take natively are all in the set."""
    contexts = []
    for path in FILES:
        meta = _meta(path)
        row, hp = presets.for_recording(meta)
        contexts.append({**presets.context(row, hp), "threads": (meta.get("env") or {}).get(
            "OPENBLAS_NUM_THREADS")})
    seen = lambda key, pred: any(key in c and pred(c[key]) for c in contexts)  # noqa: E731
    assert seen("xla_isa", lambda v: v.startswith("AVX512")), "XLA's AVX-512 rsqrt"
    assert seen("xla_isa", lambda v: v == "AVX2"), "XLA capped at AVX2"
    assert seen("estimate", lambda v: v == "zen"), "Zen's rsqrtps"
    assert seen("openblas_core", lambda v: v == "Haswell"), "OpenBLAS Haswell kernels"
    assert len(FILES) >= 20


def test_a_failing_replay_says_where_and_on_which_path(tmp_path):
    """verify's FAIL row names the first differing step and array and the CPU path it was
    replayed on (a recording altered by one bit at step 5)."""
    from .verify import replay_rows
    src = os.path.join(HERE, "cpu", "optax-rmsprop-default-float64.npz")
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    params = arrays["params"].copy()
    params.view(np.uint64)[5, 3] ^= 1
    arrays["params"] = params
    bad = tmp_path / "optax-rmsprop-default-float64.npz"
    np.savez_compressed(bad, **arrays)
    (r, status, note, _), = replay_rows(str(bad))
    assert status == "FAIL" and r.worst == 1
    assert "first differs at step 5 in params" in note
    assert "xla_isa=AVX512" in note and "recorded on" in note or "xla_isa=AVX512" in note
