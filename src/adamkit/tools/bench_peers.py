"""The peers of ``python -m adamkit bench``: the frameworks' own Adam and RMSProp, timed in
a worker process (torch's and JAX's thread pools stay out of the measuring process), and
the NumPy baselines timed in it."""

import json
import os
import subprocess
import sys

import numpy as np

# ---------------------------------------------------------------------------------------
# Peers: a worker process speaking one JSON line per request
# ---------------------------------------------------------------------------------------

_WORKER = r'''
import json, os, sys, time
import numpy as np
try:
    import torch
except Exception:
    torch = None
try:
    import jax, jax.numpy as jnp, optax
    jax.config.update("jax_enable_x64", True)
except Exception:
    jax = None
try:     # DeepSpeed's CPU Adam: import on first use (slow; its op builds with ninja then)
    import importlib.metadata, importlib.util
    deepspeed = (importlib.metadata.version("deepspeed")
                 if torch is not None and importlib.util.find_spec("deepspeed") else None)
except Exception:
    deepspeed = None
try:     # Intel Extension for PyTorch: import on first use (it refuses other torch versions)
    ipex = (importlib.metadata.version("intel-extension-for-pytorch")
            if torch is not None and importlib.util.find_spec("intel_extension_for_pytorch")
            else None)
except Exception:
    ipex = None
_cache = {}

def _arrays(sizes, dtype):
    rng = np.random.default_rng(0)
    return [(rng.standard_normal(n).astype(dtype), (1e-3 * rng.standard_normal(n)).astype(dtype))
            for n in sizes]

def _setup(kind, sizes, dtype, family):
    key = (kind, tuple(sizes), dtype, family)
    if key in _cache:
        return _cache[key]
    _cache.clear()
    arrs = _arrays(sizes, dtype)
    if kind == "deepspeed_cpu_adam":         # float32 Adam only (its AVX-512 build here)
        from deepspeed.ops.adam import DeepSpeedCPUAdam
        ps = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p, _ in arrs]
        for p, (_, g) in zip(ps, arrs):
            p.grad = torch.from_numpy(g.copy())
        opt = DeepSpeedCPUAdam(ps, lr=1e-3, adamw_mode=False)
        opt.step()
        fn = opt.step
    elif kind == "ipex_fused_adam":          # float32 Adam only (IPEX 2.8's float64 step fails)
        import intel_extension_for_pytorch as _ipex
        from intel_extension_for_pytorch.optim._functional import adam_step
        model = torch.nn.Module()
        model.ps = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.from_numpy(p.copy())) for p, _ in arrs])
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        model, opt = _ipex.optimize(model, optimizer=opt, inplace=True)
        if opt.step.__func__ is not adam_step:
            raise RuntimeError("ipex.optimize did not install its fused Adam step")
        for q, (_, g) in zip(model.parameters(), arrs):
            q.grad = torch.from_numpy(g.copy())
        opt.step()
        fn = opt.step
    elif kind.startswith("torch"):
        ps = [torch.from_numpy(p.copy()).requires_grad_(False) for p, _ in arrs]
        for p, (_, g) in zip(ps, arrs):
            p.grad = torch.from_numpy(g.copy())
        kw = {"torch_default": {}, "torch_foreach": {"foreach": True},
              "torch_forloop": {"foreach": False}, "torch_fused": {"fused": True}}[kind]
        if family == "adam":
            opt = torch.optim.Adam(ps, lr=1e-3, **kw)
        else:
            opt = torch.optim.RMSprop(ps, lr=1e-2, **{k: v for k, v in kw.items() if k != "fused"})
        opt.step()
        fn = opt.step
    else:
        tx = optax.adam(1e-3) if family == "adam" else optax.rmsprop(1e-2)
        params = [jnp.asarray(p) for p, _ in arrs]
        grads = [jnp.asarray(g) for _, g in arrs]
        state = [tx.init(params)]
        def upd(params, grads, st):
            u, st = tx.update(grads, st, params)
            return optax.apply_updates(params, u), st
        jupd = jax.jit(upd, donate_argnums=(0, 2))
        box = [params]
        def fn():
            box[0], state[0] = jupd(box[0], grads, state[0])
            jax.block_until_ready(box[0])
        fn()
    _cache[key] = fn
    return fn

def main():
    # the replies go to the original stdout; anything a library prints (DeepSpeed logs
    # to stdout) goes to stderr
    reply = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    nt = int(os.environ.get("ADAMKIT_PEER_THREADS", "1"))
    if torch is not None:
        torch.set_num_threads(nt)
    have = {"torch": torch.__version__ if torch is not None else None,
            "optax": optax.__version__ if jax is not None else None,
            "jax": jax.__version__ if jax is not None else None,
            "deepspeed": deepspeed, "ipex": ipex}
    print(json.dumps(have), file=reply, flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            fn = _setup(req["kind"], req["sizes"], req["dtype"], req["family"])
            k = req["k"]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            out = {"t": (time.perf_counter() - t0) / k}
        except Exception as exc:
            out = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(out), file=reply, flush=True)

main()
'''


