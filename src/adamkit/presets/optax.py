"""optax 0.2.8 on JAX/jaxlib 0.10.2 (CPU): ``optax.adam``, ``nadam``, ``adamw``, ``adamax``
and ``rmsprop``, under ``jax.jit`` (the default, ``jit=True``) or eager.

XLA turns ``x / (1 - b^t)`` into ``x * (1 / (1 - b^t))`` (jit and eager) when one array is
updated; with several (a model's parameters), ``1 - b^t`` has one user per array and the
division stays, under jit folded into the step's denominator: ``m / ((1 - b1^t) * d)``
(``optax.tree.bias_correction`` is itself jitted, so eager updates divide too). The rule
depends on the arrays updated together (``per_arrays``). Under jit LLVM contracts the step
into FMAs; ``b^t`` is powf of the float32 beta. ``jax.lax.rsqrt`` is the CPU's rsqrtss
estimate plus one FMA Newton step in float32 (``estimate``), and in float64 1/sqrt or, where
XLA compiles for AVX-512 (``xla_isa``), vrsqrt14pd plus two. Evidence:
conformance/notes/optax-recipes.md, 0-ULP replays of the live recordings.
"""

from .. import _vocab as V
from .._rules import Rule
from ._context import ESTIMATE_OPTIONS, XLA_ISA, estimate_ops, xla_ops
from ._floats import T, adam_scalars, powT, rmsprop_scalars
from ._preset import Preset, refuse


def _bc(b, t, f32):
    """1 / (1 - b^t) as XLA computes it: b^t = powf(r32(b), (float)t) (pow in float64)."""
    Tt = T(f32)
    return Tt(1.0) / (Tt(1.0) - powT(Tt(b), Tt(t), f32))


def _adam_scalars(hp, t, lr, f32):
    Tt = T(f32)
    b1, b2 = hp["b1"], hp["b2"]
    return adam_scalars(b1=Tt(b1), c1=Tt(1.0 - b1), b2=Tt(b2), c2=Tt(1.0 - b2),
                        eps=Tt(hp["eps"]), eps_root=Tt(hp.get("eps_root", 0.0)),
                        alpha=_bc(b1, t, f32), bc1=_bc(b1, t, f32), bc1n=_bc(b1, t + 1, f32),
                        bc2=_bc(b2, t, f32), s=Tt(lr), k=Tt(hp.get("weight_decay", 0.0)))


def _adam_scalars_div(hp, t, lr, f32):
    """Several arrays: the bias corrections themselves, 1 - b^t, which the step divides by."""
    Tt = T(f32)
    b1, b2 = hp["b1"], hp["b2"]

    def bc(b, t):
        return Tt(1.0) - powT(Tt(b), Tt(t), f32)
    return adam_scalars(b1=Tt(b1), c1=Tt(1.0 - b1), b2=Tt(b2), c2=Tt(1.0 - b2),
                        eps=Tt(hp["eps"]), eps_root=Tt(hp.get("eps_root", 0.0)),
                        bc1=bc(b1, t), bc1n=bc(b1, t + 1), bc2=bc(b2, t), s=Tt(lr),
                        k=Tt(hp.get("weight_decay", 0.0)))


def several(hp):
    """Whether XLA sees several arrays in one update: then 1 - b^t has several users and
    stays a divisor (one array: it becomes the reciprocal multiplier 1 / (1 - b^t))."""
    arrays = hp.get("_arrays")
    return arrays is not None and len(arrays) > 1


def _rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    d = hp["decay"]
    return rmsprop_scalars(rho=Tt(d), c=Tt(1.0 - d), eps=Tt(hp["eps"]), lr=Tt(lr),
                           mu=Tt(hp["momentum"] or 0.0))


def _adam_rule(optimizer):
    def rule(hp):
        jit = hp["jit"]
        if hp.get("mu_dtype") is not None:
            raise refuse("optax", optimizer, "mu_dtype is not supported")
        if hp.get("mask") is not None:
            raise refuse("optax", optimizer, "mask is not supported")
        if jit:
            ops = {"first": V.M_SCAL_FMA, "second": V.V_SCAL_FMA, "denom": V.D_MULBC_SQRT_EPS,
                   "apply": V.P_ADDWD_FMA if optimizer == "adamw" else V.P_FMA}
        else:
            ops = {"first": V.M_AXPBY, "second": V.V_AXPBY, "denom": V.D_MULBC_SQRT_EPS,
                   "apply": V.P_ADDWD_SUB if optimizer == "adamw" else V.P_SUB_SCALED}
        if several(hp):          # m / ((1 - b1^t) * d) under jit, (m / (1 - b1^t)) / d eager
            ops.update(denom=V.D_BC_SQRT_EPS, step=V.U_DIV_BC if jit else V.U_BC_DIV)
            if hp.get("nesterov"):
                ops.update(numer=V.NUM_NADAM_DIV_FMA if jit else V.NUM_NADAM_DIV, step=V.U_DIV)
            return Rule("adam", ops, _adam_scalars_div)
        if hp.get("eps_root"):   # v * (1 / (1 - b2^t)) + eps_root: contracted under jit
            ops["denom"] = V.D_FMABC_SQRT_EPS if jit else V.D_MULBC_EPSR_SQRT_EPS
        if hp.get("nesterov"):
            ops.update(numer=V.NUM_NADAM_FMA if jit else V.NUM_NADAM, step=V.U_DIV)
        return Rule("adam", ops, _adam_scalars)
    return rule


