"""Keras 3.15: ``keras.optimizers.Adam``, ``AdamW`` and ``RMSprop`` on the TensorFlow (in
``tf.function`` as ``model.fit`` runs it, or eager), JAX (under ``jax.jit``, or eager) and
torch backends.

Each backend rounds differently: TensorFlow's kernels (no FMA, flush-to-zero, Grappler
rewrites), XLA under jit (FMA contraction, ``x * rsqrt(y)``), ATen and MKL's sqrt on the
torch backend. Gradient clipping computes its norms with the backend's own reduction
(Eigen's and ATen's on the framework's threads, ``tf_threads`` and ``torch_threads``;
XLA's); per-tensor clipnorm gives each array its own scalars. ``floatx`` is
keras.config.floatx() (float64 for a float64 model). Evidence:
conformance/notes/keras-recipes.md, 0-ULP replays of the live recordings;
the JAX backend refuses the clip norms XLA does not sum with its tree reduction
(``xla_norms_reproduced``). tf_keras (the Keras 2 API of TensorFlow 2.21) shares this
module's recipes.
"""

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from ._context import (
    ESTIMATE_OPTIONS,
    TF_THREADS,
    TORCH_THREADS,
    XLA_ISA,
    check_choice,
    estimate_ops,
    xla_ops,
)
from ._floats import F, T, adam_scalars, f64, ftz, mkl_sqrt, powT, rmsprop_scalars
from ._preset import Preset, PresetError, one_of, refuse
from ._reductions import XLA_YNN_MIN, sum_aten, sum_eigen, sum_xla

_TF_LIKE = ("tensorflow", "tensorflow_eager", "tf_keras")


def powers(b1, b2, t, f32, flush):
    """0-d tf.pow / jnp.power / torch.pow of a float32 beta = glibc powf (TF and XLA also
    flush subnormal results); float64: glibc pow."""
    p1, p2 = powT(b1, f64(t), f32), powT(b2, f64(t), f32)
    return (ftz(p1, f32), ftz(p2, f32)) if flush else (p1, p2)


def floatx64(hp):
    """keras.config.floatx() is "float64": the learning-rate variable is float64 (exact in
    float64 variables, no float32 rounding), and on torch 1 - wd * lr is computed on it in
    float64. Unchanged (measured): TensorFlow's tf.cast of a Python float (beta, wd) still
    makes a float32 constant first, and torch's ops.maximum/minimum with a Python float
    still return float32."""
    return hp.get("floatx", "float32") == "float64"


def adam_recipe(backend):
    """The scalar recipe of Keras 3 Adam/AdamW on one backend."""
    tf_like = backend in _TF_LIKE

    def scalars(hp, t, lr, f32):
        Tt = T(f32)
        x64 = floatx64(hp)
        lr_ = Tt(lr) if x64 else Tt(F(lr))          # the lr variable (floatx), cast to T
        beta_via_f32 = f32 or tf_like                # tf.cast of a Python float: float32 first
        b1 = Tt(F(hp["beta_1"])) if beta_via_f32 else Tt(hp["beta_1"])
        b2 = Tt(F(hp["beta_2"])) if beta_via_f32 else Tt(hp["beta_2"])
        b1p, b2p = powers(b1, b2, t, f32, flush=backend != "torch")
        one = Tt(1.0)
        root = (Tt(mkl_sqrt(one - b2p, f32, hp)) if backend == "torch"
                else np.sqrt(one - b2p))
        wd = hp.get("weight_decay") or 0.0
        wd_ = Tt(F(wd)) if tf_like else Tt(wd)
        out = dict(b1=Tt(hp["beta_1"]), c1=Tt(1.0 - hp["beta_1"]), b2=Tt(hp["beta_2"]),
                   c2=Tt(1.0 - hp["beta_2"]), eps=Tt(hp["epsilon"]),
                   alpha=(lr_ * root) / (one - b1p), clip=Tt(hp.get("clipvalue") or 0.0))
        if backend == "torch":                            # 1 - wd * lr on the lr variable
            out["dk"] = Tt(1.0 - wd * lr) if x64 else Tt(F(1.0) - F(wd) * F(lr))
        elif backend in ("tensorflow", "tf_keras"):       # Grappler: p - p * (wd * lr)
            out.update(dk=wd_ * lr_, dlr=1.0)
        elif backend == "jax":
            out.update(dk=lr_ * wd_)
        else:                                             # eager: p - (p * wd) * lr
            out.update(dk=wd_, dlr=lr_)
        out.update(hp.get("_clip_scale", {}))
        return adam_scalars(**out)
    return scalars


