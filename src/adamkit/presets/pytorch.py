"""PyTorch 2.13 (CPU): ``torch.optim.Adam``, ``AdamW``, ``Adamax`` and ``RMSprop``.

The for-loop and foreach implementations run the same ATen kernels (GCC-contracted to FMA)
and MKL's sqrt, which starts from the CPU's rsqrtss estimate (``estimate``); ``fused=True``
runs FusedAdamKernel.cpp: IEEE sqrt, and a scalar tail (the last n mod V elements) that
contracts v's update the other way. V = 8 float32 / 4 float64: torch 2.13 registers these
kernels for AVX2 only, so an AVX-512 CPU runs the AVX2 code too (measured).
``state['step']`` is a float32 tensor. Evidence: conformance/notes/pytorch-recipes.md,
0-ULP replays of the live recordings.
"""

import math

from .. import _vocab as V
from .._rules import Rule
from ._context import ESTIMATE_OPTIONS, estimate_ops
from ._floats import adam_scalars, r32, rmsprop_scalars, rounder, sqrt64
from ._preset import Preset, refuse


def _adam_scalars(fused):
    def scalars(hp, t, lr, f32):
        r = rounder(f32)
        b1, b2 = hp["betas"]
        wd = hp["weight_decay"]
        t = r32(t)                               # .item() of a float32 step tensor
        bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        w = r(1.0 - b1)                          # lerp's weight; >= 0.5 takes the other form
        return adam_scalars(b1=r(b1), c1=w if abs(w) < 0.5 else w - 1.0, b2=r(b2),
                            c2=r(1.0 - b2), eps=r(hp["eps"]), alpha=r(lr / bc1),
                            bc2=r(sqrt64(bc2) if fused else bc2 ** 0.5), wd=r(wd),
                            dk=r(1.0 - lr * wd))
    return scalars


def _fused_split(n, f32):
    """FusedAdamKernel's vector body: whole AVX2 vectors (8 float32, 4 float64)."""
    return n & -8 if f32 else n & -4


def _adam_rule(optimizer):
    def rule(hp):
        if hp["capturable"] or hp["differentiable"]:
            raise refuse("pytorch", optimizer,
                         "capturable/differentiable round differently and are not reproduced")
        ops = {"first": V.M_LERP_FMA, "second": V.V_SCAL_FMA_CG, "denom": V.D_SQRT_BC_EPS,
               "sqrt_kind": V.SQRT_MKL_EX, "amsgrad": int(bool(hp["amsgrad"])),
               "maximize": int(bool(hp["maximize"])), **estimate_ops("pytorch", hp)}
        if 1.0 - hp["betas"][0] >= 0.5:
            ops["first"] = V.M_LERP_FMA_HI
        if hp["weight_decay"]:
            if hp["decoupled_weight_decay"]:
                ops["decoupled"] = V.DECOUPLED_MUL
            else:
                ops["grad_decay"] = V.GDECAY_L2_FMA
        if hp["fused"]:
            ops["sqrt_kind"] = V.SQRT_IEEE
            return Rule("adam", ops, _adam_scalars(True), tail_ops={"second": V.V_FMA_SCAL_CG},
                        split=_fused_split)
        return Rule("adam", ops, _adam_scalars(False))
    return rule


def _adamax_rule(hp):
    """torch.optim.Adamax (for-loop and foreach: the same ATen kernels):
    ``m.lerp_(g, 1 - b1)``; ``u = maximum(u * b2, |g| + eps)`` (NaN-propagating);
    ``p.addcdiv_(m, u, value=-lr / (1 - b1^t))``, scalars rounded to the parameters' dtype."""
    if hp["capturable"] or hp["differentiable"]:
        raise refuse("pytorch", "adamax",
                     "capturable/differentiable round differently and are not reproduced")
    ops = {"first": V.M_LERP_FMA, "second": V.V_MAX_EPS, "denom": V.D_NONE,
           "maximize": int(bool(hp["maximize"]))}
    if 1.0 - hp["betas"][0] >= 0.5:
        ops["first"] = V.M_LERP_FMA_HI
    if hp["weight_decay"]:
        ops["grad_decay"] = V.GDECAY_L2_FMA
    return Rule("adam", ops, _adam_scalars(False))


def _rmsprop_scalars(hp, t, lr, f32):
    r = rounder(f32)
    a = hp["alpha"]
    return rmsprop_scalars(rho=r(a), c=r(1.0 - a), eps=r(hp["eps"]), lr=r(lr),
                           mu=r(hp["momentum"]), wd=r(hp["weight_decay"]))


