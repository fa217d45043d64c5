"""adamkit.torch against torch.optim, run inside the framework environment (torch 2.13).

Usage: python torch_worker.py DATA.npz OUT_DIR  (started by tests/test_frameworks.py through
adamkit.tools.elsewhere, so that ``import adamkit`` is the tested installation).

Every check trains the same MLP on scikit-learn's load_digits (the data come from DATA.npz,
made in the main environment) with torch.optim's optimizer and with adamkit.torch's, and
writes the parameters after every step; the test compares them bit for bit. ``record``
trains with the TensorFlow and Keras presets and writes each step's gradients and
parameters for tf_worker.py to replay through the real optimizers. OUT_DIR/results.json
says what ran and what failed (with the traceback).
"""

import io
import json
import os
import sys
import traceback

import numpy as np
import torch

import adamkit
import adamkit.torch as akt

torch.set_num_threads(1)
DATA, OUT = sys.argv[1], sys.argv[2]
D = np.load(DATA)
X64, Y = D["x"], D["y"]
BATCH, STEPS = 64, 45
RESULTS = {"versions": {"torch": torch.__version__, "numpy": np.__version__,
                        "adamkit": adamkit.__version__}}


def model(dtype=torch.float32):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(),
                               torch.nn.Linear(32, 10)).to(dtype)


def batches(dtype=torch.float32, steps=STEPS):
    rng = np.random.default_rng(1)
    x = torch.from_numpy(X64).to(dtype)
    y = torch.from_numpy(Y)
    for _ in range(steps):
        i = torch.from_numpy(rng.choice(len(Y), BATCH, replace=False))
        yield x[i], y[i]


def groups(m, kind):
    """Three param groups with their own hyper-parameters."""
    w1, b1, w2, b2 = m.parameters()
    if kind == "rmsprop":
        return [{"params": [w1], "lr": 3e-3, "momentum": 0.9, "centered": True},
                {"params": [b1, w2], "lr": 1e-3, "alpha": 0.95, "weight_decay": 1e-3},
                {"params": [b2], "eps": 1e-6}]
    return [{"params": [w1], "lr": 1e-2, "weight_decay": 1e-3},
            {"params": [b1, w2], "lr": 3e-3, "betas": (0.8, 0.99),
             **({} if kind == "adamax" else {"amsgrad": True})},
            {"params": [b2], "eps": 1e-6}]


def flat(m):
    return np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])


def train(m, opt, sched=None, dtype=torch.float32, steps=STEPS, skip=None):
    """Train; return the parameters after every step (rows). ``skip(t)``: indices of
    parameters whose gradient is set to None at step t (torch skips them)."""
    rows = []
    ps = list(m.parameters())
    for t, (x, y) in enumerate(batches(dtype, steps)):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        for i in (skip(t) if skip else ()):
            ps[i].grad = None
        opt.step()
        if sched is not None:
            sched.step()
        rows.append(flat(m))
    return np.array(rows)


def state_arrays(opt):
    out = []
    for st in opt.state.values():
        for k in sorted(st):
            out.append(st[k].detach().numpy().astype(np.float64).ravel())
    return np.concatenate(out)


CONFIGS = {
    "adam_fused": (torch.optim.Adam, akt.Adam, "adam", {"fused": True}),
    "adam_foreach": (torch.optim.Adam, akt.Adam, "adam", {"foreach": True}),
    "adam_forloop": (torch.optim.Adam, akt.Adam, "adam", {"foreach": False}),
    "adamw_fused": (torch.optim.AdamW, akt.AdamW, "adam", {"fused": True}),
    "adamw_forloop": (torch.optim.AdamW, akt.AdamW, "adam", {"foreach": False}),
    "adamax_foreach": (torch.optim.Adamax, akt.AdaMax, "adamax", {"foreach": True}),
    "adamax_forloop": (torch.optim.Adamax, akt.AdaMax, "adamax", {"foreach": False}),
    "rmsprop_foreach": (torch.optim.RMSprop, akt.RMSprop, "rmsprop", {"foreach": True}),
    "rmsprop_forloop": (torch.optim.RMSprop, akt.RMSprop, "rmsprop", {"foreach": False}),
}


def check_match(name):
    """torch.optim vs adamkit.torch(preset="pytorch"): 3 groups, StepLR."""
    tcls, acls, kind, kw = CONFIGS[name]
    out = {}
    for who, cls, extra in (("torch", tcls, {}), ("adamkit", acls, {"preset": "pytorch"})):
        m = model()
        opt = cls(groups(m, kind), **kw, **extra)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=15, gamma=0.5)
        out[who] = train(m, opt, sched)
        out[who + "_state"] = state_arrays(opt)
    return out


