"""adamkit.optax against optax and TensorFlow, run inside the framework environment
(jax/jaxlib 0.10.2, optax 0.2.8).

Usage: python jax_worker.py DATA.npz OUT_DIR [x64]  (started by tests/test_frameworks.py
through adamkit.tools.elsewhere). Without ``x64`` (JAX's default, float32):

* ``record-jax-*``: an MLP on load_digits trained by a jitted train step with
  ``adamkit.optax.adam(preset="tensorflow")`` (and Keras's, with global_clipnorm): every
  step's gradients and parameters, for tf_worker.py to replay through TensorFlow;
* ``optax_*``: ``optax.adam``/``adamw``/``rmsprop`` and ``adamkit.optax``'s with
  ``preset="optax"`` in the same jitted step (update and apply_updates in one jax.jit), on
  one gradient sequence: the parameters after every step, by both, and adamkit's
  ``framework_params``;
* ``subnormal-*``: ``optax.adam`` and ``optax.rmsprop(momentum=0.9)`` (jit and eager, one
  and two leaves) on gradients spanning the subnormal range, every step's gradients,
  parameters and per-element state, for the test to replay (XLA flushes subnormals);
* ``behaviour``: eager equals jit, optax.chain with an optax schedule, inject_hyperparams,
  parameters changed between steps, errors;
* ``next_toward``, ``exact_updates`` (also with ``x64``): the exact updates' search, and
  the updates the FFI call computes on the host against their XLA computation.

With ``x64``: the TensorFlow recording and the ``subnormal-*`` runs in float64.
OUT_DIR/jax-results[-x64].json says what ran and what failed.
"""

import itertools
import json
import os
import sys
import traceback

os.environ.setdefault("JAX_PLATFORMS", "cpu")
X64 = len(sys.argv) > 3 and sys.argv[3] == "x64"
if X64:
    os.environ["JAX_ENABLE_X64"] = "1"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import adamkit  # noqa: E402
import adamkit.optax as ako  # noqa: E402

DATA, OUT = sys.argv[1], sys.argv[2]
D = np.load(DATA)
DT = np.float64 if X64 else np.float32
X, Y = D["x"].astype(DT), D["y"]
RESULTS = {"versions": {"jax": jax.__version__, "optax": optax.__version__,
                        "numpy": np.__version__, "adamkit": adamkit.__version__,
                        "jax_enable_x64": bool(jax.config.jax_enable_x64)}}
SHAPES = [(32, 64), (32,), (10, 32), (10,)]


def init_params():
    rng = np.random.default_rng(0)
    out = []
    for s in SHAPES:
        bound = 1 / np.sqrt(s[-1] if len(s) > 1 else 32)
        out.append(rng.uniform(-bound, bound, s).astype(DT))
    return {"w1": out[0], "b1": out[1], "w2": out[2], "b2": out[3]}


def loss_fn(p, x, y):
    h = jnp.tanh(x @ p["w1"].T + p["b1"])
    logits = h @ p["w2"].T + p["b2"]
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


def record(name, tx, steps=40):
    params = jax.tree.map(jnp.asarray, init_params())
    state = tx.init(params)

    @jax.jit
    def train_step(params, state, x, y):
        grads = jax.grad(loss_fn)(params, x, y)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, grads

    # the leaves in the order the transformation sees them (jax.tree.leaves: sorted keys);
    # TensorFlow gets its variables in this order too (a global norm sums in list order)
    order = sorted(params)
    init = [np.asarray(params[k]).copy() for k in order]
    grads, ps, exact = [[] for _ in order], [[] for _ in order], [[] for _ in order]
    rng = np.random.default_rng(1)
    for _ in range(steps):
        i = rng.choice(len(Y), 64, replace=False)
        params, state, g = train_step(params, state, X[i], Y[i])
        q = ako.framework_params(state, params)
        for j, k in enumerate(order):
            grads[j].append(np.asarray(g[k]).copy())
            ps[j].append(np.asarray(params[k]).copy())
            exact[j].append(np.asarray(q[k]).copy())
    arrays = {}
    for j in range(len(order)):
        arrays[f"init{j}"], arrays[f"grads{j}"] = init[j], np.array(grads[j])
        arrays[f"params{j}"], arrays[f"exact{j}"] = np.array(ps[j]), np.array(exact[j])
    np.savez(os.path.join(OUT, f"record-{name}.npz"), **arrays)
    return f"{steps} steps, {len(order)} leaves, {DT.__name__}"


