"""Blocks (mila-iqia/blocks c69c2dc) on Theano 1.0.5: ``algorithms.Adam`` and ``RMSProp``
(``BasicRMSProp`` + ``Scale``). Hyper-parameters are floatX shared variables; g++
contracts as in Lasagne. Evidence: conformance/notes/golden-recipes.md."""

import numpy as np

from .. import _vocab as V
from .._rules import Rule
from ._floats import T, adam_scalars, powT, rmsprop_scalars
from ._preset import Preset, real
from .lasagne import ADAM_OPS, ALIASES


def _adam_scalars(hp, t, lr, f32):
    Tt = T(f32)
    b1, b2, lam = Tt(hp["beta1"]), Tt(hp["beta2"]), Tt(hp["decay_factor"])
    b1t = b1 * powT(lam, Tt(t - 1), f32)
    alpha = (Tt(lr) * np.sqrt(Tt(1.0) - powT(b2, Tt(t), f32))) / (
        Tt(1.0) - powT(b1t, Tt(t), f32))
    return adam_scalars(b1=b1t, c1=Tt(1.0) - b1t, b2=b2, c2=Tt(1.0) - b2,
                        eps=Tt(hp["epsilon"]), alpha=alpha)


def _rmsprop_scalars(hp, t, lr, f32):
    Tt = T(f32)
    rho = Tt(hp["decay_rate"])
    return rmsprop_scalars(rho=rho, c=Tt(1.0) - rho, eps=Tt(1.0 / hp["max_scaling"]),
                           lr=Tt(lr))


PRESETS = (
    Preset("blocks", "adam", "adam", lambda hp: Rule("adam", dict(ADAM_OPS), _adam_scalars),
           defaults={"learning_rate": 2e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                     "decay_factor": 1.0},
           lr_name="learning_rate", aliases=ALIASES, states={"mean": "m", "variance": "v"},
           checks={"decay_factor": real(0.0, 1.0)},
           constructor="blocks.algorithms.Adam", version="0.2.0 (c69c2dc)",
           api="blocks.algorithms.Adam (Theano 1.0.5)"),
    Preset("blocks", "rmsprop", "rmsprop",
           lambda hp: Rule("rmsprop", {"square": V.MS_SCAL_FMA, "denom": V.RD_MAX_SQRT,
                                       "step": V.RU_DIV, "momentum": V.MOM_FMA},
                           _rmsprop_scalars),
           defaults={"learning_rate": 1.0, "decay_rate": 0.9, "max_scaling": 1e5},
           lr_name="learning_rate", aliases={"lr": "learning_rate", "alpha": "decay_rate"},
           states={"mean_square_step_tm1": "ms"},
           checks={"max_scaling": real(0.0, lo_open=True)},       # epsilon = 1 / max_scaling
           constructor="blocks.algorithms.RMSProp", version="0.2.0 (c69c2dc)",
           api="blocks.algorithms.RMSProp = BasicRMSProp + Scale (Theano 1.0.5)"),
)
