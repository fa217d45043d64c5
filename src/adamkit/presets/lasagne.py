"""Lasagne (master 5d3c63c and 0.1) on Theano 1.0.5: ``lasagne.updates.adam``, ``amsgrad``,
``adamax``, ``rmsprop``.

Theano compiles each update to C with g++ -O3 -mfma, which contracts ``b*m + c*g`` into
``fma(c, g, b*m)`` in every element. Lasagne 0.1 folds ``1 - beta`` in Python double,
master computes it on the floatX constant. Evidence: conformance/notes/lasagne-recipes.md
and golden-recipes.md, 0-ULP replays of the golden and live recordings.
"""

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from ._floats import T, adam_scalars, powT, rmsprop_scalars
from ._preset import Preset


def one_minus(b, f32, folded):
    """1 - beta in a Theano graph: folded in Python double (Lasagne 0.1) or computed on
    the floatX constant (Lasagne master's T.constant(1), Blocks' shared variables)."""
    Tt = T(f32)
    return Tt(1.0 - b) if folded else Tt(1.0) - Tt(b)


def _adam_scalars(folded, adamax=False):
    def scalars(hp, t, lr, f32):
        Tt = T(f32)
        b1, b2, tt = Tt(hp["beta1"]), Tt(hp["beta2"]), Tt(t)
        if adamax:
            alpha = Tt(lr) / (Tt(1.0) - powT(b1, tt, f32))
        else:
            alpha = (Tt(lr) * np.sqrt(Tt(1.0) - powT(b2, tt, f32))) / (
                Tt(1.0) - powT(b1, tt, f32))
        return adam_scalars(b1=b1, c1=one_minus(hp["beta1"], f32, folded), b2=b2,
                            c2=one_minus(hp["beta2"], f32, folded), eps=Tt(hp["epsilon"]),
                            alpha=alpha)
    return scalars


def _rmsprop_scalars(folded):
    def scalars(hp, t, lr, f32):
        Tt = T(f32)
        return rmsprop_scalars(rho=Tt(hp["rho"]), c=one_minus(hp["rho"], f32, folded),
                               eps=Tt(hp["epsilon"]), lr=Tt(lr))
    return scalars


ADAM_OPS = {"first": V.M_SCAL_FMA, "second": V.V_SCAL_FMA, "denom": V.D_SQRT_EPS}
_ADAM = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
ALIASES = {"lr": "learning_rate", "betas": ("beta1", "beta2"), "eps": "epsilon"}
_RMS_ALIASES = {"lr": "learning_rate", "eps": "epsilon", "alpha": "rho"}


def _presets(framework, version, folded):
    adam = _adam_scalars(folded)
    rms = _rmsprop_scalars(folded)
    release = "0.1" if version == "0.1" else "0.2.dev1 (5d3c63c)"

    def source(fn):
        return dict(constructor=f"lasagne.updates.{fn}", version=release)
    out = [
        Preset(framework, "adam", "adam", lambda hp: Rule("adam", dict(ADAM_OPS), adam),
               defaults=_ADAM, lr_name="learning_rate", aliases=ALIASES,
               states={"m": "m", "v": "v"}, **source("adam"),
               api=f"Lasagne {version} lasagne.updates.adam (Theano 1.0.5)"),
        Preset(framework, "rmsprop", "rmsprop",
               lambda hp: Rule("rmsprop", {"square": V.MS_AXPBY,
                                           "denom": V.RD_EPS_FIRST_SQRT}, rms),
               defaults={"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6},
               lr_name="learning_rate", aliases=_RMS_ALIASES, states={"accu": "ms"},
               **source("rmsprop"),
               api=f"Lasagne {version} lasagne.updates.rmsprop (Theano 1.0.5)"),
    ]
    if framework == "lasagne_master":
        out += [
            Preset(framework, "amsgrad", "adam",
                   lambda hp: Rule("adam", {**ADAM_OPS, "amsgrad": 1}, adam),
                   defaults=_ADAM, lr_name="learning_rate", aliases=ALIASES,
                   states={"m": "m", "v": "v", "v_hat": "vhat"}, **source("amsgrad"),
                   api="Lasagne master lasagne.updates.amsgrad (Theano 1.0.5)"),
            Preset(framework, "adamax", "adam",
                   lambda hp: Rule("adam", {"first": V.M_SCAL_FMA, "second": V.V_MAX,
                                            "denom": V.D_EPS},
                                   _adam_scalars(folded, adamax=True)),
                   defaults={**_ADAM, "learning_rate": 2e-3}, lr_name="learning_rate",
                   aliases=ALIASES, states={"m": "m", "u": "v"}, **source("adamax"),
                   api="Lasagne master lasagne.updates.adamax (Theano 1.0.5)"),
        ]
    return tuple(out)


PRESETS = _presets("lasagne_master", "master", False) + _presets("lasagne_0.1", "0.1", True)
