"""Float64 central-difference gradient checks of every layer and option (max relative error < 1e-6)."""

import numpy as np
import pytest

from rnnkit import layers
from rnnkit.gradcheck import check_gradients

TOL = 1e-6
B, T, F, U = 3, 6, 4, 3


def f64(layer_cls, *args, **kwargs):
    return layer_cls(*args, dtype="float64", **kwargs)


def random_bias(layer, seed=0):
    """Replace zero biases by random ones, so that bias paths are exercised."""
    rng = np.random.default_rng(seed)
    for name, w in zip(layer.weight_names, layer.params(), strict=True):
        if name.endswith("bias"):
            w[...] = rng.uniform(-0.5, 0.5, w.shape)


def float_input(seed=0, shape=(B, T, F)):
    return np.random.default_rng(seed).standard_normal(shape)


def masks():
    pre = np.ones((B, T), bool)
    pre[0, :2] = False            # pre-padded
    post = np.ones((B, T), bool)
    post[1, -3:] = False          # post-padded
    both = pre & post
    both[2, :] = False            # an all-padding row must pass gradients through untouched
    return {"none": None, "pre": pre, "post": post, "mixed": both}


def assert_close(errors):
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{worst}: relative error {errors[worst]:.2e}\n{errors}"


def built(layer, shape=(None, T, F)):
    layer.ensure_built(shape)
    random_bias(layer)
    return layer


RECURRENT = {
    "simple_rnn": lambda **kw: f64(layers.SimpleRNN, U, **kw),
    "lstm": lambda **kw: f64(layers.LSTM, U, **kw),
    "gru_reset_after": lambda **kw: f64(layers.GRU, U, **kw),
    "gru_reset_before": lambda **kw: f64(layers.GRU, U, reset_after=False, **kw),
}


@pytest.mark.parametrize("kind", RECURRENT)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mask", ["none", "pre", "post", "mixed"])
def test_recurrent_layers(kind, return_sequences, go_backwards, mask):
    layer = built(RECURRENT[kind](return_sequences=return_sequences, go_backwards=go_backwards))
    assert_close(check_gradients(layer, float_input(), mask=masks()[mask]))


@pytest.mark.parametrize("kind", RECURRENT)
def test_dropout_and_recurrent_dropout_in_training(kind):
    layer = built(RECURRENT[kind](dropout=0.3, recurrent_dropout=0.4, return_sequences=True))
    assert_close(check_gradients(layer, float_input(), mask=masks()["pre"], training=True))


@pytest.mark.parametrize("kind", RECURRENT)
def test_return_state(kind):
    layer = built(RECURRENT[kind](return_state=True, return_sequences=True))
    assert_close(check_gradients(layer, float_input(), mask=masks()["post"]))


@pytest.mark.parametrize("kind", RECURRENT)
def test_activations_other_than_the_defaults(kind):
    kw = {"activation": "relu"} if kind == "simple_rnn" else {
        "activation": "tanh", "recurrent_activation": "hard_sigmoid"}
    layer = built(RECURRENT[kind](return_sequences=True, **kw))
    # Stay away from the kinks of relu / hard_sigmoid, where differences are not derivatives.
    assert_close(check_gradients(layer, 0.1 * float_input()))


@pytest.mark.parametrize("kind", RECURRENT)
def test_without_bias(kind):
    layer = built(RECURRENT[kind](use_bias=False))
    assert_close(check_gradients(layer, float_input()))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional(merge_mode, return_sequences):
    layer = f64(layers.Bidirectional, layers.GRU(U, return_sequences=return_sequences,
                                                dtype="float64"), merge_mode=merge_mode)
    built(layer)
    assert_close(check_gradients(layer, float_input(), mask=masks()["mixed"]))


def test_bidirectional_lstm_return_state():
    layer = built(f64(layers.Bidirectional,
                      layers.LSTM(U, return_state=True, dtype="float64")))
    assert_close(check_gradients(layer, float_input(), mask=masks()["pre"]))


def test_stacked_layers_on_masked_ids():
    ids = np.random.default_rng(1).integers(1, 20, (B, T))
    ids[0, :3] = 0                                   # pre-padding
    ids[1, -2:] = 0                                  # post-padding
    stack = [f64(layers.Embedding, 20, F, mask_zero=True),
             f64(layers.LSTM, U, return_sequences=True),
             f64(layers.Bidirectional, layers.GRU(U, return_sequences=True, dtype="float64")),
             f64(layers.SimpleRNN, U),
             f64(layers.Dense, 1, activation="sigmoid")]
    assert_close(check_gradients(stack, ids))


