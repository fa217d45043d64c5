"""Framework presets: each framework's own optimizer, reproduced bit for bit.

One table, :data:`PRESETS`, holds every framework definition as data: which exact
per-element operation sequence its kernel runs (an ops row of ``adam_c.h``, plus a tail
row where a BLAS kernel rounds its tail differently), how it computes each step's scalars
(one small recipe function, named in the row), its own hyper-parameter names and
published defaults, and its names for the optimizer state.

Use a preset through the optimizer objects::

    adamkit.Adam(preset="caffe", base_lr=0.001, momentum=0.9)
    adamkit.RMSProp(preset="torch7", learningRate=1e-2)

adamkit's own names (``lr``, ``betas``, ``eps``, ``weight_decay``, ...) are accepted too,
mapped to the framework's. ``presets.available()`` lists the (framework, optimizer) pairs;
``conformance/notes/`` records, per framework, the operation sequence and the evidence
(0-ULP replays of recordings of the real framework).
"""

import ctypes
import ctypes.util
import dataclasses
import functools
import math
from typing import Callable

import numpy as np

from . import _rules as R
from ._validation import check_beta, check_real

__all__ = ["PRESETS", "Preset", "available", "build", "get"]

# ---------------------------------------------------------------------------------------
# Scalar arithmetic as frameworks do it. Python floats are doubles; float32 operations
# go through np.float32, which rounds every operation once. glibc's powf/expf/cosf are
# called directly: frameworks built on C float math use them, and they are not correctly
# rounded, so NumPy's float32 power (a different algorithm) would differ in the last bit.
# ---------------------------------------------------------------------------------------

_libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _name, _type in (("powf", ctypes.c_float), ("expf", ctypes.c_float),
                     ("cosf", ctypes.c_float), ("pow", ctypes.c_double),
                     ("fmaf", ctypes.c_float), ("fma", ctypes.c_double)):
    getattr(_libm, _name).restype = _type
_libm.fmaf.argtypes = [ctypes.c_float] * 3
_libm.fma.argtypes = [ctypes.c_double] * 3
_libm.powf.argtypes = [ctypes.c_float, ctypes.c_float]
_libm.expf.argtypes = [ctypes.c_float]
_libm.cosf.argtypes = [ctypes.c_float]
_libm.pow.argtypes = [ctypes.c_double, ctypes.c_double]

F = np.float32


def _powT(x, y, f32):
    """pow in the buffer type: glibc powf for float32, pow for float64."""
    return F(_libm.powf(float(x), float(y))) if f32 else _libm.pow(float(x), float(y))


def _fmaT(a, b, c, f32):
    """fma in the buffer type."""
    return F(_libm.fmaf(float(a), float(b), float(c))) if f32 else _libm.fma(a, b, c)


def _mkl_sqrt(x, f32):
    from ._kernels import mkl_sqrt
    return mkl_sqrt(x, f32)


def _T(f32):
    """The buffer type's scalar constructor."""
    return F if f32 else float


def _r32(x):
    return float(F(x))


def _scalars(**kw):
    """Fill the neutral values of the scalars an Adam recipe does not use."""
    out = {"gmul": 1.0, "gdiv": 1.0, "s": 1.0, "k": 1.0, "dk": 1.0}
    out.update({k: float(v) for k, v in kw.items()})
    return out


def _rms_scalars(**kw):
    """Fill the neutral values of the scalars an RMSProp recipe does not use."""
    out = {"gmul": 1.0, "gdiv": 1.0, "dk": 1.0}
    out.update({k: float(v) for k, v in kw.items()})
    return out


# ---------------------------------------------------------------------------------------
# Scalar recipes, one per framework family. Each takes (hp, t, lr, f32): the hyper-
# parameters under the framework's own names, the step number t (1 at the first update),
# the base learning rate in force, and whether the buffers are float32.
# ---------------------------------------------------------------------------------------

