"""Gates and states recomputed in plain NumPy from ``get_weights()`` (a helper module, not a
test file): the equations of docs/bptt.md written again, in float64, independently of the
cells' ``step`` — the expected values of the gate tests."""

from __future__ import annotations

import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _lstm(xt, h, c, W, U, b):
    u = U.shape[0]
    z = xt @ W + h @ U + b
    i, f = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u])
    g, o = np.tanh(z[:, 2 * u:3 * u]), sigmoid(z[:, 3 * u:])
    c_new = f * c + i * g
    return {"i": i, "f": f, "o": o, "g": g}, (o * np.tanh(c_new), c_new)


def _gru(xt, h, c, W, U, b, reset_after):
    u = U.shape[0]
    if reset_after:                      # bias (2, 3u): row 0 with x·W, row 1 with h·U
        xw, rec = xt @ W + b[0], h @ U + b[1]
        z = sigmoid(xw[:, :u] + rec[:, :u])
        r = sigmoid(xw[:, u:2 * u] + rec[:, u:2 * u])
        h_hat = np.tanh(xw[:, 2 * u:] + r * rec[:, 2 * u:])
    else:
        xw = xt @ W + b
        z = sigmoid(xw[:, :u] + h @ U[:, :u])
        r = sigmoid(xw[:, u:2 * u] + h @ U[:, u:2 * u])
        h_hat = np.tanh(xw[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
    return {"z": z, "r": r, "h_hat": h_hat}, (z * h + (1 - z) * h_hat, c)


def _simple(xt, h, c, W, U, b):
    return {}, (np.tanh(xt @ W + h @ U + b), c)


def run_cell(kind: str, weights, x, mask=None, go_backwards=False, reset_after=True) -> dict:
    """name → (B, T, u) in time order: the gates (NaN where the mask skips the step) and the
    states h (and c) after each step."""
    W, U, b = (np.asarray(w, np.float64) for w in weights)
    batch, time, _ = x.shape
    u = U.shape[0]
    h, c = np.zeros((batch, u)), np.zeros((batch, u))
    out = {}
    for t in (range(time)[::-1] if go_backwards else range(time)):
        if kind == "LSTM":
            values, (h_new, c_new) = _lstm(x[:, t], h, c, W, U, b)
        elif kind == "GRU":
            values, (h_new, c_new) = _gru(x[:, t], h, c, W, U, b, reset_after)
        else:
            values, (h_new, c_new) = _simple(x[:, t], h, c, W, U, b)
        keep = np.ones((batch, 1), bool) if mask is None else mask[:, t, None]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        states = {"h": h, "c": c} if kind == "LSTM" else {"h": h}
        for name, v in {**values, **states}.items():
            out.setdefault(name, np.full((batch, time, u), np.nan))[:, t] = (
                v if name in states else np.where(keep, v, np.nan))
    out["final_h"] = h
    return out


def _kind(layer) -> str:
    return type(layer).__name__


def model_gates(model, x, mask=None) -> list[dict]:
    """Every recurrent layer and direction of ``model`` (Embedding / one-hot input, Dropout,
    recurrent layers, Dense on top) for encoded ``x``: a ``run_cell`` dict each, bottom first."""
    found = []
    x = np.asarray(x)
    for layer in model.compute_layers:
        kind = _kind(layer)
        if kind == "Embedding":
            x = np.asarray(layer.get_weights()[0], np.float64)[x]
        elif kind == "Bidirectional":
            weights = layer.get_weights()
            n = len(weights) // 2
            inner = layer.forward_layer
            f = run_cell(_kind(inner), weights[:n], x, mask, False, _reset_after(inner))
            b = run_cell(_kind(inner), weights[n:], x, mask, True, _reset_after(inner))
            found += [f, b]
            x = np.concatenate([f["final_h"], b["final_h"]], axis=-1)
        elif kind in ("SimpleRNN", "LSTM", "GRU"):
            r = run_cell(kind, layer.get_weights(), np.asarray(x, np.float64), mask,
                         layer.go_backwards, _reset_after(layer))
            found.append(r)
            x = r["h"] if layer.return_sequences else r["final_h"]
        elif kind != "Dropout":
            break
    return found


def _reset_after(layer) -> bool:
    return getattr(layer.cell, "reset_after", True)
