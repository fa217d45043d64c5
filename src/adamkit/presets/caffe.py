"""Caffe (BVLC master, CPU): AdamSolver and RMSPropSolver.

Caffe updates through BLAS: ``m <- b1*m`` (scal) then ``m <- m + (1-b1)*g`` (axpy), and
which elements an axpy fuses depends on the OpenBLAS core (``openblas_core``, detected as
OpenBLAS 0.3.21 detects it: Haswell's kernel fuses its vector body only, SkylakeX's every
element) and its threads, so an element's rounding depends on its position (the tail
row). Weight decay (``Regularize``) is an axpy too. Solver fields are float;
``pow(float, int)`` promotes to double, pow/exp of floats stay float (glibc powf/expf).
Evidence: conformance/notes/golden-recipes.md, 0-ULP replays of the golden recordings.
"""

import math

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from . import _openblas
from ._floats import F, T, adam_scalars, expf, pow_, powf, r32, rmsprop_scalars, sqrt64
from ._openblas import axpy_segments, sdot_sq
from ._preset import Preset, integer, one_of, refuse, sequence

_POLICY_NEEDS = {"fixed": (), "step": ("gamma", "stepsize"), "exp": ("gamma",),
                 "inv": ("gamma", "power"), "multistep": ("gamma",),
                 "poly": ("power", "max_iter"), "sigmoid": ("gamma", "stepsize")}


def check_policy(policy, gamma=None, power=None, stepsize=None, max_iter=None):
    """Refuse what Caffe's solver refuses (or divides by zero on), before any step."""
    if policy not in _POLICY_NEEDS:
        raise ValueError(f"Unknown learning rate policy: {policy!r}; expected one of "
                         f"{tuple(_POLICY_NEEDS)}")
    given = dict(gamma=gamma, power=power, stepsize=stepsize, max_iter=max_iter)
    for name in _POLICY_NEEDS[policy]:
        if given[name] is None:
            raise ValueError(f"lr_policy {policy!r} needs {name}")
    if policy == "step" and not stepsize > 0:
        raise ValueError("stepsize must be > 0")             # CHECK_GT in caffe
    if policy in ("step", "exp", "inv") and gamma < 0:
        raise ValueError("gamma must be >= 0")               # CHECK_GE in caffe
    if policy == "poly" and not max_iter > 0:
        raise ValueError("max_iter must be > 0")


def multistep_times(stepvalue):
    """Iterations at which Caffe's multistep counter advances. The counter moves at most
    once per call (``if iter >= stepvalue[current_step_]: ++current_step_``, called once
    per iteration from 0), so the k-th advance happens at
    ``T_k = max(stepvalue[k-1], T_{k-1} + 1)``; the count at ``iter`` is #{T_k <= iter}."""
    times, prev = [], -1
    for s in stepvalue:
        prev = max(int(s), prev + 1, 0)
        times.append(prev)
    return times


def learning_rate(policy, base_lr, it, *, gamma=0.0, power=0.0, stepsize=0, times=(),
                  max_iter=0, f32=True):
    """``SGDSolver<Dtype>::GetLearningRate()`` at iteration ``it`` (t - 1), Dtype float
    (``f32``) or double, with the solver's float fields, as C++ promotes them."""
    base, gamma, power = r32(base_lr), r32(gamma), r32(power)
    if policy == "fixed":
        return base
    if policy in ("step", "exp", "multistep"):           # pow(float, int) is a double pow
        k = {"step": lambda: it // int(stepsize), "exp": lambda: it,
             "multistep": lambda: sum(1 for s in times if it >= s)}[policy]()
        rate = base * _c_pow(gamma, k)
        return r32(rate) if f32 else rate
    Tt = T(f32)
    if policy == "inv":                                  # gamma * iter_ is a float product
        x = Tt(F(gamma) * F(it)) + Tt(1.0)
        return float(Tt(base) * Tt(_powT(x, -power, f32)))
    if policy == "poly":
        x = Tt(1.0) - Tt(it) / Tt(int(max_iter))
        return float(Tt(base) * Tt(_powT(x, power, f32)))
    if policy == "sigmoid":
        x = Tt(-gamma) * (Tt(it) - Tt(int(stepsize)))
        e = Tt(expf(float(x))) if f32 else Tt(_exp(x))
        return float(Tt(base) * (Tt(1.0) / (Tt(1.0) + e)))
    raise ValueError(f"unknown Caffe lr_policy {policy!r}")


