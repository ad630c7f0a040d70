"""Concatenate, Add, Average and Multiply as one torch module: the description layer's own
merge and mask rules (layers/merging.py) run on tensors; autograd gives the backward."""

from __future__ import annotations

from ...layers.merging import ArrayOps
from .parameters import KerasParameters
from .torch_import import import_torch

torch = import_torch()
nn = torch.nn

TORCH = ArrayOps(cat=lambda parts, axis: torch.cat(parts, dim=axis), where=torch.where,
                 full=lambda shape, like: torch.ones(shape, dtype=torch.bool,
                                                     device=like.device))


class TorchMerge(KerasParameters, nn.Module):
    """``forward(xs, masks)``: a list of tensors (and of masks, each None or boolean) → one."""

    def __init__(self, layer, masks=None, share: bool = True):
        super().__init__()
        self.layer = layer
        self.adopt(layer, share)

    def forward(self, xs, mask=None):
        dtype = getattr(torch, self.layer.dtype)
        return self.layer.merge([x.to(dtype) for x in xs], mask, TORCH)

    def compute_mask(self, xs, masks):
        return self.layer.output_mask(xs, masks, TORCH)
