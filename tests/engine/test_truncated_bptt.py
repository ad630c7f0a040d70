"""Truncated BPTT against a reference that truncates the same way.

Truncation to k steps is the exact gradient of a surrogate loss: for each output t, the state
k steps before t is frozen at its value from an unperturbed run, and only steps t−k+1 … t depend
on the weights. The reference below evaluates that surrogate with the cell's forward ``step`` and
differentiates it numerically; the layer's backward pass must agree.
"""

import numpy as np
import pytest

from rnnkit import layers
from rnnkit.gradcheck import numerical_gradient, relative_error

B, T, F, U = 3, 9, 4, 3


def states_before_each_step(layer, x, mask):
    """[states before processing step s for s in 0..T] with the current weights (no grad)."""
    cell, order = layer.cell, _order(layer)
    xw = _projection(layer, x)[:, order]
    states = cell.zero_states(len(x), x.dtype)
    history = [states]
    for s in range(T):
        states = _carry(cell.step(xw[:, s], states)[0], states, mask, order[s])
        history.append(states)
    return history


def _order(layer):
    return np.arange(T)[::-1] if layer.go_backwards else np.arange(T)


def _projection(layer, x):
    xw = x @ layer.cell.kernel
    return xw + layer.cell.input_bias if layer.cell.input_bias is not None else xw


def _carry(new, old, mask, t):
    if mask is None:
        return new
    return tuple(np.where(mask[:, t, None], n, o) for n, o in zip(new, old))


def surrogate_loss(layer, x, mask, projections, frozen, k):
    cell, order = layer.cell, _order(layer)
    xw = _projection(layer, x)[:, order]
    total = 0.0
    for src, r in projections.items():
        start = max(src - k + 1, 0)
        states = frozen[start]
        for s in range(start, src + 1):
            states = _carry(cell.step(xw[:, s], states)[0], states, mask, order[s])
        total += float(np.sum(r * states[0]))
    return total


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("k", [1, 4])
def test_truncated_gradient_matches_the_truncating_reference(cls, return_sequences,
                                                             go_backwards, k):
    rng = np.random.default_rng(0)
    layer = cls(U, return_sequences=return_sequences, go_backwards=go_backwards,
                bptt_truncate=k, dtype="float64")
    layer.ensure_built((None, T, F))
    layer.cell.bias[...] = rng.uniform(-0.5, 0.5, layer.cell.bias.shape)
    x = rng.standard_normal((B, T, F))
    mask = np.ones((B, T), bool)
    mask[0, :2] = False
    mask[1, -3:] = False

    y, cache = layer.forward_train(x, training=False, mask=mask)
    dy = rng.standard_normal(y.shape)
    dx, grads = layer.backward(dy, cache)
    analytic = dict(zip(layer.weight_names, grads))

    sources = {s: dy[:, s] for s in range(T)} if return_sequences else {T - 1: dy}
    frozen = states_before_each_step(layer, x, mask)
    loss = lambda: surrogate_loss(layer, x, mask, sources, frozen, k)  # noqa: E731
    for name, w in zip(layer.weight_names, layer.params()):
        assert relative_error(analytic[name], numerical_gradient(loss, w)) < 1e-6, name
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-6


def test_truncation_differs_from_full_bptt_and_long_k_equals_it():
    """The option must change something — and do nothing once k covers the whole sequence."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, F))
    grads = {}
    for k in (None, 3, T):
        layer = layers.LSTM(U, bptt_truncate=k, seed=7, dtype="float64")
        layer.ensure_built((None, T, F))
        y, cache = layer.forward_train(x, training=False)
        grads[k] = layer.backward(np.ones_like(y), cache)[1][1]
    assert not np.allclose(grads[None], grads[3])
    np.testing.assert_allclose(grads[None], grads[T], rtol=1e-12)
