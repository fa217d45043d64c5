"""Optimizer state files: ``save_state(optimizer, path)`` and ``load_state(optimizer, path)``.

Format (version 1)
------------------
An uncompressed NumPy ``.npz`` archive (a ZIP file: every member carries a CRC-32 that
is checked on reading), written with ``allow_pickle=False`` semantics (no Python objects)
and read back with ``allow_pickle=False``. Members:

``__adamkit_state__``
    A 0-d unicode array holding a JSON object::

        {"format": "adamkit-state", "version": 1, "t": <int>, "family": "adam"|"rmsprop",
         "preset": <str or null>, "ops": {<field>: <int>, ...},
         "hyperparameters": {...}, "n_arrays": <int or null>,
         "buffers": [[<name>, ...], ...],            # per parameter array, kernel order
         "sha256": "<hex digest of the buffers' bytes, in order>"}

``s<i>_<name>``
    The state buffer ``name`` (e.g. ``m``, ``v``, ``vhat``, ``ms``, ``mg``, ``mom``) of
    parameter array ``i``: a 1-D float32 or float64 array.

Floats in the JSON are written with Python's shortest round-trip repr, so the
hyper-parameters come back bit for bit. The learning rate is not stored (as for
``state_dict``): schedules are code; rebuild the optimizer with the same ``lr``.

Errors: a missing, truncated or corrupted file, a file that is not an adamkit state
file, a newer format version, or a state made by a different update rule raises
``ValueError`` (``FileNotFoundError`` for a missing path) with the reason; the
optimizer is left untouched. Reading is bounded by the file's size (see ``read_state``):
a crafted file cannot make it allocate more than the file holds, nor block on a FIFO.
``save_state`` writes to a temporary file in the same directory and renames it over
``path``, so an interrupted save never leaves a half file.
"""

import hashlib
import json
import os
import tempfile
import zipfile

import numpy as np

__all__ = ["save_state", "load_state", "FORMAT", "VERSION"]

FORMAT = "adamkit-state"
VERSION = 1
_META = "__adamkit_state__"
_MAX_META = 2**20
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _digest(arrays):
    h = hashlib.sha256()
    for a in arrays:
        h.update(a.dtype.str.encode())
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).data)          # the bytes, without a copy
    return h.hexdigest()


def _jsonable(x, where):
    """Hyper-parameters as JSON values; refuse what would not come back identical."""
    if isinstance(x, (bool, str)) or x is None:
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, (list, tuple)):
        return [_jsonable(v, where) for v in x]
    if isinstance(x, dict):
        return {str(k): _jsonable(v, where) for k, v in x.items()}
    raise TypeError(f"cannot save {where}: {x!r} is not a number, string or list")


def save_state(optimizer, path):
    """Write ``optimizer.state_dict()`` to ``path`` (format: see module docstring)."""
    d = optimizer.state_dict()
    state = d["state"]
    arrays, members, buffers = [], {}, None
    if state is not None:
        buffers = []
        for i, st in enumerate(state):
            names = list(st)
            buffers.append(names)
            for name in names:
                a = np.ascontiguousarray(st[name]).reshape(-1)
                if a.dtype not in _FLOATS:
                    raise TypeError(f"state[{i}][{name!r}] has dtype {a.dtype}")
                members[f"s{i}_{name}"] = a
                arrays.append(a)
    meta = {
        "format": FORMAT, "version": VERSION, "t": int(d["t"]), "family": d.get("family"),
        "preset": d.get("preset"), "ops": {k: int(v) for k, v in d["ops"].items()},
        "hyperparameters": _jsonable(d.get("hyperparameters", {}), "hyperparameters"),
        "n_arrays": None if state is None else len(state), "buffers": buffers,
        "sha256": _digest(arrays),
    }
    members[_META] = np.array(json.dumps(meta, allow_nan=True))
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".adamkit-state-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _bad(path, why):
    return ValueError(f"{path!s} is not a valid adamkit state file: {why}")


