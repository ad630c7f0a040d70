"""What a cell's ``torch_step`` is handed: torch helpers in Keras's layout and gate order.

A cell writes its step once for torch (``RecurrentCell.torch_step``, beside its NumPy ``step``)
against these helpers, so that a cell file never imports torch at module level:

* ``ops.act(activation)`` — the torch function of an rnnkit activation (tanh, sigmoid, …);
* ``ops.recurrent_matmul(h, U, masks)`` — h·U (batch, k·u) for U (u, k·u); with recurrent
  dropout masks (k, batch, u) every gate block g sees its own masked copy h ⊙ m_g (Keras).
"""

from __future__ import annotations

from .activations import get as activation
from .torch_import import import_torch

torch = import_torch()


class TorchOps:
    """The helpers a ``torch_step`` uses; stateless, one shared instance (``OPS``)."""

    torch = torch

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
