"""Fuzz the Python entry points with malformed arguments: the interpreter must survive.

The driver (``fuzz()`` below) runs in a child interpreter (``python tests/test_fuzz.py
--run N --seed S``) so that a crash (segfault, abort, exit from C) is reported as a test
failure with the last input, instead of killing pytest. It throws at

* the constructors (Adam, AdamW, AdaMax, RMSProp): wrong types, NaN/Inf, out-of-range and
  huge values, unknown keywords and presets;
* ``step(params, grads, lr_mult)``: wrong types, dtypes (int, float16, complex, object,
  structured, big-endian), shapes, zero-size and 0-d arrays, strided / transposed /
  negative-stride views, overlapping views of one buffer, read-only arrays, memory-mapped
  files (read-only, read-write, copy-on-write), ``np.frombuffer`` over bytes/bytearray
  (read-only, unaligned), ndarray subclasses (matrix, masked, recarray), objects that
  export the buffer protocol without being ndarrays (bytearray, memoryview, array.array,
  ctypes arrays), lists, scalars, None;
* ``load_state_dict`` with mutated state dicts, then a step;
* ``save_state``/``load_state`` with truncated, bit-flipped and foreign files;
* the private kernel objects (``AdamKernel``/``RMSPropKernel``): bad ops, bad buffers.

Every call must either succeed or raise TypeError/ValueError/OverflowError (or
FileNotFoundError for a missing file); a ``step`` that raises must not have written any
input array, state buffer or the step count. The number of inputs tried is printed
("fuzz inputs tried") and must reach the requested count.

``ADAMKIT_FUZZ_N`` sets the number of inputs (default 6000).
"""

import array
import ctypes
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

N_DEFAULT = int(os.environ.get("ADAMKIT_FUZZ_N", "6000"))
ALLOWED = (TypeError, ValueError, OverflowError)

# Known defects (see the report): inputs carrying these labels may violate "raises before
# anything is written"; they are counted separately (none are known now).
KNOWN = set()
# Known defect: unaligned arrays (np.frombuffer(..., offset=1)) are accepted and read as
# misaligned double*/float* in C: undefined behaviour (UBSan aborts; a fault on strict-
# alignment CPUs). Refused since the alignment checks went in; generated again.
KNOWN_UNALIGNED = False
# Known: an unknown or non-string preset raises KeyError / AttributeError from presets.py
# instead of ValueError / TypeError (not a crash; counted and reported).
# Known: load_state_dict accepts any step count t >= 0; with t >= 2**63 a preset's scalar
# function that calls libm through ctypes raises ctypes.ArgumentError at the next step
# (before anything is written).
KNOWN_EXCEPTIONS = {("preset", "KeyError"), ("preset", "AttributeError"),
                    ("huge_t", "ArgumentError")}


# ---------------------------------------------------------------------------------------
# the driver (runs in the child)
# ---------------------------------------------------------------------------------------

class Ctx:
    def __init__(self, rng, tmp):
        self.rng = rng
        self.tmp = Path(tmp)
        self.files = 0

    def path(self, suffix=".npy"):
        self.files += 1
        return self.tmp / f"f{self.files}{suffix}"


