"""Starting N local processes of one data-parallel run, as torchrun does (no torch needed here).

``launch`` gives every process the variables torch.distributed reads (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``, a loopback ``MASTER_ADDR`` and a free ``MASTER_PORT``) and one compute thread each
(``process_threads``). It imports nothing heavy, so ``rnnkit train --nproc N`` starts its processes
without first paying for PyTorch's import in the launching one.

When one process fails, the others would wait for it at their next collective (gloo's timeout is
30 minutes): as torchrun's agent does, ``launch`` then stops the rest — after ``grace`` seconds,
time for them to fail on their own and say why (a mistake in the recipe stops every rank at the
same check) or to finish writing what they were writing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

#: seconds the other processes get, after one has failed, before they are stopped
GRACE_S = 10.0
#: seconds the processes get to end their run after Ctrl-C
INTERRUPTED_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_threads() -> dict[str, str]:
    """The compute threads of each CPU process: one, as torchrun gives its processes.

    PyTorch otherwise starts one OpenMP thread per core in every process. On a recurrent
    model's small per-step products those threads mostly spin: on 2 cores, one process of the
    main job took 159 s per epoch with PyTorch's default 2 threads and 8.2 s with 1, and N
    processes ran N× the threads the cores hold (docs/benchmarks.md). A limit the user set
    (``OMP_NUM_THREADS``) is kept.
    """
    if "OMP_NUM_THREADS" in os.environ:
        return {}
    return {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def launch(argv: list[str], nproc: int, timeout: float | None = None,
           grace: float = GRACE_S) -> list[int]:
    """Run ``python argv…`` in ``nproc`` processes on this machine; every process's exit code.

    A process that fails (non-zero exit) stops the others after ``grace`` seconds (their codes are
    then negative: the signal). ``timeout`` bounds the whole run the same way.
    """
    if nproc < 1:
        raise ValueError(f"nproc must be a positive integer, got {nproc!r}")
    base = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()),
            "WORLD_SIZE": str(nproc), **process_threads()}
    procs = [subprocess.Popen([sys.executable, *argv],
                              env={**base, "RANK": str(r), "LOCAL_RANK": str(r)})
             for r in range(nproc)]
    try:
        return _wait(procs, timeout, grace)
    except KeyboardInterrupt:
        # Ctrl-C reached the whole process group: the processes are ending their run (an
        # interrupted fit saves what it has and says how to resume), so wait for them.
        return _wait(procs, INTERRUPTED_S, grace)
    finally:
        _stop(procs)


def _wait(procs: list[subprocess.Popen], timeout: float | None, grace: float) -> list[int]:
    limits = [] if timeout is None else [time.monotonic() + timeout]
    failed = False
    while True:
        codes = [p.poll() for p in procs]
        if None not in codes:
            return codes
        if not failed and any(codes):              # a non-zero code (None and 0 are falsy)
            failed = True
            limits.append(time.monotonic() + grace)
        if limits and time.monotonic() > min(limits):
            _stop(procs)
            return [p.wait() for p in procs]
        time.sleep(0.05)


def _stop(procs: list[subprocess.Popen]) -> None:
    """Terminate what still runs; kill what does not end within 5 s of that."""
    running = [p for p in procs if p.poll() is None]
    for p in running:
        p.terminate()
    for p in running:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


__all__ = ["GRACE_S", "free_port", "launch", "process_threads"]