def _caffe_rate(hp, it, base):
    """SGDSolver::GetLearningRate at iteration ``it`` (= t - 1), in Caffe's precision:
    proto fields are float; pow(float, int) promotes to double, pow/exp of floats stay
    float (glibc powf/expf)."""
    policy = hp["lr_policy"]
    base = _r32(base)
    gamma, power = _r32(hp.get("gamma", 0.0)), _r32(hp.get("power", 0.0))
    if policy == "fixed":
        return base
    if policy == "step":
        return _r32(base * _libm.pow(gamma, it // int(hp["stepsize"])))
    if policy == "exp":
        return _r32(base * _libm.pow(gamma, it))
    if policy == "multistep":
        k = sum(1 for s in hp.get("stepvalue", ()) if it >= int(s))
        return _r32(base * _libm.pow(gamma, k))
    if policy == "inv":
        x = F(1.0) + F(gamma) * F(it)
        return float(F(base) * F(_libm.powf(float(x), -power)))
    if policy == "poly":
        x = F(1.0) - F(it) / F(int(hp["max_iter"]))
        return float(F(base) * F(_libm.powf(float(x), power)))
    if policy == "sigmoid":
        x = F(-gamma) * (F(it) - F(int(hp["stepsize"])))
        return float(F(base) * (F(1.0) / (F(1.0) + F(_libm.expf(float(x))))))
    raise ValueError(f"unknown Caffe lr_policy {policy!r}")


def _openblas_sdot_sq(x):
    """sum(x*x) as OpenBLAS's Haswell sdot computes it (float32): FMA into 4 x 8 lane
    accumulators over the first n & -32 elements, a fixed reduction tree, and the tail's
    float products accumulated in double (notes/chainer-recipes.md, OpenBLAS 0.3.20/21)."""
    n1 = x.size & -32
    acc = np.zeros((4, 8), np.float32)
    fmaf = np.vectorize(lambda a, b, c: _libm.fmaf(a, b, c), otypes=[np.float32])
    for k in range(0, n1, 32):
        blk = x[k:k + 32].reshape(4, 8)
        acc = fmaf(blk, blk, acc)
    h = acc[:, :4] + acc[:, 4:]
    s = (h[0] + h[1]) + (h[2] + h[3])
    mydot = (s[0] + s[1]) + (s[2] + s[3])
    dot = 0.0
    for v in x[n1:]:
        dot += float(v * v)
    return F(dot + float(mydot))


def _caffe_clip(hp, grads):
    """Caffe's ClipGradients: the L2 norm of all diffs (float; each blob's sumsq_diff is a
    cblas_sdot), and if it exceeds clip_gradients, every diff is scaled (sscal) by
    clip_gradients / norm. Written from the source (sgd_solver.cpp); the golden set has no
    clipped Caffe run, so this path is not verified against a recording."""
    sumsq = F(0.0)
    for g in grads:
        sumsq = sumsq + _openblas_sdot_sq(g.reshape(-1).astype(np.float32, copy=False))
    norm = np.sqrt(sumsq)
    c = F(hp["clip_gradients"])
    return {"_gmul": float(c / norm) if norm > c else 1.0}


def _caffe_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2 = _r32(hp["momentum"]), _r32(hp["momentum2"])
    rate = _caffe_rate(hp, t - 1, lr)
    # the correction is formed in double from the float betas, then rounded once
    corr = _r32(math.sqrt(1.0 - _libm.pow(b2, t)) / (1.0 - _libm.pow(b1, t)))
    return _scalars(b1=T(b1), c1=T(1.0) - T(b1), b2=T(b2), c2=T(1.0) - T(b2),
                    eps=T(_r32(hp["delta"])), s=T(rate) * T(corr),
                    wd=T(_r32(hp["weight_decay"])), gmul=hp.get("_gmul", 1.0))


def _caffe_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    rho = _r32(hp["rms_decay"])
    rate = _caffe_rate(hp, t - 1, lr)
    return _rms_scalars(rho=T(rho), c=T(1.0) - T(rho), eps=T(_r32(hp["delta"])), lr=T(rate),
                        wd=T(_r32(hp["weight_decay"])), gmul=hp.get("_gmul", 1.0))


def _torch7_adam(hp, t, lr, f32):
    r = R.rounder(f32)
    b1, b2 = hp["beta1"], hp["beta2"]
    clr = lr / (1.0 + (t - 1) * hp["learningRateDecay"])
    ss = (clr * math.sqrt(1.0 - _libm.pow(b2, t))) / (1.0 - _libm.pow(b1, t))
    return _scalars(b1=r(b1), c1=r(1.0 - b1), b2=r(b2), c2=r(1.0 - b2), eps=r(hp["epsilon"]),
                    alpha=r(ss), wd=r(hp["weightDecay"]))


def _torch7_adamax(hp, t, lr, f32):
    r = R.rounder(f32)
    b1 = hp["beta1"]
    return _scalars(b1=r(b1), c1=r(1.0 - b1), b2=r(hp["beta2"]), eps=r(hp["epsilon"]),
                    alpha=r(lr / (1.0 - _libm.pow(b1, t))), wd=r(hp["weightDecay"]))


def _torch7_rmsprop(hp, t, lr, f32):
    r = R.rounder(f32)
    a = hp["alpha"]
    return _rms_scalars(rho=r(a), c=r(1.0 - a), eps=r(hp["epsilon"]), lr=r(lr),
                    wd=r(hp["weightDecay"]))


def _theano_one_minus(b, f32, folded):
    """1 - beta in a Theano graph: folded in Python double (Lasagne 0.1) or computed on
    the floatX constant (Lasagne master's T.constant(1), Blocks' shared variables)."""
    T = _T(f32)
    return T(1.0 - b) if folded else T(1.0) - T(b)


def _lasagne_adam(hp, t, lr, f32, folded=False, adamax=False):
    T = _T(f32)
    b1, b2 = T(hp["beta1"]), T(hp["beta2"])
    tt = T(t)
    if adamax:
        alpha = T(lr) / (T(1.0) - _powT(b1, tt, f32))
    else:
        alpha = (T(lr) * np.sqrt(T(1.0) - _powT(b2, tt, f32))) / (T(1.0) - _powT(b1, tt, f32))
    return _scalars(b1=b1, c1=_theano_one_minus(hp["beta1"], f32, folded), b2=b2,
                    c2=_theano_one_minus(hp["beta2"], f32, folded), eps=T(hp["epsilon"]),
                    alpha=alpha)


def _lasagne01_adam(hp, t, lr, f32):
    return _lasagne_adam(hp, t, lr, f32, folded=True)


def _lasagne_adamax(hp, t, lr, f32):
    return _lasagne_adam(hp, t, lr, f32, adamax=True)


def _lasagne_rmsprop(hp, t, lr, f32, folded=False):
    T = _T(f32)
    return _rms_scalars(rho=T(hp["rho"]), c=_theano_one_minus(hp["rho"], f32, folded),
                    eps=T(hp["epsilon"]), lr=T(lr))


def _lasagne01_rmsprop(hp, t, lr, f32):
    return _lasagne_rmsprop(hp, t, lr, f32, folded=True)


def _blocks_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2, lam = T(hp["beta1"]), T(hp["beta2"]), T(hp["decay_factor"])
    b1t = b1 * _powT(lam, T(t - 1), f32)
    alpha = (T(lr) * np.sqrt(T(1.0) - _powT(b2, T(t), f32))) / (T(1.0) - _powT(b1t, T(t), f32))
    return _scalars(b1=b1t, c1=T(1.0) - b1t, b2=b2, c2=T(1.0) - b2, eps=T(hp["epsilon"]),
                    alpha=alpha)


def _blocks_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    rho = T(hp["decay_rate"])
    return _rms_scalars(rho=rho, c=T(1.0) - rho, eps=T(1.0 / hp["max_scaling"]), lr=T(lr))


def _keras_adamw_eta(hp, t):
    """keras-adamw's eta_t for step t: 1.0 at t = 1, then the cosine-with-warm-restarts
    value computed after the previous step (t_cur = (t-1) mod total_iterations)."""
    if t == 1 or not hp["use_cosine_annealing"]:
        return F(1.0)
    ti = int(hp["total_iterations"])
    t_cur = (t - 1) % ti
    lo, hi = F(hp["eta_min"]), F(hp["eta_max"])
    x = F(_libm.cosf(float(F(math.pi) * F(t_cur / (ti - 1)))))
    return lo + (F(0.5) * (hi - lo)) * (F(1.0) + x)


def _keras_adamw_decays(hp):
    wd = hp.get("weight_decays") or {}
    if isinstance(wd, dict):
        if len(wd) > 1:
            raise ValueError("keras_adamw: give one (l1, l2) pair per optimizer object")
        wd = next(iter(wd.values()), (0.0, 0.0))
    l1, l2 = wd
    return float(l1), float(l2)


def _keras_adamw(hp, t, lr, f32):
    b1, b2 = F(hp["beta_1"]), F(hp["beta_2"])
    tt = float(F(t))
    b1p, b2p = F(_libm.powf(float(b1), tt)), F(_libm.powf(float(b2), tt))
    lr_t = (F(lr) * np.sqrt(F(1.0) - b2p)) / (F(1.0) - b1p)
    mults = hp.get("lr_multipliers") or {}
    if mults:                      # lr_t * multiplier of the variable (one per optimizer)
        if len(mults) > 1:
            raise ValueError("keras_adamw: give one lr_multipliers entry per optimizer object")
        lr_t = lr_t * F(next(iter(mults.values())))
    eta = _keras_adamw_eta(hp, t)
    l1, l2 = _keras_adamw_decays(hp)
    ti_wd = hp.get("total_iterations_wd") or hp.get("total_iterations") or 0
    norm = np.sqrt(F(1.0 / ti_wd)) if ti_wd else F(1.0)
    eps = hp["epsilon"] if hp["epsilon"] is not None else 1e-7
    return _scalars(b1=b1, c1=F(1.0) - b1, b2=b2, c2=F(1.0) - b2, eps=F(eps), s=eta * lr_t,
                    k=eta, l1=F(l1) * norm, l2=F(l2) * norm)


# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Preset:
    """One framework's optimizer. See the module docstring."""

    framework: str
    optimizer: str                 # adam, amsgrad, adamw, adamax, nadam, rmsprop
    family: str                    # adam or rmsprop (which kernel)
    ops: dict                      # the ops row (adam_c.h)
    scalars: Callable              # (hp, t, lr, f32) -> scalars dict
    defaults: dict                 # the framework's hyper-parameters and published defaults
    lr_name: str                   # which of them is the learning rate
    aliases: dict = dataclasses.field(default_factory=dict)    # adamkit name -> framework's
    states: dict = dataclasses.field(default_factory=dict)     # framework state -> buffer
    when: tuple = ()               # (test(hp), changes): ops etc. that depend on hp
    tail_ops: dict = None          # ops of the BLAS tail (elements >= split)
    split: Callable = None
    dtypes: tuple = ("float32", "float64")
    required: tuple = ()           # hyper-parameters without a default
    api: str = ""                  # what it reproduces (for the docs and the report)
    prepare: Callable = None       # (hp, grads) -> per-step values computed from all grads
    meta_keys: tuple = ()          # recording metadata that are options (e.g. optax "jit")
    from_recording: Callable = None  # (hp, meta) -> hp: read a recording's own conventions

    def rule(self, hp):
        """The update rule for these hyper-parameters: the base row, changed by every
        ``when`` entry whose test holds (in order)."""
        ops = dict(self.ops)
        tail = None if self.tail_ops is None else dict(self.tail_ops)
        split, scalars, prepare = self.split, self.scalars, self.prepare
        for test, change in self.when:
            if test(hp):
                ops.update(change.get("ops", {}))
                if "tail_ops" in change:
                    tail = {**(tail or {}), **change["tail_ops"]}
                split = change.get("split", split)
                scalars = change.get("scalars", scalars)
                prepare = change.get("prepare", prepare)
                if "error" in change:
                    raise ValueError(f"{self.framework} {self.optimizer}: {change['error']}")
        if tail is not None and {**ops, **tail} == ops:
            tail = None                       # no stage differs in the tail: one loop
        return R.Rule(self.family, ops, scalars, name=f"{self.framework}.{self.optimizer}",
                      tail_ops=tail, split=split, prepare=prepare)


_ADAM_STATES = {"m": "m", "v": "v"}
_RMS_NAMES = {"lr": "learning_rate", "eps": "epsilon"}

PRESETS = {}


def _add(*rows):
    for row in rows:
        PRESETS[(row.framework, row.optimizer)] = row


# -- Caffe (BVLC master): AdamSolver, RMSPropSolver ---------------------------------------
# Caffe's Regularize: an axpy (split like every axpy), only when weight_decay != 0
_CAFFE_DECAY = (
    (lambda hp: hp["weight_decay"] and hp["regularization_type"] == "L1",
     {"ops": {"grad_decay": R.GDECAY_L1_FMA}, "tail_ops": {"grad_decay": R.GDECAY_L1}}),
    (lambda hp: hp["weight_decay"] and hp["regularization_type"] == "L2",
     {"ops": {"grad_decay": R.GDECAY_L2_FMA}, "tail_ops": {"grad_decay": R.GDECAY_L2}}),
    (lambda hp: hp["regularization_type"] not in ("L1", "L2"),
     {"error": "regularization_type must be 'L1' or 'L2'"}),
    (lambda hp: hp["clip_gradients"] >= 0,
     {"ops": {"grad_scale": R.GSCALE_MUL}, "prepare": _caffe_clip}),
)
_CAFFE_LR = {"clip_gradients": -1.0,
             "lr_policy": "fixed", "gamma": 0.0, "power": 0.0, "stepsize": 0, "stepvalue": (),
             "max_iter": 0}
_add(
    Preset("caffe", "adam", "adam",
           ops={"first": R.M_SCAL_FMA, "second": R.V_SCAL_FMA, "denom": R.D_POW_EPS,
                "step": R.U_DIV, "apply": R.P_SUB_SCALED},
           tail_ops={"first": R.M_AXPBY, "second": R.V_AXPBY}, split=R.blas_axpy_split,
           when=_CAFFE_DECAY, scalars=_caffe_adam,
           defaults={"base_lr": None, "momentum": 0.0, "momentum2": 0.999, "delta": 1e-8,
                     "weight_decay": 0.0, "regularization_type": "L2", **_CAFFE_LR},
           required=("base_lr",), lr_name="base_lr",
           aliases={"lr": "base_lr", "betas": ("momentum", "momentum2"), "eps": "delta",
                    "weight_decay": "weight_decay"},
           states={"history0": "m", "history1": "v"},
           api="caffe AdamSolver (CPU, OpenBLAS Haswell axpy, glibc powf; clip_gradients "
               "from the source, not verified against a recording)"),
    Preset("caffe", "rmsprop", "rmsprop",
           ops={"square": R.MS_SCAL_FMA_POW, "denom": R.RD_POW_EPS, "step": R.RU_SCALE_OF_DIV},
           tail_ops={"square": R.MS_AXPBY_POW}, split=R.blas_axpy_split,
           when=_CAFFE_DECAY, scalars=_caffe_rmsprop,
           defaults={"base_lr": None, "rms_decay": 0.99, "delta": 1e-8, "weight_decay": 0.0,
                     "regularization_type": "L2", **_CAFFE_LR},
           required=("base_lr",), lr_name="base_lr",
           aliases={"lr": "base_lr", "alpha": "rms_decay", "eps": "delta",
                    "weight_decay": "weight_decay"},
           states={"history0": "ms"},
           api="caffe RMSPropSolver (CPU, OpenBLAS Haswell axpy, glibc powf; "
               "clip_gradients from the source, not verified)"),
)

# -- Lua Torch7 optim ---------------------------------------------------------------------
_TORCH7_WD = ((lambda hp: hp["weightDecay"],
               {"ops": {"grad_decay": R.GDECAY_L2_FMA}, "tail_ops": {"grad_decay": R.GDECAY_L2}}),)
_add(
    Preset("torch7", "adam", "adam",
           ops={"first": R.M_SCAL_FMA, "second": R.V_SCAL_ADDCMUL, "denom": R.D_SQRT_EPS},
           tail_ops={"first": R.M_AXPBY}, split=R.blas_axpy_split, when=_TORCH7_WD,
           scalars=_torch7_adam,
           defaults={"learningRate": 1e-3, "learningRateDecay": 0.0, "beta1": 0.9,
                     "beta2": 0.999, "epsilon": 1e-8, "weightDecay": 0.0},
           lr_name="learningRate",
           aliases={"lr": "learningRate", "betas": ("beta1", "beta2"), "eps": "epsilon",
                    "weight_decay": "weightDecay"},
           states=_ADAM_STATES, api="optim.adam (OpenBLAS Haswell axpy)"),
    Preset("torch7", "adamax", "adam",
           ops={"first": R.M_SCAL_FMA, "second": R.V_MAX_EPS, "denom": R.D_NONE},
           tail_ops={"first": R.M_AXPBY}, split=R.blas_axpy_split, when=_TORCH7_WD,
           scalars=_torch7_adamax,
           defaults={"learningRate": 2e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-38,
                     "weightDecay": 0.0},
           lr_name="learningRate",
           aliases={"lr": "learningRate", "betas": ("beta1", "beta2"), "eps": "epsilon",
                    "weight_decay": "weightDecay"},
           states={"m": "m", "u": "v"}, api="optim.adamax (OpenBLAS Haswell axpy)"),
    Preset("torch7", "rmsprop", "rmsprop",
           ops={"square": R.MS_SCAL_ADDCMUL, "denom": R.RD_SQRT_EPS},
           # weight decay is an axpy: its tail is split like Adam's
           when=_TORCH7_WD, tail_ops={}, split=R.blas_axpy_split,
           scalars=_torch7_rmsprop,
           defaults={"learningRate": 1e-2, "alpha": 0.99, "epsilon": 1e-8, "weightDecay": 0.0,
                     "initialMean": 0.0},
           lr_name="learningRate",
           aliases={"lr": "learningRate", "alpha": "alpha", "eps": "epsilon",
                    "weight_decay": "weightDecay", "initial_accumulator": "initialMean"},
           states={"m": "ms"}, api="optim.rmsprop"),
)

# -- Lasagne (0.1 and master) on Theano; Blocks ------------------------------------------
# Theano's g++ -O3 -mfma build contracts b*m + c*g into fma(c, g, b*m) in every element.
_LASAGNE_ADAM_OPS = {"first": R.M_SCAL_FMA, "second": R.V_SCAL_FMA, "denom": R.D_SQRT_EPS}
_LASAGNE_ADAM = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
_LASAGNE_ALIASES = {"lr": "learning_rate", "betas": ("beta1", "beta2"), "eps": "epsilon"}
_LASAGNE_RMS_OPS = {"square": R.MS_AXPBY, "denom": R.RD_EPS_FIRST_SQRT}
_LASAGNE_RMS = {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}
_LASAGNE_RMS_ALIASES = {**_RMS_NAMES, "alpha": "rho"}
for _fw, _adam, _rms, _ver in (("lasagne_master", _lasagne_adam, _lasagne_rmsprop, "master"),
                               ("lasagne_0.1", _lasagne01_adam, _lasagne01_rmsprop, "0.1")):
    _add(Preset(_fw, "adam", "adam", ops=_LASAGNE_ADAM_OPS, scalars=_adam,
                defaults=_LASAGNE_ADAM, lr_name="learning_rate", aliases=_LASAGNE_ALIASES,
                states=_ADAM_STATES, api=f"Lasagne {_ver} lasagne.updates.adam (Theano 1.0.5)"),
         Preset(_fw, "rmsprop", "rmsprop", ops=_LASAGNE_RMS_OPS, scalars=_rms,
                defaults=_LASAGNE_RMS, lr_name="learning_rate", aliases=_LASAGNE_RMS_ALIASES,
                states={"accu": "ms"},
                api=f"Lasagne {_ver} lasagne.updates.rmsprop (Theano 1.0.5)"))
_add(
    Preset("lasagne_master", "amsgrad", "adam", ops={**_LASAGNE_ADAM_OPS, "amsgrad": 1},
           scalars=_lasagne_adam, defaults=_LASAGNE_ADAM, lr_name="learning_rate",
           aliases=_LASAGNE_ALIASES, states={"m": "m", "v": "v", "v_hat": "vhat"},
           api="Lasagne master lasagne.updates.amsgrad (Theano 1.0.5)"),
    Preset("lasagne_master", "adamax", "adam",
           ops={"first": R.M_SCAL_FMA, "second": R.V_MAX, "denom": R.D_EPS},
           scalars=_lasagne_adamax, defaults={**_LASAGNE_ADAM, "learning_rate": 2e-3},
           lr_name="learning_rate", aliases=_LASAGNE_ALIASES, states={"m": "m", "u": "v"},
           api="Lasagne master lasagne.updates.adamax (Theano 1.0.5)"),
    Preset("blocks", "adam", "adam", ops=_LASAGNE_ADAM_OPS, scalars=_blocks_adam,
           defaults={"learning_rate": 2e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                     "decay_factor": 1.0},
           lr_name="learning_rate", aliases=_LASAGNE_ALIASES,
           states={"mean": "m", "variance": "v"},
           api="blocks.algorithms.Adam (Theano 1.0.5)"),
    Preset("blocks", "rmsprop", "rmsprop",
           ops={"square": R.MS_SCAL_FMA, "denom": R.RD_MAX_SQRT, "step": R.RU_DIV,
                "momentum": R.MOM_FMA},
           scalars=_blocks_rmsprop,
           defaults={"learning_rate": 1.0, "decay_rate": 0.9, "max_scaling": 1e5},
           lr_name="learning_rate", aliases={"lr": "learning_rate", "alpha": "decay_rate"},
           states={"mean_square_step_tm1": "ms"},
           api="blocks.algorithms.RMSProp = BasicRMSProp + Scale (Theano 1.0.5)"),
)

# -- keras-adamw 1.38 (TF_KERAS=1, TensorFlow 2.13.1) -------------------------------------
_add(
    Preset("keras_adamw", "adamw", "adam",
           ops={"first": R.M_AXPBY, "second": R.V_AXPBY, "denom": R.D_SQRT_EPS,
                "step": R.U_DIV, "apply": R.P_SUB_SCALED},
           when=((lambda hp: hp["weight_decays"], {"ops": {"apply": R.P_SUB_SCALED_L1L2}}),),
           from_recording=lambda hp, meta: {
               **hp, "lr_multipliers": (meta.get("hyperparameters") or {}).get("lr_multipliers")},
           scalars=_keras_adamw,
           defaults={"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": None,
                     "weight_decays": None, "use_cosine_annealing": False,
                     "total_iterations": 0, "total_iterations_wd": None, "eta_min": 0.0,
                     "eta_max": 1.0, "lr_multipliers": None},
           lr_name="learning_rate", dtypes=("float32",),
           aliases={"lr": "learning_rate", "betas": ("beta_1", "beta_2"), "eps": "epsilon"},
           states=_ADAM_STATES, api="keras_adamw.AdamW (TF_KERAS=1, tensorflow-cpu 2.13.1)"),
)


# -- PyTorch 2.13 (CPU): torch.optim.Adam / AdamW / RMSprop ---------------------------------
# for-loop and foreach run the same ATen kernels (GCC-contracted to FMA) and MKL's sqrt;
# fused=True runs FusedAdamKernel.cpp: IEEE sqrt, and its scalar tail (the last n mod V
# elements, V = 8 float32 / 4 float64 under AVX2) contracts v's update the other way.

def _torch_step(t):
    """state['step'] is a float32 tensor: .item() of it."""
    return float(F(t))


def _torch_adam(hp, t, lr, f32, fused=False):
    r = R.rounder(f32)
    b1, b2 = hp["betas"]
    wd = hp["weight_decay"]
    t = _torch_step(t)
    bc1 = 1.0 - b1 ** t
    bc2 = 1.0 - b2 ** t
    bc2s = math.sqrt(bc2) if fused else bc2 ** 0.5
    w = r(1.0 - b1)
    return _scalars(b1=r(b1), c1=w if abs(w) < 0.5 else w - 1.0, b2=r(b2), c2=r(1.0 - b2),
                    eps=r(hp["eps"]), alpha=r(lr / bc1), bc2=r(bc2s), wd=r(wd),
                    dk=r(1.0 - lr * wd))


def _torch_adam_fused(hp, t, lr, f32):
    return _torch_adam(hp, t, lr, f32, fused=True)


def _torch_rmsprop(hp, t, lr, f32):
    r = R.rounder(f32)
    a = hp["alpha"]
    return _rms_scalars(rho=r(a), c=r(1.0 - a), eps=r(hp["eps"]), lr=r(lr),
                        mu=r(hp["momentum"]), wd=r(hp["weight_decay"]))


_TORCH_ADAM_DEFAULTS = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                        "amsgrad": False, "maximize": False, "foreach": None, "fused": None,
                        "capturable": False, "differentiable": False,
                        "decoupled_weight_decay": False}
_TORCH_ADAM_OPS = {"first": R.M_LERP_FMA, "second": R.V_SCAL_FMA_CG,
                   "denom": R.D_SQRT_BC_EPS, "sqrt_kind": R.SQRT_MKL_EX}
_TORCH_ADAM_WHEN = (
    (lambda hp: hp["amsgrad"], {"ops": {"amsgrad": 1}}),
    (lambda hp: hp["maximize"], {"ops": {"maximize": 1}}),
    (lambda hp: 1.0 - hp["betas"][0] >= 0.5, {"ops": {"first": R.M_LERP_FMA_HI}}),
    (lambda hp: hp["weight_decay"] and not hp["decoupled_weight_decay"],
     {"ops": {"grad_decay": R.GDECAY_L2_FMA}}),
    (lambda hp: hp["weight_decay"] and hp["decoupled_weight_decay"],
     {"ops": {"decoupled": R.DECOUPLED_MUL}}),
    (lambda hp: hp["fused"],
     {"ops": {"sqrt_kind": R.SQRT_IEEE}, "tail_ops": {"second": R.V_FMA_SCAL_CG},
      "split": lambda n, f32: n & -8 if f32 else n & -4, "scalars": _torch_adam_fused}),
    (lambda hp: hp["capturable"] or hp["differentiable"],
     {"error": "capturable/differentiable round differently and are not reproduced"}),
)
_TORCH_STATES = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "vhat"}
for _name in ("torch", "pytorch"):
    _add(
        Preset(_name, "adam", "adam", ops=_TORCH_ADAM_OPS, when=_TORCH_ADAM_WHEN,
               scalars=_torch_adam, defaults=_TORCH_ADAM_DEFAULTS, lr_name="lr",
               states=_TORCH_STATES,
               api="torch.optim.Adam 2.13 CPU: for-loop, foreach (MKL sqrt) and fused=True"),
        Preset(_name, "adamw", "adam", ops=_TORCH_ADAM_OPS, when=_TORCH_ADAM_WHEN,
               scalars=_torch_adam,
               defaults={**_TORCH_ADAM_DEFAULTS, "weight_decay": 1e-2,
                         "decoupled_weight_decay": True},
               lr_name="lr", states=_TORCH_STATES,
               api="torch.optim.AdamW 2.13 CPU: for-loop, foreach and fused=True"),
        Preset(_name, "rmsprop", "rmsprop",
               ops={"square": R.MS_SCAL_FMA_CG, "denom": R.RD_SQRT_EPS,
                    "sqrt_kind": R.SQRT_MKL_EX},
               when=((lambda hp: hp["maximize"], {"ops": {"maximize": 1}}),
                     (lambda hp: hp["weight_decay"], {"ops": {"grad_decay": R.GDECAY_L2_FMA}}),
                     (lambda hp: hp["centered"],
                      {"ops": {"center": R.C_LERP_FMA, "variance": R.VAR_FMA}}),
                     (lambda hp: hp["momentum"],
                      {"ops": {"step": R.RU_DIV, "momentum": R.MOM_ACC_FMA}}),
                     (lambda hp: hp["capturable"] or hp["differentiable"],
                      {"error": "capturable/differentiable are not reproduced"})),
               scalars=_torch_rmsprop,
               defaults={"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0,
                         "momentum": 0.0, "centered": False, "maximize": False,
                         "foreach": None, "capturable": False, "differentiable": False},
               lr_name="lr",
               states={"square_avg": "ms", "grad_avg": "mg", "momentum_buffer": "mom"},
               api="torch.optim.RMSprop 2.13 CPU: for-loop and foreach (MKL sqrt)"),
    )


