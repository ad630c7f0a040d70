"""Check: BLAS is not left on one thread after Bidirectional training steps on two threads.

Fixed (``parallel.run`` now holds BLAS at one thread in the calling thread around both pieces);
kept as a check, since the cause is OpenBLAS's, not ours. What it was:

With two threads (``rnnkit.parallel``), a Bidirectional layer's directions run side by side and
each holds BLAS at one thread (``blas.single_blas_thread``, counted). After a few steps both
OpenBLAS libraries (NumPy's and SciPy's) read one thread with no pass inside, although the last
pass out restored two — and ``parallel.threads()`` then takes that as the user's limit and runs
everything on one thread from there on (why W6, W7 and D gain little in long benchmark runs).

    python benchmarks/repro_blas_threads.py          # prints ok, or the step at which it stuck

Before the fix it stuck in 5 runs of 5, at step 0 or 1: OpenBLAS (0.3.30/0.3.31, pthreads)
ignored some set_num_threads calls made from the main thread while the worker was in BLAS.
"""

import numpy as np

import rnnkit
from rnnkit import blas, parallel
from rnnkit import layers as L


def main(steps: int = 40) -> None:
    parallel.set_threads(2)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 1000, (64, 100))
    y = rng.integers(0, 2, 64).astype("float32")
    model = rnnkit.Sequential([rnnkit.Input((100,)), L.Embedding(1000, 32),
                               L.Bidirectional(L.GRU(32)), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    rnnkit.kernels.load()                    # SciPy's BLAS (numba's) is loaded from here on
    blas.refresh()
    before = blas.outside_threads()
    for step in range(steps):
        model.train_on_batch(x, y)
        now = blas.outside_threads()
        if now != before:
            parallel.set_threads(None)           # what a default run would now use
            print(f"stuck: BLAS threads {before} → {now} after step {step}; by default "
                  f"rnnkit.parallel now runs {parallel.threads()} thread(s)")
            return
    print(f"ok: BLAS threads stayed {before} over {steps} steps")


if __name__ == "__main__":
    main()
