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
