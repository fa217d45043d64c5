"""Embedding the C core without Python: C, C++ and Fortran programs against the install.

The programs are the embedding guide's examples (the fenced blocks marked
``<!-- embedding-example: NAME -->`` in docs/embedding.md), built in a temporary directory
exactly as the guide says (pkg-config for C and C++;
``get_include()``/``get_lib()`` and the shipped ``adam_c.f90`` for Fortran), run, and
compared bit for bit with adamkit.Adam / adamkit.RMSProp.

These tests need a regular install (``pip install .``, a wheel): an editable install keeps
the header and the library in its build directory, so there they are skipped with the
reason -- except in CI (``CI`` set), where everything here must run: a missing compiler,
gfortran or pkg-config is then a failure, not a skip.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import adamkit

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
MARK = re.compile(r"<!--\s*embedding-example:\s*(\S+)\s*-->\s*\n```[a-z+]*\n(.*?)\n```", re.S)
N, STEPS = 8, 100


def is_editable_install():
    """True when adamkit is imported through meson-python's editable loader."""
    loader = getattr(adamkit.__spec__, "loader", None)
    return ("editable" in type(loader).__module__
            or "_adamkit_editable_loader" in sys.modules)


def require(condition, reason):
    """Skip with ``reason`` outside CI; fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI is set: this must not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def installed():
    inc, lib = Path(adamkit.get_include()), Path(adamkit.get_lib())
    files = [inc / "adam_c.h", inc / "adam_c.f90", lib / "libadam_c.a",
             lib / "pkgconfig" / "adamkit.pc"]
    missing = [str(f) for f in files if not f.is_file()]
    if missing and is_editable_install() and not IN_CI:
        pytest.skip("adamkit is installed in editable mode: the C header, static library "
                    "and pkg-config file exist only in a regular install (pip install ., "
                    "or a wheel); run these tests there")
    assert not missing, f"the installed adamkit lacks {missing}"
    return inc, lib


def example(name):
    """The source of the embedding guide's example ``name`` (docs/embedding.md)."""
    for doc in (ROOT / "docs" / "embedding.md",):
        if doc.is_file():
            for found, body in MARK.findall(doc.read_text()):
                if found == name:
                    return body + "\n"
    raise AssertionError(f"no example {name!r} (<!-- embedding-example: {name} -->) in "
                         "README.md or docs/embedding.md")


def tool(name, env_var=None):
    exe = os.environ.get(env_var) if env_var else None
    exe = exe or shutil.which(name)
    require(exe is not None, f"{name} is not installed")
    return exe


def pkg_config_env(lib):
    env = dict(os.environ)
    pc = str(lib / "pkgconfig")
    env["PKG_CONFIG_PATH"] = pc + os.pathsep + env.get("PKG_CONFIG_PATH", "")
    return env


def run(cmd, cwd, env=None):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"{cmd!r} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r.stdout


def pkg_config_flags(lib, *what):
    exe = tool("pkg-config")
    return run([exe, *what, "adamkit"], cwd=lib, env=pkg_config_env(lib)).split()