# -- optax 0.2.8 on JAX 0.10.2 (CPU) -------------------------------------------------------
# XLA turns x / (1 - b^t) into x * (1 / (1 - b^t)); under jit LLVM contracts into FMA.

def _optax_bc(b, t, f32):
    """1 / (1 - b^t) as XLA computes it: b^t = powf(r32(b), (float)t) (pow in float64)."""
    T = _T(f32)
    return T(1.0) / (T(1.0) - _powT(T(b), T(t), f32))


def _optax_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2 = hp["b1"], hp["b2"]
    return _scalars(b1=T(b1), c1=T(1.0 - b1), b2=T(b2), c2=T(1.0 - b2), eps=T(hp["eps"]),
                    eps_root=T(hp.get("eps_root", 0.0)), alpha=_optax_bc(b1, t, f32),
                    bc1=_optax_bc(b1, t, f32), bc1n=_optax_bc(b1, t + 1, f32),
                    bc2=_optax_bc(b2, t, f32), s=T(lr), k=T(hp.get("weight_decay", 0.0)))


def _optax_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    d = hp["decay"]
    return _rms_scalars(rho=T(d), c=T(1.0 - d), eps=T(hp["eps"]), lr=T(lr),
                        mu=T(hp["momentum"] or 0.0))


_OPTAX_ADAM = {"learning_rate": None, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "eps_root": 0.0,
               "mu_dtype": None, "nesterov": False, "jit": True}
