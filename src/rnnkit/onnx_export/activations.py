"""rnnkit's activations in ONNX: inside the recurrent operators, and as Dense's output ops.

The recurrent operators take activation *names* (``activations``) with optional parameters
(``activation_alpha``/``activation_beta``). onnxruntime, which the tests run, hands the
parameters out in order to the activations that take one (Affine, HardSigmoid, …) and skips the
others, so the lists hold one value per parameterized activation.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NotExportableError


@dataclass(frozen=True)
class RecurrentActivation:
    onnx_name: str
    alpha: float | None = None       # both set for an activation that takes parameters
    beta: float | None = None


RECURRENT = {
    "tanh": RecurrentActivation("Tanh"),
    "sigmoid": RecurrentActivation("Sigmoid"),
    "relu": RecurrentActivation("Relu"),
    # Keras 3's hard_sigmoid is relu6(x + 3)/6 = clip(x/6 + 1/2, 0, 1); ONNX's default
    # HardSigmoid (alpha 0.2) is Keras 2's, so the parameters are always written.
    "hard_sigmoid": RecurrentActivation("HardSigmoid", 1.0 / 6.0, 0.5),
    "linear": RecurrentActivation("Affine", 1.0, 0.0),          # alpha·x + beta
}


def recurrent_attributes(names, owner: str) -> dict:
    """The ``activations`` / ``activation_alpha`` / ``activation_beta`` attributes for the
    Keras activation ``names`` (in the operator's order: f, g[, h])."""
    found = []
    for name in names:
        if name not in RECURRENT:
            raise NotExportableError(
                f"{owner}: activation {name!r} has no equivalent among the ONNX recurrent "
                f"operators' activations; use one of {', '.join(RECURRENT)}")
        found.append(RECURRENT[name])
    attrs = {"activations": [a.onnx_name for a in found]}
    parameterized = [a for a in found if a.alpha is not None]
    if parameterized:
        attrs["activation_alpha"] = [a.alpha for a in parameterized]
        attrs["activation_beta"] = [a.beta for a in parameterized]
    return attrs


def _linear(g, x, hint):
    return x


def _op(op_type, **attrs):
    return lambda g, x, hint: g.op(op_type, [x], hint, **attrs)


#: Dense's activation (by rnnkit's name) applied to ``x``: (builder, x, hint) → value
DENSE = {
    "linear": _linear,
    "sigmoid": _op("Sigmoid"),
    "tanh": _op("Tanh"),
    "relu": _op("Relu"),
    "hard_sigmoid": _op("HardSigmoid", alpha=1.0 / 6.0, beta=0.5),
    "softmax": _op("Softmax", axis=-1),
}


def apply_dense(g, name: str, x: str, owner: str) -> str:
    if name not in DENSE:
        raise NotExportableError(f"{owner}: activation {name!r} has no ONNX export; use one "
                                 f"of {', '.join(DENSE)}")
    return DENSE[name](g, x, owner)
