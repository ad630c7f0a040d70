"""Compile a run's kernels in a helper process while the run loads its data.

The first ``rnnkit train`` on a machine compiles the numba loops its model uses (the main job:
the GRU's training forward, backward and inference loops and the embedding scatter-add, several
seconds of CPU) and numba keeps them in its on-disk cache (``__pycache__`` next to the kernels, or
numba's user-wide cache when that folder is not writable, or ``NUMBA_CACHE_DIR``). A thread cannot
hide that work: numba compiles mostly in Python, under the GIL, and loading the data is Python too.
A second process can — on another core — so ``start`` launches one that builds the recipe's model
and runs it once on a dummy batch (a training step, an evaluation step, a prediction): exactly the
compiled calls the run will make, with the same types, so the same specializations are compiled
and saved. ``Warmup.wait`` then blocks until the helper is done, and the run's own first calls load
the machine code from the cache instead of compiling it (the same code: results are bit-identical).

``wait`` waits only for a helper that has started compiling (numba's cache missed), which is
ahead of where the run would be compiling the same; a helper that has not (a warm cache, or data
that loaded first) is stopped and the run goes on as it would have without one. None is started
where it cannot help: numba switched off or absent. It is opt-in: ``RNNKIT_WARMUP=1`` starts it,
``RNNKIT_WARMUP=auto`` starts it where a CPU is idle (the load average leaves one free), unset or
``0`` never. Measured on a quiet 2-core machine (docs/benchmarks.md), the main job's cold run gained
about 1 s (27.3 → 26.3 s, epoch 1 12.0 → 7.1 s) and its warm run lost 2.2 s (20.3 → 22.5 s, the
helper's start-up competing with the data load): a loss for everyone who trains twice. If it
fails, hangs or the cache is not writable, nothing changes but the time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import AVAILABLE

#: How long ``Warmup.wait`` waits for the helper before leaving the compiling to the run.
TIMEOUT_S = 300.0


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _idle_cpu() -> bool:
    """Whether a CPU is free for the helper: the load average leaves one of ours idle. On a
    machine without one, the helper only takes CPU from loading the data (measured:
    docs/benchmarks.md); where the load average is unknown (Windows), assume one is free."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return _cpus() > 1
    return _cpus() > 1 and load <= _cpus() - 1


def wanted() -> bool:
    """Whether a helper process can save the run time: compiled loops on (without importing numba
    to find out), and only when asked: ``RNNKIT_WARMUP=1`` always (where the compiled loops are
    on), ``RNNKIT_WARMUP=auto`` with an idle CPU to compile on; unset or ``0`` never."""
    from . import _enabled
    if not (AVAILABLE and _enabled):
        return False
    setting = os.environ.get("RNNKIT_WARMUP", "").strip().lower()
    return setting == "1" or (setting == "auto" and _idle_cpu())


class Warmup:
    """The helper process: ``wait`` for it (before the first compiled call) or ``cancel`` it."""

    def __init__(self, process: subprocess.Popen, marker: Path):
        self.process, self.marker = process, marker

    def compiling(self) -> bool:
        """Whether the helper has started compiling (it found a kernel missing from the cache)."""
        return self.marker.exists()

    def wait(self, timeout: float = TIMEOUT_S) -> bool:
        """Wait for a helper that is compiling, stop one that is not; True if it compiled every
        kernel the run needs. A helper still running after ``timeout`` seconds is stopped."""
        try:
            if self.process.poll() is None and not self.compiling():
                return False
            return self.process.wait(timeout) == 0
        except subprocess.TimeoutExpired:
            return False
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the helper (numba writes each cache file whole, under a temporary name first,
        so a helper stopped mid-way leaves no broken entry)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.marker.unlink(missing_ok=True)


def start(config: dict) -> Warmup | None:
    """Start compiling ``config``'s kernels in a helper process; None where it would not help."""
    if not wanted():
        return None
    package_parent = str(Path(__file__).resolve().parents[2])   # the rnnkit this process runs
    fd, name = tempfile.mkstemp(prefix="rnnkit-warmup-")
    os.close(fd)
    marker = Path(name)
    marker.unlink()                    # the helper creates it when it starts compiling
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from rnnkit.kernels.warmup import main; main(sys.argv[2])")
    try:
        text = json.dumps(config).encode()
        process = subprocess.Popen([sys.executable, "-c", code, package_parent, name],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
    except (OSError, TypeError, ValueError):
        return None
    warm = Warmup(process, marker)
    try:
        process.stdin.write(text)
        process.stdin.close()
    except OSError:                    # the helper ended at once (it reports nothing)
        warm.cancel()
        return None
    return warm


def exercise(config: dict) -> None:
    """Build ``config``'s model and run each kind of pass once on a dummy batch of two: what a run
    compiles, with the same types (the shapes do not matter to numba). The model is the helper's
    own, built and seeded like the run's."""
    from ..workflow.build import build_model
    from ..workflow.data import input_shape

    shape = input_shape(config["data"])
    model = build_model(config, shape, None)
    dummy = np.zeros((2, *shape[1:]), np.float32 if len(shape) == 3 else np.int64)
    labels = np.zeros(2, np.int64)
    model.train_on_batch(dummy, labels)
    model.test_on_batch(dummy, labels)
    model.predict(dummy, verbose=0)


def main(marker: str) -> None:
    """The helper process: the config as JSON on stdin; ``marker`` is created at the first
    compilation (a kernel not in the cache)."""
    from numba.core import event

    class Compiling(event.Listener):
        def on_start(self, ev):
            Path(marker).touch()

        def on_end(self, ev):
            pass

    event.register("numba:compile", Compiling())
    exercise(json.loads(sys.stdin.read()))
