"""Pickling, copy.deepcopy and repr() of the optimizer objects (issue 14, items 2 and 3).

Every optimizer class (adamkit's own rules, with their switches) and every preset row:
the copy made mid-run steps on bit for bit like the original, and ``eval(repr(opt))``
builds an optimizer with the same configuration (the same repr, update rule and
hyper-parameters).
"""

import copy
import pickle

import numpy as np
import pytest

import adamkit
from adamkit import presets, schedules

NAMESPACE = {"Adam": adamkit.Adam, "AdamW": adamkit.AdamW, "AdaMax": adamkit.AdaMax,
             "RMSProp": adamkit.RMSProp}

NATIVE = [
    lambda: adamkit.Adam(),
    lambda: adamkit.Adam(lr=3e-2, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1,
                         amsgrad=True),
    lambda: adamkit.Adam(nesterov=True, maximize=True, decoupled_weight_decay=True,
                         weight_decay=0.01, n_threads=1),
    lambda: adamkit.AdamW(),
    lambda: adamkit.AdamW(decoupled_weight_decay=False, weight_decay=0.2),
    lambda: adamkit.AdaMax(),
    lambda: adamkit.RMSProp(),
    lambda: adamkit.RMSProp(lr=1e-3, alpha=0.9, momentum=0.9, centered=True,
                            initial_accumulator=1.0, weight_decay=0.01, maximize=True),
]

CLASS_OF = {"adam": adamkit.Adam, "rmsprop": adamkit.RMSProp}


def _preset(name):
    framework, _, optimizer = name.rpartition(".")
    row = presets.get(framework, optimizer)
    return CLASS_OF[row.family](preset=name, **{k: 1e-3 for k in row.required}), row


def _arrays(dtype):
    rng = np.random.default_rng(14)
    ps = [rng.standard_normal(37).astype(dtype), rng.standard_normal((2, 3)).astype(dtype)]
    grads = [[rng.standard_normal(p.shape).astype(dtype) for p in ps] for _ in range(6)]
    return ps, grads


def _check_copy_steps_identically(make_copy, opt, dtype):
    ps, grads = _arrays(dtype)
    for g in grads[:3]:
        opt.step(ps, g)
    twin = make_copy(opt)
    assert type(twin) is type(opt) and twin is not opt
    assert repr(twin) == repr(opt) and twin.t == opt.t == 3
    qs = [p.copy() for p in ps]
    for g in grads[3:]:
        opt.step(ps, g)
        twin.step(qs, g)
    for p, q in zip(ps, qs):
        assert p.tobytes() == q.tobytes()
    a, b = opt.state_dict(), twin.state_dict()
    assert a["t"] == b["t"] == 6 and a["ops"] == b["ops"]
    for sa, sb in zip(a["state"], b["state"]):
        assert sa.keys() == sb.keys()
        assert all(sa[k].tobytes() == sb[k].tobytes() for k in sa)
    for sa, sb in zip(opt._state, twin._state):           # no buffer is shared
        assert all(not np.shares_memory(sa[k], sb[k]) for k in sa)


COPIES = {"pickle": lambda o: pickle.loads(pickle.dumps(o)), "deepcopy": copy.deepcopy}


@pytest.mark.parametrize("how", COPIES)
@pytest.mark.parametrize("make", NATIVE, ids=[f"native{i}" for i in range(len(NATIVE))])
def test_native_copies_step_identically(make, how):
    for dtype in (np.float32, np.float64):
        _check_copy_steps_identically(COPIES[how], make(), dtype)


@pytest.mark.parametrize("name", [f"{f}.{o}" for f, o in presets.available()])
def test_preset_copies_step_identically(name):
    """Every preset row (the family and its switches): pickle and deepcopy mid-run."""
    _, row = _preset(name)
    for dtype in row.dtypes:
        for how in COPIES.values():
            opt, _ = _preset(name)
            _check_copy_steps_identically(how, opt, np.dtype(dtype))


@pytest.mark.parametrize("name", [f"{f}.{o}" for f, o in presets.available()])
def test_preset_repr_round_trips(name):
    opt, _ = _preset(name)
    opt.lr = 0.25                                  # the learning rate in force is shown
    twin = eval(repr(opt), NAMESPACE)
    assert repr(twin) == repr(opt) and twin.lr == 0.25
    assert twin._kernel.ops == opt._kernel.ops and twin.get_config() == opt.get_config()
    assert type(opt)(**opt.get_config()).get_config() == opt.get_config()


@pytest.mark.parametrize("make", NATIVE, ids=[f"native{i}" for i in range(len(NATIVE))])
def test_native_repr_round_trips(make):
    opt = make()
    text = repr(opt)
    twin = eval(text, NAMESPACE)
    assert repr(twin) == text
    assert twin._kernel.ops == opt._kernel.ops and twin.hyperparameters == opt.hyperparameters
    assert "b1" not in text and "b2" not in text          # the constructor's names only


def test_repr_shows_constructor_names():
    assert repr(adamkit.Adam()) == \
        "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)"
    assert repr(adamkit.RMSProp(centered=True)) == \
        "RMSProp(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.0, momentum=0.0, " \
        "centered=True)"
    r = repr(adamkit.Adam(preset="caffe", base_lr=0.01))
    assert r.startswith("Adam(preset='caffe.adam', base_lr=0.01, momentum=0.0, ")


def halving(t):
    """A learning rate as a plain function (pickled by reference)."""
    return 0.1 * 0.5 ** (t // 2)


@pytest.mark.parametrize("lr", [schedules.caffe("step", 0.1, gamma=0.5, stepsize=10), halving],
                         ids=["schedule", "function"])
def test_pickle_keeps_the_preset_as_given_and_a_schedule(lr):
    opt = adamkit.Adam(preset="torch", lr=lr)
    twin = pickle.loads(pickle.dumps(opt))
    assert twin.preset == "torch" and twin.lr(25) == lr(25) != lr(0)
    for how in COPIES.values():
        _check_copy_steps_identically(how, adamkit.Adam(lr=lr), np.float32)


def test_unpickled_before_any_step():
    opt = adamkit.RMSProp(momentum=0.5)
    twin = pickle.loads(pickle.dumps(opt))
    assert twin.t == 0 and twin._state is None and repr(twin) == repr(opt)