def _rmsprop_rule(hp):
    if hp["capturable"] or hp["differentiable"]:
        raise refuse("pytorch", "rmsprop", "capturable/differentiable are not reproduced")
    ops = {"square": V.MS_SCAL_FMA_CG, "denom": V.RD_SQRT_EPS, "sqrt_kind": V.SQRT_MKL_EX,
           "maximize": int(bool(hp["maximize"])), **estimate_ops("pytorch", hp)}
    if hp["weight_decay"]:
        ops["grad_decay"] = V.GDECAY_L2_FMA
    if hp["centered"]:
        ops.update(center=V.C_LERP_FMA, variance=V.VAR_FMA)
    if hp["momentum"]:
        ops.update(step=V.RU_DIV, momentum=V.MOM_ACC_FMA)
    return Rule("rmsprop", ops, _rmsprop_scalars)


_ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
         "amsgrad": False, "maximize": False, "foreach": None, "fused": None,
         "capturable": False, "differentiable": False, "decoupled_weight_decay": False,
         **ESTIMATE_OPTIONS}
_STATES = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "vhat"}
_VARIANTS = ({"fused": True},)

PRESETS = (
    Preset("pytorch", "adam", "adam", _adam_rule("adam"), defaults=_ADAM, lr_name="lr",
           states=_STATES, ignored=frozenset({"foreach"}), variants=_VARIANTS,
           constructor="torch.optim.Adam", version="2.13.0",
           api="torch.optim.Adam 2.13 CPU: for-loop, foreach (MKL sqrt) and fused=True"),
    Preset("pytorch", "adamw", "adam", _adam_rule("adamw"),
           defaults={**_ADAM, "weight_decay": 1e-2, "decoupled_weight_decay": True},
           lr_name="lr", states=_STATES, ignored=frozenset({"foreach"}), variants=_VARIANTS,
           constructor="torch.optim.AdamW", version="2.13.0",
           api="torch.optim.AdamW 2.13 CPU: for-loop, foreach and fused=True"),
    Preset("pytorch", "adamax", "adam", _adamax_rule,
           defaults={"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                     "foreach": None, "maximize": False, "differentiable": False,
                     "capturable": False},
           lr_name="lr", states={"exp_avg": "m", "exp_inf": "v"},
           ignored=frozenset({"foreach"}), constructor="torch.optim.Adamax",
           version="2.13.0", api="torch.optim.Adamax 2.13 CPU: for-loop and foreach"),
    Preset("pytorch", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0,
                     "momentum": 0.0, "centered": False, "maximize": False, "foreach": None,
                     "capturable": False, "differentiable": False, **ESTIMATE_OPTIONS},
           lr_name="lr", states={"square_avg": "ms", "grad_avg": "mg", "momentum_buffer": "mom"},
           ignored=frozenset({"foreach"}),
           constructor="torch.optim.RMSprop", version="2.13.0",
           api="torch.optim.RMSprop 2.13 CPU: for-loop and foreach (MKL sqrt)"),
)


# -- schedules --
# torch.optim.lr_scheduler (2.13) steps ``group["lr"]`` recursively in Python floats
# (doubles): each scheduler's ``get_lr()`` reads the group's current lr, so a chain of
# schedulers on one group, SequentialLR's restarts and the recursive forms (which differ
# from the closed forms in the last bits) are reproduced by running the same recursion,
# transcribed below with torch's own expressions and order of operations, from step 0.
# ``t`` steps taken = ``t`` calls of ``scheduler.step()`` after ``optimizer.step()``.
# Evidence: conformance/schedules/record.py torch_sched (tests/data/schedules/torch_sched.npz).

class _TorchScheduler:
    """One torch LRScheduler on a single param group (a dict with torch's keys)."""

    closed_form = False

    def __init__(self, group, **kw):
        self.group, self.kw = group, kw
        self.__dict__.update(kw)
        group.setdefault("initial_lr", group["lr"])
        self.base_lr = group["initial_lr"]
        self.last_epoch = -1
        self.initial_step()

    def initial_step(self):
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def step(self):
        self._step_count += 1
        self.last_epoch += 1
        self.group["lr"] = self.get_lr(self.group["lr"])

    def update_lr_at(self, epoch):            # _update_lr(epoch): SequentialLR's restart
        self.last_epoch = epoch
        self.group["lr"] = (self.closed_form_lr() if self.closed_form
                            else self.get_lr(self.group["lr"]))


