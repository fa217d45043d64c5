"""optax 0.2.8 on JAX/jaxlib 0.10.2 (CPU): ``optax.adam``, ``nadam``, ``adamw``, ``adamax``
and ``rmsprop``, under ``jax.jit`` (the default, ``jit=True``) or eager.

XLA turns ``x / (1 - b^t)`` into ``x * (1 / (1 - b^t))`` (jit and eager) when one array is
updated; with several (a model's parameters), ``1 - b^t`` has one user per array and the
division stays, under jit folded into the step's denominator: ``m / ((1 - b1^t) * d)``
(``optax.tree.bias_correction`` is itself jitted, so eager updates divide too). The rule
depends on the arrays updated together (``per_arrays``). Under jit LLVM contracts the step
into FMAs; ``b^t`` is powf of the float32 beta. ``jax.lax.rsqrt`` is the CPU's rsqrtss
estimate plus one FMA Newton step in float32 (``estimate``), and in float64 1/sqrt or, where
XLA compiles for AVX-512 (``xla_isa``), vrsqrt14pd plus two. XLA's CPU code runs with
flush-to-zero and denormals-are-zero (jit and eager): every row runs with ``ftz``. Evidence:
conformance/notes/optax-recipes.md, 0-ULP replays of the live recordings.
"""

from .. import _vocab as V
from .._rules import Rule
from ._context import ESTIMATE_OPTIONS, XLA_ISA, estimate_ops, xla_ops
from ._floats import T, adam_scalars, powT, rmsprop_scalars
from ._preset import Preset, PresetError, refuse

#: XLA's CPU code runs with flush-to-zero and denormals-are-zero (MXCSR FTZ | DAZ), jit and
#: eager, float32 and float64: a subnormal result is a zero of its sign, a subnormal operand
#: reads as zero (jnp: 1e-20 * 1e-20 == 0 in float32; 1e-40 * 2 == 0)
XLA_FTZ = {"ftz": 1}


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
        ops.update(XLA_FTZ)
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
    ops.update(second=V.V_MAX_EPS, denom=V.D_NONE, **XLA_FTZ)
    if several(hp):
        ops["step"] = V.U_DIV_BC if hp["jit"] else V.U_BC_DIV
        return Rule("adam", ops, _adam_scalars_div)
    return Rule("adam", ops, _adam_scalars)


def _rmsprop_rule(hp):
    if hp["bias_correction"] or hp["nesterov"]:
        raise refuse("optax", "rmsprop", "bias_correction and nesterov are not supported")
    jit = hp["jit"]
    ops = {"square": V.MS_SCAL_FMA if jit else V.MS_AXPBY, **XLA_FTZ}
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
               meta_keys=("jit",), per_arrays=True, version="0.2.8",
               options=frozenset({"jit"}),
               variants=({"jit": False}, {"_arrays": _SEVERAL},
                         {"jit": False, "_arrays": _SEVERAL}))

PRESETS = (
    Preset("optax", "adam", "adam", _adam_rule("adam"), defaults=_ADAM, aliases=_ALIASES,
           api="optax.adam (jax.jit by default; jit=False: eager)", constructor="optax.adam",
           **_COMMON),
    Preset("optax", "nadam", "adam", _adam_rule("nadam"), defaults={**_ADAM, "nesterov": True},
           aliases=_ALIASES, api="optax.nadam = optax.adam(nesterov=True)",
           constructor="optax.nadam", **_COMMON),
    Preset("optax", "adamw", "adam", _adam_rule("adamw"),
           defaults={**_ADAM, "weight_decay": 1e-4, "mask": None},
           aliases={**_ALIASES, "weight_decay": "weight_decay"}, api="optax.adamw",
           constructor="optax.adamw", **_COMMON),
    Preset("optax", "adamax", "adam", _adamax_rule,
           defaults={"learning_rate": None, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "jit": True},
           aliases=_ALIASES, api="optax.adamax", constructor="optax.adamax", **_COMMON),
    Preset("optax", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"learning_rate": None, "decay": 0.9, "eps": 1e-8, "initial_scale": 0.0,
                     "eps_in_sqrt": True, "centered": False, "momentum": None,
                     "nesterov": False, "bias_correction": False, "jit": True,
                     **ESTIMATE_OPTIONS, "xla_isa": XLA_ISA},
           aliases={"lr": "learning_rate", "alpha": "decay", "eps": "eps",
                    "initial_accumulator": "initial_scale"},
           initial_state="initial_scale",
           api="optax.rmsprop (rsqrt: XLA's, per CPU and instruction set)",
           constructor="optax.rmsprop",
           **{**_COMMON, "states": {"nu": "ms", "mu": "mg", "trace": "mom"},
              "per_arrays": False, "variants": ({"jit": False}, {"xla_isa": "AVX512"})}),
)


# -- schedules --
import numpy as np  # noqa: E402

from ._floats import fma_, fmaf  # noqa: E402