_OPTAX_ADAM_OPS = {"first": R.M_SCAL_FMA, "second": R.V_SCAL_FMA,
                   "denom": R.D_MULBC_SQRT_EPS, "apply": R.P_FMA}
_OPTAX_EAGER = {"first": R.M_AXPBY, "second": R.V_AXPBY, "apply": R.P_SUB_SCALED}
_OPTAX_ALIASES = {"lr": "learning_rate", "betas": ("b1", "b2"), "eps": "eps"}
_OPTAX_COMMON_WHEN = (
    (lambda hp: hp.get("mu_dtype") is not None, {"error": "mu_dtype is not supported"}),
    (lambda hp: not hp["jit"], {"ops": _OPTAX_EAGER}),
    (lambda hp: hp.get("eps_root") and hp["jit"],
     {"ops": {"denom": R.D_FMABC_SQRT_EPS}}),
    (lambda hp: hp.get("eps_root") and not hp["jit"],
     {"error": "eps_root without jit is not reproduced"}),
)
_OPTAX_NADAM_WHEN = (
    (lambda hp: hp["jit"], {"ops": {"numer": R.NUM_NADAM_FMA, "step": R.U_DIV}}),
    (lambda hp: not hp["jit"], {"ops": {"numer": R.NUM_NADAM, "step": R.U_DIV}}),
)
_OPTAX_STATES = {"mu": "m", "nu": "v"}
_add(
    Preset("optax", "adam", "adam", ops=_OPTAX_ADAM_OPS,
           when=_OPTAX_COMMON_WHEN + tuple((lambda hp, f=f: hp["nesterov"] and f(hp), c)
                                           for f, c in _OPTAX_NADAM_WHEN),
           scalars=_optax_adam, defaults=_OPTAX_ADAM, required=("learning_rate",),
           lr_name="learning_rate", aliases=_OPTAX_ALIASES, states=_OPTAX_STATES,
           meta_keys=("jit",), api="optax.adam (jax.jit by default; jit=False: eager)"),
    Preset("optax", "nadam", "adam", ops=_OPTAX_ADAM_OPS,
           when=_OPTAX_COMMON_WHEN + _OPTAX_NADAM_WHEN, scalars=_optax_adam,
           defaults={**_OPTAX_ADAM, "nesterov": True}, required=("learning_rate",),
           lr_name="learning_rate", aliases=_OPTAX_ALIASES, states=_OPTAX_STATES,
           meta_keys=("jit",), api="optax.nadam = optax.adam(nesterov=True)"),
    Preset("optax", "adamw", "adam", ops={**_OPTAX_ADAM_OPS, "apply": R.P_ADDWD_FMA},
           when=_OPTAX_COMMON_WHEN[:1] + (
               (lambda hp: not hp["jit"], {"ops": {**_OPTAX_EAGER, "apply": R.P_ADDWD_SUB}}),
               (lambda hp: hp.get("mask") is not None, {"error": "mask is not supported"}),
           ) + _OPTAX_COMMON_WHEN[2:],
           scalars=_optax_adam,
           defaults={**_OPTAX_ADAM, "weight_decay": 1e-4, "mask": None},
           required=("learning_rate",), lr_name="learning_rate",
           aliases={**_OPTAX_ALIASES, "weight_decay": "weight_decay"}, states=_OPTAX_STATES,
           meta_keys=("jit",), api="optax.adamw"),
    Preset("optax", "adamax", "adam",
           ops={"first": R.M_SCAL_FMA, "second": R.V_MAX_EPS, "denom": R.D_NONE,
                "apply": R.P_FMA},
           when=((lambda hp: not hp["jit"], {"ops": {"first": R.M_AXPBY,
                                                      "apply": R.P_SUB_SCALED}}),),
           scalars=_optax_adam,
           defaults={"learning_rate": None, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "jit": True},
           required=("learning_rate",), lr_name="learning_rate", aliases=_OPTAX_ALIASES,
           states=_OPTAX_STATES, meta_keys=("jit",), api="optax.adamax"),
    Preset("optax", "rmsprop", "rmsprop",
           ops={"square": R.MS_SCAL_FMA, "step": R.RU_RSQRT_MUL, "momentum": R.MOM_FMA},
           when=((lambda hp: hp["bias_correction"] or hp["nesterov"],
                  {"error": "bias_correction and nesterov are not supported"}),
                 (lambda hp: not hp["eps_in_sqrt"],
                  {"ops": {"denom": R.RD_SQRT_EPS, "step": R.RU_RECIP_MUL}}),
                 (lambda hp: hp["centered"],
                  {"ops": {"center": R.C_SCAL_FMA, "variance": R.VAR_FMA}}),
                 (lambda hp: hp["momentum"], {"ops": {"momentum": R.MOM_TRACE_FMA}}),
                 (lambda hp: not hp["jit"], {"ops": {"square": R.MS_AXPBY}}),
                 (lambda hp: not hp["jit"] and hp["centered"],
                  {"ops": {"center": R.C_AXPBY, "variance": R.VAR_SUB}}),
                 (lambda hp: not hp["jit"] and not hp["momentum"],
                  {"ops": {"momentum": R.MOM_SCALED}}),
                 (lambda hp: not hp["jit"] and hp["momentum"],
                  {"ops": {"momentum": R.MOM_TRACE}})),
           scalars=_optax_rmsprop,
           defaults={"learning_rate": None, "decay": 0.9, "eps": 1e-8, "initial_scale": 0.0,
                     "eps_in_sqrt": True, "centered": False, "momentum": None,
                     "nesterov": False, "bias_correction": False, "jit": True},
           required=("learning_rate",), lr_name="learning_rate",
           aliases={"lr": "learning_rate", "alpha": "decay", "eps": "eps",
                    "initial_accumulator": "initial_scale"},
           states={"nu": "ms", "mu": "mg", "trace": "mom"}, meta_keys=("jit",),
           api="optax.rmsprop (rsqrt = XLA's rsqrtss + one fma Newton step)"),
)


# -- MXNet 1.9.1: mx.optimizer.Adam / RMSProp / Adamax ---------------------------------------
# Python sends every scalar to the C++ ops as str(value); dmlc-core parses it with its own
# ParseFloat, which is not correctly rounded.

@functools.lru_cache(maxsize=1024)      # pure; the same hyper-parameter text every step
def _dmlc_parse(text, f32):
    """dmlc::ParseFloat<float> (f32) or <double>: integer part, then up to 19 fraction
    digits as an integer over a power of ten (in double), added in the target type, then
    the exponent applied as products of 1e8 and 10 in the target type."""
    T = _T(f32)
    s, p, neg = text, 0, False
    if s[p] in "+-":
        neg = s[p] == "-"
        p += 1
    ipart = 0
    while p < len(s) and s[p].isdigit():
        ipart = ipart * 10 + int(s[p])
        p += 1
    value = T(ipart)
    if p < len(s) and s[p] == ".":
        p += 1
        frac, pow10, count = 0, 1, 0
        while p < len(s) and s[p].isdigit():
            if count < 19:
                frac, pow10 = frac * 10 + int(s[p]), pow10 * 10
            p += 1
            count += 1
        value = T(value + T(float(frac) / float(pow10)))
    if p < len(s) and s[p] in "eE":
        p += 1
        negexp = s[p] == "-"
        if s[p] in "+-":
            p += 1
        e = int(s[p:])
        scale = T(1.0)
        while e >= 8:
            scale, e = T(scale * T(F(1e8))), e - 8
        while e > 0:
            scale, e = T(scale * T(F(10.0))), e - 1
        value = T(value / scale) if negexp else T(value * scale)
    return -value if neg else value


def _mx_op(x, f32):
    """A scalar of a fused MXNet op: ParseFloat<float>, then widened to the dtype."""
    return _T(f32)(_dmlc_parse(str(x), True))


def _mx_nd(x, f32):
    """A scalar of an NDArray operator: ParseFloat<double>, then cast to the dtype."""
    return _T(f32)(_dmlc_parse(str(x), False))


def _mxnet_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2 = hp["beta1"], hp["beta2"]
    lr_t = lr * (math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t))
    B1, B2 = _mx_op(b1, f32), _mx_op(b2, f32)
    clip = hp["clip_gradient"]
    return _scalars(b1=B1, c1=T(1.0) - B1, b2=B2, c2=T(1.0) - B2, eps=_mx_op(hp["epsilon"], f32),
                    alpha=_mx_op(lr_t, f32), gmul=_mx_op(hp["rescale_grad"], f32),
                    wd=_mx_op(hp["wd"], f32), clip=_mx_op(clip, f32) if clip else 0.0)


def _mxnet_adamax(hp, t, lr, f32):
    b1 = hp["beta1"]
    clip = hp["clip_gradient"]
    return _scalars(b1=_mx_nd(b1, f32), c1=_mx_nd(1.0 - b1, f32), b2=_mx_nd(hp["beta2"], f32),
                    alpha=_mx_nd(lr / (1.0 - b1 ** t), f32),
                    gmul=_mx_nd(hp["rescale_grad"], f32), wd=_mx_nd(hp["wd"], f32),
                    clip=_mx_nd(clip, f32) if clip is not None else 0.0)


def _mxnet_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    g1 = _mx_op(hp["gamma1"], f32)
    clip = hp["clip_gradient"]
    return _rms_scalars(rho=g1, c=T(1.0) - g1, eps=_mx_op(hp["epsilon"], f32),
                        lr=_mx_op(lr, f32), mu=_mx_op(hp["gamma2"], f32),
                        gmul=_mx_op(hp["rescale_grad"], f32), wd=_mx_op(hp["wd"], f32),
                        clip=_mx_op(clip, f32) if clip else 0.0)


_MX_COMMON = {"wd": 0.0, "rescale_grad": 1.0, "clip_gradient": None}
_MX_ALIASES = {"lr": "learning_rate", "betas": ("beta1", "beta2"), "eps": "epsilon",
               "weight_decay": "wd"}
