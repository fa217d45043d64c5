"""Races, signals and limits of a step (issue 13, findings 4, 6, 9, 10, 11).

* Finding 4: ``load_state_dict``, ``t``, ``lr`` and ``n_threads`` racing ``step`` from
  another thread, or called from inside a step (a learning-rate schedule): every mutation
  takes the optimizer's guard, so each call either happens whole or raises RuntimeError
  (naming another thread, or re-entrancy), and the state always matches ``t``.
* Finding 6: Ctrl-C (a signal handler raising KeyboardInterrupt) at any moment of a step
  over many new arrays: every array and ``t`` are updated, or none.
* Finding 9: binding k = 10^5 arrays that share one gradient, or that have distinct
  learning-rate multipliers, is linear in k (run with a generous timeout: a quadratic
  check takes minutes, so the test fails instead of hanging).
* Finding 10: ``t`` stops at 2**53 on the checked and the bound path alike, before
  anything is written, and the state saved there loads back.
"""

import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import adamkit


def _sd_equal(a, b):
    if a["t"] != b["t"]:
        return False
    return all({k: v.tobytes() for k, v in x.items()} == {k: v.tobytes() for k, v in y.items()}
               for x, y in zip(a["state"], b["state"]))


# ---------------------------------------------------------------------------------------
# finding 4
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("preset", [None, "pytorch"])
def test_load_state_dict_racing_step_keeps_state_and_t_together(preset, hostile):
    """Thread A steps (long steps: 2 * 10^5 elements, one thread), thread B loads a saved
    state over and over, thread C sets lr, t and n_threads. Afterwards the state must be
    the saved one followed by exactly t - t0 steps, bit for bit."""
    n = 200_000
    g = np.cos(np.arange(n, dtype=np.float64))
    opt = adamkit.Adam(lr=1e-2, preset=preset, n_threads=1)
    p = np.ones(n)
    opt.step(p, g)
    saved, p_saved = opt.state_dict(), p.copy()
    counts = {"step": 0, "load": 0, "set": 0, "refused": 0}
    stop = time.monotonic() + 1.5
    errors = []

    def guarded(kind, fn):
        try:
            fn()
            counts[kind] += 1
        except RuntimeError as e:
            if "another thread" not in str(e):
                errors.append(str(e))
            counts["refused"] += 1

    def stepper():
        while time.monotonic() < stop:
            guarded("step", lambda: opt.step(p, g))
            time.sleep(0.0002)                     # let the others in between steps too

    def loader():
        while time.monotonic() < stop:
            def load():
                opt.load_state_dict(saved)
                p[:] = p_saved                  # (the parameters are the caller's)
            guarded("load", load)

    def setter():
        while time.monotonic() < stop:
            guarded("set", lambda: setattr(opt, "lr", 1e-2))
            guarded("set", lambda: setattr(opt, "n_threads", 1))
            time.sleep(0.0005)

    threads = [threading.Thread(target=f) for f in (stepper, loader, setter)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    assert not any(t.is_alive() for t in threads)
    # the result: the saved state followed by t - 1 steps (p was reset with each load, but a
    # load racing the reset can leave p from before it: check the optimizer's state only)
    final = opt.state_dict()
    ref = adamkit.Adam(lr=1e-2, preset=preset, n_threads=1)
    q = np.ones(n)
    ref.step(q, g)
    j = final["t"] - saved["t"]
    assert j >= 0
    # the moments do not depend on p (no weight decay): replay j steps from the saved state
    for _ in range(j):
        ref.step(q, g)
    assert _sd_equal(final, ref.state_dict()), f"state does not match t={final['t']}"
    n = sum(counts.values())
    hostile(n, f"hostile races: {n} racing calls {counts} ({preset or 'adamkit'})")


def test_reentrant_mutations_are_named_and_write_nothing():
    p, g = np.zeros(10), np.ones(10)
    opt = adamkit.Adam()
    opt.step(p, g)
    sd = opt.state_dict()
    calls = {"load_state_dict()": lambda: opt.load_state_dict(sd),
             "setting t": lambda: setattr(opt, "t", 0),
             "setting lr": lambda: setattr(opt, "lr", 0.1),
             "setting n_threads": lambda: setattr(opt, "n_threads", 1),
             "step()": lambda: opt.step(p, g)}
    for what, call in calls.items():
        def schedule(t, call=call):
            call()
            return 1e-3
        opt.lr = schedule
        before, t0 = p.copy(), opt.t
        with pytest.raises(RuntimeError, match="re-entrant") as info:
            opt.step(p, g)
        assert what in str(info.value) and "another thread" not in str(info.value)
        assert np.array_equal(p, before) and opt.t == t0
    opt.lr = 1e-3
    opt.step(p, g)                                 # the guard was released
    assert opt.t == 2


# ---------------------------------------------------------------------------------------
# finding 6
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("preset", [None, "caffe"])
def test_ctrl_c_during_a_checked_step_is_all_or_nothing(preset, hostile):
    """SIGALRM (its handler raises KeyboardInterrupt, as Ctrl-C's does) at 24 moments of a
    first step over 5,000 new arrays: every array and t are updated, or none; a retry
    then updates each exactly once. (Caffe's rule computes its scalars in Python.)"""
    k = 5_000
    kw = {"base_lr": 1e-2} if preset == "caffe" else {"lr": 1e-2}
    rng = np.random.default_rng(6)
    ps0 = [rng.standard_normal(3) for _ in range(k)]
    gs = [rng.standard_normal(3) for _ in range(k)]
    ref = adamkit.Adam(preset=preset, **kw)
    want = [p.copy() for p in ps0]
    t0 = time.perf_counter()
    ref.step(want, gs)
    duration = time.perf_counter() - t0
    old = signal.signal(signal.SIGALRM, _interrupt)
    outcomes = {"interrupted, nothing written": 0, "completed": 0}
    try:
        for i in range(24):
            opt = adamkit.Adam(preset=preset, **kw)
            ps = [p.copy() for p in ps0]
            signal.setitimer(signal.ITIMER_REAL, max(1e-5, 2 * duration * (i + 0.5) / 24))
            try:
                opt.step(ps, gs)
                signal.setitimer(signal.ITIMER_REAL, 0)
            except KeyboardInterrupt:
                pass
            signal.setitimer(signal.ITIMER_REAL, 0)
            changed = sum(not np.array_equal(p, q) for p, q in zip(ps, ps0))
            if opt.t == 0:
                assert changed == 0, f"{changed} of {k} arrays updated with t == 0"
                outcomes["interrupted, nothing written"] += 1
                opt.step(ps, gs)                   # the retry
            else:
                outcomes["completed"] += 1
            assert opt.t == 1
            assert all(np.array_equal(p, q) for p, q in zip(ps, want)), "not updated once"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    hostile(24, f"hostile signals: 24 interrupts of a {k}-array step ({preset or 'adamkit'}): "
           f"{outcomes}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# ---------------------------------------------------------------------------------------
# finding 9
# ---------------------------------------------------------------------------------------

def test_binding_is_linear_in_the_number_of_arrays(hostile):
    code = textwrap.dedent("""
        import time, numpy as np, adamkit
        k = 100_000
        ps = [np.zeros(2) for _ in range(k)]
        g = np.ones(2)
        t0 = time.perf_counter()
        adamkit.Adam(n_threads=1).step(ps, [g] * k)             # one shared gradient
        t1 = time.perf_counter()
        adamkit.Adam(n_threads=1).step(ps, [np.ones(2) for _ in range(k)],
                                        lr_mult=[1 + i * 1e-9 for i in range(k)])
        t2 = time.perf_counter()
        print(f"{t1 - t0:.2f} {t2 - t1:.2f}")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    shared, mults = r.stdout.split()
    hostile(2, f"hostile limits: bind 10^5 arrays sharing a gradient {shared} s, with distinct "
           f"lr_mult {mults} s (a hang detector, not a speed goal)")


# ---------------------------------------------------------------------------------------
# finding 10
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("preset", [None, "pytorch"])
def test_t_stops_at_2_53_on_both_paths(preset, tmp_path):
    T = 2**53
    p, g = np.ones(5), np.full(5, 0.5)
    opt = adamkit.Adam(preset=preset)
    opt.step(p, g)
    opt.t = T - 1
    opt.step(p, g)                                  # bound path: t reaches 2**53
    assert opt.t == T
    path = tmp_path / "s.npz"
    opt.save_state(path)
    before = p.copy()
    with pytest.raises(ValueError, match="2\\*\\*53"):
        opt.step(p, g)                              # bound path
    q = np.ones(5)
    with pytest.raises(ValueError, match="2\\*\\*53"):
        opt.step(q, g)                              # checked path (new arrays)
    assert np.array_equal(p, before) and not (q != 1).any() and opt.t == T
    other = adamkit.Adam(preset=preset)
    other.load_state(path)                          # what was saved at 2**53 loads
    assert other.t == T
    with pytest.raises(ValueError):
        other.load_state_dict({**other.state_dict(), "t": T + 1})
    with pytest.raises(ValueError):
        other.t = T + 1