def check_checkpoint():
    """adamkit.torch.Adam(fused=True) + StepLR, 45 steps straight vs 20 steps,
    torch.save/torch.load of model, optimizer and scheduler into fresh objects, 25 more."""
    def make():
        m = model()
        opt = akt.Adam(groups(m, "adam"), preset="pytorch", fused=True)
        return m, opt, torch.optim.lr_scheduler.StepLR(opt, step_size=15, gamma=0.5)

    m, opt, sched = make()
    straight = train(m, opt, sched)
    m, opt, sched = make()
    gen = batches()
    rows = []

    def run(m, opt, sched, k):
        for _ in range(k):
            x, y = next(gen)
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
            sched.step()
            rows.append(flat(m))
    run(m, opt, sched, 20)
    buf = io.BytesIO()
    torch.save({"model": m.state_dict(), "opt": opt.state_dict(),
                "sched": sched.state_dict()}, buf)
    del m, opt, sched
    buf.seek(0)
    ck = torch.load(buf)                 # weights_only=True, torch's default
    m, opt, sched = make()
    m.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    sched.load_state_dict(ck["sched"])
    run(m, opt, sched, STEPS - 20)
    return {"straight": straight, "resumed": np.array(rows)}


def check_cross_state():
    """torch.optim.Adam's state_dict into adamkit.torch.Adam(preset="pytorch") after 20
    steps (and adamkit's into torch's): both continue as torch.optim.Adam would."""
    out = {}
    for first, second in ((torch.optim.Adam, akt.Adam), (akt.Adam, torch.optim.Adam)):
        ref_m = model()
        ref = torch.optim.Adam(groups(ref_m, "adam"))
        reference = train(ref_m, ref)
        m = model()
        kw = {"preset": "pytorch"} if first is akt.Adam else {}
        opt = first(groups(m, "adam"), **kw)
        gen = batches()
        rows = []
        for t in range(STEPS):
            if t == 20:
                sd = opt.state_dict()
                kw = {"preset": "pytorch"} if second is akt.Adam else {}
                opt = second(groups(m, "adam"), **kw)
                opt.load_state_dict(sd)
            x, y = next(gen)
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
            rows.append(flat(m))
        tag = "torch_to_adamkit" if first is torch.optim.Adam else "adamkit_to_torch"
        out[tag] = np.array(rows)
        out[tag + "_reference"] = reference
    return out


def check_skip():
    """Parameters without a gradient at some steps keep their own step count: torch.optim
    (for-loop) vs adamkit.torch, 3 groups."""
    def skip(t):
        return [0] if t % 3 == 1 else ([1, 3] if 10 <= t < 14 else [])
    out = {}
    for who, cls, extra in (("torch", torch.optim.Adam, {"foreach": False}),
                            ("adamkit", akt.Adam, {"preset": "pytorch"})):
        m = model()
        opt = cls(groups(m, "adam"), **extra)
        out[who] = train(m, opt, skip=skip)
    return out


def check_closure_maximize():
    """A closure gives the same steps and returns its loss; maximize=True on g (a preset
    without that option: TensorFlow) equals the plain optimizer on -g; hyper-parameters
    changed between steps (a scheduler on betas) rebuild the group's rule."""
    out = {}
    m = model()
    opt = akt.Adam(m.parameters(), preset="tensorflow", learning_rate=1e-2)
    losses, rows = [], []
    for x, y in batches():
        def closure():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(m(x), y)
            loss.backward()
            return loss
        losses.append(opt.step(closure).item())
        rows.append(flat(m))
    m2 = model()
    opt2 = akt.Adam(m2.parameters(), preset="tensorflow", learning_rate=1e-2)
    out["closure"], out["plain"] = np.array(rows), train(m2, opt2)
    out["closure_losses"] = np.array(losses)
    for who, maximize in (("max", True), ("neg", False)):
        m = model()
        opt = akt.Adam(m.parameters(), preset="tensorflow", learning_rate=1e-2,
                       maximize=maximize)
        rows = []
        for x, y in batches():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(m(x), y)
            (-loss if maximize else loss).backward()     # exactly -g: a sign flip
            opt.step()
            rows.append(flat(m))
        out[who] = np.array(rows)
    # betas changed at step 10 vs a fresh optimizer given the state at step 10
    m = model()
    opt = akt.Adam(m.parameters(), preset="pytorch", lr=1e-2)
    gen = batches()
    rows = []
    for t in range(20):
        if t == 10:
            opt.param_groups[0]["betas"] = (0.8, 0.95)
        x, y = next(gen)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        opt.step()
        rows.append(flat(m))
    out["betas_changed"] = np.array(rows)
    m = model()
    opt = torch.optim.Adam(m.parameters(), lr=1e-2, foreach=False)
    gen = batches()
    rows = []
    for t in range(20):
        if t == 10:
            opt.param_groups[0]["betas"] = (0.8, 0.95)
        x, y = next(gen)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        opt.step()
        rows.append(flat(m))
    out["betas_changed_torch"] = np.array(rows)
    return out


