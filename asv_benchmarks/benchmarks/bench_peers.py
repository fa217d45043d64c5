"""Peers on the same Adam step, each only when importable in the benchmarking Python:
NumPy in place (always), torch Adam default / foreach / fused=True, optax.adam under
jax.jit with donated buffers, DeepSpeed's CPU Adam and Intel Extension for PyTorch's
fused Adam (float32). With ``asv run --python=same`` in an environment without torch,
jax, deepspeed or IPEX those cases are reported as skipped (``python -m adamkit bench``
runs the peers in a framework environment instead)."""

import numpy as np

from .common import Benchmark, get_data, optional, sizes

SIZES = sizes(100, 10**5, 10**7)


class NumPyAdam(Benchmark):
    params = [SIZES, ["float32", "float64"]]
    param_names = ["n", "dtype"]

    def setup(self, n, dtype):
        self.p, self.g, (self.m, self.v, self.tmp) = get_data(n, dtype, 3)
        self.t = 0

    def time_step(self, n, dtype):
        p, g, m, v, tmp = self.p, self.g, self.m, self.v, self.tmp
        self.t += 1
        b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
        bc1, bc2 = 1 - b1 ** self.t, (1 - b2 ** self.t) ** 0.5
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


class TorchAdam(Benchmark):
    params = [SIZES, ["float32", "float64"], ["default", "foreach", "fused"], [1, 2]]
    param_names = ["n", "dtype", "impl", "n_threads"]

    def setup(self, n, dtype, impl, n_threads):
        torch = optional("torch")
        torch.set_num_threads(n_threads)
        p, g, _ = get_data(n, dtype, 0)
        self.param = torch.from_numpy(p)
        self.param.grad = torch.from_numpy(g)
        kw = {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}[impl]
        self.opt = torch.optim.Adam([self.param], lr=1e-3, **kw)
        self.opt.step()

    def time_step(self, n, dtype, impl, n_threads):
        self.opt.step()


class OptaxAdam(Benchmark):
    params = [SIZES, ["float32", "float64"]]
    param_names = ["n", "dtype"]

    def setup(self, n, dtype):
        jax = optional("jax")
        optax = optional("optax")
        jax.config.update("jax_enable_x64", True)
        jnp = jax.numpy
        p, g, _ = get_data(n, dtype, 0)
        tx = optax.adam(1e-3)
        self.params, self.grads = jnp.asarray(p), jnp.asarray(g)
        self.state = tx.init(self.params)

        def upd(params, grads, state):
            u, state = tx.update(grads, state, params)
            return optax.apply_updates(params, u), state
        self.upd = jax.jit(upd, donate_argnums=(0, 2))
        self.jax = jax
        self.time_step(n, dtype)

    def time_step(self, n, dtype):
        self.params, self.state = self.upd(self.params, self.grads, self.state)
        self.jax.block_until_ready(self.params)


class DeepSpeedCPUAdam(Benchmark):
    """DeepSpeed's CPU Adam (float32; its op builds with ninja on first use, minutes),
    over one tensor or the same total in 200 tensors, against torch fused=True on the same
    tensors (the multi-tensor case of issue 16: 200 arrays, 1e7 elements in all)."""
    params = [SIZES, [1, 200], ["deepspeed", "torch_fused"], [1, 2]]
    param_names = ["n", "tensors", "impl", "n_threads"]
    timeout = 900          # the first setup builds DeepSpeed's op

    def setup(self, n, tensors, impl, n_threads):
        torch = optional("torch")
        torch.set_num_threads(n_threads)
        if impl == "deepspeed":
            optional("deepspeed")
            from deepspeed.ops.adam import DeepSpeedCPUAdam as DSAdam
        if n < tensors:
            raise NotImplementedError("fewer elements than tensors")
        p, g, _ = get_data(n, "float32", 0)
        per = n // tensors
        self.params = []
        for i in range(tensors):
            t = torch.nn.Parameter(torch.from_numpy(p[i * per:(i + 1) * per].copy()))
            t.grad = torch.from_numpy(g[i * per:(i + 1) * per].copy())
            self.params.append(t)
        if impl == "deepspeed":
            self.opt = DSAdam(self.params, lr=1e-3, adamw_mode=False)
        else:
            self.opt = torch.optim.Adam(self.params, lr=1e-3, fused=True)
        self.opt.step()

    def time_step(self, n, tensors, impl, n_threads):
        self.opt.step()


class IPEXFusedAdam(Benchmark):
    """Intel Extension for PyTorch's fused CPU Adam (``ipex.optimize(model,
    optimizer=torch.optim.Adam(...))`` swaps in ``torch.ops.torch_ipex.adam_fused_step``;
    float32: IPEX 2.8's float64 step fails), over one tensor or the same total in 200
    tensors, against torch fused=True on the same tensors. IPEX 2.8.0 (its last release)
    imports only beside torch 2.8.*, so this runs in its own environment; elsewhere it
    is skipped."""
    params = [SIZES, [1, 200], ["ipex", "torch_fused"], [1, 2]]
    param_names = ["n", "tensors", "impl", "n_threads"]

    def setup(self, n, tensors, impl, n_threads):
        torch = optional("torch")
        ipex = optional("intel_extension_for_pytorch")   # also for torch_fused: same env
        torch.set_num_threads(n_threads)
        if n < tensors:
            raise NotImplementedError("fewer elements than tensors")
        p, g, _ = get_data(n, "float32", 0)
        per = n // tensors
        model = torch.nn.Module()
        model.ps = torch.nn.ParameterList(
            [torch.nn.Parameter(torch.from_numpy(p[i * per:(i + 1) * per].copy()))
             for i in range(tensors)])
        if impl == "ipex":
            from intel_extension_for_pytorch.optim._functional import adam_step
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            model, opt = ipex.optimize(model, optimizer=opt, inplace=True)
            if opt.step.__func__ is not adam_step:
                raise RuntimeError("ipex.optimize did not install its fused Adam step")
        else:
            opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
        for i, t in enumerate(model.parameters()):
            t.grad = torch.from_numpy(g[i * per:(i + 1) * per].copy())
        self.opt = opt
        self.opt.step()

    def time_step(self, n, tensors, impl, n_threads):
        self.opt.step()