def optax_match(name, shapes, steps=100):
    """optax's optimizer and adamkit.optax's (preset="optax") on one gradient sequence,
    each in ``jax.jit(update + apply_updates)``."""
    alias, kw = {"adam": ("adam", {}), "adamw": ("adamw", {}), "adamax": ("adamax", {}),
                 "rmsprop": ("rmsprop", {"momentum": 0.9})}[name]
    rng = np.random.default_rng(2)
    p0 = [(0.05 * rng.standard_normal(s)).astype(DT) for s in shapes]
    gs = [[(rng.standard_normal(s) * 0.1 + 0.5 * p).astype(DT) for p, s in zip(p0, shapes)]
          for _ in range(steps)]
    lr = 3e-3
    out = {}
    for who, tx in (("optax", getattr(optax, alias)(lr, **kw)),
                    ("adamkit", getattr(ako, alias)(lr, preset="optax", **kw))):
        @jax.jit
        def step(params, state, g):
            u, state = tx.update(g, state, params)
            return optax.apply_updates(params, u), state
        params = [jnp.asarray(p) for p in p0]
        state = tx.init(params)
        rows, exact = [], []
        for g in gs:
            params, state = step(params, state, [jnp.asarray(x) for x in g])
            rows.append(np.concatenate([np.asarray(x).ravel() for x in params]))
            if who == "adamkit":
                exact.append(np.concatenate([np.asarray(x).ravel()
                                             for x in ako.framework_params(state, params)]))
        out[who] = np.array(rows)
        if exact:
            out["adamkit_exact"] = np.array(exact)
    out["init"] = np.concatenate([p.ravel() for p in p0])
    np.savez(os.path.join(OUT, f"optax_{name}{'_multi' if len(shapes) > 1 else ''}.npz"),
             **out)
    return f"{steps} steps, shapes {shapes}"


def subnormal(name, alias, kw, shapes, jit, steps=24):
    """optax on gradients |g| = 10^U(lo, -1) with random signs, lo below the dtype's
    smallest subnormal, so that g, g*g and the products of the state are subnormal at many
    elements; half the parameters start at zero (a tiny update shows in them). Saved as a
    trajectory file (``meta`` as the conformance adapters write it) for the test to
    replay with the preset."""
    from adamkit.tools import trajectory
    rng = np.random.default_rng(3)
    lo = np.log10(np.finfo(DT).smallest_subnormal) - 2
    p0 = [np.where(rng.random(s) < 0.5, 0, rng.standard_normal(s) * 0.05).astype(DT)
          for s in shapes]
    gs = [[(rng.choice([-1, 1], s) * 10.0 ** rng.uniform(lo, -1, s)).astype(DT)
           for s in shapes] for _ in range(steps)]
    tx = getattr(optax, alias)(**kw)

    def step(params, state, g):
        u, state = tx.update(g, state, params)
        return optax.apply_updates(params, u), state
    stepf = jax.jit(step) if jit else step

    def per_element(state):
        out = {}
        for path, leaf in jax.tree_util.tree_flatten_with_path(state)[0]:
            if np.ndim(leaf):
                key = next(k.name for k in path if isinstance(k, jax.tree_util.GetAttrKey))
                out.setdefault(key, []).append(np.asarray(leaf).copy())
        return out
    params = [jnp.asarray(p) for p in p0]
    state = tx.init(params)
    first = per_element(state)                   # {field: [one array per leaf]}
    ps = [[p] for p in p0]
    sts = [{key: [v[k]] for key, v in first.items()} for k in range(len(shapes))]
    for g in gs:
        params, state = stepf(params, state, [jnp.asarray(x) for x in g])
        now = per_element(state)
        for k, p in enumerate(params):
            ps[k].append(np.asarray(p).copy())
            for key, v in now.items():
                sts[k][key].append(v[k])
    meta = {"framework": "optax", "optimizer": alias, "hyperparameters": kw, "jit": jit,
            "dtype": DT.__name__, "T": steps, "variant": name,
            "arrays": [{"name": f"leaf{k}", "shape": list(s)} for k, s in enumerate(shapes)],
            "version": {"optax": optax.__version__, "jax": jax.__version__},
            "command": "tests/frameworks/jax_worker.py subnormal()"}
    trajectory.save(os.path.join(OUT, f"subnormal-{name}-{DT.__name__}.npz"),
                    [np.array([g[k] for g in gs]) for k in range(len(shapes))],
                    [np.array(p) for p in ps],
                    [{key: np.array(v) for key, v in st.items()} for st in sts], meta)
    subs = sum(int(((g != 0) & (np.abs(g) < np.finfo(DT).tiny)).sum()) for gg in gs for g in gg)
    return f"{steps} steps, shapes {shapes}, {subs} subnormal gradient values"


