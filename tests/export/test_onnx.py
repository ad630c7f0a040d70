"""ONNX export: onnxruntime on the exported graph equals rnnkit's ``model.predict`` (1e-5, float32)
for every cell, direction, merge mode, activation and masking case the engines have; what ONNX
cannot express is refused in one line.

The expected values are the NumPy engine's predictions (tested equal to real Keras elsewhere);
the graph is run by onnxruntime, which shares no code with rnnkit. Weights are random in ±0.6 so
that no gate block looks like another, and the token ids put padding (id 0) before, between and
after the words, and fill one row entirely.
"""

from __future__ import annotations

import numpy as np
import pytest

import rnnkit
from rnnkit import layers
from rnnkit.layers.cells import RecurrentCell
from rnnkit.onnx_export import NotExportableError, build_graph
from rnnkit.workflow.encoders import onehot

ort = pytest.importorskip("onnxruntime")

V, T = 20, 7


def token_ids(batch=6, time=T, seed=0):
    """Rows: all words; pre-padded; zeros in the middle; all padding; post-padded; every other."""
    x = np.random.default_rng(seed).integers(1, V, (batch, time))
    holes = [slice(0, 0), np.s_[:3], np.s_[2:4], np.s_[:], np.s_[-2:], np.s_[::2]]
    for row, hole in zip(range(batch), holes):
        x[row, hole] = 0
    return x


#: (batch, time) shapes the same graph must take: several rows, one row, shorter, longer
BATCHES = [token_ids(), token_ids(1, T, seed=1), token_ids(4, 3, seed=2), token_ids(6, 11, 3),
           np.zeros((1, 5), np.int64)]


def randomized(model, seed=0, scale=0.6):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-scale, scale, w.shape) for w in model.weights])
    return model


def ids_model(*body, mask_zero=True, head=None):
    """Embedding(V, 5) → body → head (Dense(3, softmax)), for any length, random weights."""
    model = rnnkit.Sequential([layers.Input((None,)), layers.Embedding(V, 5, mask_zero=mask_zero),
                               *body, head or layers.Dense(3, activation="softmax")])
    return randomized(model)


def run_onnx(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    return session.run(None, {name: x})[0]


def assert_onnx_equals_rnnkit(model, tmp_path, batches=BATCHES, to_input=None, **export_kwargs):
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx", verbose=False, **export_kwargs)
    for ids in batches:
        x = ids if to_input is None else to_input(ids)
        feed = x.astype(np.int64) if x.ndim == 2 else x.astype(np.float32)
        got = run_onnx(path, feed if not export_kwargs.get("one_hot_input") else ids)
        expected = model.predict(x, verbose=0)
        assert got.dtype == np.float32 and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5, err_msg=str(ids.shape))


RECURRENT = {
    "SimpleRNN": lambda **kw: layers.SimpleRNN(4, **kw),
    "LSTM": lambda **kw: layers.LSTM(4, **kw),
    "GRU": lambda **kw: layers.GRU(4, **kw),
    "GRU(reset_after=False)": lambda **kw: layers.GRU(4, reset_after=False, **kw),
    "RNN(SimpleRNNCell)": lambda **kw: layers.RNN(layers.SimpleRNNCell(4), **kw),
    "RNN(LSTMCell)": lambda **kw: layers.RNN(layers.LSTMCell(4), **kw),
    "RNN(GRUCell(reset_after=False))":
        lambda **kw: layers.RNN(layers.GRUCell(4, reset_after=False), **kw),
}


@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "go_backwards"])
@pytest.mark.parametrize("mask_zero", [True, False], ids=["masked", "unmasked"])
@pytest.mark.parametrize("kind", list(RECURRENT))
def test_one_recurrent_layer(kind, mask_zero, go_backwards, tmp_path):
    model = ids_model(RECURRENT[kind](go_backwards=go_backwards), mask_zero=mask_zero)
    assert_onnx_equals_rnnkit(model, tmp_path)


