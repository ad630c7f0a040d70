"""One cell protocol: a cell defined here, outside rnnkit, runs like the built-in ones.

``LeakyRNNCell`` (a leaky integrator, h' = (1 − α)⊙h + α⊙tanh(xw + h·U)) is written in this file
only: its NumPy step and step backward, its torch step. ``layers.RNN(cell)`` must then pass the
float64 gradient check, round-trip through get_config/from_config and a .keras file, work inside
Bidirectional, and train on both engines with the same results.
"""

import warnings
import zipfile
from dataclasses import dataclass

import numpy as np
import pytest

import rnnkit
from rnnkit import layers as L
from rnnkit.gradcheck import check_gradients
from rnnkit.layers.cells import (
    RecurrentCell,
    recurrent_matmul,
    recurrent_matmul_backward,
)

from ._cell_helpers import (B, F, T, U, assert_torch_engine_equal, inputs, padding, randomized,
                            reloaded, token_data)


@dataclass
class LeakyStepCache:
    h_in: np.ndarray              # h̃ (or its masked copies)
    g: np.ndarray                 # tanh(xw + h̃·U)
    masks: np.ndarray | None



class LeakyRNNCell(RecurrentCell):
    """h' = (1 − α)⊙h + α⊙tanh(xw + h·U): a SimpleRNN whose state leaks at rate α."""

    def __init__(self, units, leak=0.5, **kwargs):
        super().__init__(units, **kwargs)
        self.leak = float(leak)

    def step(self, xw_t, states, masks=None):
        (h,) = states
        h_in, hU = recurrent_matmul(h, self.recurrent_kernel, masks)
        g = np.tanh(xw_t + hU)
        return ((1 - self.leak) * h + self.leak * g,), LeakyStepCache(h_in, g, masks)

    def step_backward(self, d_states, cache, grads):
        (dh_new,) = d_states
        d_pre = dh_new * self.leak * (1 - cache.g ** 2)               # through α·tanh
        dU, dh = recurrent_matmul_backward(cache.h_in, self.recurrent_kernel, cache.masks, d_pre)
        grads.recurrent += dU
        return d_pre, ((1 - self.leak) * dh_new + dh,)               # … and the leak path

    def torch_step(self, ops, weights, xw_t, states, masks=None):
        (h,) = states
        g = ops.torch.tanh(xw_t + ops.recurrent_matmul(h, weights["recurrent_kernel"], masks))
        return ((1 - self.leak) * h + self.leak * g,)

    def get_config(self):
        return {**super().get_config(), "leak": self.leak}


class NoBackwardCell(RecurrentCell):
    def step(self, xw_t, states, masks=None):
        return states, None


class NumpyOnlyCell(LeakyRNNCell):
    torch_step = RecurrentCell.torch_step        # as if never written


class TwoBlockCell(LeakyRNNCell):
    """Reads two gate blocks of xw_t (a gate and a candidate) but leaves n_gates at 1."""

    def step(self, xw_t, states, masks=None):
        u = self.units
        (h,) = states
        f = 1 / (1 + np.exp(-(xw_t[:, :u] + h @ self.recurrent_kernel[:, :u])))
        c = np.tanh(xw_t[:, u:2 * u] + (f * h) @ self.recurrent_kernel[:, u:2 * u])
        return ((1 - f) * h + f * c,), None


class TwoStatesCell(LeakyRNNCell):
    """Declares one state but returns two."""

    def step(self, xw_t, states, masks=None):
        (h,), cache = super().step(xw_t, states, masks)
        return (h, h), cache


def leaky(dtype="float64", **kw):
    return L.RNN(LeakyRNNCell(U, leak=0.3), dtype=dtype, **kw)


# ---- NumPy engine -------------------------------------------------------------------------------
@pytest.mark.parametrize("options", [
    {}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
    {"return_state": True}])
def test_a_cell_defined_outside_passes_the_gradient_check(options):
    errors = check_gradients(randomized(leaky(**options)), inputs(), mask=padding())
    assert max(errors.values()) < 1e-6, errors


def test_with_recurrent_dropout_in_training():
    layer = randomized(leaky(dropout=0.2, recurrent_dropout=0.3, return_sequences=True))
    errors = check_gradients(layer, inputs(), training=True)
    assert max(errors.values()) < 1e-6, errors


