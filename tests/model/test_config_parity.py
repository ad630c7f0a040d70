"""The config.json rnnkit writes is the one Keras 3 writes for the same model, value by value.

Each model of the zoo is built in both libraries with default names (both sessions cleared
first, so the automatic names agree) and written the way ``model.save`` writes config.json:
rnnkit's ``model_to_keras_json``, Keras's saving code (``serialize_keras_object`` under its
object-sharing scope). The two JSON documents must be equal entry by entry, key order included,
after the differences kept on purpose are taken out of Keras's side; each of those is asserted
to be there, with the reason it stays (see also docs/model_api.md, "Files").
"""

import json

import pytest

import rnnkit
from rnnkit.saving import keras_format

pytestmark = pytest.mark.oracle


# ---- the zoo ------------------------------------------------------------------------------------
def bidirectional_lstm(lib):
    L = lib.layers
    model = lib.Sequential([lib.Input((7,)), L.Embedding(20, 4), L.Bidirectional(L.LSTM(3)),
                            L.Dense(1, "sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def recurrent_options(lib):
    L, init = lib.layers, lib.initializers
    return lib.Sequential([
        lib.Input((9,)), L.Embedding(30, 6, mask_zero=True),
        L.LSTM(5, return_sequences=True, unit_forget_bias=False, dropout=0.1,
               recurrent_dropout=0.2, activation="relu", recurrent_activation="hard_sigmoid",
               seed=3),
        L.GRU(4, reset_after=False, return_sequences=True, go_backwards=True, use_bias=False),
        L.GRU(4, return_sequences=True, dropout=0.2, kernel_initializer="he_normal",
              recurrent_initializer="glorot_normal", bias_initializer="ones"),
        L.SimpleRNN(3, activation="relu", dropout=0.1, return_sequences=True,
                    kernel_initializer="lecun_uniform"),
        L.LSTM(2, go_backwards=True, use_bias=False,
               kernel_initializer=init.RandomNormal(0.0, 0.1, seed=5),
               recurrent_initializer=init.Orthogonal(gain=2.0)),
        L.Dense(3, activation="softmax", use_bias=False,
                kernel_initializer=init.VarianceScaling(2.0, "fan_out", "uniform"))])


def bidirectional_merge(mode):
    def build(lib):
        L = lib.layers
        return lib.Sequential([
            lib.Input((7,)), L.Embedding(20, 4),
            L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode=mode),
            L.Bidirectional(L.SimpleRNN(2, dropout=0.1), merge_mode=mode), L.Dense(1)])
    return build


def bidirectional_given_backward_layer(lib):
    L = lib.layers
    backward = L.LSTM(3, go_backwards=True, activation="relu")
    return lib.Sequential([lib.Input((7,)), L.Embedding(20, 4),
                           L.Bidirectional(L.LSTM(3), backward_layer=backward), L.Dense(1)])


def text_layers(lib):
    L = lib.layers
    model = lib.Sequential([
        lib.Input((12,)), L.Embedding(40, 8), L.SpatialDropout1D(0.2),
        L.Conv1D(6, 3, padding="same", activation="relu"), L.MaxPooling1D(2),
        L.LayerNormalization(epsilon=1e-5), L.Conv1D(4, 2), L.GlobalMaxPooling1D(),
        L.Activation("tanh"), L.Dropout(0.3, seed=1), L.Dense(1)])
    model.compile(optimizer=lib.optimizers.SGD(0.1, momentum=0.9, nesterov=True), loss="mse")
    return model


def masking_and_average_pooling(lib):
    L = lib.layers
    model = lib.Sequential([lib.Input((12, 3)), L.Masking(0.0),
                            L.LSTM(4, return_sequences=True), L.GlobalAveragePooling1D(),
                            L.Dense(2)])
    schedule = lib.optimizers.schedules.ExponentialDecay(0.01, 100, 0.9)
    model.compile(optimizer=lib.optimizers.RMSprop(schedule), loss="mse")
    return model


def flatten(lib):
    L = lib.layers
    model = lib.Sequential([lib.Input((6,)), L.Embedding(10, 3), L.Flatten(), L.Dense(1)])
    schedule = lib.optimizers.schedules.CosineDecay(0.01, 100)
    model.compile(optimizer=lib.optimizers.Adam(schedule), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def rnn_of_cells(lib):
    L = lib.layers
    return lib.Sequential([lib.Input((7, 3)), L.RNN(L.LSTMCell(4), return_sequences=True),
                           L.RNN(L.GRUCell(3, reset_after=False)), L.Dense(1)])


def merge_graph(lib, mask_zero=False):
    """Every merge layer, a Dense shared by two branches, a Bidirectional without merge.

    With masks, Keras concatenates the masks of a Concatenate with a Concatenate operation
    that takes the next automatic name, so there the Concatenate layers are named."""
    L = lib.layers

    def concatenate(name):
        return L.Concatenate(name=name if mask_zero else None)

    inputs = lib.Input(shape=(9,), dtype="int32")
    e = L.Embedding(40, 5, mask_zero=mask_zero)(inputs)
    a = L.LSTM(4, return_sequences=True)(e)
    b = L.GRU(4, return_sequences=True)(e)
    shared = L.Dense(4, activation="tanh")
    sa, sb = shared(a), shared(b)
    merged = concatenate("all")([concatenate("branches")([sa, sb, a]), L.Add()([sa, sb]),
                              L.Average()([sa, a]), L.Multiply()([sb, b])])
    both = L.Bidirectional(L.LSTM(3), merge_mode=None)(merged)
    model = lib.Model(inputs, L.Dense(1, activation="sigmoid")(concatenate("both")(both)))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    return model


ZOO = {"bidirectional_lstm": bidirectional_lstm, "recurrent_options": recurrent_options,
       **{f"bidirectional_{mode}": bidirectional_merge(mode)
          for mode in ("concat", "sum", "mul", "ave")},
       "bidirectional_given_backward_layer": bidirectional_given_backward_layer,
       "text_layers": text_layers, "masking_and_average_pooling": masking_and_average_pooling,
       "flatten": flatten, "rnn_of_cells": rnn_of_cells, "merge_graph": merge_graph}


# ---- writing both ---------------------------------------------------------------------------
def both_configs(keras, build):
    """(rnnkit's config.json, Keras's config.json) as JSON values, for fresh twin models."""
    from keras.src.saving import saving_lib

    keras.utils.clear_session()
    theirs = json.loads(saving_lib._serialize_model_as_json(build(keras))[0])
    rnnkit.layers.clear_session()
    ours = json.loads(json.dumps(keras_format.model_to_keras_json(build(rnnkit))[0]))
    return ours, theirs


def differences(ours, theirs, path="") -> list[str]:
    """Every path where the two JSON values differ, a dict's key order included."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = [f"{path}: keys {list(ours)} vs Keras's {list(theirs)}"] \
            if list(ours) != list(theirs) else []
        for key in ours.keys() & theirs.keys():
            found += differences(ours[key], theirs[key], f"{path}/{key}")
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [d for i, (a, b) in enumerate(zip(ours, theirs))
                for d in differences(a, b, f"{path}/{i}")]
    if ours != theirs or type(ours) is not type(theirs):
        return [f"{path}: {json.dumps(ours)[:160]} vs Keras's {json.dumps(theirs)[:160]}"]
    return []


# ---- the differences kept on purpose ---------------------------------------------------------
def drop_shared_object_ids(value) -> int:
    """Keras marks an object it serializes twice (the dtype policy every layer shares with the
    model, an RNN's initializers written by the layer and its cell) with ``shared_object_id``:
    the object's id() in the saving process, so a value no other writer can reproduce, used
    only to hand the same Python object to both places on load. rnnkit writes none; Keras
    then makes equal objects instead of one shared one. Returns how many were dropped."""
    if isinstance(value, list):
        return sum(drop_shared_object_ids(v) for v in value)
    if not isinstance(value, dict):
        return 0
    dropped = int(value.pop("shared_object_id", None) is not None)
    return dropped + sum(drop_shared_object_ids(v) for v in value.values())


def public_optimizer_module(theirs) -> None:
    """Keras on the torch backend writes its torch subclass of the optimizer (module
    ``keras.src.backend.torch.optimizers.torch_adam``, registered as ``Adam``); rnnkit writes
    the public class (``keras.optimizers``), which Keras on every backend loads and which
    needs no torch to import."""
    optimizer = theirs.get("compile_config", {}).get("optimizer")
    if not isinstance(optimizer, dict):
        return
    name = optimizer["class_name"]
    assert optimizer["module"] == f"keras.src.backend.torch.optimizers.torch_{name.lower()}"
    assert optimizer["registered_name"] == name
    optimizer.update(module="keras.optimizers", registered_name=None)


# A cell in rnnkit is one step's math, not a layer: it has no name, trainable flag or dtype of
# its own and is not built on its own. Keras's cell entries have them; Keras fills in the same
# defaults when they are missing, so it reads rnnkit's cell entries alike.
_CELL_LAYER_KEYS = ("name", "trainable", "dtype")


def cell_layer_keys(theirs) -> None:
    for entry in theirs["config"]["layers"]:
        cell = entry["config"].get("cell")
        if cell is None:
            continue
        config = cell["config"]
        build_shape = cell.pop("build_config")["input_shape"]     # one step: (batch, features)
        assert build_shape == [entry["build_config"]["input_shape"][0],
                               entry["build_config"]["input_shape"][-1]]
        assert config["trainable"] is True and config["name"].endswith("_cell")
        cell["config"] = {k: v for k, v in config.items() if k not in _CELL_LAYER_KEYS}


def keras_with_kept_differences_removed(theirs) -> dict:
    assert drop_shared_object_ids(theirs) > 0   # the model's dtype policy is always shared
    public_optimizer_module(theirs)
    cell_layer_keys(theirs)
    return theirs


# ---- the tests ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ZOO))
def test_config_json_equals_keras(keras, name):
    ours, theirs = both_configs(keras, ZOO[name])
    assert differences(ours, keras_with_kept_differences_removed(theirs)) == []


@pytest.mark.parametrize("name", list(ZOO))
def test_keras_config_reads_back_to_the_same_config(keras, name):
    """rnnkit rebuilds Keras's config (forward_/backward_ layers, seeds, axes, build configs)
    into a model that writes the same config again."""
    ours, theirs = both_configs(keras, ZOO[name])
    rnnkit.layers.clear_session()
    again = keras_format.model_from_keras_json(theirs)
    if theirs.get("compile_config"):
        again.compile(**keras_format.compile_from_keras(theirs["compile_config"]))
    assert differences(json.loads(json.dumps(keras_format.model_to_keras_json(again)[0])),
                       ours) == []


def test_masked_graph_differs_only_by_keras_mask_operations(keras):
    """With Embedding(mask_zero=True) Keras records the operations its masks are computed with
    (NotEqual, …) as entries of the graph and passes their outputs as the ``mask`` of the
    layers that read them. rnnkit computes masks with each layer's compute_mask when the graph
    runs, so it writes neither: its layers' nodes say ``mask: None``, which makes Keras
    compute the masks again when it loads the file. Nothing else differs."""
    ours, theirs = both_configs(keras, lambda lib: merge_graph(lib, mask_zero=True))
    theirs = keras_with_kept_differences_removed(theirs)
    layers = theirs["config"]["layers"]
    operations = {e["name"] for e in layers if e["module"].startswith("keras.src.ops")}
    assert "not_equal" in operations
    theirs["config"]["layers"] = [e for e in layers if e["name"] not in operations]
    masks_replaced = 0
    for entry in theirs["config"]["layers"]:
        for node in entry["inbound_nodes"]:
            if isinstance(node["kwargs"].get("mask"), (dict, list)):
                node["kwargs"]["mask"] = None
                masks_replaced += 1
    assert masks_replaced > 0
    assert differences(ours, theirs) == []


def test_initializer_axes_are_accepted_only_unset():
    """Keras's VarianceScaling family may take the fans from chosen axes; rnnkit does not, so
    it takes the options (Keras writes them) only at None, and refuses others in one line."""
    from rnnkit import initializers

    assert initializers.get({"class_name": "HeNormal",
                             "config": {"seed": 4, "input_axes": None, "output_axes": None}}
                            ).get_config() == {"seed": 4, "input_axes": None, "output_axes": None}
    with pytest.raises(ValueError, match=r"^GlorotUniform: output_axes=\[1\] is not supported "
                                         r"by rnnkit; remove it$"):
        initializers.get({"class_name": "GlorotUniform", "config": {"output_axes": [1]}})


def test_configs_written_before_keras_form_still_load():
    """A Bidirectional config as rnnkit wrote it before: ``layer`` without the forward_ prefix
    and no backward_layer. It rebuilds the same two directions as the Keras form."""
    old = {"name": "bidirectional", "merge_mode": "sum",
           "layer": {"class_name": "GRU", "config": {"name": "gru", "units": 3,
                                                      "return_sequences": True}}}
    layer = rnnkit.layers.Bidirectional.from_config(old)
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_gru", "backward_gru")
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    again = rnnkit.layers.Bidirectional.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
