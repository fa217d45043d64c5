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

:func:`load` checks the archive before it inflates anything, so that a hostile file costs
no more memory and time than its size allows: only a regular file is opened (a FIFO or a
device is refused before a byte is read); the member names must be those the metadata
allows; each member's ``.npy`` header (at most 64 KiB) must declare the shape and dtype
the metadata implies and exactly the member's uncompressed size; and the members together
may inflate to at most ``MAX_RATIO`` times the file's size (or ``MIN_CAP``), and never
to more than ``MAX_BYTES`` (pass ``max_bytes`` to trust a file further). A recording has
at most ``MAX_STEPS`` steps (steps times arrays) and no empty array, so replaying it costs
time proportional to its inflated size.

Only NumPy and the standard library are used: the adapters import this module inside the
framework environments (NumPy 1.23 for the legacy stack).
"""

import io
import json
import math
import os
import re
import stat
import zipfile

import numpy as np

__all__ = ["Trajectory", "load", "save", "MAX_BYTES", "MAX_RATIO", "MIN_CAP", "MAX_STEPS",
           "open_regular", "npy_member_header"]

#: the most bytes a file may inflate to, unless the caller allows more
MAX_BYTES = 512 * 2**20
#: unless ``max_bytes`` is given, a file may inflate to this many times its own size (the
#: recordings of the conformance suite inflate 1.1-1.6 times), or to ``MIN_CAP``
MAX_RATIO = 8
MIN_CAP = 16 * 2**20
#: the most steps a recording may hold, and steps times arrays (the suite's longest
#: recording has 1000 steps; a replay costs about 70 us per step and array)
MAX_STEPS = 2 * 10**4
_MAX_META = 2**20
_MAX_HEADER = 2**16


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


def open_regular(path):
    """Open ``path`` for binary reading; refuse anything but a regular file (a FIFO would
    block, a device never end, a directory is not a file) with ``ValueError``, before a
    byte is read. A missing file raises ``FileNotFoundError``."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a directory" if stat.S_ISDIR(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "a special file")
            raise ValueError(f"{os.fspath(path)} is {kind}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def npy_member_header(zf, info):
    """(shape, dtype) of an ``.npy`` member of an open ZipFile, read from its header alone
    (at most 64 KiB), which must declare exactly the member's uncompressed size. Raises
    ValueError otherwise, and for Fortran order, object dtypes, .npy versions other than
    1 and 2."""
    with zf.open(info) as f:
        head = f.read(10)
        if len(head) < 10 or head[:6] != b"\x93NUMPY" or head[6] not in (1, 2):
            raise ValueError(f"{info.filename} is not a version 1 or 2 .npy array")
        if head[6] == 2:
            head += f.read(2)
        hlen = int.from_bytes(head[8:], "little")
        if hlen > _MAX_HEADER:
            raise ValueError(f"{info.filename}: a {hlen}-byte .npy header")
        body = f.read(hlen)
    if len(body) != hlen:
        raise ValueError(f"{info.filename}: truncated .npy header")
    fp = io.BytesIO(head + body)
    try:
        version = np.lib.format.read_magic(fp)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read(fp)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError) as exc:
        raise ValueError(f"{info.filename}: bad .npy header ({type(exc).__name__})") from None
    if fortran or dtype.hasobject:
        raise ValueError(f"{info.filename}: not a plain C-ordered numeric array")
    nbytes = math.prod(shape) * dtype.itemsize
    if len(head) + hlen + nbytes != info.file_size:
        raise ValueError(f"{info.filename}: its header declares {nbytes} bytes of data, the "
                         f"member holds {info.file_size - len(head) - hlen}")
    return tuple(shape), dtype


_header = npy_member_header


def load(path, max_bytes=None):
    """Load and check a trajectory file; raise ``ValueError`` if it is malformed, if it is
    not a regular file, or if it would inflate to more than ``max_bytes`` (default:
    ``MAX_RATIO`` times its size or ``MIN_CAP``, at most ``MAX_BYTES``)."""
    try:
        f = open_regular(path)
    except ValueError as exc:
        raise ValueError(f"not a trajectory file: {exc}") from None
    with f:
        try:
            zf = zipfile.ZipFile(f)
        except Exception as exc:    # BadZipFile, OSError, EOFError, struct.error, ...
            raise ValueError(f"{path}: not a trajectory file ({exc})") from None
        with zf:
            try:
                return _load(path, zf, os.fstat(f.fileno()).st_size, max_bytes)
            except ValueError:
                raise
            except Exception as exc:   # a bad CRC, zlib.error, a truncated member, ...
                raise ValueError(f"{path}: corrupted ({type(exc).__name__}: {exc})") from None


def _load(path, zf, size, max_bytes):
    if max_bytes is None:
        max_bytes = min(MAX_BYTES, max(MIN_CAP, MAX_RATIO * size))
    members = zf.infolist()
    infos = {i.filename[:-4]: i for i in members if i.filename.endswith(".npy")}
    if len(infos) != len(members):
        raise ValueError(f"{path}: members other than .npy arrays, or repeated names")
    if any(i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
           for i in members):
        raise ValueError(f"{path}: members compressed other than by deflate")
    if "meta" not in infos or infos["meta"].file_size > _MAX_META:
        raise ValueError(f"{path}: no (or an oversized) meta member")
    total = sum(i.file_size for i in members)
    if total > max_bytes:
        raise ValueError(f"{path}: would inflate to {total} bytes from {size} (more than "
                         f"{max_bytes}; pass max_bytes to trust it)")
    shape, dtype = _header(zf, infos["meta"])
    if shape != () or dtype.kind != "U":
        raise ValueError(f"{path}: meta is not a string")
    meta_arr = np.load(zf.open(infos["meta"]), allow_pickle=False)
    try:
        meta = json.loads(str(meta_arr))
    except (ValueError, RecursionError):
        raise ValueError(f"{path}: meta is not JSON") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: meta is not a JSON object")
    for key in ("framework", "optimizer"):
        if not isinstance(meta.get(key), str):
            raise ValueError(f"{path}: meta[{key!r}] must name the {key}")
    for key in ("hyperparameters", "hyperparameters_effective"):
        if not isinstance(meta.get(key), (dict, type(None))):
            raise ValueError(f"{path}: meta[{key!r}] must be a JSON object")
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
    if not 0 <= T <= MAX_STEPS or T * len(shapes) > MAX_STEPS:
        raise ValueError(f"{path}: {T} steps of {len(shapes)} arrays (at most {MAX_STEPS} "
                         "steps times arrays)")
    empty = [k.lstrip("_") or "grads" for k, shape in shapes.items() if math.prod(shape) == 0]
    if empty:
        raise ValueError(f"{path}: an array without elements ({', '.join(empty)})")
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