def test_the_leak_is_the_cells_own_math():
    """Against the equation computed here by hand, one step at a time."""
    layer = randomized(leaky(return_sequences=True))
    x = inputs()
    W, Uw, b = layer.get_weights()
    h = np.zeros((B, U))
    expected = []
    for t in range(T):
        h = 0.7 * h + 0.3 * np.tanh(x[:, t] @ W + h @ Uw + b)
        expected.append(h)
    np.testing.assert_allclose(layer(x), np.stack(expected, 1), atol=1e-12)


def test_config_nests_the_cell_as_keras_does_and_round_trips():
    layer = randomized(leaky(return_sequences=True, dropout=0.1))
    config = layer.get_config()
    assert config["cell"]["class_name"] == "LeakyRNNCell"
    assert config["cell"]["config"]["leak"] == 0.3 and config["cell"]["config"]["units"] == U
    again = L.RNN.from_config(config)
    assert isinstance(again.cell, LeakyRNNCell) and again.get_config() == config
    again.ensure_built((None, T, F))
    again.set_weights(layer.get_weights())
    np.testing.assert_array_equal(again(inputs()), layer(inputs()))


def test_rnn_of_a_keras_cell_equals_the_named_layer():
    """RNN(LSTMCell(u)) and LSTM(u) are one layer: same weights, same outputs."""
    x = inputs()
    named = randomized(L.LSTM(U, return_sequences=True, dtype="float64"))
    generic = L.RNN(L.LSTMCell(U), return_sequences=True, dtype="float64")
    generic.ensure_built((None, T, F))
    generic.set_weights(named.get_weights())
    np.testing.assert_array_equal(generic(x, mask=padding()), named(x, mask=padding()))


def test_bidirectional_wraps_rnn_of_a_cell():
    """Bidirectional(RNN(cell)) = the forward layer beside the backward copy, time-aligned."""
    bi = L.Bidirectional(leaky(return_sequences=True))
    bi.ensure_built((None, T, F))
    again = L.Bidirectional.from_config(bi.get_config())
    assert isinstance(again.backward_layer.cell, LeakyRNNCell)
    x = inputs()
    y = bi(x)
    fwd = bi.forward_layer(x)
    back = bi.backward_layer(x)[:, ::-1]
    np.testing.assert_allclose(y, np.concatenate([fwd, back], -1), atol=1e-12)
    errors = check_gradients(randomized(L.Bidirectional(leaky())), inputs(), mask=padding())
    assert max(errors.values()) < 1e-6, errors


