"""The public Cython API, ``cimport adamkit.cython_adam``: stable, and usable from outside.

* The exported C signatures (the capsule names in ``adamkit.cython_adam.__pyx_capi__``,
  which Cython checks when an extension binds them) and the function declarations of
  ``cython_adam.pxd`` are recorded in ``tests/cython_api_signatures.json``: any change
  fails here. A deliberate change is re-recorded with
  ``python tests/test_cython_api.py --record`` and goes in the changelog.
* The constants and structs of ``cython_adam.pxd`` are generated from ``adam_c.h`` at
  build time (``adam_c/codegen.py``); a test parses both independently and compares.
* The embedding guide's Cython example (docs/embedding.md) is compiled in a temporary
  directory (Cython, then the C compiler; no setuptools) and gives the same bits as
  adamkit.Adam / adamkit.RMSProp, also when several Python threads run it at once (its
  loops hold no GIL).

Cython must be installed to build the example (it is in the ``test`` extra); without it
the build test is skipped locally and fails in CI.
"""

import ctypes
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RECORD = Path(__file__).with_name("cython_api_signatures.json")
HEADER = ROOT / "adam_c" / "include" / "adam_c.h"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def pxd_dir():
    """A directory holding ``adamkit/cython_adam.pxd``: the installed package's parent, or
    (an editable install keeps generated files in its build tree) a temporary directory
    where the checkout's code generator writes it."""
    import adamkit
    installed = Path(adamkit.__file__).with_name("cython_adam.pxd")
    if installed.is_file():
        return installed.parent.parent
    import tempfile
    sys.path.insert(0, str(ROOT / "adam_c"))
    try:
        import codegen
    finally:
        sys.path.pop(0)
    d = Path(tempfile.mkdtemp(prefix="adamkit-pxd-")) / "adamkit"
    d.mkdir()
    (d / "__init__.pxd").write_text("")
    (d / "cython_adam.pxd").write_text(codegen.pxd(
        codegen.read_header(HEADER), ROOT / "src" / "adamkit" / "cython_adam.pxd.in"))
    return d.parent


def pxd_path():
    return pxd_dir() / "adamkit" / "cython_adam.pxd"


def capsule_signatures():
    import adamkit.cython_adam as api
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    return {name: get_name(cap).decode() for name, cap in sorted(api.__pyx_capi__.items())}


def pxd_declarations():
    """Struct fields (in order), enum constants and function declarations of the pxd."""
    text = pxd_path().read_text()
    lines = [re.sub(r"#.*", "", ln).rstrip() for ln in text.splitlines()]
    structs, constants, functions = {}, {}, {}
    cur = None
    for ln in lines:
        if not ln.strip():
            continue
        m = re.match(r"ctypedef struct (\w+):", ln)
        if m:
            cur = structs.setdefault(m.group(1), [])
            continue
        if ln.startswith("cdef enum"):
            cur = constants
            continue
        if not ln.startswith(" "):
            cur = None
        if isinstance(cur, list):
            ctype, name = ln.split()
            cur.append(f"{ctype} {name}")
        elif cur is constants:
            name, value = (s.strip() for s in ln.split("="))
            constants[name] = int(value)
    joined = re.sub(r"\s+", " ", " ".join(ln for ln in lines if ln.strip()))
    for m in re.finditer(r"cdef (inline )?([\w *]+?) ?\b(\w+)\(([^()]*)\) noexcept nogil",
                         joined):
        inline, ret, name, args = m.groups()
        functions[name] = f"{inline or ''}{ret.strip()} {name}({args}) noexcept nogil"
    return {"structs": structs, "constants": constants, "functions": functions}


def current_api():
    return {"capsules": capsule_signatures(), **pxd_declarations()}


def test_signatures_are_the_recorded_ones():
    recorded = json.loads(RECORD.read_text())
    now = current_api()
    for part in ("capsules", "functions"):
        assert now[part] == recorded[part], (
            f"the public Cython API changed ({part}); if deliberate, re-record with "
            f"`python tests/test_cython_api.py --record`:\nnow:      {now[part]}\n"
            f"recorded: {recorded[part]}")


