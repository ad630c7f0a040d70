"""``keras.datasets.imdb``: Keras's integer-encoded IMDB reviews (imdb.npz, checksum-verified).

``decode(seq, get_word_index())`` turns a sequence from ``load_data`` back into words.
"""

from ..data.keras_datasets import decode_sequence as decode
from ..data.keras_datasets import imdb_word_index as get_word_index, load_imdb as load_data

__all__ = ["load_data", "get_word_index", "decode"]