SUBNORMAL = {   # name: (alias, keywords, shapes, jit)
    "adam": ("adam", {"learning_rate": 1e-3}, [(300,)], True),
    "adam_eager": ("adam", {"learning_rate": 1e-3}, [(300,)], False),
    "adam_pair": ("adam", {"learning_rate": 1e-3}, [(200,), (3, 50)], True),
    "rmsprop": ("rmsprop", {"learning_rate": 2e-3, "momentum": 0.9}, [(300,)], True),
    "rmsprop_eager": ("rmsprop", {"learning_rate": 2e-3, "momentum": 0.9}, [(300,)], False),
}


def behaviour():
    """Eager equals jit; optax.chain with an optax schedule; inject_hyperparams; parameters
    changed between steps; errors. Returns {check: "ok..." or a failure}."""
    res = {}
    rng = np.random.default_rng(3)
    params = {k: jnp.asarray(v) for k, v in init_params().items()}
    grads = [jax.tree.map(lambda p: jnp.asarray(
        (rng.standard_normal(p.shape) * 0.1).astype(DT)), params) for _ in range(8)]

    def run(tx, jit, params=params, apply=True, steps=8):
        state = tx.init(params)
        upd = jax.jit(tx.update) if jit else tx.update
        for g in grads[:steps]:
            u, state = upd(g, state, params)
            params = optax.apply_updates(params, u) if apply else params
        return params, state

    def same(a, b):
        la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
        return len(la) == len(lb) and all(
            np.asarray(x).dtype == np.asarray(y).dtype and
            np.asarray(x).tobytes() == np.asarray(y).tobytes() for x, y in zip(la, lb))

    def check(name, fn):
        try:
            ok = fn()
            res[name] = "ok" if ok is True else f"FAILED: {ok}"
        except Exception:
            res[name] = "FAILED: " + traceback.format_exc()

    tf = lambda **kw: ako.adam(1e-2, preset="tensorflow", **kw)  # noqa: E731
    check("eager equals jit", lambda: same(run(tf(), False), run(tf(), True)))
    # staircase: 1e-2 * 0.5**k, the same value eagerly and under jit
    sched = optax.exponential_decay(1e-2, transition_steps=3, decay_rate=0.5, staircase=True)
    # optax.clip is elementwise (exact under jit and eagerly alike)
    chain = lambda lr=sched: optax.chain(optax.clip(0.15),  # noqa: E731
                                         ako.adam(lr, preset="keras_tensorflow"))
    check("chain + schedule: eager equals jit", lambda: same(run(chain(), False),
                                                             run(chain(), True)))

    def schedule_used():
        # the schedule's value reaches the core: the run equals a constant 1e-2 for the
        # 3 steps before the first decay, and differs after
        a, b = ([np.asarray(x) for x in run(chain(lr), True, steps=k)[0].values()]
                for lr, k in ((sched, 3), (1e-2, 3)))
        c, d = ([np.asarray(x) for x in run(chain(lr), True, steps=8)[0].values()]
                for lr in (sched, 1e-2))
        return (all(np.array_equal(x, y) for x, y in zip(a, b)) and
                not all(np.array_equal(x, y) for x, y in zip(c, d))) or "no"
    check("chain + schedule: the schedule is used", schedule_used)
    inj = optax.inject_hyperparams(ako.adam, static_args=("preset",))
    # TensorFlow rounds its learning rate to float32: an injected float32 0.01 is the same
    check("inject_hyperparams equals a constant lr", lambda: same(
        run(inj(learning_rate=1e-2, preset="tensorflow"), True)[0], run(tf(), True)[0]))

    def changed():
        # 3 steps, then the parameters are changed outside the optimizer: the next step
        # starts from them, as carry_params=False (which always does) from the same state
        tx = ako.adam(1e-2, preset="optax")
        state, p = tx.init(params), params
        for g in grads[:3]:
            u, state = jax.jit(tx.update)(g, state, p)
            p = optax.apply_updates(p, u)
        p = jax.tree.map(lambda x: x + 0.25, p)
        u, _ = jax.jit(tx.update)(grads[3], state, p)
        plain = ako.adam(1e-2, preset="optax", carry_params=False)
        u2, _ = jax.jit(plain.update)(grads[3], ako.AdamkitState(state.count, state.buffers),
                                      p)
        return same(u, u2) or "a changed parameter was not taken as given"
    check("parameters changed between steps are taken as given", changed)

    def raises(exc, fn):
        try:
            fn()
        except exc:
            return True
        return f"no {exc.__name__}"
    check("update without params raises ValueError",
          lambda: raises(ValueError, lambda: tf().update(grads[0], tf().init(params))))
    check("integer leaves raise TypeError",
          lambda: raises(TypeError, lambda: tf().init({"a": jnp.zeros(3, jnp.int32)})))
    check("a preset's refused value raises",
          lambda: raises(ValueError, lambda: ako.adam(1e-3, preset="optax", mu_dtype="bf16")))

    def step_error():
        # a value the core refuses inside the jitted step (a negative learning rate from
        # the schedule) stops the step with JAX's runtime error, naming the cause
        tx = ako.adam(lambda count: -1e-2 + 0.0 * count, preset="optax")
        try:
            jax.block_until_ready(jax.jit(tx.update)(grads[0], tx.init(params), params))
        except Exception as exc:  # noqa: BLE001 - JAX's runtime error class
            return "lr must be >= 0" in str(exc) or f"another error: {exc}"
        return "no error"
    check("an error inside the jitted step raises", step_error)

    def foreign_step():
        # a compiled call with another process's constants (a persistent compilation
        # cache) is refused, not run with this process's optimizer of the same number
        if ako._ffi_target() is None:
            return True
        call = jax.ffi.ffi_call(ako._TARGET, jax.ShapeDtypeStruct((1,), jnp.float32))
        try:
            jax.block_until_ready(call(jnp.asarray([ako._NONCE ^ 1, 0], jnp.int32)))
        except Exception as exc:  # noqa: BLE001 - JAX's runtime error class
            return "another process" in str(exc) or f"another error: {exc}"
        return "no error"
    check("a step traced in another process is refused", foreign_step)

    def leaf_by_leaf():
        # the FFI call takes large leaves one by one, small ones concatenated: the same
        # bits either way (the 4-leaf MLP, 8 jitted steps, with and without carry)
        runs = []
        for per_leaf_min in ("0", "1000000000"):
            os.environ["ADAMKIT_OPTAX_PER_LEAF_MIN"] = per_leaf_min
            try:
                runs.append([run(ako.adam(1e-2, preset="optax", carry_params=c), True)
                             for c in (True, False)])
            finally:
                del os.environ["ADAMKIT_OPTAX_PER_LEAF_MIN"]
        return same(runs[0], runs[1]) or "the two ways differ"
    check("leaves passed one by one or concatenated: the same bits", leaf_by_leaf)

    def in_scan():
        # a training loop written with lax.scan (the step inside XLA's loop) gives the
        # bits of the same steps jitted one at a time, with and without carry
        stacked = jax.tree.map(lambda *x: jnp.stack(x), *grads)
        for carry in (True, False):
            tx = ako.adam(1e-2, preset="optax", carry_params=carry)

            def body(c, g, tx=tx):
                p, s = c
                u, s = tx.update(g, s, p)
                return (optax.apply_updates(p, u), s), None
            (p, s), _ = jax.jit(lambda p, s, gs: jax.lax.scan(body, (p, s), gs))(
                params, tx.init(params), stacked)
            if not same((p, s), run(tx, True)):
                return f"scan differs (carry_params={carry})"
        return True
    check("inside lax.scan: the bits of steps jitted one at a time", in_scan)
    def ieee_presets():
        # XLA runs the step with flush-to-zero and denormals-are-zero set; a preset of a
        # framework that does not flush (PyTorch's) must not inherit them, one that does
        # (TensorFlow's) flushes: both equal the NumPy-level preset on subnormal data
        fi = np.finfo(np.float32)
        r = np.random.default_rng(9)
        p0 = (r.uniform(0.1, 1, 64) * fi.tiny * r.choice([-1, 1], 64)).astype(np.float32)
        gs = [(r.uniform(0.01, 3, 64) * fi.tiny * r.choice([-1, 1], 64)).astype(np.float32)
              for _ in range(3)]
        for preset in ("pytorch", "tensorflow"):
            tx = ako.adam(1e-3, preset=preset)
            st, p = tx.init({"w": jnp.asarray(p0)}), {"w": jnp.asarray(p0)}
            upd = jax.jit(lambda s, g, p, tx=tx: tx.update(g, s, p))
            for g in gs:
                _, st = upd(st, {"w": jnp.asarray(g)}, p)
                p = ako.framework_params(st, p)
            opt, q = adamkit.Adam(lr=1e-3, preset=preset), p0.copy()
            for g in gs:
                opt.step(q, g.copy())
            if np.asarray(p["w"]).tobytes() != q.tobytes():
                return f"{preset}: differs from the NumPy-level preset"
        return True
    check("subnormals: each preset in its framework's mode, not XLA's", ieee_presets)
    want = None if os.environ.get("ADAMKIT_OPTAX_CROSSING") == "callback" else \
        "adamkit_optax_step"
    check("the step crosses as ADAMKIT_OPTAX_CROSSING says (FFI call by default)",
          lambda: ako._ffi_target() == want or f"crossing {ako._ffi_target()!r}")
    return res


