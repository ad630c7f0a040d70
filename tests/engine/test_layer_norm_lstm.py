"""LayerNormLSTM: the cell that proves the protocol, checked three independent ways.

* the float64 gradient check of its hand-derived backward (docs/bptt.md);
* the torch engine, which runs the cell's torch_step with torch's own layer_norm and autograd;
* real Keras 3: the same cell written with keras.layers.LayerNormalization inside keras.layers.RNN
  (TF-Addons' form), the same weights, the same outputs.
"""

import warnings

import numpy as np
import pytest

import rnnkit
from rnnkit import layers as L
from rnnkit.gradcheck import check_gradients
from rnnkit.layers.layer_norm_lstm import LayerNormLSTM, LayerNormLSTMCell

from ._cell_helpers import (F, T, U, assert_torch_engine_equal, inputs, padding, randomized,
                            reloaded, token_data)


def randomized_ln(layer):
    return randomized(layer, scale=0.8)


def test_weights_are_the_lstm_s_then_three_norms():
    layer = LayerNormLSTM(U)
    layer.ensure_built((None, T, F))
    assert layer.weight_names == [
        "kernel", "recurrent_kernel", "bias", "kernel_norm_gamma", "kernel_norm_beta",
        "recurrent_norm_gamma", "recurrent_norm_beta", "state_norm_gamma", "state_norm_beta"]
    shapes = [w.shape for w in layer.get_weights()]
    assert shapes == [(F, 4 * U), (U, 4 * U), (4 * U,), (4 * U,), (4 * U,), (4 * U,), (4 * U,),
                      (U,), (U,)]
    weights = layer.get_weights()
    np.testing.assert_array_equal(weights[2][U:2 * U], 1.0)         # unit_forget_bias
    np.testing.assert_array_equal(weights[3], 1.0)                  # γ starts at one
    np.testing.assert_array_equal(weights[4], 0.0)                  # β at zero
    assert layer.count_params() == F * 4 * U + U * 4 * U + 4 * U + 4 * 4 * U + 2 * U


# ---- the hand-derived backward ------------------------------------------------------------------
@pytest.mark.parametrize("options", [
    {}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
    {"return_state": True, "return_sequences": True}, {"use_bias": False},
    {"activation": "relu"}])
def test_gradient_check(options):
    layer = randomized_ln(LayerNormLSTM(U, dtype="float64", **options))
    errors = check_gradients(layer, inputs(), mask=padding())
    assert max(errors.values()) < 1e-6, errors


def test_gradient_check_with_dropout_in_training():
    layer = randomized_ln(LayerNormLSTM(U, dropout=0.2, recurrent_dropout=0.3,
                                     return_sequences=True, dtype="float64"))
    errors = check_gradients(layer, inputs(), training=True)
    assert max(errors.values()) < 1e-6, errors


def test_gradient_check_inside_bidirectional():
    layer = randomized_ln(L.Bidirectional(LayerNormLSTM(U, return_sequences=True,
                                                        dtype="float64")))
    errors = check_gradients(layer, inputs(), mask=padding())
    assert max(errors.values()) < 1e-6, errors


def test_the_state_is_normalized():
    """c' = LN_c(…): with γ_c = 1, β_c = 0 every row of the final cell state has mean 0 and
    variance var/(var + ε) < 1 — an LSTM's cell state has neither."""
    layer = randomized_ln(LayerNormLSTM(U, return_state=True, dtype="float64"))
    weights = layer.get_weights()
    weights[7][:], weights[8][:] = 1.0, 0.0
    layer.set_weights(weights)
    _, _, c = layer(inputs())
    np.testing.assert_allclose(c.mean(-1), 0.0, atol=1e-12)
    assert np.all(c.var(-1) < 1.0)


