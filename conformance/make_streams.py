"""Write the standard gradient streams and the training data for the live adapters (run in
the main environment).

    python -m conformance.make_streams DIR
"""

import json
import os
import sys

import numpy as np

from adamkit.tools.streams import make_stream

#: the standard streams: name -> (n, T). n mod 16 >= 8 and n mod 32 > 8 put elements in
#: every SIMD and BLAS tail (8 and 16 lanes, 32-element axpy blocks): 77 = 64 + 13,
#: 40011 = 40000 + 11 (above the 32768 grains of ATen and OpenBLAS's threading).
STREAMS = {"small": (77, 1000), "large": (40011, 20)}
SEED = 20261122

#: "tiny": the first 100 steps of the small stream with every 4th element's gradient scaled
#: so that its square underflows to a subnormal (x 1e-17 in float32, x 1e-157 in float64)
#: and every 8th (from 1) a subnormal gradient: where the frameworks that run with
#: flush-to-zero / denormals-are-zero (XLA, TensorFlow's kernels) part from the others
TINY = {"base": "small", "T": 100, "scale": {"float32": 1e-17, "float64": 1e-157},
        "subnormal": {"float32": 1e-39, "float64": 1e-310}}

#: the real-training model (notes/real-training.md): an MLP on the digits, its layer
#: widths, the minibatch size and the epochs; every framework trains the same one
MODEL = {"name": "digits_mlp", "layers": (64, 128, 64, 10), "batch": 64, "epochs": 2,
         "seed": 20261207}


def write_streams(out):
    os.makedirs(out, exist_ok=True)
    for name, (n, T) in STREAMS.items():
        p0, grads, special = make_stream(SEED, n, T)
        for dtype in ("float32", "float64"):
            meta = {"name": name, "seed": SEED, "n": n, "T": T, "special": special,
                    "recipe": "adamkit.tools.streams.make_stream(seed, n, T), cast with astype(dtype)"}
            np.savez(os.path.join(out, f"stream-{name}-{dtype}.npz"), p0=p0.astype(dtype),
                     grads=grads.astype(dtype), meta=np.array(json.dumps(meta)))
    write_tiny(out)
    write_model(out)
    return out


def write_tiny(out):
    """``DIR/stream-tiny-<dtype>.npz`` (see ``TINY``), made from the small stream."""
    n, _ = STREAMS[TINY["base"]]
    p0, grads, special = make_stream(SEED, n, STREAMS[TINY["base"]][1])
    for dtype in ("float32", "float64"):
        g = grads[:TINY["T"]].astype(dtype)
        g[:, ::4] *= np.asarray(TINY["scale"][dtype], dtype)
        g[:, 1::8] = np.asarray(TINY["subnormal"][dtype], dtype)
        meta = {"name": "tiny", "seed": SEED, "n": n, "T": TINY["T"], "special": special,
                "recipe": "conformance/make_streams.py write_tiny: the small stream's first "
                          f"{TINY['T']} steps in {dtype}, every 4th column x "
                          f"{TINY['scale'][dtype]}, every 8th from 1 = "
                          f"{TINY['subnormal'][dtype]}"}
        np.savez(os.path.join(out, f"stream-tiny-{dtype}.npz"), p0=p0.astype(dtype), grads=g,
                 meta=np.array(json.dumps(meta)))


def write_model(out):
    """``DIR/model-digits_mlp.npz``: the data, the minibatch order and the initial weights
    of the real-training cases, float64 (each adapter casts them to its case's dtype).

    ``x`` (1797, 64): ``sklearn.datasets.load_digits`` pixels / 16 (in [0, 1]); ``y``
    (1797,) int64 labels; ``order`` (epochs, steps * batch): each epoch's permutation of
    the samples, cut to whole batches (1797 = 28 * 64 + 5: the last 5 of each permutation
    are dropped), so step s of epoch e trains on ``order[e, 64 s: 64 (s + 1)]``;
    ``w<k>`` (fan_in, fan_out) Glorot-uniform and ``b<k>`` (fan_out,) uniform(-0.1, 0.1)
    for layer k = 1, 2, 3 (ReLU after layers 1 and 2, softmax cross-entropy on layer 3's
    logits, the mean over the batch)."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(MODEL["seed"])
    batch, epochs = MODEL["batch"], MODEL["epochs"]
    steps = len(x) // batch
    order = np.stack([rng.permutation(len(x))[:steps * batch] for _ in range(epochs)])
    arrays = {"x": x, "y": y, "order": order}
    widths = MODEL["layers"]
    for k, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:]), 1):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        arrays[f"w{k}"] = rng.uniform(-limit, limit, size=(fan_in, fan_out))
        arrays[f"b{k}"] = rng.uniform(-0.1, 0.1, size=fan_out)
    meta = {**MODEL, "layers": list(widths), "steps_per_epoch": steps,
            "steps": steps * epochs, "samples": len(x),
            "recipe": "conformance/make_streams.py write_model: load_digits / 16, "
                      "np.random.default_rng(seed): per-epoch permutations, Glorot-uniform "
                      "weights (fan_in, fan_out), uniform(-0.1, 0.1) biases"}
    np.savez(os.path.join(out, f"model-{MODEL['name']}.npz"), **arrays,
             meta=np.array(json.dumps(meta)))


if __name__ == "__main__":
    write_streams(sys.argv[1])