def clip_prepare(backend, framework):
    """clipnorm / global_clipnorm scale factors, with the backend's own reduction for the
    norm: Eigen's packet sum (TF), XLA's tree sum (JAX), ATen's cascade sum on torch's
    threads (torch_threads). clipnorm scales each array by its own norm (one set of scalars
    per array), global_clipnorm all of them by one. Under jax.jit the scale is one factor s
    (clipnorm: (1 / max(N, c)) * c) and XLA contracts g * s into the first moment
    (M_LERP_FMA_GS). On the torch backend the clip factors of float64 variables pass
    through float32, whatever the floatx (ops.maximum/minimum with a Python float return
    float32), and the square root is torch.sqrt."""
    def prepare(hp, grads):
        if backend in ("jax", "jax_eager"):
            xla_norms_reproduced(framework, backend, hp, [g.shape for g in grads])
        if hp.get("clipnorm"):
            return {"_each": [{"_clip_scale": _clipnorm(backend, hp, g)} for g in grads]}
        f32 = grads[0].dtype == np.float32
        Tt = T(f32)
        n = _root(backend, hp, f32, _total(backend, hp, np.array(
            [_total(backend, hp, g * g) for g in grads], Tt)))     # sum(stack(sums))
        c = Tt(hp["global_clipnorm"])
        if backend == "torch" and not f32:
            m = F(min(Tt(1.0) / n, 1.0 / hp["global_clipnorm"]))
            scale = Tt(F(hp["global_clipnorm"]) * m) + (n - n)
        else:
            scale = (c * min(Tt(1.0) / n, Tt(1.0 / hp["global_clipnorm"]))) + (n - n)
        return {"_clip_scale": {"gmul": scale}}
    return prepare


def _total(backend, hp, x):
    """ops.sum of an array: the backend's own reduction."""
    f32 = x.dtype == np.float32
    if backend in _TF_LIKE:
        return sum_eigen(x.reshape(-1), f32, int(hp["tf_threads"]))
    if backend in ("jax", "jax_eager"):
        return sum_xla(x, f32)
    return sum_aten(x.reshape(-1), f32, int(hp["torch_threads"]))


def _root(backend, hp, f32, x):
    return T(f32)(mkl_sqrt(float(x), f32, hp)) if backend == "torch" else np.sqrt(T(f32)(x))


def _clipnorm(backend, hp, g):
    """One array's clipnorm factors: g * c / max(norm(g), c) as each backend rounds it."""
    f32 = g.dtype == np.float32
    Tt = T(f32)
    n = _root(backend, hp, f32, _total(backend, hp, g * g))
    c = Tt(hp["clipnorm"])
    d = max(n, c)
    if backend == "jax_eager":        # x / max(...) became x * (1 / max(...))
        return {"gmul": c, "gdiv": Tt(1.0) / d}
    if backend == "jax":              # jit: (g * c) * (1 / max) -> g * ((1 / max) * c)
        return {"gmul": (Tt(1.0) / d) * c}
    if backend == "torch" and not floatx64(hp):   # ops.multiply: c a floatx tensor
        c = Tt(F(hp["clipnorm"]))
    return {"gmul": c, "gdiv": Tt(F(d)) if backend == "torch" and not f32 else d}


def xla_norms_reproduced(framework, backend, hp, shapes):
    """Refuse the clip norms whose XLA reduction is not reproduced (jaxlib 0.10.2, measured):
    arrays of XLA_YNN_MIN elements or more (YNNPACK sums them), with two or more dimensions
    longer than 32 (2-D windows), and under jit with no dimension longer than 32 (the square
    is fused into the sum and contracted: fma accumulation, unrolled)."""
    for shape in shapes:
        size, long_dims = int(np.prod(shape)), sum(d > 32 for d in shape)
        why = ("XLA hands it to YNNPACK" if size >= XLA_YNN_MIN
               else "XLA sums it in 2-D windows" if long_dims > 1
               else "XLA fuses the square into the sum" if backend == "jax" and not long_dims
               else None)
        if why:
            raise refuse(framework, "adam", f"the clip norm of an array of shape {shape} is "
                         f"not reproduced ({why})")


