"""The cases of tests/test_mpi.py: problems defined once, run in one process (no MPI) by
the test and on P ranks by ``mpiexec -n P python tests/mpi_cases.py OUTDIR``.

Each rank writes ``OUTDIR/P{P}/rank{r}.npz``: every array and scalar a case produced on
that rank, under ``case.name`` keys, so that the test can compare every rank, every
rank count and the one-process run bit for bit.  Nothing here compares anything.
"""
import os
import pickle
import sys

import numpy as np

import adamkit
from adamkit import schedules as S

# ---------------------------------------------------------------------------------------
# the problems: sums over blocks, whose terms differ enough in size that the order of
# the additions shows in the last bits
# ---------------------------------------------------------------------------------------


def quadratic(nblocks, n, seed, dtype=np.float64):
    """Block b: f_b = sum_j w_bj (x_j - c_bj)^2 (summed left to right), g_b = 2 w (x - c)."""
    rng = np.random.default_rng(seed)
    C = (rng.standard_normal((nblocks, n)) * 10.0 ** rng.integers(-3, 3, (nblocks, 1)))
    W = rng.uniform(0.5, 2.0, (nblocks, n)) * 10.0 ** rng.integers(-2, 2, (nblocks, 1))
    C, W = C.astype(dtype), W.astype(dtype)

    def fun(x, b):
        d = x - C[b]
        return float(np.cumsum(W[b] * d * d)[-1]), (dtype(2.0) * W[b]) * d
    return fun


def schedule():
    return S.warmup(10) >> S.exponential_decay(0.05, decay_steps=40, decay_rate=0.5)


#: name -> (fun, x0, minimize keywords, shard)
MINIMIZE = {
    "adam_f64": (quadratic(7, 10, 1), np.zeros(10), dict(
        jac=True, bounds=[(-0.5, 0.5)] * 10, options={"blocks": 7, "maxiter": 300}), False),
    "pytorch_fused_f32_schedule": (quadratic(5, 77, 2, np.float32), np.zeros(77, np.float32),
                                   dict(jac=True, options={
                                       "blocks": 5, "maxiter": 60, "lr": schedule(),
                                       "preset": "pytorch",
                                       "preset_options": {"fused": True}}), True),
    "caffe_rmsprop_clip_f32": (quadratic(8, 77, 3, np.float32), np.zeros(77, np.float32),
                               dict(method="rmsprop", jac=True, options={
                                   "blocks": 8, "maxiter": 40, "preset": "caffe",
                                   "preset_options": {"base_lr": 0.01,
                                                      "clip_gradients": 5.0,
                                                      "openblas_core": "Haswell"}}), True),
    "keras_global_clipnorm_f64": (quadratic(6, 40, 4), np.zeros(40), dict(
        jac=True, options={"blocks": 6, "maxiter": 40, "preset": "keras_tensorflow",
                           "preset_options": {"learning_rate": 0.05,
                                              "global_clipnorm": 1.0}}), True),
}
RESULT_KEYS = ("x", "fun", "jac", "nit", "nfev", "njev", "status", "message")


def minimize_single(name):
    """The one-process run: adamkit.minimize with the blocks option."""
    fun, x0, kw, _ = MINIMIZE[name]
    return adamkit.minimize(fun, x0, **kw)


# ---------------------------------------------------------------------------------------
# the sharded optimizer on its own
# ---------------------------------------------------------------------------------------

#: name -> (optimizer class name, keywords, [(size, dtype)], lr_mult)
SHARDED = {
    "adam_mixed": ("Adam", dict(lr=0.01, amsgrad=True), [(33, np.float64),
                                                          (35, np.float32),
                                                          (50, np.float64)], [1.0, 0.5, 2.0]),
    "torch7_f32": ("Adam", dict(preset="torch7", learningRate=0.01,
                                            openblas_core="Haswell"), [(70, np.float32),
                                                                       (9, np.float32)],
                   None),
    "rmsprop_momentum": ("RMSProp", dict(lr=0.01, momentum=0.9, centered=True),
                         [(41, np.float64)], None),
}
SHARDED_STEPS = 12


