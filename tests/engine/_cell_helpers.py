"""What the cell tests share: a layer with random weights, random inputs, a padding mask."""

import numpy as np

B, T, F, U = 3, 5, 4, 3


def randomized(layer, seed=0, scale=0.6):
    """``layer`` built for (batch, T, F) inputs, every weight uniform in ±scale (never constant:
    constant weights cannot tell one gate block from another)."""
    layer.ensure_built((None, T, F))
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-scale, scale, w.shape).astype(w.dtype)
                       for w in layer.params()])
    return layer


def inputs(dtype="float64", seed=0):
    return np.random.default_rng(seed).standard_normal((B, T, F)).astype(dtype)


def padding():
    """Row 0 pre-padded by two steps, row 2 post-padded by one."""
    mask = np.ones((B, T), bool)
    mask[0, :2] = False
    mask[2, -1] = False
    return mask
