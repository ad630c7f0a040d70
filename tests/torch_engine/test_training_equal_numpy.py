"""compile(engine="torch") trains like the NumPy engine and shares its files.

After 20 optimizer steps with SGD, RMSprop and Adam (dropout on, masked pre-padded ids) the
weights of both engines agree within 1e-4; a model trained on one engine, saved and loaded,
predicts the same probabilities on the other.
"""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import rnnkit  # noqa: E402
from rnnkit import layers as L  # noqa: E402
from rnnkit import optimizers  # noqa: E402
from rnnkit.engines.torch_engine import CudnnOffNotice  # noqa: E402

N, T, VOCAB = 24, 9, 40


def ids_and_labels(seed=0, padding="pre"):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, (N, T))
    lengths = rng.integers(2, T + 1, N)
    for i, n in enumerate(lengths):
        if padding == "pre":
            x[i, :T - n] = 0
        else:
            x[i, n:] = 0
    return x, rng.integers(0, 2, N).astype(np.float32)


def model(seed=1, dropout=0.2, recurrent_dropout=0.0, output="sigmoid", units=1):
    rnnkit.set_random_seed(seed)
    L.clear_session()
    m = rnnkit.Sequential([
        rnnkit.Input((T,), dtype="int32"),
        L.Embedding(VOCAB, 6, mask_zero=True),
        L.LSTM(5, return_sequences=True, dropout=dropout, recurrent_dropout=recurrent_dropout),
        L.Bidirectional(L.GRU(4, return_sequences=True)),
        L.Dropout(dropout),
        L.SimpleRNN(3),
        L.Dense(units, activation=output)])
    return m


def train_both(opt_factory, steps=20, loss="binary_crossentropy", **kwargs):
    x, y = ids_and_labels()
    runs = {}
    for engine in ("numpy", "torch"):
        m = model(**kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CudnnOffNotice)
            m.compile(optimizer=opt_factory(), loss=loss, metrics=["accuracy"], engine=engine,
                      **({"device": "cpu"} if engine == "torch" else {}))
            losses = [m.train_on_batch(x[i % 3 * 8:(i % 3 + 1) * 8],
                                       y[i % 3 * 8:(i % 3 + 1) * 8])[0] for i in range(steps)]
        runs[engine] = (m, losses)
    return runs


OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.5),
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.3, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.3, momentum=0.9, nesterov=True),
    "sgd_clipvalue": lambda: optimizers.SGD(learning_rate=0.5, clipvalue=0.01),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_momentum": lambda: optimizers.RMSprop(0.01, momentum=0.5),
    "rmsprop_centered_clipnorm": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True,
                                                             clipnorm=0.5),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adam_amsgrad_global_clip": lambda: optimizers.Adam(0.01, amsgrad=True, global_clipnorm=1.0,
                                                        weight_decay=0.01),
    "adam_clipvalue": lambda: optimizers.Adam(0.01, clipvalue=0.001),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_twenty_steps_give_the_same_weights(name):
    runs = train_both(OPTIMIZERS[name], recurrent_dropout=0.3 if name == "adam" else 0.0)
    (m_np, l_np), (m_t, l_t) = runs["numpy"], runs["torch"]
    np.testing.assert_allclose(l_t, l_np, rtol=1e-4, atol=1e-4, err_msg=(
        f"{name}: the per-step losses of the torch engine leave the NumPy engine's, so its "
        f"update rule (or clipping) is not the same"))
    moved = max(np.abs(a - b).max() for a, b in zip(m_np.get_weights(),
                                                     model().get_weights(), strict=True))
    assert moved > 1e-2, "the optimizer must actually have moved the weights"
    for a, b in zip(m_t.get_weights(), m_np.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4, err_msg=f"{name}: weights differ")
    for a, b in zip(m_t.optimizer.variables, m_np.optimizer.variables, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4,
                                   err_msg=f"{name}: optimizer slots differ")


class Adagrad(optimizers.Optimizer):
    """A rule the torch engine has never heard of, written once (``xp`` spells sqrt)."""

    slot_names = ("accumulator",)

    def update(self, xp, slot, g, w, lr):
        acc = slot["accumulator"]
        acc += g * g
        w -= (g * lr) / xp.sqrt(acc + np.float32(1e-7))


def test_a_rule_written_once_trains_alike_on_both_engines():
    """Each optimizer's rule exists once: a new Optimizer subclass needs no torch twin."""
    runs = train_both(lambda: Adagrad(learning_rate=0.05), steps=5)
    (m_np, _), (m_t, _) = runs["numpy"], runs["torch"]
    moved = max(np.abs(a - b).max() for a, b in zip(m_np.get_weights(),
                                                     model().get_weights(), strict=True))
    assert moved > 1e-2, "the optimizer must actually have moved the weights"
    for a, b in zip(m_t.get_weights(), m_np.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)
    for a, b in zip(m_t.optimizer.variables, m_np.optimizer.variables, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if "clipvalue" in n])