def weird_array(ctx, n=None, dt=None):
    """(object, labels): mostly arrays, some malformed, some not arrays at all."""
    r = ctx.rng
    dt = dt or r.choice([np.float32, np.float64])
    n = r.choice([0, 1, 2, 3, 5, 8, 17, 64]) if n is None else n
    kind = r.choice([
        "ok", "ok", "ok", "ok", "nan", "zero_size", "zero_d", "two_d", "empty_2d", "int",
        "bool", "complex", "f16", "longdouble", "object", "structured", "str", "big_endian",
        "strided", "transposed", "negstride", "readonly", "memmap_r", "memmap_rw",
        "memmap_c", "frombuffer_bytes", "frombuffer_bytearray",
        "frombuffer_bytearray" if KNOWN_UNALIGNED else "unaligned", "matrix",
        "masked", "recarray", "bytearray", "memoryview", "array_array", "ctypes", "list",
        "scalar", "none", "string", "dict"])
    base = np.linspace(-1, 1, n).astype(dt) if n else np.zeros(0, dt)
    if kind == "ok":
        return base, {kind}
    if kind == "nan":
        b = base.copy()
        if n:
            b[r.randrange(n)] = r.choice([np.nan, np.inf, -np.inf, 1e308 if dt == np.float64
                                          else 3e38])
        return b, {kind}
    if kind == "zero_size":
        return np.zeros(r.choice([(0,), (0, 3), (3, 0)]), dt), {kind}
    if kind == "zero_d":
        return np.array(1.5, dt), {kind}
    if kind == "two_d":
        return np.zeros((2, max(n, 1)), dt), {kind}
    if kind == "empty_2d":
        return np.empty((0, 0), dt), {kind}
    if kind in ("int", "bool", "complex", "f16", "longdouble", "object", "str"):
        t = {"int": np.int64, "bool": np.bool_, "complex": np.complex128, "f16": np.float16,
             "longdouble": np.longdouble, "object": object, "str": "U3"}[kind]
        return np.zeros(n, t), {kind}
    if kind == "structured":
        return np.zeros(n, dtype=[("a", dt), ("b", dt)]), {kind}
    if kind == "big_endian":
        return base.astype(np.dtype(dt).newbyteorder(">")), {kind}
    if kind == "strided":
        return np.repeat(base, 2)[::2], {kind}
    if kind == "transposed":
        return np.zeros((2, max(n, 1)), dt).T, {kind}
    if kind == "negstride":
        return base[::-1], {kind}
    if kind == "readonly":
        b = base.copy()
        b.flags.writeable = False
        return b, {kind}
    if kind.startswith("memmap"):
        path = ctx.path()
        np.save(path, base)
        mode = {"memmap_r": "r", "memmap_rw": "r+", "memmap_c": "c"}[kind]
        try:
            return np.load(path, mmap_mode=mode), {kind}
        except ValueError:  # zero-size files cannot be mapped
            return np.load(path), {kind}
    if kind == "frombuffer_bytes":
        return np.frombuffer(base.tobytes(), dtype=dt), {kind}
    if kind == "frombuffer_bytearray":
        return np.frombuffer(bytearray(base.tobytes()), dtype=dt), {kind}
    if kind == "unaligned":
        raw = bytearray(base.nbytes + 1)
        a = np.frombuffer(raw, dtype=dt, offset=1, count=n)
        a[:] = base
        return a, {kind}
    if kind == "matrix":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return np.asmatrix(base), {kind}
    if kind == "masked":
        return np.ma.masked_array(base, mask=[i % 2 for i in range(n)]), {kind}
    if kind == "recarray":
        return base.view(np.recarray), {kind}
    if kind == "bytearray":
        return bytearray(base.tobytes()), {kind}
    if kind == "memoryview":
        return memoryview(base.copy()), {kind}
    if kind == "array_array":
        return array.array("d" if dt == np.float64 else "f", base.tolist()), {kind}
    if kind == "ctypes":
        ct = ctypes.c_double if dt == np.float64 else ctypes.c_float
        return (ct * n)(*base.tolist()), {kind}
    if kind == "list":
        return base.tolist(), {kind}
    if kind == "scalar":
        return r.choice([1.0, dt(1.0), 3]), {kind}
    if kind == "none":
        return None, {kind}
    if kind == "string":
        return "abc", {kind}
    return {"p": base}, {kind}


WEIRD_VALUES = [None, 0, 1, -1, 0.0, -0.0, 0.5, 0.9, 0.999, 1.0, 1.5, -0.5, 2, 1e-300, 5e-324,
                1e300, float("nan"), float("inf"), -float("inf"), True, False, "0.9", b"1",
                [], [0.9], (0.9,), (0.9, 0.999), (0.9, 0.999, 0.5), (float("nan"), 0.9),
                (0.9, 1.0), 1j, np.float32(0.9), np.float64(0.5), np.int64(3),
                np.array([0.9, 0.99]), np.array(0.9), 10**400, -(10**400), 2**63, object(),
                {"a": 1}, lambda t: 0.1, lambda t: float("nan"), lambda t: "x",
                lambda t: -1.0, lambda t: 10**400]
N_THREADS = [None, 1, 2, 3, -1, -2, -1000, 0, 1.5, "2", True, 2**31, 2**63, -(2**63)]


