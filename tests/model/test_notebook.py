"""The classic Keras LSTM/GRU sentiment notebook, cell by cell, with only the imports changed.

The notebook (Embedding(500, 16) → LSTM(8) → Dense(1, sigmoid) on IMDB with num_words=500,
maxlen=100; RMSprop(1e-4); best-…-model.h5 checkpoints, legacy HDF5 files as the notebook names
them; EarlyStopping(patience=3, restore_best_weights=True); the dropout, two-layer and GRU
variants; model.save('GRU_ind.h5'); load_model then evaluate) runs here on a small synthetic
stand-in for IMDB. The code inside each cell block is the notebook's; the assertions after it
check that every call worked and that shapes and counts are Keras's.
"""

import numpy as np
import pytest

import rnnkit as keras  # was: from tensorflow import keras
from rnnkit.preprocessing.sequence import pad_sequences  # was: tensorflow.keras.preprocessing…

MAXLEN = 100


def _imdb_stand_in(n: int, positive_share: float, seed: int):
    """Reviews of 20–160 token ids < 500 (1 = start, as imdb.load_data(num_words=500) makes).

    A positive review has more 'positive' ids (100–149) than 'negative' ids (150–199) in its last
    100 tokens — what survives the notebook's pre-truncation to maxlen=100. Reviews are drawn
    until ``positive_share`` of the n are positive.
    """
    rng = np.random.default_rng(seed)
    wanted = {1: round(n * positive_share), 0: n - round(n * positive_share)}
    reviews, labels = [], []
    while len(reviews) < n:
        review = [1] + [int(t) for t in rng.integers(4, 500, rng.integers(20, 160))]
        tail = np.array(review[-MAXLEN:])
        label = int(((tail >= 100) & (tail < 150)).sum() > ((tail >= 150) & (tail < 200)).sum())
        if wanted[label]:
            wanted[label] -= 1
            reviews.append(review)
            labels.append(label)
    return reviews, np.array(labels)


@pytest.fixture
def notebook_data():
    # The validation set's class balance is the mirror of the training set's: at RMSprop(1e-4)
    # the first thing the model learns is the training prior, which makes val_loss rise from the
    # start, so EarlyStopping(patience=3) ends each fit after a few epochs (the real notebook
    # runs ~40 epochs of IMDB — too slow for a unit test, and not what is being tested here).
    train_input, train_target = _imdb_stand_in(64, positive_share=0.75, seed=1)
    val_input, val_target = _imdb_stand_in(32, positive_share=0.25, seed=2)
    test_input, test_target = _imdb_stand_in(48, positive_share=0.5, seed=3)
    # --- the notebook's padding cell ---
    train_seq = pad_sequences(train_input, maxlen=100)
    val_seq = pad_sequences(val_input, maxlen=100)
    return train_seq, train_target, val_seq, val_target, test_input, test_target


def _rows(summary: str) -> dict[str, tuple[str, str]]:
    """{'lstm (LSTM)': ('(None, 8)', '800'), …} from a printed summary table."""
    rows = {}
    for line in summary.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 3 and cells[0].endswith(")") and cells[0] != "Layer (type)":
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def _compile_and_fit(model, checkpoint, train_seq, train_target, val_seq, val_target):
    """The notebook's compile-and-fit cell (repeated in it for each model, file name aside)."""
    rmsprop = keras.optimizers.RMSprop(learning_rate=1e-4)
    model.compile(optimizer=rmsprop, loss='binary_crossentropy',
                  metrics=['accuracy'])
    checkpoint_cb = keras.callbacks.ModelCheckpoint(checkpoint,
                                                    save_best_only=True)
    early_stopping_cb = keras.callbacks.EarlyStopping(patience=3,
                                                      restore_best_weights=True)
    history = model.fit(train_seq, train_target, epochs=100, batch_size=64,
                        validation_data=(val_seq, val_target),
                        callbacks=[checkpoint_cb, early_stopping_cb])
    return history, early_stopping_cb


def _check_history(history, stopper):
    epochs = len(history.history['loss'])
    assert set(history.history) == {'loss', 'accuracy', 'val_loss', 'val_accuracy'}
    assert all(len(values) == epochs for values in history.history.values())
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
    if epochs < 100:  # stopped early: three epochs without improvement after the best one
        assert epochs == stopper.best_epoch + 4
    assert stopper.best == min(history.history['val_loss'])


