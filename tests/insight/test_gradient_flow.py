"""Per-step gradient norms from the NumPy engine's hand-written BPTT equal torch autograd's.

The reference here is independent of the code under test: the recurrent layer is unrolled in
torch from the cell's ``torch_step`` (its own torch spelling of the step, no hand-written
backward), every per-step state keeps its gradient (``retain_grad``), the layers above run as
the torch engine's modules (``torch.nn``'s fused LSTM for a stacked one) or as plain torch, and
the loss is written out. ∂L/∂h_s comes from ``loss.backward()``; ‖∂h_T/∂h_s‖_F from u calls of
``torch.autograd.grad`` on the units of h_T.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import rnnkit
from rnnkit import layers
from rnnkit.insight import gradient_flow, vanishing_distance

torch = pytest.importorskip("torch")

CELLS = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}
ARRANGEMENTS = ("forward", "go_backwards", "bidirectional", "stacked")
B, T, V, E, U = 4, 9, 13, 5, 3
TOL = {"float32": 1e-5, "float64": 1e-9}


def ids(masked: bool) -> np.ndarray:
    """Token ids; masked: row 0 pre-padded by 3, row 1 post-padded by 2, row 2 with a hole."""
    x = np.random.default_rng(3).integers(1, V, (B, T))
    if masked:
        x[0, :3] = 0
        x[1, -2:] = 0
        x[2, 4] = 0
    return x


def build(cell: str, arrangement: str, dtype: str, masked: bool):
    """Embedding → the recurrent layer(s) → Dense(1, sigmoid), random weights in ±0.8."""
    rnn = CELLS[cell]
    if arrangement == "bidirectional":
        middle = [layers.Bidirectional(rnn(U, dtype=dtype), dtype=dtype)]
    elif arrangement == "stacked":
        middle = [rnn(U, return_sequences=True, dtype=dtype), layers.LSTM(U + 1, dtype=dtype)]
    else:
        middle = [rnn(U, go_backwards=arrangement == "go_backwards", dtype=dtype)]
    model = rnnkit.Sequential([layers.Input((T,)),
                               layers.Embedding(V, E, mask_zero=masked, dtype=dtype),
                               *middle, layers.Dense(1, activation="sigmoid", dtype=dtype)])
    rng = np.random.default_rng(7)
    model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(dtype) for w in model.weights])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    return model


# ---- the torch reference ---------------------------------------------------------------------------
def unrolled(rnn, x, mask):
    """The layer's steps in torch: (output as the layer returns it, [states after step s]) in
    processing order, each state retaining its gradient."""
    from rnnkit.engines.torch_engine.ops import OPS
    cell = rnn.cell
    w = {name: torch.tensor(getattr(cell, name), requires_grad=True) for name in cell.weight_names}
    bias = cell.input_bias_of(w)
    xw = x @ w["kernel"] + (0 if bias is None else bias)
    states = tuple(torch.zeros(x.shape[0], rnn.units, dtype=x.dtype) for _ in cell.state_names)
    steps = []
    for s in range(x.shape[1]):
        t = x.shape[1] - 1 - s if rnn.go_backwards else s
        new = cell.torch_step(OPS, w, xw[:, t], states)
        if mask is not None:
            new = tuple(torch.where(mask[:, t, None], n, o) for n, o in zip(new, states))
        for state in new:
            state.retain_grad()
        states = new
        steps.append(new)
    out = torch.stack([st[0] for st in steps], 1) if rnn.return_sequences else states[0]
    return out, steps


def torch_reference(model, x, y, arrangement):
    """{direction: (∂L/∂h_s (B, T, u), ‖∂h_T/∂h_s‖_F (B, T))} by autograd."""
    from rnnkit.engines.torch_engine import CudnnOffNotice, build_module
    embedding, recurrent, *above = model.compute_layers
    emb = torch.tensor(embedding.forward(x))            # a constant below the layer looked at
    mask = torch.tensor(x != 0) if embedding.mask_zero else None
    directions = ([("forward", recurrent.forward_layer), ("backward", recurrent.backward_layer)]
                  if arrangement == "bidirectional" else
                  [("backward" if recurrent.go_backwards else "forward", recurrent)])
    runs = {name: unrolled(rnn, emb, mask) for name, rnn in directions}
    h = torch.cat([runs[name][0] for name, _ in directions], dim=-1)
    if arrangement == "stacked":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CudnnOffNotice)
            h = build_module(above.pop(0))(h, mask)    # torch.nn.LSTM, fused
    (dense,) = above
    p = torch.sigmoid(h @ torch.tensor(dense.kernel) + torch.tensor(dense.bias))[:, 0]
    y_t = torch.tensor(y, dtype=p.dtype)
    loss = -(y_t * torch.log(p) + (1 - y_t) * torch.log(1 - p)).mean()
    loss.backward(retain_graph=True)
    out = {}
    for name, rnn in directions:
        steps = runs[name][1]
        hs = [st[0] for st in steps]
        grads = torch.stack([h_s.grad for h_s in hs], 1).numpy()
        squares = 0
        for k in range(rnn.units):
            rows = torch.autograd.grad(hs[-1][:, k].sum(), hs, retain_graph=True,
                                       allow_unused=True)
            squares = squares + torch.stack([(r ** 2).sum(-1) for r in rows], 1)
        out[name] = grads, np.sqrt(squares.numpy())
    return out


def close(actual, expected, tol, what):
    """Within ``tol`` of the largest expected value."""
    scale = np.abs(expected).max()
    err = np.abs(actual - expected).max() / scale
    assert err <= tol, f"{what}: relative error {err:.2e} > {tol:g}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
@pytest.mark.parametrize("cell", list(CELLS))
def test_state_gradients_equal_torch_autograd(cell, arrangement, masked, dtype):
    x, y = ids(masked), np.array([0.0, 1.0, 1.0, 0.0])
    model = build(cell, arrangement, dtype, masked)
    flows = gradient_flow(model, x, y)
    expected = torch_reference(model, x, y, arrangement)
    assert [f.direction for f in flows] == list(expected)
    for flow in flows:
        grads, jac = expected[flow.direction]
        what = f"{cell} {arrangement} {flow.direction}"
        close(flow.loss_grads, grads, TOL[dtype], what + " ∂L/∂h_s")
        close(flow.loss_norms, B * np.linalg.norm(grads, axis=-1), TOL[dtype], what + " ‖∂ℓ/∂h‖")
        close(flow.jacobian_norms, jac, TOL[dtype], what + " ‖∂h_T/∂h_s‖_F")
        assert flow.cell == f"{cell}Cell" and flow.units == U


def test_positions_distance_and_the_last_step():
    """A backward direction's step s reads position T − 1 − s; at the last step ∂h_T/∂h_T is
    the identity, whose Frobenius norm is √u."""
    model = build("GRU", "bidirectional", "float64", masked=False)
    forward, backward = gradient_flow(model, ids(False), np.ones(B))
    np.testing.assert_array_equal(forward.positions, np.arange(T))
    np.testing.assert_array_equal(backward.positions, np.arange(T)[::-1])
    np.testing.assert_array_equal(forward.distance, np.arange(T)[::-1])
    np.testing.assert_allclose(forward.jacobian_norms[:, -1], np.sqrt(U))
    np.testing.assert_allclose(forward.jacobian_curve[0], np.sqrt(U))
    np.testing.assert_allclose(forward.loss_curve, forward.loss_norms.mean(0)[::-1])


def test_the_compiled_loop_is_not_what_is_read():
    """With numba's loops on, the layer still runs its reference loop for the views (the
    compiled record holds no step caches), and the values do not depend on which ran."""
    from rnnkit import kernels
    model = build("LSTM", "forward", "float64", masked=True)
    x, y = ids(True), np.array([0.0, 1.0, 1.0, 0.0])
    on = gradient_flow(model, x, y)[0]
    was = kernels.enabled()
    kernels.set_enabled(False)
    try:
        off = gradient_flow(model, x, y)[0]
    finally:
        kernels.set_enabled(was)
    np.testing.assert_allclose(on.loss_grads, off.loss_grads, rtol=1e-12, atol=0)


def test_vanishing_distance():
    assert vanishing_distance(np.array([1.0, 0.1, 0.01, 5e-4, 1e-2])) == 3
    assert vanishing_distance(np.array([2.0, 1.0, 0.5])) is None
    assert vanishing_distance(np.array([1.0, 0.5, 0.05]), ratio=0.1) == 2


def test_errors_name_the_fix():
    model = build("SimpleRNN", "forward", "float32", masked=False)
    with pytest.raises(ValueError, match="no recurrent layer named 'nope'; its recurrent layers"):
        gradient_flow(model, ids(False), np.ones(B), layer="nope")
    bare = rnnkit.Sequential([layers.Input((T,)), layers.Embedding(V, E), layers.SimpleRNN(U)])
    with pytest.raises(ValueError, match="not compiled"):
        gradient_flow(bare, ids(False), np.ones(B))
    dense = rnnkit.Sequential([layers.Input((T,)), layers.Dense(1)])
    dense.compile(loss="mse")
    with pytest.raises(ValueError, match="has no recurrent layer"):
        gradient_flow(dense, np.ones((B, T)), np.ones(B))
    rnn = model.compute_layers[1]
    _, cache = rnn.forward_train(np.ones((B, T, E), "float32"), training=False)
    from rnnkit import kernels
    if kernels.enabled():
        with pytest.raises(TypeError, match="reference=True"):
            rnn.state_gradients(cache, d_final=[np.ones((B, U), "float32")])
