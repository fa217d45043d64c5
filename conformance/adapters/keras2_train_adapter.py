"""Keras 2.3.1 (Theano 1.0.5) real training: ``model.fit`` of an MLP on the digits.

As ``keras2_adapter``, each case runs in a child process of this file with
``KERAS_BACKEND=theano`` and ``floatX`` = the case dtype (``THEANO_FLAGS`` and a
``keras.json``). The model of ``_train.py`` as ``Sequential([Dense(128, relu,
input_shape=(64,)), Dense(64, relu), Dense(10, softmax)])``, ``compile(optimizer,
"sparse_categorical_crossentropy")``, ``model.fit(x, y, batch_size=64, epochs=1,
shuffle=False)`` on both epochs' minibatches one after another.

The gradients are read where the optimizer makes its update graph: the instance's
``get_gradients`` is wrapped to keep the gradient expressions, and its ``get_updates``
to append ``K.update(tap, g)`` for each of them, so the compiled training function also
stores every gradient it used (Theano applies all updates of a call from the same
inputs). A callback reads the weights, the slots (``m_<i>``, ``v_<i>``), the taps and the
learning-rate variable (``decay`` is the optimizer's own: ``lr / (1 + decay *
iterations)`` inside the update, not in the recorded rate) after every batch.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from _run import Case  # noqa: E402
from _train import Recorder, plain  # noqa: E402
from keras2_adapter import _compiledir  # noqa: E402

FRAMEWORK = "keras2"
TRAINING = True
MODEL = "digits_mlp"

CASES = [
    Case("adam", "train_decay", {"learning_rate": 0.01, "decay": 0.01}, stream=MODEL,
         description="keras.optimizers.Adam(learning_rate=0.01, decay=0.01) in model.fit"),
]


def versions():
    from importlib import metadata
    return {k: metadata.version(k) for k in ("keras", "Theano", "numpy", "scipy")}


def train(case, data):
    dtype = data.dtype.name
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        x, y = data.stream()
        arrays = {f"l{k}_{n}": a for k, layer in enumerate(data.layers)
                  for n, a in zip("wb", layer)}
        np.savez(fin, x=x, y=y, **arrays, job=np.array(json.dumps(
            {"optimizer": case.optimizer, "kwargs": case.hyperparameters,
             "batch": data.batch, "layers": data.meta["layers"]})))
        env = dict(os.environ)
        flags = f"floatX={dtype},blas.ldflags=,base_compiledir={_compiledir()}"
        env["THEANO_FLAGS"] = flags + ("," + env["THEANO_FLAGS"] if env.get("THEANO_FLAGS") else "")
        env["KERAS_BACKEND"] = "theano"
        env["KERAS_HOME"] = os.path.join(tmp, "keras_home")
        os.makedirs(env["KERAS_HOME"])
        with open(os.path.join(env["KERAS_HOME"], "keras.json"), "w") as fh:
            json.dump({"floatx": dtype, "epsilon": 1e-07, "backend": "theano",
                       "image_data_format": "channels_last"}, fh)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", fin, fout],
                       env=env, check=True)
        with np.load(fout) as z:
            meta = json.loads(str(z["meta"]))
            K = len(meta["arrays"])
            grads = [z[f"grads_{k}"] for k in range(K)]
            params = [z[f"params_{k}"] for k in range(K)]
            states = [{n: z[f"state_{n}_{k}"] for n in meta["state_arrays"]} for k in range(K)]
            lr = z["lr"]
    arrays = meta.pop("arrays")
    return (grads, params, states, lr, arrays), meta


def _worker(fin, fout):
    import collections
    import collections.abc
    for name in ("Iterable", "Mapping", "MutableMapping", "Sequence", "Callable"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    with np.load(fin) as z:
        x, y = z["x"], z["y"]
        job = json.loads(str(z["job"]))
        layers = [(z[f"l{k}_w"], z[f"l{k}_b"]) for k in range(len(job["layers"]) - 1)]
    import keras
    import theano
    from keras import backend as K
    dtype = str(x.dtype)
    K.set_floatx(dtype)
    assert theano.config.floatX == dtype and K.backend() == "theano"
    widths = job["layers"]
    model = keras.models.Sequential()
    for k in range(len(layers)):
        last = k + 1 == len(layers)
        kw = {"input_shape": (widths[0],)} if k == 0 else {}
        model.add(keras.layers.Dense(widths[k + 1], activation="softmax" if last else "relu",
                                     **kw))
    model.set_weights([a for layer in layers for a in layer])
    opt = getattr(keras.optimizers, {"adam": "Adam"}[job["optimizer"]])(**job["kwargs"])
    taps = []
    get_gradients, get_updates = opt.get_gradients, opt.get_updates

    def tapped_gradients(loss, params):
        grads = get_gradients(loss, params)
        taps[:] = [(K.zeros(K.int_shape(p), dtype=K.dtype(p)), g) for p, g in zip(params, grads)]
        return grads

    def tapped_updates(loss, params):
        return get_updates(loss=loss, params=params) + [K.update(v, g) for v, g in taps]

    opt.get_gradients, opt.get_updates = tapped_gradients, tapped_updates
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    weights = model.trainable_weights
    rec = Recorder([w.name for w in weights])
    rec.start([K.get_value(w) for w in weights])

    def slots():
        by = {}
        for w in opt.weights[1:]:
            prefix, _, i = w.name.split("/")[-1].rpartition("_")     # ".../m_3" -> m, 3
            if K.int_shape(w) == K.int_shape(weights[int(i)]) and prefix in ("m", "v", "vhat"):
                by.setdefault(prefix, {})[int(i)] = K.get_value(w)
        return {n: [d[i] for i in range(len(weights))] for n, d in by.items()}

    class Record(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            rec.step([K.get_value(v) for v, _ in taps], [K.get_value(w) for w in weights],
                     slots(), lr=float(K.get_value(opt.learning_rate)))

    hist = model.fit(x, y.astype(dtype), batch_size=job["batch"], epochs=1, shuffle=False,
                     verbose=0, callbacks=[Record()])
    grads, params, states, lr, arrays = rec.result()
    if not states[0]:
        raise RuntimeError(f"no optimizer slots found in {[w.name for w in opt.weights]}")
    stored = {k: float(K.get_value(getattr(opt, k))) for k in ("learning_rate", "beta_1",
                                                                "beta_2", "decay")}
    meta = {
        "api": f"keras {keras.__version__} (theano) keras.optimizers.{type(opt).__name__}(**hp); "
               "model.compile(opt, 'sparse_categorical_crossentropy'); model.fit(x, y, "
               "batch_size=64, epochs=1, shuffle=False) over both epochs' minibatches",
        "hyperparameters_effective": plain(opt.get_config()),
        "hyperparameters_as_stored": {k: v.hex() for k, v in stored.items()},
        "arrays": arrays,
        "state_arrays": {n: f"the optimizer weight '{n}_<i>' after each batch; row 0 zeros"
                         for n in states[0]},
        "gradients": "the optimizer's get_gradients expressions, stored by extra updates "
                     "K.update(tap, g) appended to get_updates",
        "lr_recorded": "K.get_value(optimizer.learning_rate) (constant; decay is applied "
                       "inside the update)",
        "iterations": int(K.get_value(opt.iterations)),
        "theano": {"version": theano.__version__, "floatX": theano.config.floatX,
                   "THEANO_FLAGS": os.environ.get("THEANO_FLAGS", "")},
        "model": "Sequential([Dense(128, relu), Dense(64, relu), Dense(10, softmax)]); "
                 "sparse_categorical_crossentropy",
        "final_loss": float(hist.history["loss"][-1]),
    }
    out = {"meta": np.array(json.dumps(meta)), "lr": lr}
    for k in range(len(arrays)):
        out[f"grads_{k}"], out[f"params_{k}"] = grads[k], params[k]
        for n, a in states[k].items():
            out[f"state_{n}_{k}"] = a
    np.savez(fout, **out)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: keras2_train_adapter.py --worker IN OUT (run through _run.py)")