# The Adam rows of each backend: m, v and the epsilon-hat denominator, and the form of
# the decoupled weight decay.
_ADAM_OPS = {
    "tensorflow": ({"first": V.M_LERP, "second": V.V_LERP, "ftz": 1}, V.DECOUPLED_SUBMUL),
    "tensorflow_eager": ({"first": V.M_LERP, "second": V.V_LERP, "ftz": 1},
                         V.DECOUPLED_SUBMUL),
    "jax": ({"first": V.M_LERP_FMA, "second": V.V_LERP_FMA2, "ftz": 1}, V.DECOUPLED_FMA),
    "jax_eager": ({"first": V.M_LERP, "second": V.V_LERP, "ftz": 1}, V.DECOUPLED_SUBMUL),
    "torch": ({"first": V.M_SCAL_FMA, "second": V.V_SCAL_FMA, "sqrt_kind": V.SQRT_MKL_EX},
              V.DECOUPLED_MUL),
    "tf_keras": ({"first": V.M_LERP, "second": V.V_LERP, "ftz": 1}, V.DECOUPLED_SUBMUL),
}


def check_floatx(hp):
    if "floatx" in hp:
        check_choice("keras", "floatx", hp["floatx"], ("float32", "float64"))


def adam_rule(backend, framework):
    base, decay = _ADAM_OPS[backend]
    scalars, prepare_clip = adam_recipe(backend), clip_prepare(backend, framework)

    def rule(hp):
        check_floatx(hp)
        ops = {**base, "denom": V.D_SQRT_EPS, "amsgrad": int(bool(hp["amsgrad"]))}
        if backend == "torch":                       # MKL's sqrt
            ops.update(estimate_ops("keras_torch", hp))
        prepare = None
        if hp["weight_decay"]:
            ops["decoupled"] = decay
        if hp["clipvalue"]:
            ops["grad_clip"] = V.GCLIP_VALUE
        if hp["clipnorm"]:
            ops["grad_scale"] = {"jax_eager": V.GSCALE_MULMUL, "jax": V.GSCALE_MUL}.get(
                backend, V.GSCALE_MULDIV)
            prepare = prepare_clip
        if hp["global_clipnorm"]:
            ops["grad_scale"] = V.GSCALE_MUL
            prepare = prepare_clip
        if prepare is not None and backend == "jax":   # g * s contracted into m's g - m
            ops["first"] = V.M_LERP_FMA_GS
        return Rule("adam", ops, scalars, prepare=prepare,
                    scalars_each=bool(hp["clipnorm"]))   # each array its own clip factors
    return rule


def rmsprop_recipe(hp, t, lr, f32):
    Tt = T(f32)
    rho = hp["rho"]
    lr_ = Tt(lr) if floatx64(hp) else Tt(F(lr))     # the lr variable (floatx), cast to T
    return rmsprop_scalars(rho=Tt(rho), c=Tt(1.0 - rho), eps=Tt(hp["epsilon"]), lr=lr_,
                           mu=Tt(hp["momentum"]), clip=Tt(hp.get("clipvalue") or 0.0))


def rsqrt_tf_split(n, f32):
    """TensorFlow's Rsqrt kernel: packets of 8 floats take Eigen's approximate prsqrt, the
    rest of the array 1 / sqrt; float64 has no approximate path (all IEEE)."""
    return n & -8 if f32 else n


