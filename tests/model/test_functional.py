"""The Functional API: ``Input``, layers called on symbolic tensors, ``Model(inputs, outputs)``.

The yardstick is keras.io's "Bidirectional LSTM on IMDB" example, ported by changing only the
imports: the same summary as real Keras, the same predictions for the same weights, training on
both engines, and .keras files that each library reads from the other.
"""

import json
import zipfile

import numpy as np
import pytest

import rnnkit
from rnnkit import layers

from .conftest import copy_weights_to_keras
from .functional_layers import TinyConcat


def imdb_example(keras, max_features=20000):
    """keras.io/examples/nlp/bidirectional_lstm_imdb, as written there (``keras`` is either
    library)."""
    layers = keras.layers
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, 128)(inputs)
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    return model


def reviews(n=24, maxlen=20, max_features=20000, seed=0):
    """Padded id sequences of the example's form (pad_sequences pads in front with 0)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, max_features, (n, maxlen)).astype("int32")
    for row, length in zip(x, rng.integers(3, maxlen, n)):
        row[:maxlen - length] = 0
    return x, rng.integers(0, 2, n)


def summary_lines(model) -> list[str]:
    lines = []
    model.summary(print_fn=lambda text, **_: lines.extend(text.splitlines()))
    return [line.rstrip() for line in lines[1:]]     # line 0 names the model


def dag(lib, merge, units=4):
    """Embedding(mask_zero) → LSTM and GRU branches; a Dense shared by both; the LSTM's output
    read twice (by the Dense and the merge); merge → LSTM → Dense(sigmoid)."""
    L = lib.layers
    inputs = lib.Input(shape=(9,), dtype="int32")
    e = L.Embedding(40, 5, mask_zero=True)(inputs)
    a = L.LSTM(units, return_sequences=True)(e)
    b = L.GRU(units, return_sequences=True)(e)
    shared = L.Dense(units, activation="tanh")
    m = merge()([shared(a), shared(b), a])
    outputs = L.Dense(1, activation="sigmoid")(L.LSTM(units)(m))
    return lib.Model(inputs, outputs)


def masked_ids(seed=1, n=6, time=9):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 40, (n, time))
    x[0, :4] = 0
    x[1, -3:] = 0
    x[2, :] = 0
    return x


# ---- building ---------------------------------------------------------------------------------
def test_input_is_a_symbolic_tensor_and_layers_record_nodes():
    inputs = rnnkit.Input(shape=(None,), dtype="int32")
    assert inputs.shape == (None, None) and inputs.dtype == "int32"
    dense = layers.Dense(3)
    x = layers.Embedding(10, 4)(inputs)
    y, z = dense(x), dense(x)
    assert y.shape == (None, None, 3) and y.dtype == "float32"
    assert (y._keras_history.layer, y._keras_history.node_index) == (dense, 0)
    assert z._keras_history.node_index == 1 and len(dense._inbound_nodes) == 2
    assert dense.kernel.shape == (4, 3)          # built from the symbolic shape, once


def test_layers_still_run_on_arrays():
    dense = layers.Dense(2)
    assert dense(np.ones((3, 4), np.float32)).shape == (3, 2)


def test_sequential_accepts_input():
    model = rnnkit.Sequential([rnnkit.Input((5,)), layers.Embedding(10, 3), layers.LSTM(2)])
    assert model.built and model.output_shape == (None, 2)


def test_model_is_functional():
    model = imdb_example(rnnkit, max_features=50)
    assert isinstance(model, rnnkit.Model) and isinstance(model, rnnkit.models.Functional)
    assert isinstance(rnnkit.Sequential(), rnnkit.Model)
    assert [type(l).__name__ for l in model.layers] == [
        "InputLayer", "Embedding", "Bidirectional", "Bidirectional", "Dense"]


def test_a_shared_layer_has_one_set_of_weights():
    model = dag(rnnkit, TinyConcat)
    shared = model.get_layer("dense")
    assert len(model.layer_nodes(shared)) == 2
    assert sum(w is shared.kernel for w in model.weights) == 1


# ---- errors --------------------------------------------------------------------------------------
def _one_line(e) -> str:
    text = str(e.value)
    assert "\n" not in text
    return text


def test_outputs_that_do_not_depend_on_the_inputs():
    a, b = rnnkit.Input((3,)), rnnkit.Input((3,))
    with pytest.raises(ValueError) as e:
        rnnkit.Model(a, layers.Dense(1)(b))
    assert "depend on input" in _one_line(e) and "not among the model's inputs" in _one_line(e)


def test_an_input_no_output_uses():
    a, b = rnnkit.Input((3,)), rnnkit.Input((3,), name="unused")
    with pytest.raises(ValueError) as e:
        rnnkit.Model([a, b], layers.Dense(1)(a))
    assert "input 'unused' is not connected to any output" in _one_line(e)


def test_model_of_arrays_and_subclass_style():
    with pytest.raises(TypeError) as e:
        rnnkit.Model(np.ones((2, 3)), np.ones((2, 1)))
    assert "must be symbolic tensors" in _one_line(e)
    with pytest.raises(TypeError) as e:
        rnnkit.Model()
    assert "takes (inputs, outputs)" in _one_line(e)


def test_a_layer_output_is_not_a_model_input():
    x = layers.Dense(2)(rnnkit.Input((3,)))
    with pytest.raises(ValueError) as e:
        rnnkit.Model(x, layers.Dense(1)(x))
    assert "tensors made by rnnkit.Input" in _one_line(e)


def test_a_cycle_cannot_be_built():
    """A tensor exists only once the call making it ran, so no call can read its own output:
    calling a layer on its own output is a second call (a shared layer), not a cycle."""
    inputs = rnnkit.Input((4,))
    dense = layers.Dense(4)
    y = dense(dense(inputs))
    model = rnnkit.Model(inputs, y)
    assert [s.unit for s in model.graph.steps] == [0, 0]


def test_several_outputs_build_but_do_not_compile():
    inputs = rnnkit.Input((3,))
    model = rnnkit.Model(inputs, [layers.Dense(1)(inputs), layers.Dense(2)(inputs)])
    assert model.output_shape == [(None, 1), (None, 2)]
    with pytest.raises(ValueError) as e:
        model.compile(loss="mse")
    assert "has 2 outputs; rnnkit's losses and fit loop take one" in _one_line(e)


def test_calling_a_model_on_symbolic_tensors():
    model = imdb_example(rnnkit, max_features=50)
    with pytest.raises(TypeError) as e:
        model(rnnkit.Input((None,), dtype="int32"))
    assert "does not nest models" in _one_line(e)


# ---- training, both engines ----------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_example_fits_on_both_engines(engine):
    x, y = reviews(n=16, maxlen=12, max_features=300)
    model = imdb_example(rnnkit, max_features=300)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"],
                  engine=engine)
    before = model.get_weights()
    history = model.fit(x, y, batch_size=8, epochs=1, validation_data=(x, y), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.predict(x, verbose=0).shape == (16, 1)
    assert np.isfinite(model.evaluate(x, y, verbose=0)[0])


def test_engines_train_the_dag_alike():
    x, y = masked_ids(n=8), np.arange(8) % 2
    models = []
    for engine in ("numpy", "torch"):
        rnnkit.layers.clear_session()
        rnnkit.set_random_seed(5)
        model = dag(rnnkit, TinyConcat)
        model.compile(optimizer="sgd", loss="binary_crossentropy", engine=engine)
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    for model in models:
        model.train_on_batch(x, y)
        model.train_on_batch(x, y)
    for a, b in zip(*(m.get_weights() for m in models)):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_preprocessing_runs_on_the_host():
    texts = np.array(["a good film", "a bad film", "good good", "bad"])
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vectorize.adapt(texts)
    inputs = rnnkit.Input(shape=(), dtype="string")
    x = layers.Embedding(20, 4, mask_zero=True)(vectorize(inputs))
    model = rnnkit.Model(inputs, layers.Dense(1, activation="sigmoid")(layers.LSTM(3)(x)))
    assert model.preprocessing_layers == [vectorize]
    assert [type(l).__name__ for l in model.compute_layers] == ["Embedding", "LSTM", "Dense"]
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(texts, np.array([1, 0, 1, 0]), epochs=1, verbose=0)
    ids = vectorize(texts)
    np.testing.assert_allclose(model.predict(texts, verbose=0), model.predict(ids, verbose=0))


def test_callbacks_work_on_a_functional_model(tmp_path):
    x, y = reviews(n=16, maxlen=8, max_features=100)
    model = imdb_example(rnnkit, max_features=100)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    callbacks = [rnnkit.callbacks.ModelCheckpoint(tmp_path / "best.keras"),
                 rnnkit.callbacks.EarlyStopping(monitor="loss", patience=1),
                 rnnkit.callbacks.BackupAndRestore(tmp_path / "backup")]
    model.fit(x, y, batch_size=8, epochs=2, callbacks=callbacks, verbose=0)
    loaded = rnnkit.models.load_model(tmp_path / "best.keras")
    assert isinstance(loaded, rnnkit.models.Functional)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_config_round_trip():
    inputs = rnnkit.Input((9,), dtype="int32")
    e = layers.Embedding(40, 5, mask_zero=True)(inputs)
    shared = layers.LSTM(5, return_sequences=True)
    model = rnnkit.Model(inputs, layers.Dense(1)(layers.GRU(2)(shared(shared(e)))))
    config = model.get_config()
    rnnkit.layers.clear_session()
    again = rnnkit.Model.from_config(json.loads(json.dumps(config)))
    assert json.loads(json.dumps(again.get_config())) == json.loads(json.dumps(config))
    again.set_weights(model.get_weights())
    x = masked_ids()
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


# ---- the Keras oracle -------------------------------------------------------------------------------
@pytest.mark.oracle
def test_example_summary_equals_keras(keras):
    keras.utils.clear_session()
    ours, theirs = imdb_example(rnnkit), imdb_example(keras)
    assert summary_lines(ours) == summary_lines(theirs)
    assert ours.count_params() == theirs.count_params() == 2_757_761


@pytest.mark.oracle
def test_dag_summary_equals_keras(keras):
    """A graph that is not a chain: Keras's fourth column, "Connected to" (no masks here:
    Keras would list its mask operations as rows)."""
    def build(lib):
        L = lib.layers
        inputs = lib.Input(shape=(None,), dtype="int32")
        e = L.Embedding(50, 8)(inputs)
        a = L.LSTM(4, return_sequences=True)(e)
        shared = L.Dense(4)
        d1 = shared(a)
        d2 = shared(d1)
        m = L.Concatenate()([d1, d2]) if lib is keras else TinyConcat(name="concatenate")([d1, d2])
        return lib.Model(inputs, L.Dense(1, activation="sigmoid")(L.LSTM(3)(m)))

    keras.utils.clear_session()
    ours, theirs = build(rnnkit), build(keras)
    lines = summary_lines(ours)
    assert [l.replace("(TinyConcat) ", "(Concatenate)") for l in lines] == summary_lines(theirs)
    assert any("Connected to" in l for l in lines)


@pytest.mark.oracle
def test_example_predictions_equal_keras(keras):
    x, _ = reviews(n=6, maxlen=15)
    ours, theirs = imdb_example(rnnkit), imdb_example(keras)
    copy_weights_to_keras(ours, theirs)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)


def _fitted_example(lib, x, y):
    """The keras.io example in ``lib`` (rnnkit or Keras), compiled as the example does and
    fitted one epoch on (x, y)."""
    model = imdb_example(lib, max_features=500)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    return model


@pytest.mark.oracle
def test_keras_reads_our_example_file(keras, tmp_path):
    x, y = reviews(n=16, maxlen=10, max_features=500)
    ours = _fitted_example(rnnkit, x, y)
    ours.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    assert type(theirs).__name__ == "Functional"
    np.testing.assert_allclose(theirs.predict(x, verbose=0), ours.predict(x, verbose=0),
                               atol=1e-5)
    np.testing.assert_allclose(theirs.train_on_batch(x, y), ours.train_on_batch(x, y), atol=1e-5)


@pytest.mark.oracle
def test_we_read_keras_example_file(keras, tmp_path):
    x, y = reviews(n=16, maxlen=10, max_features=500)
    theirs = _fitted_example(keras, x, y)
    theirs.save(tmp_path / "theirs.keras")
    ours = rnnkit.models.load_model(tmp_path / "theirs.keras")
    assert isinstance(ours, rnnkit.models.Functional)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)
    assert ours.optimizer.iterations == 2


@pytest.mark.oracle
def test_masked_dag_files_both_ways(keras, tmp_path):
    """Keras writes its mask operations (NotEqual, LogicalOr …) into the graph; rnnkit drops
    them and recomputes the masks. Keras reads rnnkit's graph and recomputes its own."""
    x = masked_ids()
    L = keras.layers
    inputs = keras.Input(shape=(9,), dtype="int32")
    a = L.LSTM(4, return_sequences=True)(L.Embedding(40, 5, mask_zero=True)(inputs))
    shared = L.Dense(4, activation="tanh")
    theirs = keras.Model(inputs, L.Dense(1, activation="sigmoid")(L.LSTM(3)(shared(shared(a)))))
    theirs.save(tmp_path / "theirs.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "theirs.keras").read("config.json"))
    assert any(e["class_name"] == "NotEqual" for e in config["config"]["layers"])
    _loads_here_and_back(keras, theirs, x, tmp_path)


def _loads_here_and_back(keras, theirs, x, tmp_path):
    """Keras's saved file loads here with Keras's predictions, and ours written back loads in
    Keras with them too."""
    ours = rnnkit.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)
    ours.save(tmp_path / "ours.keras")
    again = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               atol=1e-5)