_add(
    Preset("mxnet", "adam", "adam",
           ops={"grad_scale": R.GSCALE_MUL, "grad_decay": R.GDECAY_L2, "first": R.M_AXPBY,
                "second": R.V_AXPBY_CG, "denom": R.D_SQRT_EPS},
           when=((lambda hp: hp["clip_gradient"], {"ops": {"grad_clip": R.GCLIP_VALUE}}),),
           scalars=_mxnet_adam,
           defaults={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                     "lazy_update": True, **_MX_COMMON},
           lr_name="learning_rate", aliases=_MX_ALIASES, states={"mean": "m", "var": "v"},
           api="mx.optimizer.Adam 1.9.1 (adam_update; dense gradients)"),
    Preset("mxnet", "adamax", "adam",
           ops={"grad_scale": R.GSCALE_MUL, "grad_decay": R.GDECAY_L2, "first": R.M_AXPBY,
                "second": R.V_MAX, "denom": R.D_NONE},
           when=((lambda hp: hp["clip_gradient"] is not None,
                  {"ops": {"grad_clip": R.GCLIP_VALUE}}),),
           scalars=_mxnet_adamax,
           defaults={"learning_rate": 2e-3, "beta1": 0.9, "beta2": 0.999, **_MX_COMMON},
           lr_name="learning_rate", aliases=_MX_ALIASES, states={"m": "m", "u": "v"},
           api="mx.optimizer.Adamax 1.9.1 (NDArray operators; no epsilon)"),
    Preset("mxnet", "rmsprop", "rmsprop",
           ops={"grad_scale": R.GSCALE_MUL, "grad_decay": R.GDECAY_L2, "square": R.MS_AXPBY,
                "denom": R.RD_SQRT_EPS_IN, "step": R.RU_SCALE_OF_DIV},
           when=((lambda hp: hp["clip_gradient"], {"ops": {"grad_clip": R.GCLIP_VALUE}}),
                 (lambda hp: hp["centered"],
                  {"ops": {"square": R.MS_AXPBY_CG, "center": R.C_AXPBY,
                           "step": R.RU_MUL_DIV, "momentum": R.MOM_DELTA}}),
                 (lambda hp: hp["clip_weights"], {"error": "clip_weights is not supported"})),
           scalars=_mxnet_rmsprop,
           defaults={"learning_rate": 1e-3, "gamma1": 0.9, "gamma2": 0.9, "epsilon": 1e-8,
                     "centered": False, "clip_weights": None, **_MX_COMMON},
           lr_name="learning_rate",
           aliases={"lr": "learning_rate", "alpha": "gamma1", "eps": "epsilon",
                    "weight_decay": "wd"},
           states={"n": "ms", "g": "mg", "delta": "mom"}, dtypes=("float32",),
           api="mx.optimizer.RMSProp 1.9.1 (rmsprop_update / rmspropalex_update)"),
)


# -- Chainer 7.8.1 (NumPy backend) ----------------------------------------------------------

def _chainer_adam(hp, t, lr, f32):
    r = R.rounder(f32)
    b1, b2, eta, wdr = hp["beta1"], hp["beta2"], hp["eta"], hp["weight_decay_rate"]
    alpha_t = lr * math.sqrt(1.0 - math.pow(b2, t)) / (1.0 - math.pow(b1, t))
    fl = hp["final_lr"]   # * alpha / initial_alpha: 1 while alpha is not changed
    lower = fl * (1.0 - 1.0 / (hp["gamma"] * t + 1))
    upper = fl * (1.0 + 1.0 / (hp["gamma"] * t))
    return _scalars(b1=r(b1), c1=r(1.0 - b1), b2=r(b2), c2=r(1.0 - b2), eps=r(hp["eps"]),
                    alpha=r(alpha_t), s=r(eta), k=r(1.0 - eta * wdr), lo=r(lower), hi=r(upper),
                    wd=r(_chainer_hook(hp, "WeightDecay") or 0.0),
                    gmul=r(hp.get("_clip_rate", 1.0)))


def _chainer_hook(hp, name):
    for hook, value in hp.get("hooks") or ():
        if hook == name:
            return value
    return None


def _chainer_clip_rate(hp, grads):
    """GradientClipping: rate = threshold / sqrt(sum of g.g); applied only when < 1."""
    threshold = _chainer_hook(hp, "GradientClipping")
    sqnorm = sum(float(np.dot(g.reshape(-1), g.reshape(-1))) for g in grads)
    rate = threshold / math.sqrt(sqnorm) if sqnorm else math.inf
    return {"_clip_rate": rate if rate < 1.0 else 1.0}


def _chainer_rmsprop(hp, t, lr, f32):
    r = R.rounder(f32)
    a = hp["alpha"]
    return _rms_scalars(rho=r(a), c=r(1.0 - a), eps=r(hp["eps"]), lr=r(lr))


_CHAINER_ADAM = {"alpha": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "eta": 1.0,
                 "weight_decay_rate": 0.0, "amsgrad": False, "adabound": False,
                 "final_lr": 0.1, "gamma": 1e-3, "hooks": ()}
_CHAINER_WHEN = (
    (lambda hp: hp["weight_decay_rate"], {"ops": {"apply": R.P_DECAY_SUB}}),
    (lambda hp: hp["amsgrad"], {"ops": {"amsgrad": 1}}),
    (lambda hp: hp["adabound"], {"ops": {"step": R.U_SCALE_DIV_CLIP}}),
    (lambda hp: _chainer_hook(hp, "WeightDecay"), {"ops": {"grad_decay": R.GDECAY_L2}}),
    (lambda hp: _chainer_hook(hp, "GradientClipping"),
     {"ops": {"grad_scale": R.GSCALE_MUL}, "prepare": _chainer_clip_rate}),
    (lambda hp: any(h not in ("WeightDecay", "GradientClipping") for h, _ in hp["hooks"] or ()),
     {"error": "only the WeightDecay and GradientClipping hooks are supported"}),
)
_CHAINER_OPS = {"first": R.M_LERP, "second": R.V_LERP, "denom": R.D_SQRT_EPS,
                "step": R.U_SCALE_DIV, "apply": R.P_SUB_SCALED}
_CHAINER_ALIASES = {"lr": "alpha", "betas": ("beta1", "beta2"), "eps": "eps"}
for _opt, _extra in (("adam", {}), ("adamw", {"weight_decay_rate": 0.0}),
                     ("amsgrad", {"amsgrad": True}), ("adabound", {"adabound": True}),
                     ("amsbound", {"amsgrad": True, "adabound": True})):
    _add(Preset("chainer", _opt, "adam", ops=_CHAINER_OPS, when=_CHAINER_WHEN,
                scalars=_chainer_adam, defaults={**_CHAINER_ADAM, **_extra}, lr_name="alpha",
                aliases={**_CHAINER_ALIASES,
                         **({"weight_decay": "weight_decay_rate"} if _opt == "adamw" else {})},
                states={"m": "m", "v": "v", "vhat": "vhat"}, meta_keys=("hooks",),
                api=f"chainer.optimizers.{_opt} 7.8.1 (NumPy)"))
_add(
    Preset("chainer", "rmsprop", "rmsprop",
           ops={"square": R.MS_SCAL_ADDCMUL, "denom": R.RD_SQRT_EPS},
           when=((lambda hp: hp["eps_inside_sqrt"], {"ops": {"denom": R.RD_SQRT_EPS_IN}}),),
           scalars=_chainer_rmsprop,
           defaults={"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "eps_inside_sqrt": False},
           lr_name="lr", aliases={"lr": "lr", "alpha": "alpha", "eps": "eps"},
           states={"ms": "ms"}, api="chainer.optimizers.RMSprop 7.8.1 (NumPy)"),
)


# -- Keras 2.3.1 (standalone; Theano backend) ------------------------------------------------
# Hyper-parameters are floatX variables (1 - beta in floatX); g++ contracts b*x + c*y into
# fma(c, y, b*x). With decay > 0 Theano moves both divisions into one denominator.

def _keras2_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2, LR = T(hp["beta_1"]), T(hp["beta_2"]), T(lr)
    tt = T(t)
    s2 = np.sqrt(T(1.0) - _powT(b2, tt, f32))
    c1p = T(1.0) - _powT(b1, tt, f32)
    out = dict(b1=b1, c1=T(1.0) - b1, b2=b2, c2=T(1.0) - b2, eps=T(hp["epsilon"]))
    if hp["decay"]:
        dk = _fmaT(T(hp["decay"]), T(t - 1), T(1.0), f32)
        return _scalars(**out, alpha=LR * s2, dscale=dk * c1p)
    return _scalars(**out, alpha=LR * (s2 / c1p))


def _keras2_adamax(hp, t, lr, f32):
    T = _T(f32)
    b1 = T(hp["beta_1"])
    c1p = T(1.0) - _powT(b1, T(t), f32)
    out = dict(b1=b1, c1=T(1.0) - b1, b2=T(hp["beta_2"]), eps=T(hp["epsilon"]))
    if hp["decay"]:      # Theano: p - (lr * m) / ((fma(decay, it, 1) * (1 - b1^t)) * (eps + u))
        dk = _fmaT(T(hp["decay"]), T(t - 1), T(1.0), f32)
        return _scalars(**out, alpha=T(lr), dscale=dk * c1p)
    return _scalars(**out, alpha=T(lr) / c1p)


def _keras2_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    rho = T(hp["rho"])
    dk = _fmaT(T(hp["decay"]), T(t - 1), T(1.0), f32) if hp["decay"] else T(1.0)
    return _rms_scalars(rho=rho, c=T(1.0) - rho, eps=T(hp["epsilon"]), lr=T(lr), dscale=dk)


_KERAS2_ALIASES = {"lr": "learning_rate", "betas": ("beta_1", "beta_2"), "eps": "epsilon"}
_KERAS2_ADAM_OPS = {"first": R.M_SCAL_FMA, "second": R.V_SCAL_FMA, "denom": R.D_SQRT_EPS}
_KERAS2_ADAM_WHEN = ((lambda hp: hp["decay"], {"ops": {"step": R.U_MUL_DIV_DSCALE}}),
                     (lambda hp: hp["amsgrad"], {"ops": {"amsgrad": 1}}))
_KERAS2_ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                "decay": 0.0, "amsgrad": False}
_add(
    Preset("keras2", "adam", "adam", ops=_KERAS2_ADAM_OPS, when=_KERAS2_ADAM_WHEN,
           scalars=_keras2_adam, defaults=_KERAS2_ADAM, lr_name="learning_rate",
           aliases=_KERAS2_ALIASES, states=_ADAM_STATES,
           api="keras.optimizers.Adam 2.3.1 (Theano backend)"),
    Preset("keras2", "amsgrad", "adam", ops={**_KERAS2_ADAM_OPS, "amsgrad": 1},
           when=_KERAS2_ADAM_WHEN, scalars=_keras2_adam,
           defaults={**_KERAS2_ADAM, "amsgrad": True}, lr_name="learning_rate",
           aliases=_KERAS2_ALIASES, states={"m": "m", "v": "v", "vhat": "vhat"},
           api="keras.optimizers.Adam(amsgrad=True) 2.3.1 (Theano backend)"),
    Preset("keras2", "adamax", "adam",
           ops={"first": R.M_SCAL_FMA, "second": R.V_MAX, "denom": R.D_EPS},
           when=((lambda hp: hp["decay"], {"ops": {"step": R.U_MUL_DIV_DSCALE}}),),
           scalars=_keras2_adamax,
           defaults={"learning_rate": 2e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                     "decay": 0.0},
           lr_name="learning_rate", aliases=_KERAS2_ALIASES, states={"m": "m", "u": "v"},
           api="keras.optimizers.Adamax 2.3.1 (Theano backend)"),
    Preset("keras2", "rmsprop", "rmsprop",
           ops={"square": R.MS_SCAL_FMA, "denom": R.RD_SQRT_EPS},
           # Theano folds the decay into the denominator: (lr*g) / (fma(decay, it, 1) * den)
           when=((lambda hp: hp["decay"], {"ops": {"step": R.RU_MUL_DIV_DSCALE}}),),
           scalars=_keras2_rmsprop,
           defaults={"learning_rate": 1e-3, "rho": 0.9, "epsilon": 1e-7, "decay": 0.0},
           lr_name="learning_rate",
           aliases={"lr": "learning_rate", "alpha": "rho", "eps": "epsilon"},
           states={"accumulator": "ms"}, api="keras.optimizers.RMSprop 2.3.1 (Theano)"),
)