def _c_pow(x, y):
    return pow_(float(x), float(y))


def _powT(x, y, f32):
    return powf(float(x), float(y)) if f32 else pow_(float(x), float(y))


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _rate(hp, t, lr):
    return learning_rate(hp["lr_policy"], lr, t - 1, gamma=hp["gamma"], power=hp["power"],
                         stepsize=hp["stepsize"], times=multistep_times(hp["stepvalue"]),
                         max_iter=hp["max_iter"])


def _clip(hp, grads):
    """ClipGradients: the L2 norm of all diffs (float; each blob's sumsq_diff is a
    cblas_sdot), and if it exceeds clip_gradients every diff is scaled (sscal) by
    clip_gradients / norm. Written from the source (sgd_solver.cpp); the golden set has no
    clipped Caffe run, so this path is not verified against a recording."""
    sumsq = F(0.0)
    for g in grads:
        sumsq = sumsq + sdot_sq(g.reshape(-1).astype(np.float32, copy=False),
                                hp["openblas_core"])
    norm = np.sqrt(sumsq)
    c = F(hp["clip_gradients"])
    return {"_gmul": float(c / norm) if norm > c else 1.0}


def _adam_scalars(hp, t, lr, f32):
    Tt = T(f32)
    b1, b2 = r32(hp["momentum"]), r32(hp["momentum2"])
    # the correction is formed in double from the float betas, then rounded once
    corr = r32(sqrt64(1.0 - pow_(b2, t)) / (1.0 - pow_(b1, t)))
    return adam_scalars(b1=Tt(b1), c1=Tt(1.0) - Tt(b1), b2=Tt(b2), c2=Tt(1.0) - Tt(b2),
                        eps=Tt(r32(hp["delta"])), s=Tt(_rate(hp, t, lr)) * Tt(corr),
                        wd=Tt(r32(hp["weight_decay"])), gmul=hp.get("_gmul", 1.0))


def _rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    rho = r32(hp["rms_decay"])
    return rmsprop_scalars(rho=Tt(rho), c=Tt(1.0) - Tt(rho), eps=Tt(r32(hp["delta"])),
                           lr=Tt(_rate(hp, t, lr)), wd=Tt(r32(hp["weight_decay"])),
                           gmul=hp.get("_gmul", 1.0))


def _axpy(hp):
    """Which elements Caffe's axpy calls fuse, for this OpenBLAS core and thread count."""
    core, nthreads = hp["openblas_core"], int(hp["openblas_threads"])
    _openblas.kernels(core)
    return lambda n, f32: axpy_segments(n, f32, core, nthreads)


def _common(hp, optimizer, ops, tail):
    """Regularize (an axpy: split like every axpy) and ClipGradients."""
    try:
        check_policy(hp["lr_policy"], hp["gamma"], hp["power"], hp["stepsize"] or None,
                     hp["max_iter"] or None)
    except ValueError as e:
        raise refuse("caffe", optimizer, str(e)) from None
    prepare = None
    if hp["weight_decay"]:
        kind = hp["regularization_type"]
        if kind not in ("L1", "L2"):
            raise refuse("caffe", optimizer, "regularization_type must be 'L1' or 'L2'")
        ops["grad_decay"] = V.GDECAY_L1_FMA if kind == "L1" else V.GDECAY_L2_FMA
        tail["grad_decay"] = V.GDECAY_L1 if kind == "L1" else V.GDECAY_L2
    if hp["clip_gradients"] >= 0:
        ops["grad_scale"] = V.GSCALE_MUL
        prepare = _clip
    return prepare


