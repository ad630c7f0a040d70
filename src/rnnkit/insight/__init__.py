"""See inside a recurrent classifier: per-step gradients and gates, as arrays.

* ``gradient_flow(model, x, y)`` — ‖∂ℓ/∂h_s‖ and ‖∂h_T/∂h_s‖_F for every step of a recurrent
  layer (``GradientFlow``), from the NumPy engine's hand-written BPTT; ``vanishing_distance``
  reads how far back a curve stays above a fraction of its last-step value.
"""

from .gradient_flow import GradientFlow, gradient_flow, vanishing_distance

__all__ = ["GradientFlow", "gradient_flow", "vanishing_distance"]