def next_toward():
    """adamkit.optax's integer-only step to the next float (its search for the exact
    updates) against jnp.nextafter toward +-inf: 10^6 random bit patterns (every
    exponent, subnormals, infinities, NaNs) and the special values, in DT."""
    it = np.uint32 if DT == np.float32 else np.uint64
    rng = np.random.default_rng(11)
    fi = np.finfo(DT)
    spec = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, fi.max, -fi.max, fi.tiny, -fi.tiny,
                     fi.smallest_subnormal, -fi.smallest_subnormal, 1.0, -1.0], DT)
    x = np.concatenate([rng.integers(0, np.iinfo(it).max, 10**6, dtype=it, endpoint=True)
                        .view(DT), spec, spec])
    up = np.concatenate([rng.integers(0, 2, 10**6).astype(bool), np.ones(len(spec), bool),
                         np.zeros(len(spec), bool)])
    a = np.asarray(jax.jit(ako._next_toward)(jnp.asarray(x), jnp.asarray(up)))
    b = np.asarray(jax.jit(lambda x, up: jnp.nextafter(
        x, jnp.where(up, jnp.inf, -jnp.inf).astype(x.dtype)))(jnp.asarray(x), jnp.asarray(up)))
    same = (a.view(it) == b.view(it)) | (np.isnan(a) & np.isnan(b))  # NaN: any payload
    if not same.all():
        i = int(np.argmin(same))
        return f"{int((~same).sum())} differ, e.g. {x[i]!r} up={up[i]}: {a[i]!r} {b[i]!r}"
    return "ok"


