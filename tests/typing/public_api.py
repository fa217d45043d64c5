"""Checked by mypy in tests/test_typing.py (never run): the public API's types.

Each ``# type: ignore[code]`` below marks a call that must be a type error; mypy runs with
``--warn-unused-ignores``, so if a signature is lost (an ``Any`` from an unstubbed
compiled module, a decorator that hides it) the ignore becomes unused and the check fails.
"""

import copy
import pickle

import numpy as np
import scipy.optimize as so

import adamkit
from adamkit import schedules
from adamkit._core import Core
from adamkit._kernels import Kernel, effective_n_threads
from adamkit.tools import _membench

p = np.zeros(10, dtype=np.float32)
g = np.ones(10, dtype=np.float32)

opt = adamkit.Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
base: Core = opt
opt.step(p, g)
opt.step([p], [g], lr_mult=[0.5])
steps: int = opt.t
result = opt.step(p, g)  # type: ignore[func-returns-value]
opt.step(p)  # type: ignore[call-arg]
adamkit.Adam(betas=0.9)  # type: ignore[arg-type]
adamkit.RMSProp(lr=1e-2, alpha=0.99, momentum=0.9, centered=True)
adamkit.AdamW(lr=schedules.exponential_decay(1e-2, decay_steps=100, decay_rate=0.5))
adamkit.Adam(preset="caffe", base_lr=1e-3)

state = opt.state_dict()
opt.load_state_dict(state)
twin = pickle.loads(pickle.dumps(opt))
twin2 = copy.deepcopy(opt)
config: dict = opt.get_config()

res: so.OptimizeResult = adamkit.minimize(so.rosen, np.zeros(3), jac=so.rosen_der,
                                          method="adam", options={"maxiter": 10})
res2 = so.minimize(so.rosen, np.zeros(3), method=adamkit.adam, options={"lr": 1e-2})
res3: so.OptimizeResult = adamkit.adam(so.rosen, np.zeros(3))
adamkit.adam(1, np.zeros(3))  # type: ignore[arg-type]
adamkit.minimize(so.rosen, np.zeros(3), bogus=1)  # type: ignore[call-arg]

k = Kernel("adam", {})
ops: dict[str, int] = k.ops
n: int = effective_n_threads(None)
nt: bool = _membench.has_nt()
_membench.mem_adam(p, g, p.copy(), p.copy(), n_threads="2")  # type: ignore[arg-type]
version: str = adamkit.__version__
include: str = adamkit.get_include()
