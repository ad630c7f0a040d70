"""The one error an explanation raises for a user's mistake."""

from __future__ import annotations

from ..errors import UserError


class ExplainError(UserError, ValueError):
    """A method, target or step count that does not exist, a model that cannot be explained
    word by word (no Embedding and no one-hot rows in front of its other layers), or one whose
    gates cannot be looked at (no recurrent layer, or one called twice)."""