def sharded_problem(name):
    cls, kw, layout, mults = SHARDED[name]
    rng = np.random.default_rng(7)
    params = [rng.standard_normal(s).astype(d) for s, d in layout]
    grads = [[rng.standard_normal(s).astype(d) for s, d in layout]
             for _ in range(SHARDED_STEPS)]
    return cls, kw, params, grads, mults


def sharded_single(name):
    cls, kw, params, grads, mults = sharded_problem(name)
    opt = getattr(adamkit, cls)(**kw)
    for g in grads:
        opt.step(params, g, lr_mult=mults)
    return params, opt.state_dict()


# ZeRO-1 with the fixed-order reduce-scatter: B block gradients of one array
ZERO_BLOCKS, ZERO_N, ZERO_STEPS = 6, 1000, 10


def zero_grads(step, b):
    rng = np.random.default_rng(1000 * step + b)
    return rng.standard_normal(ZERO_N) * 10.0 ** (b % 4 - 2)


def zero_single():
    """The same steps in one process: the fixed tree over the blocks, one optimizer."""
    from adamkit._blocks import TreeSum
    p = np.linspace(-1, 1, ZERO_N)
    opt = adamkit.Adam(preset="pytorch", lr=0.01)
    for t in range(ZERO_STEPS):
        s = TreeSum(ZERO_BLOCKS)
        for b in range(ZERO_BLOCKS):
            s.push(b, b + 1, zero_grads(t, b))
        opt.step(p, s.result())
    return p


# checkpoint: 5 steps, state saved per rank; 5 more steps after loading on any P
CKPT_N, CKPT_STEPS = 101, 5


def ckpt_grads(t):
    return np.random.default_rng(500 + t).standard_normal(CKPT_N)


def ckpt_single():
    p = np.linspace(0, 1, CKPT_N)
    opt = adamkit.Adam(lr=0.02, betas=(0.8, 0.99))
    for t in range(2 * CKPT_STEPS):
        opt.step(p, ckpt_grads(t))
    return p


# ---------------------------------------------------------------------------------------
# on P ranks
# ---------------------------------------------------------------------------------------

