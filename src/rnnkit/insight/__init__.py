"""See inside a recurrent classifier: arrays a notebook can plot its own way.

* ``explain`` (attributions.py): which words decided a prediction — integrated gradients,
  gradient × input or occlusion, one number per word of the text.
* ``gradient_flow(model, x, y)`` — ‖∂ℓ/∂h_s‖ and ‖∂h_T/∂h_s‖_F for every step of a recurrent
  layer (``GradientFlow``), from the NumPy engine's hand-written BPTT; ``vanishing_distance``
  reads how far back a curve stays above a fraction of its last-step value.
* ``gate_activations(model, x)`` — every recurrent layer's gates, candidates and states per step
  (``LayerGates``: saturation, the units that move the prediction most);
  ``inspect_text(model, text)`` — the same for one raw text, positions labelled with its words.

Plotting is the caller's (or ``rnnkit.insight.plots``, which the commands use).
"""

from .attributions import (
    DEFAULT_STEPS,
    METHODS,
    Explanation,
    PositionAttributions,
    explain,
    gradient_x_input,
    integrated_gradients,
    occlusion,
)
from .class_score import ModelInput, class_score
from .errors import ExplainError
from .gates import Gates, LayerGates, Saturation, UnitInfluence, gate_activations
from .gradient_flow import GradientFlow, gradient_flow, vanishing_distance
from .inspection import TextInspection, inspect_text, position_labels

__all__ = [
    "DEFAULT_STEPS", "METHODS", "ExplainError", "Explanation", "Gates", "GradientFlow",
    "LayerGates", "ModelInput", "PositionAttributions", "Saturation", "TextInspection",
    "UnitInfluence", "class_score", "explain", "gate_activations", "gradient_flow",
    "gradient_x_input", "inspect_text", "integrated_gradients", "occlusion", "position_labels",
    "vanishing_distance",
]