# optax 0.2.8 schedules as ``scale_by_learning_rate`` evaluates them: on the int32 count
# of ``scale_by_schedule``, in JAX's dtypes, the value then cast to the updates' dtype.
# jnp.power/jnp.cos of a scalar are glibc's powf/cosf (pow/cos in float64), eagerly and
# under jit. Dtypes: ``count / n`` (true_divide of int32) is float32 even with x64, so
# exponential_decay, polynomial_schedule and linear_schedule are float32 throughout;
# ``jnp.minimum(count, float)`` and ``jnp.maximum(0.0, sign(.))`` are the default float
# (float64 with x64), weakly typed: cosine_decay_schedule and piecewise_constant_schedule
# (and a constant), which ``join_schedules``' ``jnp.where`` rounds to float32 when another
# piece is float32. Under jit XLA turns ``x / constant`` into ``x * (1 / constant)``,
# ``(pi * c) / n`` into ``c * (pi * (1 / n))``, ``x ** 0.5`` into sqrt, ``x ** 2.0`` into
# x * x, and LLVM contracts ``a * b + c`` and ``c - a * b`` into fmas. Evidence:
# conformance/schedules/record.py optax_sched [--x64] (tests/data/schedules/optax_sched*.npz).

class _OptaxOps:
    def __init__(self, jit, x64):
        from ._schedules import Libm
        self.jit = bool(jit)
        self.f32, self.dflt = Libm("float32"), Libm("float64" if x64 else "float32")

    def fma(self, a, b, c):
        if not self.jit:
            return a * b + c
        T = type(a)
        return T(fmaf(float(a), float(b), float(c))) if T is np.float32 else \
            np.float64(fma_(float(a), float(b), float(c)))

    def div_const(self, x, k):
        T = type(x)
        return x * (T(1) / T(k)) if self.jit else x / T(k)


def optax_exponential_decay(init_value, transition_steps, decay_rate, transition_begin=0,
                            staircase=False, end_value=None, *, jit=True, x64=False):
    o = _OptaxOps(jit, x64)
    F = np.float32
    if transition_steps <= 0 or decay_rate == 0:
        return lambda t: float(o.dflt.T(init_value))
    begin = max(int(transition_begin), 0)
    init, rate = F(init_value), F(decay_rate)
    clip = None if end_value is None else (max if decay_rate < 1.0 else min)

    def rate_at(t):
        dc = int(t) - begin
        p = o.div_const(F(dc), transition_steps)
        if staircase:
            p = np.floor(p)
        v = init if dc <= 0 else init * o.f32.pow(rate, p)
        return float(v if clip is None else clip(v, F(end_value)))
    return _float32(rate_at)


def optax_polynomial_schedule(init_value, end_value, power, transition_steps,
                              transition_begin=0, *, jit=True, x64=False):
    o = _OptaxOps(jit, x64)
    F = np.float32
    if transition_steps <= 0:
        return lambda t: float(o.dflt.T(init_value))
    begin = max(int(transition_begin), 0)
    span, end = F(init_value - end_value), F(end_value)
    integer = isinstance(power, (int, np.integer)) and not isinstance(power, bool)
    if integer and power < 0:
        raise ValueError("optax polynomial_schedule: a negative integer power is not supported")

    def rate_at(t):
        c = F(min(max(int(t) - begin, 0), transition_steps))
        if jit:
            frac = o.fma(-c, F(1) / F(transition_steps), F(1))
        else:
            frac = F(1) - c / F(transition_steps)
        if integer:                      # lax.integer_pow: binary powering
            x = _integer_pow(frac, int(power))
        elif jit and power == 1.0:
            x = frac
        elif jit and power == 2.0:
            x = frac * frac
        elif jit and power == 0.5:           # XLA: pow(x, 0.5) -> sqrt(x)
            x = np.sqrt(frac)
        else:
            x = o.f32.pow(frac, F(power))
        return float(o.fma(span, x, end))
    return _float32(rate_at)


def _float32(fn):
    """Mark a rate function whose value is a (strongly typed) float32 array."""
    fn.float32 = True
    return fn


def _integer_pow(x, n):
    """lax.integer_pow's square-and-multiply (XLA's expansion of x**n)."""
    acc = None
    while n:
        if n & 1:
            acc = x if acc is None else acc * x
        n >>= 1
        if n:
            x = x * x
    return type(x)(1) if acc is None else acc


def optax_linear_schedule(init_value, end_value, transition_steps, transition_begin=0, *,
                          jit=True, x64=False):
    return optax_polynomial_schedule(init_value, end_value, 1, transition_steps,
                                     transition_begin, jit=jit, x64=x64)