# -- TensorFlow 2.21 CPU kernels (ResourceApply*) and the TF1 optimizers ---------------------
# No FMA anywhere; the kernels run with flush-to-zero; 1 - beta is formed in the kernel.

_F32_PRODUCTS = {}


def _tf1_power(beta, t):
    """TF1 AdamOptimizer's beta power at step t: the float32 running product of r32(beta),
    flushed to zero below FLT_MIN."""
    key = float(F(beta))
    seq = _F32_PRODUCTS.setdefault(key, [F(key)])
    tiny = np.finfo(np.float32).tiny
    while len(seq) < t:
        x = seq[-1] * F(key)
        seq.append(x if abs(x) >= tiny else F(0.0))
    return seq[t - 1]


_TINY = {True: float(np.finfo(np.float32).tiny), False: float(np.finfo(np.float64).tiny)}


def _ftz(x, f32):
    """Flush a scalar below the smallest normal to a zero of the same sign."""
    return x if abs(x) >= _TINY[f32] or x != x else _T(f32)(math.copysign(0.0, x))


def _tf_scalar(x, f32, through_f32):
    """A hyper-parameter as the kernel receives it: T(x), or T(r32(x)) when the Python API
    keeps it in a float32 variable first (TF1 optimizers, Keras/tf-keras betas)."""
    return _T(f32)(F(x)) if through_f32 else _T(f32)(x)


def _tf_powers(hp, t, f32):
    T = _T(f32)
    kind = hp["powers"]
    if kind == "f32prod":
        return T(_tf1_power(hp["beta1"], t)), T(_tf1_power(hp["beta2"], t))
    if kind == "dpow":
        return T(hp["beta1"] ** t), T(hp["beta2"] ** t)
    raise ValueError(f"tensorflow: powers must be 'f32prod' or 'dpow', not {kind!r}")


def _tf_adam(hp, t, lr, f32):
    T = _T(f32)
    via = hp["scalars_f32"]
    lr_, b1, b2 = (_tf_scalar(x, f32, via) for x in (lr, hp["beta1"], hp["beta2"]))
    b1p, b2p = _tf_powers(hp, t, f32)
    one = T(1.0)
    return _scalars(b1=b1, c1=one - b1, b2=b2, c2=one - b2,
                    eps=_tf_scalar(hp["epsilon"], f32, via),
                    alpha=(lr_ * np.sqrt(one - b2p)) / (one - b1p), s=lr_ / (one - b1p))


def _tf_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    via = hp["scalars_f32"]
    rho = _tf_scalar(hp["rho"], f32, via)
    return _rms_scalars(rho=rho, c=T(1.0) - rho, eps=_tf_scalar(hp["epsilon"], f32, via),
                        lr=_tf_scalar(lr, f32, via), mu=_tf_scalar(hp["momentum"], f32, via))


def _tf_from_recording(hp, meta):
    """Raw-op recordings name the rate "lr" and pass scalars as tf.constant(x, T); TF1
    optimizer recordings name it "learning_rate" and keep scalars in float32 variables."""
    hp = dict(hp)
    raw = "lr" in hp
    if raw:
        hp["learning_rate"] = hp.pop("lr")
    hp["scalars_f32"] = not raw
    if "decay" in hp:                       # RMSPropOptimizer's name for rho
        hp["rho"] = hp.pop("decay")
    if "Centered" in meta.get("api", ""):
        hp["centered"] = True
    if meta["optimizer"] == "rmsprop":
        hp["initial_accumulator"] = 0.0 if raw else 1.0
    return hp


_TF_ADAM_OPS = {"first": R.M_LERP, "second": R.V_LERP, "denom": R.D_SQRT_EPS, "ftz": 1}
_TF_ADAM = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
            "use_nesterov": False, "powers": "f32prod", "scalars_f32": True}
_TF_ALIASES = {"lr": "learning_rate", "betas": ("beta1", "beta2"), "eps": "epsilon"}
_TF_RMS_OPS = {"square": R.MS_LERP, "denom": R.RD_SQRT_EPS_IN, "momentum": R.MOM_ACC,
               "ftz": 1}
_add(
    Preset("tensorflow", "adam", "adam", ops=_TF_ADAM_OPS,
           when=((lambda hp: hp["use_nesterov"], {"ops": {"numer": R.NUM_NESTEROV}}),),
           scalars=_tf_adam, defaults=_TF_ADAM, lr_name="learning_rate", aliases=_TF_ALIASES,
           states=_ADAM_STATES, from_recording=_tf_from_recording,
           api="ResourceApplyAdam; tf.compat.v1.train.AdamOptimizer (float32 beta powers)"),
    Preset("tensorflow", "amsgrad", "adam", ops={**_TF_ADAM_OPS, "amsgrad": 1},
           scalars=_tf_adam, defaults={k: v for k, v in _TF_ADAM.items()
                                       if k != "use_nesterov"},
           lr_name="learning_rate", aliases=_TF_ALIASES,
           states={"m": "m", "v": "v", "vhat": "vhat"}, from_recording=_tf_from_recording,
           api="ResourceApplyAdamWithAmsgrad"),
    Preset("tensorflow", "adamax", "adam",
           ops={"first": R.M_LERP, "second": R.V_MAX, "denom": R.D_EPS, "step": R.U_DIV,
                "apply": R.P_SUB_SCALED, "ftz": 1},
           scalars=_tf_adam, defaults={**{k: v for k, v in _TF_ADAM.items()
                                          if k != "use_nesterov"}, "learning_rate": 2e-3},
           lr_name="learning_rate", aliases=_TF_ALIASES, states={"m": "m", "v": "v"},
           from_recording=_tf_from_recording, api="ResourceApplyAdaMax"),
    Preset("tensorflow", "rmsprop", "rmsprop", ops=_TF_RMS_OPS,
           when=((lambda hp: hp["centered"], {"ops": {"center": R.C_LERP}}),),
           scalars=_tf_rmsprop,
           defaults={"learning_rate": None, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-10,
                     "centered": False, "scalars_f32": True, "initial_accumulator": 1.0},
           required=("learning_rate",), lr_name="learning_rate",
           aliases={"lr": "learning_rate", "alpha": "rho", "eps": "epsilon",
                    "initial_accumulator": "initial_accumulator"},
           states={"ms": "ms", "mom": "mom", "mg": "mg", "rms": "ms", "momentum": "mom"},
           from_recording=_tf_from_recording,
           api="ResourceApply(Centered)RMSProp; tf.compat.v1.train.RMSPropOptimizer "
               "(mean square starts at 1)"),
)


# -- Keras 3.15 (TensorFlow / JAX / torch backends) and tf-keras 2.21 -------------------------

def _keras_powers(b1, b2, t, f32, ftz):
    """0-d tf.pow / jnp.power / torch.pow of a float32 beta = glibc powf (TF and XLA also
    flush subnormal results); float64: glibc pow."""
    p1, p2 = _powT(b1, float(t), f32), _powT(b2, float(t), f32)
    return (_ftz(p1, f32), _ftz(p2, f32)) if ftz else (p1, p2)


def _keras3(backend):
    """The scalar recipe of Keras 3 Adam/AdamW on one backend (see keras-recipes.md)."""
    tf_like = backend in ("tensorflow", "tensorflow_eager", "tf_keras")

    def scalars(hp, t, lr, f32):
        T = _T(f32)
        lr_ = T(F(lr))                               # a float32 variable, cast to T
        beta_via_f32 = tf_like or f32                # TF casts Python floats via float32
        b1 = T(F(hp["beta_1"])) if beta_via_f32 else T(hp["beta_1"])
        b2 = T(F(hp["beta_2"])) if beta_via_f32 else T(hp["beta_2"])
        b1p, b2p = _keras_powers(b1, b2, t, f32, ftz=backend != "torch")
        one = T(1.0)
        root = (T(_mkl_sqrt(float(one - b2p), f32)) if backend == "torch"
                else np.sqrt(one - b2p))
        wd = hp.get("weight_decay") or 0.0
        wd_ = T(F(wd)) if tf_like else T(wd)
        out = dict(b1=T(hp["beta_1"]), c1=T(1.0 - hp["beta_1"]), b2=T(hp["beta_2"]),
                   c2=T(1.0 - hp["beta_2"]), eps=T(hp["epsilon"]),
                   alpha=(lr_ * root) / (one - b1p), clip=T(hp.get("clipvalue") or 0.0))
        if backend == "torch":
            out["dk"] = T(F(1.0) - F(wd) * F(lr))      # computed on the float32 lr variable
        elif backend in ("tensorflow", "tf_keras"):     # Grappler: p - p * (wd * lr)
            out.update(dk=wd_ * lr_, dlr=1.0)
        elif backend == "jax":
            out.update(dk=lr_ * wd_)
        else:                                           # eager: p - (p * wd) * lr
            out.update(dk=wd_, dlr=lr_)
        out.update(hp.get("_clip_scale", {}))
        return _scalars(**out)
    return scalars


def _sum_eigen(x, f32):
    """Eigen's vectorized sum (TensorFlow's reduction of a float tensor, n <= 1024 packets):
    four packet accumulators over blocks of 4 packets, combined ((A0+A1)+A2)+A3, the
    remaining whole packets added to A0, a halving horizontal sum, and the leftover
    scalars summed from 0 and added last (notes/keras-recipes.md)."""
    T = _T(f32)
    P = 8 if f32 else 4
    n = x.size
    acc = np.zeros(P, x.dtype)
    npk = n // P
    if n >= 4 * P:
        blocks = n // (4 * P)
        a = x[: blocks * 4 * P].reshape(blocks, 4, P)
        A = a[0].copy()
        for blk in a[1:]:
            A = A + blk
        acc = ((A[0] + A[1]) + A[2]) + A[3]
        for k in range(blocks * 4, npk):
            acc = acc + x[k * P:(k + 1) * P]
    elif npk:
        acc = x[:P].copy()
        for k in range(1, npk):
            acc = acc + x[k * P:(k + 1) * P]
    while acc.size > 1:
        half = acc.size // 2
        acc = acc[:half] + acc[half:]
    s = T(0.0)
    for v in x[npk * P:]:
        s = s + v
    return s + acc[0] if npk else s


