"""TensorFlow 2.21 CPU kernels (``ResourceApplyAdam``, ``...WithAmsgrad``, ``...AdaMax``,
``...(Centered)RMSProp``) and the TF1 optimizers that run them
(``tf.compat.v1.train.AdamOptimizer``, ``RMSPropOptimizer``).

No FMA anywhere; the kernels run with flush-to-zero; ``1 - beta`` is formed in the kernel.
TF1's AdamOptimizer keeps its beta powers as float32 variables (a running product) and its
scalars in float32 variables; the raw ops take ``tf.constant(x, T)`` scalars (``powers =
"dpow"``, ``scalars_f32 = False``). Evidence: conformance/notes/tensorflow-recipes.md,
0-ULP replays of the live recordings.
"""

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from ._floats import F, T, adam_scalars, rmsprop_scalars
from ._preset import Preset, PresetError, one_of
from ._recipe import Sym, running_product

_F32_PRODUCTS = {}


def tf1_power(beta, t):
    """TF1 AdamOptimizer's beta power at step t: the float32 running product of r32(beta),
    flushed to zero below FLT_MIN."""
    key = float(F(beta))
    if type(t) is Sym:
        return running_product(key, t)
    seq = _F32_PRODUCTS.setdefault(key, [F(key)])
    tiny = np.finfo(np.float32).tiny
    while len(seq) < t:
        if seq[-1] == 0.0:                   # flushed: zero from here on
            return F(0.0)
        x = seq[-1] * F(key)
        seq.append(x if abs(x) >= tiny else F(0.0))
    return seq[t - 1]


def _scalar(x, f32, through_f32):
    """A hyper-parameter as the kernel receives it: T(x), or T(r32(x)) when the Python API
    keeps it in a float32 variable first (TF1 optimizers)."""
    return T(f32)(F(x)) if through_f32 else T(f32)(x)


def _powers(hp, t, f32):
    Tt = T(f32)
    if hp["powers"] == "f32prod":
        return Tt(tf1_power(hp["beta1"], t)), Tt(tf1_power(hp["beta2"], t))
    return Tt(hp["beta1"] ** t), Tt(hp["beta2"] ** t)


def _adam_scalars(hp, t, lr, f32):
    Tt = T(f32)
    via = hp["scalars_f32"]
    lr_, b1, b2 = (_scalar(x, f32, via) for x in (lr, hp["beta1"], hp["beta2"]))
    b1p, b2p = _powers(hp, t, f32)
    one = Tt(1.0)
    return adam_scalars(b1=b1, c1=one - b1, b2=b2, c2=one - b2,
                        eps=_scalar(hp["epsilon"], f32, via),
                        alpha=(lr_ * np.sqrt(one - b2p)) / (one - b1p), s=lr_ / (one - b1p))


def _rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    via = hp["scalars_f32"]
    rho = _scalar(hp["rho"], f32, via)
    return rmsprop_scalars(rho=rho, c=Tt(1.0) - rho, eps=_scalar(hp["epsilon"], f32, via),
                           lr=_scalar(lr, f32, via), mu=_scalar(hp["momentum"], f32, via))


def _check_powers(hp):
    if hp["powers"] not in ("f32prod", "dpow"):
        raise PresetError(f"tensorflow: powers must be 'f32prod' or 'dpow', "
                          f"not {hp['powers']!r}")


ADAM_OPS = {"first": V.M_LERP, "second": V.V_LERP, "denom": V.D_SQRT_EPS, "ftz": 1}
RMSPROP_OPS = {"square": V.MS_LERP, "denom": V.RD_SQRT_EPS_IN, "momentum": V.MOM_ACC,
               "ftz": 1}


def _adam_rule(hp):
    _check_powers(hp)
    ops = dict(ADAM_OPS, amsgrad=int(bool(hp.get("amsgrad"))))
    if hp.get("use_nesterov"):
        ops["numer"] = V.NUM_NESTEROV
    return Rule("adam", ops, _adam_scalars)


def _adamax_rule(hp):
    _check_powers(hp)
    return Rule("adam", {"first": V.M_LERP, "second": V.V_MAX, "denom": V.D_EPS,
                         "step": V.U_DIV, "apply": V.P_SUB_SCALED, "ftz": 1}, _adam_scalars)