# RMSprop per backend: (base ops, centered ops, momentum ops, tail ops). Eagerly the
# update is the written one; under tf.function and jax.jit, Grappler and XLA replace
# x / sqrt(den) by x * rsqrt(den), an approximate reciprocal square root built on the
# CPU's rsqrtss estimate.
_RMSPROP_OPS = {
    "tensorflow_eager": ({"square": V.MS_AXPBY, "denom": V.RD_SQRT_EPS_IN, "ftz": 1},
                         {"center": V.C_AXPBY}, {"momentum": V.MOM_ACC}, None),
    "jax_eager": ({"square": V.MS_AXPBY, "denom": V.RD_SQRT_EPS_IN, "ftz": 1},
                  {"center": V.C_AXPBY}, {"momentum": V.MOM_ACC}, None),
    "torch": ({"square": V.MS_SCAL_FMA, "denom": V.RD_SQRT_EPS_IN, "sqrt_kind": V.SQRT_MKL_EX},
              {"center": V.C_SCAL_FMA, "denom": V.RD_EPS_SUB_SQRT}, {"momentum": V.MOM_ACC},
              None),
    "tensorflow": ({"square": V.MS_AXPBY, "step": V.RU_X_RSQRT_TF, "ftz": 1},
                   {"center": V.C_AXPBY, "variance": V.VAR_SUB_EPS}, {"momentum": V.MOM_ACC},
                   {"step": V.RU_X_RSQRT_IEEE}),
    "tf_keras": ({"square": V.MS_AXPBY, "step": V.RU_G_LRRSQRT_TF, "ftz": 1},
                 {"center": V.C_AXPBY}, {"momentum": V.MOM_ACC},
                 {"step": V.RU_G_LRRSQRT_IEEE}),
    "jax": ({"square": V.MS_AXPBY_FMA, "step": V.RU_X_RSQRT_XLA, "momentum": V.MOM_FMA_XRS,
             "ftz": 1},
            {"center": V.C_AXPBY_FMA, "variance": V.VAR_FMA}, {"momentum": V.MOM_ACC_FMA2},
            None),
}


#: the backends whose RMSprop computes with the rsqrtps estimate
_ESTIMATING = ("torch", "tensorflow", "tf_keras", "jax")


def rmsprop_rule(backend, framework):
    base, centered, momentum, tail = _RMSPROP_OPS[backend]

    def rule(hp):
        check_floatx(hp)
        if hp["weight_decay"] or hp["clipnorm"] or hp["global_clipnorm"]:
            raise refuse(framework, "rmsprop",
                         "weight_decay, clipnorm and global_clipnorm with RMSprop are not "
                         "reproduced yet")
        ops = dict(base)
        if backend in _ESTIMATING:                   # MKL's sqrt, Eigen's or XLA's rsqrt
            ops.update(estimate_ops(framework, hp))
        if backend == "jax":
            ops.update(xla_ops(framework, hp))
        if hp["clipvalue"]:
            ops["grad_clip"] = V.GCLIP_VALUE
        if hp["momentum"]:
            ops.update(momentum)
        if hp["centered"]:
            ops.update(centered)
        if tail is None:
            return Rule("rmsprop", ops, rmsprop_recipe)
        return Rule("rmsprop", ops, rmsprop_recipe, tail_ops=tail, split=rsqrt_tf_split)
    return rule


ADAM_DEFAULTS = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                 "amsgrad": False, "weight_decay": None, "clipnorm": None, "clipvalue": None,
                 "global_clipnorm": None}
RMSPROP_DEFAULTS = {"learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                    "centered": False, "weight_decay": None, "clipnorm": None,
                    "clipvalue": None, "global_clipnorm": None}
ADAM_ALIASES = {"lr": "learning_rate", "betas": ("beta_1", "beta_2"), "eps": "epsilon",
                "weight_decay": "weight_decay"}
RMSPROP_ALIASES = {"lr": "learning_rate", "alpha": "rho", "eps": "epsilon"}
RMSPROP_STATES = {"velocity": "ms", "average_gradient": "mg", "momentum": "mom"}
#: Keras's keywords that change no bits of the update (EMA off, no accumulation).
#: keywords without numerics here: the EMA's settings while use_ema is off, the name, the
#: compile switch (tf_keras compiles the update with XLA only on a GPU) and get_config's marker
IGNORED = frozenset({"name", "ema_momentum", "ema_overwrite_frequency", "jit_compile",
                     "is_legacy_optimizer"})
#: keywords that change the numerics, reproduced at their defaults only: the weights' EMA,
#: gradient accumulation and loss scaling
ONLY_DEFAULT = {"use_ema": False, "gradient_accumulation_steps": None,
                "loss_scale_factor": None}
