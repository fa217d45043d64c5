"""Chainer 7.8.1 adapter: chainer.optimizers.Adam family and RMSprop on the NumPy (CPU) backend.

A ``chainer.Link`` holding one ``chainer.Parameter`` (initialised to ``p0``) is set up in the
optimizer; each step sets ``param.grad = grads[t-1].copy()`` and calls ``opt.update()``, then
reads back ``param.data`` and ``param.update_rule.state``. Hooks (``WeightDecay``,
``GradientClipping``) are added with ``opt.add_hook``. State row 0 is the zero fill (Chainer
creates the state lazily inside the first update).
"""

import chainer
import numpy as np
from _run import Case
from chainer import optimizer_hooks

FRAMEWORK = "chainer"


def paths():
    """The OpenBLAS core and threads NumPy's dot ran on (GradientClipping's norm)."""
    from _run import openblas_info
    return openblas_info()


def versions():
    return {"chainer": chainer.__version__, "numpy": np.__version__}


CASES = [
    Case("adam", "default", {}, description="chainer.optimizers.Adam() defaults"),
    Case("adam", "custom", {"alpha": 0.004, "beta1": 0.86, "beta2": 0.995, "eps": 1e-6},
         description="non-default alpha, betas, eps"),
    Case("adamw", "custom", {"alpha": 0.003, "beta1": 0.88, "beta2": 0.996, "eps": 1e-7, "eta": 0.9,
                             "weight_decay_rate": 0.01},
         description="chainer.optimizers.AdamW with weight_decay_rate and eta"),
    Case("adamw", "default", {"weight_decay_rate": 0.004},
         description="AdamW with only weight_decay_rate set (eta 1)"),
    Case("amsgrad", "default", {}, description="chainer.optimizers.AMSGrad() defaults"),
    Case("amsgrad", "custom", {"alpha": 0.003, "beta1": 0.88, "beta2": 0.996, "eps": 1e-7},
         description="AMSGrad non-default"),
    Case("adabound", "default", {}, description="chainer.optimizers.AdaBound() defaults (final_lr 0.1, gamma 1e-3)"),
    Case("adabound", "custom", {"alpha": 0.002, "final_lr": 0.05, "gamma": 0.01, "beta2": 0.995},
         description="AdaBound with non-default final_lr, gamma"),
    Case("rmsprop", "default", {}, description="chainer.optimizers.RMSprop() defaults (lr 0.01, alpha 0.99, eps 1e-8)"),
    Case("rmsprop", "custom", {"lr": 0.003, "alpha": 0.9, "eps": 1e-6},
         description="RMSprop non-default, eps outside the sqrt"),
    Case("rmsprop", "epsinside", {"lr": 0.002, "alpha": 0.95, "eps": 1e-7, "eps_inside_sqrt": True},
         description="RMSprop eps_inside_sqrt=True"),
    Case("adam", "hookwd", {"alpha": 0.003, "hooks": [["WeightDecay", 0.01]]},
         description="Adam + optimizer_hooks.WeightDecay(0.01): g += rate*p before the rule"),
    Case("adam", "hookclip", {"alpha": 0.003, "hooks": [["GradientClipping", 5.0]]},
         description="Adam + optimizer_hooks.GradientClipping(5.0): global-norm clipping"),
    Case("adam", "hookclip_large", {"alpha": 0.003, "hooks": [["GradientClipping", 5.0]]},
         stream="large", description="the same over 40011 elements: OpenBLAS's threaded dot "
                                     "(float64) and its kernels' tails"),
]

_CLASSES = {"adam": "Adam", "adamw": "AdamW", "amsgrad": "AMSGrad", "adabound": "AdaBound",
            "rmsprop": "RMSprop"}
_STATES = {"adam": ["m", "v"], "adamw": ["m", "v"], "amsgrad": ["m", "v", "vhat"],
           "adabound": ["m", "v"], "rmsprop": ["ms"]}


class _Holder(chainer.Link):
    def __init__(self, p0):
        super().__init__()
        with self.init_scope():
            self.p = chainer.Parameter(p0.copy())


def run(case, p0, grads):
    dtype = p0.dtype
    hp = dict(case.hyperparameters)
    hooks = hp.pop("hooks", [])
    link = _Holder(p0)
    opt = getattr(chainer.optimizers, _CLASSES[case.optimizer])(**hp)
    opt.setup(link)
    for name, arg in hooks:
        opt.add_hook(getattr(optimizer_hooks, name)(arg))
    param = link.p
    names = _STATES[case.optimizer]
    T, n = grads.shape
    params = np.empty((T + 1, n), dtype)
    states = {k: np.zeros((T + 1, n), dtype) for k in names}
    params[0] = param.data
    for t in range(1, T + 1):
        param.grad = grads[t - 1].copy()
        opt.update()
        params[t] = param.data
        for k in names:
            states[k][t] = param.update_rule.state[k]
    eff = dict(param.update_rule.hyperparam.get_dict())
    meta = {
        "api": f"chainer.optimizers.{_CLASSES[case.optimizer]}(**hp).setup(link); param.grad = g; opt.update()"
               + ("; hooks " + repr(hooks) if hooks else ""),
        "hyperparameters_effective": eff,
        "hooks": hooks,
        "state_arrays": {k: f"param.update_rule.state['{k}'] after each step; row 0 = zeros (state is created "
                         "lazily in the first update)" for k in names},
    }
    return params, states, meta
