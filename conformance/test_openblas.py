"""adamkit's model of OpenBLAS 0.3.20's dot products (``adamkit.presets._openblas``, used
for Chainer's GradientClipping norm) against NumPy 1.23.5's own OpenBLAS in the legacy
framework environment, on every core this CPU can run (the native one, Haswell, and
SkylakeX where the CPU has AVX-512) and with 1 and 2 threads: n = 0..300 and sizes above
the 10,000-element threading grain, float32 and float64, wide dynamic range; and the core
and thread count OpenBLAS reports against adamkit's detection of them."""

import os
import subprocess

import numpy as np
import pytest

from adamkit import _cpu
from adamkit.presets import _openblas

from .verify import HERE, stack_python

SIZES = list(range(0, 301)) + [10000, 10001, 10017, 10063, 40011]


def _vectors(dtype):
    rng = np.random.default_rng(11)
    out = {}
    for n in SIZES:
        x = rng.standard_normal((4, n)) * 10.0 ** rng.uniform(-6, 3, (4, n))
        x[:, ::13] = 0.0
        out[f"n{n}"] = x.astype(dtype)
    return out


@pytest.mark.parametrize("coretype, threads", [(None, "2"), ("Haswell", "1"), ("Haswell", "2"),
                                               ("SkylakeX", "2")])
def test_dots_equal_numpy_openblas(tmp_path, coretype, threads):
    py = stack_python("legacy")
    if not os.path.exists(py):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the legacy framework stack is not installed")
        pytest.skip("the legacy framework stack is not installed (python -m conformance setup)")
    if coretype == "SkylakeX" and "avx512vl" not in _cpu.host().flags:
        pytest.skip("this CPU cannot run OpenBLAS's SkylakeX kernels")
    mismatches, checked = 0, 0
    for dtype in (np.float32, np.float64):
        vecs = _vectors(dtype)
        src, dst = tmp_path / "in.npz", tmp_path / "out.npz"
        np.savez(src, **vecs)
        env = dict(os.environ, OPENBLAS_NUM_THREADS=threads)
        env.pop("OPENBLAS_CORETYPE", None)
        if coretype:
            env["OPENBLAS_CORETYPE"] = coretype
        subprocess.run([py, os.path.join(HERE, "openblas_dots.py"), str(src), str(dst)],
                       env=env, check=True, timeout=600)
        with np.load(dst) as z:
            core, nthreads = str(z["core"]), int(z["threads"])
            for name, x in vecs.items():
                for row, want in zip(x, z[name]):
                    got = (_openblas.sdot_sq(row, core) if dtype == np.float32
                           else _openblas.ddot_sq(row, core, nthreads))
                    checked += 1
                    mismatches += not np.array_equal(np.asarray(got, dtype), want)
    assert checked == 2 * 4 * len(SIZES) and mismatches == 0, (core, nthreads, mismatches)
    # the core OpenBLAS chose is the one adamkit detects for this CPU and setting
    assert core == _openblas.core("0.3.20", _cpu.host(), coretype)
    assert nthreads == _openblas.threads({"OPENBLAS_NUM_THREADS": threads})