def _adam_rule(hp):
    ops = {"first": V.M_SCAL_FMA, "second": V.V_SCAL_FMA, "denom": V.D_POW_EPS,
           "step": V.U_DIV, "apply": V.P_SUB_SCALED}
    tail = {"first": V.M_AXPBY, "second": V.V_AXPBY}
    prepare = _common(hp, "adam", ops, tail)
    return Rule("adam", ops, _adam_scalars, tail_ops=tail, split=_axpy(hp), prepare=prepare)


def _rmsprop_rule(hp):
    ops = {"square": V.MS_SCAL_FMA_POW, "denom": V.RD_POW_EPS, "step": V.RU_SCALE_OF_DIV}
    tail = {"square": V.MS_AXPBY_POW}
    prepare = _common(hp, "rmsprop", ops, tail)
    return Rule("rmsprop", ops, _rmsprop_scalars, tail_ops=tail, split=_axpy(hp),
                prepare=prepare)


def from_recording(hp, meta):
    """Fields of the solver prototxt a recording used (e.g. ``max_iter`` of the poly
    policy) fill what its hyper-parameters leave out."""
    hp, found = dict(hp), {}
    text = meta.get("solver_prototxt") or (meta.get("hyperparameters") or {}).get(
        "solver_prototxt") or ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip().strip('"')
        if key in _FIELDS and value:
            value = value if key in ("lr_policy", "regularization_type") else float(value)
            if key == "stepvalue":                   # a repeated field
                found[key] = (*found.get(key, ()), value)
            else:
                found.setdefault(key, value)
    return {**found, **hp}


_SOLVER = {"openblas_core": _openblas.core_option("0.3.21"),
           "openblas_threads": _openblas.THREADS, "weight_decay": 0.0,
           "regularization_type": "L2", "clip_gradients": -1.0, "lr_policy": "fixed",
           "gamma": 0.0, "power": 0.0, "stepsize": 0, "stepvalue": (), "max_iter": 0}
_ADAM = {"base_lr": None, "momentum": 0.0, "momentum2": 0.999, "delta": 1e-8, **_SOLVER}
_RMSPROP = {"base_lr": None, "rms_decay": 0.99, "delta": 1e-8, **_SOLVER}
_FIELDS = set(_ADAM) | set(_RMSPROP)
#: the values of the solver fields that are not numbers (integer fields also take the float
#: a recording's prototxt gives; lr_policy's needs are checked with the policy)
_CHECKS = {"regularization_type": one_of("L1", "L2"), "lr_policy": one_of(*_POLICY_NEEDS),
           "stepvalue": sequence(integer())}
_API = "(CPU, OpenBLAS 0.3.21, glibc powf; clip_gradients from the source, not verified)"

#: the defaults are caffe.proto's SolverParameter fields (momentum has none: 0)
_SOURCE = dict(constructor="caffe.proto SolverParameter", version="1.0.0 (9b89154)")

PRESETS = (
    Preset("caffe", "adam", "adam", _adam_rule,
           defaults=_ADAM,
           required=("base_lr",), lr_name="base_lr",
           aliases={"lr": "base_lr", "betas": ("momentum", "momentum2"), "eps": "delta",
                    "weight_decay": "weight_decay"},
           states={"history0": "m", "history1": "v"}, from_recording=from_recording,
           checks=_CHECKS,
           **_SOURCE, api=f"caffe AdamSolver {_API}"),
    Preset("caffe", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults=_RMSPROP,
           required=("base_lr",), lr_name="base_lr",
           aliases={"lr": "base_lr", "alpha": "rms_decay", "eps": "delta",
                    "weight_decay": "weight_decay"},
           states={"history0": "ms"}, from_recording=from_recording, checks=_CHECKS,
           **_SOURCE, api=f"caffe RMSPropSolver {_API}"),
)
