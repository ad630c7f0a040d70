"""The merge layers Concatenate, Add, Average and Multiply (called on lists of arrays):

* float64 gradient checks of every input's gradient (< 1e-6), every case and mask kind;
* against real Keras 3 (torch backend): outputs, input gradients (1e-5) and output masks, the
  masks attached to the inputs as inside a Keras model; which shapes build, and to what;
* configs (Keras's keys, save-format round trip) and one-line errors for inputs that cannot merge.
"""

import numpy as np
import pytest

from rnnkit import layers
from rnnkit.gradcheck import check_gradients
from rnnkit.saving import keras_format

from ._merging_cases import CASES, MASK_KINDS, inputs, layer, masks

TOL = 1e-6
ATOL = RTOL = 1e-5


@pytest.fixture
def keras():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the oracle runs Keras on its torch backend")
    return keras


# ---- gradients ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", MASK_KINDS)
@pytest.mark.parametrize("case", CASES)
def test_merge_gradients(case, kind):
    xs = inputs(case, "float64")
    errors = check_gradients(layer(case, layers, dtype="float64"), xs, mask=masks(case, kind))
    assert sorted(errors) == [f"input_{i}" for i in range(len(xs))]
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{worst}: relative error {errors[worst]:.2e}\n{errors}"


def test_multiply_gradient_is_the_product_rule():
    """dL/dx_1 = dy · x_2 · x_3 exactly, by the formula rather than by differences."""
    xs = inputs("multiply_3d_3", "float64")
    mul = layers.Multiply(dtype="float64")
    y, cache = mul.forward_train(xs)
    dy = np.random.default_rng(2).standard_normal(y.shape)
    dxs, grads = mul.backward(dy, cache)
    assert grads == []
    np.testing.assert_allclose(dxs[0], dy * xs[1] * xs[2], rtol=1e-15)
    np.testing.assert_allclose(dxs[2], dy * xs[0] * xs[1], rtol=1e-15)


# ---- Keras oracle -----------------------------------------------------------------------------
def keras_run(keras, k_layer, xs, ms, dy):
    """Keras's output, [dL/dx_i] (L = Σ dy ⊙ y), the mask it attaches to the output and its
    ``compute_mask`` on the same masks."""
    import torch
    from keras.src.backend import get_keras_mask, set_keras_mask

    leaves = [torch.tensor(x, requires_grad=True) for x in xs]
    ins = [t * 1.0 for t in leaves]     # non-leaf copies carry the masks, the leaves the grads
    ms_t = None if ms is None else [None if m is None else torch.tensor(m) for m in ms]
    for t, m in zip(ins, ms_t or []):
        if m is not None:
            set_keras_mask(t, m)
    y = k_layer(ins)
    (y * torch.tensor(dy)).sum().backward()
    attached, computed = get_keras_mask(y), k_layer.compute_mask(ins, ms_t)
    return (y.detach().numpy(), [t.grad.numpy() for t in leaves],
            *(None if m is None else m.numpy() for m in (attached, computed)))


def assert_same_mask(ours, theirs, what):
    assert (ours is None) == (theirs is None), f"{what}: ours {ours}, Keras {theirs}"
    if theirs is not None:
        np.testing.assert_array_equal(ours, theirs, err_msg=what)


@pytest.mark.oracle
@pytest.mark.parametrize("kind", MASK_KINDS)
@pytest.mark.parametrize("case", CASES)
def test_merge_equals_keras(keras, case, kind):
    xs, ms = inputs(case), masks(case, kind)
    ours = layer(case, layers)
    y = ours(xs, mask=ms)
    y_train, cache = ours.forward_train(xs, training=False, mask=ms)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    dxs, grads = ours.backward(dy, cache)
    k_y, k_dxs, k_attached, k_computed = keras_run(keras, layer(case, keras.layers), xs, ms, dy)
    np.testing.assert_allclose(y, k_y, atol=ATOL, rtol=RTOL, err_msg="output")
    np.testing.assert_allclose(y_train, k_y, atol=ATOL, rtol=RTOL, err_msg="forward_train")
    assert grads == [] and len(dxs) == len(k_dxs)
    for i, (dx, k_dx) in enumerate(zip(dxs, k_dxs, strict=True)):
        assert dx.shape == xs[i].shape
        np.testing.assert_allclose(dx, k_dx, atol=ATOL, rtol=RTOL, err_msg=f"dx_{i}")
    our_mask = ours.compute_mask(xs, ms)
    assert_same_mask(our_mask, k_computed, "compute_mask")
    assert_same_mask(our_mask, k_attached, "the mask on Keras's output")


BUILD_SHAPES = [
    [(None, 3), (None, 3)],
    [(None, 3), (None, 4)],
    [(None, 6, 3), (None, 1, 3), (None, 6, 1)],
    [(None, 6, 3), (None, 3)],
    [(None, 6, 3), (None, 6)],
    [(2, 6, 3), (5, 6, 3)],
    [(None, None, 3), (None, 6, 3)],
    [(None, 6, 3), (None, 2, 3)],
    [(None, 6, 3), (None, 6, 4), (None, 6, 1)],
    [(None, 2), (None, 3), (None, 4)],
    [(None, 3)],
]


@pytest.mark.oracle
@pytest.mark.parametrize("make", [_k for _k in ("Add", "Average", "Multiply", "Concatenate",
                                                "Concatenate_1")])
