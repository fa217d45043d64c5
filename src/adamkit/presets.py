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
                     ("cosf", ctypes.c_float), ("pow", ctypes.c_double)):
    getattr(_libm, _name).restype = _type
_libm.powf.argtypes = [ctypes.c_float, ctypes.c_float]
_libm.expf.argtypes = [ctypes.c_float]
_libm.cosf.argtypes = [ctypes.c_float]
_libm.pow.argtypes = [ctypes.c_double, ctypes.c_double]

F = np.float32


def _powT(x, y, f32):
    """pow in the buffer type: glibc powf for float32, pow for float64."""
    return F(_libm.powf(float(x), float(y))) if f32 else _libm.pow(float(x), float(y))


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


def _caffe_adam(hp, t, lr, f32):
    T = _T(f32)
    b1, b2 = _r32(hp["momentum"]), _r32(hp["momentum2"])
    rate = _caffe_rate(hp, t - 1, lr)
    # the correction is formed in double from the float betas, then rounded once
    corr = _r32(math.sqrt(1.0 - _libm.pow(b2, t)) / (1.0 - _libm.pow(b1, t)))
    return _scalars(b1=T(b1), c1=T(1.0) - T(b1), b2=T(b2), c2=T(1.0) - T(b2),
                    eps=T(_r32(hp["delta"])), s=T(rate) * T(corr),
                    wd=T(_r32(hp["weight_decay"])))


def _caffe_rmsprop(hp, t, lr, f32):
    T = _T(f32)
    rho = _r32(hp["rms_decay"])
    rate = _caffe_rate(hp, t - 1, lr)
    return _rms_scalars(rho=T(rho), c=T(1.0) - T(rho), eps=T(_r32(hp["delta"])), lr=T(rate),
                    wd=T(_r32(hp["weight_decay"])))


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
    when: tuple = ()               # (hp name, value test, ops update): ops that depend on hp
    tail_ops: dict = None          # ops of the BLAS tail (elements >= split)
    split: Callable = None
    dtypes: tuple = ("float32", "float64")
    required: tuple = ()           # hyper-parameters without a default
    api: str = ""                  # what it reproduces (for the docs and the report)

    def rule(self, hp):
        ops = dict(self.ops)
        tail = None if self.tail_ops is None else dict(self.tail_ops)
        for name, test, update, tail_update in self.when:
            if test(hp.get(name)):
                ops.update(update)
                if tail is not None:
                    tail.update(tail_update)
        if tail is not None and {**ops, **tail} == ops:
            tail = None                       # no stage differs in the tail: one loop
        return R.Rule(self.family, ops, self.scalars, name=f"{self.framework}.{self.optimizer}",
                      tail_ops=tail, split=self.split)


_nonzero = bool  # a hyper-parameter test: present and not zero


def _is(value):
    return lambda x: x == value


_ADAM_STATES = {"m": "m", "v": "v"}
_RMS_NAMES = {"lr": "learning_rate", "eps": "epsilon"}

PRESETS = {}


def _add(*rows):
    for row in rows:
        PRESETS[(row.framework, row.optimizer)] = row


# -- Caffe (BVLC master): AdamSolver, RMSPropSolver ---------------------------------------
_CAFFE_LR = {"lr_policy": "fixed", "gamma": 0.0, "power": 0.0, "stepsize": 0, "stepvalue": (),
             "max_iter": 0}
