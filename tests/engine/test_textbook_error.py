"""The classic from-scratch RNN propagates its error with W_h where the chain rule needs W_hᵀ.

The textbook's ``backprop`` (many-to-one SimpleRNN + a sigmoid unit) walks back over the steps with
``err_to_cell = np.dot(err_to_cell, w1h) * (1 - h ** 2)``. Since h_t = tanh(x_t·W_x + h_{t−1}·W_h + b),
dL/dh_{t−1} = (dL/da_t)·W_hᵀ. A gradient check catches the slip; it passes the corrected
recurrence and rnnkit's own SimpleRNN.
"""

import numpy as np
import pytest

from rnnkit import layers
from rnnkit.gradcheck import check_gradients, numerical_gradient, relative_error

B, T, F, U = 4, 6, 5, 4


def textbook_forward(x, w1x, w1h, b1):
    """The textbook's forward pass: h_t = tanh(x_t·W_x + h_{t−1}·W_h + b); keeps every h."""
    h = [np.zeros((x.shape[0], w1h.shape[0]))]
    for x_t in np.swapaxes(x, 0, 1):
        h.append(np.tanh(x_t @ w1x + h[-1] @ w1h + b1))
    return h


def textbook_backprop(x, h, err, w1h, w2, transpose_bug):
    """The textbook's loop, with the slip (``transpose_bug``) or the chain rule's W_hᵀ."""
    w1h_grad = w1x_grad = b1_grad = 0
    err_to_cell = (err @ w2.T) * (1 - h[-1] ** 2)
    for x_t, h_t in zip(np.swapaxes(x, 0, 1)[::-1], h[:-1][::-1]):
        w1h_grad = w1h_grad + h_t.T @ err_to_cell
        w1x_grad = w1x_grad + x_t.T @ err_to_cell
        b1_grad = b1_grad + err_to_cell.sum(axis=0)
        back = w1h if transpose_bug else w1h.T
        err_to_cell = (err_to_cell @ back) * (1 - h_t ** 2)
    return w1x_grad, w1h_grad, b1_grad


@pytest.mark.parametrize("transpose_bug, passes", [(True, False), (False, True)])
def test_gradient_check_catches_the_textbook_error(transpose_bug, passes):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, F))
    w1x, w1h = rng.standard_normal((F, U)) * 0.5, rng.standard_normal((U, U)) * 0.5
    b1, w2 = rng.standard_normal(U) * 0.1, rng.standard_normal((U, 1))
    err = rng.standard_normal((B, 1))                   # dL/d(output unit), L = Σ err ⊙ (h_T·w2)
    assert not np.allclose(w1h, w1h.T)                  # a symmetric W_h would hide the slip

    h = textbook_forward(x, w1x, w1h, b1)
    grads = textbook_backprop(x, h, err, w1h, w2, transpose_bug)
    loss = lambda: float(np.sum(err * (textbook_forward(x, w1x, w1h, b1)[-1] @ w2)))  # noqa: E731
    errors = [relative_error(g, numerical_gradient(loss, w)) for g, w in zip(grads, (w1x, w1h, b1))]
    assert (max(errors) < 1e-6) == passes, errors
    if transpose_bug:
        assert max(errors) > 1e-2                       # not a rounding matter: plainly wrong


def test_rnnkit_simple_rnn_passes_the_same_check():
    stack = [layers.SimpleRNN(U, dtype="float64"), layers.Dense(1, dtype="float64")]
    x = np.random.default_rng(0).standard_normal((B, T, F))
    errors = check_gradients(stack, x)
    assert max(errors.values()) < 1e-6, errors