def snapshot_inputs(objs):
    out = []
    for o in objs:
        if isinstance(o, np.ndarray):
            try:
                out.append((o, np.asarray(o).tobytes()))
            except Exception:  # noqa: BLE001 -- e.g. object arrays
                pass
    return out


def unchanged(snap):
    return all(np.asarray(o).tobytes() == b for o, b in snap)


def opt_snapshot(opt):
    st = opt._state
    return opt.t, None if st is None else [{k: a.copy() for k, a in s.items()} for s in st]


def opt_same(opt, snap):
    t, st = snap
    if opt.t != t:
        return False
    if st is None:
        return opt._state is None
    return opt._state is not None and len(opt._state) == len(st) and all(
        set(a) == set(b) and all(a[k].tobytes() == b[k].tobytes() for k in a)
        for a, b in zip(opt._state, st))


def make_valid_opt(r):
    import adamkit
    return r.choice([
        lambda: adamkit.Adam(lr=1e-2),
        lambda: adamkit.Adam(amsgrad=True, nesterov=True, weight_decay=1e-2),
        lambda: adamkit.AdamW(),
        lambda: adamkit.AdaMax(maximize=True),
        lambda: adamkit.RMSProp(momentum=0.9, centered=True),
        lambda: adamkit.RMSProp(weight_decay=0.1),
        lambda: adamkit.Adam(preset="caffe", base_lr=1e-3),
        lambda: adamkit.RMSProp(preset="torch7"),
    ])()


def fuzz_ctor(ctx, log):
    import adamkit
    r = ctx.rng
    cls = r.choice([adamkit.Adam, adamkit.AdamW, adamkit.AdaMax, adamkit.RMSProp])
    names = (["lr", "betas", "eps", "weight_decay", "amsgrad", "nesterov", "maximize",
              "decoupled_weight_decay", "n_threads", "preset", "bogus"]
             if cls is not adamkit.RMSProp else
             ["lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize",
              "initial_accumulator", "n_threads", "preset", "bogus"])
    kw = {}
    for name in r.sample(names, r.randint(0, 4)):
        if name == "n_threads":
            kw[name] = r.choice(N_THREADS)
        elif name == "preset":
            kw[name] = r.choice([None, "caffe", "torch7", "keras", "nonexistent", "", 3])
        else:
            kw[name] = r.choice(WEIRD_VALUES)
    log["what"] = f"{cls.__name__}(**{kw!r})"[:300]
    if kw.get("preset") is not None:
        log["labels"] = {"preset"}
    try:
        opt = cls(**kw)
    except ALLOWED:
        return "refused"
    p = np.linspace(-1, 1, 9)
    try:
        opt.step(p, np.ones(9))
    except ALLOWED:
        return "step_refused"
    return "ok"


def fuzz_step(ctx, log):
    r = ctx.rng
    opt = make_valid_opt(r)
    n0 = r.choice([1, 3, 8])
    labels = set()
    if r.random() < 0.5:  # give it state first
        opt.step(np.zeros(n0), np.ones(n0))
    k = r.choice([1, 1, 2, 3])
    params, grads = [], []
    shared = np.linspace(-1, 1, 40)
    for _ in range(k):
        if r.random() < 0.15:  # overlapping views of one buffer
            a = r.randrange(0, 20)
            p = shared[a:a + n0]
            labels.add("overlap")
        else:
            p, lab = weird_array(ctx, n=r.choice([n0, n0, 0, 5]))
            labels |= lab
        params.append(p)
        if r.random() < 0.6 and isinstance(p, np.ndarray) and p.dtype.kind == "f" \
                and p.dtype.isnative:
            g = np.ones(p.shape, p.dtype)
        elif r.random() < 0.2:
            g = shared[r.randrange(0, 20):][:n0]
            labels.add("overlap_g")
        else:
            g, lab = weird_array(ctx, n=r.choice([n0, 0, 5]))
            labels |= {"g_" + x for x in lab}
        grads.append(g)
    shape = r.choice(["list", "list", "tuple", "single", "mismatch", "generator", "none"])
    if shape == "tuple":
        P, G = tuple(params), tuple(grads)
    elif shape == "single":
        P, G = params[0], grads[0]
    elif shape == "mismatch":
        P, G = params, grads[:-1]
    elif shape == "generator":
        P, G = (x for x in params), grads
    elif shape == "none":
        P, G = None, grads
    else:
        P, G = params, grads
    lr_mult = r.choice([None, None, None, [1.0] * k, [0.5] * (k + 1), [float("nan")] * k,
                        [-1.0] * k, ["a"] * k, 3, [10**400] * k])
    log["what"] = (f"step labels={sorted(labels)} shape={shape} k={k} lr_mult={lr_mult!r}")
    log["labels"] = labels
    snap = snapshot_inputs(params + grads)
    osnap = opt_snapshot(opt)
    try:
        with np.errstate(all="ignore"):
            opt.step(P, G, lr_mult)
    except ALLOWED as e:
        if not (unchanged(snap) and opt_same(opt, osnap)):
            return ("WROTE_BEFORE_RAISING", f"{type(e).__name__}: {e}")
        return "refused"
    return "ok"