def read_state(path):
    """Read and check a state file; return the ``state_dict`` it holds (no optimizer).

    The file is checked before anything is inflated: only a regular file is opened (a FIFO
    or a device is refused before a byte is read); every member is stored uncompressed, as
    ``save_state`` writes it, so nothing inflates beyond the file's size; the metadata
    member is a string of at most 1 MiB; the members are exactly the buffers it lists, each
    a 1-D float32/float64 ``.npy`` whose header declares exactly its stored size, every
    buffer of one parameter array of one size and dtype."""
    from .tools.trajectory import npy_member_header, open_regular
    path = os.fspath(path)
    try:
        f = open_regular(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no adamkit state file at {path!s}") from None
    except ValueError as e:
        raise _bad(path, str(e)) from None
    try:
        with f, zipfile.ZipFile(f) as zf:
            return _read(path, zf, os.fstat(f.fileno()).st_size, npy_member_header)
    except ValueError as e:
        if str(e).startswith(f"{path!s} is not a valid"):
            raise
        raise _bad(path, f"{type(e).__name__}: {e}") from e
    except Exception as e:  # zipfile.BadZipFile (bad CRC, truncated), EOFError, OSError...
        raise _bad(path, f"{type(e).__name__}: {e}") from e


def _read(path, zf, size, header):
    members = zf.infolist()
    infos = {i.filename[:-4]: i for i in members if i.filename.endswith(".npy")}
    if len(infos) != len(members):
        raise _bad(path, "members other than .npy arrays, or repeated names")
    if any(i.compress_type != zipfile.ZIP_STORED or i.file_size != i.compress_size
           for i in members) or sum(i.file_size for i in members) > size:
        raise _bad(path, "compressed members (save_state stores them uncompressed)")
    if _META not in infos:
        raise _bad(path, f"no {_META} member (not written by adamkit.save_state)")
    shape, dtype = header(zf, infos[_META])
    if shape != () or dtype.kind != "U" or infos[_META].file_size > _MAX_META:
        raise _bad(path, f"{_META} is not a string of at most {_MAX_META} bytes")
    meta = json.loads(str(np.load(zf.open(infos[_META]), allow_pickle=False)[()]))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _bad(path, "wrong format tag")
    if meta.get("version") != VERSION:
        raise _bad(path, f"format version {meta.get('version')!r}; this adamkit "
                         f"reads version {VERSION}")
    for key in ("t", "ops", "buffers", "n_arrays", "sha256", "hyperparameters"):
        if key not in meta:
            raise _bad(path, f"metadata lacks {key!r}")
    t = meta["t"]
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= 2**53:
        raise _bad(path, f"bad step count {t!r}")
    ops = meta["ops"]
    if not isinstance(ops, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in ops.values()):
        raise _bad(path, "bad ops")
    buffers, state, arrays = meta["buffers"], None, []
    files = set(infos)
    if buffers is not None:
        if (not isinstance(buffers, list) or meta["n_arrays"] != len(buffers)
                or not all(isinstance(b, list) and all(isinstance(n, str) for n in b)
                           for b in buffers)):
            raise _bad(path, "bad buffer list")
        expected = {f"s{i}_{n}" for i, b in enumerate(buffers) for n in b}
        if files - {_META} != expected or len(expected) != sum(map(len, buffers)):
            raise _bad(path, "members do not match the buffer list")
        state = []
        for i, names in enumerate(buffers):
            st, kinds = {}, set()
            for name in names:
                info = infos[f"s{i}_{name}"]
                shape, dtype = header(zf, info)          # before anything is inflated
                if dtype not in _FLOATS or len(shape) != 1:
                    raise _bad(path, f"buffer s{i}_{name} is {dtype} {shape}")
                kinds.add((dtype, shape))
                if len(kinds) > 1:
                    raise _bad(path, f"the buffers of array {i} differ in size or dtype")
            for name in names:
                a = np.load(zf.open(infos[f"s{i}_{name}"]), allow_pickle=False)
                st[name] = a
                arrays.append(a)
            state.append(st)
    elif files != {_META}:
        raise _bad(path, "unexpected members")
    if _digest(arrays) != meta["sha256"]:
        raise _bad(path, "checksum mismatch (the file is corrupted)")
    return {"t": t, "family": meta.get("family"), "preset": meta.get("preset"), "ops": ops,
            "hyperparameters": meta["hyperparameters"], "state": state}


def load_state(optimizer, path):
    """Restore ``optimizer`` from a file written by :func:`save_state`.

    The optimizer must use the same update rule (family and ops) as the one saved; it is
    left unchanged if anything is wrong with the file.
    """
    d = read_state(path)
    family = getattr(optimizer, "_family", None)
    if d["family"] is not None and family is not None and d["family"] != family:
        raise ValueError(f"{os.fspath(path)!s} holds the state of a {d['family']} optimizer, "
                         f"not {family}")
    optimizer.load_state_dict(d)
