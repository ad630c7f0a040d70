"""How far back in time the gradient reaches: per-step state gradients of a recurrent layer.

Two quantities, both read off the NumPy engine's hand-written BPTT (``RNN.state_gradients``:
the dL/d(states after step s) the backward walk forms, docs/bptt.md, "The driver", Backward 1–2):

* ‖∂ℓ/∂h_s‖₂ — how much of the loss's gradient reaches the hidden state of step s. ℓ is one
  text's loss; the model's loss L is the batch's mean, so ∂ℓ_i/∂h_{i,s} = B · ∂L/∂h_{i,s}.
* ‖∂h_T/∂h_s‖_F — the Frobenius norm of the product of per-step Jacobians from step s to the
  last step T: the root of the summed squares of how much each final unit moves per unit change
  of each unit at step s, read row by row (a unit vector e_k put on h_T, walked back, gives
  e_kᵀ·∂h_T/∂h_s; u walks give the whole matrix). For an LSTM it is the partial derivative with
  respect to h_s, c_s held fixed (the c path between s and T is in the product).

Steps are in processing order (s = 0 … T − 1; a ``go_backwards`` direction reads position
T − 1 − s at step s); the distance back from the last step is T − 1 − s. Everything is computed
in inference mode (dropout off) with the full BPTT, whatever ``bptt_truncate`` training uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..blas import single_blas_thread
from .passes import Direction, find_layer, forward, loss_gradient, model_input


@dataclass
class GradientFlow:
    """One direction of one recurrent layer, for a batch of B texts of T steps.

    ``loss_grads`` (B, T, u): ∂L/∂h_s (L the batch's mean loss), processing order;
    ``loss_norms`` (B, T): ‖∂ℓ_i/∂h_s‖₂ per text; ``jacobian_norms`` (B, T): ‖∂h_T/∂h_s‖_F per
    text; ``positions`` (T,): the input position each step reads.
    """

    layer: str
    direction: str
    cell: str
    units: int
    positions: np.ndarray
    loss_grads: np.ndarray
    loss_norms: np.ndarray
    jacobian_norms: np.ndarray

    @property
    def distance(self) -> np.ndarray:
        """T − 1 − s for each step s: 0 at the last step."""
        return np.arange(self.loss_norms.shape[1])[::-1]

    def by_distance(self, norms: np.ndarray) -> np.ndarray:
        """The mean over the texts of ``norms`` (B, T), indexed by distance (0 = last step)."""
        return norms.mean(axis=0)[::-1]

    @property
    def loss_curve(self) -> np.ndarray:
        """Mean ‖∂ℓ/∂h‖ over the texts, by distance from the last step."""
        return self.by_distance(self.loss_norms)

    @property
    def jacobian_curve(self) -> np.ndarray:
        """Mean ‖∂h_T/∂h‖_F over the texts, by distance from the last step."""
        return self.by_distance(self.jacobian_norms)


def vanishing_distance(curve: np.ndarray, ratio: float = 1e-3) -> int | None:
    """The first distance at which ``curve`` (by distance, 0 = last step) falls below
    ``ratio`` times its value at distance 0; None if it never does within the sequence."""
    curve = np.asarray(curve, dtype=np.float64)
    below = np.flatnonzero(curve < ratio * curve[0])
    return int(below[0]) if below.size else None


def gradient_flow(model, x, y, layer: str | None = None) -> list[GradientFlow]:
    """Per-step gradient norms of one recurrent layer of a compiled ``model`` (default: its
    first), one ``GradientFlow`` per direction, for inputs ``x`` (raw texts or encoded ids) and
    labels ``y`` (class ids, as the model trains on them)."""
    x = model_input(model, x)
    run = forward(model, x, find_layer(model, layer))
    d_out = loss_gradient(model, run, y)
    return [_flow(direction, d, len(x))
            for direction, d in zip(run.directions(), run.direction_grads(d_out), strict=True)]


def _flow(direction: Direction, d_out, batch: int) -> GradientFlow:
    rnn, cache = direction.layer, direction.cache
    loss_grads = np.stack([d[0] for d in rnn.state_gradients(cache, dy=d_out)], axis=1)
    time = loss_grads.shape[1]
    positions = np.arange(time)[::cache.step]
    return GradientFlow(rnn.name, direction.name, type(rnn.cell).__name__, rnn.units, positions,
                        loss_grads, batch * np.linalg.norm(loss_grads, axis=-1),
                        jacobian_norms(direction))


def jacobian_norms(direction: Direction) -> np.ndarray:
    """‖∂h_T/∂h_s‖_F (B, T): u backward walks, each from a unit vector e_k on h_T (zero on the
    other states), each giving row k of every ∂h_T/∂h_s; their squares summed."""
    rnn, cache = direction.layer, direction.cache
    batch, time = cache.x_in.shape[:2]
    squares = np.zeros((batch, time), np.float64)
    others = [None] * (len(rnn.cell.state_names) - 1)
    with single_blas_thread():
        for k in range(rnn.units):
            seed = np.zeros((batch, rnn.units), rnn.dtype)
            seed[:, k] = 1.0
            rows = rnn.state_gradients(cache, d_final=[seed, *others])
            squares += np.stack([(d[0].astype(np.float64) ** 2).sum(axis=-1) for d in rows],
                                axis=1)
    return np.sqrt(squares)