def _rmsprop_rule(hp):
    ops = dict(RMSPROP_OPS)
    if hp["centered"]:
        ops["center"] = V.C_LERP
    return Rule("rmsprop", ops, _rmsprop_scalars)


def from_recording(hp, meta):
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


_ADAM = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
         "use_nesterov": False, "powers": "f32prod", "scalars_f32": True}
_ALIASES = {"lr": "learning_rate", "betas": ("beta1", "beta2"), "eps": "epsilon"}
_NOT_NUMERIC = frozenset({"use_locking", "name", "use_own_namescope_for_non_slot_vars"})
#: switches of the raw ops (ResourceApplyAdam's use_nesterov) and of adamkit's (how the
#: beta powers and the scalars are computed): not keywords of the TF1 optimizer classes
_OPTIONS = frozenset({"use_nesterov", "powers", "scalars_f32", "amsgrad",
                      "initial_accumulator"})
_TF = dict(version="2.21.0", options=_OPTIONS, ignored=_NOT_NUMERIC,
           checks={"powers": one_of("f32prod", "dpow")})

PRESETS = (
    Preset("tensorflow", "adam", "adam", _adam_rule, defaults=_ADAM, lr_name="learning_rate",
           aliases=_ALIASES, states={"m": "m", "v": "v"}, from_recording=from_recording,
           constructor="tensorflow.compat.v1.train.AdamOptimizer", **_TF,
           api="ResourceApplyAdam; tf.compat.v1.train.AdamOptimizer (float32 beta powers)"),
    Preset("tensorflow", "amsgrad", "adam", _adam_rule,
           defaults={**{k: v for k, v in _ADAM.items() if k != "use_nesterov"},
                     "amsgrad": True},
           lr_name="learning_rate", aliases=_ALIASES,
           states={"m": "m", "v": "v", "vhat": "vhat"}, from_recording=from_recording,
           **_TF, api="ResourceApplyAdamWithAmsgrad (a raw op: no defaults; AdamOptimizer's)"),
    Preset("tensorflow", "adamax", "adam", _adamax_rule,
           defaults={**{k: v for k, v in _ADAM.items() if k != "use_nesterov"},
                     "learning_rate": 2e-3},
           lr_name="learning_rate", aliases=_ALIASES, states={"m": "m", "v": "v"},
           from_recording=from_recording, **_TF,
           api="ResourceApplyAdaMax (a raw op: no defaults; AdamOptimizer's, lr Keras's 2e-3)"),
    Preset("tensorflow", "rmsprop", "rmsprop", _rmsprop_rule,
           defaults={"learning_rate": None, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-10,
                     "centered": False, "scalars_f32": True, "initial_accumulator": 1.0},
           required=("learning_rate",), lr_name="learning_rate",
           aliases={"lr": "learning_rate", "alpha": "rho", "decay": "rho", "eps": "epsilon",
                    "initial_accumulator": "initial_accumulator"},
           states={"ms": "ms", "mom": "mom", "mg": "mg", "rms": "ms", "momentum": "mom"},
           from_recording=from_recording, initial_state="initial_accumulator",
           constructor="tensorflow.compat.v1.train.RMSPropOptimizer", **_TF,
           api="ResourceApply(Centered)RMSProp; tf.compat.v1.train.RMSPropOptimizer "
               "(mean square starts at 1)"),
)


# -- schedules --
# tf.compat.v1.train's learning-rate decays (TF 2.21: thin wrappers of
# tensorflow/python/keras/optimizer_v2/learning_rate_schedule.py), op by op in the dtype of
# ``learning_rate`` (float32 for a Python float): one TF kernel per op, each rounding once
# (scalar Eigen ops: no FMA); Pow, Cos, Log, Exp of a 0-d tensor run Eigen's scalar path,
# i.e. glibc's powf/cosf/logf/expf (pow/cos/log/exp in float64); ``global_step`` (int64)
# is Cast to the dtype. ``math_ops.cast`` of a Python float first makes a float32 tensor, so
# in a float64 schedule the hyper-parameters are float64(float32(x)); a Python number in a
# binary op (``1 - alpha``, ``0.5 * x``) is converted straight to the other operand's dtype.
# Evidence: conformance/schedules/record.py tf1 (tests/data/schedules/tf1.npz).

