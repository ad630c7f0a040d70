"""The few array operations that NumPy and torch spell differently, as one small namespace.

The optimizer rules (rnnkit.optimizers) are written once, with the arithmetic and in-place
operators (``*=``, ``-=``, ``.sum()``, ``.clip()``) that NumPy arrays and torch tensors share.
What they do not share goes through an ``ArrayOps``: ``NUMPY`` here, and the torch engine's own
(rnnkit.engines.torch_engine.optimizers), so that engine runs the very same rule on its tensors.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class ArrayOps(Protocol):
    """What a rule may call beyond the shared operators."""

    def sqrt(self, x): ...

    def cast(self, x, like):
        """``x`` with the dtype of ``like`` (a gradient to its weight's dtype)."""

    def maximum_(self, a, b) -> None:
        """a ← max(a, b) elementwise, in place."""

    def host(self, x):
        """``x`` as a NumPy array sharing its memory, or None where it has no such view (a GPU
        tensor): what a rule's compiled loop (rnnkit.kernels.optimizers) may run on."""


class NumpyOps:
    """``ArrayOps`` for NumPy arrays."""

    @staticmethod
    def sqrt(x):
        return np.sqrt(x)

    @staticmethod
    def cast(x, like):
        return np.asarray(x, like.dtype)

    @staticmethod
    def maximum_(a, b) -> None:
        np.maximum(a, b, out=a)

    @staticmethod
    def host(x):
        return x


NUMPY = NumpyOps()
