"""The textbook presets against the textbook code itself, run here with NumPy: the
from-scratch NumPy Adam of the user's notes and CS231n's Adam and RMSProp (no bias
correction). The reference code is the published formulas, typed as NumPy statements."""

import numpy as np
import pytest

import adamkit
from adamkit.tools.streams import make_stream

T_STEPS = 300


def stream(dtype):
    p0, grads, _ = make_stream(7, 67, T_STEPS)
    return p0.astype(dtype), grads.astype(dtype)


def scratch_adam(p, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7):
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t in range(1, len(grads) + 1):
        g = grads[t - 1]
        m += (1 - beta1) * (g - m)
        v += (1 - beta2) * (g * g - v)
        lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        p -= lr_t * m / (np.sqrt(v) + eps)
    return p


def cs231n_adam(x, grads, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m, v = np.zeros_like(x), np.zeros_like(x)
    for dx in grads:
        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * (dx * dx)
        x += - learning_rate * m / (np.sqrt(v) + eps)
    return x


def cs231n_rmsprop(x, grads, learning_rate=1e-2, decay_rate=0.99, eps=1e-8):
    cache = np.zeros_like(x)
    for dx in grads:
        cache = decay_rate * cache + (1 - decay_rate) * dx ** 2
        x += - learning_rate * dx / (np.sqrt(cache) + eps)
    return x


CASES = [
    ("numpy_scratch", adamkit.Adam, scratch_adam, {}),
    ("numpy_scratch", adamkit.Adam, scratch_adam, {"lr": 3e-3, "beta1": 0.85, "eps": 1e-6}),
    ("cs231n", adamkit.Adam, cs231n_adam, {}),
    ("cs231n", adamkit.Adam, cs231n_adam, {"learning_rate": 4e-3, "beta2": 0.995}),
    ("cs231n", adamkit.RMSProp, cs231n_rmsprop, {}),
    ("cs231n", adamkit.RMSProp, cs231n_rmsprop, {"learning_rate": 3e-3, "decay_rate": 0.9}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("preset,cls,reference,hp", CASES)
def test_textbook_preset_is_bit_identical(preset, cls, reference, hp, dtype):
    if preset == "numpy_scratch" and dtype == np.float32:
        pytest.skip("float32 under NumPy >= 2: np.sqrt of a Python float is an np.float64, so "
                    "lr_t * m promotes the update to float64 (NEP 50); the preset reproduces "
                    "float64 runs, and float32 runs under NumPy 1.x value-based casting")
    p0, grads = stream(dtype)
    want = reference(p0.copy(), grads, **hp)
    opt = cls(preset=preset, **hp)
    p = p0.copy()
    for g in grads:
        opt.step(p, g)
    assert want.dtype == dtype
    assert np.array_equal(p.view(np.uint8), want.view(np.uint8))
