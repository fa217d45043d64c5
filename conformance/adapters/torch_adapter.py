"""PyTorch adapter: torch.optim.Adam / AdamW / Adamax / RMSprop on CPU, driven by injected gradients.

Each step sets ``p.grad`` to a fresh copy of ``grads[t-1]`` and calls ``opt.step()``; the
parameter and every per-element state tensor are read back after every step. Row 0 of the
state arrays is the zero fill PyTorch starts from (no state tensor exists before step 1).

The three implementations are separate variants: the for-loop (``foreach=False``), the
multi-tensor path (``foreach=True``) and the fused CPU kernel (``fused=True``), named
``<variant>``, ``<variant>_foreach`` and ``<variant>_fused``. Cases on the ``large`` stream
(n = 40003, more than ATen's grain size of 32768) are recorded with 1 and with 2 intra-op
threads (``_thr1`` / ``_thr2``) to show whether chunking changes the bits.

Run: ``.venvs/modern/bin/python conformance/adapters/_run.py torch_adapter --streams DIR --out DIR``
"""

import dataclasses
import os

import numpy as np
import torch
from _run import Case

FRAMEWORK = "torch"


@dataclasses.dataclass
class TorchCase(Case):
    threads: int = 1          # torch.set_num_threads for this case


def paths():
    """ATen's CPU capability (torch 2.13 registers its optimizer kernels for AVX2 only, so
    an AVX-512 CPU runs them too) and torch's intra-op threads."""
    return {"aten_capability": torch.backends.cpu.get_cpu_capability(),
            "torch_threads": torch.get_num_threads()}


def versions():
    return {
        "torch": torch.__version__,
        "torch_git": getattr(torch.version, "git_version", None),
        "numpy": np.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "parallel_info": torch.__config__.parallel_info().splitlines()[:6],
        "mkl": [l.strip() for l in torch.__config__.show().splitlines() if "Math Kernel Library" in l],
        "env": {k: os.environ.get(k) for k in ("ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "MKL_CBWR",
                                               "MKL_ENABLE_INSTRUCTIONS")},
    }


_OPT = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "adamax": torch.optim.Adamax,
        "rmsprop": torch.optim.RMSprop}

_STATE_NAMES = {
    "adam": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    "adamw": ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
    "adamax": ("exp_avg", "exp_inf"),
    "rmsprop": ("square_avg", "grad_avg", "momentum_buffer"),
}

_STATE_MEANING = {
    "exp_avg": "first moment m (Adam exp_avg)",
    "exp_avg_sq": "second moment v (Adam exp_avg_sq, raw, not bias-corrected)",
    "max_exp_avg_sq": "AMSGrad running max of raw v",
    "exp_inf": "Adamax infinity norm u = max(b2 * u, |g| + eps)",
    "square_avg": "RMSprop running mean of g^2",
    "grad_avg": "centered RMSprop running mean of g",
    "momentum_buffer": "RMSprop momentum buffer",
}


def _paths(name, opt):
    """The implementation paths of an optimizer, as (suffix, kwargs)."""
    paths = [("", {"foreach": False}), ("_foreach", {"foreach": True})]
    if opt in ("adam", "adamw"):
        paths.append(("_fused", {"fused": True}))
    elif opt == "rmsprop" and "fused" in torch.optim.RMSprop.__init__.__code__.co_varnames:
        paths.append(("_fused", {"fused": True}))
    return paths


def _has_decoupled():
    return "decoupled_weight_decay" in torch.optim.Adam.__init__.__code__.co_varnames