#: Keras 3 names the Adam slots momentum/velocity/velocity_hat, tf_keras m/v/vhat
ADAM_STATES = {"m": "m", "v": "v", "vhat": "vhat", "momentum": "m", "velocity": "v",
               "velocity_hat": "vhat"}
_VARIANTS = ({"amsgrad": True},)


def presets(framework, backend, adam_api, rmsprop_api, module="keras.optimizers",
            version="3.15.1", only_default=ONLY_DEFAULT, adam_only_default=None, floatx=True):
    """The Adam, AdamW and RMSprop presets of one Keras backend (``module``: where its
    optimizer classes live; ``adam_only_default``: Adam's own extra keywords, reproduced at
    their defaults only; ``floatx``: the rows take Keras's keras.config.floatx() as the
    option ``floatx`` ("float32" by default, as Keras), which recordings carry in their
    metadata)."""
    common = dict(lr_name="learning_rate", ignored=IGNORED, version=version,
                  only_default=frozenset(only_default),
                  meta_keys=("floatx",) if floatx else (),
                  options=frozenset({"floatx"}) if floatx else frozenset(),
                  checks={"floatx": one_of("float32", "float64")} if floatx else {})
    adam_extra = adam_only_default or {}
    fx = {"floatx": "float32"} if floatx else {}
    adam = {**ADAM_DEFAULTS, **only_default, **fx,
            **(ESTIMATE_OPTIONS if backend == "torch" else {}),
            **({"torch_threads": TORCH_THREADS} if backend == "torch" else {}),
            **({"tf_threads": TF_THREADS} if backend in _TF_LIKE else {})}
    rms = {**RMSPROP_DEFAULTS, **only_default, **fx,
           **(ESTIMATE_OPTIONS if backend in _ESTIMATING else {}),
           **({"xla_isa": XLA_ISA} if backend == "jax" else {})}
    rms_variants = ({"momentum": 0.9}, {"centered": True}) + (
        ({"xla_isa": "AVX512"}, {"xla_isa": "AVX512", "momentum": 0.9},
         {"xla_isa": "AVX512", "centered": True}) if backend == "jax" else ())
    return (
        Preset(framework, "adam", "adam", adam_rule(backend, framework),
               defaults={**adam, **adam_extra}, aliases=ADAM_ALIASES, states=ADAM_STATES,
               api=adam_api, variants=_VARIANTS, constructor=f"{module}.Adam",
               **{**common, "only_default": common["only_default"] | set(adam_extra)}),
        Preset(framework, "adamw", "adam", adam_rule(backend, framework),
               defaults={**adam, "weight_decay": 0.004}, aliases=ADAM_ALIASES,
               states=ADAM_STATES, api=adam_api, constructor=f"{module}.AdamW", **common),
        Preset(framework, "rmsprop", "rmsprop", rmsprop_rule(backend, framework),
               defaults=rms, aliases=RMSPROP_ALIASES, states=RMSPROP_STATES,
               api=rmsprop_api, variants=rms_variants, constructor=f"{module}.RMSprop",
               **common),
    )


PRESETS = (
    presets("keras_tensorflow", "tensorflow",
            "keras.optimizers.Adam/AdamW 3.15, TF backend in tf.function (as model.fit)",
            "keras_tensorflow RMSprop (graph-rewritten: x * rsqrt(den))")
    + presets("keras_tensorflow_eager", "tensorflow_eager",
              "keras.optimizers.Adam/AdamW 3.15, TF backend, eager",
              "keras.optimizers.RMSprop 3.15 (tensorflow_eager)")
    + presets("keras_jax", "jax", "keras.optimizers.Adam/AdamW 3.15, JAX backend under jax.jit",
              "keras_jax RMSprop (graph-rewritten: x * rsqrt(den))")
    + presets("keras_jax_eager", "jax_eager", "keras.optimizers.Adam/AdamW 3.15, JAX, eager",
              "keras.optimizers.RMSprop 3.15 (jax_eager)")
    + presets("keras_torch", "torch", "keras.optimizers.Adam/AdamW 3.15, torch backend",
              "keras.optimizers.RMSprop 3.15 (torch)")
)