_add(
    Preset("caffe", "adam", "adam",
           ops={"first": R.M_SCAL_FMA, "second": R.V_SCAL_FMA, "denom": R.D_POW_EPS,
                "step": R.U_DIV, "apply": R.P_SUB_SCALED},
           tail_ops={"first": R.M_AXPBY, "second": R.V_AXPBY}, split=R.blas_axpy_split,
           when=(("regularization_type", _is("L1"), {"grad_decay": R.GDECAY_L1_FMA},
                  {"grad_decay": R.GDECAY_L1}),
                 ("regularization_type", _is("L2"), {"grad_decay": R.GDECAY_L2_FMA},
                  {"grad_decay": R.GDECAY_L2})),
           scalars=_caffe_adam,
           defaults={"base_lr": None, "momentum": 0.0, "momentum2": 0.999, "delta": 1e-8,
                     "weight_decay": 0.0, "regularization_type": "L2", **_CAFFE_LR},
           required=("base_lr",), lr_name="base_lr",
           aliases={"lr": "base_lr", "betas": ("momentum", "momentum2"), "eps": "delta",
                    "weight_decay": "weight_decay"},
           states={"history0": "m", "history1": "v"},
           api="caffe AdamSolver (CPU, OpenBLAS Haswell axpy, glibc powf)"),
    Preset("caffe", "rmsprop", "rmsprop",
           ops={"square": R.MS_SCAL_FMA_POW, "denom": R.RD_POW_EPS, "step": R.RU_SCALE_OF_DIV},
           tail_ops={"square": R.MS_AXPBY_POW}, split=R.blas_axpy_split,
           when=(("regularization_type", _is("L1"), {"grad_decay": R.GDECAY_L1_FMA},
                  {"grad_decay": R.GDECAY_L1}),
                 ("regularization_type", _is("L2"), {"grad_decay": R.GDECAY_L2_FMA},
                  {"grad_decay": R.GDECAY_L2})),
           scalars=_caffe_rmsprop,
           defaults={"base_lr": None, "rms_decay": 0.99, "delta": 1e-8, "weight_decay": 0.0,
                     "regularization_type": "L2", **_CAFFE_LR},
           required=("base_lr",), lr_name="base_lr",
           aliases={"lr": "base_lr", "alpha": "rms_decay", "eps": "delta",
                    "weight_decay": "weight_decay"},
           states={"history0": "ms"},
           api="caffe RMSPropSolver (CPU, OpenBLAS Haswell axpy, glibc powf)"),
)

# -- Lua Torch7 optim ---------------------------------------------------------------------
_TORCH7_WD = (("weightDecay", _nonzero, {"grad_decay": R.GDECAY_L2_FMA},
               {"grad_decay": R.GDECAY_L2}),)
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
           when=(("weight_decays", _nonzero, {"apply": R.P_SUB_SCALED_L1L2}, {}),),
           scalars=_keras_adamw,
           defaults={"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": None,
                     "weight_decays": None, "use_cosine_annealing": False,
                     "total_iterations": 0, "total_iterations_wd": None, "eta_min": 0.0,
                     "eta_max": 1.0},
           lr_name="learning_rate", dtypes=("float32",),
           aliases={"lr": "learning_rate", "betas": ("beta_1", "beta_2"), "eps": "epsilon"},
           states=_ADAM_STATES, api="keras_adamw.AdamW (TF_KERAS=1, tensorflow-cpu 2.13.1)"),
)

# Hyper-parameters that recordings carry but that do not change the update.
_IGNORED = {"keras_adamw": {"decay", "amsgrad", "zero_penalties", "lr_multipliers",
                            "autorestart", "init_verbose", "t_cur", "eta_t"}}


def available():
    """The (framework, optimizer) pairs with a preset, sorted."""
    return sorted(PRESETS)


def get(framework, optimizer):
    """The :class:`Preset` for ``framework`` and ``optimizer``; KeyError lists the choices."""
    try:
        return PRESETS[(framework, optimizer)]
    except KeyError:
        have = sorted(o for f, o in PRESETS if f == framework)
        if not have:
            raise KeyError(f"no preset for framework {framework!r}; available: "
                           f"{sorted({f for f, _ in PRESETS})}") from None
        raise KeyError(f"{framework} has no {optimizer!r} preset; it has {have}") from None


_OPTIMIZER_OF_CLASS = {"Adam": "adam", "AdamW": "adamw", "AdaMax": "adamax",
                       "RMSProp": "rmsprop"}
_FLAGS = ("amsgrad", "nesterov", "maximize", "decoupled_weight_decay", "centered")


def _optimizer_name(cls_name, given):
    name = _OPTIMIZER_OF_CLASS[cls_name]
    if name == "adam" and given.pop("amsgrad", False):
        name = "amsgrad"
    if name == "adam" and given.pop("nesterov", False):
        name = "nadam"
    return name


def build(preset, cls_name, given):
    """Resolve ``Adam(preset=...)`` etc.: return ``(rule, hyperparameters, lr)``.

    ``given`` holds the keywords the user passed, under adamkit's or the framework's names.
    """
    given = dict(given)
    frameworks = {f for f, _ in PRESETS}
    framework, _, opt = (preset, "", "") if preset in frameworks else preset.rpartition(".")
    if not framework:
        framework = preset
    optimizer = opt or _optimizer_name(cls_name, given)
    row = get(framework, optimizer)
    hp = dict(row.defaults)
    for key, value in given.items():
        if key in _FLAGS:
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
