"""Losses with Keras 3's names, values and reductions, and their gradients.

Every loss reduces the same way as Keras's default ``"sum_over_batch_size"``: the per-element
loss is averaged over the last axis (crossentropies sum over classes instead), giving one loss
ℓ_i per sample (``sample_losses``), then averaged over everything else. Sample weights w_i (from
``fit(sample_weight=…)`` or ``class_weight``) scale each ℓ_i and leave the divisor alone:
L = Σ_i w_i·ℓ_i / N, N the number of losses (not Σ w_i), as keras.src.losses.loss.reduce_values. Values are what Keras 3 on its torch backend reports: probabilities are clipped
to [ε, 1 − ε] with ε = 1e-7 before the logarithm.

Gradients come in two forms, each the gradient of the plain mean (``mean_gradient``,
``mean_logits_gradient``) times w_i on sample i's entries:

* ``gradient(y, p, w)``: dL/dp, the chain rule through the clipped value (zero where clipped, as
  autograd gives in Keras);
* ``logits_gradient(y, p, w)``: dL/dz for p = σ(z) or softmax(z) when ``fused_activation`` names
  the output layer's activation. The activation's Jacobian cancels against the log and leaves
  p − y (Bishop, PRML eq. 4.91/4.109), exact and stable even when p saturates.
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid, softmax
from .data_adapter import check_finite
from .keras_options import KerasOptions

EPSILON = 1e-7
# Keras loss options for what rnnkit does not do: other reductions, other class axes, ignoring
# a class; accepted at Keras's defaults only.
KERAS_ONLY = KerasOptions(defaults={"reduction": "sum_over_batch_size", "axis": -1,
                                    "ignore_class": None})


class Loss:
    """Base class: ``loss(y_true, y_pred)`` returns Keras's reduced scalar value."""

    #: the output activation whose Jacobian this loss cancels (None: no fused gradient)
    fused_activation: str | None = None

    def __init__(self, name: str | None = None):
        self.name = name or self.default_name

    default_name = "loss"

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        y_true, y_pred = self.standardize(y_true, y_pred)
        return self.value(y_true, y_pred, sample_weight)

    # ---- targets -------------------------------------------------------------------------------
    def standardize(self, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
        """Keras's ``squeeze_or_expand_to_same_rank``: labels (n,) meet predictions (n, 1)."""
        y_pred = np.asarray(y_pred)
        y_true = np.asarray(y_true, dtype=y_pred.dtype)
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true[..., None]
        elif y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name} expects targets of shape {y_pred.shape} "
                             f"(the model's output), got {y_true.shape}")
        return y_true, y_pred

    def check_targets(self, y_true: np.ndarray, output_shape: tuple) -> None:
        """Raise a one-line error if ``y_true`` cannot be targets of this loss."""
        check_finite("y", y_true)
        expected = output_shape[1:]
        got = y_true.shape[1:]
        if got != expected and not (expected[-1:] == (1,) and got == expected[:-1]):
            raise ValueError(f"{self.name} expects targets of shape (n, {_dims(expected)}) to "
                             f"match the model's output, got {y_true.shape}")

    # ---- math (on standardized, same-shape arrays) ----------------------------------------------
    def value(self, y_true: np.ndarray, y_pred: np.ndarray, sample_weight=None) -> float:
        """L = Σ_i w_i·ℓ_i / N (w_i = 1 without weights): Keras's sum_over_batch_size."""
        losses = self.sample_losses(y_true, y_pred)
        weights = self.sample_weights(sample_weight, y_pred)
        return float(np.mean(losses if weights is None else losses * weights))

    def gradient(self, y_true, y_pred, sample_weight=None) -> np.ndarray:
        """dL/dp: the plain mean's gradient, sample i's entries times w_i."""
        return _weighted(self.mean_gradient(y_true, y_pred),
                         self.sample_weights(sample_weight, y_pred))

    def logits_gradient(self, y_true, probs, sample_weight=None) -> np.ndarray:
        """dL/dz below the fused activation, sample i's entries times w_i."""
        return _weighted(self.mean_logits_gradient(y_true, probs),
                         self.sample_weights(sample_weight, probs))

    def sample_weights(self, sample_weight, y_pred: np.ndarray) -> np.ndarray | None:
        """One weight per loss ℓ_i (shape ``y_pred.shape[:-1]``, a trailing 1 allowed), in the
        outputs' dtype as Keras casts them; None stays None."""
        if sample_weight is None:
            return None
        w = np.asarray(sample_weight, dtype=y_pred.dtype)
        shape = y_pred.shape[:-1]
        if w.shape == shape + (1,):
            w = w[..., 0]
        if w.shape != shape:
            raise ValueError(f"{self.name}: sample_weight has shape {w.shape}, but the outputs "
                             f"{y_pred.shape} have one loss per entry of {shape}; pass one "
                             f"weight per loss")
        return w

    def sample_losses(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """ℓ_i for every position of ``y_pred.shape[:-1]`` (the last axis reduced), float64."""
        raise NotImplementedError

    def mean_gradient(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """d(mean_i ℓ_i)/dp."""
        raise NotImplementedError

    def mean_logits_gradient(self, y_true: np.ndarray, probs: np.ndarray) -> np.ndarray:
        """d(mean_i ℓ_i)/dz below the fused activation."""
        raise NotImplementedError(f"{self.name} has no fused gradient")

    def fuses_with_layer(self, output_layer) -> bool:
        """Whether backward may start below ``output_layer``'s activation with
        ``logits_gradient`` (p − y): its activation is the one this loss cancels and the layer
        can take dL/dz (``backward_logits``). Both engines decide by this one rule."""
        return (self.fused_activation is not None
                and getattr(output_layer, "activation", None) == self.fused_activation
                and hasattr(output_layer, "backward_logits"))

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": "sum_over_batch_size"}


def _weighted(grad: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Each sample's gradient entries times its weight (the weights lack the last axis)."""
    return grad if weights is None else grad * weights[..., None]


def _dims(shape: tuple) -> str:
    return ", ".join("None" if d is None else str(d) for d in shape)


def _check_range(name: str, y: np.ndarray, low: float, high: float, hint: str) -> None:
    if y.size and (y.min() < low or y.max() > high):
        raise ValueError(f"{name} expects labels in [{low:g}, {high:g}], got values in "
                         f"[{y.min():g}, {y.max():g}]; {hint}")


def _per_sample_count(y_pred: np.ndarray) -> int:
    """How many losses ``sum_over_batch_size`` averages: every position but the last axis."""
    return int(np.prod(y_pred.shape[:-1])) if y_pred.ndim > 1 else 1


class _SmoothedCrossentropy(Loss):
    """Keras's from_logits / label_smoothing crossentropies; ``fuses_with`` names the output
    activation whose gradient combines with this loss into p − y (see ``logits_gradient``)."""

    fuses_with: str

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 name: str | None = None, reduction: str = "sum_over_batch_size", axis: int = -1):
        super().__init__(name)
        KERAS_ONLY.check_all(self.name, reduction=reduction, axis=axis)
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.fused_activation = None if self.from_logits else self.fuses_with

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": -1}


class BinaryCrossentropy(_SmoothedCrossentropy):
    """−[y log p + (1 − y) log(1 − p)], averaged over the last axis, then over samples."""

    default_name = "binary_crossentropy"
    fuses_with = "sigmoid"

    def check_targets(self, y_true, output_shape):
        super().check_targets(y_true, output_shape)
        _check_range(self.name, y_true, 0, 1,
                     "binary labels are 0/1 (use sparse_categorical_crossentropy for classes)")

    def _smooth(self, y):
        # Keras: y ← y(1 − s) + s/2
        return y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing

    def sample_losses(self, y_true, y_pred):
        y = self._smooth(y_true)
        if self.from_logits:
            # log(1 + e^z) − y·z in its overflow-free form (torch's BCE-with-logits)
            z = y_pred
            losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        else:
            p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
            # torch clamps each log at −100; after clipping it never reaches that
            losses = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
        return np.mean(losses.astype(np.float64), axis=-1)

    def mean_gradient(self, y_true, y_pred):
        y, n = self._smooth(y_true), y_pred.size
        if self.from_logits:
            return (sigmoid(y_pred) - y) / n
        inside = (y_pred > EPSILON) & (y_pred < 1.0 - EPSILON)
        p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        return inside * (p - y) / (p * (1.0 - p)) / n      # d/dp of −[y log p + (1−y) log(1−p)]

    def mean_logits_gradient(self, y_true, probs):
        return (probs - self._smooth(y_true)) / probs.size  # σ'(z) = p(1 − p) cancels


class CategoricalCrossentropy(_SmoothedCrossentropy):
    """−Σ_k y_k log p_k over the class axis, averaged over samples; y one-hot (or soft)."""

    default_name = "categorical_crossentropy"
    fuses_with = "softmax"

    def check_targets(self, y_true, output_shape):
        if y_true.shape[1:] != tuple(output_shape[1:]):
            raise ValueError(
                f"{self.name} expects one-hot targets of shape (n, {_dims(output_shape[1:])}), "
                f"got {y_true.shape}; use sparse_categorical_crossentropy for integer labels "
                f"or to_categorical to one-hot encode them")
        check_finite("y", y_true)
        _check_range(self.name, y_true, 0, 1, "targets are one-hot rows (or probabilities)")

    def _smooth(self, y):
        k = y.shape[-1]
        return y * (1.0 - self.label_smoothing) + self.label_smoothing / k

    def standardize(self, y_true, y_pred):
        return np.asarray(y_true, dtype=np.asarray(y_pred).dtype), np.asarray(y_pred)

    def sample_losses(self, y_true, y_pred):
        y = self._smooth(y_true)
        if self.from_logits:
            logp = y_pred - _logsumexp(y_pred)
        else:
            p = y_pred / y_pred.sum(axis=-1, keepdims=True)   # Keras renormalizes, then clips
            logp = np.log(np.clip(p, EPSILON, 1.0 - EPSILON))
        return -(y * logp).sum(axis=-1).astype(np.float64)

    def mean_gradient(self, y_true, y_pred):
        y, n = self._smooth(y_true), _per_sample_count(y_pred)
        if self.from_logits:
            return (softmax(y_pred) * y.sum(axis=-1, keepdims=True) - y) / n
        s = y_pred.sum(axis=-1, keepdims=True)
        p = y_pred / s
        inside = (p > EPSILON) & (p < 1.0 - EPSILON)
        dq = -(inside * y) / np.clip(p, EPSILON, 1.0 - EPSILON)      # d/dq of −Σ y log q
        # through q = p/Σp: dq/dp_j = (δ − q)/Σp
        return (dq - (dq * p).sum(axis=-1, keepdims=True)) / s / n

    def mean_logits_gradient(self, y_true, probs):
        y = self._smooth(y_true)
        # softmax Jacobian against −Σ y log p: p·Σy − y (= p − y for one-hot rows)
        return (probs * y.sum(axis=-1, keepdims=True) - y) / _per_sample_count(probs)


class SparseCategoricalCrossentropy(Loss):
    """−log p_y for integer labels y, averaged over samples (no one-hot matrix is built)."""

    default_name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits: bool = False, ignore_class=None, name: str | None = None,
                 reduction: str = "sum_over_batch_size", axis: int = -1):
        super().__init__(name)
        KERAS_ONLY.check_all(self.name, reduction=reduction, axis=axis, ignore_class=ignore_class)
        self.from_logits = bool(from_logits)
        self.fused_activation = None if self.from_logits else "softmax"

    def check_targets(self, y_true, output_shape):
        expected = tuple(output_shape[1:-1])
        if y_true.shape[1:] not in (expected, expected + (1,)):
            raise ValueError(
                f"{self.name} expects integer labels of shape (n, {_dims(expected)}) "
                f"or (n, {_dims(expected + (1,))}), got {y_true.shape}; for one-hot targets "
                f"use categorical_crossentropy")
        check_finite("y", y_true)
        k = output_shape[-1]
        if y_true.size and np.any(y_true != np.round(y_true)):
            raise ValueError(f"{self.name} expects integer class labels, got non-integer values")
        _check_range(self.name, y_true, 0, k - 1,
                     f"the model has {k} output classes (0 … {k - 1})")

    def standardize(self, y_true, y_pred):
        y_pred = np.asarray(y_pred)
        y_true = np.asarray(y_true)
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        return y_true.astype(np.intp), y_pred

    def _picked(self, y_true, a):
        return np.take_along_axis(a, y_true[..., None], axis=-1)[..., 0]

    def sample_losses(self, y_true, y_pred):
        if self.from_logits:
            logp = self._picked(y_true, y_pred - _logsumexp(y_pred))
        else:
            p = self._picked(y_true, y_pred / y_pred.sum(axis=-1, keepdims=True))
            logp = np.log(np.clip(p, EPSILON, 1.0 - EPSILON))
        return -logp.astype(np.float64)

    def mean_gradient(self, y_true, y_pred):
        one_hot = _one_hot(y_true, y_pred.shape[-1], y_pred.dtype)
        return CategoricalCrossentropy(from_logits=self.from_logits).mean_gradient(one_hot,
                                                                                   y_pred)

    def mean_logits_gradient(self, y_true, probs):
        grad = probs.copy()
        np.put_along_axis(grad, y_true[..., None],
                          self._picked(y_true, probs)[..., None] - 1.0, axis=-1)
        return grad / _per_sample_count(probs)                 # p − onehot(y)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "ignore_class": None}


class MeanSquaredError(Loss):
    """(y − p)² averaged over the last axis, then over samples."""

    default_name = "mean_squared_error"

    def __init__(self, name: str | None = None, reduction: str = "sum_over_batch_size"):
        super().__init__(name)
        KERAS_ONLY.check_all(self.name, reduction=reduction)

    def sample_losses(self, y_true, y_pred):
        return np.mean(np.square(y_pred - y_true).astype(np.float64), axis=-1)

    def mean_gradient(self, y_true, y_pred):
        return 2.0 * (y_pred - y_true) / y_pred.size


def _logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _one_hot(labels: np.ndarray, k: int, dtype) -> np.ndarray:
    out = np.zeros(labels.shape + (k,), dtype)
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out


_BY_NAME = {
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
}
_BY_CLASS = {cls.__name__: cls for cls in set(_BY_NAME.values())}
NAMES = tuple(_BY_NAME)  #: the names ``get`` accepts


def get(identifier) -> Loss:
    """A Loss from a Keras name ('binary_crossentropy', 'mse', …), a Keras config or a Loss."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        loss = _BY_NAME[identifier]()
        loss.name = identifier
        return loss
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError(f"unknown loss {_describe(identifier)}; expected one of "
                     f"{', '.join(repr(n) for n in _BY_NAME)} or a rnnkit.losses.Loss")


def _describe(identifier) -> str:
    if isinstance(identifier, dict):
        return repr(identifier.get("class_name", identifier))
    return repr(identifier)


def serialize(loss: Loss):
    """Keras's compile_config form: the name string if built from one, else a config dict."""
    if loss.name in _BY_NAME and type(loss) is _BY_NAME[loss.name] and \
            loss.get_config() == type(loss)(name=loss.name).get_config():
        return loss.name
    return {"module": "keras.losses", "class_name": type(loss).__name__,
            "config": loss.get_config(), "registered_name": None}
