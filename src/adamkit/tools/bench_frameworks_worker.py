"""The worker of ``python -m adamkit bench --sections frameworks``: runs inside the framework
environment (torch, JAX, optax; adamkit made importable by :mod:`adamkit.tools.elsewhere`)
and times, in one process and interleaved, one optimizer step of

* ``torch_fused``    ``torch.optim.Adam(params, fused=True).step()``
* ``adamkit_torch``  ``adamkit.torch.Adam(params, preset="pytorch", fused=True).step()``
* ``adamkit_torch_own``  ``adamkit.torch.Adam(params, preset=None).step()`` (adamkit's
  own Adam, not PyTorch's rounding)
* ``deepspeed``      ``deepspeed.ops.adam.DeepSpeedCPUAdam(params, adamw_mode=False).step()``,
  where DeepSpeed is installed (its CPU op builds with ninja on first use)
* ``optax_jit``      ``jax.jit(update + apply_updates)`` of ``optax.adam`` (donated buffers)
* ``adamkit_optax``  the same with ``adamkit.optax.adam(preset="optax")``;
  ``adamkit_optax_nocarry`` with ``carry_params=False``

on float32 parameters of ``total`` elements in ``count`` tensors, gradients already in
place (no forward or backward pass). One thread everywhere. Usage:
``python bench_frameworks_worker.py CONFIG.json OUT.json``.
"""

import json
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                      "intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402

CFG = json.load(open(sys.argv[1]))
try:
    import importlib.metadata
    import importlib.util
    DEEPSPEED = (importlib.metadata.version("deepspeed")
                 if importlib.util.find_spec("deepspeed") else None)
except Exception:
    DEEPSPEED = None


def arrays(total, count, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [max(1, total // count)] * count
    return [(rng.standard_normal(n).astype(np.float32),
             (1e-3 * rng.standard_normal(n)).astype(np.float32)) for n in sizes]


def torch_contenders(total, count):
    import torch

    import adamkit.torch as akt
    out = {}
    makers = [("torch_fused", lambda ps: torch.optim.Adam(ps, lr=1e-3, fused=True)),
              ("adamkit_torch", lambda ps: akt.Adam(ps, lr=1e-3, preset="pytorch",
                                                   fused=True, n_threads=1)),
              ("adamkit_torch_own", lambda ps: akt.Adam(ps, lr=1e-3, preset=None,
                                                       n_threads=1))]
    if DEEPSPEED:
        from deepspeed.ops.adam import DeepSpeedCPUAdam
        makers.append(("deepspeed", lambda ps: DeepSpeedCPUAdam(ps, lr=1e-3, adamw_mode=False)))
    for name, make in makers:
        ps = []
        for p, g in arrays(total, count):
            t = torch.nn.Parameter(torch.from_numpy(p.copy()))
            t.grad = torch.from_numpy(g.copy())
            ps.append(t)
        opt = make(ps)
        opt.step()
        out[name] = opt.step
    return out


def optax_contenders(total, count):
    import jax
    import jax.numpy as jnp
    import optax

    import adamkit.optax as ako
    out = {}
    for name, tx in (("optax_jit", optax.adam(1e-3)),
                     ("adamkit_optax", ako.adam(1e-3, preset="optax", n_threads=1)),
                     ("adamkit_optax_nocarry", ako.adam(1e-3, preset="optax", n_threads=1,
                                                        carry_params=False))):
        data = arrays(total, count)
        params = [jnp.asarray(p) for p, _ in data]
        grads = [jnp.asarray(g) for _, g in data]

        def upd(params, state, grads, tx=tx):
            u, state = tx.update(grads, state, params)
            return optax.apply_updates(params, u), state
        step = jax.jit(upd, donate_argnums=(0, 1))
        box = [params, tx.init(params)]

        def fn(step=step, box=box, grads=grads):
            box[0], box[1] = step(box[0], box[1], grads)
            jax.block_until_ready(box[0])
        fn()
        out[name] = fn
    return out


def measure(contenders, rounds, target):
    """Interleaved rounds: each contender runs one batch of k calls per round, in turn;
    per-call time = the minimum over the rounds (and the median)."""
    ks = {}
    for name, fn in contenders.items():
        fn()
        k = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            dt = time.perf_counter() - t0
            if dt >= target or k >= 1 << 16:
                break
            k = min(k * 10, max(k + 1, int(k * target / max(dt, 1e-7) * 1.2)))
        ks[name] = k
    samples = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            k = ks[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            samples[name].append((time.perf_counter() - t0) / k)
    return {name: {"min": float(np.min(s)), "median": float(np.median(s))}
            for name, s in samples.items()}


def main():
    import jax
    import optax
    import torch
    torch.set_num_threads(1)
    rows = []
    for total in CFG["sizes"]:
        for count in CFG["counts"]:
            c = {**torch_contenders(total, count), **optax_contenders(total, count)}
            t = measure(c, CFG["rounds"], CFG["target"])
            rows.append({"total": max(1, total // count) * count, "count": count, **t})
            del c
    versions = {"torch": torch.__version__, "jax": jax.__version__,
                "optax": optax.__version__,
                **({"deepspeed": DEEPSPEED} if DEEPSPEED else {})}
    with open(sys.argv[2], "w") as f:
        json.dump({"versions": versions, "rows": rows}, f)


main()
