"""Read and write trajectory files, the interchange format of the conformance suite.

One ``numpy.savez_compressed`` archive, no pickle. A file records one optimizer run of a
framework: the gradients it was given, and the parameters and optimizer state it produced
after every step, read back from the framework. Two layouts:

* **one array** (the golden files, ``golden/README.md``):

  ``grads``   (T, n)   the gradient fed at step t is ``grads[t-1]``;
  ``params``  (T+1, n) ``params[0]`` is the start, ``params[t]`` the value after step t;
  ``state_<name>`` (T+1, n) the framework's optimizer state under its own names;

* **several arrays** (a model's parameters updated together), when ``meta["arrays"]``
  lists them, ``[{"name": ..., "shape": [...]}, ...]``: for array k, ``grads_<k>`` (T,
  *shape), ``params_<k>`` (T+1, *shape) and ``state_<name>_<k>`` (T+1, *shape).

Both may hold ``lr`` (T,): the learning rate the framework used at each step, where it
can be read back (its schedule is described in ``meta["schedule"]``), as the value of the
optimizer's learning-rate hyper-parameter (a decay the optimizer applies itself, such as
Keras 2's ``decay``, is not in it); a several-array file may hold it as (T, K), one rate
per array (parameter groups with their own rates). ``meta`` is a 0-d
unicode array holding a JSON document (framework, version, optimizer, variant,
hyperparameters_effective, dtype, T, cpu, env, paths, command, environment, ...).

:func:`load` checks the archive before it inflates anything: the member names, each
member's declared shape and dtype against the metadata, each member's size against a cap.

Only NumPy and the standard library are used: the adapters import this module inside the
framework environments (NumPy 1.23 for the legacy stack).
"""

import json
import re
import zipfile

import numpy as np

__all__ = ["Trajectory", "load", "save", "MAX_BYTES"]

#: the most bytes a file may inflate to, unless the caller allows more
MAX_BYTES = 512 * 2**20
_MAX_META = 2**20
_MAX_STEPS = 10**6


class Trajectory:
    """One recorded run: per array ``grads[k]`` (T, *shape), ``params[k]`` (T+1, *shape)
    and ``states[k]`` (a dict of (T+1, *shape) arrays), the learning rates ``lr`` ((T,),
    (T, K) or None) and ``meta``. For a one-array file, ``grads``, ``params`` and
    ``states`` are that array's (not lists) and ``multi`` is False."""

    def __init__(self, grads, params, states, meta, lr=None):
        self.grads, self.params, self.states = grads, params, states
        self.meta, self.lr = dict(meta), lr

    @property
    def multi(self):
        return isinstance(self.grads, list)

    @property
    def dtype(self):
        return (self.params[0] if self.multi else self.params).dtype

    @property
    def steps(self):
        return (self.grads[0] if self.multi else self.grads).shape[0]


def _header(zf, info):
    """(shape, dtype) of an .npy member, read from its header alone."""
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
        if fortran or dtype.hasobject:
            raise ValueError("not a plain C-ordered numeric array")
        return tuple(shape), dtype


