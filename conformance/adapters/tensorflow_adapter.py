"""TensorFlow adapter: the CPU training kernels driven through ``tf.raw_ops`` on resource
variables (eager), and the TF1 optimizers ``tf.compat.v1.train.AdamOptimizer`` /
``RMSPropOptimizer`` (eager, ``apply_gradients``).

Raw-op cases feed every scalar as a constant of the case dtype (``tf.constant(x, dtype)``,
i.e. the Python double rounded once to T). The beta powers are fed in one of two ways:

``f32prod``  as ``AdamOptimizer`` does: a float32 running product of ``float32(beta)``
             (beta_power_1 = float32(beta), beta_power_{t+1} = beta_power_t * float32(beta) in
             float32), then cast to T;
``dpow``     ``beta ** t`` computed in double and rounded once to T.

Variables hold the parameter and the slots; everything is read back after every step.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _run import Case  # noqa: E402

FRAMEWORK = "tensorflow"


def versions():
    return {"tensorflow": tf.__version__, "numpy": np.__version__}


ADAM_DEFAULT = dict(lr=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
ADAM_CUSTOM = dict(lr=3e-3, beta1=0.85, beta2=0.995, epsilon=1e-6)

CASES = [
    Case("adam", "raw_default", dict(ADAM_DEFAULT, powers="f32prod"),
         description="tf.raw_ops.ResourceApplyAdam, default hyper-parameters, beta powers as a "
                     "float32 running product (as AdamOptimizer)"),
    Case("adam", "raw_default_dpow", dict(ADAM_DEFAULT, powers="dpow"),
         description="tf.raw_ops.ResourceApplyAdam, default hyper-parameters, beta powers = "
                     "T(beta**t computed in double)"),
    Case("adam", "raw_custom", dict(ADAM_CUSTOM, powers="f32prod"),
         description="tf.raw_ops.ResourceApplyAdam, custom hyper-parameters, float32 product powers"),
    Case("adam", "raw_nesterov", dict(ADAM_CUSTOM, powers="f32prod", use_nesterov=True),
         description="tf.raw_ops.ResourceApplyAdam(use_nesterov=True), custom hyper-parameters"),
    Case("amsgrad", "raw_custom", dict(ADAM_CUSTOM, powers="f32prod"),
         description="tf.raw_ops.ResourceApplyAdamWithAmsgrad, custom hyper-parameters"),
    Case("adamax", "raw_default", dict(lr=2e-3, beta1=0.9, beta2=0.999, epsilon=1e-7,
                                       powers="f32prod"),
         description="tf.raw_ops.ResourceApplyAdaMax (Keras-default-like hyper-parameters)"),
    Case("rmsprop", "raw_default", dict(lr=1e-3, rho=0.9, momentum=0.0, epsilon=1e-10),
         description="tf.raw_ops.ResourceApplyRMSProp, momentum 0, ms starting at 0"),
    Case("rmsprop", "raw_momentum", dict(lr=1e-3, rho=0.95, momentum=0.9, epsilon=1e-7),
         description="tf.raw_ops.ResourceApplyRMSProp with momentum"),
    Case("rmsprop", "raw_centered", dict(lr=1e-3, rho=0.9, momentum=0.5, epsilon=1e-7),
         description="tf.raw_ops.ResourceApplyCenteredRMSProp with momentum"),
    Case("adam", "v1_default", {},
         description="tf.compat.v1.train.AdamOptimizer() (defaults), eager apply_gradients"),
    Case("rmsprop", "v1_default", dict(learning_rate=1e-3),
         description="tf.compat.v1.train.RMSPropOptimizer(1e-3) (other defaults), eager"),
    Case("rmsprop", "v1_centered", dict(learning_rate=1e-3, momentum=0.9, centered=True),
         description="tf.compat.v1.train.RMSPropOptimizer(1e-3, momentum=0.9, centered=True)"),
    Case("adam", "v1_subnormal", {}, stream="tiny",
         description="tf.compat.v1.train.AdamOptimizer() on the tiny stream (subnormals)"),
    Case("rmsprop", "v1_subnormal_momentum", dict(learning_rate=1e-3, momentum=0.9),
         stream="tiny", description="RMSPropOptimizer(1e-3, momentum=0.9), tiny stream"),
]


def _powers(kind, beta, T):
    """beta^t for t = 1..T as fed to the kernel (numpy array of float64 holding T-values)."""
    if kind == "f32prod":
        b = np.float32(beta)
        out, acc = [], b
        for _ in range(T):
            out.append(acc)
            acc = np.float32(acc * b)
        return np.array(out, dtype=np.float32)
    if kind == "dpow":
        return np.array([beta ** t for t in range(1, T + 1)], dtype=np.float64)
    raise ValueError(kind)


def _run_raw(case, p0, grads):
    hp = dict(case.hyperparameters)
    dt = tf.as_dtype(grads.dtype)
    T, n = grads.shape
    var = tf.Variable(p0, dtype=dt)
    names = {
        "adam": ["m", "v"], "amsgrad": ["m", "v", "vhat"], "adamax": ["m", "v"],
    }.get(case.optimizer)
    if case.optimizer == "rmsprop":
        names = ["ms", "mom"] + (["mg"] if case.variant == "raw_centered" else [])
    slots = {k: tf.Variable(np.zeros(n, grads.dtype), dtype=dt) for k in names}
    c = lambda x: tf.constant(x, dtype=dt)  # noqa: E731
    params = [p0.copy()]
    states = {k: [np.zeros(n, grads.dtype)] for k in names}
    if case.optimizer in ("adam", "amsgrad", "adamax"):
        b1p = _powers(hp["powers"], hp["beta1"], T)
        b2p = _powers(hp["powers"], hp["beta2"], T)
    lr, eps = c(hp["lr"]), c(hp["epsilon"])
    for t in range(T):
        g = tf.constant(grads[t], dtype=dt)
        if case.optimizer == "adam":
            tf.raw_ops.ResourceApplyAdam(
                var=var.handle, m=slots["m"].handle, v=slots["v"].handle,
                beta1_power=c(b1p[t]), beta2_power=c(b2p[t]), lr=lr,
                beta1=c(hp["beta1"]), beta2=c(hp["beta2"]), epsilon=eps, grad=g,
                use_locking=False, use_nesterov=bool(hp.get("use_nesterov", False)))
        elif case.optimizer == "amsgrad":
            tf.raw_ops.ResourceApplyAdamWithAmsgrad(
                var=var.handle, m=slots["m"].handle, v=slots["v"].handle,
                vhat=slots["vhat"].handle,
                beta1_power=c(b1p[t]), beta2_power=c(b2p[t]), lr=lr,
                beta1=c(hp["beta1"]), beta2=c(hp["beta2"]), epsilon=eps, grad=g)
        elif case.optimizer == "adamax":
            tf.raw_ops.ResourceApplyAdaMax(
                var=var.handle, m=slots["m"].handle, v=slots["v"].handle,
                beta1_power=c(b1p[t]), lr=lr, beta1=c(hp["beta1"]), beta2=c(hp["beta2"]),
                epsilon=eps, grad=g)
        elif case.variant == "raw_centered":
            tf.raw_ops.ResourceApplyCenteredRMSProp(
                var=var.handle, mg=slots["mg"].handle, ms=slots["ms"].handle,
                mom=slots["mom"].handle, lr=lr, rho=c(hp["rho"]),
                momentum=c(hp["momentum"]), epsilon=eps, grad=g)
        else:
            tf.raw_ops.ResourceApplyRMSProp(
                var=var.handle, ms=slots["ms"].handle, mom=slots["mom"].handle, lr=lr,
                rho=c(hp["rho"]), momentum=c(hp["momentum"]), epsilon=eps, grad=g)
        params.append(var.numpy())
        for k in names:
            states[k].append(slots[k].numpy())
    extra = {}
    if case.optimizer in ("adam", "amsgrad", "adamax"):
        extra["beta1_power_fed"] = [float(x) for x in b1p]
        if case.optimizer != "adamax":
            extra["beta2_power_fed"] = [float(x) for x in b2p]
    op = {"adam": "ResourceApplyAdam", "amsgrad": "ResourceApplyAdamWithAmsgrad",
          "adamax": "ResourceApplyAdaMax"}.get(
        case.optimizer,
        "ResourceApplyCenteredRMSProp" if case.variant == "raw_centered" else "ResourceApplyRMSProp")
    meaning = {"m": "first moment", "v": "second moment (AdaMax: infinity norm u)",
               "vhat": "running max of v", "ms": "mean square", "mom": "momentum buffer",
               "mg": "mean gradient"}
    extra.update({
        "api": f"tf.raw_ops.{op} on tf.Variable(...).handle, eager; scalars tf.constant(x, T)",
        "hyperparameters_effective": hp,
        "state_arrays": {k: meaning[k] for k in names},
    })
    return np.array(params), {k: np.array(v) for k, v in states.items()}, extra


def _run_v1(case, p0, grads):
    hp = dict(case.hyperparameters)
    dt = tf.as_dtype(grads.dtype)
    T, n = grads.shape
    var = tf.Variable(p0, dtype=dt)
    if case.optimizer == "adam":
        opt = tf.compat.v1.train.AdamOptimizer(**hp)
        slot_names = ["m", "v"]
        eff = dict(learning_rate=opt._lr, beta1=opt._beta1, beta2=opt._beta2,
                   epsilon=opt._epsilon)
    else:
        opt = tf.compat.v1.train.RMSPropOptimizer(**hp)
        slot_names = ["rms", "momentum"] + (["mg"] if hp.get("centered") else [])
        eff = dict(learning_rate=opt._learning_rate, decay=opt._decay,
                   momentum=opt._momentum, epsilon=opt._epsilon, centered=opt._centered)
    params = [p0.copy()]
    states = None
    b1, b2 = [], []
    for t in range(T):
        opt.apply_gradients([(tf.constant(grads[t], dtype=dt), var)])
        if states is None:  # slots exist after the first apply; record their initial value
            states = {}
            for k in slot_names:
                init = np.ones(n, grads.dtype) if k == "rms" else np.zeros(n, grads.dtype)
                states[k] = [init]
        params.append(var.numpy())
        for k in slot_names:
            states[k].append(opt.get_slot(var, k).numpy())
        if case.optimizer == "adam":
            p1, p2 = opt._get_beta_accumulators()
            b1.append(p1.numpy())
            b2.append(p2.numpy())
    extra = {
        "api": f"tf.compat.v1.train.{type(opt).__name__}(**hyperparameters).apply_gradients, eager",
        "hyperparameters_effective": eff,
        "state_arrays": {k: {"m": "first moment", "v": "second moment",
                             "rms": "mean square (initialised to 1)",
                             "momentum": "momentum buffer", "mg": "mean gradient"}[k]
                         for k in slot_names},
    }
    if case.optimizer == "adam":
        extra["beta_power_dtype"] = str(p1.dtype.name)
        # value of the accumulators *after* step t (the kernel at step t saw the previous one)
        extra["beta1_power_after_step"] = [float(x) for x in b1]
        extra["beta2_power_after_step"] = [float(x) for x in b2]
    return np.array(params), {k: np.array(v) for k, v in states.items()}, extra


def run(case, p0, grads):
    if case.variant.startswith("raw_"):
        return _run_raw(case, p0, grads)
    return _run_v1(case, p0, grads)
