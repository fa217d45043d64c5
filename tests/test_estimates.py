"""The kernels' portable models of the reciprocal-square-root estimates (adam_c/src/
estimates.c) against the hardware instructions, on every input that matters, and the
portable path of every preset row against the hardware path.

adam_c/tests/test_estimates.c is compiled and run: on an AMD Zen 3/4/5 CPU it compares the
rsqrtps model with rsqrtss and vrsqrtps on all 2^32 floats; with AVX-512F the vrsqrt14pd
model with the instruction on every (sign, exponent, top 15 fraction bits) and subnormal
shape, with and without DAZ, after showing that nothing else changes the result; on any
machine the models' outputs against checksums recorded where both comparisons passed.
"""

import os
import shutil
import subprocess
import sysconfig

import numpy as np
import pytest

import adamkit
from adamkit import _kernels as K
from adamkit import presets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IN_CI = os.environ.get("CI", "").lower() == "true"


def test_models_against_the_hardware(tmp_path, report):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        if IN_CI:
            pytest.fail("no C compiler")
        pytest.skip("no C compiler")
    inc = ["-I" + os.path.join(ROOT, "adam_c", d) for d in ("include", "src")]
    obj, exe = tmp_path / "estimates.o", tmp_path / "test_estimates"
    subprocess.run([cc, "-std=c99", "-O2", "-ffp-contract=off", *inc, "-c",
                    os.path.join(ROOT, "adam_c", "src", "estimates.c"), "-o", str(obj)],
                   check=True)
    subprocess.run([cc, "-std=gnu99", "-O2", *inc,
                    os.path.join(ROOT, "adam_c", "tests", "test_estimates.c"), str(obj), "-lm",
                    "-o", str(exe)], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=1800)
    for line in r.stdout.splitlines():
        report(f"estimates: {line}")
    assert r.returncode == 0, r.stdout
    if sysconfig.get_platform().endswith("x86_64") and K.host_estimates()["rsqrtps_is_zen"]:
        assert "rsqrtps: 4294967296 inputs, 0 mismatches" in r.stdout
    if K.host_estimates()["avx512f"]:
        assert "rsqrt14: 812122112 inputs, 0 mismatches" in r.stdout


def _estimating_rows():
    """Every preset row that computes with an estimate, at its defaults and variants."""
    for key in presets.available():
        row = presets.get(*key)
        if "estimate" not in row.defaults:
            continue
        for variant in ({},) + tuple(row.variants):
            yield pytest.param(row, variant, id=row.name + "".join(
                f"-{k}={v}" for k, v in variant.items()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("row, variant", list(_estimating_rows()))
def test_portable_path_equals_the_hardware_path(row, variant, dtype, rng):
    """The same bits whether the estimates come from this CPU's instructions or from the
    models (``portable=True``): on a CPU that has the instructions, this compares them on
    the values an optimizer meets (wide dynamic range, zeros, tiny and huge values)."""
    if np.dtype(dtype).name not in row.dtypes:
        pytest.skip("not a dtype of this preset")
    cls = adamkit.RMSProp if row.family == "rmsprop" else adamkit.Adam
    kw = {**{r: 1e-3 for r in row.required}, **variant}
    n = 1003
    p0 = rng.standard_normal(n).astype(dtype)
    runs = []
    for portable in (False, True):
        opt = cls(preset=row.name, portable=portable, **kw)
        p = p0.copy()
        g_rng = np.random.default_rng(5)
        for _ in range(30):
            g = (g_rng.standard_normal(n) * 10.0 ** g_rng.uniform(-8, 4, n)).astype(dtype)
            g[::17] = 0
            opt.step(p, g)
        runs.append(p)
    assert np.array_equal(runs[0].view(np.uint8), runs[1].view(np.uint8))