def test_one_hot_float_input():
    """The classic from-scratch exercise: one-hot vectors straight into a SimpleRNN."""
    ids = np.random.default_rng(2).integers(0, 10, (B, T))
    one_hot = np.eye(10)[ids]
    stack = [f64(layers.SimpleRNN, 5), f64(layers.Dense, 1, activation="sigmoid")]
    assert_close(check_gradients(stack, one_hot))


@pytest.mark.parametrize("activation", [None, "sigmoid", "softmax", "tanh", "relu"])
def test_dense(activation):
    layer = f64(layers.Dense, 4, activation=activation)
    layer.ensure_built((None, F))
    random_bias(layer)
    x = float_input(shape=(5, F)) + (0.3 if activation == "relu" else 0.0)
    assert_close(check_gradients(layer, x))


def test_dense_on_sequences():
    layer = built(f64(layers.Dense, 2, activation="tanh"))
    assert_close(check_gradients(layer, float_input()))


def test_embedding_and_dropout_in_training():
    ids = np.random.default_rng(3).integers(0, 8, (B, T))
    stack = [f64(layers.Embedding, 8, F), f64(layers.Dropout, 0.5),
             f64(layers.GRU, U), f64(layers.Dropout, 0.25), f64(layers.Dense, 2)]
    assert_close(check_gradients(stack, ids, training=True))


# ---- what check_gradients refuses instead of misreporting ---------------------------------------
def refusal(why: str, *args) -> str:
    """The one-line ValueError ``check_gradients(*args)`` raises; fails with ``why`` if none."""
    try:
        check_gradients(*args)
    except ValueError as error:
        assert "\n" not in str(error), f"the refusal must be one line: {error}"
        return str(error)
    pytest.fail(f"check_gradients ran instead of refusing: {why}")


@pytest.mark.parametrize("make, x", [
    (lambda: layers.GRU(U), float_input()),
    (lambda: [f64(layers.Embedding, 8, F), layers.Dropout(0.5), f64(layers.GRU, U)],
     np.ones((B, T), int)),
    (lambda: layers.Bidirectional(layers.LSTM(U), dtype="float64"), float_input()),
], ids=["gru", "float32_dropout_in_a_stack", "bidirectional_float32_directions"])
def test_float32_layers_are_refused(make, x):
    message = refusal("in float32 the differences are rounding noise and correct code reports "
                      "relative error 1.0, the number docs/bptt.md gives for the textbook bug",
                      make(), x)
    assert "float32" in message and message.endswith('build it with dtype="float64"'), message


@pytest.mark.parametrize("make", [
    lambda: f64(layers.GRU, U, bptt_truncate=2),
    lambda: layers.Bidirectional(f64(layers.LSTM, U, bptt_truncate=3), dtype="float64"),
], ids=["gru", "bidirectional_lstm"])
def test_truncated_bptt_is_refused(make):
    message = refusal("a truncated gradient is a surrogate's by design: checked against the "
                      "loss it reports relative errors near 1 for correct code", make(),
                      float_input())
    assert "truncates BPTT (bptt_truncate=" in message
    assert message.endswith("check it with bptt_truncate=None"), message


class LSTMWithoutBiasGradient(layers.LSTM):
    """The mutation that passed 162 tests: backward leaves the bias out of its gradients."""

    def backward(self, dy, cache):
        dx, grads = super().backward(dy, cache)
        return dx, grads[:-1]


def test_a_weight_without_its_gradient_is_an_error():
    message = refusal("pairing names with gradients by zip skipped the bias that has none",
                      built(f64(LSTMWithoutBiasGradient, U)), float_input())
    assert message.endswith("has 3 weights (kernel, recurrent_kernel, bias) but its backward "
                            "returned 2 gradients"), message


@pytest.mark.parametrize("kind", RECURRENT)
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("mask", ["post", "mixed"])
def test_zero_output_for_mask(kind, return_sequences, go_backwards, mask):
    # A row whose last step is padding gets a zero output (forward), so that output's
    # gradient must not reach the carried state (backward): post-padded rows exercise it.
    layer = built(RECURRENT[kind](zero_output_for_mask=True, return_sequences=return_sequences,
                                  go_backwards=go_backwards))
    x, m = float_input(), masks()[mask]
    if not return_sequences:  # the forward half: a row whose last step read is padding gives 0
        last = m[:, 0] if go_backwards else m[:, -1]
        y = layer.forward(x, training=False, mask=m)
        assert np.all(y[~last] == 0.0) and np.all(y[last] != 0.0)
    assert_close(check_gradients(layer, x, mask=m))
