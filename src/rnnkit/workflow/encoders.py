"""A run's text encoding read back from its ``vocabulary.json``.

The encodings themselves are layers (``rnnkit.layers.text_encoding``): ``rnnkit train`` puts the
fitted one first in the model, so ``model.keras`` reads raw text by itself. ``vocabulary.json``
is still written beside it, for people to read and for runs made before the model carried its
encoding; ``from_dict`` reads it (this version's and older files).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..layers.text_encoding import (KerasImdbEncoding, TokenCount, TokenizerEncoding,  # noqa: F401
                                    onehot)

# The names these classes had before they became layers.
TokenizerEncoder, KerasImdbEncoder = TokenizerEncoding, KerasImdbEncoding


class EncoderError(ValueError):
    """The vocabulary file is missing or unreadable, or a text cannot be encoded."""


ENCODERS = {TokenizerEncoding.kind: TokenizerEncoding, KerasImdbEncoding.kind: KerasImdbEncoding}


def from_dict(data: Mapping[str, Any]):
    kind = data.get("kind")
    if kind not in ENCODERS:
        raise EncoderError(f"vocabulary kind {kind!r} is unknown (expected one of "
                           f"{', '.join(ENCODERS)}); retrain the run with this rnnkit version")
    return ENCODERS[kind].from_dict(data)
