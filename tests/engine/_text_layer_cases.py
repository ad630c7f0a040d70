"""The text layers' test cases, shared by the gradient checks, the Keras oracle and the torch
equality tests: one constructor call per case, run with ``rnnkit.layers`` or ``keras.layers``.

Inputs are (B, T, F) with random values (ties in a maximum have probability zero); masks hold
pre-padding, post-padding and a row padded at both ends.
"""

import numpy as np

B, T, F = 4, 7, 5

CASES = {
    "global_max": lambda L, **kw: L.GlobalMaxPooling1D(**kw),
    "global_max_keepdims": lambda L, **kw: L.GlobalMaxPooling1D(keepdims=True, **kw),
    "global_average": lambda L, **kw: L.GlobalAveragePooling1D(**kw),
    "global_average_keepdims": lambda L, **kw: L.GlobalAveragePooling1D(keepdims=True, **kw),
    "conv_valid_tanh": lambda L, **kw: L.Conv1D(6, 3, activation="tanh", **kw),
    "conv_same": lambda L, **kw: L.Conv1D(6, 4, padding="same", **kw),
    "conv_same_strided_relu": lambda L, **kw: L.Conv1D(6, 4, strides=2, padding="same",
                                                       activation="relu", **kw),
    "conv_causal_dilated": lambda L, **kw: L.Conv1D(6, 3, padding="causal", dilation_rate=2,
                                                    **kw),
    "conv_valid_strided_no_bias": lambda L, **kw: L.Conv1D(4, 2, strides=3, use_bias=False,
                                                           activation="sigmoid", **kw),
    "conv_same_dilated_softmax": lambda L, **kw: L.Conv1D(3, 2, padding="same", dilation_rate=3,
                                                          activation="softmax", **kw),
    "max_pool_default": lambda L, **kw: L.MaxPooling1D(**kw),
    "max_pool_same_overlapping": lambda L, **kw: L.MaxPooling1D(3, strides=2, padding="same",
                                                                **kw),
    "max_pool_valid_overlapping": lambda L, **kw: L.MaxPooling1D(3, strides=1, **kw),
    "max_pool_same_4": lambda L, **kw: L.MaxPooling1D(4, padding="same", **kw),
    "flatten": lambda L, **kw: L.Flatten(**kw),
    "layer_norm": lambda L, **kw: L.LayerNormalization(**kw),
    "layer_norm_time_and_features": lambda L, **kw: L.LayerNormalization(axis=[1, 2],
                                                                         epsilon=1e-5, **kw),
    "layer_norm_scale_only": lambda L, **kw: L.LayerNormalization(center=False, **kw),
    "activation_relu": lambda L, **kw: L.Activation("relu", **kw),
    "activation_tanh": lambda L, **kw: L.Activation("tanh", **kw),
    "activation_sigmoid": lambda L, **kw: L.Activation("sigmoid", **kw),
    "activation_hard_sigmoid": lambda L, **kw: L.Activation("hard_sigmoid", **kw),
    "activation_softmax": lambda L, **kw: L.Activation("softmax", **kw),
    "spatial_dropout": lambda L, **kw: L.SpatialDropout1D(0.4, **kw),
}
#: Masking is tested with inputs that hold masked steps (``masking_input``)
MASKING = {
    "masking_zero": lambda L, **kw: L.Masking(**kw),
    "masking_value": lambda L, **kw: L.Masking(mask_value=0.5, **kw),
}
MASK_VALUES = {"masking_zero": 0.0, "masking_value": 0.5}


def inputs(dtype="float32", seed=0, shape=(B, T, F)):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def masks():
    pre = np.ones((B, T), bool)
    pre[0, :3] = False
    pre[2, :1] = False
    post = np.ones((B, T), bool)
    post[1, -2:] = False
    post[3, -4:] = False
    both = pre & post
    both[2, -1] = False
    return {"none": None, "pre": pre, "post": post, "both": both}


def masking_input(case: str, dtype="float32", seed=0):
    """(x, the mask Masking must find): some steps hold mask_value on every feature."""
    x = inputs(dtype, seed)
    padded = np.zeros((B, T), bool)
    padded[0, :2] = padded[1, -3:] = padded[2, 3] = True
    x[padded] = MASK_VALUES[case]
    x[3, 1, 0] = MASK_VALUES[case]            # one feature alone equal: not a padded step
    return x, ~padded


def randomize(layer, seed=0):
    """Random weights of the layer's shapes (uniform in ±0.6), biases included."""
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.6, 0.6, w.shape).astype(w.dtype) for w in layer.params()]
    layer.set_weights(weights)
    return weights