@pytest.mark.parametrize("shapes", BUILD_SHAPES, ids=str)
def test_build_accepts_and_refuses_what_keras_does(keras, make, shapes):
    """Keras's build refuses (ValueError) ⇔ ours does; otherwise the output shapes agree."""
    def new(lib):
        name, _, axis = make.partition("_")
        return getattr(lib, name)(**({"axis": int(axis)} if axis else {}))

    theirs, ours = new(keras.layers), new(layers)
    try:
        theirs.build(shapes)
        expected = tuple(theirs.compute_output_shape(shapes))
    except ValueError:
        with pytest.raises(ValueError, match=ours.name):
            ours.build(shapes)
        return
    ours.build(shapes)
    assert ours.compute_output_shape(shapes) == expected


# ---- configs -----------------------------------------------------------------------------------
MAKERS = {"Concatenate": lambda L: L.Concatenate(axis=1, name="joined"),
          "Add": lambda L: L.Add(name="summed"),
          "Average": lambda L: L.Average(name="mean"),
          "Multiply": lambda L: L.Multiply(name="gated")}


@pytest.mark.parametrize("name", MAKERS)
def test_config_round_trip(name):
    ours = MAKERS[name](layers)
    config = ours.get_config()
    again = type(ours).from_config(config)
    assert type(again) is type(ours) and again.get_config() == config
    assert again.multi_input and not layers.Dense(2).multi_input
    entry, extras = keras_format.layer_to_keras(ours)
    assert (entry["module"], entry["class_name"], extras) == ("keras.layers", name, {})
    assert keras_format.layer_from_keras(entry).get_config() == config


@pytest.mark.oracle
@pytest.mark.parametrize("name", MAKERS)
def test_config_is_keras(keras, name):
    """Keras's keys; Keras rebuilds our entry, and we rebuild Keras's."""
    ours, theirs = MAKERS[name](layers), MAKERS[name](keras.layers)
    assert list(ours.get_config()) == list(theirs.get_config())
    entry, _ = keras_format.layer_to_keras(ours)
    rebuilt = keras.layers.deserialize(entry)
    assert type(rebuilt) is type(theirs)
    assert rebuilt.get_config() == theirs.get_config()
    loaded = keras_format.layer_from_keras(keras.layers.serialize(theirs))
    assert loaded.get_config() == ours.get_config()


# ---- errors ------------------------------------------------------------------------------------
def _one_line(excinfo, *words):
    message = str(excinfo.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_elementwise_merge_refuses_unequal_shapes():
    with pytest.raises(ValueError) as e:
        layers.Add(name="add")([np.ones((2, 3)), np.ones((2, 4))])
    _one_line(e, "'add'", "(2, 3)", "(2, 4)", "make the shapes match")


def test_concatenate_refuses_a_mismatch_off_its_axis():
    with pytest.raises(ValueError) as e:
        layers.Concatenate(axis=1, name="cat").build([(None, 6, 3), (None, 6, 4)])
    _one_line(e, "'cat'", "axis 2", "concatenate along the axis where they differ")


def test_concatenate_refuses_mixed_ranks_and_a_missing_axis():
    with pytest.raises(ValueError) as e:
        layers.Concatenate().build([(None, 6, 3), (None, 3)])
    _one_line(e, "same rank")
    with pytest.raises(ValueError) as e:
        layers.Concatenate(axis=3).build([(None, 6, 3), (None, 6, 3)])
    _one_line(e, "axis=3", "[-3, 2]")


def test_merge_refuses_different_batch_sizes():
    with pytest.raises(ValueError) as e:
        layers.Average()([np.ones((2, 3)), np.ones((5, 3))])
    _one_line(e, "batch sizes", "same number of samples")


def test_merge_refuses_one_array_or_one_shape():
    with pytest.raises(ValueError) as e:
        layers.Multiply()(np.ones((2, 3)))
    _one_line(e, "merges a list", "layer([x_1, x_2, …])")
    with pytest.raises(ValueError) as e:
        layers.Concatenate().build((None, 3))
    _one_line(e, "merges a list", "one shape per input")


def test_merge_refuses_masks_that_do_not_fit():
    xs = inputs("add_3d_3")
    with pytest.raises(ValueError) as e:
        layers.Add()(xs, mask=[None, None])
    _one_line(e, "one mask (or None) per input", "a list of 3", "got a list of 2")
    with pytest.raises(ValueError) as e:
        layers.Add()(xs, mask=np.ones((4, 6), bool))
    _one_line(e, "got one ndarray", "mask=[m_1, …]")
    with pytest.raises(ValueError) as e:
        layers.Add()(xs, mask=[None, np.ones((4, 5), bool), None])
    _one_line(e, "mask of input 1", "(4, 5)", "without the last axis")


@pytest.mark.parametrize("case", ["concat_axis1_3d_3", "multiply_3d_3"])
def test_inference_writes_nothing_on_the_layer(case):
    ours = layer(case, layers)
    ours(inputs(case))
    before = dict(vars(ours))
    ours.forward(inputs(case, seed=1), mask=masks(case, "every"))
    ours.forward_train(inputs(case, seed=2), training=False, mask=masks(case, "first"))
    assert vars(ours).keys() == before.keys()
    assert all(vars(ours)[k] is v for k, v in before.items())