def fuzz_state(ctx, log):
    r = ctx.rng
    opt = make_valid_opt(r)
    n = r.choice([1, 4])
    opt.step(np.zeros(n), np.ones(n))
    d = opt.state_dict()
    mutation = r.choice(["t", "ops", "state_none", "state_list", "buffer", "drop_key",
                         "extra_key", "not_dict", "buffer_name", "hyper"])
    if mutation == "t":
        d["t"] = r.choice(WEIRD_VALUES + [-1, 2**70, np.int64(5), np.uint64(2**63)])
        if isinstance(d["t"], (int, np.integer)) and d["t"] >= 2**63:
            log["labels"] = {"huge_t"}
    elif mutation == "ops":
        d["ops"] = r.choice([{}, None, 3, {**d["ops"], "denom": 99}, dict(d["ops"])])
    elif mutation == "state_none":
        d["state"] = None
    elif mutation == "state_list":
        d["state"] = r.choice([[], [{}], d["state"] * 2, "x", [None], 5])
    elif mutation == "buffer":
        key = r.choice(list(d["state"][0]))
        d["state"][0][key] = weird_array(ctx, n=r.choice([n, n + 1, 0]))[0]
    elif mutation == "drop_key":
        d.pop(r.choice(list(d)))
    elif mutation == "extra_key":
        d["zzz"] = 1
    elif mutation == "not_dict":
        d = r.choice([None, [], "state", 3])
    elif mutation == "buffer_name":
        st = d["state"][0]
        st["bogus"] = st.pop(next(iter(st)))
    elif mutation == "hyper":
        d["hyperparameters"] = r.choice(WEIRD_VALUES)
    log["what"] = f"load_state_dict mutation={mutation}"
    try:
        opt.load_state_dict(d)
    except ALLOWED:
        return "refused"
    try:
        opt.step(np.zeros(n), np.ones(n))
    except ALLOWED:
        return "step_refused"
    return "ok"


def fuzz_file(ctx, log):
    from adamkit import _io
    r = ctx.rng
    opt = make_valid_opt(r)
    opt.step(np.zeros(5), np.ones(5))
    path = ctx.path(".npz")
    _io.save_state(opt, path)
    data = bytearray(path.read_bytes())
    how = r.choice(["truncate", "flip", "flip", "garbage", "empty", "npy", "other_npz",
                    "missing", "meta"])
    if how == "truncate":
        data = data[:r.randrange(len(data))]
    elif how == "flip":
        for _ in range(r.randint(1, 4)):
            i = r.randrange(len(data))
            data[i] ^= 1 << r.randrange(8)
    elif how == "garbage":
        data = bytearray(r.randbytes(r.randint(1, 2000)))
    elif how == "empty":
        data = bytearray()
    elif how == "npy":
        buf = io.BytesIO()
        np.save(buf, np.zeros(3))
        data = bytearray(buf.getvalue())
    elif how == "other_npz":
        buf = io.BytesIO()
        np.savez(buf, a=np.zeros(3))
        data = bytearray(buf.getvalue())
    elif how == "meta":
        buf = io.BytesIO()
        meta = {"format": "adamkit-state", "version": 1, "t": r.choice([1, -1, "x"]),
                "ops": {}, "buffers": [["m"]], "n_arrays": 1, "sha256": "0",
                "hyperparameters": {}}
        np.savez(buf, __adamkit_state__=np.array(json.dumps(meta)),
                 s0_m=np.zeros(5))
        data = bytearray(buf.getvalue())
    if how == "missing":
        path.unlink()
    else:
        path.write_bytes(bytes(data))
    log["what"] = f"load_state file={how}"
    before = opt_snapshot(opt)
    fresh = type(opt).__new__(type(opt))
    fresh.__dict__.update(opt.__dict__)
    try:
        _io.load_state(opt, path)
    except (ValueError, FileNotFoundError):
        if not opt_same(opt, before):
            return ("WROTE_BEFORE_RAISING", "load_state changed the optimizer")
        return "refused"
    except ALLOWED as e:
        return ("UNCLEAR_ERROR", f"{type(e).__name__}: {e}")
    # loading succeeded: only acceptable if the state is exactly what was saved
    if not opt_same(opt, before):
        return ("GARBAGE_LOADED", how)
    return "ok"