# ---- config, save and load ------------------------------------------------------------------------
def test_config_round_trips_both_spellings():
    layer = LayerNormLSTM(U, norm_epsilon=1e-5, return_sequences=True)
    assert LayerNormLSTM.from_config(layer.get_config()).get_config() == layer.get_config()
    generic = L.RNN(LayerNormLSTMCell(U, norm_epsilon=1e-5))
    again = L.RNN.from_config(generic.get_config())
    assert isinstance(again.cell, LayerNormLSTMCell) and again.cell.norm_epsilon == 1e-5


def _model():
    rnnkit.utils.set_random_seed(5)
    model = rnnkit.Sequential([
        rnnkit.Input((T,)), L.Embedding(20, F, mask_zero=True),
        L.Bidirectional(LayerNormLSTM(U, return_sequences=True)), LayerNormLSTM(U),
        L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=rnnkit.optimizers.Adam(0.05), loss="binary_crossentropy")
    return model


def test_save_and_load(tmp_path):
    model = _model()
    loaded = reloaded(model, tmp_path / "ln.keras")
    assert type(loaded.layers[2]).__name__ == "LayerNormLSTM"
    x, _ = token_data()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ---- the torch engine ---------------------------------------------------------------------------------
@pytest.mark.parametrize("options", [
    {}, {"return_sequences": True, "go_backwards": True}, {"return_state": True}])
def test_torch_engine_equals_numpy(options):
    pytest.importorskip("torch")
    layer = randomized_ln(LayerNormLSTM(U, dtype="float32", **options))
    assert_torch_engine_equal(layer, inputs("float32"), padding())


def test_training_is_the_same_on_both_engines():
    pytest.importorskip("torch")
    x, y = token_data()
    losses = {}
    for engine in ("numpy", "torch"):
        model = _model()
        model.compile(optimizer=rnnkit.optimizers.Adam(0.05), loss="binary_crossentropy",
                      engine=engine)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            losses[engine] = model.fit(x, y, epochs=2, batch_size=16, shuffle=False,
                                       verbose=0).history["loss"]
    np.testing.assert_allclose(losses["torch"], losses["numpy"], rtol=1e-5)
    assert losses["numpy"][-1] < losses["numpy"][0]


# ---- real Keras ---------------------------------------------------------------------------------------
@pytest.mark.oracle
def test_equals_the_same_cell_built_from_keras_layers():
    """TF-Addons' LayerNormLSTMCell, written with Keras 3's own LayerNormalization and LSTMCell."""
    keras = pytest.importorskip("keras")
    norm = keras.layers.LayerNormalization

    class KerasLayerNormLSTMCell(keras.layers.LSTMCell):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.norms = [norm(epsilon=1e-3) for _ in range(3)]

        def build(self, input_shape):
            super().build(input_shape)
            for n, width in zip(self.norms, (4 * self.units, 4 * self.units, self.units)):
                n.build((None, width))

        def call(self, inputs, states, training=False):
            h, c = states
            ops = keras.ops
            z = self.norms[0](ops.matmul(inputs, self.kernel))
            z = z + self.norms[1](ops.matmul(h, self.recurrent_kernel)) + self.bias
            z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
            c = self.norms[2](ops.sigmoid(z_f) * c + ops.sigmoid(z_i) * ops.tanh(z_c))
            h = ops.sigmoid(z_o) * ops.tanh(c)
            return h, [h, c]

    ours = randomized_ln(LayerNormLSTM(U, return_sequences=True, dtype="float32"))
    theirs = keras.layers.RNN(KerasLayerNormLSTMCell(U), return_sequences=True)
    theirs.build((None, T, F))
    w = ours.get_weights()
    theirs.cell.kernel.assign(w[0])
    theirs.cell.recurrent_kernel.assign(w[1])
    theirs.cell.bias.assign(w[2])
    for n, (gamma, beta) in zip(theirs.cell.norms, zip(w[3::2], w[4::2])):
        n.gamma.assign(gamma)
        n.beta.assign(beta)
    x = inputs("float32")
    expected = keras.ops.convert_to_numpy(theirs(x))
    np.testing.assert_allclose(ours(x), expected, atol=1e-5)