def _tf_cast(x, T):
    """math_ops.cast(python number, T): via a float32 (or int32) tensor."""
    return T(int(x)) if isinstance(x, (int, np.integer)) else T(F(x))


def _tf_schedule(dtype):
    from ._schedules import Libm, check_dtype
    m = Libm(check_dtype(dtype), flush=True)
    return m, m.T


def tf_exponential_decay(learning_rate, decay_steps, decay_rate, staircase=False,
                         dtype="float32"):
    m, T = _tf_schedule(dtype)
    if not decay_steps > 0:
        raise ValueError("decay_steps must be > 0")
    lr, ds, rate = T(learning_rate), _tf_cast(decay_steps, T), _tf_cast(decay_rate, T)

    def rate_at(t):
        p = T(t) / ds
        if staircase:
            p = np.floor(p)
        return float(m.z(lr * m.pow(rate, p)))
    return rate_at


def tf_natural_exp_decay(learning_rate, decay_steps, decay_rate, staircase=False,
                         dtype="float32"):
    """exp(-decay_rate) as a float32 op (expf), handed to exponential_decay."""
    from ._schedules import Libm
    rate = Libm("float32", flush=True).exp(-F(decay_rate))
    return tf_exponential_decay(learning_rate, decay_steps, rate, staircase, dtype)


def tf_inverse_time_decay(learning_rate, decay_steps, decay_rate, staircase=False,
                          dtype="float32"):
    m, T = _tf_schedule(dtype)
    if not decay_steps > 0:
        raise ValueError("decay_steps must be > 0")
    lr, ds, rate = T(learning_rate), _tf_cast(decay_steps, T), _tf_cast(decay_rate, T)

    def rate_at(t):
        p = T(t) / ds
        if staircase:
            p = np.floor(p)
        return float(m.z(lr / (T(1) + rate * p)))
    return rate_at


def tf_polynomial_decay(learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                        cycle=False, dtype="float32"):
    m, T = _tf_schedule(dtype)
    if not decay_steps > 0:
        raise ValueError("decay_steps must be > 0")
    lr, end = T(learning_rate), _tf_cast(end_learning_rate, T)
    pw, ds = _tf_cast(power, T), _tf_cast(decay_steps, T)
    ds_py = T(decay_steps)                       # gs / self.decay_steps: converted to T

    def rate_at(t):
        gs, steps = T(t), ds
        if cycle:
            mult = T(1.0) if gs == 0 else np.ceil(gs / ds_py)
            steps = steps * mult
        else:
            gs = min(gs, steps)
        p = gs / steps
        return float(m.z(m.z((lr - end) * m.pow(T(1) - p, pw)) + end))
    return rate_at


def tf_cosine_decay(learning_rate, decay_steps, alpha=0.0, dtype="float32"):
    m, T = _tf_schedule(dtype)
    if T is not np.float32:
        raise ValueError("tf cosine_decay: constant(math.pi) is float32, so TF computes it "
                         "in float32 only")
    lr, ds = T(learning_rate), _tf_cast(decay_steps, T)
    pi = F(np.pi)

    def rate_at(t):
        gs = min(T(t), ds)
        cd = T(0.5) * (T(1.0) + m.cos(pi * (gs / ds)))
        return float(m.z(lr * m.z(T(1 - alpha) * cd + T(alpha))))
    return rate_at


def tf_cosine_decay_restarts(learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                             alpha=0.0, dtype="float32"):
    m, T = _tf_schedule(dtype)
    if T is not np.float32:
        raise ValueError("tf cosine_decay_restarts: float32 only (constant(math.pi))")
    lr, fds = T(learning_rate), _tf_cast(first_decay_steps, T)
    al, tm, mm = _tf_cast(alpha, T), _tf_cast(t_mul, T), _tf_cast(m_mul, T)
    pi, one = F(np.pi), T(1.0)

    def rate_at(t):
        cf = T(t) / fds
        if tm == one:
            i = np.floor(cf)
            cf = cf - i
        else:
            i = np.floor(m.log(one - cf * (one - tm)) / m.log(tm))
            sum_r = (one - m.pow(tm, i)) / (one - tm)
            cf = (cf - sum_r) / m.pow(tm, i)
        cd = m.z(m.z(T(0.5) * m.pow(mm, i)) * (one + m.cos(pi * cf)))
        return float(m.z(lr * m.z(m.z((one - al) * cd) + al)))
    return rate_at


