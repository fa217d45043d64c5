"""Read and write trajectory files, the interchange format of the conformance suite.

The format is the one of the golden files (``golden/README.md``): one
``numpy.savez_compressed`` archive, no pickle, holding

``grads``   (T, n)   the gradient fed at step t is ``grads[t-1]``;
``params``  (T+1, n) ``params[0]`` is the start, ``params[t]`` the value after step t;
``state_<name>`` (T+1, n) the framework's optimizer state under its own names;
``meta``    0-d unicode array holding a JSON document (framework, version, optimizer,
            variant, hyperparameters_effective, dtype, n, T, command, environment, ...).

Only NumPy and the standard library are used: the adapters import this module inside
the framework environments (NumPy 1.23 for the legacy stack).
"""

import json

import numpy as np

__all__ = ["Trajectory", "load", "save"]


class Trajectory:
    """One recorded run: ``grads``, ``params``, ``states`` (dict) and ``meta`` (dict)."""

    def __init__(self, grads, params, states, meta):
        self.grads = grads
        self.params = params
        self.states = dict(states)
        self.meta = dict(meta)

    @property
    def dtype(self):
        return self.params.dtype

    @property
    def steps(self):
        return self.grads.shape[0]


def load(path):
    """Load a trajectory file, checking shapes and dtypes; raise ``ValueError`` if malformed."""
    with np.load(path, allow_pickle=False) as z:
        missing = {"grads", "params", "meta"} - set(z.files)
        if missing:
            raise ValueError(f"{path}: not a trajectory file (missing {sorted(missing)})")
        grads, params = z["grads"], z["params"]
        meta = json.loads(str(z["meta"]))
        states = {k[len("state_"):]: z[k] for k in z.files if k.startswith("state_")}
    if grads.ndim != 2 or params.shape != (grads.shape[0] + 1, grads.shape[1]):
        raise ValueError(f"{path}: grads {grads.shape} and params {params.shape} do not match")
    if grads.dtype != params.dtype or grads.dtype not in (np.float32, np.float64):
        raise ValueError(f"{path}: grads/params dtypes {grads.dtype}/{params.dtype}")
    for name, arr in states.items():
        if arr.shape != params.shape:
            raise ValueError(f"{path}: state_{name} has shape {arr.shape}, expected {params.shape}")
    return Trajectory(grads, params, states, meta)


def save(path, grads, params, states, meta):
    """Write a trajectory file (see the module docstring for the layout)."""
    arrays = {"grads": np.asarray(grads), "params": np.asarray(params)}
    for name, arr in states.items():
        arrays["state_" + name] = np.asarray(arr)
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    np.savez_compressed(path, **arrays)