class StepLR(_TorchScheduler):
    closed_form = True

    def get_lr(self, lr):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lr
        return lr * self.gamma

    def closed_form_lr(self):
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)


class MultiStepLR(_TorchScheduler):
    closed_form = True

    def get_lr(self, lr):
        count = list(self.milestones).count(self.last_epoch)
        return lr if not count else lr * self.gamma ** count

    def closed_form_lr(self):
        import bisect
        return self.base_lr * self.gamma ** bisect.bisect_right(sorted(self.milestones),
                                                                self.last_epoch)


class ConstantLR(_TorchScheduler):
    closed_form = True

    def get_lr(self, lr):
        if self.last_epoch == 0:
            return lr * self.factor
        if self.last_epoch != self.total_iters:
            return lr
        return lr * (1.0 / self.factor)

    def closed_form_lr(self):
        return self.base_lr * (self.factor + (self.last_epoch >= self.total_iters)
                               * (1 - self.factor))


class LinearLR(_TorchScheduler):
    closed_form = True

    def get_lr(self, lr):
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        if self.last_epoch == 0:
            return lr * s
        if self._is_initial or self.last_epoch > n:
            return lr
        return lr * (1.0 + (e - s) / (n * s + (self.last_epoch - 1) * (e - s)))

    def closed_form_lr(self):
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        return self.base_lr * (s + (e - s) * min(n, self.last_epoch) / n)


class ExponentialLR(_TorchScheduler):
    closed_form = True

    def get_lr(self, lr):
        return lr if self._is_initial else lr * self.gamma

    def closed_form_lr(self):
        return self.base_lr * self.gamma ** self.last_epoch


class CosineAnnealingLR(_TorchScheduler):
    closed_form = True

    def get_lr(self, lr):
        cos, pi, T, m, b = math.cos, math.pi, self.T_max, self.eta_min, self.base_lr
        if self._is_initial:
            return lr
        if self._step_count == 1 and self.last_epoch > 0:
            return m + (b - m) * (1 + cos(self.last_epoch * pi / T)) / 2
        if (self.last_epoch - 1 - T) % (2 * T) == 0:
            return lr + (b - m) * (1 - cos(pi / T)) / 2
        return ((1 + cos(pi * self.last_epoch / T)) / (1 + cos(pi * (self.last_epoch - 1) / T))
                * (lr - m) + m)

    def closed_form_lr(self):
        m = self.eta_min
        return m + (self.base_lr - m) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2


class LambdaLR(_TorchScheduler):
    def get_lr(self, lr):
        return self.base_lr * self.lr_lambda(self.last_epoch)


class MultiplicativeLR(_TorchScheduler):
    def get_lr(self, lr):
        return lr if self._is_initial else lr * self.lr_lambda(self.last_epoch)


class OneCycleLR(_TorchScheduler):
    """The learning rate only: with ``cycle_momentum`` torch also moves beta1/momentum, which
    adamkit's presets keep fixed."""

    def __init__(self, group, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, phases=None, **momentum):
        total = total_steps if total_steps is not None else epochs * steps_per_epoch
        if not (isinstance(total, int) and total > 0):
            raise ValueError(f"OneCycleLR: total steps must be a positive integer, got {total}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be 'cos' or 'linear'")
        if phases is None:
            phases = [(float(pct_start * total) - 1, "initial_lr", "max_lr")]
            if three_phase:
                phases.append((float(2 * pct_start * total) - 2, "max_lr", "initial_lr"))
                phases.append((total - 1, "initial_lr", "min_lr"))
            else:
                phases.append((total - 1, "max_lr", "min_lr"))
            group["initial_lr"] = max_lr / div_factor
            group["max_lr"] = max_lr
            group["min_lr"] = group["initial_lr"] / final_div_factor
        else:                                 # from a state_dict and the param group
            group.update(max_lr)
        self.phases, self.total_steps = phases, total
        super().__init__(group, anneal_strategy=anneal_strategy)

    def get_lr(self, lr):
        step, start = self.last_epoch, 0.0
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total "
                             f"steps is {self.total_steps}")
        for i, (end, a, b) in enumerate(self.phases):
            if step <= end or i == len(self.phases) - 1:
                pct = (step - start) / (end - start)
                s, e = self.group[a], self.group[b]
                if self.anneal_strategy == "cos":
                    return e + (s - e) / 2.0 * (math.cos(math.pi * pct) + 1)
                return (e - s) * pct + s
            start = end


