"""Forward and backward of every recurrent layer kind on fixed inputs and weights: run in-process
and in a subprocess without numba, the two must agree. Imports nothing but rnnkit and NumPy."""

from __future__ import annotations

import numpy as np

from rnnkit import layers
from rnnkit.layers.recurrent import StepsRun

KINDS = ("simple_rnn", "lstm", "gru", "gru_reset_before")


def run_layers() -> dict:
    """Each layer kind's outputs (training and inference loops), dx and grads, plus which loop ran
    ("steps" is the reference)."""
    out = {}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 9, 5)).astype("float32")
    mask = np.ones((3, 9), bool)
    mask[1, 6:] = False
    for kind in KINDS:
        cls, extra = {"simple_rnn": (layers.SimpleRNN, {}), "lstm": (layers.LSTM, {}),
                      "gru": (layers.GRU, {}),
                      "gru_reset_before": (layers.GRU, {"reset_after": False})}[kind]
        layer = cls(4, return_sequences=True, **extra)
        layer.ensure_built((None, 9, 5))
        w_rng = np.random.default_rng(1)
        layer.set_weights([w_rng.uniform(-0.6, 0.6, w.shape) for w in layer.params()])
        y, cache = layer.forward_train(x, training=False, mask=mask)
        dx, grads = layer.backward(np.ones_like(y), cache)
        out[f"{kind}/y"], out[f"{kind}/dx"] = y, dx
        out[f"{kind}/y_inference"] = layer.forward(x, mask=mask)
        for i, g in enumerate(grads):
            out[f"{kind}/g{i}"] = g
        out[f"{kind}/run"] = np.array("steps" if isinstance(cache.run, StepsRun) else "compiled")
    emb = layers.Embedding(30, 4)
    ids = np.random.default_rng(2).integers(0, 30, (6, 11))
    emb.ensure_built((None, 11))
    _, cache = emb.forward_train(ids)
    _, grads = emb.backward(np.random.default_rng(3).standard_normal((6, 11, 4)).astype("float32"),
                            cache)
    out["embedding/grad"] = grads[0]
    return out
