"""The one place the torch engine imports PyTorch, so that ``import rnnkit`` never does."""

from __future__ import annotations

INSTALL_HINT = "pip install 'rnnkit[torch]'"


def import_torch():
    """The ``torch`` module, or a one-line ImportError saying how to install it."""
    try:
        import torch
    except ImportError as err:  # torch is an optional extra
        raise ImportError(f"the torch engine needs PyTorch, which is not installed; "
                          f"install it with: {INSTALL_HINT}") from err
    return torch