class SequentialLR:
    def __init__(self, group, schedulers, milestones):
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("SequentialLR needs one milestone fewer than schedulers")
        self.group, self.schedulers, self.milestones = group, schedulers, list(milestones)
        self.last_epoch = 0
        group["lr"] = group["initial_lr"]
        self.undo(self)
        import bisect
        self.schedulers[bisect.bisect_right(self.milestones, 0)].initial_step()

    def undo(self, s):
        if isinstance(s, (SequentialLR, ChainedScheduler)):
            for x in s.schedulers:
                self.undo(x)
        else:
            s.last_epoch -= 1

    def step(self):
        import bisect
        self.last_epoch += 1
        idx = bisect.bisect_right(self.milestones, self.last_epoch)
        s = self.schedulers[idx]
        if idx > 0 and self.milestones[idx - 1] == self.last_epoch:
            s.update_lr_at(0)
        else:
            s.step()


class ChainedScheduler:
    def __init__(self, group, schedulers):
        self.group, self.schedulers = group, schedulers

    def step(self):
        for s in self.schedulers:
            s.step()


TORCH_SCHEDULERS = {c.__name__: c for c in (
    StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, CosineAnnealingLR, LambdaLR,
    MultiplicativeLR, OneCycleLR, SequentialLR, ChainedScheduler)}
_ARGS = {"StepLR": ("step_size", "gamma"), "MultiStepLR": ("milestones", "gamma"),
         "ConstantLR": ("factor", "total_iters"),
         "LinearLR": ("start_factor", "end_factor", "total_iters"),
         "ExponentialLR": ("gamma",), "CosineAnnealingLR": ("T_max", "eta_min"),
         "LambdaLR": ("lr_lambda",), "MultiplicativeLR": ("lr_lambda",),
         "OneCycleLR": ("max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start",
                        "anneal_strategy", "div_factor", "final_div_factor", "three_phase",
                        "cycle_momentum", "base_momentum", "max_momentum", "phases")}
_DEFAULTS = {"StepLR": {"gamma": 0.1}, "MultiStepLR": {"gamma": 0.1},
             "ConstantLR": {"factor": 1.0 / 3, "total_iters": 5},
             "LinearLR": {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5},
             "CosineAnnealingLR": {"eta_min": 0.0}}


def _torch_build(group, spec):
    """Construct one scheduler of a spec on ``group``, in torch's order (side effects
    included: each constructor's initial step)."""
    cls = spec["class"].rsplit(".", 1)[-1]
    if cls not in TORCH_SCHEDULERS:
        raise ValueError(f"pytorch: no scheduler {cls!r}; known: {sorted(TORCH_SCHEDULERS)}")
    if cls in ("SequentialLR", "ChainedScheduler"):
        subs = [_torch_build(group, s) for s in spec["schedulers"]]
        if cls == "ChainedScheduler":
            return ChainedScheduler(group, subs)
        return SequentialLR(group, subs, spec["milestones"])
    args = dict(spec.get("args") or {})
    state = spec.get("state_dict")
    if state is not None:                     # a scheduler's state_dict(): its attributes
        args = {k: state[k] for k in _ARGS[cls] if k in state}
        if cls == "MultiStepLR" and isinstance(args.get("milestones"), dict):
            args["milestones"] = [int(k) for k, n in args["milestones"].items()
                                  for _ in range(n)]
        if cls == "OneCycleLR":
            pg = spec.get("param_group") or {}
            if not {"initial_lr", "max_lr", "min_lr"} <= set(pg):
                raise ValueError("pytorch OneCycleLR from a state_dict needs the param group's "
                                 "initial_lr, max_lr and min_lr (config['param_group'])")
            args = {"max_lr": {k: pg[k] for k in ("initial_lr", "max_lr", "min_lr")},
                    "total_steps": state["total_steps"],
                    "anneal_strategy": state.get("_anneal_func_type", "cos"),
                    "phases": [(p["end_step"], p["start_lr"], p["end_lr"])
                               for p in state["_schedule_phases"]]}
    unknown = set(args) - set(_ARGS[cls])
    if unknown:
        raise TypeError(f"pytorch {cls}: unknown arguments {sorted(unknown)}")
    if cls in ("LambdaLR", "MultiplicativeLR") and not callable(args.get("lr_lambda")):
        raise TypeError(f"pytorch {cls} needs lr_lambda, a function of the epoch")
    if cls == "OneCycleLR":
        for k in ("cycle_momentum", "base_momentum", "max_momentum"):
            args.pop(k, None)
    if cls == "MultiStepLR":
        args["milestones"] = [int(m) for m in args["milestones"]]
    return TORCH_SCHEDULERS[cls](group, **{**_DEFAULTS.get(cls, {}), **args})


