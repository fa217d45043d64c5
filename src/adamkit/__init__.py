"""adamkit: exact, fast Adam and RMSProp.

C99 kernels driven from Cython with OpenMP; framework presets that reproduce TensorFlow,
Keras, PyTorch, MXNet, Caffe, Torch7, Lasagne, Blocks, Chainer and optax bit for bit; a
scipy.optimize-style ``minimize``.
"""

import os as _os

from ._kernels import effective_n_threads, openmp_enabled
from ._optim import Adam, AdaMax, AdamW, RMSProp, from_framework

__version__ = "0.1.0"

__all__ = ["Adam", "AdamW", "AdaMax", "RMSProp", "from_framework", "get_include", "get_lib",
           "effective_n_threads", "openmp_enabled", "show_config"]

try:  # the scipy-style front end (issue 4)
    from . import schedules  # noqa: F401
    from ._minimize import adam, adamax, adamw, amsgrad, minimize, nadam, rmsprop  # noqa: F401
    __all__ += ["minimize", "adam", "amsgrad", "adamw", "adamax", "nadam", "rmsprop",
                "schedules"]
except ImportError:  # pragma: no cover - only while _minimize is being written
    pass


def get_include():
    """Directory holding ``adam_c.h``, the C core's header.

    Use it to compile C, C++ or Fortran code against the installed core, e.g.
    ``cc -I$(python -c "import adamkit; print(adamkit.get_include())") ...``.
    """
    return _os.path.join(_os.path.dirname(__file__), "include")


def get_lib():
    """Directory holding ``libadam_c.a``, the static library of the C core."""
    return _os.path.join(_os.path.dirname(__file__), "lib")


def show_config():
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
