"""Caffe's float32 ``pow(x, 0.5)`` and ``pow(x, 2)`` fast path equals the C library's powf.

``adam_c/src/powf_exact.c`` computes powf(x, 0.5f) as ``(float)sqrt((double)x)`` and
powf(x, 2.0f) as ``(float)((double)x * x)``, and calls powf itself where that double is
within 2^22 / 2^29 ULP of a float32 rounding midpoint (the guard band) or x is out of
range. ``adam_c/tests/test_powf_exact.c`` proves the equality bit for bit against the
powf this machine's C library runs: every input in the functions' fast domain (about half
of the 2^32 float32 bit patterns: +-0, and positive normals for 0.5 or 2^-63 <= |x| < 2^63
for 2) and every 16th block of 16 outside it, for the scalar functions and each vector
version the CPU runs (SSE2, AVX, AVX2, AVX-512F). A second build with a 1024x narrower
guard band must fail: the check can see a wrong result. 73 CPU seconds (AMD Zen 4,
glibc 2.36): 70 s wall at load 3 on 2 cores, about 37 s on 2 idle ones.
"""

import subprocess

from c_programs import SKIPS, build, cpu_has

pytestmark = SKIPS

# Patterns checked per function by default (see test_powf_exact.c): 2^19 blocks of 16 per
# (sign, exponent), all of them in the fast domain, every 16th outside it.
IN_DOMAIN_GROUPS = {"powf(x, 0.5)": 254,   # sign 0, exponents 1..254
                    "powf(x, 2)": 252}     # both signs, exponents 64..189
EXPECTED = {f: 16 * (g * 2**19 + (512 - g) * 2**15) for f, g in IN_DOMAIN_GROUPS.items()}


def test_powf_fast_path_equals_glibc_powf(tmp_path, report):
    exe = build(tmp_path, "powf_exact", "test_powf_exact", "test_powf_exact")
    r = subprocess.run([exe], capture_output=True, text=True, timeout=1800)
    for line in r.stdout.splitlines():
        report(line)
    assert r.returncode == 0 and "powf_exact: all equal" in r.stdout, r.stdout[-3000:]
    ran = {"scalar": True, "sse2": True, "avx": cpu_has("avx"),
           "avx2": cpu_has("avx2", "fma"), "avx512f": cpu_has("avx512f")}
    for version, runs in ran.items():
        line = next(ln for ln in r.stdout.splitlines() if ln.strip().startswith(version + " "))
        if runs:
            for f, n in EXPECTED.items():
                assert f"{f} 0 of {n}" in line, line
        else:
            assert "not run" in line, line


def test_a_narrower_guard_band_fails(tmp_path):
    """The same check on a build whose guard band is 2^12 / 2^29 ULP (1024x narrower) finds
    the inputs where powf is not correctly rounded: the proof can fail."""
    exe = build(tmp_path, "powf_exact", "test_powf_exact", "test_powf_narrow",
                ["-DADAM_C_POWF_BAND=(1u<<12)"])
    r = subprocess.run([exe, "--stride", "4099"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and "powf_exact: FAILED" in r.stdout, r.stdout[-3000:]