# -- schedules --
# keras.optimizers.schedules (Keras 3.15) as the optimizer evaluates them each step
# (``self._learning_rate(self._iterations)``, the int64 counter Cast to floatx), per backend
# and mode. Python numbers become floatx tensors; glibc powf/cosf/logf on a scalar (pow/cos/
# log in float64), flush-to-zero on TF and XLA. Under jax.jit, XLA's rewrites (``x / c``
# -> ``x * (1 / c)``, ``pow(x, 0.5)`` -> sqrt, ``pow(x, 2)`` -> ``x * x``, constants
# folded) and LLVM's fma contraction of ``a * b + c``. Evidence:
# conformance/schedules/record.py keras3 --backend ... (tests/data/schedules/keras3-*.npz).

class _KerasOps:
    """The scalar arithmetic of one backend and mode: in floatx, or on JAX with x64 in
    float64 (``ops.convert_to_tensor`` of a Python float is then float64)."""

    def __init__(self, backend, mode, floatx, x64=False):
        from ._schedules import Libm, check_dtype, ftz
        if backend not in ("tensorflow", "jax", "torch"):
            raise ValueError(f"keras backend must be tensorflow, jax or torch, not {backend!r}")
        modes = {"tensorflow": ("function", "eager"), "jax": ("jit", "eager"),
                 "torch": ("eager",)}[backend]
        mode = modes[0] if mode is None else mode
        if mode not in modes:
            raise ValueError(f"keras {backend}: mode must be one of {modes}, not {mode!r}")
        self.backend, self.mode, self.floatx = backend, mode, check_dtype(floatx)
        self.jit = mode == "jit"
        # Grappler's constant folding (tf.function) and XLA both make x / c into x * (1 / c)
        self.recip = mode in ("jit", "function")
        wide = backend == "jax" and bool(x64)
        # on TF a Python float becomes a float32 tensor whatever floatx is
        dtype = "float64" if wide else "float32" if backend == "tensorflow" else self.floatx
        self.m = Libm(dtype, flush=backend != "torch")
        self.T = self.m.T
        self.z = ftz if backend != "torch" else (lambda x: x)

    def in_cond(self):
        """The ops inside an ``ops.cond`` branch: under tf.function a branch is its own
        function, which Grappler's constant folding leaves as written."""
        if self.mode != "function":
            return self
        import copy
        inner = copy.copy(self)
        inner.recip = False
        return inner

    def cast(self, x):
        """ops.cast(python number, floatx): TF's tf.cast goes through a float32 tensor."""
        T = self.T
        if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
            return T(int(x))
        return T(F(x)) if self.backend == "tensorflow" else T(x)

    def fma(self, a, b, c):
        """a * b + c: one rounding under jit (LLVM contracts), else two."""
        if not self.jit:
            return self.z(self.z(a * b) + c)
        from ._floats import fmaT
        return self.z(fmaT(a, b, c, self.T is np.float32))

    def div_const(self, x, c):
        """x / c for a constant c: under jit x * (1 / c)."""
        return self.z(x * (self.T(1) / c)) if self.recip else self.z(x / c)

    def pow(self, x, y):
        """pow(x, constant y): XLA and Grappler make 2 a square, 0.5 a sqrt, 1 nothing."""
        if self.recip and y == 2.0:
            return self.z(x * x)
        if self.recip and y == 0.5:
            return np.sqrt(x)
        if self.recip and y == 1.0:
            return x
        return self.m.pow(x, y)


def _k_exponential(o, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                   name=None):
    T, lr, ds, rate = o.T, o.T(initial_learning_rate), o.cast(decay_steps), o.cast(decay_rate)

    def rate_at(t):
        p = o.div_const(T(t), ds)
        if staircase:
            p = np.floor(p)
        return o.z(lr * o.m.pow(rate, p))
    return rate_at


def _k_inverse_time(o, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                    name=None):
    T, lr, ds, rate = o.T, o.T(initial_learning_rate), o.cast(decay_steps), o.cast(decay_rate)

    def rate_at(t):
        if o.jit and not staircase:       # rate * (t * (1 / ds)) -> t * (rate * (1 / ds))
            return o.z(lr / o.fma(T(t), o.z(rate * (T(1) / ds)), T(1)))
        p = o.div_const(T(t), ds)
        if staircase:
            p = np.floor(p)
        return o.z(lr / o.fma(rate, p, T(1)))
    return rate_at


