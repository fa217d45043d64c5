"""The vector versions of the estimate rows give their scalar functions' bits.

``adam_c/src/estimate_rows.c`` defines MKL's float32 and float64 sqrt and XLA's and TF's
float32 rsqrt, with this CPU's rsqrtps estimate, as SIMD functions: the specialised
loops of the ``pytorch``/``keras_torch`` (MKL sqrt) and XLA/TF rsqrt preset rows call
their vector versions, the generic loop the scalar ones. ``adam_c/tests/
test_estimate_rows.c`` compares every vector version this CPU runs (SSE2, AVX, AVX2 + FMA,
AVX-512F) with the scalar function, bit for bit, on specials, subnormals, the boundaries
of the exact-path tests, random fractions in every (sign, exponent) and random bit
patterns, with and without FTZ/DAZ. Versions the CPU lacks are reported as not run, never
passed. A second build contracted to FMA (``-ffp-contract=fast``) must fail where the CPU
has FMA: the comparison sees a last-bit difference. About 3 s (three -O3 builds).
"""

import os
import subprocess
import sys

import pytest
from c_programs import ADAM_C, SKIPS, cpu_has

LIB_FLAGS = ["-std=c99", "-O3", "-fno-math-errno"]  # + -ffp-contract=off (or fast, to fail)

pytestmark = SKIPS


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, (cmd, r.stderr[-3000:])


def _build(work, contract):
    gen = work / "gen"
    gen.mkdir(exist_ok=True)
    _run([sys.executable, os.path.join(ADAM_C, "codegen.py"), "limits",
          os.path.join(ADAM_C, "include", "adam_c.h"), str(gen / "adam_c_limits.h")])
    inc = ["-I" + os.path.join(ADAM_C, "include"), "-I" + str(gen)]
    objs = []
    for src in ("estimate_rows", "adam_c_common", "estimates"):
        obj = str(work / f"{src}-{contract}.o")
        _run(["gcc", *LIB_FLAGS, f"-ffp-contract={contract}", *inc, "-c",
              os.path.join(ADAM_C, "src", src + ".c"), "-o", obj])
        objs.append(obj)
    exe = str(work / f"test_estimate_rows-{contract}")
    _run(["gcc", "-std=gnu99", "-O2", *inc, "-I" + os.path.join(ADAM_C, "src"),
          os.path.join(ADAM_C, "tests", "test_estimate_rows.c"), *objs, "-lm", "-o", exe])
    return subprocess.run([exe], capture_output=True, text=True, timeout=300)


def test_vector_versions_equal_the_scalar_functions(tmp_path, report):
    r = _build(tmp_path, "off")
    for line in r.stdout.splitlines():
        report(line)
    assert r.returncode == 0 and "estimate_rows: all equal" in r.stdout, r.stdout[-3000:]
    runs = {"sse2": True, "avx": cpu_has("avx"), "avx2": cpu_has("avx2", "fma"),
            "avx512f": cpu_has("avx512f")}
    for version, ran in runs.items():
        line = next(ln for ln in r.stdout.splitlines() if ln.split()[:1] == [version])
        if ran:
            assert line.count(" 0 of ") == 4, line
        else:
            assert "not run" in line, line


def test_a_contracted_build_fails(tmp_path):
    if not cpu_has("avx2", "fma"):
        pytest.skip("no FMA here: contraction changes nothing the test could see")
    r = _build(tmp_path, "fast")
    assert r.returncode == 1 and "estimate_rows: FAILED" in r.stdout, r.stdout[-3000:]