def _model(engine_dtype="float32"):
    rnnkit.utils.set_random_seed(3)
    model = rnnkit.Sequential([rnnkit.Input((T,)), L.Embedding(20, F, mask_zero=True),
                               L.Bidirectional(L.RNN(LeakyRNNCell(U, leak=0.4),
                                                     return_sequences=True)),
                               L.RNN(LeakyRNNCell(U)), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=rnnkit.optimizers.Adam(0.05), loss="binary_crossentropy")
    return model


def test_a_model_with_the_cell_saves_and_loads(tmp_path):
    model = _model()
    loaded = reloaded(model, tmp_path / "leaky.keras")
    assert isinstance(loaded.layers[2].cell, LeakyRNNCell)
    assert loaded.layers[2].cell.leak == 0.5
    x, _ = token_data()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def _renamed_cell_file(model, path):
    """``model`` saved, its file then naming LeakyRNNCell "LeakyCellV1" (a class since renamed)."""
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["config.json"] = members["config.json"].replace(b'"LeakyRNNCell"', b'"LeakyCellV1"')
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_custom_objects_name_a_cell_as_keras_does(tmp_path):
    from rnnkit.layers import cells
    model = _model()
    path = _renamed_cell_file(model, tmp_path / "renamed.keras")
    with pytest.raises(ValueError) as e:
        rnnkit.models.load_model(path)
    message = str(e.value)
    assert "\n" not in message
    assert "classes rnnkit does not know: LeakyCellV1" in message
    assert "custom_objects={'LeakyCellV1': LeakyCellV1}" in message
    loaded = rnnkit.models.load_model(path, custom_objects={"LeakyCellV1": LeakyRNNCell})
    assert isinstance(loaded.layers[2].cell, LeakyRNNCell)
    x, _ = token_data()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert "LeakyCellV1" not in cells._CELLS           # the name held for that load only


def test_custom_objects_other_than_cells_are_refused_in_one_line(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    with pytest.raises(TypeError, match=r"^custom_objects\['Mine'\] is <class 'int'>: rnnkit "
                                         r"loads your own recurrent cells"):
        rnnkit.models.load_model(path, custom_objects={"Mine": int})


# ---- errors ---------------------------------------------------------------------------------------
def test_a_cell_without_step_backward_is_refused_by_name():
    with pytest.raises(TypeError, match="NoBackwardCell lacks step_backward"):
        L.RNN(NoBackwardCell(2))


def test_a_step_that_does_not_fit_n_gates_is_said_at_build():
    """Not a NumPy broadcast error mid-training: one line, at build, naming n_gates."""
    layer = L.RNN(TwoBlockCell(4))
    with pytest.raises(ValueError) as e:
        layer.build((None, T, F))
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith(f"cell TwoBlockCell: step fails on its own weights (kernel ({F}, 4), "
                              f"recurrent_kernel (4, 4), bias (4,); n_gates = 1): ")
    assert "n_gates must be the number of units-wide blocks step reads from xw_t" in message


def test_a_step_returning_the_wrong_states_is_said_at_build():
    with pytest.raises(ValueError, match=r"cell TwoStatesCell: step returned states of shapes "
                                         r"\[\(1, 4\), \(1, 4\)\] for a batch of 1; "
                                         r"state_names \('h',\) asks for 1 of \(1, 4\)"):
        L.RNN(TwoStatesCell(4)).build((None, T, F))


def test_a_second_cell_class_of_the_same_name_elsewhere_is_said(monkeypatch):
    from rnnkit.layers import cells
    monkeypatch.setitem(cells._CELLS, "LeakyRNNCell", LeakyRNNCell)   # restored afterwards
    with pytest.warns(UserWarning, match="LeakyRNNCell of elsewhere replaces"):
        type("LeakyRNNCell", (LeakyRNNCell,), {"__module__": "elsewhere"})


def test_a_subclass_that_changes_the_math_does_not_inherit_the_fused_module():
    _torch()
    from rnnkit.engines.torch_engine.recurrent import fused_blockers

    class HalfLSTMCell(L.LSTMCell):          # LSTM's weights, other math: no cuDNN for it
        step, step_backward, torch_step = (LeakyRNNCell.step, LeakyRNNCell.step_backward,
                                           LeakyRNNCell.torch_step)

    layer = L.RNN(HalfLSTMCell(U))
    always, _ = fused_blockers(layer)
    assert always == ["HalfLSTMCell has no fused PyTorch module"]
    assert fused_blockers(L.LSTM(U))[0] == []


def test_something_that_is_not_a_cell_is_refused():
    with pytest.raises(TypeError, match="RecurrentCell"):
        L.RNN(object())


# ---- torch engine ---------------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "go_backwards": True}])
def test_torch_engine_runs_the_cell_equal_to_numpy(options):
    _torch()
    assert_torch_engine_equal(randomized(leaky("float32", **options)), inputs("float32"),
                              padding())


def test_the_model_trains_the_same_on_both_engines():
    _torch()
    x, y = token_data()
    histories = {}
    for engine in ("numpy", "torch"):
        model = _model()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.compile(optimizer=rnnkit.optimizers.Adam(0.05), loss="binary_crossentropy",
                          engine=engine)
            histories[engine] = model.fit(x, y, epochs=4, batch_size=16, shuffle=False,
                                          verbose=0).history["loss"]
    np.testing.assert_allclose(histories["torch"], histories["numpy"], rtol=1e-5)
    assert histories["numpy"][-1] < histories["numpy"][0]


def test_the_torch_engine_names_a_missing_torch_step():
    _torch()
    from rnnkit.engines.torch_engine import build_module
    layer = L.RNN(NumpyOnlyCell(U))
    layer.ensure_built((None, T, F))
    with pytest.raises(TypeError, match="NumpyOnlyCell has no torch_step"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_module(layer)
