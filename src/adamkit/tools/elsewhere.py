"""Run this adamkit inside another Python: a framework environment (``.venvs/modern``)
that has torch, JAX and TensorFlow but not adamkit.

The framework environments of ``python -m conformance setup`` are virtual environments of
the interpreter that installed adamkit, so they share its ABI (the same extension-module
suffix) and hold a NumPy 2 of their own; adamkit's compiled modules load there unchanged.
:func:`command` starts a script in such an interpreter with ``import adamkit`` resolving
to *this* installation and to nothing else of this environment: the other environment's
packages (its NumPy, SciPy, torch, ...) stay the ones it imports.

* a regular installation: a temporary directory holding only a link to the ``adamkit``
  package is appended to the other interpreter's ``sys.path``;
* an editable (meson-python) installation: its import hook is installed there as its
  ``.pth`` file installs it here (it rebuilds changed sources on import, as here).

The tests of ``adamkit.torch`` and ``adamkit.optax`` and the ``frameworks`` benchmark run
this way; CI's main environment has neither torch nor JAX.
"""

import importlib.util
import json
import os
import sys
import sysconfig

__all__ = ["import_spec", "command"]

_BOOT = r'''
import json, os, sys, sysconfig
spec = json.loads(sys.argv[1])
if sysconfig.get_config_var("EXT_SUFFIX") != spec["ext_suffix"]:
    sys.exit(f"adamkit was built for {spec['ext_suffix']!r} modules; this interpreter "
             f"({sys.executable}) loads {sysconfig.get_config_var('EXT_SUFFIX')!r}")
if spec["kind"] == "editable":
    sys.path.append(spec["dir"])
    try:
        for line in open(spec["pth"]):
            if line.startswith(("import ", "import\t")):
                exec(line)
    finally:
        sys.path.remove(spec["dir"])
else:
    import atexit, shutil, tempfile
    link = tempfile.mkdtemp(prefix="adamkit-elsewhere-")
    atexit.register(shutil.rmtree, link, True)
    os.symlink(spec["package"], os.path.join(link, "adamkit"))
    sys.path.append(link)
sys.argv = sys.argv[2:]
import runpy
runpy.run_path(sys.argv[0], run_name="__main__")
'''


def import_spec():
    """How this process imports adamkit, as a JSON-able dict for :func:`command`."""
    spec = {"ext_suffix": sysconfig.get_config_var("EXT_SUFFIX")}
    for finder in sys.meta_path:
        if type(finder).__name__ == "MesonpyMetaFinder" and \
                getattr(finder, "_name", None) == "adamkit":
            module = sys.modules[type(finder).__module__]
            folder = os.path.dirname(os.path.abspath(module.__file__))
            for name in sorted(os.listdir(folder)):
                if name.endswith(".pth"):
                    path = os.path.join(folder, name)
                    with open(path) as f:
                        if module.__name__ in f.read():
                            return {**spec, "kind": "editable", "dir": folder, "pth": path}
            raise RuntimeError(f"no .pth file in {folder} installs {module.__name__}")
    found = importlib.util.find_spec("adamkit")
    if found is None or not found.submodule_search_locations:
        raise RuntimeError("adamkit is not importable in this Python")
    return {**spec, "kind": "path",
            "package": os.path.abspath(list(found.submodule_search_locations)[0])}


def command(python, script, *args, spec=None):
    """The argv that runs ``script`` (with ``args``) under ``python`` with this adamkit
    importable: ``subprocess.run(command(py, "worker.py", "--x"))``."""
    spec = import_spec() if spec is None else spec
    return [python, "-c", _BOOT, json.dumps(spec), os.fspath(script), *map(str, args)]


def framework_python(root=None):
    """The Python of the ``modern`` framework environment (torch, JAX, TensorFlow) of a
    source checkout, or None: ``$ADAMKIT_FRAMEWORK_PYTHON``, else ``.venvs/modern`` under
    ``root`` (default: the current directory, then the checkout this file is in)."""
    env = os.environ.get("ADAMKIT_FRAMEWORK_PYTHON")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [root] if root else [os.getcwd(), os.path.dirname(os.path.dirname(
        os.path.dirname(here)))]
    for r in roots:
        cand = os.path.join(r, ".venvs", "modern", "bin", "python")
        if os.path.exists(cand):
            return cand
    return None