def torch_schedule(lr, spec):
    """The learning rate ``group["lr"]`` after ``t`` scheduler steps, for an optimizer
    created with ``lr`` and the schedulers of ``spec``: ``{"class": name, "args": {...}}``
    (or ``"state_dict": {...}``), ``{"class": "SequentialLR", "schedulers": [...],
    "milestones": [...]}``, ``{"class": "ChainedScheduler", "schedulers": [...]}``, or a
    list of specs (several schedulers constructed in order on one optimizer, each stepped
    every step, as in torch's docs). OneCycleLR sets the optimizer's lr itself."""
    from ._schedules import Recursion
    group = {"lr": float(lr)}
    specs = spec if isinstance(spec, (list, tuple)) else [spec]
    scheds = [_torch_build(group, s) for s in specs]
    first = group["lr"]

    def step(t, _lr):
        for s in scheds:
            s.step()
        return group["lr"]
    return Recursion(first, step)


# -- from the framework's object ------------------------------------------------------------

_CLASSES = {"Adam": "adam", "AdamW": "adamw", "Adamax": "adamax", "RMSprop": "rmsprop"}


def _scheduler_spec(s, group):
    """A torch scheduler object as a spec of ``torch_schedule`` (fresh: not yet stepped)."""
    cls = type(s).__name__
    if cls in ("LambdaLR", "MultiplicativeLR"):
        raise TypeError(f"pytorch {cls}: its function cannot be read from the object; use "
                        f"adamkit.schedules.pytorch.{cls}(lr, lr_lambda=...) as learning_rate")
    if cls in ("SequentialLR", "ChainedScheduler"):
        spec = {"class": cls, "schedulers": [_scheduler_spec(x, group) for x in s._schedulers]}
        if cls == "SequentialLR":
            spec["milestones"] = list(s._milestones)
        return spec
    if getattr(s, "last_epoch", 0) != 0:
        raise ValueError(f"pytorch {cls} has already stepped (last_epoch={s.last_epoch}): "
                         "translate the optimizer and its scheduler before training")
    spec = {"class": cls, "state_dict": s.state_dict()}
    if cls == "OneCycleLR":
        spec["param_group"] = {k: group[k] for k in ("initial_lr", "max_lr", "min_lr")}
    return spec


def from_framework(obj, setting):
    """A ``torch.optim.Adam``/``AdamW``/``Adamax``/``RMSprop`` object: one param group's
    hyper-parameters (``setting.group``, needed when the groups differ) and the lr
    scheduler(s) that drive it (``setting.scheduler``: one, or a list stepped together)."""
    optimizer = _CLASSES.get(type(obj).__name__)
    if optimizer is None or not hasattr(obj, "param_groups"):
        return None
    groups = obj.param_groups
    index = setting.group
    if index is None:
        keys = [{k: v for k, v in g.items() if k not in ("params", "param_names")}
                for g in groups]
        if any(k != keys[0] for k in keys[1:]):
            raise ValueError(f"the torch {type(obj).__name__} has {len(groups)} param groups "
                             "with different hyper-parameters: which one? pass group=i (one "
                             "adamkit optimizer per group)")
        index = 0
    group = groups[index]
    row = {p.optimizer: p for p in PRESETS}[optimizer]
    hp = {k: group[k] for k in row.defaults if k in group}
    lr = group.get("initial_lr", group["lr"])
    hp["lr"] = float(lr)
    sched = setting.scheduler
    if sched is not None:
        specs = [_scheduler_spec(s, group) for s in (sched if isinstance(sched, (list, tuple))
                                                      else [sched])]
        from .._schedules_fw import pytorch as _namespace
        hp["lr"] = _namespace.from_config({"lr": hp["lr"],
                                           "scheduler": specs[0] if len(specs) == 1
                                           else specs})
    elif "initial_lr" in group:
        raise ValueError("a learning-rate scheduler drives this torch optimizer (its group "
                         "has initial_lr): pass scheduler=")
    if setting.learning_rate is not None:
        hp["lr"] = setting.learning_rate
    return "pytorch", optimizer, hp