def tf_piecewise_constant(boundaries, values, dtype="float32"):
    """x <= b[0]: v[0]; b[i-1] < x <= b[i]: v[i]; x > b[-1]: v[-1] (int64 comparisons)."""
    from ._schedules import check_dtype
    T = F if check_dtype(dtype) == "float32" else float
    if len(boundaries) != len(values) - 1:
        raise ValueError("piecewise_constant needs len(values) == len(boundaries) + 1")
    bs, vs = [int(b) for b in boundaries], [float(T(v)) for v in values]

    def rate_at(t):
        for b, v in zip(bs, vs):
            if t <= b:
                return v
        return vs[-1]
    return rate_at


#: tf.compat.v1.train.<name> -> its rate function (keyword names as TF's, no global_step)
TF1_SCHEDULES = {"exponential_decay": tf_exponential_decay,
                 "natural_exp_decay": tf_natural_exp_decay,
                 "inverse_time_decay": tf_inverse_time_decay,
                 "polynomial_decay": tf_polynomial_decay, "cosine_decay": tf_cosine_decay,
                 "cosine_decay_restarts": tf_cosine_decay_restarts,
                 "piecewise_constant": tf_piecewise_constant}


def tf1_from_config(config):
    """``{"function": "tf.compat.v1.train.exponential_decay", "args": {...}}`` (global_step
    and name dropped; a float64 ``learning_rate`` is said with ``"dtype": "float64"``) ->
    (name, keyword arguments) of :data:`TF1_SCHEDULES`."""
    name = str(config["function"]).rsplit(".", 1)[-1]
    if name not in TF1_SCHEDULES:
        raise ValueError(f"tensorflow: no schedule {name!r}; known: {sorted(TF1_SCHEDULES)}")
    args = {k: v for k, v in dict(config.get("args") or {}).items()
            if k not in ("global_step", "name", "x")}
    if "dtype" in config:
        args["dtype"] = config["dtype"]
    return name, args


# -- from the framework's object ------------------------------------------------------------

def from_framework(obj, setting):
    """A ``tf.compat.v1.train.AdamOptimizer`` or ``RMSPropOptimizer`` object. A learning
    rate that is a tensor or a function (``exponential_decay(...)`` of ``global_step``)
    cannot be read back: pass ``learning_rate=`` (``adamkit.schedules.tensorflow...`` with
    the same arguments)."""
    name = type(obj).__name__
    if name == "AdamOptimizer":
        optimizer, lr = "adam", getattr(obj, "_lr", None)
        hp = {"beta1": obj._beta1, "beta2": obj._beta2, "epsilon": obj._epsilon}
    elif name == "RMSPropOptimizer":
        optimizer, lr = "rmsprop", getattr(obj, "_learning_rate", None)
        hp = {"rho": obj._decay, "momentum": obj._momentum, "epsilon": obj._epsilon,
              "centered": bool(obj._centered)}
    else:
        return None
    if setting.learning_rate is not None:
        lr = setting.learning_rate
    elif not isinstance(lr, (int, float)) or isinstance(lr, bool):
        raise ValueError(f"the TF1 {name}'s learning rate is a {type(lr).__name__}, which "
                         "adamkit cannot read back: pass learning_rate= (a number, or e.g. "
                         "adamkit.schedules.tensorflow.exponential_decay(...) with the same "
                         "arguments as tf.compat.v1.train.exponential_decay)")
    for key, value in hp.items():
        if not isinstance(value, (int, float)):
            raise ValueError(f"the TF1 {name}'s {key} is a {type(value).__name__}, not a "
                             "number: adamkit reads Python numbers only")
    return "tensorflow", optimizer, {"learning_rate": lr, **hp}
