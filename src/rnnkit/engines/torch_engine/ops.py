"""The torch spellings rnnkit's engine-agnostic code asks for: one namespace, ``OPS``.

Code written once for both engines is handed a namespace of the few operations NumPy and torch
name differently:

* a cell's ``torch_step`` (its step beside the NumPy one, layers/cells.py) uses
  ``ops.act(activation)`` — the torch function of an rnnkit activation — and
  ``ops.recurrent_matmul(h, U, masks)`` — h·U (batch, k·u) for U (u, k·u); with recurrent dropout
  masks (k, batch, u) every gate block g sees its own masked copy h ⊙ m_g (Keras);
* the optimizers' update rules (``Optimizer.step``, rnnkit.optimizers) use ``sqrt``, ``cast``,
  ``maximum_`` and ``host``: the ``rnnkit.array_ops.ArrayOps`` protocol, which ``NumpyOps``
  serves for NumPy. ``host`` lets a rule's compiled loop run on CPU tensors, whose memory NumPy
  can view.
"""

from __future__ import annotations

from .activations import get as activation
from .torch_import import import_torch

torch = import_torch()


class TorchOps:
    """Stateless; one shared instance, ``OPS``."""

    torch = torch
    sqrt = staticmethod(torch.sqrt)

    @staticmethod
    def cast(x, like):
        return x.to(like.dtype)

    @staticmethod
    def maximum_(a, b) -> None:
        torch.maximum(a, b, out=a)            # a ← max(a, b) in place (AMSGrad's v̂)

    @staticmethod
    def host(x):
        """A CPU tensor's memory as a NumPy array (writes reach the tensor); None on a GPU."""
        return x.detach().numpy() if x.device.type == "cpu" else None

    @staticmethod
    def act(fn):
        """The torch function for an rnnkit activation (object with ``.name``, or its name)."""
        return activation(getattr(fn, "name", fn))

    @staticmethod
    def recurrent_matmul(h, U, masks=None):
        if masks is None:
            return h @ U
        k, u = masks.shape[0], h.shape[-1]
        h_in = h.unsqueeze(0) * masks                                   # (k, batch, u)
        blocks = torch.einsum("kbi,iko->bko", h_in, U.view(u, k, -1))   # (batch, k, u_out)
        return blocks.reshape(h.shape[0], -1)


OPS = TorchOps()
