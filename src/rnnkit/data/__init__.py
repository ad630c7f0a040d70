"""Text data: loaders for IMDB/Reuters (Keras's files and the raw corpora), your own CSV/TSV/JSONL
files, the download cache, and Keras-exact preprocessing (Tokenizer, pad_sequences, to_categorical).

Keras-named entry points live in ``rnnkit.datasets`` and ``rnnkit.preprocessing``.
"""

from .corpus import LabelledTexts, TextDataset
from .download import KNOWN_FILES, data_home, fetch, verify_file
from .encoded import EncodedDataset, encode_like_keras
from .errors import CorruptArchiveError, DataError, DataFormatError, HashMismatchError, MissingDataFileError
from .labels import encode_labels, to_categorical
from .sequence import pad_sequences
from .split import stratified_split_indices, train_val_split
from .text import Tokenizer, text_to_word_sequence, tokenizer_from_json

__all__ = [
    "LabelledTexts", "TextDataset", "EncodedDataset", "encode_like_keras",
    "KNOWN_FILES", "data_home", "fetch", "verify_file",
    "DataError", "MissingDataFileError", "HashMismatchError", "CorruptArchiveError", "DataFormatError",
    "encode_labels", "to_categorical", "pad_sequences", "stratified_split_indices", "train_val_split",
    "Tokenizer", "text_to_word_sequence", "tokenizer_from_json",
]
