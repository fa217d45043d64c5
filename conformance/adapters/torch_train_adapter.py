"""PyTorch real training: an MLP on the digits with ``torch.optim`` and ``lr_scheduler``.

The model of ``_train.py`` as ``nn.Sequential(Linear(64, 128), ReLU, Linear(128, 64),
ReLU, Linear(64, 10))`` (weights (out, in), as torch stores them), trained with the usual
loop: ``opt.zero_grad(); F.cross_entropy(model(x), y).backward(); opt.step();
scheduler.step()`` once per minibatch. Before ``opt.step()`` the adapter copies every
``p.grad`` (the gradients the optimizer reads) and every group's ``lr`` (what this step
uses); after it, every parameter and every per-element tensor of ``opt.state[p]``.
State row 0 is the zero fill (PyTorch creates the state in the first step).

Run: ``.venvs/modern/bin/python conformance/adapters/_run.py torch_train_adapter
--streams DIR --out DIR``
"""

import numpy as np
import torch
import torch.nn.functional as F
from _run import Case
from _train import Recorder, plain

FRAMEWORK = "torch"
TRAINING = True
MODEL = "digits_mlp"

STEP = ("StepLR", {"step_size": 20, "gamma": 0.5})
EXP = ("ExponentialLR", {"gamma": 0.97})

# (optimizer, variant, constructor keywords, schedule pieces, description)
_CASES = [
    ("adam", "train_steplr", {"lr": 0.01, "foreach": False}, [STEP],
     "Adam(lr=0.01, foreach=False) (the for-loop), StepLR(step_size=20, gamma=0.5)"),
    ("adam", "train_chain_foreach", {"lr": 0.01, "foreach": True}, [EXP, STEP],
     "Adam(lr=0.01, foreach=True), ChainedScheduler([ExponentialLR(0.97), StepLR(20, 0.5)])"),
    ("adam", "train_steplr_fused", {"lr": 0.01, "fused": True}, [STEP],
     "Adam(lr=0.01, fused=True), StepLR(20, 0.5)"),
    ("adam", "train_groups", {"lr": 0.01, "weight_decay": 1e-3, "foreach": False}, [STEP],
     "Adam, two param groups: the weights lr 0.01 with L2 weight_decay 1e-3, the biases "
     "lr 0.02 without; StepLR(20, 0.5) on both"),
    ("adamw", "train_exp", {"lr": 0.005, "weight_decay": 0.05}, [EXP],
     "AdamW(lr=0.005, weight_decay=0.05), ExponentialLR(0.97)"),
    ("rmsprop", "train_momentum", {"lr": 0.002, "momentum": 0.9}, [STEP],
     "RMSprop(lr=0.002, momentum=0.9), StepLR(20, 0.5)"),
]

CASES = [Case(opt, variant, {**kw, "schedule": [list(p) for p in sched]}, stream=MODEL,
              description=desc) for opt, variant, kw, sched, desc in _CASES]

_OPT = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "rmsprop": torch.optim.RMSprop}
_SCHED = {"StepLR": torch.optim.lr_scheduler.StepLR,
          "ExponentialLR": torch.optim.lr_scheduler.ExponentialLR}
_MEANING = {"exp_avg": "first moment", "exp_avg_sq": "second moment (raw)",
            "max_exp_avg_sq": "AMSGrad max", "square_avg": "mean square of g",
            "grad_avg": "mean of g (centered)", "momentum_buffer": "momentum buffer"}


def versions():
    return {"torch": torch.__version__, "numpy": np.__version__,
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}


def paths():
    return {"aten_capability": torch.backends.cpu.get_cpu_capability(),
            "torch_threads": torch.get_num_threads()}


def _model(data):
    torch_dtype = getattr(torch, data.dtype.name)
    widths = data.meta["layers"]
    mods = []
    for k, (w, b) in enumerate(data.layers):
        lin = torch.nn.Linear(widths[k], widths[k + 1], dtype=torch_dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
            lin.bias.copy_(torch.from_numpy(b))
        mods += [lin, torch.nn.ReLU()] if k + 1 < len(data.layers) else [lin]
    return torch.nn.Sequential(*mods)


def train(case, data):
    torch.set_num_threads(1)
    hp = dict(case.hyperparameters)
    pieces = hp.pop("schedule")
    model = _model(data)
    named = list(model.named_parameters())
    names = [n for n, _ in named]
    params = [p for _, p in named]
    if case.variant == "train_groups":
        weights = [k for k, n in enumerate(names) if n.endswith("weight")]
        biases = [k for k, n in enumerate(names) if n.endswith("bias")]
        groups = [{"params": [params[k] for k in weights]},
                  {"params": [params[k] for k in biases], "lr": 0.02, "weight_decay": 0.0}]
        index = [weights, biases]
        opt = _OPT[case.optimizer](groups, **hp)
    else:
        index = [list(range(len(params)))]
        opt = _OPT[case.optimizer](params, **hp)
    initial = [{k: plain(v) for k, v in g.items() if k != "params"} for g in opt.param_groups]
    scheds = [_SCHED[name](opt, **args) for name, args in pieces]
    sched = scheds[0] if len(scheds) == 1 else torch.optim.lr_scheduler.ChainedScheduler(
        scheds, optimizer=opt)
    group_of = {k: g for g, idx in enumerate(index) for k in idx}
    rec = Recorder(names)
    rec.start([p.detach().numpy() for p in params])
    xs = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data.batches()]
    for xb, yb in xs:
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        grads = [p.grad.detach().numpy().copy() for p in params]
        rates = [opt.param_groups[group_of[k]]["lr"] for k in range(len(params))]
        opt.step()
        sched.step()
        states = {}
        for name in _MEANING:
            if name in opt.state[params[0]]:
                states[name] = [opt.state[p][name].detach().numpy() for p in params]
        rec.step(grads, [p.detach().numpy() for p in params], states,
                 lr=rates if len(index) > 1 else rates[0])
    result = rec.result()
    eff = {k: initial[0][k] for k in opt.defaults}
    extra = {
        "api": f"torch.optim.{type(opt).__name__}(params, **hp) with "
               f"{' + '.join(type(s).__name__ for s in scheds)}; per minibatch: "
               "opt.zero_grad(); F.cross_entropy(model(x), y).backward(); opt.step(); "
               "scheduler.step()",
        "hyperparameters_effective": eff,
        "optimizer_config": {"defaults": plain(opt.defaults), "param_groups": initial},
        "schedule": {"api": f"torch.optim.lr_scheduler: {pieces}"
                            + (" in a ChainedScheduler" if len(scheds) > 1 else "")
                            + ", .step() after every opt.step()",
                     "pieces": [{"name": n, "args": a} for n, a in pieces],
                     "state_dict": plain({k: v for k, v in sched.state_dict().items()
                                          if k != "_schedulers"})},
        "state_arrays": {k: _MEANING[k] for k in result[2][0]},
        "state_row0": "zeros (PyTorch creates the state at the first step)",
        "gradients": "p.grad after loss.backward(), copied before opt.step()",
        "lr_recorded": "param_group['lr'] of each array's group, read before opt.step()",
        "model": "nn.Sequential(Linear(64,128), ReLU, Linear(128,64), ReLU, Linear(64,10)); "
                 "F.cross_entropy (mean)",
        "dtype_model": data.dtype.name, "mode": "eager",
        "final_loss": float(loss.detach()),
    }
    if len(index) > 1:
        extra["param_groups"] = [
            {"arrays": idx, "hyperparameters": {k: initial[g][k] for k in ("lr", "weight_decay")}}
            for g, idx in enumerate(index)]
    return result, extra