def fuzz_kernel(ctx, log):
    from adamkit import _kernels as K
    from adamkit import _vocab
    r = ctx.rng
    fam = r.choice(["adam", "rmsprop"])
    fields = [name for name, _ in _vocab.OPS[fam]]
    ops = {}
    for f in r.sample(fields, r.randint(0, 4)):
        ops[f] = r.choice([0, 1, 2, 5, 9, -1, 100, 2**31, -(2**40), 1.5, "1", None, True])
    if r.random() < 0.1:
        ops["bogus"] = 1
    log["what"] = f"{fam} kernel ops={ops}"
    try:
        k = K.Kernel(fam, ops)
    except ALLOWED:
        return "refused"
    sc = {}
    names = list(_vocab.SCALARS[fam])
    for s in r.sample(names, r.randint(0, 5)):
        sc[s] = r.choice([0.0, 1.0, -1.0, float("nan"), float("inf"), 1e308, "x", None])
    try:
        k.set_scalars(**sc)
    except ALLOWED:
        return "refused"
    n = r.choice([0, 1, 7, 40])
    bufs = []
    for _ in range(5):
        if r.random() < 0.7:
            bufs.append(np.zeros(n, r.choice([np.float64, np.float64, np.float32])))
        else:
            bufs.append(weird_array(ctx, n=r.choice([n, 0, 3]))[0])
    if r.random() < 0.2:
        bufs[2] = bufs[0]  # aliasing: garbage allowed, crashes not
    nt = r.choice([1, 2, -1, 0, 4])
    log["what"] += f" bufs={[type(b).__name__ + str(getattr(b, 'dtype', '')) for b in bufs]}"
    try:
        with np.errstate(all="ignore"):
            k.run(*bufs, nt)
    except ALLOWED:
        return "refused"
    return "ok"


FUZZERS = {"ctor": fuzz_ctor, "step": fuzz_step, "step2": fuzz_step, "state": fuzz_state,
           "file": fuzz_file, "kernel": fuzz_kernel}


def fuzz(n, seed, tmp, out):
    import faulthandler
    faulthandler.enable()
    warnings.simplefilter("ignore")
    ctx = Ctx(random.Random(seed), tmp)
    counts, outcomes, problems, known = Counter(), Counter(), [], Counter()
    names = list(FUZZERS)
    for i in range(n):
        name = names[i % len(names)]
        log = {"i": i, "fuzzer": name}
        # breadcrumb for crashes: the last input is on stderr when the child dies
        if i % 100 == 0:  # breadcrumb: the child's stderr tail locates a crash
            sys.stderr.write(f"#{i} ")
        sys.stderr.flush()
        try:
            res = FUZZERS[name](ctx, log)
        except Exception as e:  # noqa: BLE001
            if any((lab, type(e).__name__) in KNOWN_EXCEPTIONS
                   for lab in log.get("labels", ())):
                res = ("KNOWN_EXCEPTION", type(e).__name__)
                known[f"{type(e).__name__} ({log['labels']})"] += 1
            else:
                res = ("UNEXPECTED_EXCEPTION", f"{type(e).__name__}: {str(e)[:200]}\n"
                       + "".join(traceback.format_exception(e))[-600:])
        counts[name.rstrip("2")] += 1
        if isinstance(res, tuple):
            if res[0] == "KNOWN_EXCEPTION":
                outcomes["known_issue"] += 1
            elif res[0] == "WROTE_BEFORE_RAISING" and log.get("labels", set()) & KNOWN:
                known[f"{res[0]} ({sorted(log['labels'] & KNOWN)})"] += 1
                outcomes["known_issue"] += 1
            else:
                problems.append({"input": log.get("what"), "problem": res[0],
                                 "detail": res[1]})
                outcomes["problem"] += 1
        else:
            outcomes[res] += 1
    result = {"tried": sum(counts.values()), "per_entry_point": dict(counts),
              "outcomes": dict(outcomes), "known": dict(known), "problems": problems[:50],
              "n_problems": len(problems)}
    Path(out).write_text(json.dumps(result, indent=1, default=str))
    return result


