"""Fork safety (issue 13, finding 1): after a step on two OpenMP threads, a child made by
``os.fork()`` or by ``multiprocessing`` (fork, forkserver, spawn) steps without hanging
and computes the same bits.

GNU libgomp's team of worker threads does not survive ``fork()``: on the thread that
forked, the child's next parallel region used to wait forever. Each scenario runs in a
fresh interpreter with ``OMP_NUM_THREADS=2`` (so that the parent really starts a team),
and every wait has a timeout, so a regression fails instead of hanging the test run.
"""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

_PRELUDE = textwrap.dedent("""
    import os, sys, threading, time
    import numpy as np
    import adamkit
    from adamkit import _kernels

    N = 2_000_000                      # 8 MB per float32 stream: well above the serial cut

    def run(n_threads=2):
        p = np.linspace(-1, 1, N, dtype=np.float32)
        g = np.cos(p) + np.float32(0.5)
        opt = adamkit.Adam(lr=1e-2, n_threads=n_threads)
        for _ in range(2):
            opt.step(p, g)
        return p.tobytes()

    WANT = run(1)
    assert run(2) == WANT              # the parent's team of 2 threads is started here

    def wait(pid, seconds):
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.02)
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        return "hung"
""")


def _script(tmp_path, body, timeout=120):
    """Run PRELUDE + body as a script file (spawn and forkserver import its functions)."""
    path = tmp_path / "scenario.py"
    path.write_text(_PRELUDE + textwrap.dedent(body))
    env = dict(os.environ, OMP_NUM_THREADS="2")
    # its own process group: on a timeout the scenario and every child it made (a hung
    # worker) are killed, not left behind
    proc = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"the scenario hung (killed after {timeout} s):\n{err[-3000:]}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # what the scenario left behind
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, out[-2000:] + err[-3000:]
    return out


def test_os_fork_child_steps_on_the_forking_thread(tmp_path, hostile):
    out = _script(tmp_path, """
        pid = os.fork()
        if pid == 0:                     # the child: the thread that forked
            ok = run(2) == WANT and run(None) == WANT and _kernels.fork_serial()
            os._exit(0 if ok else 3)
        code = wait(pid, 30)
        assert code == 0, f"child: {code}"
        assert not _kernels.fork_serial()          # the parent keeps its threads
        print("ok")
    """)
    assert out.strip() == "ok"
    hostile(1, "hostile fork: os.fork child after a 2-thread step: 1 child, same bits, no hang")


def test_os_fork_child_other_threads_keep_their_threads(tmp_path):
    # a thread started in the child has no team yet: libgomp gives it a fresh one
    out = _script(tmp_path, """
        pid = os.fork()
        if pid == 0:
            res = {}
            def work():
                res["same"] = run(2) == WANT
                res["serial"] = _kernels.fork_serial()
            t = threading.Thread(target=work); t.start(); t.join(20)
            ok = not t.is_alive() and res == {"serial": False, "same": True}
            os._exit(0 if ok else 3)
        assert wait(pid, 30) == 0
        print("ok")
    """)
    assert out.strip() == "ok"


def test_fork_of_a_fork_and_fork_from_a_thread(tmp_path):
    out = _script(tmp_path, """
        def child_of_thread():
            pid = os.fork()
            if pid == 0:
                # the forking thread is not the parent's main thread here
                os._exit(0 if run(2) == WANT and _kernels.fork_serial() else 3)
            res.append(wait(pid, 30))
        res = []
        t = threading.Thread(target=child_of_thread); t.start(); t.join(40)
        assert res == [0], res
        pid = os.fork()
        if pid == 0:
            ok = run(2) == WANT
            pid2 = os.fork()             # a grandchild
            if pid2 == 0:
                os._exit(0 if run(2) == WANT else 3)
            os._exit(0 if ok and wait(pid2, 30) == 0 else 4)
        assert wait(pid, 60) == 0
        print("ok")
    """)
    assert out.strip() == "ok"


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_multiprocessing_start_methods(method, tmp_path, hostile):
    out = _script(tmp_path, f"""
        import multiprocessing as mp

        def job(q):
            q.put(run(2) == WANT)

        if __name__ == "__main__":
            ctx = mp.get_context({method!r})
            q = ctx.Queue()
            procs = [ctx.Process(target=job, args=(q,)) for _ in range(2)]
            for p in procs:
                p.start()
            results = []
            for p in procs:
                p.join(60)
            hung = [p for p in procs if p.is_alive()]
            for p in hung:
                p.kill()
            assert not hung, "a {method} worker hung"
            while len(results) < 2:
                results.append(q.get(timeout=10))
            assert results == [True, True], results
            assert all(p.exitcode == 0 for p in procs)
            print("ok")
    """)
    assert out.strip() == "ok"
    hostile(2, f"hostile fork: multiprocessing {method}: 2 workers after a 2-thread step, "
               "same bits")
