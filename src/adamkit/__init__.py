"""adamkit: exact, fast Adam and RMSProp.

C99 kernels driven from Cython with OpenMP; framework presets that reproduce TensorFlow,
Keras, PyTorch, MXNet, Caffe, Torch7, Lasagne, Blocks, Chainer and optax bit for bit; a
scipy.optimize-style ``minimize``.
"""

import os as _os
from typing import TYPE_CHECKING

from . import schedules
from ._kernels import effective_n_threads, openmp_enabled
from ._optim import Adam, AdaMax, AdamW, RMSProp, from_framework
from ._version import __version__

__all__ = ["Adam", "AdamW", "AdaMax", "RMSProp", "from_framework", "get_include", "get_lib",
           "effective_n_threads", "openmp_enabled", "show_config", "minimize", "adam",
           "amsgrad", "adamw", "adamax", "nadam", "rmsprop", "schedules", "__version__"]

# The scipy.optimize front end is imported on first use: scipy.optimize takes longer to
# import than all the rest of adamkit (1-1.5 s against 0.1 s), and the optimizer objects
# do not need it.
_LAZY = frozenset({"minimize", "adam", "amsgrad", "adamw", "adamax", "nadam", "rmsprop"})

if TYPE_CHECKING:
    from ._minimize import adam, adamax, adamw, amsgrad, minimize, nadam, rmsprop


def __getattr__(name: str):
    if name in _LAZY:
        from . import _minimize
        value = getattr(_minimize, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'adamkit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY)


def get_include() -> str:
    """Directory holding ``adam_c.h``, the C core's header.

    Use it to compile C, C++ or Fortran code against the installed core, e.g.
    ``cc -I$(python -c "import adamkit; print(adamkit.get_include())") ...``.
    """
    return _os.path.join(_os.path.dirname(__file__), "include")


def get_lib() -> str:
    """Directory holding ``libadam_c.a``, the static library of the C core."""
    return _os.path.join(_os.path.dirname(__file__), "lib")


def show_config() -> None:
    """Print how this adamkit was built and which threads it would use."""
    from ._kernels import SERIAL_THRESHOLD, openmp_max_threads
    lines = [f"adamkit {__version__}",
             f"built with OpenMP: {openmp_enabled()}",
             f"omp_get_max_threads(): {openmp_max_threads()}",
             f"serial threshold (elements): {SERIAL_THRESHOLD}",
             f"include: {get_include()}", f"lib: {get_lib()}"]
    try:
        import threadpoolctl
        for info in threadpoolctl.threadpool_info():
            lines.append(f"threadpool: {info.get('user_api')} {info.get('internal_api')} "
                         f"{info.get('num_threads')} threads ({info.get('filepath')})")
    except ImportError:
        pass
    print("\n".join(lines))  # noqa: T201