# ---------------------------------------------------------------------------------------
# the tests (parent)
# ---------------------------------------------------------------------------------------

def run_child(n, seed, tmp_path, extra_env=None):
    out = tmp_path / "fuzz.json"
    env = dict(os.environ, **(extra_env or {}))
    r = subprocess.run([sys.executable, "-X", "faulthandler", __file__, "--run", str(n),
                        "--seed", str(seed), "--tmp", str(tmp_path), "--out", str(out)],
                       capture_output=True, text=True, timeout=1200, env=env)
    tail = r.stderr[-3000:]
    assert r.returncode == 0, (f"the interpreter died (exit {r.returncode}) while fuzzing;"
                               f" last input and traceback:\n{tail}")
    return json.loads(out.read_text())


def test_fuzz_entry_points_never_crash(tmp_path, hostile):
    res = run_child(N_DEFAULT, 20261122, tmp_path)
    line = (f"fuzz inputs tried: {res['tried']} {res['per_entry_point']}; "
            f"outcomes {res['outcomes']}")
    hostile(res["tried"], line)
    assert res["tried"] >= N_DEFAULT
    assert res["n_problems"] == 0, json.dumps(res["problems"], indent=1)[:6000]


def test_matrix_in_list_is_refused_before_writing():
    import adamkit
    p1, g1 = np.zeros(4), np.ones(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        pm, gm = np.asmatrix(np.zeros(4)), np.asmatrix(np.ones(4))
    opt = adamkit.Adam(lr=0.1)
    try:
        opt.step([p1, pm], [g1, gm])
    except ALLOWED:
        pass
    assert opt.t in (0, 1)
    if opt.t == 0:  # refused: nothing written
        assert np.array_equal(p1, np.zeros(4)) and not np.asarray(pm).any()
    else:           # accepted: both updated alike
        assert np.array_equal(np.asarray(pm).ravel(), p1) and p1.any()


def test_unaligned_arrays_are_refused():
    import adamkit
    from adamkit import _kernels as K
    raw = bytearray(8 * 5 + 1)
    p = np.frombuffer(raw, dtype=np.float64, offset=1, count=5)
    assert not p.flags.aligned
    refused = 0
    with pytest.raises(ValueError):
        adamkit.Adam().step(p, np.ones(5))
    refused += 1
    m, v = np.zeros(5), np.zeros(5)
    with pytest.raises(ValueError):
        K.Kernel("adam", {"denom": 1}).run(np.zeros(5), p, m, v, None, 1)
    refused += 1
    assert refused == 2


def test_huge_n_threads_does_not_kill_the_process(tmp_path):
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("address-space limits do not mix with ASan")
    code = ("import resource, numpy as np, adamkit\n"
            "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
            "p = np.zeros(100_000); g = np.ones(100_000)\n"
            "try:\n    adamkit.Adam(n_threads=100_000).step(p, g)\n"
            "except (ValueError, RuntimeError):\n    pass\n"
            "print('alive')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert r.returncode == 0 and "alive" in r.stdout, r.stderr[-2000:]


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=int, default=N_DEFAULT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        res = fuzz(a.run, a.seed, a.tmp or t, a.out or os.path.join(t, "fuzz.json"))
    print(json.dumps({k: v for k, v in res.items() if k != "problems"}))  # noqa: T201
    for p in res["problems"][:20]:
        print(p)  # noqa: T201
