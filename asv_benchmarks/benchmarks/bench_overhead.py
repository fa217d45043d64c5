"""The cost of one Python-level step() on small arrays, and of many arrays per call.

Goal: step() on n = 1e2..1e3 costs <= 1.5 us (>= 10x faster than torch fused=True and
>= 5x faster than jitted optax). ``time_kernel_call`` is the C kernel reached from Python
with nothing else (the floor a fast path can reach); peakmem over 1e5 calls catches a
leak per call.
"""

import numpy as np

import adamkit
from adamkit.tools import _membench as MB

from .common import Benchmark, get_data


class SmallStep(Benchmark):
    params = [[10, 100, 1000], ["float32", "float64"]]
    param_names = ["n", "dtype"]

    def setup(self, n, dtype):
        self.p, self.g, (self.m, self.v) = get_data(n, dtype, 2)
        self.adam = adamkit.Adam(lr=1e-3, n_threads=1)
        self.rms = adamkit.RMSProp(lr=1e-2, n_threads=1)
        self.adam.step(self.p, self.g)
        self.rms.step(self.p, self.g)

    def time_adam_step(self, n, dtype):
        self.adam.step(self.p, self.g)

    def time_rmsprop_step(self, n, dtype):
        self.rms.step(self.p, self.g)

    def time_kernel_call(self, n, dtype):
        MB.adam_native(self.p, self.g, self.m, self.v, 1)


class ManyCalls(Benchmark):
    """1e5 step() calls on 100 elements: peak memory must not grow with the call count."""

    number = 1
    repeat = 1
    timeout = 300

    def setup(self):
        self.p, self.g, _ = get_data(100, "float32", 0)
        self.opt = adamkit.Adam(lr=1e-3, n_threads=1)

    def peakmem_1e5_steps(self):
        for _ in range(100_000):
            self.opt.step(self.p, self.g)


class MultiTensor(Benchmark):
    """One step over many arrays: 200 arrays of 1e3..1e5 elements (log-spaced), and 1000
    arrays of 100 elements (per-array overhead dominates)."""

    params = [["200x1e3..1e5", "1000x100"]]
    param_names = ["arrays"]

    def setup(self, arrays):
        if arrays == "1000x100":
            sizes = [100] * 1000
        else:
            sizes = [int(s) for s in np.logspace(3, 5, 200)]
        self.ps = [get_data(s, "float32", 0)[0] for s in sizes]
        self.gs = [get_data(s, "float32", 0)[1] for s in sizes]
        self.opt = adamkit.Adam(lr=1e-3, n_threads=1)
        self.opt.step(self.ps, self.gs)
        total = sum(sizes)
        self.p, self.g, (self.m, self.v) = get_data(total, "float32", 2)

    def time_step_list(self, arrays):
        self.opt.step(self.ps, self.gs)

    def time_memory_only_one_buffer(self, arrays):
        MB.mem_adam(self.p, self.g, self.m, self.v, 1)
