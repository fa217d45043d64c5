"""The ``frameworks`` section of ``python -m adamkit bench``: the per-step cost of
``adamkit.torch`` and ``adamkit.optax`` against ``torch.optim.Adam(fused=True)`` and
``optax.adam`` under ``jax.jit``, at 1e2 to 1e7 parameters in 1 and in 200 tensors.

Everything is timed in one worker process in the framework environment
(:mod:`~adamkit.tools.bench_frameworks_worker`, started through
:mod:`~adamkit.tools.elsewhere`), interleaved, so the ratios come from one run under one
load.
"""

import json
import os
import subprocess
import tempfile

from .elsewhere import command, framework_python


def bench_frameworks(rep, args, fmt_t, fmt_r):
    python = args.peer_python or framework_python()
    if not python or not os.path.exists(python):
        rep.out("")
        rep.out("## Frameworks: skipped (no framework environment: python -m conformance "
                "setup, or --peer-python)")
        return
    sizes = [int(float(x)) for x in args.framework_sizes.split(",") if x]
    counts = [int(x) for x in args.framework_tensors.split(",") if x]
    cfg = {"sizes": sizes, "counts": counts, "rounds": args.rounds, "target": args.target}
    worker = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "bench_frameworks_worker.py")
    with tempfile.TemporaryDirectory() as d:
        cfg_path, out_path = os.path.join(d, "cfg.json"), os.path.join(d, "out.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
        r = subprocess.run(command(python, worker, cfg_path, out_path), env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"the frameworks worker failed:\n{r.stderr[-3000:]}")
        with open(out_path) as f:
            res = json.load(f)
    stat = args.stat
    rows = []
    ds = "deepspeed" in res["versions"]
    for row in res["rows"]:
        t = {k: v[stat] for k, v in row.items() if isinstance(v, dict)}
        rows.append([row["total"], row["count"], fmt_t(t["torch_fused"]),
                     fmt_t(t["adamkit_torch"]), fmt_r(t["adamkit_torch"] / t["torch_fused"]),
                     fmt_t(t["adamkit_torch_own"]),
                     fmt_r(t["adamkit_torch_own"] / t["torch_fused"]),
                     *([fmt_t(t["deepspeed"]), fmt_r(t["adamkit_torch_own"] / t["deepspeed"])]
                       if ds else []),
                     fmt_t(t["optax_jit"]), fmt_t(t["adamkit_optax"]),
                     fmt_t(t["adamkit_optax_nocarry"]),
                     fmt_r(t["adamkit_optax"] / t["optax_jit"]),
                     fmt_r(t["adamkit_optax_nocarry"] / t["optax_jit"])])
    versions = ", ".join(f"{k} {v}" for k, v in res["versions"].items())
    rep.table("Frameworks: one optimizer step inside torch and JAX (float32, 1 thread)",
              ["params", "tensors", "torch fused", "adamkit.torch", "ratio", "(own mode)",
               "ratio", *(["DeepSpeed CPUAdam", "own/DeepSpeed"] if ds else []),
               "optax jit", "adamkit.optax", "(no carry)", "ratio", "(no carry)"], rows,
              note=f"{versions}. adamkit.torch: Adam(preset='pytorch', fused=True), and "
                   "(own mode) Adam(preset=None); DeepSpeed: DeepSpeedCPUAdam(adamw_mode="
                   "False), where installed; "
                   "adamkit.optax: adam(preset='optax') in jax.jit(update + apply_updates), "
                   "with and without carry_params. Ratios: adamkit / the framework's own "
                   "(below 1: adamkit is faster), from one interleaved run.")
    rep.results["frameworks"] = res
