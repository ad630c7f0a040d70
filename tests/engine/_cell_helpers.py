"""What the cell tests share: a layer with random weights, random inputs, a padding mask."""

import numpy as np

B, T, F, U = 3, 5, 4, 3


def randomized(layer, seed=0, scale=0.6, shape=(None, T, F)):
    """``layer`` built for ``shape`` inputs, every weight uniform in ±scale (never constant:
    constant weights cannot tell one gate block from another)."""
    layer.ensure_built(shape)
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.uniform(-scale, scale, w.shape).astype(w.dtype)
                       for w in layer.params()])
    return layer


def inputs(dtype="float64", seed=0):
    return np.random.default_rng(seed).standard_normal((B, T, F)).astype(dtype)


def padding():
    """Row 0 pre-padded by two steps, row 2 post-padded by one."""
    mask = np.ones((B, T), bool)
    mask[0, :2] = False
    mask[2, -1] = False
    return mask


def token_data(n=32):
    """Token ids < 20 (half the rows pre-padded by two) and a label the last id decides."""
    x = np.random.default_rng(0).integers(1, 20, (n, T))
    x[: n // 2, :2] = 0
    return x, (x[:, -1] > 10).astype("float32")


def reloaded(model, path):
    """``model`` trained one epoch on ``token_data``, saved to ``path`` and loaded back."""
    import rnnkit
    x, y = token_data()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(path)
    return rnnkit.models.load_model(path)


def assert_torch_engine_equal(layer, x, mask, tol=1e-5):
    """Outputs, dL/dx and every weight's gradient: the torch engine's autograd against the
    layer's hand-written backward, for a random projection of the outputs."""
    import warnings

    import torch

    from rnnkit.engines.torch_engine import CudnnOffNotice, build_module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CudnnOffNotice)
        module = build_module(layer)
    x_t = torch.tensor(x, requires_grad=True)
    outs_t = module(x_t, torch.tensor(mask))
    outs_t = outs_t if isinstance(outs_t, list) else [outs_t]
    dys = [np.random.default_rng(i).standard_normal(o.shape).astype(x.dtype)
           for i, o in enumerate(outs_t)]
    sum((o * torch.tensor(d)).sum() for o, d in zip(outs_t, dys)).backward()
    y, cache = layer.forward_train(x, training=False, mask=mask)
    outs = y if isinstance(y, list) else [y]
    for o_t, o in zip(outs_t, outs, strict=True):
        np.testing.assert_allclose(o_t.detach().numpy(), o, atol=tol)
    dx, grads = layer.backward(dys if isinstance(y, list) else dys[0], cache)
    np.testing.assert_allclose(x_t.grad.numpy(), dx, atol=tol)
    for name, g_t, g in zip(layer.weight_names, module.keras_grads(), grads, strict=True):
        np.testing.assert_allclose(g_t, g, atol=tol, err_msg=name)