def exact_updates():
    """The updates the FFI call computes on the host (adam_c/src/delta.c, through
    adamkit._kernels.exact_updates in XLA's mode as adamkit.optax finds it) against
    adamkit.optax's XLA computation of them (_updates, jitted): random bit patterns,
    targets a few units in the last place away, targets far below the parameter (the
    walk runs and misses), around the subnormals, at binade edges (the walk hits), and
    the specials, in DT."""
    from adamkit import _kernels
    ftz = ako._delta_ftz()
    if ftz is None:
        return "skipped: the updates stay in XLA here"
    it = np.uint32 if DT == np.float32 else np.uint64
    rng = np.random.default_rng(12)
    fi = np.finfo(DT)
    n = 300_000
    bits = lambda k: rng.integers(0, np.iinfo(it).max, k, dtype=it,  # noqa: E731
                                  endpoint=True).view(DT)
    p2 = bits(n)
    with np.errstate(all="ignore"):
        p3 = rng.standard_normal(n).astype(DT)
        q3 = (p3 * DT(2.0) ** rng.integers(-60, -1, n).astype(DT)).astype(DT)
        p4 = (rng.standard_normal(n) * fi.tiny * 8).astype(DT)
        q4 = (rng.standard_normal(n) * fi.tiny * 8).astype(DT)
    spec = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, fi.max, -fi.max, fi.tiny,
                     -fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal, 1.0, -1.0],
                    DT)
    sign = rng.choice(np.array([-1.0, 1.0]), n)    # binade edges: the walk hits
    e = rng.integers(-30, 30, n)
    p5 = (-sign * rng.integers(1, 65, n) * 2.0 ** e).astype(DT)
    q5 = (sign * 2.0 ** (e + fi.nmant + 1 + rng.integers(0, 8, n))).astype(DT)
    p = np.concatenate([bits(n), p2, p3, p4, p5, np.repeat(spec, len(spec))])
    q = np.concatenate([bits(n), (p2.view(it) + rng.integers(-6, 7, n).astype(it)).view(DT),
                        q3, q4, q5, np.tile(spec, len(spec))])
    want = np.asarray(jax.jit(ako._updates)(jnp.asarray(p), jnp.asarray(q)))
    got = np.empty_like(p)
    _kernels.exact_updates(p, q, got, ftz, ako._SEARCH, 2)
    same = (got.view(it) == want.view(it)) | (np.isnan(got) & np.isnan(want))
    if not same.all():
        i = int(np.argmin(same))
        return (f"{int((~same).sum())} differ, e.g. p={p[i]!r} q={q[i]!r}: host "
                f"{got[i]!r}, XLA {want[i]!r}")
    with np.errstate(all="ignore"):
        missed = int((np.asarray(jax.jit(lambda p, u: p + u)(p, got)) != q).sum())
        walked = int(((got.view(it) != (q - p).view(it)) & ~np.isnan(got)).sum())
    return "ok" if missed > 1000 and walked > 1000 else \
        f"the walk ran for {missed} misses and hit {walked} times only"