_BASE = {
    "adam": [
        ("default", {}, "torch.optim.Adam() defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8"),
        ("custom", {"lr": 0.004, "betas": [0.86, 0.995], "eps": 1e-6},
         "non-default lr, betas, eps"),
        ("wd", {"lr": 0.004, "betas": [0.86, 0.995], "eps": 1e-6, "weight_decay": 0.01},
         "custom + L2 weight_decay (added to the gradient)"),
        ("amsgrad", {"lr": 0.004, "betas": [0.86, 0.995], "eps": 1e-6, "amsgrad": True},
         "custom + amsgrad=True"),
        ("maximize", {"lr": 0.004, "betas": [0.86, 0.995], "eps": 1e-6, "maximize": True},
         "custom + maximize=True (gradient ascent)"),
    ],
    "adamw": [
        ("default", {}, "torch.optim.AdamW() defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, "
                        "weight_decay 1e-2 (decoupled)"),
        ("custom", {"lr": 0.004, "betas": [0.86, 0.995], "eps": 1e-6, "weight_decay": 0.05},
         "non-default lr, betas, eps, weight_decay"),
    ],
    "adamax": [
        ("default", {}, "torch.optim.Adamax() defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8"),
        ("wd", {"lr": 0.004, "betas": [0.86, 0.995], "eps": 1e-6, "weight_decay": 0.01},
         "non-default lr, betas, eps + L2 weight_decay 0.01"),
        ("maximize", {"lr": 0.004, "betas": [0.4, 0.995], "eps": 1e-6, "maximize": True},
         "beta1 0.4 (lerp's other form) + maximize=True"),
    ],
    "rmsprop": [
        ("default", {}, "torch.optim.RMSprop() defaults: lr 1e-2, alpha 0.99, eps 1e-8"),
        ("custom", {"lr": 0.004, "alpha": 0.95, "eps": 1e-6}, "non-default lr, alpha, eps"),
        ("momentum", {"lr": 0.004, "alpha": 0.95, "eps": 1e-6, "momentum": 0.9},
         "custom + momentum 0.9"),
        ("centered", {"lr": 0.004, "alpha": 0.95, "eps": 1e-6, "centered": True},
         "custom + centered=True"),
        ("centered_momentum", {"lr": 0.004, "alpha": 0.95, "eps": 1e-6, "centered": True,
                               "momentum": 0.9}, "custom + centered + momentum 0.9"),
        ("wd", {"lr": 0.004, "alpha": 0.95, "eps": 1e-6, "weight_decay": 0.01},
         "custom + L2 weight_decay 0.01"),
    ],
}
if _has_decoupled():
    _BASE["adam"].append(
        ("decoupled", {"lr": 0.004, "betas": [0.86, 0.995], "eps": 1e-6, "weight_decay": 0.05,
                       "decoupled_weight_decay": True},
         "custom + weight_decay 0.05 with decoupled_weight_decay=True"))


def _cases():
    cases = []
    for opt, base in _BASE.items():
        for variant, hp, desc in base:
            for suffix, kw in _paths(variant, opt):
                cases.append(TorchCase(opt, variant + suffix, {**hp, **kw},
                                       description=f"{desc}; {kw}", threads=1))
    # Large stream (n = 40003 > grain 32768): 1 and 2 intra-op threads.
    large = [
        ("adam", "default", {}),
        ("adam", "wd", dict(_BASE["adam"][2][1])),
        ("adamw", "custom", dict(_BASE["adamw"][1][1])),
        ("rmsprop", "centered_momentum", dict(_BASE["rmsprop"][4][1])),
        ("rmsprop", "wd", dict(_BASE["rmsprop"][5][1])),
        ("adamax", "wd", dict(_BASE["adamax"][1][1])),
    ]
    for opt, variant, hp in large:
        for suffix, kw in _paths(variant, opt):
            for thr in (1, 2):
                cases.append(TorchCase(opt, f"{variant}{suffix}_large_thr{thr}", {**hp, **kw},
                                       stream="large", threads=thr,
                                       description=f"{variant}{suffix} on the large stream, "
                                                   f"torch.set_num_threads({thr})"))
    return cases


CASES = _cases()


def run(case, p0, grads):
    torch.set_num_threads(case.threads)
    hp = dict(case.hyperparameters)
    if "betas" in hp:
        hp["betas"] = tuple(hp["betas"])
    p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = _OPT[case.optimizer]([p], **hp)
    T, n = grads.shape
    params = np.empty((T + 1, n), dtype=grads.dtype)
    params[0] = p0
    names = _STATE_NAMES[case.optimizer]
    states = {}
    steps = []
    grad_modified = 0
    for t in range(T):
        g = torch.from_numpy(grads[t].copy())
        p.grad = g
        opt.step()
        if not np.array_equal(g.numpy(), grads[t]):
            grad_modified += 1
        params[t + 1] = p.detach().numpy()
        st = opt.state[p]
        for name in names:
            if name in st:
                if name not in states:
                    states[name] = np.zeros((T + 1, n), dtype=grads.dtype)
                states[name][t + 1] = st[name].detach().numpy()
        steps.append(float(st["step"]))
    step_t = opt.state[p]["step"]
    eff = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opt.param_groups[0].items()
           if k != "params"}
    eff = {k: v for k, v in eff.items() if isinstance(v, (int, float, bool, list, str, type(None)))}
    extra = {
        "api": f"torch.optim.{_OPT[case.optimizer].__name__}([p], **hyperparameters); "
               "p.grad = torch.from_numpy(g.copy()); opt.step()",
        "hyperparameters_effective": eff,
        "state_arrays": {k: _STATE_MEANING[k] for k in states},
        "state_row0": "zeros (PyTorch creates the state at the first step)",
        "step_tensor": {"dtype": str(step_t.dtype), "device": str(step_t.device),
                        "final": float(step_t), "monotone_1_to_T": steps == list(map(float, range(1, T + 1)))},
        "threads": {"set_num_threads": case.threads, "get_num_threads": torch.get_num_threads()},
        "gradient_modified_in_place_steps": grad_modified,
    }
    return params, states, extra