def check_errors():
    """Each refused input raises before any tensor is written."""
    res = {}

    def expect(name, exc, fn):
        try:
            fn()
        except exc as e:
            res[name] = f"ok: {type(e).__name__}: {e}"
        except Exception as e:                 # the wrong error
            res[name] = f"WRONG {type(e).__name__}: {e}"
        else:
            res[name] = "WRONG: no error"

    def fresh():
        m = model()
        opt = akt.Adam(groups(m, "adam"), preset="pytorch")
        x, y = next(batches())
        torch.nn.functional.cross_entropy(m(x), y).backward()
        opt.step()                              # state exists
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        return m, opt

    def unchanged(m, opt, mutate):
        before = flat(m).copy(), state_arrays(opt).copy()
        mutate(m)
        try:
            opt.step()
        finally:
            after = flat(m), state_arrays(opt)
            if not (np.array_equal(before[0], after[0]) and
                    np.array_equal(before[1], after[1])):
                raise AssertionError("a tensor was written before the error")

    def sparse_grad():
        m, opt = fresh()
        unchanged(m, opt, lambda m: setattr(m[2].bias, "grad", m[2].bias.grad.to_sparse()))

    def wrong_dtype_grad():
        m, opt = fresh()
        def mutate(m):
            b = m[2].bias
            b.grad_dtype = None                # torch refuses it otherwise
            b.grad = b.grad.double()
        unchanged(m, opt, mutate)

    def noncontig_grad():
        m, opt = fresh()
        w = m[2].weight

        def mutate(m):
            w.grad = w.grad.t().contiguous().t()     # same shape, transposed strides
        unchanged(m, opt, mutate)

    expect("sparse gradient", ValueError, sparse_grad)
    expect("gradient of another dtype", TypeError, wrong_dtype_grad)
    expect("non-contiguous gradient", ValueError, noncontig_grad)
    expect("float16 parameter", TypeError,
           lambda: akt.Adam([torch.nn.Parameter(torch.zeros(3, dtype=torch.float16))],
                            preset="pytorch"))
    expect("non-contiguous parameter", ValueError,
           lambda: akt.Adam([torch.nn.Parameter(torch.zeros(4, 3).t())], preset="pytorch"))
    expect("parameter on another device", ValueError,
           lambda: akt.Adam([torch.nn.Parameter(torch.zeros(3, device="meta"))],
                            preset="pytorch"))
    expect("no preset", TypeError, lambda: akt.Adam(model().parameters()))
    expect("unknown group keyword", TypeError,
           lambda: akt.Adam([{"params": model().parameters(), "beta_1": 0.5}],
                            preset="tensorflow"))
    expect("a preset's refused value", ValueError,
           lambda: akt.Adam(model().parameters(), preset="pytorch", capturable=True))
    expect("a required learning rate", TypeError,
           lambda: akt.Adam(model().parameters(), preset="optax"))
    return res


def check_compile():
    """A torch.compile'd train step (dynamo, eager backend) with opt.step() inside equals
    the eager loop: step() is excluded from compilation and runs at a graph break."""
    out = {}
    for who in ("eager", "compiled"):
        m = model()
        opt = akt.Adam(groups(m, "adam"), preset="pytorch", fused=True)

        def train_step(x, y):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(m(x), y)
            loss.backward()
            opt.step()
            return loss
        fn = torch.compile(train_step, backend="eager") if who == "compiled" else train_step
        rows = []
        for x, y in batches(steps=10):
            fn(x, y)
            rows.append(flat(m))
        out[who] = np.array(rows)
    return out