def test_clipvalue_entries_really_clip(name):
    """An engine that ignored clipvalue would agree with one that honours it if no gradient
    were ever larger than the clip value; the first batch's gradients must be."""
    x, y = ids_and_labels()
    m = model()
    m.compile(optimizer=OPTIMIZERS[name](), loss="binary_crossentropy")
    seen, apply = [], m.optimizer.apply
    m.optimizer.apply = lambda grads, params: (seen.append(grads), apply(grads, params))[-1]
    m.train_on_batch(x[:8], y[:8])
    grads = np.concatenate([np.abs(g).ravel() for g in seen[0]])
    clipped = np.mean(grads > m.optimizer.clipvalue)
    assert clipped > 0.1, f"only {clipped:.1%} of the gradient entries exceed the clip value"


def test_softmax_output_with_sparse_labels():
    runs = train_both(lambda: optimizers.Adam(0.01), steps=5, output="softmax", units=3,
                      loss="sparse_categorical_crossentropy")
    for a, b in zip(runs["torch"][0].get_weights(), runs["numpy"][0].get_weights(),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)


def test_fit_history_and_early_stopping_agree(tmp_path):
    x, y = ids_and_labels(3, padding="post")
    histories = {}
    for engine in ("numpy", "torch"):
        m = model(dropout=0.1)
        m.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"],
                  engine=engine)
        rnnkit.set_random_seed(5)
        cbs = [rnnkit.callbacks.EarlyStopping(patience=1, restore_best_weights=True),
               rnnkit.callbacks.ModelCheckpoint(str(tmp_path / f"{engine}.keras"),
                                                save_best_only=True)]
        hist = m.fit(x, y, batch_size=8, epochs=3, validation_split=0.25, callbacks=cbs,
                     verbose=0)
        histories[engine] = (hist.history, m.predict(x, verbose=0))
        assert (tmp_path / f"{engine}.keras").exists()
    (h_np, p_np), (h_t, p_t) = histories["numpy"], histories["torch"]
    assert h_np.keys() == h_t.keys() and "val_loss" in h_t
    for key in h_np:
        np.testing.assert_allclose(h_t[key], h_np[key], rtol=1e-4, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(p_t, p_np, atol=1e-5)


@pytest.mark.parametrize("trained_on,loaded_on", [("torch", "numpy"), ("numpy", "torch")])
def test_saved_on_one_engine_predicts_the_same_on_the_other(tmp_path, trained_on, loaded_on):
    x, y = ids_and_labels(4)
    m = model()
    m.compile(optimizer="adam", loss="binary_crossentropy", engine=trained_on)
    m.fit(x, y, batch_size=8, epochs=2, verbose=0)
    expected = m.predict(x, verbose=0)
    path = tmp_path / "model.keras"
    m.save(str(path))
    loaded = rnnkit.models.load_model(str(path))
    loaded.compile(optimizer=loaded.optimizer, loss=loaded.loss, engine=loaded_on)
    got = loaded.predict(x, verbose=0)
    assert np.ptp(expected) > 1e-3                  # the probabilities differ between samples
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_copied_weights_stay_in_sync_as_on_cuda():
    """The non-shared path (what CUDA uses), exercised on the CPU: writes back, picks up edits."""
    x, y = ids_and_labels()
    m_np, m_t = model(), model()
    m_np.compile(optimizer="adam", loss="binary_crossentropy")
    m_t.compile(optimizer="adam", loss="binary_crossentropy", engine="torch")
    m_t.engine.share = False
    for i in range(3):
        m_np.train_on_batch(x[:8], y[:8])
        m_t.train_on_batch(x[:8], y[:8])
    for a, b in zip(m_t.get_weights(), m_np.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    for a, b in zip(m_t.optimizer.variables, m_np.optimizer.variables, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    zeros = [np.zeros_like(w) for w in m_t.get_weights()]
    m_t.set_weights(zeros)                              # e.g. restore_best_weights
    np.testing.assert_allclose(m_t.predict(x, verbose=0), 0.5)


def test_device_and_precision_errors_are_one_line():
    m = model()
    with pytest.raises(ValueError, match="mixed_precision needs a CUDA device"):
        m.compile(loss="binary_crossentropy", engine="torch", device="cpu", mixed_precision=True)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA device"):
            m.compile(loss="binary_crossentropy", engine="torch", device="cuda")
    with pytest.raises(ValueError, match="dropout_masks must be"):
        m.compile(loss="binary_crossentropy", engine="torch", dropout_masks="cuda")


def test_torch_masks_train_too():
    """Masks drawn on the device: a different random stream, the same Keras semantics."""
    x, y = ids_and_labels()
    m = model()
    m.compile(optimizer="adam", loss="binary_crossentropy", engine="torch",
              dropout_masks="torch", seed=3)
    first = float(np.atleast_1d(m.train_on_batch(x, y))[0])
    for _ in range(10):
        last = float(np.atleast_1d(m.train_on_batch(x, y))[0])
    assert last < first