def test_every_declared_function_is_exported():
    """The non-inline declarations are exactly the exported pointers; every public name
    of adam_c.h has an inline wrapper that passes the struct sizes."""
    decl = pxd_declarations()["functions"]
    exported = {n for n, d in decl.items() if not d.startswith("inline")}
    assert exported == set(capsule_signatures())
    public = {n for n, d in decl.items() if d.startswith("inline")}
    assert public == {"adam_c_adam_f32", "adam_c_adam_f64", "adam_c_rmsprop_f32",
                      "adam_c_rmsprop_f64", "adam_c_adam_ops_check",
                      "adam_c_rmsprop_ops_check", "adam_c_adam_default",
                      "adam_c_rmsprop_default", "adam_c_strerror"}


def _capi_function(name, restype, *argtypes):
    import adamkit.cython_adam as api
    cap = api.__pyx_capi__[name]
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype = ctypes.c_char_p
    get_name.argtypes = [ctypes.py_object]
    get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
    get_ptr.restype = ctypes.c_void_p
    get_ptr.argtypes = [ctypes.py_object, ctypes.c_char_p]
    addr = get_ptr(cap, get_name(cap))
    return ctypes.CFUNCTYPE(restype, *argtypes)(addr)


def test_struct_size_mismatch_is_refused_without_writing():
    """An extension compiled against another pxd (other struct sizes) gets
    ADAMKIT_CY_EABI (-100) and nothing is read or written."""
    vp, sz = ctypes.c_void_p, ctypes.c_size_t
    f = _capi_function("_adam_f64", ctypes.c_int, vp, sz, vp, sz, vp, vp, vp, vp, vp, sz)
    p = np.ones(4)
    ptr = p.ctypes.data
    assert f(None, 1, None, 1, ptr, ptr, ptr, ptr, None, 4) == -100
    assert np.array_equal(p, np.ones(4))
    d = _capi_function("_adam_default", ctypes.c_int, vp, sz, vp, sz, ctypes.c_double,
                       ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_double,
                       ctypes.c_long, ctypes.c_int)
    buf = (ctypes.c_char * 4096)()
    assert d(ctypes.addressof(buf), 8, ctypes.addressof(buf), 8, 1e-3, 0.9, 0.999, 1e-8,
             0.0, 1, 0) == -100
    assert bytes(buf) == bytes(4096)
    msg = _capi_function("_strerror", ctypes.c_char_p, ctypes.c_int)
    assert b"rebuild" in msg(-100)
    assert msg(0) == b"ok"


def test_pxd_agrees_with_the_header():
    """Constants have adam_c.h's values; structs have its fields in its order."""
    if not HEADER.is_file():
        pytest.skip("adam_c.h source not found (run from a checkout)")
    header = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    values = {n: int(v) for n, v in re.findall(r"\b(ADAM_C_[A-Z0-9_]+)\s*=\s*(-?\d+)", header)}
    decl = pxd_declarations()
    ours = {k: v for k, v in decl["constants"].items() if k.startswith("ADAM_C_")}
    assert set(decl["constants"]) - set(ours) == {"ADAMKIT_CY_EABI"}
    assert ours == values, {k: (ours.get(k), values.get(k)) for k in set(ours) | set(values)
                            if ours.get(k) != values.get(k)}
    for struct, fields in decl["structs"].items():
        body = re.search(r"typedef struct %s \{(.*?)\} %s;" % (struct, struct), header, re.S)
        c_fields = []
        for stmt in body.group(1).split(";"):
            stmt = stmt.strip()
            if stmt:
                ctype, names = stmt.split(None, 1)
                c_fields += [f"{ctype} {n.strip()}" for n in names.split(",")]
        assert fields == c_fields, struct


def test_struct_layout_checked_at_import():
    import adamkit.cython_adam  # noqa: F401  (raises ImportError on a layout mismatch)


# --- the README's Cython example, built from outside ---------------------------------

def example_source():
    pat = re.compile(r"<!--\s*embedding-example:\s*adam_cy\.pyx\s*-->\s*\n```cython\n(.*?)\n```",
                     re.S)
    for doc in (ROOT / "docs" / "embedding.md",):
        if doc.is_file():
            m = pat.search(doc.read_text())
            if m:
                return m.group(1) + "\n"
    raise AssertionError("no adam_cy.pyx example in docs/embedding.md")


