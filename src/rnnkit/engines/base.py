"""The contract between the training loop and an engine.

An engine provides ``forward(x, training)`` and ``train_step(x, y, sample_weight=None)``;
evaluation and prediction are the same on every engine: a forward pass in inference mode, then
the model's loss (its value weighted by ``sample_weight`` as in ``losses.Loss.value``).
"""

from __future__ import annotations

import numpy as np


class Engine:
    """Base of every engine: the eval and predict steps, written once."""

    name = "?"

    def __init__(self, model):
        self.model = model

    def forward(self, x, training: bool) -> np.ndarray:
        raise NotImplementedError

    def train_step(self, x: np.ndarray, y: np.ndarray,
                   sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def prepare_training(self) -> None:
        """Get ready for the first training step; ``fit`` calls it before the first epoch.

        An engine that builds anything before it can step (the torch engine: its network, and
        in a distributed run the process group's DDP wrapper, where every rank waits for the
        slowest to arrive) does it here, so that start-up is not counted as epoch 1's time."""

    # ---- state a training backup saves besides the model's (BackupAndRestore) -----------------
    def random_state(self) -> dict:
        """The engine's own random generators, as JSON values (none: the layers' are the model's)."""
        return {}

    def set_random_state(self, state: dict) -> None:
        """Put back what ``random_state`` returned."""

    def state_restored(self) -> None:
        """The model's weights and optimizer state were replaced in place: forget any copy."""

    def predict_step(self, x: np.ndarray) -> np.ndarray:
        """Outputs for one batch, inference mode (no dropout)."""
        return self.forward(x, training=False)

    def eval_step(self, x: np.ndarray, y: np.ndarray,
                  sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """(loss, outputs) for one batch, inference mode."""
        y_pred = self.forward(x, training=False)
        y_true, y_pred = self.model.loss.standardize(y, y_pred)
        return self.model.loss.value(y_true, y_pred, sample_weight), y_pred
