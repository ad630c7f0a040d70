"""Where dropout masks come from: the layer's NumPy generator, or a torch generator.

Keras's semantics are fixed (one mask per call, kept with probability 1 − rate and scaled by
1/(1 − rate)); only the random stream differs:

* ``NumpyMasks`` draws from the description layer's own ``numpy.random.Generator``, in the same
  order and shapes as the NumPy engine — so both engines, from the same seed, train on identical
  masks (what the equality tests rely on, and what makes runs portable between engines);
* ``TorchMasks`` draws on the device from one seeded ``torch.Generator``: no host→device copy,
  the faster choice for large ``Dropout`` layers on a GPU.
"""

from __future__ import annotations

import base64

import numpy as np

from .torch_import import import_torch

torch = import_torch()


class NumpyMasks:
    """Masks from ``layer.rng`` exactly as the NumPy engine draws them, copied to ``device``."""

    name = "numpy"

    def __init__(self, device="cpu"):
        self.device = torch.device(device)
        #: in data-parallel training: the Shard whose rows of the global mask this process keeps
        self.shard = None

    def draw(self, layer, shape: tuple[int, ...], rate: float, batch_axis: int = 0):
        """Scaled keep-mask of ``shape``: (rng.random(shape) ≥ rate) / (1 − rate), layer dtype.

        Under a Shard the mask of the *global* batch is drawn and this rank's rows kept, so N
        processes apply exactly the masks one process would.
        """
        rows = None
        if self.shard is not None and shape[batch_axis] != 1:
            start, stop = self.shard.bounds(self.shard.n_global)
            shape = shape[:batch_axis] + (self.shard.n_global,) + shape[batch_axis + 1:]
            rows = slice(start, stop) if stop > start else slice(0, 1)
        keep = (layer.rng.random(shape) >= rate).astype(layer.dtype) / (1.0 - rate)
        if rows is not None:
            keep = keep[(slice(None),) * batch_axis + (rows,)]
        return torch.from_numpy(np.ascontiguousarray(keep)).to(self.device, non_blocking=True)

    def random_state(self) -> dict:
        return {}               # the layers' generators: saved with the model's

    def set_random_state(self, state: dict) -> None:
        pass


class TorchMasks:
    """Masks from one ``torch.Generator`` on ``device``, seeded for reproducibility."""

    name = "torch"

    def __init__(self, device="cpu", seed: int = 0):
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(int(seed))
        self.shard = None           # each process draws its own rows' masks from its own stream

    def random_state(self) -> dict:
        """This process's generator state, as text (a data-parallel run saves rank 0's)."""
        return {"torch_masks": base64.b64encode(self.generator.get_state().numpy()).decode()}

    def set_random_state(self, state: dict) -> None:
        raw = np.frombuffer(base64.b64decode(state["torch_masks"]), np.uint8).copy()
        self.generator.set_state(torch.from_numpy(raw))

    def draw(self, layer, shape: tuple[int, ...], rate: float, batch_axis: int = 0):
        dtype = getattr(torch, layer.dtype)
        u = torch.rand(shape, generator=self.generator, device=self.device, dtype=dtype)
        return (u >= rate).to(dtype) / (1.0 - rate)


def make(kind: str, device="cpu", seed: int | None = None):
    """A mask source by name: 'numpy' (engine-equal) or 'torch' (on-device)."""
    if kind == "numpy":
        return NumpyMasks(device)
    if kind == "torch":
        return TorchMasks(device, 0 if seed is None else seed)
    raise ValueError(f"dropout_masks must be 'numpy' or 'torch', got {kind!r}")

