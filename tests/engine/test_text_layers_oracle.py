"""The text layers against real Keras 3 (torch backend): outputs, input gradients, weight
gradients (1e-5) and the mask each passes on, for random weights and every mask kind.

Keras's gradients come from torch autograd on the Keras layer; the mask reaches Keras the way
it does inside a model, attached to the input tensor (``set_keras_mask``).
"""

import numpy as np
import pytest

from rnnkit import layers

from ._text_layer_cases import (
    CASES,
    MASKING,
    F,
    T,
    inputs,
    masking_input,
    masks,
    randomize,
)

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
if keras.backend.backend() != "torch":
    pytest.skip("the oracle runs Keras on its torch backend", allow_module_level=True)
from keras.src.backend import get_keras_mask, set_keras_mask

pytestmark = [pytest.mark.oracle,
              pytest.mark.filterwarnings("ignore:Layer .* does not support masking")]
ATOL = RTOL = 1e-5


def keras_run(k_layer, x, mask, dy):
    """Keras's output, dL/dx, dL/dw (L = Σ dy ⊙ y) and the mask it attaches to the output."""
    x_t = torch.tensor(x, requires_grad=True)
    x_in = x_t * 1.0                 # a non-leaf copy carries the mask, the leaf the gradient
    if mask is not None:
        set_keras_mask(x_in, torch.tensor(mask))
    y = k_layer(x_in)
    (y * torch.tensor(dy)).sum().backward()
    out_mask = get_keras_mask(y)
    grads = [v.value.grad.numpy() for v in k_layer.trainable_weights]
    return (y.detach().numpy(), x_t.grad.numpy(), grads,
            None if out_mask is None else out_mask.numpy())


def compare(ours, theirs, x, mask):
    ours.ensure_built((None,) + x.shape[1:])
    theirs.build((None,) + x.shape[1:])
    weights = randomize(ours)
    assert [tuple(w.shape) for w in theirs.get_weights()] == [w.shape for w in weights]
    theirs.set_weights(weights)
    y, cache = ours.forward_train(x, training=False, mask=mask)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    dx, grads = ours.backward(dy, cache)
    k_y, k_dx, k_grads, k_mask = keras_run(theirs, x, mask, dy)
    np.testing.assert_allclose(y, k_y, atol=ATOL, rtol=RTOL, err_msg="output")
    np.testing.assert_allclose(ours.forward(x, mask=mask), k_y, atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(dx, k_dx, atol=ATOL, rtol=RTOL, err_msg="input gradient")
    assert len(grads) == len(ours.weight_names) == len(k_grads)
    for name, g, k in zip(ours.weight_names, grads, k_grads, strict=True):
        np.testing.assert_allclose(g, k, atol=ATOL, rtol=RTOL, err_msg=name)
    our_mask = ours.compute_mask(x, mask)
    assert (our_mask is None) == (k_mask is None), f"mask: ours {our_mask}, Keras {k_mask}"
    if k_mask is not None:
        np.testing.assert_array_equal(our_mask, k_mask)


@pytest.mark.parametrize("mask", ["none", "pre", "post", "both"])
@pytest.mark.parametrize("case", CASES)
def test_text_layer_equals_keras(case, mask):
    compare(CASES[case](layers), CASES[case](keras.layers), inputs(), masks()[mask])


@pytest.mark.parametrize("mask", ["none", "post"])
@pytest.mark.parametrize("case", MASKING)
def test_masking_equals_keras(case, mask):
    """Masking makes the mask from the values (an incoming one is replaced) and zeroes padding."""
    x, real = masking_input(case)
    ours = MASKING[case](layers)
    compare(ours, MASKING[case](keras.layers), x, masks()[mask])
    np.testing.assert_array_equal(ours.compute_mask(x, masks()[mask]), real)


@pytest.mark.parametrize("case", ["conv_causal_dilated", "conv_same_strided_relu",
                                  "max_pool_same_overlapping", "conv_valid_tanh"])
@pytest.mark.parametrize("steps", [1, 2, 5, 8, 9])
def test_window_lengths_equal_keras(case, steps):
    """Odd and even lengths, shorter than the window too: Keras's padding and output length."""
    ours, theirs = CASES[case](layers), CASES[case](keras.layers)
    try:
        expected = theirs.compute_output_shape((None, steps, F))
    except ValueError:
        with pytest.raises(ValueError, match="use padding='same'"):
            ours.compute_output_shape((None, steps, F))
        return
    assert ours.compute_output_shape((None, steps, F)) == tuple(expected)
    compare(ours, theirs, inputs(shape=(3, steps, F)), None)


def test_glorot_fans_of_a_conv_kernel_are_keras():
    """Keras's glorot_uniform for (k, C_in, F) counts the receptive field: limit √(6/(k·C_in +
    k·F)); the initial kernel's range must match it."""
    conv = layers.Conv1D(64, 5)
    conv.ensure_built((None, T, 32))
    limit = np.sqrt(6.0 / (5 * 32 + 5 * 64))
    assert np.abs(conv.kernel).max() <= limit
    assert np.abs(conv.kernel).max() > 0.95 * limit
