"""Chainer 7.8.1 real training: an MLP on the digits with a ``training.Trainer`` and its
``StandardUpdater`` (NumPy backend).

The model of ``_train.py`` as ``chainer.Sequential(L.Linear(64, 128), F.relu,
L.Linear(128, 64), F.relu, L.Linear(64, 10))`` (W (out, in), as Chainer stores it) in an
``L.Classifier`` (``F.softmax_cross_entropy``, the mean over the batch). A
``SerialIterator(shuffle=False, repeat=False)`` over both epochs' minibatches one after
another, ``StandardUpdater(iterator, optimizer)``, ``Trainer(updater, (56,
'iteration'))``; the optimizer hooks of each case (``WeightDecay``,
``GradientClipping``) and, for a schedule, the extension ``ExponentialShift('alpha',
rate)`` triggered every n iterations.

The gradients are read by an optimizer hook added before the case's hooks
(``timing='pre'``: it runs first, so it sees the gradients the optimizer received before
WeightDecay or GradientClipping change them), which also reads ``optimizer.alpha`` (the
rate of this step); an extension triggered every iteration reads every parameter and
``param.update_rule.state`` after the update. State row 0 is zeros (created lazily).
"""

import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np
from _run import Case
from _train import Recorder, plain
from chainer import optimizer_hooks, training
from chainer.training import extensions

FRAMEWORK = "chainer"
TRAINING = True
MODEL = "digits_mlp"

CASES = [
    Case("adam", "train_hookwd_shift", {"alpha": 0.01, "hooks": [["WeightDecay", 1e-4]],
                                        "shift": {"rate": 0.7, "every": 10}}, stream=MODEL,
         description="Adam(alpha=0.01) + optimizer_hooks.WeightDecay(1e-4); "
                     "ExponentialShift('alpha', 0.7) every 10 iterations"),
    Case("adam", "train_hookclip", {"alpha": 0.005, "hooks": [["GradientClipping", 1.0]]},
         stream=MODEL, description="Adam(alpha=0.005) + optimizer_hooks.GradientClipping(1.0)"
                                   " (the norm over every gradient)"),
]


def versions():
    return {"chainer": chainer.__version__, "numpy": np.__version__}


def paths():
    """The OpenBLAS core and threads NumPy's dot ran on (GradientClipping's norm)."""
    from _run import openblas_info
    return openblas_info()


class _GradTap:
    """An optimizer hook that copies every gradient (and the rate) before the others."""
    name = "AdamkitGradTap"
    timing = "pre"
    call_for_each_param = False

    def __init__(self, params):
        self.params, self.grads, self.alpha = params, None, None

    def __call__(self, opt):
        self.grads = [p.grad.copy() for p in self.params]
        self.alpha = float(opt.alpha)


def train(case, data):
    hp = dict(case.hyperparameters)
    hooks, shift = hp.pop("hooks", []), hp.pop("shift", None)
    widths = data.meta["layers"]
    links = []
    with chainer.using_config("dtype", data.dtype):     # the links' parameter dtype
        for k, (w, b) in enumerate(data.layers):
            lin = L.Linear(widths[k], widths[k + 1], initialW=np.ascontiguousarray(w.T),
                           initial_bias=b)
            links += [lin, F.relu] if k + 1 < len(data.layers) else [lin]
    model = L.Classifier(chainer.Sequential(*links))
    opt = chainer.optimizers.Adam(**hp)
    opt.setup(model)
    named = sorted(model.namedparams())
    names, params = [n for n, _ in named], [p for _, p in named]
    tap = _GradTap(params)
    opt.add_hook(tap)
    for name, arg in hooks:
        opt.add_hook(getattr(optimizer_hooks, name)(arg))
    x, y = data.stream()
    it = chainer.iterators.SerialIterator(chainer.datasets.TupleDataset(x, y), data.batch,
                                          repeat=False, shuffle=False)
    updater = training.updaters.StandardUpdater(it, opt, device=-1)
    trainer = training.Trainer(updater, (data.steps, "iteration"), out="/tmp")
    if shift:
        trainer.extend(extensions.ExponentialShift("alpha", shift["rate"]),
                       trigger=(shift["every"], "iteration"))
    rec = Recorder(names)
    rec.start([p.data for p in params])
    eff0 = dict(params[0].update_rule.hyperparam.get_dict())

    @training.make_extension(trigger=(1, "iteration"), priority=0)
    def record(trainer):
        states = {n: [p.update_rule.state[n] for p in params] for n in ("m", "v")}
        rec.step(tap.grads, [p.data for p in params], states, lr=tap.alpha)

    trainer.extend(record)
    trainer.run()
    result = rec.result()
    extra = {
        "api": "chainer.optimizers.Adam(**hp).setup(L.Classifier(model)); add_hook(...); "
               "training.Trainer(StandardUpdater(SerialIterator(...), optimizer), "
               f"({data.steps}, 'iteration')).run()",
        "hyperparameters_effective": plain(eff0),
        "hooks": hooks,
        "state_arrays": {n: f"param.update_rule.state['{n}']; row 0 zeros" for n in ("m", "v")},
        "gradients": "param.grad read by an optimizer hook (timing 'pre') added before the "
                     "case's hooks, so before WeightDecay/GradientClipping change them",
        "lr_recorded": "optimizer.alpha read by that hook (the rate of this step)",
        "iterations": updater.iteration,
        "model": "chainer.Sequential(L.Linear, F.relu, ...) in L.Classifier "
                 "(F.softmax_cross_entropy, mean)",
        "final_loss": float(model.loss.array),
    }
    if shift:
        extra["schedule"] = {
            "api": f"trainer.extend(extensions.ExponentialShift('alpha', {shift['rate']}), "
                   f"trigger=({shift['every']}, 'iteration'))",
            "pieces": [{"name": "ExponentialShift", "args": dict(shift)}]}
    return result, extra
