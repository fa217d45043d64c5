"""Adam and RMSProp steps by n x dtype x threads, next to the memory-only kernel.

``time_step`` is the public call ``opt.step(p, g)``; ``time_kernel`` the C kernel alone
(adamkit._membench, threaded and chunked like the step); ``time_memory_only`` a loop with
exactly the step's access pattern and no arithmetic (Adam: read p, g, m, v, write p, m, v;
RMSProp: read p, g, s, write p, s). On arrays that do not fit in cache, time_step /
time_memory_only is how far adamkit is from the bandwidth bound (goal: <= 1.10).
"""

import adamkit
from adamkit.tools import _membench as MB

from .common import Benchmark, get_data, sizes, skip_unless_threads

SIZES = sizes(10**3, 10**5, 10**7)
DTYPES = ["float32", "float64"]
THREADS = [1, 2]


class AdamStep(Benchmark):
    params = [SIZES, DTYPES, THREADS]
    param_names = ["n", "dtype", "n_threads"]

    def setup(self, n, dtype, n_threads):
        skip_unless_threads(n_threads)
        self.p, self.g, (self.m, self.v) = get_data(n, dtype, 2)
        self.opt = adamkit.Adam(lr=1e-3, n_threads=n_threads)
        self.opt.step(self.p, self.g)              # allocates the state (not timed)
        self.nt = n_threads

    def time_step(self, n, dtype, n_threads):
        self.opt.step(self.p, self.g)

    def time_kernel(self, n, dtype, n_threads):
        MB.adam_native(self.p, self.g, self.m, self.v, self.nt)

    def time_memory_only(self, n, dtype, n_threads):
        MB.mem_adam(self.p, self.g, self.m, self.v, self.nt)

    def peakmem_step(self, n, dtype, n_threads):
        # p, g, m, v (setup) + the optimizer's m, v: no temporaries may add to it
        self.opt.step(self.p, self.g)


class RMSPropStep(Benchmark):
    params = [SIZES, DTYPES, THREADS]
    param_names = ["n", "dtype", "n_threads"]

    def setup(self, n, dtype, n_threads):
        skip_unless_threads(n_threads)
        self.p, self.g, (self.s,) = get_data(n, dtype, 1)
        self.opt = adamkit.RMSProp(lr=1e-2, n_threads=n_threads)
        self.opt.step(self.p, self.g)
        self.nt = n_threads

    def time_step(self, n, dtype, n_threads):
        self.opt.step(self.p, self.g)

    def time_kernel(self, n, dtype, n_threads):
        MB.rms_native(self.p, self.g, self.s, self.nt)

    def time_memory_only(self, n, dtype, n_threads):
        MB.mem_rms(self.p, self.g, self.s, self.nt)

    def peakmem_step(self, n, dtype, n_threads):
        self.opt.step(self.p, self.g)


class ThreadBreakEven(Benchmark):
    """The C kernel with the parallel region forced (threshold 0) at 1 and 2 threads:
    where 2 threads start to pay is where SERIAL_THRESHOLD should be."""

    params = [sizes(10**3, 10**4, 3 * 10**4, 10**5), THREADS]
    param_names = ["n", "n_threads"]

    def setup(self, n, n_threads):
        skip_unless_threads(n_threads)
        self.p, self.g, (self.m, self.v) = get_data(n, "float32", 2)

    def time_adam_forced_parallel(self, n, n_threads):
        MB.adam_native(self.p, self.g, self.m, self.v, n_threads, threshold=0)

    def time_rmsprop_forced_parallel(self, n, n_threads):
        MB.rms_native(self.p, self.g, self.m, n_threads, threshold=0)
