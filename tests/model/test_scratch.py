"""rnnkit.scratch.RecurrentNetwork: the textbook estimator, corrected, on the engine.

The reference below is the textbook's forpass/backprop/training written out in float64 NumPy,
with its one error fixed (the step back multiplies by w1hᵀ, not w1h). One SGD step of the
estimator must land on the reference's weights.
"""

import numpy as np
import pytest

from rnnkit.scratch import RecurrentNetwork


def _textbook_step(x, y, w1x, w1h, b1, w2, b2, lr, bptt_steps=10):
    """The textbook's ``training`` for one batch, corrected: returns the updated weights."""
    m = len(x)
    hs = [np.zeros((m, w1h.shape[0]))]
    for x_t in np.swapaxes(x, 0, 1):
        hs.append(np.tanh(x_t @ w1x + hs[-1] @ w1h + b1))
    a = 1 / (1 + np.exp(-(hs[-1] @ w2 + b2)))
    err = -(y - a)
    w2_grad, b2_grad = hs[-1].T @ err / m, err.sum(axis=0) / m
    err_to_cell = err @ w2.T * (1 - hs[-1] ** 2)
    w1h_grad = w1x_grad = b1_grad = 0
    for x_t, h in zip(np.swapaxes(x, 0, 1)[::-1][:bptt_steps], hs[:-1][::-1][:bptt_steps]):
        w1h_grad = w1h_grad + h.T @ err_to_cell
        w1x_grad = w1x_grad + x_t.T @ err_to_cell
        b1_grad = b1_grad + err_to_cell.sum(axis=0)
        err_to_cell = err_to_cell @ w1h.T * (1 - h ** 2)   # the textbook has w1h here
    return (w1x - lr * w1x_grad / m, w1h - lr * w1h_grad / m, b1 - lr * b1_grad / m,
            w2 - lr * w2_grad, b2 - lr * b2_grad)


@pytest.fixture
def one_hot_task():
    """Sequences of 25 one-hot 'words' (8 kinds); the label is whether word 1 appears in the
    last 5 steps — within the 10-step BPTT window."""
    rng = np.random.default_rng(0)
    words = rng.integers(0, 8, (300, 25))
    x = np.eye(8, dtype=np.float32)[words]
    y = (words[:, -5:] == 1).any(axis=1).astype(int)
    return x[:200], y[:200], x[200:], y[200:]


def test_one_step_equals_the_corrected_textbook(one_hot_task):
    x, y, _, _ = one_hot_task
    rn = RecurrentNetwork(n_cells=6, batch_size=32, learning_rate=0.5)
    rn.fit(x[:32], y[:32], epochs=0)  # builds and initializes, no step yet
    before = [w.astype(np.float64) for w in (rn.w1x, rn.w1h, rn.b1, rn.w2, rn.b2)]
    rn.model.train_on_batch(x[:32], y[:32].reshape(-1, 1))
    expected = _textbook_step(x[:32].astype(np.float64), y[:32].reshape(-1, 1), *before, lr=0.5)
    for got, want in zip((rn.w1x, rn.w1h, rn.b1, rn.w2, rn.b2), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # and the truncation is real: 25 steps of full BPTT give a different recurrent update
    full = _textbook_step(x[:32].astype(np.float64), y[:32].reshape(-1, 1), *before, lr=0.5,
                          bptt_steps=25)
    assert not np.allclose(full[1], expected[1], atol=1e-6)


def test_fit_predict_score_losses(one_hot_task):
    x, y, x_val, y_val = one_hot_task
    rn = RecurrentNetwork(n_cells=16, batch_size=32, learning_rate=0.5)
    rn.fit(x, y, epochs=12, x_val=x_val, y_val=y_val)
    assert len(rn.losses) == len(rn.val_losses) == 12
    assert rn.losses[-1] < rn.losses[0] and rn.val_losses[-1] < rn.val_losses[0]
    prediction = rn.predict(x_val)
    assert prediction.shape == (100, 1) and prediction.dtype == bool
    assert rn.score(x_val, y_val) == pytest.approx(np.mean(prediction[:, 0] == y_val))
    assert rn.score(x_val, y_val) > max(np.mean(y_val), 1 - np.mean(y_val)) + 0.1  # > majority
    first = rn.losses.copy()
    rn.fit(x, y, epochs=12, x_val=x_val, y_val=y_val)   # fresh weights, same seed, appended
    assert rn.losses == first * 2


def test_needs_three_dimensional_input_and_fit_first():
    rn = RecurrentNetwork()
    with pytest.raises(RuntimeError, match="call fit"):
        rn.predict(np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match=r"\(samples, time steps, features\)"):
        rn.fit(np.zeros((4, 5)), np.zeros(4))
