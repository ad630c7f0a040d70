"""The textbook's from-scratch recurrent classifier, corrected, on rnnkit's engine.

``RecurrentNetwork`` keeps the interface of the classic NumPy estimator that learners meet first
(one tanh recurrent layer of ``n_cells`` units, a sigmoid output, plain mini-batch SGD, truncated
backpropagation through the last 10 time steps, ``losses`` / ``val_losses`` per epoch):

    rn = RecurrentNetwork(n_cells=32, batch_size=32, learning_rate=0.01)
    rn.fit(x_train_onehot, y_train, epochs=20, x_val=x_val_onehot, y_val=y_val)
    rn.score(x_val_onehot, y_val)

It is not a second implementation: it is ``SimpleRNN(n_cells, bptt_truncate=10)`` →
``Dense(1, 'sigmoid')`` trained with ``SGD(learning_rate)`` on binary crossentropy by the shared
training loop, so it inherits the engine's checked gradients. In particular the textbook's
backward step ``err @ w1h`` is ``err @ w1hᵀ`` here, as the chain rule requires (docs/bptt.md).
Weights follow the textbook's names: ``w1x`` (kernel), ``w1h`` (recurrent kernel), ``b1``,
``w2``, ``b2``.
"""

from __future__ import annotations

import numpy as np

from .layers import Dense, Input, SimpleRNN
from .model import Sequential
from .optimizers import SGD
from .random import set_random_seed


class RecurrentNetwork:
    """Binary classifier of sequences x (samples, time steps, features), e.g. one-hot words."""

    def __init__(self, n_cells: int = 10, batch_size: int = 32, learning_rate: float = 0.1,
                 bptt_steps: int = 10, seed: int = 42):
        self.n_cells = n_cells
        self.batch_size = batch_size
        self.lr = learning_rate
        self.bptt_steps = bptt_steps
        self.seed = seed            # the textbook seeds NumPy with 42 at the start of fit
        self.model: Sequential | None = None
        self.losses: list[float] = []       # training loss per epoch
        self.val_losses: list[float] = []   # validation loss per epoch

    def _build(self, n_features: int) -> Sequential:
        model = Sequential([Input((None, n_features)),
                            SimpleRNN(self.n_cells, bptt_truncate=self.bptt_steps),
                            Dense(1, activation="sigmoid")])
        model.compile(optimizer=SGD(self.lr), loss="binary_crossentropy", metrics=["accuracy"])
        return model

    def fit(self, x, y, epochs: int = 100, x_val=None, y_val=None, verbose: int = 0):
        """Initialize the weights, then train for ``epochs`` epochs (shuffled mini-batches).

        Like the textbook, each call starts from fresh weights and appends to ``losses``.
        """
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"RecurrentNetwork expects x of shape (samples, time steps, "
                             f"features), e.g. one-hot encoded words; got {x.shape}")
        set_random_seed(self.seed)
        self.model = self._build(x.shape[2])
        validation = None if x_val is None else (x_val, np.asarray(y_val).reshape(-1, 1))
        history = self.model.fit(x, np.asarray(y).reshape(-1, 1), epochs=epochs,
                                 batch_size=self.batch_size, validation_data=validation,
                                 verbose=verbose)
        self.losses += history.history.get("loss", [])
        self.val_losses += history.history.get("val_loss", [])
        return self

    def _require_fit(self) -> Sequential:
        if self.model is None:
            raise RuntimeError("RecurrentNetwork is not trained yet; call fit(x, y) first")
        return self.model

    def predict(self, x) -> np.ndarray:
        """(samples, 1) booleans: the output's logit is positive (probability > 0.5)."""
        return self._require_fit().predict(x, verbose=0) > 0.5

    def score(self, x, y) -> float:
        """Accuracy: the fraction of samples whose prediction equals the label."""
        return float(np.mean(self.predict(x) == np.asarray(y).reshape(-1, 1)))

    # ---- the textbook's weight names --------------------------------------------------------
    @property
    def w1x(self) -> np.ndarray:
        return self._require_fit().layers[0].cell.kernel

    @property
    def w1h(self) -> np.ndarray:
        return self._require_fit().layers[0].cell.recurrent_kernel

    @property
    def b1(self) -> np.ndarray:
        return self._require_fit().layers[0].cell.bias

    @property
    def w2(self) -> np.ndarray:
        return self._require_fit().layers[1].kernel

    @property
    def b2(self) -> np.ndarray:
        return self._require_fit().layers[1].bias