def run_ranks(outdir):
    from mpi4py import MPI

    import adamkit.mpi as am
    comm = MPI.COMM_WORLD
    P, r = comm.size, comm.rank
    out = {}

    for name, (fun, x0, kw, shard) in MINIMIZE.items():
        res = am.minimize(fun, x0, comm=comm, shard=shard, **kw)
        for k in RESULT_KEYS:
            out[f"{name}.{k}"] = res[k]

    for name in SHARDED:
        cls, kw, params, grads, mults = sharded_problem(name)
        opt = am.ShardedOptimizer(cls, comm=comm, **kw)
        for g in grads:
            opt.step(params, g, lr_mult=mults)
        for i, p in enumerate(params):
            out[f"{name}.p{i}"] = p
        full = opt.full_state_dict()
        for i, st in enumerate(full["state"]):
            for k, v in st.items():
                out[f"{name}.state{i}.{k}"] = v
        out[f"{name}.t"] = full["t"]
        out[f"{name}.state_nbytes"] = opt.state_nbytes
        out[f"{name}.shard"] = np.array(opt.shard)

    # ZeRO-1: reduce-scatter in tree order, update the shard, gather the parameters
    p = np.linspace(-1, 1, ZERO_N)
    sums = am.BlockSum(comm, ZERO_BLOCKS, ZERO_N, np.float64)
    opt = am.ShardedOptimizer("Adam", comm=comm, preset="pytorch", lr=0.01)
    lo, hi = sums.blocks
    for t in range(ZERO_STEPS):
        opt.step_shard(p, sums.reduce_scatter([zero_grads(t, b) for b in range(lo, hi)]))
    out["zero.p"] = p
    out["zero.blocks"] = np.array(sums.blocks)

    # checkpoint on 4 ranks (the first run), resumed here on P
    ckdir = os.path.join(outdir, "ckpt4")
    if P == 4:
        p = np.linspace(0, 1, CKPT_N)
        opt = am.ShardedOptimizer("Adam", comm=comm, lr=0.02, betas=(0.8, 0.99))
        for t in range(CKPT_STEPS):
            opt.step(p, ckpt_grads(t))
        os.makedirs(ckdir, exist_ok=True)
        with open(os.path.join(ckdir, f"rank{r}.pkl"), "wb") as f:
            pickle.dump(opt.state_dict(), f)
        if r == 0:
            np.save(os.path.join(ckdir, "p.npy"), p)
        comm.Barrier()
    shards = []
    for q in range(4):
        with open(os.path.join(ckdir, f"rank{q}.pkl"), "rb") as f:
            shards.append(pickle.load(f))
    p = np.load(os.path.join(ckdir, "p.npy"))
    opt = am.ShardedOptimizer("Adam", comm=comm, lr=0.02, betas=(0.8, 0.99))
    opt.load_state_dict(shards)
    full = opt.full_state_dict()            # the unsharded optimizer's state_dict
    q = p.copy()
    for t in range(CKPT_STEPS, 2 * CKPT_STEPS):
        opt.step(p, ckpt_grads(t))
    out["ckpt.p"] = p
    out["ckpt.t"] = opt.t
    one = adamkit.Adam(lr=0.02, betas=(0.8, 0.99))     # resumed without MPI
    one.load_state_dict(full)
    for t in range(CKPT_STEPS, 2 * CKPT_STEPS):
        one.step(q, ckpt_grads(t))
    out["ckpt.unsharded_p"] = q
    try:                                    # shards of ranks 0 and 1 of 4 only
        am.ShardedOptimizer("Adam", comm=comm, lr=0.02).load_state_dict(shards[:2])
        out["error_missing_shards"] = "no error"
    except Exception as e:  # recorded for the test
        out["error_missing_shards"] = f"{type(e).__name__}: {e}"

    # errors: a block that raises on the rank holding it; a callback's StopIteration on
    # the last rank only; a bad option on one rank; x0 that differs between ranks
    fun, x0, kw, _ = MINIMIZE["adam_f64"]

    def failing(x, b):
        if b == 3 and failing.calls >= 2:
            raise ValueError("block 3 failed")
        failing.calls += b == 3
        return fun(x, b)
    failing.calls = 0
    cases = {
        "error_block": lambda: am.minimize(failing, x0, comm=comm, **kw),
        "error_option": lambda: am.minimize(fun, x0, comm=comm, jac=True, options={
            "blocks": 7, "maxiter": -1 if r == P - 1 else 10}),
        "error_x0": lambda: am.minimize(fun, x0 + (r == P - 1), comm=comm, **kw),
    }
    def clip_shard():
        opt = am.ShardedOptimizer("Adam", comm=comm, preset="keras_tensorflow",
                                  global_clipnorm=1.0)
        opt.step_shard(np.zeros(8), np.zeros(opt.shard[1] - opt.shard[0]))
        opt.step_shard(np.zeros(8), np.zeros(8 * (r + 1) // P - 8 * r // P))

    def layout():
        opt = am.ShardedOptimizer("Adam", comm=comm)
        opt.step(np.zeros(8), np.ones(8))
        opt.step(np.zeros(9), np.ones(9))
    cases["error_step_shard_clip"] = clip_shard
    cases["error_layout"] = layout
    for name, call in cases.items():
        try:
            call()
            out[name] = "no error"
        except Exception as e:  # recorded for the test
            out[name] = f"{type(e).__name__}: {e}"

    def stop(intermediate_result):
        if r == P - 1 and intermediate_result.nit == 5:
            raise StopIteration
    res = am.minimize(fun, x0, comm=comm, callback=stop, **kw)
    out["stop.nit"], out["stop.status"], out["stop.x"] = res.nit, res.status, res.x

    os.makedirs(os.path.join(outdir, f"P{P}"), exist_ok=True)
    np.savez(os.path.join(outdir, f"P{P}", f"rank{r}.npz"), **out)


if __name__ == "__main__":
    run_ranks(sys.argv[1])