@pytest.mark.oracle
def test_keras_masked_concatenate_graph_loads_here(keras, tmp_path):
    """Keras's mask operations around a Concatenate of masked branches, and a shared Dense."""
    x = masked_ids()
    theirs = dag(keras, keras.layers.Concatenate)
    theirs.save(tmp_path / "theirs.keras")
    _loads_here_and_back(keras, theirs, x, tmp_path)


def test_insight_looks_inside_a_graph():
    """Every recurrent layer of the graph, each called once, is looked at (the values are
    tests/insight/test_graph_models.py's business)."""
    from rnnkit.insight import gate_activations
    seen = gate_activations(dag(rnnkit, TinyConcat), masked_ids())
    assert sorted(layer.cell for layer in seen.layers) == ["GRUCell", "LSTMCell", "LSTMCell"]


@pytest.mark.oracle
def test_our_graph_config_is_keras_config(keras):
    """The graph as Keras 3 writes it: each layer's entry keys, name, build shape and inbound
    nodes (tensors with shape, dtype and history; call keywords), input and output layers.
    (The layers' own options are the Sequential tests' business.)"""
    def build(lib):
        L = lib.layers
        inputs = lib.Input(shape=(None,), dtype="int32")
        e = L.Embedding(50, 8)(inputs)
        a = L.Bidirectional(L.LSTM(4, return_sequences=True))(e)
        shared = L.Dense(8)
        x = L.Dropout(0.1)(shared(shared(a)))
        return lib.Model(inputs, L.Dense(1, activation="sigmoid")(L.GRU(3)(x)))

    keras.utils.clear_session()
    ours, theirs = build(rnnkit).get_config(), build(keras).get_config()

    def graph(config):
        return json.loads(json.dumps(
            {"layers": [{k: v for k, v in entry.items() if k != "config"}
                        for entry in config["layers"]],
             "input_layers": config["input_layers"], "output_layers": config["output_layers"]},
            default=list))

    assert graph(ours) == graph(theirs)


@pytest.mark.parametrize("feed", [
    lambda m, a, b: m([a, b]), lambda m, a, b: m.predict([a, b]),
    lambda m, a, b: m({"title": a, "body": b}), lambda m, a, b: m.predict({"title": a, "body": b}),
])
def test_a_two_input_model_is_refused_in_one_line_whatever_form_its_data_takes(feed):
    # inputs of different lengths: NumPy would first fail on the ragged list it cannot stack
    title, body = rnnkit.Input((20,), name="title"), rnnkit.Input((50,), name="body")
    embedding, lstm = rnnkit.layers.Embedding(100, 8), rnnkit.layers.LSTM(4)
    merged = rnnkit.layers.Concatenate()([lstm(embedding(title)), lstm(embedding(body))])
    model = rnnkit.Model([title, body], rnnkit.layers.Dense(1)(merged))
    with pytest.raises(ValueError, match=r"^model 'functional\w*' has 2 inputs; rnnkit's engines "
                                         r"and training loop feed one array, so it cannot run "
                                         r"on data \(it builds, summarises and saves"):
        feed(model, np.zeros((3, 20), int), np.zeros((3, 50), int))