def load(path, max_bytes=MAX_BYTES):
    """Load and check a trajectory file; raise ``ValueError`` if it is malformed, or if it
    would inflate to more than ``max_bytes``."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a trajectory file ({exc})") from None
    with zf:
        infos = {i.filename[:-4]: i for i in zf.infolist() if i.filename.endswith(".npy")}
        if len(infos) != len(zf.infolist()):
            raise ValueError(f"{path}: members other than .npy arrays")
        if "meta" not in infos or infos["meta"].file_size > _MAX_META:
            raise ValueError(f"{path}: no (or an oversized) meta member")
        total = sum(i.file_size for i in infos.values())
        if total > max_bytes:
            raise ValueError(f"{path}: would inflate to {total} bytes (> {max_bytes})")
        meta_arr = np.load(zf.open(infos["meta"]), allow_pickle=False)
        try:
            meta = json.loads(str(meta_arr))
        except ValueError:
            raise ValueError(f"{path}: meta is not JSON") from None
        if not isinstance(meta, dict):
            raise ValueError(f"{path}: meta is not a JSON object")
        expected = _expected(path, zf, infos, meta)
        arrays = {}
        for name, (shape, dtype) in expected.items():
            info = infos[name]
            got = _header(zf, info)
            if got != (shape, dtype):
                raise ValueError(f"{path}: {name} has shape/dtype {got}, expected "
                                 f"{(shape, dtype)}")
            arrays[name] = np.load(zf.open(info), allow_pickle=False)
    return _assemble(meta, arrays)


def _expected(path, zf, infos, meta):
    """{member: (shape, dtype)} the metadata allows; unknown members are refused."""
    def shape_dtype(name):
        if name not in infos:
            raise ValueError(f"{path}: missing {name}")
        return _header(zf, infos[name])
    if meta.get("arrays") is None:
        g_shape, dtype = shape_dtype("grads")
        if len(g_shape) != 2 or dtype not in (np.float32, np.float64):
            raise ValueError(f"{path}: grads must be a (T, n) float32/float64 array")
        shapes = {"": g_shape[1:]}
        T = g_shape[0]
    else:
        arrays = meta["arrays"]
        if not isinstance(arrays, list) or not arrays:
            raise ValueError(f"{path}: meta['arrays'] must list the arrays")
        shapes = {}
        for k, a in enumerate(arrays):
            shape = a.get("shape") if isinstance(a, dict) else None
            if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0
                                                      for d in shape):
                raise ValueError(f"{path}: meta['arrays'][{k}] needs a shape")
            shapes[f"_{k}"] = tuple(shape)
        g_shape, dtype = shape_dtype("grads_0")
        T = g_shape[0] if g_shape else -1
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"{path}: grads must be float32 or float64")
    if not 0 <= T <= _MAX_STEPS:
        raise ValueError(f"{path}: {T} steps (at most {_MAX_STEPS})")
    expected = {"meta": _header(zf, infos["meta"])}
    for suffix, shape in shapes.items():
        expected["grads" + suffix] = ((T, *shape), dtype)
        expected["params" + suffix] = ((T + 1, *shape), dtype)
    missing = [name for name in expected if name not in infos]
    if missing:
        raise ValueError(f"{path}: missing {missing}")
    if "lr" in infos:               # one rate per step, or (several arrays) one per array
        lr_shape = _header(zf, infos["lr"])[0]
        per_array = meta.get("arrays") is not None and lr_shape == (T, len(shapes))
        expected["lr"] = ((T, len(shapes)) if per_array else (T,), np.dtype(np.float64))
    pattern = re.compile(r"state_(\w+?)(_\d+)?$")
    for name in infos:
        m = pattern.match(name)
        if m and (m.group(2) or "") in shapes:
            expected[name] = ((T + 1, *shapes[m.group(2) or ""]), dtype)
    unknown = set(infos) - set(expected)
    if unknown:
        raise ValueError(f"{path}: unexpected members {sorted(unknown)}")
    return expected


def _assemble(meta, arrays):
    lr = arrays.get("lr")
    if meta.get("arrays") is None:
        states = {k[len("state_"):]: v for k, v in arrays.items() if k.startswith("state_")}
        return Trajectory(arrays["grads"], arrays["params"], states, meta, lr)
    K = len(meta["arrays"])
    states = [{} for _ in range(K)]
    for name, v in arrays.items():
        m = re.match(r"state_(\w+)_(\d+)$", name)
        if m:
            states[int(m.group(2))][m.group(1)] = v
    return Trajectory([arrays[f"grads_{k}"] for k in range(K)],
                      [arrays[f"params_{k}"] for k in range(K)], states, meta, lr)


def save(path, grads, params, states, meta, lr=None):
    """Write a trajectory file. ``grads``, ``params`` and ``states`` are one array's (T, n),
    (T+1, n) and {name: (T+1, n)}, or lists of them, one per array, with ``meta["arrays"]``
    naming the arrays."""
    out = {}
    if isinstance(grads, (list, tuple)):
        if len(meta.get("arrays") or ()) != len(grads):
            raise ValueError("meta['arrays'] must name every array")
        for k, (g, p, st) in enumerate(zip(grads, params, states)):
            out[f"grads_{k}"], out[f"params_{k}"] = np.asarray(g), np.asarray(p)
            for name, arr in st.items():
                out[f"state_{name}_{k}"] = np.asarray(arr)
    else:
        out["grads"], out["params"] = np.asarray(grads), np.asarray(params)
        for name, arr in states.items():
            out["state_" + name] = np.asarray(arr)
    if lr is not None:
        out["lr"] = np.asarray(lr, dtype=np.float64)
    out["meta"] = np.array(json.dumps(meta, sort_keys=True))
    np.savez_compressed(path, **out)