def _sum_xla(x, f32):
    """XLA CPU's reduction: windows of 32 (zero-padded, half the padding in front), each
    summed left to right from 0, then the window sums reduced the same way."""
    T = _T(f32)
    if x.size <= 32:
        s = T(0.0)
        for v in x:
            s = s + v
        return s
    total = 32 * -(-x.size // 32)
    front = (total - x.size) // 2
    y = np.concatenate([np.zeros(front, x.dtype), x, np.zeros(total - x.size - front, x.dtype)])
    return _sum_xla(np.array([_sum_xla(w, f32) for w in y.reshape(-1, 32)], x.dtype), f32)


def _keras_clip(backend):
    """clipnorm / global_clipnorm scale factors, with the backend's own reduction for the
    norm: Eigen's packet sum (TF), XLA's tree sum (JAX). The torch backend's ATen sum is
    not emulated (NumPy's pairwise sum instead) and XLA's jit contracts the scaled gradient
    into the moments' fmas: those cases carry a measured pin (conformance/pins.py). On the
    torch backend the clip factors of float64 variables pass through float32
    (ops.maximum/minimum with a Python float return float32), and the square root is
    torch.sqrt."""
    def prepare(hp, grads):
        f32 = grads[0].dtype == np.float32
        T = _T(f32)
        via32 = backend == "torch" and not f32

        def sumsq(g):
            x = g.reshape(-1) * g.reshape(-1)
            if backend in ("tensorflow", "tensorflow_eager", "tf_keras"):
                return _sum_eigen(x, f32)
            if backend in ("jax", "jax_eager"):
                return _sum_xla(x, f32)
            return T(np.sum(x))

        def root(x):
            return T(_mkl_sqrt(float(x), f32)) if backend == "torch" else np.sqrt(T(x))
        if hp.get("clipnorm"):
            n = root(sumsq(grads[0]))
            c = T(hp["clipnorm"])
            d = max(n, c)
            if backend == "jax_eager":        # x / max(...) became x * (1 / max(...))
                return {"_clip_scale": {"gmul": c, "gdiv": T(1.0) / d}}
            return {"_clip_scale": {"gmul": c, "gdiv": T(F(d)) if via32 else d}}
        c = T(hp["global_clipnorm"])
        n = root(sum(sumsq(g) for g in grads) if len(grads) > 1 else sumsq(grads[0]))
        if via32:
            m = F(min(T(1.0) / n, 1.0 / hp["global_clipnorm"]))
            scale = T(F(hp["global_clipnorm"]) * m) + (n - n)
        else:
            scale = (c * min(T(1.0) / n, T(1.0 / hp["global_clipnorm"]))) + (n - n)
        return {"_clip_scale": {"gmul": scale}}
    return prepare


_KERAS_ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
               "amsgrad": False, "weight_decay": None, "clipnorm": None, "clipvalue": None,
               "global_clipnorm": None}
_KERAS_ALIASES = {"lr": "learning_rate", "betas": ("beta_1", "beta_2"), "eps": "epsilon",
                  "weight_decay": "weight_decay"}
_KERAS_ADAM_OPS = {
    "tensorflow": {"first": R.M_LERP, "second": R.V_LERP, "denom": R.D_SQRT_EPS, "ftz": 1,
                   "_decay": R.DECOUPLED_SUBMUL},
    "tensorflow_eager": {"first": R.M_LERP, "second": R.V_LERP, "denom": R.D_SQRT_EPS,
                         "ftz": 1, "_decay": R.DECOUPLED_SUBMUL},
    "jax": {"first": R.M_LERP_FMA, "second": R.V_LERP_FMA2, "denom": R.D_SQRT_EPS,
            "_decay": R.DECOUPLED_FMA},
    "jax_eager": {"first": R.M_LERP, "second": R.V_LERP, "denom": R.D_SQRT_EPS,
                  "_decay": R.DECOUPLED_SUBMUL},
    "torch": {"first": R.M_SCAL_FMA, "second": R.V_SCAL_FMA, "denom": R.D_SQRT_EPS,
              "sqrt_kind": R.SQRT_MKL_EX, "_decay": R.DECOUPLED_MUL},
}
_KERAS_ADAM_OPS["tf_keras"] = _KERAS_ADAM_OPS["tensorflow"]
_KERAS_IGNORED = {"name", "ema_momentum", "ema_overwrite_frequency", "use_ema",
                  "gradient_accumulation_steps", "loss_scale_factor", "jit_compile",
                  "is_legacy_optimizer"}


def _keras_adam_rows(framework, backend, api):
    ops = dict(_KERAS_ADAM_OPS[backend])
    decay = ops.pop("_decay")
    when = ((lambda hp: hp["amsgrad"], {"ops": {"amsgrad": 1}}),
            (lambda hp: hp["weight_decay"], {"ops": {"decoupled": decay}}),
            (lambda hp: hp["clipvalue"], {"ops": {"grad_clip": R.GCLIP_VALUE}}),
            (lambda hp: hp["clipnorm"],
             {"ops": {"grad_scale": R.GSCALE_MULMUL if backend == "jax_eager"
                      else R.GSCALE_MULDIV}, "prepare": _keras_clip(backend)}),
            (lambda hp: hp["global_clipnorm"],
             {"ops": {"grad_scale": R.GSCALE_MUL}, "prepare": _keras_clip(backend)}))
    common = dict(scalars=_keras3(backend), lr_name="learning_rate", aliases=_KERAS_ALIASES,
                  states={"m": "m", "v": "v", "vhat": "vhat"}, when=when, api=api)
    return (Preset(framework, "adam", "adam", ops=ops, defaults=_KERAS_ADAM, **common),
            Preset(framework, "adamw", "adam", ops=ops,
                   defaults={**_KERAS_ADAM, "weight_decay": 0.004}, **common))


for _fw, _be, _api in (
        ("keras_tensorflow", "tensorflow",
         "keras.optimizers.Adam/AdamW 3.15, TF backend in tf.function (as model.fit)"),
        ("keras_tensorflow_eager", "tensorflow_eager",
         "keras.optimizers.Adam/AdamW 3.15, TF backend, eager"),
        ("keras_jax", "jax", "keras.optimizers.Adam/AdamW 3.15, JAX backend under jax.jit"),
        ("keras_jax_eager", "jax_eager", "keras.optimizers.Adam/AdamW 3.15, JAX, eager"),
        ("keras_torch", "torch", "keras.optimizers.Adam/AdamW 3.15, torch backend"),
        ("tf_keras", "tf_keras", "tf_keras.optimizers.Adam/AdamW 2.21 (new optimizer)")):
    _add(*_keras_adam_rows(_fw, _be, _api))


def _keras_rmsprop(backend):
    def scalars(hp, t, lr, f32):
        T = _T(f32)
        rho = hp["rho"]
        return _rms_scalars(rho=T(rho), c=T(1.0 - rho), eps=T(hp["epsilon"]), lr=T(F(lr)),
                            mu=T(hp["momentum"]), clip=T(hp.get("clipvalue") or 0.0))
    return scalars


_KERAS_RMS = {"learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
              "centered": False, "weight_decay": None, "clipnorm": None, "clipvalue": None,
              "global_clipnorm": None}
_KERAS_RMS_STATES = {"velocity": "ms", "average_gradient": "mg", "momentum": "mom"}
_KERAS_RMS_WHEN_COMMON = (
    (lambda hp: hp["weight_decay"] or hp["clipnorm"] or hp["global_clipnorm"],
     {"error": "weight_decay/clipnorm with RMSprop are not reproduced yet"}),
    (lambda hp: hp["clipvalue"], {"ops": {"grad_clip": R.GCLIP_VALUE}}),
    (lambda hp: hp["momentum"], {"ops": {"momentum": R.MOM_ACC}}))
for _fw, _be, _ops, _centered, _flush in (
        ("keras_tensorflow_eager", "tensorflow_eager",
         {"square": R.MS_AXPBY, "denom": R.RD_SQRT_EPS_IN}, {"center": R.C_AXPBY}, 1),
        ("keras_jax_eager", "jax_eager",
         {"square": R.MS_AXPBY, "denom": R.RD_SQRT_EPS_IN}, {"center": R.C_AXPBY}, 0),
        ("keras_torch", "torch",
         {"square": R.MS_SCAL_FMA, "denom": R.RD_SQRT_EPS_IN, "sqrt_kind": R.SQRT_MKL_EX},
         {"center": R.C_SCAL_FMA, "denom": R.RD_EPS_SUB_SQRT}, 0)):
    _add(Preset(_fw, "rmsprop", "rmsprop", ops={**_ops, "ftz": _flush},
                when=_KERAS_RMS_WHEN_COMMON + ((lambda hp: hp["centered"], {"ops": _centered}),),
                scalars=_keras_rmsprop(_be), defaults=_KERAS_RMS, lr_name="learning_rate",
                aliases={"lr": "learning_rate", "alpha": "rho", "eps": "epsilon"},
                states=_KERAS_RMS_STATES, api=f"keras.optimizers.RMSprop 3.15 ({_be})"))


# Keras 3 RMSprop under tf.function / jax.jit and tf-keras's new RMSprop: Grappler and XLA
# replace x / sqrt(den) by x * rsqrt(den), an approximate reciprocal square root built on
# the CPU's rsqrtss estimate; TensorFlow's Rsqrt kernel vectorizes 8 floats at a time and
# takes 1 / sqrt on the rest of the array (its tail).
def _rsqrt_tf_split(n, f32):
    """Eigen's Rsqrt packets: 8 floats; float64 has no approximate path (all IEEE)."""
    return n & -8 if f32 else n
for _fw, _ops, _centered, _mom, _tail in (
        ("keras_tensorflow",
         {"square": R.MS_AXPBY, "step": R.RU_X_RSQRT_TF, "ftz": 1},
         {"center": R.C_AXPBY, "variance": R.VAR_SUB_EPS}, {"momentum": R.MOM_ACC},
         {"step": R.RU_X_RSQRT_IEEE}),
        ("tf_keras",
         {"square": R.MS_AXPBY, "step": R.RU_G_LRRSQRT_TF, "ftz": 1},
         {"center": R.C_AXPBY}, {"momentum": R.MOM_ACC}, {"step": R.RU_G_LRRSQRT_IEEE}),
        ("keras_jax",
         {"square": R.MS_AXPBY_FMA, "step": R.RU_X_RSQRT_XLA, "momentum": R.MOM_FMA_XRS},
         {"center": R.C_AXPBY_FMA, "variance": R.VAR_FMA}, {"momentum": R.MOM_ACC_FMA2},
         None)):
    _add(Preset(_fw, "rmsprop", "rmsprop", ops=_ops,
                tail_ops=_tail, split=_rsqrt_tf_split if _tail else None,
                when=_KERAS_RMS_WHEN_COMMON[:2] + (
                    (lambda hp: hp["momentum"], {"ops": _mom}),
                    (lambda hp: hp["centered"], {"ops": _centered})),
                scalars=_keras_rmsprop(_fw), defaults=_KERAS_RMS, lr_name="learning_rate",
                aliases={"lr": "learning_rate", "alpha": "rho", "eps": "epsilon"},
                states=_KERAS_RMS_STATES,
                api=f"{_fw} RMSprop (graph-rewritten: x * rsqrt(den))"))


