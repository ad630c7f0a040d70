"""Where a running ``fit`` is: the epoch, the next batch, and the generator that shuffles.

``fit`` keeps one ``FitLoop`` on the model (``model.fit_loop``) while it runs, so a callback can
save the loop's position and put a saved one back (BackupAndRestore does both). An epoch's batch
order is one permutation drawn from the shuffling generator when the epoch starts; the loop
remembers the generator's state from just before that draw, so a fit resumed in the middle of an
epoch draws the same permutation again and continues at the batch it had reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .random import generator_state, set_generator_state


@dataclass
class FitLoop:
    """The position of one ``fit`` call; ``callbacks`` are its callbacks in call order."""

    shuffle: np.random.Generator | None
    epoch: int = 0
    step: int = 0                       #: the next batch of ``epoch`` to train on
    steps: int = 0                      #: batches in an epoch
    callbacks: list = field(default_factory=list)
    #: the shuffling generator's state before ``epoch``'s permutation was drawn
    epoch_start: dict | None = None
    #: the fit ended before its last epoch (a callback stopped it); a restore may set it
    stopped: bool = False

    def begin_epoch(self, epoch: int) -> int:
        """Start (or, after a restore, continue) ``epoch``; returns its first batch to run."""
        if epoch != self.epoch:
            self.epoch, self.step = epoch, 0
        self.epoch_start = generator_state(self.shuffle) if self.shuffle is not None else None
        return self.step

    def state(self, at_epoch_end: bool, stop_training: bool) -> dict:
        """The position to come back to: after this epoch, or after the batch just run."""
        if at_epoch_end:
            shuffle = generator_state(self.shuffle) if self.shuffle is not None else None
            return {"epoch": self.epoch + 1, "step": 0, "steps": self.steps, "shuffle": shuffle,
                    "stop_training": stop_training}
        return {"epoch": self.epoch, "step": self.step, "steps": self.steps,
                "shuffle": self.epoch_start, "stop_training": stop_training}

    def restore(self, state: dict, model) -> None:
        """Continue from ``state`` (from ``state()``): the shuffling generator as it was then."""
        if (state["shuffle"] is None) != (self.shuffle is None):
            raise ValueError("the backup was made by a fit with shuffle="
                             f"{state['shuffle'] is not None}; pass the same shuffle to fit")
        if self.shuffle is not None:
            set_generator_state(self.shuffle, state["shuffle"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        # at an epoch's end a stop ends the fit; after a batch it ends the epoch first
        self.stopped = bool(state["stop_training"]) and self.step == 0
        model.stop_training = bool(state["stop_training"]) and self.step > 0