@pytest.fixture(scope="module")
def example_module(tmp_path_factory):
    if importlib.util.find_spec("Cython") is None:
        if IN_CI:
            pytest.fail("Cython is not installed (it belongs in the 'test' extra)")
        pytest.skip("Cython is not installed")
    cc = os.environ.get("CC") or shutil.which("cc")
    if cc is None:
        if IN_CI:
            pytest.fail("no C compiler")
        pytest.skip("no C compiler")
    import adamkit
    d = tmp_path_factory.mktemp("cython_example")
    (d / "adam_cy.pyx").write_text(example_source())
    cmd = [sys.executable, "-m", "cython", "-3", "adam_cy.pyx", "-o", "adam_cy.c"]
    if "editable" in type(adamkit.__spec__.loader).__module__:
        # an editable install is not on sys.path as a directory: point Cython at a tree
        # holding the generated pxd
        cmd += ["-I", str(pxd_dir())]
    r = subprocess.run(cmd, cwd=d, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"cython failed:\n{r.stdout}\n{r.stderr}"
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    r = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-I" + sysconfig.get_paths()["include"],
                        "adam_cy.c", "-o", "adam_cy" + suffix],
                       cwd=d, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"cc failed:\n{r.stdout}\n{r.stderr}"
    spec = importlib.util.spec_from_file_location("adam_cy", d / ("adam_cy" + suffix))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def python_adam(p, target, steps, lr):
    import adamkit
    opt = adamkit.Adam(lr=lr)
    for _ in range(steps):
        opt.step(p, 2 * (p - target))
    return p


def python_rmsprop(p, target, steps, lr, rho, eps, momentum):
    import adamkit
    opt = adamkit.RMSProp(lr=lr, alpha=rho, eps=eps, momentum=momentum)
    for _ in range(steps):
        opt.step(p, np.float32(2) * (p - target))
    return p


def test_example_adam_matches_python(example_module, rng):
    target = rng.standard_normal(1000)
    p0 = rng.standard_normal(1000)
    a = p0.copy()
    example_module.adam_steps(a, target, 100, 1e-2)
    b = python_adam(p0.copy(), target, 100, 1e-2)
    assert not np.array_equal(a, p0)
    assert np.array_equal(a.view(np.uint64), b.view(np.uint64))


def test_example_rmsprop_matches_python(example_module, rng):
    target = rng.standard_normal(1001).astype(np.float32)
    p0 = rng.standard_normal(1001).astype(np.float32)
    a = p0.copy()
    example_module.rmsprop_steps(a, target, 100, 1e-2, 0.99, 1e-8, 0.9)
    b = python_rmsprop(p0.copy(), target, 100, 1e-2, 0.99, 1e-8, 0.9)
    assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_example_in_threads_same_bits(example_module, rng):
    """The example's loops run without the GIL: threads at once give the serial bits."""
    k, n = 4, 20000
    targets = [rng.standard_normal(n) for _ in range(k)]
    starts = [rng.standard_normal(n) for _ in range(k)]
    serial = [s.copy() for s in starts]
    for s, t in zip(serial, targets):
        example_module.adam_steps(s, t, 50, 1e-2)
    par = [s.copy() for s in starts]
    threads = [threading.Thread(target=example_module.adam_steps, args=(par[i], targets[i],
                                                                        50, 1e-2))
               for i in range(k)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for a, b in zip(serial, par):
        assert np.array_equal(a.view(np.uint64), b.view(np.uint64))


def test_example_refuses_bad_input(example_module):
    with pytest.raises(ValueError):
        example_module.adam_steps(np.zeros(3), np.zeros(4), 1)
    with pytest.raises((TypeError, ValueError)):
        example_module.adam_steps(np.zeros(3, np.float32), np.zeros(3), 1)
    example_module.adam_steps(np.zeros(0), np.zeros(0), 5)   # zero-size: nothing to do


if __name__ == "__main__":
    if sys.argv[1:] == ["--record"]:
        api = current_api()
        RECORD.write_text(json.dumps({k: api[k] for k in ("capsules", "functions")},
                                     indent=1, sort_keys=True) + "\n")
        print(f"wrote {RECORD}")  # noqa: T201
    else:
        print(json.dumps(current_api(), indent=1, sort_keys=True))  # noqa: T201
