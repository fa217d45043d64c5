"""MXNet 1.9.1 real training: a Gluon MLP on the digits with ``gluon.Trainer``.

The model of ``_train.py`` as ``nn.HybridSequential()`` of ``nn.Dense(128, "relu",
in_units=64)``, ``nn.Dense(64, "relu", in_units=128)``, ``nn.Dense(10, in_units=64)``
(weights (out, in), as Gluon stores them), ``gluon.loss.SoftmaxCrossEntropyLoss()``; per
minibatch ``with autograd.record(): loss = loss_fn(net(x), y)``, ``loss.backward()``,
``trainer.step(64)`` (which sets the optimizer's ``rescale_grad`` to 1/64: the loss is
per sample, its gradient summed over the batch). Before ``trainer.step`` the adapter
copies every ``param.grad()`` (the gradients the optimizer receives, before
``rescale_grad``); after it, every parameter, every state NDArray
(``trainer._updaters[0].states``) and ``trainer.learning_rate`` (the scheduler at the
``num_update`` of this step). One CPU context: no kvstore, one ``adam_update`` /
``rmsprop_update`` per parameter (these optimizers do not aggregate).
"""

import mxnet as mx
import numpy as np
from _run import Case
from _train import Recorder, plain
from mxnet import autograd, gluon
from mxnet.gluon import nn

FRAMEWORK = "mxnet"
TRAINING = True
MODEL = "digits_mlp"

CASES = [
    Case("adam", "train_factor", {"learning_rate": 0.01, "lr_scheduler": ["FactorScheduler",
                                  {"step": 10, "factor": 0.7}]}, stream=MODEL,
         description="gluon.Trainer(params, 'adam', {'learning_rate': 0.01, 'lr_scheduler': "
                     "FactorScheduler(step=10, factor=0.7)})"),
    Case("rmsprop", "train", {"learning_rate": 0.002}, dtypes=("float32",), stream=MODEL,
         description="gluon.Trainer(params, 'rmsprop', {'learning_rate': 0.002}) (MXNet's "
                     "RMSProp keeps float32 state: float32 only)"),
]

_STATE_NAMES = {"adam": ["mean", "var"], "rmsprop": ["n"]}


def versions():
    return {"mxnet": mx.__version__, "numpy": np.__version__}


def train(case, data):
    dtype = data.dtype.name
    widths = data.meta["layers"]
    net = nn.HybridSequential()
    for k in range(len(data.layers)):
        act = "relu" if k + 1 < len(data.layers) else None
        net.add(nn.Dense(widths[k + 1], activation=act, in_units=widths[k], dtype=dtype))
    net.initialize(ctx=mx.cpu())
    for layer, (w, b) in zip(net, data.layers):
        layer.weight.set_data(mx.nd.array(np.ascontiguousarray(w.T), dtype=dtype))
        layer.bias.set_data(mx.nd.array(b, dtype=dtype))
    hp = dict(case.hyperparameters)
    schedule = None
    if "lr_scheduler" in hp:
        name, args = hp["lr_scheduler"]
        schedule = args
        hp["lr_scheduler"] = getattr(mx.lr_scheduler, name)(**args)
    trainer = gluon.Trainer(net.collect_params(), case.optimizer, dict(hp))
    params = list(trainer._params)         # the updater's state index i is params[i]
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rec = Recorder([p.name for p in params])
    rec.start([p.data().asnumpy() for p in params])
    names = _STATE_NAMES[case.optimizer]
    eff = None
    for xb, yb in data.batches():
        x = mx.nd.array(xb, dtype=dtype)
        y = mx.nd.array(yb.astype(dtype), dtype=dtype)
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        grads = [p.grad().asnumpy() for p in params]
        trainer.step(data.batch)
        opt = trainer._optimizer
        lr = trainer.learning_rate
        states = trainer._updaters[0].states
        per = [states[i] if isinstance(states[i], (tuple, list)) else (states[i],)
               for i in range(len(params))]
        rec.step(grads, [p.data().asnumpy() for p in params],
                 {n: [s[j].asnumpy() for s in per] for j, n in enumerate(names)}, lr=lr)
        if eff is None:
            eff = {k: getattr(opt, k) for k in (
                "wd", "rescale_grad", "clip_gradient", "beta1", "beta2", "epsilon", "gamma1",
                "gamma2", "centered", "clip_weights", "lazy_update") if hasattr(opt, k)}
            eff["learning_rate"] = lr        # the rate of the first step
    result = rec.result()
    extra = {
        "api": f"gluon.Trainer(net.collect_params(), {case.optimizer!r}, hp); per minibatch: "
               "with autograd.record(): loss = SoftmaxCrossEntropyLoss()(net(x), y); "
               "loss.backward(); trainer.step(64)",
        "hyperparameters_effective": plain(eff),
        "optimizer_arguments": plain(case.hyperparameters),
        "state_arrays": {n: f"{type(opt).__name__} state '{n}' (create_state order); row 0 "
                            "zeros (created at the first step)" for n in result[2][0]},
        "gradients": "param.grad() after loss.backward(), before trainer.step (the "
                     "optimizer multiplies them by rescale_grad = 1/64)",
        "lr_recorded": "trainer.learning_rate after the step: the scheduler at the step's "
                       "num_update (Adam's bias correction is applied on top, in Python)",
        "num_update": int(trainer._optimizer.num_update),
        "model": "HybridSequential of nn.Dense (not hybridized); "
                 "gluon.loss.SoftmaxCrossEntropyLoss (per sample)",
        "final_loss": float(loss.mean().asscalar()),
    }
    if schedule is not None:
        extra["schedule"] = {"api": f"mx.lr_scheduler.FactorScheduler(**{schedule}) as the "
                                    "optimizer's lr_scheduler (base_lr = learning_rate)",
                             "pieces": [{"name": "FactorScheduler", "args": schedule}]}
    return result, extra
