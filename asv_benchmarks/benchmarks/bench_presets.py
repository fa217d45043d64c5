"""Every framework preset (adamkit.presets.available()) next to adamkit's own modes.

Goal: each preset within 1.25x of adamkit's own mode at the same n, unless the
framework's own arithmetic forces slower code (e.g. Caffe's powf square root). Compare a
preset with the own mode that streams the same state buffers: native.amsgrad for AMSGrad
presets, native.rmsprop_momentum / _centered / _centered_momentum for RMSProp presets
that keep those buffers. The "vectorized" track says whether the preset's ops rows have
a specialised loop.
"""

import numpy as np

import adamkit
from adamkit import presets

from .common import Benchmark, get_data, sizes

NATIVE = {
    "native.adam": lambda: adamkit.Adam(lr=1e-3, n_threads=1),
    "native.amsgrad": lambda: adamkit.Adam(lr=1e-3, amsgrad=True, n_threads=1),
    "native.rmsprop": lambda: adamkit.RMSProp(lr=1e-2, n_threads=1),
    "native.rmsprop_momentum": lambda: adamkit.RMSProp(lr=1e-2, momentum=0.9, n_threads=1),
    "native.rmsprop_centered": lambda: adamkit.RMSProp(lr=1e-2, centered=True, n_threads=1),
    "native.rmsprop_centered_momentum": lambda: adamkit.RMSProp(
        lr=1e-2, momentum=0.9, centered=True, n_threads=1),
}
PRESETS = list(NATIVE) + [f"{fw}.{opt}" for fw, opt in presets.available()]


def _make(name):
    if name in NATIVE:
        return NATIVE[name]()
    fw, _, opt = name.rpartition(".")
    row = presets.get(fw, opt)
    cls = adamkit.RMSProp if row.family == "rmsprop" else adamkit.Adam
    return cls(preset=name, n_threads=1, **{r: 1e-3 for r in row.required})


class PresetStep(Benchmark):
    params = [PRESETS, sizes(10**4, 10**6)]
    param_names = ["preset", "n"]

    def setup(self, name, n):
        self.opt = _make(name)
        self.p, self.g, _ = get_data(n, np.float32, 0)
        self.opt.step(self.p, self.g)

    def time_step(self, name, n):
        self.opt.step(self.p, self.g)

    def track_vectorized(self, name, n):
        k, tail = self.opt._kernel, self.opt._tail_kernel
        return int(k.is_specialized("f") and (tail is None or tail.is_specialized("f")))



def _small_step_us(compiled):
    """The slowest preset's bound step at n = 100, float32, 1 thread (best of 5 batches)."""
    import timeit

    from adamkit import _core
    worst = 0.0
    for name in PRESETS[len(NATIVE):]:
        _core.COMPILE_RECIPES = compiled
        try:
            opt = _make(name)
        finally:
            _core.COMPILE_RECIPES = True
        p, g, _ = get_data(100, np.float32, 0)
        opt.step(p, g)
        best = min(timeit.repeat(lambda: opt.step(p, g), number=200, repeat=5)) / 200
        worst = max(worst, best * 1e6)
    return worst


class PresetSmallSteps:
    """The slowest preset's bound step at n = 100 (goal: <= 1.5 us for every preset): with
    the scalar recipes compiled (the default), and run in Python at every step. One
    process for all presets (asv would start one per parameter)."""
    unit = "us"
    timeout = 300

    def track_slowest_compiled(self):
        return _small_step_us(True)

    def track_slowest_python_recipe(self):
        return _small_step_us(False)

    track_slowest_compiled.unit = track_slowest_python_recipe.unit = "us"