def updates_modes():
    """The exact updates computed by the FFI handler (``ADAMKIT_OPTAX_UPDATES=host``, the
    default) and by XLA (``=xla``) give the same parameters, updates and state, bit for bit,
    over 6 jitted steps with apply_updates: Adam (the optax preset, whose fused step makes
    targets no addition reaches) and RMSProp (TF's), with and without carry_params, the
    leaves flat and one by one, a float and an optax schedule as the learning rate, and
    (x64) float32 and float64 leaves together; gradients spanning the subnormals."""
    rng = np.random.default_rng(21)
    dts = [np.float32, np.float64] if X64 else [np.float32]
    shapes = [(50,), (7, 3), (30,)]
    params = {f"w{i}": jnp.asarray((rng.standard_normal(s) * 10.0 ** rng.integers(
        -40 if dts[i % len(dts)] == np.float32 else -300, 1, s)).astype(dts[i % len(dts)]))
        for i, s in enumerate(shapes)}
    grads = [jax.tree.map(lambda p: jnp.asarray((rng.standard_normal(p.shape) * 10.0 ** (
        rng.integers(-45, 0, p.shape) if p.dtype == jnp.float32 else
        rng.integers(-320, 0, p.shape))).astype(p.dtype)), params) for _ in range(6)]
    # subnormal parameters, and gradients whose RMSProp steps are normal and a few
    # thousand times the parameters: XLA's flush-to-zero reads a parameter as 0, so its
    # update is the new parameter itself, which IEEE arithmetic would not give
    for i, dt in enumerate(dts):
        fi = np.finfo(dt)
        params[f"z{i}"] = jnp.asarray((rng.uniform(0.1, 1, 40) * fi.tiny
                                       * rng.choice([-1, 1], 40)).astype(dt))
        for g in grads:
            g[f"z{i}"] = jnp.asarray((rng.uniform(1e2, 1e3, 40) * fi.tiny
                                      * rng.choice([-1, 1], 40)).astype(dt))
    sched = optax.exponential_decay(1e-2, transition_steps=2, decay_rate=0.5)
    makers = {"adam optax": lambda lr, carry: ako.adam(lr, preset="optax",
                                                       carry_params=carry),
              "rmsprop tensorflow": lambda lr, carry: ako.rmsprop(
                  lr, preset="tensorflow", momentum=0.9, carry_params=carry)}
    out, saved = {}, {k: os.environ.get(k) for k in ("ADAMKIT_OPTAX_UPDATES",
                                                      "ADAMKIT_OPTAX_PER_LEAF_MIN")}
    try:
        for (name, make), carry, per_leaf, lr in itertools.product(
                makers.items(), (True, False), ("0", "1000000"), (1e-2, sched)):
            runs = []
            for mode in ("host", "xla"):
                os.environ["ADAMKIT_OPTAX_UPDATES"] = mode
                os.environ["ADAMKIT_OPTAX_PER_LEAF_MIN"] = per_leaf
                tx = make(lr, carry)
                step = jax.jit(lambda p, s, g, tx=tx: (lambda u, s2: (
                    optax.apply_updates(p, u), u, s2))(*tx.update(g, s, p)))
                p, st, trace = params, tx.init(params), []
                for g in grads:
                    p, u, st = step(p, st, g)
                    trace += [np.asarray(x).tobytes() for x in jax.tree.leaves((p, u, st))]
                runs.append(trace)
            case = f"{name}, carry={carry}, per leaf={per_leaf == '0'}, " \
                   f"lr={'schedule' if callable(lr) else lr}"
            out[case] = "ok" if runs[0] == runs[1] else "differ"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    bad = {k: v for k, v in out.items() if v != "ok"}
    return "ok" if not bad and len(out) == 16 else f"{bad or out}"