PLUMBING = {   # adamkit.torch class, adamkit class, keywords, the state names torch uses
    "adamax_torch7": (akt.AdaMax, adamkit.AdaMax, {"preset": "torch7"},
                      ["exp_avg", "exp_inf", "step"]),
    "adam_native": (akt.Adam, adamkit.Adam, {"preset": None, "lr": 1e-2, "amsgrad": True},
                    ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]),
    "rmsprop_tf1_centered": (akt.RMSprop, adamkit.RMSProp,
                             {"preset": "tensorflow", "learning_rate": 1e-2, "momentum": 0.9,
                              "centered": True},
                             ["grad_avg", "momentum_buffer", "square_avg", "step"]),
}


def check_plumbing():
    """adamkit.torch adds nothing to the core: its parameters equal adamkit's NumPy
    optimizer given the same gradients (AdaMax, adamkit's own rule, a centered RMSProp),
    and its state has torch's names."""
    out = {}
    for name, (tcls, ncls, kw, names) in PLUMBING.items():
        m = model()
        opt = tcls(m.parameters(), **kw)
        ps = list(m.parameters())
        ref = [p.detach().numpy().copy() for p in ps]
        nopt = ncls(**kw)
        rows, refs = [], []
        for x, y in batches(steps=20):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(x), y).backward()
            grads = [p.grad.numpy().copy() for p in ps]
            opt.step()
            nopt.step(ref, grads)
            rows.append(flat(m))
            refs.append(np.concatenate([r.ravel() for r in ref]))
        out[name], out[name + "_numpy"] = np.array(rows), np.array(refs)
        got = sorted(opt.state_dict()["state"][0])
        out[name + "_names_ok"] = np.array(got == names)
    return out


def record(name, cls, dtype, kw):
    """Train with adamkit.torch and a TensorFlow/Keras preset; save every step's gradients
    and parameters (and the initial parameters) for tf_worker.py."""
    m = model(dtype)
    opt = cls(m.parameters(), **kw)
    ps = list(m.parameters())
    init = [p.detach().numpy().copy() for p in ps]
    grads = [[] for _ in ps]
    params = [[] for _ in ps]
    for x, y in batches(dtype, 40):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        for i, p in enumerate(ps):
            grads[i].append(p.grad.numpy().copy())
        opt.step()
        for i, p in enumerate(ps):
            params[i].append(p.detach().numpy().copy())
    arrays = {}
    for i in range(len(ps)):
        arrays[f"init{i}"] = init[i]
        arrays[f"grads{i}"] = np.array(grads[i])
        arrays[f"params{i}"] = np.array(params[i])
    np.savez(os.path.join(OUT, f"record-{name}.npz"), **arrays)
    return {"n_tensors": len(ps), "steps": 40, "dtype": str(dtype),
            "kw": {k: v for k, v in kw.items()}}


RECORDS = {
    "tf1_adam_f32": (akt.Adam, torch.float32, {"preset": "tensorflow", "learning_rate": 1e-2}),
    "tf1_adam_f64": (akt.Adam, torch.float64, {"preset": "tensorflow", "learning_rate": 1e-2}),
    "tf1_rmsprop_f32": (akt.RMSprop, torch.float32,
                        {"preset": "tensorflow", "learning_rate": 1e-2, "momentum": 0.5}),
    "keras_adam_f32": (akt.Adam, torch.float32,
                       {"preset": "keras_tensorflow", "learning_rate": 1e-2}),
    "keras_adam_gclip_f32": (akt.Adam, torch.float32,
                             {"preset": "keras_tensorflow", "learning_rate": 1e-2,
                              "global_clipnorm": 0.5, "weight_decay": 1e-3}),
}


def main():
    checks = {f"match_{k}": (lambda k=k: check_match(k)) for k in CONFIGS}
    checks.update(checkpoint=check_checkpoint, cross_state=check_cross_state,
                  skip=check_skip, closure_maximize=check_closure_maximize,
                  compile=check_compile, plumbing=check_plumbing)
    for name, fn in checks.items():
        try:
            np.savez(os.path.join(OUT, f"{name}.npz"), **fn())
            RESULTS[name] = "ran"
        except Exception:
            RESULTS[name] = "failed: " + traceback.format_exc()
    try:
        RESULTS["errors"] = check_errors()
    except Exception:
        RESULTS["errors"] = "failed: " + traceback.format_exc()
    for name, (cls, dtype, kw) in RECORDS.items():
        try:
            RESULTS[f"record-{name}"] = record(name, cls, dtype, kw)
        except Exception:
            RESULTS[f"record-{name}"] = "failed: " + traceback.format_exc()
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(RESULTS, f, indent=1)


main()
