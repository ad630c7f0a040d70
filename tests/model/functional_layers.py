"""A user-defined multi-input layer (concatenation on the last axis) for the graph tests: it
follows rnnkit's multi-input protocol (``multi_input``, lists in and out, a list of masks) and
brings its own torch module, so it also proves that a layer defined outside rnnkit fits the
graph on both engines."""

import numpy as np

from rnnkit import layers


class TinyConcat(layers.Layer):
    """Concatenate a list of tensors on the last axis; the mask is Keras's Concatenate's for
    masks over (batch, time): present where any input's is, None if an input has none."""

    multi_input = True

    def compute_output_shape(self, shapes):
        return tuple(shapes[0][:-1]) + (sum(s[-1] for s in shapes),)

    def forward_train(self, xs, training=True, mask=None):
        return np.concatenate(xs, axis=-1), [np.shape(x)[-1] for x in xs]

    def backward(self, dy, sizes):
        return np.split(dy, np.cumsum(sizes)[:-1], axis=-1), []

    def compute_mask(self, xs, masks):
        if masks is None or any(m is None for m in masks):
            return None
        return np.logical_or.reduce([np.asarray(m, bool) for m in masks])

    def torch_module(self, masks, share):
        import torch

        class Module(torch.nn.Module):
            def forward(self, xs, mask=None):
                return torch.cat(list(xs), dim=-1)

            def compute_mask(self, xs, masks):
                if masks is None or any(m is None for m in masks):
                    return None
                out = masks[0]
                for m in masks[1:]:
                    out = out | m
                return out

            def keras_parameters(self):
                return []

            def load_keras(self, weights):
                pass

            def keras_weights(self):
                return []

            def keras_grads(self):
                return []

        return Module()
