"""What the real-training adapters share: the model data and a recorder.

A training adapter (``*_train_adapter.py``) sets ``TRAINING = True`` and defines
``train(case, data)`` instead of ``run``: it trains the model of
``conformance/make_streams.py`` (an MLP 64-128-64-10 on the digits) with the framework's
own training API and returns a :class:`Recorder`'s result. ``_run.py`` writes it as a
multi-array trajectory file (``meta["arrays"]``, one entry per parameter array in the
framework's order and layout).

Every adapter gets the same data: ``data.x``/``data.y`` cast to the case's dtype, the
minibatches in the recorded order (``data.batches()``), and the initial weights in
(fan_in, fan_out) layout (``data.layers``); adapters never draw random numbers.
"""

import json
import os

import numpy as np


class Data:
    """The model data of one case, in one dtype."""

    def __init__(self, streams, name, dtype):
        with np.load(os.path.join(streams, f"model-{name}.npz")) as z:
            self.meta = json.loads(str(z["meta"]))
            self.dtype = np.dtype(dtype)
            self.x = z["x"].astype(dtype)
            self.y = z["y"].astype(np.int64)
            self.order = z["order"]
            n = len(self.meta["layers"]) - 1
            #: [(w (fan_in, fan_out), b (fan_out,))] per layer, in the case's dtype
            self.layers = [(z[f"w{k}"].astype(dtype), z[f"b{k}"].astype(dtype))
                           for k in range(1, n + 1)]
        self.batch = int(self.meta["batch"])
        self.epochs = int(self.meta["epochs"])
        self.steps_per_epoch = int(self.meta["steps_per_epoch"])
        self.steps = self.epochs * self.steps_per_epoch

    def batches(self, epoch=None):
        """(x, y) of every step in order (of one epoch, if given)."""
        epochs = range(self.epochs) if epoch is None else [epoch]
        for e in epochs:
            for s in range(self.steps_per_epoch):
                idx = self.order[e, s * self.batch:(s + 1) * self.batch]
                yield self.x[idx], self.y[idx]

    def stream(self):
        """Every step's samples one after another: (x, y) of steps * batch rows (for
        training loops that take whole arrays and are told not to shuffle)."""
        idx = self.order.reshape(-1)
        return self.x[idx], self.y[idx]


class Recorder:
    """Collects, after every optimizer step, every parameter array, every per-element
    state array (the framework's names), the gradients the optimizer received and the
    learning rate it used (a number, or one per array).

    ``names`` name the arrays (the framework's own names). Call :meth:`start` with the
    initial parameters (and any state that exists before the first step), then
    :meth:`step` once per optimizer step. A state that first appears after step 1 gets a
    row 0 of ``fill.get(name, 0)`` (frameworks create their state in the first step)."""

    def __init__(self, names, fill=None):
        self.names = list(names)
        self.fill = dict(fill or {})
        self.params, self.grads, self.lr = [], [], []
        self.states = {}

    @staticmethod
    def _copy(a):
        return np.array(a, copy=True)

    def start(self, params, states=None):
        self.params.append([self._copy(p) for p in params])
        for name, arrs in (states or {}).items():
            self.states[name] = [[self._copy(a) for a in arrs]]

    def step(self, grads, params, states, lr=None):
        t = len(self.grads)
        self.grads.append([self._copy(g) for g in grads])
        self.params.append([self._copy(p) for p in params])
        for name, arrs in states.items():
            if name not in self.states:
                fill = self.fill.get(name, 0.0)
                row0 = [np.full_like(self._copy(a), fill) for a in arrs]
                self.states[name] = [row0] + [None] * t
            self.states[name].append([self._copy(a) for a in arrs])
        if lr is not None:
            self.lr.append(lr)

    def result(self):
        """(grads, params, states, lr, arrays): per array k, grads[k] (T, *shape),
        params[k] (T+1, *shape), states[k] {name: (T+1, *shape)}; lr (T,) or (T, K) or
        None; arrays the meta["arrays"] list."""
        K, T = len(self.names), len(self.grads)
        if T == 0 or len(self.params) != T + 1:
            raise RuntimeError(f"recorded {T} steps and {len(self.params)} parameter rows")
        grads = [np.stack([self.grads[t][k] for t in range(T)]) for k in range(K)]
        params = [np.stack([self.params[t][k] for t in range(T + 1)]) for k in range(K)]
        states = [{} for _ in range(K)]
        for name, rows in self.states.items():
            if any(r is None for r in rows) or len(rows) != T + 1:
                raise RuntimeError(f"state {name} is missing at some steps")
            for k in range(K):
                states[k][name] = np.stack([rows[t][k] for t in range(T + 1)])
        for k in range(K):
            for what, arr in [("grads", grads[k]), ("params", params[k])] + [
                    (n, a) for n, a in states[k].items()]:
                if arr.dtype != params[0].dtype or arr.shape[1:] != params[k].shape[1:]:
                    raise RuntimeError(f"{self.names[k]}: {what} is {arr.dtype} "
                                       f"{arr.shape}, params {params[k].dtype} "
                                       f"{params[k].shape}")
        lr = None
        if self.lr:
            if len(self.lr) != T:
                raise RuntimeError(f"learning rate recorded at {len(self.lr)} of {T} steps")
            lr = np.array(self.lr, dtype=np.float64)
        arrays = [{"name": n, "shape": list(params[k].shape[1:])}
                  for k, n in enumerate(self.names)]
        return grads, params, states, lr, arrays


def plain(value):
    """A framework configuration value as JSON (numbers, strings, lists, dicts; other
    objects by repr)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bool, int, float, str, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return repr(value)
