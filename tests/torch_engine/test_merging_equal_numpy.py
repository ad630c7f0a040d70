"""The merge layers on the torch engine equal the NumPy engine: outputs, every input's gradient
(autograd against the hand-written backward) and the output mask, in float32 (1e-5) and
float64 (1e-9), for every case and mask kind."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine._merging_cases import CASES, MASK_KINDS, inputs, layer, masks

from rnnkit import layers as L
from rnnkit.engines.torch_engine import TorchNetwork, build_module

TOL = {"float32": 1e-5, "float64": 1e-9}


def _tensors(arrays):
    return None if arrays is None else [None if a is None else torch.tensor(a) for a in arrays]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", MASK_KINDS)
@pytest.mark.parametrize("case", CASES)
def test_merge_torch_equals_numpy(case, kind, dtype):
    tol = TOL[dtype]
    xs, ms = inputs(case, dtype), masks(case, kind)
    ours = layer(case, L, dtype=dtype)
    y = ours(xs, mask=ms)
    _, cache = ours.forward_train(xs, training=False, mask=ms)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    dxs, _ = ours.backward(dy, cache)
    module = build_module(ours)
    xs_t = [torch.tensor(x, requires_grad=True) for x in xs]
    y_t = module(xs_t, _tensors(ms))
    (y_t * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y_t.detach().numpy(), y, rtol=tol, atol=tol, err_msg="output")
    for i, (x_t, dx) in enumerate(zip(xs_t, dxs, strict=True)):
        np.testing.assert_allclose(x_t.grad.numpy(), dx, rtol=tol, atol=tol, err_msg=f"dx_{i}")
    ours_mask, theirs = ours.compute_mask(xs, ms), module.compute_mask(xs_t, _tensors(ms))
    assert (ours_mask is None) == (theirs is None)
    if ours_mask is not None:
        np.testing.assert_array_equal(theirs.numpy(), ours_mask)


def test_merge_heads_a_torch_network():
    """A merge as the first block of a TorchNetwork: its list input, then a Dense."""
    xs = inputs("concat_3d_3")
    cat, dense = L.Concatenate(), L.Dense(2)
    joined = cat(xs)
    dense.ensure_built((None,) + joined.shape[1:])
    expected = dense.forward(joined)
    net = TorchNetwork([cat, dense])
    assert net.keras_parameters() == list(net.blocks[1].keras_parameters())
    np.testing.assert_allclose(net([torch.tensor(x) for x in xs]).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)
