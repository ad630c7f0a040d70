"""The PyTorch engine: the same model description executed with torch modules and autograd.

Importing this package imports torch (an optional extra: ``pip install 'rnnkit[torch]'``);
``import rnnkit`` never does.
"""

from .torch_import import INSTALL_HINT, import_torch

import_torch()

from .network import TorchNetwork, build_module  # noqa: E402
from .recurrent import CudnnOffNotice, TorchRecurrent  # noqa: E402

__all__ = ["INSTALL_HINT", "CudnnOffNotice", "TorchNetwork", "TorchRecurrent", "build_module",
           "import_torch"]