@pytest.mark.filterwarnings("error")
def test_lstm_gru_notebook(notebook_data, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    train_seq, train_target, val_seq, val_target, test_input, test_target = notebook_data
    assert train_seq.shape == (64, 100) and val_seq.shape == (32, 100)

    # --- LSTM -------------------------------------------------------------------------------
    model = keras.Sequential()
    model.add(keras.layers.Input(shape=(100,)))
    model.add(keras.layers.Embedding(500, 16))
    model.add(keras.layers.LSTM(8))
    model.add(keras.layers.Dense(1, activation='sigmoid'))
    model.summary()
    out = capsys.readouterr().out
    assert _rows(out) == {"embedding (Embedding)": ("(None, 100, 16)", "8,000"),
                          "lstm (LSTM)": ("(None, 8)", "800"),
                          "dense (Dense)": ("(None, 1)", "9")}
    assert "Total params: 8,809 (34.41 KB)" in out
    history, stopper = _compile_and_fit(model, 'best-lstm-model.h5', train_seq,
                                        train_target, val_seq, val_target)
    out = capsys.readouterr().out
    assert "Epoch 1/100" in out and "1/1 ━━━━━━━━━━━━━━━━━━━━" in out
    assert " - accuracy: " in out and " - loss: " in out and " - val_loss: " in out
    _check_history(history, stopper)
    assert (tmp_path / 'best-lstm-model.h5').is_file()

    # --- LSTM with dropout -------------------------------------------------------------------
    model2 = keras.Sequential()
    model2.add(keras.layers.Input(shape=(100,)))
    model2.add(keras.layers.Embedding(500, 16))
    model2.add(keras.layers.LSTM(8, dropout=0.3))
    model2.add(keras.layers.Dense(1, activation='sigmoid'))
    history2, stopper2 = _compile_and_fit(model2, 'best-dropout-model.h5', train_seq,
                                          train_target, val_seq, val_target)
    _check_history(history2, stopper2)
    assert model2.count_params() == 8809 and model2.layers[1].name == "lstm_1"

    # --- two stacked LSTMs ------------------------------------------------------------------
    model3 = keras.Sequential()
    model3.add(keras.layers.Input(shape=(100,)))
    model3.add(keras.layers.Embedding(500, 16))
    model3.add(keras.layers.LSTM(8, dropout=0.3, return_sequences=True))
    model3.add(keras.layers.LSTM(8, dropout=0.3))
    model3.add(keras.layers.Dense(1, activation='sigmoid'))
    model3.summary()
    rows = _rows(capsys.readouterr().out)
    assert rows["lstm_2 (LSTM)"] == ("(None, 100, 8)", "800")
    assert rows["lstm_3 (LSTM)"] == ("(None, 8)", "544")
    history3, stopper3 = _compile_and_fit(model3, 'best-2rnn-model.h5', train_seq,
                                          train_target, val_seq, val_target)
    _check_history(history3, stopper3)

    # --- GRU --------------------------------------------------------------------------------
    model4 = keras.Sequential()
    model4.add(keras.layers.Input(shape=(100,)))
    model4.add(keras.layers.Embedding(500, 16))
    model4.add(keras.layers.GRU(8))
    model4.add(keras.layers.Dense(1, activation='sigmoid'))
    model4.summary()
    rows = _rows(capsys.readouterr().out)
    assert rows["gru (GRU)"] == ("(None, 8)", "624")
    history4, stopper4 = _compile_and_fit(model4, 'best-gru-model.h5', train_seq,
                                          train_target, val_seq, val_target)
    _check_history(history4, stopper4)
    model4.save('GRU_ind.h5')
    gru_model = keras.models.load_model('GRU_ind.h5')
    np.testing.assert_array_equal(gru_model.predict(val_seq, verbose=0),
                                  model4.predict(val_seq, verbose=0))
    assert gru_model.optimizer.iterations == model4.optimizer.iterations

    # --- the last cell: the best two-layer model on the test set ------------------------------
    test_seq = pad_sequences(test_input, maxlen=100)
    rnn_model = keras.models.load_model('best-2rnn-model.h5')
    result = rnn_model.evaluate(test_seq, test_target)
    assert isinstance(result, list) and len(result) == 2 and 0.0 <= result[1] <= 1.0
    # the checkpoint holds the best epoch, which is also what EarlyStopping restored
    for saved, restored in zip(rnn_model.get_weights(), model3.get_weights()):
        np.testing.assert_array_equal(saved, restored)
    np.testing.assert_allclose(result, model3.evaluate(test_seq, test_target, verbose=0),
                               rtol=1e-6)
    assert rnn_model.predict(test_seq, verbose=0).shape == (48, 1)


def test_keras2_input_length_style(capsys):
    """Older copies of the notebook write Embedding(500, 16, input_length=100) and no Input."""
    model = keras.Sequential()
    model.add(keras.layers.Embedding(500, 16, input_length=100))
    model.add(keras.layers.LSTM(8))
    model.add(keras.layers.Dense(1, activation='sigmoid'))
    model.summary()
    rows = _rows(capsys.readouterr().out)
    assert rows["embedding (Embedding)"] == ("(None, 100, 16)", "8,000")
    assert rows["dense (Dense)"] == ("(None, 1)", "9")
