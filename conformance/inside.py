"""Running this checkout's adamkit inside a framework stack's environment.

The stacks' venvs (``.venvs/<stack>``) hold the frameworks, not adamkit; they are made by
the same CPython as the main environment, so its adamkit (editable or installed) imports
there too. :func:`bootstrap` is the Python source that makes it importable, passed to a
child process (``ADAMKIT_BOOTSTRAP``), without exposing the rest of the main environment's
packages.
"""

import importlib.util
import os
import tempfile


def bootstrap():
    """Source that, run first in a stack's interpreter, makes ``import adamkit`` load this
    environment's adamkit."""
    loader = importlib.util.find_spec("_adamkit_editable_loader")
    if loader is not None:                   # pip install -e: meson-python's loader
        return ("import importlib.util as _u\n"
                f"_s = _u.spec_from_file_location('_adamkit_editable_loader', "
                f"{loader.origin!r})\n"
                "_m = _u.module_from_spec(_s); _s.loader.exec_module(_m); _m.init()\n")
    import adamkit  # an installed package: link it alone
    link_dir = tempfile.mkdtemp(prefix="adamkit-link-")
    os.symlink(os.path.dirname(adamkit.__file__), os.path.join(link_dir, "adamkit"))
    return f"import sys\nsys.path.insert(0, {link_dir!r})\n"