def reference():
    """What the examples compute, from the Python API: label -> final parameters."""
    i = np.arange(N)
    out = {}
    for dt, sfx in ((np.float32, "f32"), (np.float64, "f64")):
        target = (0.25 * i).astype(dt)
        p = (1 - 0.5 * i).astype(dt)
        opt = adamkit.Adam(lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
        for _ in range(STEPS):
            opt.step(p, dt(2) * (p - target))
        out["adam_" + sfx] = p
        q = (1 - 0.5 * i).astype(dt)
        opt = adamkit.RMSProp(lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.9)
        for _ in range(STEPS):
            opt.step(q, dt(2) * (q - target))
        out["rmsprop_" + sfx] = q
    return out


def parse(stdout):
    """Lines ``label index value``; value a C99 hex float (%a) or the integer bit pattern."""
    got = {}
    for line in stdout.splitlines():
        if not line.strip():
            continue
        label, idx, val = line.split()
        dt = np.float32 if label.endswith("f32") else np.float64
        ut = np.uint32 if dt is np.float32 else np.uint64
        if "p" in val.lower() or "x" in val.lower():
            x = np.array(float.fromhex(val)).astype(dt)
            assert float(x) == float.fromhex(val), f"{val} is not a {dt.__name__}"
            bits = int(x.view(ut))
        else:
            bits = int(val) & (0xFFFFFFFF if dt is np.float32 else 0xFFFFFFFFFFFFFFFF)
        got.setdefault(label, {})[int(idx)] = bits
    return got


def assert_same_bits(stdout, expect_labels):
    ref = reference()
    got = parse(stdout)
    assert set(got) == set(expect_labels), f"program printed {sorted(got)}"
    for label, vals in got.items():
        want = ref[label]
        ut = np.uint32 if want.dtype == np.float32 else np.uint64
        want_bits = [int(b) for b in want.view(ut)]
        assert sorted(vals) == list(range(N)), label
        have = [vals[k] for k in range(N)]
        assert have == want_bits, (
            f"{label}: the compiled program and the Python API differ\n"
            f"program: {[hex(b) for b in have]}\npython:  {[hex(b) for b in want_bits]}")


def test_pkg_config_file(installed):
    inc, lib = installed
    assert pkg_config_flags(lib, "--modversion") == [adamkit.__version__]
    cflags = pkg_config_flags(lib, "--cflags")
    libs = pkg_config_flags(lib, "--libs")
    assert any(f.startswith("-I") and Path(f[2:]).resolve() == inc.resolve() for f in cflags)
    assert "-ladam_c" in libs
    assert any(f.startswith("-L") and Path(f[2:]).resolve() == lib.resolve() for f in libs)


def test_c_program(installed, tmp_path):
    """README's C example, built with ``cc -std=c99 prog.c $(pkg-config ...)``."""
    inc, lib = installed
    cc = tool("cc", "CC")
    (tmp_path / "adam_example.c").write_text(example("adam_example.c"))
    flags = pkg_config_flags(lib, "--cflags", "--libs")
    run([cc, "-std=c99", "-Wall", "-Werror", "-pedantic", "adam_example.c", *flags, "-o",
         "adam_example"], cwd=tmp_path)
    out = run([str(tmp_path / "adam_example")], cwd=tmp_path)
    assert_same_bits(out, {"adam_f32", "rmsprop_f64"})


def test_c_program_without_pkg_config(installed, tmp_path):
    """The README's alternative: -I get_include() ... -L get_lib() -ladam_c -lm."""
    inc, lib = installed
    cc = tool("cc", "CC")
    (tmp_path / "adam_example.c").write_text(example("adam_example.c"))
    run([cc, f"-I{inc}", "adam_example.c", f"-L{lib}", "-ladam_c", "-lm", "-o", "prog"],
        cwd=tmp_path)
    assert_same_bits(run([str(tmp_path / "prog")], cwd=tmp_path), {"adam_f32", "rmsprop_f64"})


def test_cpp_program(installed, tmp_path):
    inc, lib = installed
    cxx = tool("c++", "CXX")
    (tmp_path / "adam_example.cpp").write_text(example("adam_example.cpp"))
    flags = pkg_config_flags(lib, "--cflags", "--libs")
    run([cxx, "-std=c++11", "-Wall", "-Werror", "adam_example.cpp", *flags, "-o",
         "adam_example"], cwd=tmp_path)
    out = run([str(tmp_path / "adam_example")], cwd=tmp_path)
    assert_same_bits(out, {"adam_f64", "rmsprop_f32"})


def test_fortran_program(installed, tmp_path):
    """The shipped iso_c_binding module (adam_c.f90) and the README's Fortran example.

    gfortran comes from Debian (``apt-get install -y gfortran``); CI installs it."""
    inc, lib = installed
    fc = tool("gfortran", "FC")
    (tmp_path / "adam_example.f90").write_text(example("adam_example.f90"))
    run([fc, "-Wall", "-c", str(inc / "adam_c.f90")], cwd=tmp_path)
    run([fc, "-Wall", "adam_example.f90", "adam_c.o", f"-L{lib}", "-ladam_c", "-lm", "-o",
         "adam_example"], cwd=tmp_path)
    out = run([str(tmp_path / "adam_example")], cwd=tmp_path)
    assert_same_bits(out, {"adam_f32", "adam_f64", "rmsprop_f64"})


def test_fortran_interface_matches_header():
    """The bind(c) types of adam_c.f90 list the C structs' fields in the same order
    (checked on the sources, so it runs in an editable install too)."""
    header = (ROOT / "adam_c" / "include" / "adam_c.h").read_text()
    installed = Path(adamkit.get_include()) / "adam_c.f90"
    if installed.is_file():
        f90 = installed.read_text().lower()
    else:       # an editable install: what the build generates, from the checkout
        sys.path.insert(0, str(ROOT / "adam_c"))
        import codegen
        sys.path.pop(0)
        f90 = codegen.fortran(codegen.read_header(ROOT / "adam_c" / "include" / "adam_c.h"),
                              ROOT / "adam_c" / "include" / "adam_c.f90.in").lower()
    for struct in ("adam_c_adam_ops", "adam_c_adam_scalars", "adam_c_rmsprop_ops",
                   "adam_c_rmsprop_scalars"):
        body = re.search(r"typedef struct %s \{(.*?)\} %s;" % (struct, struct), header, re.S)
        c_fields = re.findall(r"(\w+)\s*(?=[,;])",
                              re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.S))
        fbody = re.search(r"type, bind\(c\) :: %s\n(.*?)end type" % struct, f90, re.S)
        f_fields = [f.strip() for line in fbody.group(1).splitlines() if "::" in line
                    for f in line.split("::")[1].split(",")]
        assert f_fields == c_fields, struct


def snippet(lang):
    for doc in (ROOT / "docs" / "embedding.md",):
        if doc.is_file():
            m = re.search(r"```%s\n(.*?)\n```" % lang, doc.read_text(), re.S)
            if m:
                return m.group(1) + "\n"
    raise AssertionError(f"no {lang} snippet in docs/embedding.md")


@pytest.mark.parametrize("system", ["meson", "cmake"])
def test_build_system_snippets(installed, tmp_path, system):
    """The README's meson and CMake snippets (optional tools: skipped when absent)."""
    inc, lib = installed
    exe = shutil.which(system)
    if exe is None or (system == "meson" and shutil.which("ninja") is None):
        pytest.skip(f"{system} is not installed")
    (tmp_path / "adam_example.c").write_text(example("adam_example.c"))
    env = pkg_config_env(lib)
    if system == "meson":
        (tmp_path / "meson.build").write_text("project('ex', 'c')\n" + snippet("meson"))
        run([exe, "setup", "bld"], cwd=tmp_path, env=env)
        run([exe, "compile", "-C", "bld"], cwd=tmp_path, env=env)
    else:
        (tmp_path / "CMakeLists.txt").write_text(
            "cmake_minimum_required(VERSION 3.16)\nproject(ex C)\n" + snippet("cmake"))
        run([exe, "-S", ".", "-B", "bld"], cwd=tmp_path, env=env)
        run([exe, "--build", "bld"], cwd=tmp_path, env=env)
    out = run([str(tmp_path / "bld" / "adam_example")], cwd=tmp_path)
    assert_same_bits(out, {"adam_f32", "rmsprop_f64"})
