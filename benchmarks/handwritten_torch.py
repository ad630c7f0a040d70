"""The benchmark's reference: each workload's layers written directly in PyTorch.

nn.Embedding, nn.RNN/LSTM/GRU (batch_first, bidirectional where the workload is), input dropout
where the workload has it, nn.Linear producing logits (the loss applies sigmoid/softmax).
"""

from __future__ import annotations

import torch
from torch import nn

import rnnkit.layers as L


class Recurrent(nn.Module):
    def __init__(self, kind, in_features, units, bidirectional, return_sequences, dropout):
        super().__init__()
        self.rnn = kind(in_features, units, batch_first=True, bidirectional=bidirectional)
        self.drop = nn.Dropout(dropout) if dropout else nn.Identity()
        self.units, self.bidirectional = units, bidirectional
        self.return_sequences = return_sequences

    def forward(self, x):
        out, _ = self.rnn(self.drop(x))
        if self.return_sequences:
            return out
        if self.bidirectional:  # forward's last step, backward's first (its last processed)
            return torch.cat([out[:, -1, :self.units], out[:, 0, self.units:]], dim=1)
        return out[:, -1]


def build(workload) -> nn.Module:
    """An nn.Sequential equal in layers and sizes to the workload's Keras description."""
    blocks, width = [], workload.vocab if workload.one_hot else None
    for layer in workload.layers(L):
        if isinstance(layer, L.Embedding):
            blocks.append(nn.Embedding(layer.input_dim, layer.output_dim))
            width = layer.output_dim
        elif isinstance(layer, L.Dense):
            blocks.append(nn.Linear(width, layer.units))
            width = layer.units
        else:
            bi = isinstance(layer, L.Bidirectional)
            inner = layer.forward_layer if bi else layer
            kind = {L.SimpleRNN: nn.RNN, L.LSTM: nn.LSTM, L.GRU: nn.GRU}[type(inner)]
            blocks.append(Recurrent(kind, width, inner.units, bi, inner.return_sequences,
                                    inner.dropout))
            width = inner.units * (2 if bi else 1)
    return nn.Sequential(*blocks)
