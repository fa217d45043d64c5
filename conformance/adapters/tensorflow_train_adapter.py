"""TensorFlow 1 real training: a graph, a ``tf.compat.v1.Session`` and the TF1 optimizers
(``AdamOptimizer`` with ``tf.compat.v1.train.exponential_decay``, ``RMSPropOptimizer``).

The model of ``_train.py`` built in a ``tf.Graph``: placeholders ``x`` (None, 64) and
``y`` (None,), variables ``dense<k>/kernel`` (in, out) and ``dense<k>/bias``,
``relu(x @ W + b)`` twice, logits, ``loss = reduce_mean(
sparse_softmax_cross_entropy_with_logits(y, logits))``; ``gvs =
opt.compute_gradients(loss)``, ``train_op = opt.apply_gradients(gvs,
global_step=global_step)``. Each minibatch is one ``sess.run([train_op, grads, lr],
feed_dict)``: the gradients fetched are the very tensors ``apply_gradients`` consumed in
that run, and ``lr`` the learning-rate tensor it read (computed from ``global_step``
before the increment). The variables and every slot (``opt.get_slot``) are read with
``sess.run`` after every step. Slots exist from the start (``rms`` is 1, as
RMSPropOptimizer initialises it).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _run import Case  # noqa: E402
from _train import Recorder, plain  # noqa: E402

FRAMEWORK = "tensorflow"
TRAINING = True
MODEL = "digits_mlp"

DECAY = {"learning_rate": 0.01, "decay_steps": 10, "decay_rate": 0.96, "staircase": True}

CASES = [
    Case("adam", "v1_train_expdecay", {"learning_rate": ["exponential_decay", DECAY]},
         stream=MODEL, description="AdamOptimizer(learning_rate=exponential_decay(0.01, "
                                   "global_step, 10, 0.96, staircase=True)), in a Session"),
    Case("rmsprop", "v1_train_momentum", {"learning_rate": 0.002, "momentum": 0.9},
         stream=MODEL, description="RMSPropOptimizer(0.002, momentum=0.9), in a Session"),
]

_SLOTS = {"adam": ["m", "v"], "rmsprop": ["rms", "momentum"]}
_MEANING = {"m": "first moment", "v": "second moment", "rms": "mean square (starts at 1)",
            "momentum": "momentum buffer"}


def versions():
    return {"tensorflow": tf.__version__, "numpy": np.__version__}


def train(case, data):
    v1 = tf.compat.v1
    dtype = tf.as_dtype(data.dtype.name)
    graph = tf.Graph()
    with graph.as_default():
        x = v1.placeholder(dtype, [None, data.meta["layers"][0]], name="x")
        y = v1.placeholder(tf.int64, [None], name="y")
        variables, h = [], x
        for k, (w, b) in enumerate(data.layers, 1):
            W = v1.Variable(w, name=f"dense{k}/kernel")
            B = v1.Variable(b, name=f"dense{k}/bias")
            variables += [W, B]
            h = tf.matmul(h, W) + B
            if k < len(data.layers):
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=h))
        global_step = v1.train.get_or_create_global_step()
        hp = dict(case.hyperparameters)
        schedule = None
        if isinstance(hp.get("learning_rate"), list):
            _, args = hp["learning_rate"]
            schedule = args
            hp["learning_rate"] = v1.train.exponential_decay(global_step=global_step, **args)
        if case.optimizer == "adam":
            opt = v1.train.AdamOptimizer(**hp)
        else:
            opt = v1.train.RMSPropOptimizer(**hp)
        gvs = opt.compute_gradients(loss, var_list=variables)
        train_op = opt.apply_gradients(gvs, global_step=global_step)
        grads = [g for g, _ in gvs]
        # the rate tensor apply_gradients made in _prepare() and its ops read
        lr_t = opt._lr_t if case.optimizer == "adam" else opt._learning_rate_tensor
        slots = {n: [opt.get_slot(v, n) for v in variables] for n in _SLOTS[case.optimizer]}
        init = v1.global_variables_initializer()
    with v1.Session(graph=graph) as sess:
        sess.run(init)
        read = [variables, slots]
        rec = Recorder([v.op.name for v in variables])
        p0, s0 = sess.run(read)
        rec.start(p0, s0)
        for xb, yb in data.batches():
            _, g, lr = sess.run([train_op, grads, lr_t], {x: xb, y: yb})
            p, s = sess.run(read)
            rec.step(g, p, s, lr=float(lr))
        final_loss = float(sess.run(loss, {x: xb, y: yb}))
        steps = int(sess.run(global_step))
    result = rec.result()
    if case.optimizer == "adam":
        eff = dict(learning_rate=DECAY["learning_rate"] if schedule else opt._lr,
                   beta1=opt._beta1, beta2=opt._beta2, epsilon=opt._epsilon)
    else:
        eff = dict(learning_rate=opt._learning_rate, decay=opt._decay, momentum=opt._momentum,
                   epsilon=opt._epsilon, centered=opt._centered)
    extra = {
        "api": f"tf.compat.v1.train.{type(opt).__name__}(**hp) in a tf.Graph; "
               "gvs = opt.compute_gradients(loss); train_op = opt.apply_gradients(gvs, "
               "global_step); sess.run([train_op, grads, lr], feed_dict) per minibatch",
        "hyperparameters_effective": plain(eff),
        "optimizer_arguments": plain({k: v for k, v in case.hyperparameters.items()}),
        "state_arrays": {k: _MEANING[k] for k in result[2][0]},
        "gradients": "the tensors of opt.compute_gradients, fetched in the run that applied them",
        "lr_recorded": "the learning-rate tensor the optimizer read, fetched in that run",
        "mode": "graph (tf.compat.v1.Session), Grappler on, no XLA",
        "global_step_final": steps,
        "model": "tf.matmul + bias, tf.nn.relu; reduce_mean(sparse_softmax_cross_entropy_"
                 "with_logits)",
        "final_loss": final_loss,
    }
    if schedule is not None:
        extra["schedule"] = {
            "api": "tf.compat.v1.train.exponential_decay(global_step=global_step, **args) "
                   "as AdamOptimizer's learning_rate",
            "pieces": [{"name": "tf.compat.v1.train.exponential_decay", "args": schedule}]}
    return result, extra
