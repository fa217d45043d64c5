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
from ._floats import F, T, adam_scalars, ftz, mkl_sqrt, powT, rmsprop_scalars
from ._preset import Preset, refuse
from ._reductions import XLA_YNN_MIN, sum_aten, sum_eigen, sum_xla

_TF_LIKE = ("tensorflow", "tensorflow_eager", "tf_keras")


def powers(b1, b2, t, f32, flush):
    """0-d tf.pow / jnp.power / torch.pow of a float32 beta = glibc powf (TF and XLA also
    flush subnormal results); float64: glibc pow."""
    p1, p2 = powT(b1, float(t), f32), powT(b2, float(t), f32)
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
        root = (Tt(mkl_sqrt(float(one - b2p), f32, hp)) if backend == "torch"
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
    "jax": ({"first": V.M_LERP_FMA, "second": V.V_LERP_FMA2}, V.DECOUPLED_FMA),
    "jax_eager": ({"first": V.M_LERP, "second": V.V_LERP}, V.DECOUPLED_SUBMUL),
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
    "jax_eager": ({"square": V.MS_AXPBY, "denom": V.RD_SQRT_EPS_IN},
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
    "jax": ({"square": V.MS_AXPBY_FMA, "step": V.RU_X_RSQRT_XLA, "momentum": V.MOM_FMA_XRS},
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
                         "weight_decay/clipnorm with RMSprop are not reproduced yet")
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
IGNORED = frozenset({"name", "ema_momentum", "ema_overwrite_frequency", "use_ema",
                     "gradient_accumulation_steps", "loss_scale_factor", "jit_compile",
                     "is_legacy_optimizer"})
_VARIANTS = ({"amsgrad": True},)


def presets(framework, backend, adam_api, rmsprop_api, floatx=True):
    """Keras 3's Adam, AdamW and RMSprop on one backend; ``floatx``: the rows take Keras's
    keras.config.floatx() as the option ``floatx`` ("float32" by default, as Keras), which
    recordings carry in their metadata."""
    common = dict(lr_name="learning_rate", ignored=IGNORED,
                  meta_keys=("floatx",) if floatx else ())
    fx = {"floatx": "float32"} if floatx else {}
    adam = {**ADAM_DEFAULTS, **fx, **(ESTIMATE_OPTIONS if backend == "torch" else {}),
            **({"torch_threads": TORCH_THREADS} if backend == "torch" else {}),
            **({"tf_threads": TF_THREADS} if backend in _TF_LIKE else {})}
    rms = {**RMSPROP_DEFAULTS, **fx, **(ESTIMATE_OPTIONS if backend in _ESTIMATING else {}),
           **({"xla_isa": XLA_ISA} if backend == "jax" else {})}
    rms_variants = ({"momentum": 0.9}, {"centered": True}) + (
        ({"xla_isa": "AVX512"}, {"xla_isa": "AVX512", "momentum": 0.9},
         {"xla_isa": "AVX512", "centered": True}) if backend == "jax" else ())
    return (
        Preset(framework, "adam", "adam", adam_rule(backend, framework), defaults=adam,
               aliases=ADAM_ALIASES, states={"m": "m", "v": "v", "vhat": "vhat"},
               api=adam_api, variants=_VARIANTS, **common),
        Preset(framework, "adamw", "adam", adam_rule(backend, framework),
               defaults={**adam, "weight_decay": 0.004}, aliases=ADAM_ALIASES,
               states={"m": "m", "v": "v", "vhat": "vhat"}, api=adam_api, **common),
        Preset(framework, "rmsprop", "rmsprop", rmsprop_rule(backend, framework),
               defaults=rms, aliases=RMSPROP_ALIASES, states=RMSPROP_STATES,
               api=rmsprop_api, variants=rms_variants, **common),
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
