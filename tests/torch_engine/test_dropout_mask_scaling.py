"""The torch engine's dropout masks are Keras's inverted dropout: 0 or 1/(1 − rate), mean 1.

The equality tests with the NumPy engine cover the 'numpy' mask source only; the on-device
'torch' source draws a different stream, so its scale is checked here directly.
"""

import numpy as np
import pytest

pytest.importorskip("torch")

from rnnkit import layers  # noqa: E402
from rnnkit.engines.torch_engine import dropout_masks  # noqa: E402

P = 0.3


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_masks_are_zero_or_one_over_keep_probability(kind):
    source = dropout_masks.make(kind, "cpu", seed=5)
    mask = source.draw(layers.Dropout(P, dtype="float64"), (400, 500), P).numpy()
    kept = mask != 0
    np.testing.assert_allclose(mask[kept], 1.0 / (1.0 - P), rtol=1e-12,
                               err_msg=f"{kind} masks: kept entries must be scaled by 1/(1 − {P})")
    assert abs((~kept).mean() - P) < 0.01, f"{kind} masks drop {(~kept).mean():.3f}, not ≈ {P}"
    assert mask.mean() == pytest.approx(1.0, abs=0.01), "inverted dropout keeps the mean"