def _adamax_rule(hp):
    if hp["jit"]:
        ops = {"first": V.M_SCAL_FMA, "apply": V.P_FMA}
    else:
        ops = {"first": V.M_AXPBY, "apply": V.P_SUB_SCALED}
    ops.update(second=V.V_MAX_EPS, denom=V.D_NONE)
    if several(hp):
        ops["step"] = V.U_DIV_BC if hp["jit"] else V.U_BC_DIV
        return Rule("adam", ops, _adam_scalars_div)
    return Rule("adam", ops, _adam_scalars)


def _rmsprop_rule(hp):
    if hp["bias_correction"] or hp["nesterov"]:
        raise refuse("optax", "rmsprop", "bias_correction and nesterov are not supported")
    jit = hp["jit"]
    ops = {"square": V.MS_SCAL_FMA if jit else V.MS_AXPBY}
    if hp["eps_in_sqrt"]:
        ops.update(step=V.RU_RSQRT_MUL, **estimate_ops("optax", hp), **xla_ops("optax", hp))
    else:
        ops.update(denom=V.RD_SQRT_EPS, step=V.RU_RECIP_MUL)
    if hp["centered"]:
        ops.update(center=V.C_SCAL_FMA, variance=V.VAR_FMA) if jit else ops.update(
            center=V.C_AXPBY, variance=V.VAR_SUB)
    if hp["momentum"]:
        ops["momentum"] = V.MOM_TRACE_FMA if jit else V.MOM_TRACE
    else:
        ops["momentum"] = V.MOM_FMA if jit else V.MOM_SCALED
    return Rule("rmsprop", ops, _rmsprop_scalars)


_ADAM = {"learning_rate": None, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "eps_root": 0.0,
         "mu_dtype": None, "nesterov": False, "jit": True}
_ALIASES = {"lr": "learning_rate", "betas": ("b1", "b2"), "eps": "eps"}
_STATES = {"mu": "m", "nu": "v"}
#: two arrays: the rows of several arrays get their specialised loops too
_SEVERAL = ((2,), (2,))
_COMMON = dict(required=("learning_rate",), lr_name="learning_rate", states=_STATES,
               meta_keys=("jit",), per_arrays=True,
               variants=({"jit": False}, {"_arrays": _SEVERAL},
                         {"jit": False, "_arrays": _SEVERAL}))

PRESETS = (
    Preset("optax", "adam", "adam", _adam_rule("adam"), defaults=_ADAM, aliases=_ALIASES,
           api="optax.adam (jax.jit by default; jit=False: eager)", **_COMMON),
    Preset("optax", "nadam", "adam", _adam_rule("nadam"), defaults={**_ADAM, "nesterov": True},
           aliases=_ALIASES, api="optax.nadam = optax.adam(nesterov=True)", **_COMMON),
    Preset("optax", "adamw", "adam", _adam_rule("adamw"),
           defaults={**_ADAM, "weight_decay": 1e-4, "mask": None},
           aliases={**_ALIASES, "weight_decay": "weight_decay"}, api="optax.adamw", **_COMMON),
    Preset("optax", "adamax", "adam", _adamax_rule,
           defaults={"learning_rate": None, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "jit": True},
           aliases=_ALIASES, api="optax.adamax", **_COMMON),
    Preset("optax", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"learning_rate": None, "decay": 0.9, "eps": 1e-8, "initial_scale": 0.0,
                     "eps_in_sqrt": True, "centered": False, "momentum": None,
                     "nesterov": False, "bias_correction": False, "jit": True,
                     **ESTIMATE_OPTIONS, "xla_isa": XLA_ISA},
           aliases={"lr": "learning_rate", "alpha": "decay", "eps": "eps",
                    "initial_accumulator": "initial_scale"},
           initial_state="initial_scale",
           api="optax.rmsprop (rsqrt: XLA's, per CPU and instruction set)",
           **{**_COMMON, "states": {"nu": "ms", "mu": "mg", "trace": "mom"},
              "per_arrays": False, "variants": ({"jit": False}, {"xla_isa": "AVX512"})}),
)
