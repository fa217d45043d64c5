"""torch.optim.lr_scheduler: ``optimizer.param_groups[0]["lr"]`` as ``optimizer.step()``
sees it at steps 0..N-1 (``scheduler.step()`` after each ``optimizer.step()``), for single
schedulers, chains (several schedulers constructed on one optimizer and all stepped),
ChainedScheduler and SequentialLR; and torch.optim.Adam with a StepLR + ExponentialLR
chain for 300 steps."""

import numpy as np
import torch
from torch.optim import lr_scheduler as L

N = 5000

#: LambdaLR / MultiplicativeLR functions, by the source text the config stores
LAMBDAS = {"lambda epoch: 0.95 ** epoch": lambda epoch: 0.95 ** epoch,
           "lambda epoch: 0.999": lambda epoch: 0.999,
           "lambda epoch: 1.0 / (1.0 + 0.01 * epoch)": lambda epoch: 1.0 / (1.0 + 0.01 * epoch)}


def versions():
    return {"torch": torch.__version__}


def S(cls, **args):
    return {"class": cls, "args": args}


CASES = [
    (0.1, S("StepLR", step_size=30, gamma=0.1)),
    (1e-3, S("StepLR", step_size=7, gamma=0.5)),
    (0.1, S("MultiStepLR", milestones=[30, 80, 80, 2000], gamma=0.1)),
    (0.1, S("ExponentialLR", gamma=0.999)),
    (3e-4, S("ExponentialLR", gamma=0.9)),
    (0.1, S("CosineAnnealingLR", T_max=1000, eta_min=1e-5)),
    (0.01, S("CosineAnnealingLR", T_max=333)),
    (0.1, S("LinearLR", start_factor=0.1, total_iters=100)),
    (0.1, S("LinearLR", start_factor=1.0, end_factor=0.01, total_iters=3000)),
    (0.1, S("LinearLR")),
    (0.1, S("ConstantLR", factor=0.5, total_iters=50)),
    (0.1, S("ConstantLR")),
    (0.05, S("LambdaLR", lr_lambda="lambda epoch: 0.95 ** epoch")),
    (0.05, S("LambdaLR", lr_lambda="lambda epoch: 1.0 / (1.0 + 0.01 * epoch)")),
    (0.05, S("MultiplicativeLR", lr_lambda="lambda epoch: 0.999")),
    (0.1, S("OneCycleLR", max_lr=0.1, total_steps=N)),
    (0.1, S("OneCycleLR", max_lr=0.3, total_steps=N, anneal_strategy="linear")),
    (0.1, S("OneCycleLR", max_lr=0.01, total_steps=N, pct_start=0.25, three_phase=True,
            div_factor=10.0, final_div_factor=100.0)),
    (0.1, {"class": "SequentialLR", "milestones": [100],
           "schedulers": [S("LinearLR", start_factor=0.01, total_iters=100),
                          S("CosineAnnealingLR", T_max=4900)]}),
    (0.1, {"class": "SequentialLR", "milestones": [200, 1000],
           "schedulers": [S("ConstantLR", factor=0.1, total_iters=200),
                          S("ExponentialLR", gamma=0.999),
                          S("MultiStepLR", milestones=[500, 2500], gamma=0.3)]}),
    (0.1, {"class": "ChainedScheduler",
           "schedulers": [S("StepLR", step_size=100, gamma=0.5), S("ExponentialLR", gamma=0.999)]}),
    (0.1, [S("LinearLR", start_factor=0.1, total_iters=50), S("CosineAnnealingLR", T_max=1000)]),
    (0.02, [S("ConstantLR", factor=0.5, total_iters=10), S("ExponentialLR", gamma=0.998),
            S("MultiStepLR", milestones=[700, 1400], gamma=0.5)]),
]


def build(opt, spec):
    if isinstance(spec, list):
        return [build(opt, s) for s in spec]
    cls = spec["class"]
    if cls == "ChainedScheduler":
        return L.ChainedScheduler([build(opt, s) for s in spec["schedulers"]])
    if cls == "SequentialLR":
        return L.SequentialLR(opt, [build(opt, s) for s in spec["schedulers"]],
                              milestones=spec["milestones"])
    args = dict(spec["args"])
    if "lr_lambda" in args:
        args["lr_lambda"] = LAMBDAS[args["lr_lambda"]]
    return getattr(L, cls)(opt, **args)


def _values(lr, spec, n=N):
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.Adam([p], lr=lr)
    scheds = build(opt, spec)
    scheds = scheds if isinstance(scheds, list) else [scheds]
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        p.grad = torch.ones(3)
        opt.step()
        for s in scheds:
            s.step()
    return np.array(out, dtype=np.float64)


STATE_DICT_CASES = [CASES[0], CASES[2], CASES[5], CASES[8], CASES[16]]
E2E = [S("StepLR", step_size=50, gamma=0.5), S("ExponentialLR", gamma=0.99)]


def _adam_run():
    """torch.optim.Adam(lr=0.01) with StepLR(50, 0.5) and ExponentialLR(0.99) on it (both
    stepped after each optimizer.step()), 300 steps of g_t = cos(0.37 t + k), float32."""
    p0 = np.linspace(-1, 1, 7).astype(np.float32)
    p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = torch.optim.Adam([p], lr=0.01)
    scheds = build(opt, E2E)
    k = np.arange(7)
    params, grads, lrs = [p0.copy()], [], []
    for t in range(300):
        g = np.cos(0.37 * t + k).astype(np.float32)
        lrs.append(opt.param_groups[0]["lr"])
        p.grad = torch.from_numpy(g.copy())
        opt.step()
        for s in scheds:
            s.step()
        grads.append(g)
        params.append(p.detach().numpy().copy())
    return {"p0": p0, "grads": np.array(grads), "params": np.array(params),
            "lr": np.array(lrs)}


def cases(args):
    out = [(f"{(s if isinstance(s, dict) else {'class': 'chain'})['class']}-{i}",
            {"lr": lr, "scheduler": s}, lambda lr=lr, s=s: _values(lr, s))
           for i, (lr, s) in enumerate(CASES)]
    for i, (lr, spec) in enumerate(STATE_DICT_CASES):      # the config as state_dict()
        p = torch.nn.Parameter(torch.zeros(3))
        opt = torch.optim.Adam([p], lr=lr)
        sd = build(opt, spec).state_dict()
        sd = {k: (dict(v) if k == "milestones" else v) for k, v in sd.items()
              if k not in ("_last_lr",) and not callable(v)}
        config = {"class": spec["class"], "state_dict": sd}
        if spec["class"] == "OneCycleLR":         # its lrs live in the param group
            group = opt.state_dict()["param_groups"][0]
            config["param_group"] = {k: group[k] for k in ("initial_lr", "max_lr", "min_lr")}
        out.append((f"{spec['class']}-state_dict-{i}", {"lr": lr, "scheduler": config},
                    lambda lr=lr, spec=spec: _values(lr, spec)))
    out.append(("adam-steplr-exponentiallr",
                {"optimizer": "torch.optim.Adam", "hyperparameters": {"lr": 0.01},
                 "schedule": {"lr": 0.01, "scheduler": E2E}}, _adam_run))
    return out
