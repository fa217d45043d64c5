"""Helpers of the tests that build a C test program of ``adam_c/tests`` against one library
source (``tests/test_powf_exact.py``, ``tests/test_pow_exact.py``)."""

import os
import platform
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAM_C = os.path.join(ROOT, "adam_c")
# the library's flags (adam_c/meson.build: -O3 and exact_args)
LIB_FLAGS = ["-std=c99", "-O3", "-ffp-contract=off", "-fno-math-errno"]

# the tests' pytestmark: a source checkout, x86-64 Linux with gcc
SKIPS = [
    pytest.mark.skipif(not os.path.isdir(os.path.join(ADAM_C, "tests")),
                       reason="needs a source checkout"),
    pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or
                       not sys.platform.startswith("linux"),
                       reason="the vector versions exist on x86-64 Linux (GCC) only"),
    pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed"),
]


def build(tmp_path, source: str, program: str, name: str, extra=()) -> str:
    """``adam_c/src/<source>.c`` at the library's flags (plus ``extra``) linked into
    ``adam_c/tests/<program>.c`` (OpenMP); returns the executable's path."""
    inc = ["-I" + os.path.join(ADAM_C, "include"), "-I" + os.path.join(ADAM_C, "src")]
    obj, exe = tmp_path / (name + ".o"), tmp_path / name
    for cmd in (["gcc", *LIB_FLAGS, *extra, *inc, "-c",
                 os.path.join(ADAM_C, "src", source + ".c"), "-o", str(obj)],
                ["gcc", "-std=gnu99", "-O2", "-fopenmp", *inc,
                 os.path.join(ADAM_C, "tests", program + ".c"), str(obj), "-lm", "-o",
                 str(exe)]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, (cmd, r.stderr[-3000:])
    return str(exe)


def cpu_has(*features: str) -> bool:
    """Whether /proc/cpuinfo lists every one of ``features``."""
    with open("/proc/cpuinfo") as f:
        flags = next((line for line in f if line.startswith("flags")), "").split()
    return all(feature in flags for feature in features)