def _k_polynomial(o, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                  cycle=False, name=None):
    T, lr = o.T, o.T(initial_learning_rate)
    end, pw, ds = o.cast(end_learning_rate), o.cast(power), o.cast(decay_steps)
    span = o.z(lr - end)

    def rate_at(t):
        gs = T(t)
        if cycle:
            mult = T(1) if gs == 0 else np.ceil(o.div_const(gs, T(decay_steps)))
            steps = o.z(ds * mult)
            one_minus_p = T(1) - o.z(gs / steps)
        else:
            gs = min(gs, ds)
            one_minus_p = o.fma(-gs, T(1) / ds, T(1)) if o.jit else T(1) - o.div_const(gs, ds)
        return o.fma(span, o.pow(one_minus_p, pw), end)
    return rate_at


def _k_cos_arg(o, x, n):
    """pi * (x / n): XLA and Grappler make it x * (pi * (1 / n)) (constants pushed down)."""
    T = o.T
    if o.recip:
        return o.z(x * (T(np.pi) * (T(1) / n)))
    return o.z(T(np.pi) * o.z(x / n))


def _k_cosine(o, initial_learning_rate, decay_steps, alpha=0.0, name=None, warmup_target=None,
              warmup_steps=0):
    T, lr, ds = o.T, o.T(initial_learning_rate), o.cast(decay_steps)
    a1, al = T(1 - alpha), T(alpha)

    def decay(x, n, start):
        c1 = o.z(T(1) + o.m.cos(_k_cos_arg(o, x, n)))
        if o.recip:                      # (1 - alpha) * (0.5 * c1): constants pushed down
            return o.z(start * o.fma(o.z(a1 * T(0.5)), c1, al))
        return o.z(start * o.fma(a1, o.z(T(0.5) * c1), al))
    if warmup_target is None:
        return lambda t: decay(min(T(t), ds), ds, lr)
    wt, ws = o.cast(warmup_target), o.cast(warmup_steps)
    delta = o.z(wt - lr)
    o = o.in_cond()

    def rate_at(t):
        gs = min(T(t), o.z(ds + ws))
        if gs < ws:
            if o.jit:                    # delta * (gs * (1 / ws)) -> gs * (delta * (1 / ws))
                return o.fma(gs, o.z(delta * (T(1) / ws)), lr)
            return o.fma(delta, o.z(gs / ws), lr)
        return decay(o.z(gs - ws), ds, wt)
    return rate_at


def _k_restarts(o, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                name=None):
    T, m, lr = o.T, o.m, o.T(initial_learning_rate)
    fds, al, tm, mm = (o.cast(x) for x in (first_decay_steps, alpha, t_mul, m_mul))
    one = T(1)
    one_m_tm = o.z(one - tm)

    c = o.in_cond()

    def rate_at(t):
        cf = o.div_const(T(t), fds)
        if tm == one:
            i = np.floor(cf)
            cf = c.z(cf - i)
        else:
            i = np.floor(c.div_const(m.log(c.fma(-cf, one_m_tm, one)), m.log(tm)))
            sum_r = c.div_const(c.z(one - m.pow(tm, i)), one_m_tm)
            cf = c.z(c.z(cf - sum_r) / m.pow(tm, i))
        b = one + m.cos(o.z(T(np.pi) * cf))
        if o.recip:          # (1 - alpha) * ((0.5 * m_fac) * b) -> ((1 - alpha) * 0.5) * m_fac * b
            return o.z(lr * o.fma(o.z(o.z(o.z(one - al) * T(0.5)) * m.pow(mm, i)), b, al))
        cd = o.z(o.z(T(0.5) * m.pow(mm, i)) * b)
        return o.z(lr * o.fma(o.z(one - al), cd, al))
    return rate_at


def _k_piecewise(o, boundaries, values, name=None):
    if len(boundaries) != len(values) - 1:
        raise ValueError("PiecewiseConstantDecay needs one boundary fewer than values")
    bs, vs = [int(b) for b in boundaries], [o.T(v) for v in values]

    def rate_at(t):
        for b, v in zip(bs, vs):
            if t <= b:
                return v
        return vs[-1]
    return rate_at


