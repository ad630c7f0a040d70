"""See inside a model: arrays a notebook can plot its own way.

``explain`` (attributions.py): which words decided a prediction — integrated gradients,
gradient × input or occlusion, one number per word of the text.
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

__all__ = [
    "DEFAULT_STEPS",
    "METHODS",
    "ExplainError",
    "Explanation",
    "ModelInput",
    "PositionAttributions",
    "class_score",
    "explain",
    "gradient_x_input",
    "integrated_gradients",
    "occlusion",
]
