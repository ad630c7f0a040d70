"""Compiled time loops (numba) for the common recurrent configurations — an optional accelerator.

The step-by-step NumPy code in ``layers/cells.py`` and ``layers/recurrent.py`` is the reference:
it is what the textbook derivation maps onto, and it handles every option. The kernels here
compute the same equations with the time *and* batch loops compiled, which removes the per-step
interpreter overhead that dominates small recurrent layers. They are used only when numba is
installed and imports (``pip install rnnkit`` brings it where numba has wheels; ``rnnkit[fast]``
asks for it explicitly), the layer uses the default activations (tanh and sigmoid), and there is
no recurrent dropout and no truncation of sequence outputs; tests check they equal the reference.

Which loop runs is decided once, at the first recurrent step, and ``backend()`` says which:

* numba or SciPy not installed: the reference loop, quietly (a supported install);
* ``RNNKIT_NUMBA=0``: the reference loop (``set_enabled`` switches at run time);
* numba installed but failing to import (say, built for another NumPy): the reference loop, with
  one ``RuntimeWarning`` that gives the import error — never silently;
* otherwise the compiled loops.

Nothing here imports numba at ``import rnnkit``; only the first compiled call does (``load``).

Layout: kernels work time-major — xw (T, B, k·u), mask (T, B) — so each step reads contiguous
memory. The training loops (``forward``) return the per-step values the backward pass needs and
leave the weight gradient dU = Σ_t h_tᵀ · d(h·U)_t to one matrix product over all steps
(``recurrent_kernel_grad``); the inference loops (``infer``) keep only the running states.
Every kernel is a pure function of its arguments (``nogil``), so passes may run in parallel
threads.

Beside the time loops: the embedding's backward scatter-add (``embedding.py``) and Adam's and
RMSprop's update in one pass over each weight (``optimizers.py``, used by rnnkit.optimizers where
it applies, bit for bit the rule's floats). The same switch turns all of them on and off.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import warnings

import numpy as np

_MODULES = ("numba", "scipy")      # numba's np.dot calls into SciPy's BLAS


def _installed(name: str) -> bool:
    """Whether ``name`` can be found, without importing it (so ``import rnnkit`` stays quick).
    A finder that refuses the name (ModuleNotFoundError) counts as not installed."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


#: numba and SciPy are installed (found, not yet imported: see ``load`` for whether they import).
AVAILABLE = all(_installed(m) for m in _MODULES)

_enabled = AVAILABLE and os.environ.get("RNNKIT_NUMBA", "1") != "0"
_loaded = False
_load_error: BaseException | None = None     # why numba, though installed, did not import
_load_lock = threading.Lock()                 # the first passes may start in several threads


def load() -> None:
    """Import the compiled modules (and with them numba and SciPy's BLAS); raises what the import
    raised. numba's np.dot runs on SciPy's BLAS, which the thread limiter must see too."""
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        import scipy.linalg.cython_blas  # noqa: F401

        from .. import blas
        from . import embedding, gru, lstm, simple_rnn  # noqa: F401
        blas.refresh()
        _loaded = True


def _try_load() -> bool:
    """``load``, or on failure one RuntimeWarning with the cause and the reference loop from then
    on. Only reached when numba and SciPy are installed, so a failure here is a broken install,
    not an absent one."""
    global _enabled, _load_error
    try:
        load()
        return True
    except Exception as e:  # ImportError mostly; numba raises others on a mismatched NumPy
        _enabled, _load_error = False, e
        warnings.warn(f"rnnkit: numba and SciPy are installed but the compiled loops do not "
                      f"import ({type(e).__name__}: {e}); the NumPy engine runs its plain NumPy "
                      f"loop instead (slower, same results). Reinstall numba/SciPy to match "
                      f"NumPy, or set RNNKIT_NUMBA=0 to silence this.", RuntimeWarning,
                      stacklevel=3)
        return False


def enabled() -> bool:
    """Whether layers use the compiled kernels: numba installed, importable and not switched off.
    The first call that would say yes imports numba."""
    if _enabled and not _loaded:
        _try_load()
    return _enabled


def backend() -> str:
    """The loop the NumPy engine's recurrent layers run: ``"numba"`` or ``"numpy"`` (reference)."""
    return "numba" if enabled() else "numpy"


def set_enabled(flag: bool) -> None:
    """Switch the compiled kernels on or off (``RNNKIT_NUMBA=0`` does the same at start-up)."""
    global _enabled
    if flag:
        if not AVAILABLE:
            raise RuntimeError("compiled kernels need numba and scipy: pip install 'rnnkit[fast]'")
        try:
            load()
        except Exception as e:
            raise RuntimeError(f"compiled kernels: numba and SciPy are installed but do not "
                               f"import ({type(e).__name__}: {e})") from e
    _enabled = bool(flag)


def recurrent_kernel_grad(h_in: np.ndarray, d_rec: np.ndarray) -> np.ndarray:
    """dU = Σ_t h_tᵀ · d_rec_t as one product: h_in (T, B, u), d_rec (T, B, k·u) → (u, k·u)."""
    return h_in.reshape(-1, h_in.shape[-1]).T @ d_rec.reshape(-1, d_rec.shape[-1])
