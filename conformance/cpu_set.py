"""The cross-CPU set: live recordings whose bits depend on the CPU that recorded them, kept
in the repository (``conformance/cpu/``) so that every machine replays them.

A live run proves a preset on the machine it runs on, for that machine's code paths. The
frameworks take other paths on other CPUs: AMD Zen's rsqrtps table (PyTorch's MKL sqrt,
TensorFlow's and XLA's float32 rsqrt), XLA's float64 rsqrt with and without AVX-512
(vrsqrt14pd and two Newton steps, or 1/sqrt), OpenBLAS's dot kernels per core and thread
count (Chainer's clipping norm). Each file here was recorded by the live suite on one of
those paths; replayed on any machine (``test_cpu_set.py``), it must give the recorded bits,
with this CPU's instructions where they match the recorded ones and with the software
models everywhere else.

``python -m conformance.cpu_set RECORDINGS_DIR ...`` copies the files named in ``SELECTED``
from the given recording directories (``conformance/recordings/<stack>`` after
``python -m conformance verify``), keeping the first ``steps`` steps (the metadata says so:
``truncated``), with machine paths in the command replaced by placeholders.
"""

import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEST = os.path.join(HERE, "cpu")

#: recording (without the dtype suffix) -> (dtypes, steps kept, the CPU-dependent path)
SELECTED = {
    "optax-rmsprop-default": (("float32", "float64"), 100,
                              "XLA rsqrt: Zen rsqrtss + Newton (f32), vrsqrt14pd + 2 Newton "
                              "under AVX-512 (f64)"),
    "optax-rmsprop-default.avx2": (("float64",), 100, "XLA rsqrt capped at AVX2: 1/sqrt"),
    "optax-rmsprop-centered_momentum_eager": (("float64",), 100,
                                              "eager XLA rsqrt under AVX-512"),
    "keras_jax-rmsprop-default": (("float32", "float64"), 100,
                                  "Keras 3 on JAX under jit: XLA rsqrt per ISA"),
    "keras_jax-rmsprop-default.avx2": (("float64",), 100, "the same capped at AVX2"),
    "keras_tensorflow-rmsprop-default": (("float32",), 100,
                                         "TF's graph rewrite x * rsqrt(den): Zen rsqrtps"),
    "tf_keras-rmsprop-new_default": (("float32",), 100, "the same under tf_keras"),
    "keras_torch-rmsprop-default": (("float32", "float64"), 100,
                                    "ATen's sqrt on the torch backend"),
    "torch-rmsprop-default_foreach": (("float32", "float64"), 100,
                                      "torch foreach: MKL VML sqrt from Zen's rsqrtss"),
    "torch-rmsprop-wd_foreach_large_thr2": (("float32",), 2,
                                            "the same over 40011 elements, 2 threads"),
    "torch-adam-default_foreach": (("float32", "float64"), 100,
                                   "torch Adam foreach: MKL VML sqrt"),
    "chainer-adam-hookclip": (("float32", "float64"), 100,
                              "OpenBLAS sdot/ddot on this CPU's core (Zen or Cooperlake "
                              "kernels)"),
    "chainer-adam-hookclip.haswell1": (("float32", "float64"), 100,
                                       "OpenBLAS's Haswell kernels, 1 thread"),
    "chainer-adam-hookclip.skylakex": (("float64",), 100, "OpenBLAS's SkylakeX kernels"),
    "chainer-adam-hookclip_large": (("float64",), 2,
                                    "OpenBLAS ddot over 40011 elements, 2 threads"),
}


def truncate(src, dest, steps, why):
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"]))
    T = meta["T"]
    keep = min(steps, T)
    out = {}
    for key, a in arrays.items():
        if key.startswith("grads") or key == "lr" or key.startswith("lr_"):
            out[key] = a[:keep]
        elif key.startswith(("params", "state_")):
            out[key] = a[:keep + 1]
        else:
            out[key] = a
    meta["truncated"] = {"steps_recorded": T, "steps_kept": keep,
                         "note": "the first steps of a live recording (conformance/cpu_set.py)"}
    meta["T"] = keep
    meta["cpu_set"] = why
    meta["command"] = re.sub(r"\S*/conformance/", "conformance/",
                             re.sub(r"/tmp/\S+", "<streams>", meta.get("command", "")))
    for key in ("grads_sha256", "params_sha256"):
        meta.pop(key, None)
    np.savez_compressed(dest, meta=np.array(json.dumps(meta, indent=1, sort_keys=True)), **out)


def main(dirs):
    os.makedirs(DEST, exist_ok=True)
    found = 0
    for stem, (dtypes, steps, why) in SELECTED.items():
        for dtype in dtypes:
            name = f"{stem}-{dtype}.npz"
            for d in dirs:
                path = os.path.join(d, name)
                if os.path.exists(path):
                    truncate(path, os.path.join(DEST, name), steps, why)
                    found += 1
                    sys.stdout.write(f"  {name}: {steps} steps\n")
                    break
    sys.stdout.write(f"{found} files in {DEST}\n")


if __name__ == "__main__":
    main(sys.argv[1:] or [os.path.join(HERE, "recordings", s)
                          for s in ("modern", "legacy", "kerasadamw")])