# tf-keras legacy (OptimizerV2): Adam through the TF kernel, RMSprop momentum = 0 through a
# Python graph (epsilon outside the root), momentum > 0 through the TF kernel.

def _tfk_legacy_lr(hp, t, lr, f32):
    T = _T(f32)
    lr_ = T(F(lr))
    if hp["decay"]:
        return lr_ / (T(1.0) + T(F(hp["decay"])) * T(t - 1))
    return lr_


def _tfk_legacy_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2 = T(F(hp["beta_1"])), T(F(hp["beta_2"]))
    b1p, b2p = _keras_powers(b1, b2, t, f32, ftz=True)
    lr_ = _tfk_legacy_lr(hp, t, lr, f32)
    one = T(1.0)
    return _scalars(b1=b1, c1=one - b1, b2=b2, c2=one - b2, eps=T(hp["epsilon"] or 1e-7),
                    alpha=(lr_ * np.sqrt(one - b2p)) / (one - b1p))


def _tfk_legacy_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    rho = T(F(hp["rho"]))
    return _rms_scalars(rho=rho, c=T(1.0) - rho, eps=T(hp["epsilon"] or 1e-7),
                        lr=_tfk_legacy_lr(hp, t, lr, f32), mu=T(F(hp["momentum"])))


_add(
    Preset("tf_keras_legacy", "adam", "adam", ops=_TF_ADAM_OPS,
           when=((lambda hp: hp["amsgrad"], {"ops": {"amsgrad": 1}}),),
           scalars=_tfk_legacy_adam,
           defaults={"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                     "amsgrad": False, "decay": 0.0},
           lr_name="learning_rate", aliases=_KERAS_ALIASES | {"weight_decay": "decay"},
           states={"m": "m", "v": "v", "vhat": "vhat"},
           api="tf_keras.optimizers.legacy.Adam 2.21 (ResourceApplyAdam[WithAmsgrad])"),
    Preset("tf_keras_legacy", "rmsprop", "rmsprop",
           ops={"square": R.MS_AXPBY, "denom": R.RD_SQRT_EPS, "ftz": 1},
           when=((lambda hp: hp["centered"], {"ops": {"center": R.C_AXPBY}}),
                 (lambda hp: hp["momentum"], {"ops": _TF_RMS_OPS}),
                 (lambda hp: hp["momentum"] and hp["centered"],
                  {"ops": {"center": R.C_LERP}})),
           scalars=_tfk_legacy_rmsprop,
           defaults={"learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                     "centered": False, "decay": 0.0},
           lr_name="learning_rate", aliases={"lr": "learning_rate", "alpha": "rho",
                                             "eps": "epsilon"},
           states={"rms": "ms", "mg": "mg", "momentum": "mom"},
           api="tf_keras.optimizers.legacy.RMSprop 2.21"),
)



# -- Textbook forms: the from-scratch NumPy Adam and CS231n's Adam / RMSProp ----------------
# NumPy arithmetic on arrays of the parameters' dtype, Python-float hyper-parameters
# (rounded once to the dtype when they meet an array).

def _scratch_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2 = hp["beta1"], hp["beta2"]
    lr_t = lr * math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
    return _scalars(c1=T(1.0 - b1), c2=T(1.0 - b2), eps=T(hp["eps"]), alpha=T(lr_t))


def _cs231n_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2 = hp["beta1"], hp["beta2"]
    return _scalars(b1=T(b1), c1=T(1.0 - b1), b2=T(b2), c2=T(1.0 - b2), eps=T(hp["eps"]),
                    alpha=T(-lr))


def _cs231n_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    d = hp["decay_rate"]
    return _rms_scalars(rho=T(d), c=T(1.0 - d), eps=T(hp["eps"]), lr=T(-lr))


_add(
    Preset("numpy_scratch", "adam", "adam",
           ops={"first": R.M_LERP, "second": R.V_LERP, "denom": R.D_SQRT_EPS},
           scalars=_scratch_adam,
           defaults={"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-7}, lr_name="lr",
           aliases={"betas": ("beta1", "beta2")}, states=_ADAM_STATES,
           api="from-scratch NumPy Adam: m += (1-b1)*(g-m); v += (1-b2)*(g*g-v); "
               "lr_t = lr*sqrt(1-b2**t)/(1-b1**t); p -= lr_t*m/(sqrt(v)+eps). float32 "
               "arrays under NumPy >= 2 compute the update in float64 (np.sqrt makes "
               "lr_t an np.float64, NEP 50): not reproduced; NumPy 1.x stays float32"),
    # x += -lr * m / (sqrt(v) + eps): the update is added, so alpha = -lr and p - u
    # becomes p - ((m * -lr) / d) = p + ((-lr * m) / d) exactly (negation is exact).
    Preset("cs231n", "adam", "adam",
           ops={"first": R.M_AXPBY, "second": R.V_AXPBY, "denom": R.D_SQRT_EPS,
                "apply": R.P_SUB},
           scalars=lambda hp, t, lr, f32: {**_cs231n_adam(hp, t, lr, f32),
                                            "alpha": float(_T(f32)(lr))},
           defaults={"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
           lr_name="learning_rate",
           aliases={"lr": "learning_rate", "betas": ("beta1", "beta2")},
           states=_ADAM_STATES,
           api="CS231n adam (no bias correction): m = b1*m + (1-b1)*dx; "
               "v = b2*v + (1-b2)*(dx**2); x += -lr * m / (sqrt(v) + eps)"),
    Preset("cs231n", "rmsprop", "rmsprop",
           ops={"square": R.MS_AXPBY, "denom": R.RD_SQRT_EPS},
           scalars=lambda hp, t, lr, f32: {**_cs231n_rmsprop(hp, t, lr, f32),
                                            "lr": float(_T(f32)(lr))},
           defaults={"learning_rate": 1e-2, "decay_rate": 0.99, "eps": 1e-8},
           lr_name="learning_rate", aliases={"lr": "learning_rate", "alpha": "decay_rate"},
           states={"cache": "ms"},
           api="CS231n rmsprop: cache = d*cache + (1-d)*dx**2; "
               "x += -lr * dx / (sqrt(cache) + eps)"),
)

# Hyper-parameters that recordings carry but that do not change the update.
_IGNORED = {"keras_adamw": {"decay", "amsgrad", "zero_penalties",
                            "autorestart", "init_verbose", "t_cur", "eta_t", "name"},
            "torch": {"foreach"}, "pytorch": {"foreach"}, "mxnet": {"lazy_update"},
            **{fw: _KERAS_IGNORED for fw in ("keras_tensorflow", "keras_tensorflow_eager",
                                              "keras_jax", "keras_jax_eager", "keras_torch",
                                              "tf_keras", "tf_keras_legacy")},
            "tf_keras_legacy": {"name"}}


#: Short names: the framework as most people run it.
ALIASES = {"keras": "keras_tensorflow", "lasagne": "lasagne_master", "tf": "tensorflow"}


def available():
    """The (framework, optimizer) pairs with a preset, sorted."""
    return sorted(PRESETS)


def get(framework, optimizer):
    """The :class:`Preset` for ``framework`` and ``optimizer``; KeyError lists the choices."""
    framework = ALIASES.get(framework, framework)
    try:
        return PRESETS[(framework, optimizer)]
    except KeyError:
        have = sorted(o for f, o in PRESETS if f == framework)
        if not have:
            raise UnknownPreset(f"no preset for framework {framework!r}; available: "
                                f"{sorted({f for f, _ in PRESETS})}") from None
        raise UnknownPreset(f"{framework} has no {optimizer!r} preset; it has {have}") from None


class UnknownPreset(ValueError, KeyError):
    """No preset for that framework/optimizer (a ValueError; also a KeyError)."""

    def __str__(self):
        return str(self.args[0])


_OPTIMIZER_OF_CLASS = {"Adam": "adam", "AdamW": "adamw", "AdaMax": "adamax",
                       "RMSProp": "rmsprop"}
_FLAGS = ("amsgrad", "nesterov", "maximize", "decoupled_weight_decay", "centered")


def _optimizer_name(framework, cls_name, given):
    """The table row for an optimizer class and its flags: Adam(amsgrad=True) is the
    framework's "amsgrad" row where it has one, else its "adam" row with amsgrad=True."""
    name = _OPTIMIZER_OF_CLASS[cls_name]
    for flag, row in (("amsgrad", "amsgrad"), ("nesterov", "nadam")):
        if name == "adam" and given.get(flag) and (framework, row) in PRESETS:
            given.pop(flag)
            name = row
    return name


def build(preset, cls_name, given):
    """Resolve ``Adam(preset=...)`` etc.: return ``(rule, hyperparameters, lr)``.

    ``given`` holds the keywords the user passed, under adamkit's or the framework's names.
    """
    if not isinstance(preset, str):
        raise TypeError(f"preset must be a string such as 'pytorch' or 'caffe.adam', "
                        f"got {type(preset).__name__}")
    given = dict(given)
    frameworks = {f for f, _ in PRESETS} | set(ALIASES)
    framework, _, opt = (preset, "", "") if preset in frameworks else preset.rpartition(".")
    if not framework:
        framework = preset
    framework = ALIASES.get(framework, framework)
    optimizer = opt or _optimizer_name(framework, cls_name, given)
    row = get(framework, optimizer)
    hp = dict(row.defaults)
    for key, value in given.items():
        if key in _FLAGS and key not in hp:
            raise TypeError(f"{key}= is not an option of the {framework} {optimizer} preset")
        target = row.aliases.get(key, key)
        if isinstance(target, tuple):
            if not isinstance(value, (tuple, list)) or len(value) != len(target):
                raise TypeError(f"{key} must be a pair")
            for t_name, v in zip(target, value):
                hp[t_name] = v
        elif target in hp or target in _IGNORED.get(framework, ()):
            hp[target] = value
        else:
            raise TypeError(f"unknown keyword {key!r} for the {framework} {optimizer} preset; "
                            f"it takes {sorted(hp)} (or adamkit's {sorted(row.aliases)})")
    for name in row.required:
        if hp.get(name) is None:
            raise TypeError(f"the {framework} {optimizer} preset needs {name}= "
                            "(the framework has no default)")
    for name in _IGNORED.get(framework, ()):
        hp.pop(name, None)
    _check_values(hp, row)
    lr = hp[row.lr_name]
    if not callable(lr):
        lr = check_real(row.lr_name, lr, 0.0)
    return row.rule(hp), hp, lr


def _check_values(hp, row):
    betas = row.aliases.get("betas", ())
    betas = set(betas) | ({row.aliases["alpha"]} if "alpha" in row.aliases else set())
    for name, value in hp.items():
        if name in betas:
            check_beta(name, value)
        elif name in ("delta", "epsilon", "weight_decay", "weightDecay", "learningRateDecay",
                      "max_scaling", "momentum") and value is not None:
            check_real(name, value, 0.0)
