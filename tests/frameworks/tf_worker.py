"""The real TensorFlow and Keras optimizers on recorded gradient sequences, run inside the
framework environment (tensorflow 2.21, keras 3.15 on its TensorFlow backend).

Usage: python tf_worker.py DIR NAME...  Each DIR/record-NAME.npz (written by
torch_worker.py or jax_worker.py: initial parameters ``init<i>`` and per-step gradients
``grads<i>`` of a multi-tensor model) is replayed through the optimizer its name says,
with the hyper-parameters the recording used, on one variable per tensor; the parameters
after every step go to DIR/tf-NAME.npz (``params<i>``). DIR/tf-results.json lists the
versions and any failure.
"""

import json
import os
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["KERAS_BACKEND"] = "tensorflow"

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

DIR, NAMES = sys.argv[1], sys.argv[2:]

#: recording -> (api, make optimizer)
OPTIMIZERS = {
    "tf1_adam": ("tf.compat.v1.train.AdamOptimizer(0.01).apply_gradients, eager",
                 lambda: tf.compat.v1.train.AdamOptimizer(learning_rate=0.01)),
    "tf1_rmsprop": ("tf.compat.v1.train.RMSPropOptimizer(0.01, momentum=0.5).apply_gradients, "
                    "eager", lambda: tf.compat.v1.train.RMSPropOptimizer(0.01, momentum=0.5)),
    "keras_adam": ("tf.function(keras.optimizers.Adam(0.01).apply_gradients)",
                   lambda: keras.optimizers.Adam(learning_rate=0.01)),
    "keras_adam_gclip": ("tf.function(keras.optimizers.Adam(0.01, global_clipnorm=0.5, "
                         "weight_decay=1e-3).apply_gradients)",
                         lambda: keras.optimizers.Adam(learning_rate=0.01, global_clipnorm=0.5,
                                                       weight_decay=1e-3)),
}


def replay(name):
    base = name.rsplit("_", 1)[0]                   # drop the dtype suffix
    base = base.split("-", 1)[-1]                   # drop a "jax-" prefix
    api, make = OPTIMIZERS[base]
    rec = np.load(os.path.join(DIR, f"record-{name}.npz"))
    k = sum(1 for key in rec.files if key.startswith("init"))
    variables = [tf.Variable(rec[f"init{i}"]) for i in range(k)]
    grads = [rec[f"grads{i}"] for i in range(k)]
    opt = make()
    if base.startswith("keras"):
        apply = tf.function(lambda gs: opt.apply_gradients(zip(gs, variables)))
    else:
        def apply(gs):
            opt.apply_gradients(list(zip(gs, variables)))
    params = [[] for _ in range(k)]
    for t in range(grads[0].shape[0]):
        apply([tf.constant(g[t]) for g in grads])
        for i, v in enumerate(variables):
            params[i].append(v.numpy().copy())
    np.savez(os.path.join(DIR, f"tf-{name}.npz"),
             **{f"params{i}": np.array(p) for i, p in enumerate(params)})
    return api


def main():
    results = {"versions": {"tensorflow": tf.__version__, "keras": keras.__version__,
                            "numpy": np.__version__}}
    for name in NAMES:
        try:
            results[name] = replay(name)
        except Exception:
            results[name] = "failed: " + traceback.format_exc()
    with open(os.path.join(DIR, "tf-results.json"), "w") as f:
        json.dump(results, f, indent=1)


main()
