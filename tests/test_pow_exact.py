"""Caffe's float64 ``pow(x, 0.5)`` and ``pow(x, 2)`` fast path equals the C library's pow.

``adam_c/src/pow_exact.c`` returns ``sqrt(x)`` or ``x * x`` (correctly rounded) where
glibc's documented error bound for pow (0.5 ULP of final rounding plus < 0.011 ULP plus
|ln x^y| * 1.5 * 2^-15 ULP) forces pow to return the same, with a guard band about twice
that bound (27/1024 ULP for results in [2^-63, 2^64), 72/1024 elsewhere), and calls pow
itself inside the band and out of range. float64 cannot be checked exhaustively:
``adam_c/tests/test_pow_exact.c`` compares the scalar functions and every vector version
the CPU runs (SSE2, AVX, AVX2+FMA, AVX-512F) with the C library's pow bit for bit on
about 23 million inputs per function: random bit patterns, random values over the whole
exponent range, inputs constructed to lie within 2^-50 ULP of a rounding midpoint (a
fifth of them are inputs pow does not round correctly), short mantissas (perfect
squares, exact squares, ties), powers of two, range and tier boundaries and specials.
A build whose band is 4/1024 ULP (below the largest distance, about 0.008 ULP, at which
pow was measured to round the other way) must fail: the check sees a wrong result.
About 10 CPU s; 14 s wall on 2 cores at load 4 (both builds and runs).
"""

import re
import subprocess

from c_programs import SKIPS, build, cpu_has

SCALE = 4

pytestmark = SKIPS


def test_pow_fast_path_equals_glibc_pow(tmp_path, report):
    exe = build(tmp_path, "pow_exact", "test_pow_exact", "test_pow_exact")
    r = subprocess.run([exe, "--scale", str(SCALE)], capture_output=True, text=True,
                       timeout=600)
    for line in r.stdout.splitlines():
        report(line)
    assert r.returncode == 0 and "pow_exact: all equal" in r.stdout, r.stdout[-3000:]
    # the check had inputs pow rounds the other way, near the midpoints it was built for
    for f in ("pow(x, 0.5)", "pow(x, 2)"):
        line = next(ln for ln in r.stdout.splitlines() if f + " not correctly" in ln)
        assert int(re.search(r"hard (\d+)", line).group(1)) > 100_000, line
    ran = {"scalar": True, "sse2": True, "avx": cpu_has("avx"),
           "avx2": cpu_has("avx2", "fma"), "avx512f": cpu_has("avx512f")}
    for version, runs in ran.items():
        line = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith(version + " "))
        if runs:
            assert re.search(r"pow\(x, 0\.5\) 0 of (\d+), pow\(x, 2\) 0 of \1", line), line
            assert int(re.search(r"of (\d+)", line).group(1)) > 20_000_000, line
        else:
            assert "not run" in line, line


def test_a_narrower_guard_band_fails(tmp_path):
    """The same check on a build whose guard band is 4/1024 ULP (6.6x and 18x narrower)
    finds inputs where the correctly rounded result is not pow's: the check can fail."""
    exe = build(tmp_path, "pow_exact", "test_pow_exact", "test_pow_narrow",
                 ["-DADAM_C_POW_BAND_A=4", "-DADAM_C_POW_BAND_B=4"])
    r = subprocess.run([exe], capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and "pow_exact: FAILED" in r.stdout, r.stdout[-3000:]
