"""SpatialDropout1D: dropout that drops whole channels of a sequence, one draw per sample.

In training, with rate p, one keep/drop draw k_bc per (sample, channel) serves every step:

    y_btc = x_btc · k_bc / (1 − p)          dL/dx_btc = dL/dy_btc · k_bc / (1 − p)

which is ``Dropout`` with Keras's noise shape (batch, 1, channels); the masks are drawn and
scaled exactly as Dropout's (layers/core.py), so both engines share them.
"""

from __future__ import annotations

from .core import Dropout


class SpatialDropout1D(Dropout):
    """``SpatialDropout1D(rate, seed=None)`` on (batch, time, channels); the mask passes on."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(rate, noise_shape=(None, 1, None), seed=seed, **kwargs)

    def forward_train(self, x, training=True, mask=None):
        return super().forward_train(self._float_input(x, rank=3), training, mask)

    def get_config(self):
        # Keras's SpatialDropout1D takes exactly these (its __init__ has no **kwargs)
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype,
                "trainable": self.trainable}
