"""One mapping per layer kind, both ways; counts stay Keras's; the right path runs; notices."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rnnkit import layers as L  # noqa: E402
from rnnkit.engines.torch_engine import CudnnOffNotice, TorchNetwork, build_module  # noqa: E402
from rnnkit.engines.torch_engine import weight_mapping as wm  # noqa: E402
from rnnkit.engines.torch_engine.recurrent import TorchRecurrent  # noqa: E402

B, T, F, U = 3, 5, 4, 2


def random_weights(layer, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(w.shape).astype(w.dtype) for w in layer.params()]


def built(layer, shape=(None, T, F)):
    layer.ensure_built(shape)
    return layer


@pytest.mark.parametrize("make,to_torch,to_keras", [
    (lambda: L.Dense(3), wm.dense_to_torch, wm.dense_to_keras),
    (lambda: L.Dense(3, use_bias=False), wm.dense_to_torch, wm.dense_to_keras),
    (lambda: L.SimpleRNN(U), wm.simple_rnn_to_torch, wm.simple_rnn_to_keras),
    (lambda: L.LSTM(U), wm.lstm_to_torch, wm.lstm_to_keras),
    (lambda: L.LSTM(U, use_bias=False), wm.lstm_to_torch, wm.lstm_to_keras),
    (lambda: L.GRU(U), wm.gru_to_torch, lambda t: wm.gru_to_keras(t, True)),
    (lambda: L.GRU(U, reset_after=False), wm.gru_to_torch, lambda t: wm.gru_to_keras(t, False)),
])
def test_mapping_round_trips(make, to_torch, to_keras):
    layer = built(make())
    weights = random_weights(layer)
    back = to_keras(to_torch(weights))
    assert len(back) == len(weights)
    for a, b in zip(weights, back):
        np.testing.assert_array_equal(a, b)


def test_embedding_mapping_round_trips():
    layer = built(L.Embedding(7, 3), (None, T))
    weights = random_weights(layer)
    np.testing.assert_array_equal(wm.embedding_to_keras(wm.embedding_to_torch(weights))[0],
                                  weights[0])


def test_gru_blocks_are_reordered_z_r_h_to_r_z_n():
    """Keras's z block must land in PyTorch's second block, r in the first."""
    layer = built(L.GRU(U))
    kernel = np.concatenate([np.full((F, U), v, np.float32) for v in (1.0, 2.0, 3.0)], axis=1)
    bias = np.stack([np.repeat([10.0, 20.0, 30.0], U), np.repeat([40.0, 50.0, 60.0], U)])
    t = wm.gru_to_torch([kernel, np.zeros((U, 3 * U), np.float32), bias.astype(np.float32)])
    assert t["weight_ih_l0"].shape == (3 * U, F)
    np.testing.assert_array_equal(t["weight_ih_l0"][:, 0], np.repeat([2.0, 1.0, 3.0], U))
    np.testing.assert_array_equal(t["bias_ih_l0"], np.repeat([20.0, 10.0, 30.0], U))
    np.testing.assert_array_equal(t["bias_hh_l0"], np.repeat([50.0, 40.0, 60.0], U))


def test_lstm_and_simple_rnn_get_a_zero_recurrent_bias():
    for layer in (built(L.LSTM(U)), built(L.SimpleRNN(U)), built(L.GRU(U, reset_after=False))):
        t = {"LSTM": wm.lstm_to_torch, "SimpleRNN": wm.simple_rnn_to_torch,
             "GRU": wm.gru_to_torch}[type(layer).__name__](random_weights(layer))
        np.testing.assert_array_equal(t["bias_hh_l0"], 0.0)


@pytest.mark.parametrize("layers,expected", [
    ([L.Embedding(500, 16), L.LSTM(8), L.Dense(1)], 8809),
    ([L.Embedding(500, 16), L.GRU(8), L.Dense(1)], 8000 + 624 + 9),
    ([L.Embedding(10000, 32), L.SimpleRNN(32)], 320000 + 2080),
    ([L.Embedding(10, 128), L.Bidirectional(L.GRU(64))], 1280 + 74496),
    ([L.Embedding(10, 8), L.GRU(8, reset_after=False)], 80 + 3 * 8 * 17),
])
def test_trainable_parameter_counts_stay_keras(layers, expected):
    shape = (None, 7)
    for layer in layers:
        layer.ensure_built(shape)
        shape = layer.compute_output_shape(shape)
    assert sum(layer.count_params() for layer in layers) == expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CudnnOffNotice)
        net = TorchNetwork(layers)
    assert sum(p.numel() for p in net.trainable_parameters()) == expected


def stack_of_layers():
    layers = [built(L.Embedding(9, F), (None, T)), built(L.GRU(U, return_sequences=True)),
              built(L.Bidirectional(L.LSTM(U)), (None, T, U)), built(L.Dense(2), (None, 2 * U))]
    for i, layer in enumerate(layers):
        layer.set_weights(random_weights(layer, i))
    return layers


def test_copied_weights_round_trip_through_the_network():
    layers = stack_of_layers()
    expected = [layer.get_weights() for layer in layers]
    net = TorchNetwork(layers, share=False)
    for layer in layers:                     # scramble, then write the torch copy back
        layer.set_weights([w * 0 for w in layer.params()])
    net.write_to_layers()
    for layer, weights in zip(layers, expected):
        for a, b in zip(layer.get_weights(), weights):
            np.testing.assert_array_equal(a, b)


def test_shared_weights_are_the_description_arrays():
    """On the CPU a torch update is a description update, and set_weights reaches torch."""
    layers = stack_of_layers()
    net = TorchNetwork(layers)
    assert len(net.keras_parameters()) == sum(len(layer.params()) for layer in layers)
    with torch.no_grad():
        for p in net.keras_parameters():
            p.mul_(2.0)
    for layer, block in zip(layers, net.blocks):
        for a, p in zip(layer.params(), block.keras_parameters()):
            np.testing.assert_array_equal(a, p.detach().numpy())
    layers[1].set_weights([np.ones_like(w) for w in layers[1].params()])
    assert all(bool((p == 1).all()) for p in net.blocks[1].keras_parameters())


# ---- which path runs ----------------------------------------------------------------------------
def spy(module):
    calls = []
    for name in ("_run_fused", "_run_scripted", "_run_truncated"):
        original = getattr(module, name)

        def wrapped(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)
        setattr(module, name, wrapped)
    return calls


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_padded_batches_take_the_fused_path(padding):
    mask = np.ones((B, T), bool)
    mask[0, :2] = False if padding == "pre" else True
    mask[1, -3:] = False if padding == "post" else True
    with warnings.catch_warnings():
        warnings.simplefilter("error", CudnnOffNotice)
        module = build_module(built(L.LSTM(U, dropout=0.3)))
        calls = spy(module)
        module.train()(torch.zeros(B, T, F), torch.tensor(mask))
    assert calls == ["_run_fused"]


def test_a_mask_with_a_gap_falls_back_with_one_notice():
    mask = np.ones((B, T), bool)
    mask[0, 2] = False
    module = build_module(built(L.GRU(U)))
    calls = spy(module)
    with pytest.warns(CudnnOffNotice, match="gaps"):
        module(torch.zeros(B, T, F), torch.tensor(mask))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CudnnOffNotice)   # said once, not every batch
        module(torch.zeros(B, T, F), torch.tensor(mask))
    assert calls == ["_run_fused", "_run_scripted"] * 2


@pytest.mark.parametrize("make,reason", [
    (lambda: L.GRU(U, reset_after=False), "reset_after=False"),
    (lambda: L.LSTM(U, recurrent_activation="hard_sigmoid"), "recurrent_activation"),
    (lambda: L.SimpleRNN(U, activation="linear"), "activation='linear'"),
    (lambda: L.LSTM(U, recurrent_dropout=0.2), "in training: recurrent_dropout=0.2"),
    (lambda: L.GRU(U, bptt_truncate=3), "in training: bptt_truncate=3"),
])
def test_configurations_cudnn_cannot_run_give_a_one_line_notice(make, reason):
    with pytest.warns(CudnnOffNotice, match=reason) as record:
        build_module(built(make()))
    assert "\n" not in str(record[0].message)


def test_recurrent_dropout_layer_runs_fused_at_inference():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CudnnOffNotice)
        module = build_module(built(L.LSTM(U, recurrent_dropout=0.2)))
    calls = spy(module)
    module.eval()(torch.zeros(B, T, F))
    module.train()(torch.zeros(B, T, F))
    assert calls == ["_run_fused", "_run_scripted"]
    assert isinstance(module, TorchRecurrent)


# ---- torch is optional ------------------------------------------------------------------------------
def test_rnnkit_import_does_not_import_torch():
    code = "import sys, rnnkit, rnnkit.engines; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_torch_the_engine_says_how_to_install_it():
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import rnnkit.engines.torch_engine\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = out.stdout.strip()
    assert "pip install 'rnnkit[torch]'" in line and "\n" not in line