def optax_cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0, *,
                                jit=True, x64=False):
    if not decay_steps > 0:
        raise ValueError("optax cosine_decay_schedule requires positive decay_steps")
    o = _OptaxOps(jit, x64)
    m, T = o.dflt, o.dflt.T
    init, a1, al, ds = T(init_value), T(1 - alpha), T(alpha), T(float(decay_steps))

    def rate_at(t):
        c = min(T(int(t)), ds)
        # under jit XLA makes (pi * c) / ds into (pi * c) * (1 / ds), then c * (pi * (1 / ds))
        arg = c * (T(np.pi) * (T(1) / ds)) if jit else T(np.pi) * c / ds
        cd = T(0.5) * (T(1) + m.cos(arg))
        if jit and exponent == 1.0:
            x = cd
        elif jit and exponent == 2.0:
            x = cd * cd
        else:
            x = m.pow(cd, T(exponent))
        return float(init * o.fma(a1, x, al))
    return rate_at


def optax_warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,
                                       end_value=0.0, exponent=1.0, *, jit=True, x64=False):
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    return optax_join_schedules(
        [optax_linear_schedule(init_value, peak_value, warmup_steps, jit=jit, x64=x64),
         optax_cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent,
                                     jit=jit, x64=x64)], [warmup_steps])


def optax_piecewise_constant_schedule(init_value, boundaries_and_scales=None, *, jit=True,
                                      x64=False):
    o = _OptaxOps(jit, x64)
    T = o.dflt.T
    steps = sorted((int(k), T(s)) for k, s in (boundaries_and_scales or {}).items())
    if any(s < 0 for _, s in steps):
        raise ValueError("optax piecewise_constant_schedule expects non-negative scales")

    def rate_at(t):
        v = T(init_value)
        for threshold, scale in steps:
            if threshold <= t:               # indicator 0: v * 0 + (1 * scale) * v
                v = scale * v
        return float(v)
    return rate_at


def optax_constant_schedule(value, *, jit=True, x64=False):
    return lambda t: float(value)


def optax_join_schedules(schedules, boundaries, *, jit=True, x64=False):
    """Schedule i from boundary i-1 on, on the count since that boundary."""
    pieces, bounds = list(schedules), [int(b) for b in boundaries]
    f32 = any(getattr(p, "float32", False) for p in pieces)

    def rate_at(t):
        out = pieces[0](t)
        for b, s in zip(bounds, pieces[1:]):
            if not t < b:
                out = s(t - b)
        return float(np.float32(out)) if f32 else out
    return _float32(rate_at) if f32 else rate_at


#: optax.<name> -> its rate function (plus jit= and x64=)
OPTAX_SCHEDULES = {
    "exponential_decay": optax_exponential_decay,
    "polynomial_schedule": optax_polynomial_schedule,
    "linear_schedule": optax_linear_schedule,
    "cosine_decay_schedule": optax_cosine_decay_schedule,
    "warmup_cosine_decay_schedule": optax_warmup_cosine_decay_schedule,
    "piecewise_constant_schedule": optax_piecewise_constant_schedule,
    "constant_schedule": optax_constant_schedule, "join_schedules": optax_join_schedules}


def optax_schedule(config, jit=None, x64=None):
    """The rate function of ``{"function": "optax.<name>", "args": {...}}`` (a
    ``join_schedules`` config: ``"schedules": [...]``, ``"boundaries": [...]``); ``jit``
    and ``x64`` from the arguments, else from the config (default: jit, no x64)."""
    jit = bool(config.get("jit", True)) if jit is None else jit
    x64 = bool(config.get("x64", False)) if x64 is None else x64
    name = str(config["function"]).rsplit(".", 1)[-1]
    if name not in OPTAX_SCHEDULES:
        raise ValueError(f"optax: no schedule {name!r}; known: {sorted(OPTAX_SCHEDULES)}")
    if name == "join_schedules":
        return optax_join_schedules([optax_schedule(s, jit, x64) for s in config["schedules"]],
                                    config["boundaries"])
    args = dict(config.get("args") or {})
    if "boundaries_and_scales" in args:
        args["boundaries_and_scales"] = {int(k): v for k, v in
                                         args["boundaries_and_scales"].items()}
    return OPTAX_SCHEDULES[name](**args, jit=jit, x64=x64)


# -- from the framework's object ------------------------------------------------------------

def from_framework(obj, setting):
    """The optax constructor itself (``optax.adam``), with the keywords of its call in
    ``setting.call`` and ``setting.traced`` (the update under jax.jit, or eager): a
    GradientTransformation does not keep its arguments. A schedule function as
    ``learning_rate`` cannot be read: give an ``adamkit.schedules.optax`` one."""
    found = {p.optimizer: p for p in PRESETS}.get(getattr(obj, "__name__", ""))
    if found is None or not callable(obj):
        return None
    call = dict(setting.call)
    if setting.learning_rate is not None:
        call["learning_rate"] = setting.learning_rate
    lr = call.get("learning_rate")
    from .._schedules_fw import FrameworkSchedule
    if callable(lr) and not isinstance(lr, FrameworkSchedule):
        raise PresetError("optax: a schedule function cannot be read back; pass "
                          "learning_rate=adamkit.schedules.optax.<the same schedule>(...)")
    call["jit"] = setting.need_traced("optax")
    return "optax", found.optimizer, call
