"""``keras.preprocessing``: ``text.Tokenizer`` and ``sequence.pad_sequences``, Keras-exact."""

from . import sequence, text

__all__ = ["sequence", "text"]