def _find_peer_python(explicit):
    if explicit:
        return explicit
    env = os.environ.get("ADAMKIT_PEER_PYTHON")
    if env:
        return env
    import importlib.util
    if importlib.util.find_spec("torch") or importlib.util.find_spec("optax"):
        return sys.executable
    for venvs in _venvs_candidates():
        cand = os.path.join(venvs, "modern", "bin", "python")
        if os.path.exists(cand):
            return cand
    return None


def _venvs_candidates():
    """Where ``python -m conformance setup`` may have put the framework environments
    (``.venvs/`` at the top of a checkout): ``$ADAMKIT_VENVS``, then ``.venvs`` in the
    current directory and each of its parents (an installed adamkit does not know the
    checkout), then in the checkout an editable install runs from."""
    out = []
    if os.environ.get("ADAMKIT_VENVS"):
        out.append(os.environ["ADAMKIT_VENVS"])
    d = os.path.abspath(os.getcwd())
    while True:
        out.append(os.path.join(d, ".venvs"))
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    here = os.path.dirname(os.path.abspath(__file__))      # <checkout>/src/adamkit/tools
    out.append(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(here))),
                            ".venvs"))
    return out


class Peers:
    """Peer frameworks in worker processes, one per thread count."""

    def __init__(self, python):
        self.python = python
        self.workers = {}
        self.versions = {}

    def _worker(self, nt):
        if nt not in self.workers:
            env = dict(os.environ, ADAMKIT_PEER_THREADS=str(nt), OMP_NUM_THREADS=str(nt),
                       JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
            # DeepSpeed's import (IPEX imports DeepSpeed when installed) sets this to 1
            # unless set: a CUDA build of torch then dlopens libnvidia-ml in every
            # torch.optim step (~90 us per step measured without a GPU). 0 = torch's default.
            env.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "0")
            if nt == 1:
                env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen"
                                    "=false intra_op_parallelism_threads=1").strip()
            proc = subprocess.Popen([self.python, "-c", _WORKER], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True, env=env)
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the peer worker ({self.python}) did not start")
            self.versions = json.loads(line)
            self.workers[nt] = proc
        return self.workers[nt]

    def available(self, nt=1):
        try:
            self._worker(nt)
        except Exception:
            return {}
        return {k: v for k, v in self.versions.items() if v}

    def contender(self, kind, sizes, dtype, family, nt):
        proc = self._worker(nt)

        def run(k):
            proc.stdin.write(json.dumps({"kind": kind, "sizes": list(sizes), "dtype": dtype,
                                         "family": family, "k": k}) + "\n")
            proc.stdin.flush()
            out = json.loads(proc.stdout.readline())
            if "error" in out:
                raise RuntimeError(out["error"])
            return float(out["t"])
        return run

    def close(self):
        for proc in self.workers.values():
            try:
                proc.stdin.close()
                proc.wait(timeout=10)
            except Exception:
                proc.kill()


def numpy_adam(p, g, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """Adam in NumPy, in place, with one scratch buffer (no per-step allocation)."""
    m, v, tmp = np.zeros_like(p), np.zeros_like(p), np.empty_like(p)
    t = [0]

    def step():
        t[0] += 1
        bc1, bc2 = 1 - b1 ** t[0], (1 - b2 ** t[0]) ** 0.5
        np.multiply(m, b1, out=m)
        np.multiply(g, 1 - b1, out=tmp)
        np.add(m, tmp, out=m)
        np.multiply(v, b2, out=v)
        np.multiply(g, g, out=tmp)
        np.multiply(tmp, 1 - b2, out=tmp)
        np.add(v, tmp, out=v)
        np.sqrt(v, out=tmp)
        np.divide(tmp, bc2, out=tmp)
        np.add(tmp, eps, out=tmp)
        np.divide(m, tmp, out=tmp)
        np.multiply(tmp, lr / bc1, out=tmp)
        np.subtract(p, tmp, out=p)
    return step


def numpy_rmsprop(p, g, lr=1e-2, rho=0.99, eps=1e-8):
    s, tmp = np.zeros_like(p), np.empty_like(p)

    def step():
        np.multiply(s, rho, out=s)
        np.multiply(g, g, out=tmp)
        np.multiply(tmp, 1 - rho, out=tmp)
        np.add(s, tmp, out=s)
        np.sqrt(s, out=tmp)
        np.add(tmp, eps, out=tmp)
        np.divide(g, tmp, out=tmp)
        np.multiply(tmp, lr, out=tmp)
        np.subtract(p, tmp, out=p)
    return step
