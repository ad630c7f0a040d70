"""``keras.preprocessing.text``: the legacy Keras Tokenizer and its helpers."""

from ..data.text import DEFAULT_FILTERS, Tokenizer, text_to_word_sequence, tokenizer_from_json

__all__ = ["DEFAULT_FILTERS", "Tokenizer", "text_to_word_sequence", "tokenizer_from_json"]