@pytest.mark.parametrize("mask_zero", [True, False], ids=["masked", "unmasked"])
@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU", "GRU(reset_after=False)"])
def test_stacked_layers_pass_sequences_and_the_mask_on(kind, mask_zero, tmp_path):
    # A go_backwards sequence stays in processing order while the mask it passes on is in time
    # order (Keras's rule): the next layer reads it that way, holes and all.
    make = RECURRENT[kind]
    model = ids_model(make(return_sequences=True, go_backwards=True), layers.Dropout(0.5),
                      make(return_sequences=True), layers.Dense(4, activation="tanh"), make(),
                      mask_zero=mask_zero)
    assert_onnx_equals_rnnkit(model, tmp_path)


@pytest.mark.parametrize("mask_zero", [True, False], ids=["masked", "unmasked"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul"])
def test_bidirectional_in_each_merge_mode(merge_mode, mask_zero, tmp_path):
    model = ids_model(layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode),
                      layers.Bidirectional(layers.GRU(3), merge_mode=merge_mode),
                      mask_zero=mask_zero)
    assert_onnx_equals_rnnkit(model, tmp_path)


def _operators(model):
    graph = build_graph(model)[0].graph
    return [(n.op_type, next((a.s.decode() for a in n.attribute if a.name == "direction"), ""))
            for n in graph.node if n.op_type in ("RNN", "LSTM", "GRU")]


def test_bidirectional_is_one_operator_with_its_activations_for_both_directions(tmp_path):
    model = ids_model(layers.Bidirectional(layers.LSTM(4, activation="linear",
                                                       recurrent_activation="hard_sigmoid",
                                                       return_sequences=True)),
                      layers.Bidirectional(layers.GRU(3, activation="hard_sigmoid")))
    assert _operators(model) == [("LSTM", "bidirectional"), ("GRU", "bidirectional")]
    assert_onnx_equals_rnnkit(model, tmp_path)


@pytest.mark.parametrize("mask_zero", [True, False], ids=["masked", "unmasked"])
def test_bidirectional_with_a_backward_layer_of_its_own_is_two_operators(mask_zero, tmp_path):
    model = ids_model(
        layers.Bidirectional(layers.SimpleRNN(4, return_sequences=True), backward_layer=layers.
                             SimpleRNN(4, return_sequences=True, go_backwards=True,
                                       activation="relu")),
        layers.Bidirectional(layers.GRU(3), merge_mode="ave", backward_layer=layers.GRU(
            3, go_backwards=True, reset_after=False)),
        mask_zero=mask_zero)
    assert [d for _, d in _operators(model)] == ["forward", "forward", "forward", "forward"]
    assert_onnx_equals_rnnkit(model, tmp_path)


ACTIVATIONS = [
    ("SimpleRNN", {"activation": "relu"}),
    ("SimpleRNN", {"activation": "linear"}),
    ("SimpleRNN", {"activation": "sigmoid"}),
    ("SimpleRNN", {"activation": "hard_sigmoid"}),
    ("LSTM", {"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
    ("LSTM", {"activation": "linear"}),                          # Sigmoid, Affine, Affine
    ("LSTM", {"activation": "hard_sigmoid", "recurrent_activation": "linear"}),
    ("GRU", {"recurrent_activation": "hard_sigmoid"}),
    ("GRU", {"activation": "hard_sigmoid"}),                     # Sigmoid, HardSigmoid
    ("GRU", {"activation": "relu", "reset_after": False}),
]


@pytest.mark.parametrize("kind, options", ACTIVATIONS,
                         ids=[f"{k}-{'-'.join(map(str, o.values()))}" for k, o in ACTIVATIONS])
def test_non_default_activations(kind, options, tmp_path):
    model = ids_model(getattr(layers, kind)(4, **options))
    assert_onnx_equals_rnnkit(model, tmp_path)


@pytest.mark.parametrize("activation", ["tanh", "relu", "hard_sigmoid", "linear", "sigmoid"])
def test_dense_activations(activation, tmp_path):
    model = ids_model(layers.GRU(4), layers.Dense(5, activation=activation),
                      head=layers.Dense(2, activation=activation))
    assert_onnx_equals_rnnkit(model, tmp_path)


def test_layers_without_bias(tmp_path):
    model = ids_model(layers.LSTM(4, use_bias=False, return_sequences=True),
                      layers.GRU(4, use_bias=False, return_sequences=True),
                      layers.GRU(4, use_bias=False, reset_after=False, return_sequences=True),
                      layers.SimpleRNN(3, use_bias=False),
                      head=layers.Dense(1, activation="sigmoid", use_bias=False))
    assert_onnx_equals_rnnkit(model, tmp_path)


def test_inference_ignores_dropout(tmp_path):
    model = ids_model(layers.Dropout(0.5), layers.LSTM(4, dropout=0.3, recurrent_dropout=0.3),
                      layers.Dropout(0.5), head=layers.Dense(1, activation="sigmoid"))
    assert_onnx_equals_rnnkit(model, tmp_path)


@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "go_backwards"])
def test_zero_output_for_mask_on_the_last_output(go_backwards, tmp_path):
    # The last step processed being masked zeroes the output (post-padded rows forwards,
    # pre-padded rows backwards).
    model = ids_model(layers.SimpleRNN(4, zero_output_for_mask=True, go_backwards=go_backwards))
    assert_onnx_equals_rnnkit(model, tmp_path)


def one_hot_model():
    model = rnnkit.Sequential([layers.Input((None, V)), layers.SimpleRNN(4),
                               layers.Dense(1, activation="sigmoid")])
    return randomized(model)


def test_one_hot_float_input(tmp_path):
    assert_onnx_equals_rnnkit(one_hot_model(), tmp_path, to_input=lambda ids: onehot(ids, V))


def test_one_hot_input_takes_ids_and_makes_rnnkits_one_hot_vectors(tmp_path):
    # rnnkit's one-hot: id 0 (padding) is the zero vector
    assert_onnx_equals_rnnkit(one_hot_model(), tmp_path, to_input=lambda ids: onehot(ids, V),
                              one_hot_input=True)


def _dims(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_the_graph_declares_its_input_and_output(tmp_path):
    proto, signature = build_graph(ids_model(layers.GRU(4)))
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert (inp.name, _dims(inp)) == ("token_ids", ["batch", "time"])
    assert (out.name, _dims(out)) == ("probabilities", ["batch", 3])
    assert signature.describe() == \
        "token_ids int64 [batch, time] → probabilities float32 [batch, 3]"
    float_proto, _ = build_graph(one_hot_model())
    assert _dims(float_proto.graph.input[0]) == ["batch", "time", V]
    linear, _ = build_graph(ids_model(layers.GRU(4), head=layers.Dense(2)))
    assert linear.graph.output[0].name == "outputs"           # not probabilities: no squashing


def test_an_input_signature_fixes_axes(tmp_path):
    proto, _ = build_graph(ids_model(layers.GRU(4)), input_signature=[(None, 7)])
    assert _dims(proto.graph.input[0]) == ["batch", 7]
    with pytest.raises(ValueError, match=r"input_signature \(None, 7, 3\) does not fit"):
        build_graph(ids_model(layers.GRU(4)), input_signature=(None, 7, 3))


def test_opset_version_and_the_ir_version_old_runtimes_read(tmp_path):
    import onnx
    model = ids_model(layers.LSTM(4))
    proto, _ = build_graph(model)
    assert [o.version for o in proto.opset_import] == [17] and proto.ir_version == 8
    assert_onnx_equals_rnnkit(model, tmp_path, batches=BATCHES[:1], opset_version=15)
    assert onnx.load(tmp_path / "model.onnx").opset_import[0].version == 15
    with pytest.raises(ValueError, match="opset_version=13 is outside"):
        model.export(tmp_path / "old.onnx", format="onnx", opset_version=13)


def test_export_replaces_the_file_and_says_what_it_wrote(tmp_path, capsys):
    path = tmp_path / "model.onnx"
    path.write_text("old")
    ids_model(layers.GRU(4)).export(path, format="onnx")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and str(path) in out and "token_ids int64 [batch, time]" in out
    assert run_onnx(path, token_ids()).shape == (6, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]     # no temporary file left


# ---- refusals: one line naming what and why, and no file -------------------------------------
class LeakyCell(RecurrentCell):
    """A cell of the user's own: h' = h/2 + tanh(xw + h·U)/2."""

    def step(self, xw_t, states, masks=None):
        h = states[0]
        return (0.5 * h + 0.5 * np.tanh(xw_t + h @ self.recurrent_kernel),), None

    def step_backward(self, d_states, cache, grads):
        raise NotImplementedError("inference only")


class RenamedLSTMCell(layers.LSTMCell):
    """A subclass may change the step, so it is not exported as its parent."""


class MyDense(layers.Dense):
    pass


REFUSED = {
    "LayerNormLSTM": (lambda: ids_model(layers.LayerNormLSTM(4)),
                      (r"layer 'layer_norm_lstm' \(LayerNormLSTM\): cell LayerNormLSTMCell "
                       r"cannot be exported to ONNX: ONNX's LSTM operator has no layer "
                       r"normalization")),
    "RNN(LayerNormLSTMCell)": (lambda: ids_model(layers.RNN(layers.LayerNormLSTMCell(4))),
                               "cell LayerNormLSTMCell cannot be exported"),
    "custom cell": (lambda: ids_model(layers.RNN(LeakyCell(4))),
                    ("cell LeakyCell cannot be exported to ONNX: ONNX's RNN, LSTM and GRU "
                     "operators compute only")),
    "subclass of a cell": (lambda: ids_model(layers.RNN(RenamedLSTMCell(4))),
                           "cell RenamedLSTMCell cannot be exported"),
    "custom layer": (lambda: ids_model(layers.GRU(4), head=MyDense(1)),
                     r"layer 'my_dense' \(MyDense\) cannot be exported to ONNX: no exporter"),
    "in Bidirectional": (lambda: ids_model(layers.Bidirectional(layers.LayerNormLSTM(4))),
                         "cell LayerNormLSTMCell cannot be exported"),
    "per-step output": (lambda: ids_model(layers.LSTM(4, return_sequences=True)),
                        "outputs one vector per time step"),
    "merge_mode None": (lambda: rnnkit.Sequential([layers.Input((None,)), layers.Embedding(V, 4),
                                                   layers.Bidirectional(layers.GRU(3), None)]),
                        "merge_mode=None, which returns two outputs"),
    "not built": (lambda: rnnkit.Sequential([layers.Embedding(V, 4), layers.GRU(3)]),
                  "is not built"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_onnx_cannot_express_is_refused_in_one_line(case, tmp_path):
    make, message = REFUSED[case]
    with pytest.raises(NotExportableError, match=message) as e:
        make().export(tmp_path / "model.onnx", format="onnx")
    assert "\n" not in str(e.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("format", ["tf_saved_model", "torch", "h5"])
def test_other_formats_are_refused_naming_onnx(format, tmp_path):
    model = ids_model(layers.GRU(4))
    with pytest.raises(ValueError, match='it exports ONNX: pass format="onnx"'):
        model.export(tmp_path / "model", format=format)
    with pytest.raises(ValueError, match="Keras's format 'tf_saved_model'"):
        model.export(tmp_path / "model")                      # Keras's default format
    assert not list(tmp_path.iterdir())


def test_one_hot_input_is_for_one_hot_models(tmp_path):
    with pytest.raises(NotExportableError, match="reads token ids already"):
        ids_model(layers.GRU(4)).export(tmp_path / "m.onnx", format="onnx", one_hot_input=True)


def test_without_onnx_rnnkit_imports_and_export_says_what_to_install():
    from install._blocking import run_python
    done = run_python("""
        import sys
        import rnnkit
        from rnnkit import layers
        assert not {"onnx", "onnxruntime"} & set(sys.modules), "import rnnkit imported onnx"
        model = rnnkit.Sequential([layers.Input((None,)), layers.Embedding(9, 3), layers.GRU(2)])
        try:
            model.export("never.onnx", format="onnx")
        except ImportError as e:
            print(type(e).__name__, e)
    """, absent=("onnx", "onnxruntime"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == 'OnnxMissingError ONNX export needs the onnx package: pip install ' \
                          '"rnnkit[onnx]"\n'
