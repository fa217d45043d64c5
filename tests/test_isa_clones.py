"""Every ISA clone of the specialised loops gives the generic loop's bits.

The library clones each specialised loop for the baseline x86-64, x86-64-v3 (AVX2 + FMA)
and x86-64-v4 (AVX-512) (``ADAM_C_CLONES`` in ``adam_c/src/adam_c_internal.h``), and the
loader picks one by CPUID; no environment variable changes its choice (glibc's
``GLIBC_TUNABLES=glibc.cpu.hwcaps=...`` masks glibc's own ifuncs, not libgcc's
``__builtin_cpu_supports`` that the clones' resolver calls). So this test builds the C
core's own test (``adam_c/tests/test_adam_c.c``: every instance in ``instances.h``
against the generic loop, which stays baseline code, over 1031 elements with zeros,
NaN, Inf and subnormals) once per target, with ``-DADAM_C_ONE_TARGET`` compiling the
loops for that target alone, and once as shipped (the clones, the loader's pick), at the
library's flags (``-O3 -ffp-contract=off -fno-math-errno``), and runs every build this
CPU can execute. Targets the CPU lacks are reported as skipped, never passed. About 30-40
s on 2 cores (four -O3 builds, compiled concurrently).
"""

import os
import shutil
import subprocess
import sys

import pytest
from c_programs import ADAM_C, ROOT, SKIPS
from c_programs import LIB_FLAGS as FLAGS

SOURCES = ["adam_c_f32", "adam_c_f64", "adam_c_common", "estimates", "powf_exact",
           "pow_exact", "estimate_rows", "delta"]
# target -> (the ADAM_C_ONE_TARGET value or None for the baseline, the register class
# its vectorized loops must use)
TARGETS = {
    "loader": ("", "%xmm"),             # the shipped target_clones: the loader's pick
    "x86-64": (None, "%xmm"),
    "x86-64-v3": ("arch=x86-64-v3", "%ymm"),
    "x86-64-v4": ("arch=x86-64-v4", "%zmm"),
}

pytestmark = SKIPS     # a source checkout, x86-64 Linux with gcc


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, (cmd, r.stdout[-3000:], r.stderr[-3000:])
    return r.stdout


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """{target: path of its test binary}, all compiled concurrently."""
    work = tmp_path_factory.mktemp("isa")
    gen = work / "gen"
    gen.mkdir()
    header = os.path.join(ADAM_C, "include", "adam_c.h")
    codegen = os.path.join(ADAM_C, "codegen.py")
    _run([sys.executable, codegen, "limits", header, str(gen / "adam_c_limits.h")])
    _run([sys.executable, codegen, "instances", header, os.path.join(ROOT, "src", "adamkit"),
          str(gen / "instances.h")])
    inc = ["-I" + os.path.join(ADAM_C, "include"), "-I" + str(gen)]
    jobs, binaries = [], {}
    for target, (one, _) in TARGETS.items():
        d = work / target
        d.mkdir()
        define = ([] if one == "" else [f'-DADAM_C_ONE_TARGET="{one}"'] if one
                  else ["-DADAM_C_NO_CLONES"])
        objs = []
        for src in SOURCES:
            obj = str(d / (src + ".o"))
            objs.append(obj)
            jobs.append(subprocess.Popen(
                ["gcc", *FLAGS, *define, *inc, "-c", os.path.join(ADAM_C, "src", src + ".c"),
                 "-o", obj], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        binaries[target] = (str(d / "test_adam_c"), objs)
    for job in jobs:
        _, err = job.communicate(timeout=600)
        assert job.returncode == 0, (job.args, err[-3000:])
    for target, (exe, objs) in binaries.items():
        _run(["gcc", *FLAGS, *inc, os.path.join(ADAM_C, "tests", "test_adam_c.c"), *objs,
              "-lm", "-o", exe])
    # what the clones' resolver asks: __builtin_cpu_supports("x86-64-vN")
    probe = work / "probe.c"
    probe.write_text('#include <stdio.h>\nint main(void) { __builtin_cpu_init(); printf("%d %d\\n",'
                     ' __builtin_cpu_supports("x86-64-v3") != 0,'
                     ' __builtin_cpu_supports("x86-64-v4") != 0); return 0; }\n')
    r = subprocess.run(["gcc", str(probe), "-o", str(work / "probe")], capture_output=True)
    if r.returncode == 0:      # gcc >= 12 knows the x86-64-vN names
        v3, v4 = (int(x) for x in _run([str(work / "probe")]).split())
    else:                      # then it cannot build the v4 clone either: run nothing new
        v3 = v4 = 0
    runnable = {"loader": True, "x86-64": True, "x86-64-v3": bool(v3), "x86-64-v4": bool(v4)}
    return {t: (exe, runnable[t]) for t, (exe, _) in binaries.items()}


@pytest.mark.parametrize("target", list(TARGETS))
def test_clone_equals_generic(builds, target):
    exe, runnable = builds[target]
    if shutil.which("objdump"):
        # the build really is that target's code: its vector registers appear
        assert TARGETS[target][1] in _run(["objdump", "-d", exe]), target
    if not runnable:
        pytest.skip(f"this CPU cannot run {target} code")
    out = _run([exe], timeout=300)
    assert "adam_c: all tests passed" in out