KERAS_SCHEDULES = {"ExponentialDecay": _k_exponential, "InverseTimeDecay": _k_inverse_time,
                   "PolynomialDecay": _k_polynomial, "CosineDecay": _k_cosine,
                   "CosineDecayRestarts": _k_restarts, "PiecewiseConstantDecay": _k_piecewise}


def keras_schedule(cls, config, backend="tensorflow", mode=None, floatx="float32", x64=False):
    """The rate function of ``keras.optimizers.schedules.<cls>(**config)`` (``config`` as
    ``get_config()`` gives it) on ``backend``, run as ``mode`` (TF: "function" or "eager";
    JAX: "jit" or "eager"; torch: "eager"; default: as the backend's trainer runs it): the
    value a variable of dtype ``floatx`` is updated with (``x64``: JAX's jax_enable_x64,
    under which the schedule runs in float64 and is then cast, flushing, to floatx)."""
    if cls not in KERAS_SCHEDULES:
        raise ValueError(f"keras: no schedule {cls!r}; known: {sorted(KERAS_SCHEDULES)}")
    if backend == "torch" and cls in ("CosineDecay", "CosineDecayRestarts"):
        raise PresetError(f"keras {cls} on the torch backend: torch.cos runs MKL's vmsCos/"
                          "vmdCos (not glibc's cos; about 3% of float32 values differ by an "
                          "ulp), which adamkit does not reproduce")
    if backend == "jax" and cls in ("CosineDecay", "CosineDecayRestarts"):
        raise PresetError(f"keras {cls} on the JAX backend is not reproduced yet: Keras' "
                          "ops.cos/floor cast to floatx inside a float64 (x64) schedule, and "
                          "ops.cond compiles its branches with XLA even eagerly")
    o = _KerasOps(backend, mode, floatx, x64)
    fn = KERAS_SCHEDULES[cls](o, **config)
    if o.T is np.float32 or o.floatx == "float64":       # the value, cast exactly to floatx
        return lambda t: float(fn(int(t)))
    from ._schedules import ftz
    return lambda t: float(ftz(F(fn(int(t)))))


# -- from the framework's object ------------------------------------------------------------

_CLASSES = {"Adam": "adam", "AdamW": "adamw", "RMSprop": "rmsprop"}
_MODES = {("tensorflow", True): "function", ("tensorflow", False): "eager",
          ("jax", True): "jit", ("jax", False): "eager", ("torch", True): "eager",
          ("torch", False): "eager"}


def from_framework(obj, setting):
    """A Keras 3 ``keras.optimizers.Adam``/``AdamW``/``RMSprop``: its ``get_config()``
    (a ``LearningRateSchedule`` included), the backend and ``keras.config.floatx()`` in
    force, and whether the training step is traced (``setting.traced``: tf.function or
    jax.jit, as ``model.fit`` runs it, or eager; not asked on the torch backend)."""
    import keras  # the user's: already imported
    if not keras.__version__.startswith("3.") or not isinstance(obj, keras.optimizers.Optimizer):
        return None
    name = type(obj).__name__
    optimizer = _CLASSES.get(name)
    if optimizer is None:
        raise PresetError(f"keras.optimizers.{name} has no adamkit preset "
                          f"(it has {sorted(_CLASSES)})")
    backend = keras.backend.backend()
    traced = True if backend == "torch" else setting.need_traced(f"Keras on {backend}")
    framework = f"keras_{backend}" + ("" if traced or backend == "torch" else "_eager")
    floatx = keras.config.floatx()
    config = {k: v for k, v in obj.get_config().items() if k != "name"}
    lr = config["learning_rate"]
    if setting.learning_rate is not None:
        config["learning_rate"] = setting.learning_rate
    elif isinstance(lr, dict):                  # a serialized LearningRateSchedule
        x64 = False
        if backend == "jax":
            import jax
            x64 = bool(jax.config.jax_enable_x64)
        from .._schedules_fw import keras as _namespace
        config["learning_rate"] = _namespace.from_config(
            {"class": lr["class_name"], "config": lr["config"], "backend": backend,
             "mode": _MODES[(backend, traced)], "floatx": floatx, "x64": x64})
    if floatx != "float32":
        config["floatx"] = floatx
    return framework, optimizer, config