def main():
    suffix = "-x64" if X64 else ""
    tasks = {f"record-jax-tf1_adam_{'f64' if X64 else 'f32'}":
             lambda: record(f"jax-tf1_adam_{'f64' if X64 else 'f32'}",
                            ako.adam(1e-2, preset="tensorflow"))}
    if not X64:
        tasks["record-jax-keras_adam_gclip_f32"] = lambda: record(
            "jax-keras_adam_gclip_f32",
            ako.adam(1e-2, preset="keras_tensorflow", global_clipnorm=0.5, weight_decay=1e-3))
        for name in ("adam", "adamw", "adamax", "rmsprop"):
            tasks[f"optax_{name}"] = lambda name=name: optax_match(name, [(1000,)])
        for name in ("adam", "adamw"):
            tasks[f"optax_{name}_multi"] = lambda name=name: optax_match(name, SHAPES)
        tasks["behaviour"] = behaviour
    tasks[f"next_toward{suffix}"] = next_toward
    tasks[f"exact_updates{suffix}"] = exact_updates
    tasks[f"updates_modes{suffix}"] = updates_modes
    for name, (alias, kw, shapes, jit) in SUBNORMAL.items():
        tasks[f"subnormal-{name}{suffix}"] = \
            lambda a=(name, alias, kw, shapes, jit): subnormal(*a)
    for name, fn in tasks.items():
        try:
            RESULTS[name] = fn()
        except Exception:
            RESULTS[name] = "failed: " + traceback.format_exc()
    with open(os.path.join(OUT, f"jax-results{suffix}.json"), "w") as f:
        json.dump(RESULTS, f, indent=1)


main()
