"""Preprocessing layers (strings → ids) run on the host before the engine, and only first."""

import numpy as np
import pytest

from rnnkit import layers
from rnnkit.layers import Layer
from rnnkit.model import Sequential


class WordLengths(Layer):
    """A toy preprocessing layer: each text → the lengths of its first 4 words (0-padded)."""

    preprocessing = True

    def forward(self, x, training=False, mask=None):
        out = np.zeros((len(x), 4), dtype=np.int64)
        for i, text in enumerate(np.asarray(x).reshape(len(x))):
            lengths = [min(len(w), 9) for w in str(text).split()][:4]
            out[i, :len(lengths)] = lengths
        return out

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 4)


def _model(engine="numpy"):
    model = Sequential([layers.Input(shape=(), dtype="string"), WordLengths(),
                        layers.Embedding(10, 3, mask_zero=True), layers.GRU(2),
                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", engine=engine)
    return model


TEXTS = np.array(["a bb ccc", "hello there", "x", "four words in here"])
IDS = np.array([[1, 2, 3, 0], [5, 5, 0, 0], [1, 0, 0, 0], [4, 5, 2, 4]])


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_text_and_ids_give_the_same_predictions(engine):
    model = _model(engine)
    by_text = model.predict(TEXTS, verbose=0)
    np.testing.assert_allclose(by_text, model.predict(IDS, verbose=0), rtol=0, atol=0)
    np.testing.assert_allclose(model(list(TEXTS)), by_text, atol=1e-6)
    assert model.compute_layers == model.layers[1:]


def test_fit_and_evaluate_take_texts():
    model = _model()
    history = model.fit(TEXTS, np.array([0, 1, 0, 1]), epochs=2, verbose=0,
                        validation_data=(TEXTS[:2], np.array([0, 1])))
    assert len(history.history["val_loss"]) == 2
    assert np.isfinite(model.evaluate(TEXTS, np.array([0, 1, 0, 1]), verbose=0))


def test_a_preprocessing_layer_may_only_come_first():
    model = Sequential([layers.Input(shape=(4,)), layers.Embedding(10, 3)])
    with pytest.raises(ValueError, match="preprocessing layer.*add it before 'embedding"):
        model.add(WordLengths())


def test_input_takes_keras_string_dtype():
    assert layers.Input(shape=(), dtype="string").dtype == "string"
    assert layers.InputLayer(shape=(), dtype="string").get_config()["dtype"] == "string"
