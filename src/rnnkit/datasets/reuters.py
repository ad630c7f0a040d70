"""``keras.datasets.reuters``: Keras's integer-encoded Reuters newswires (reuters.npz, checksum-verified)."""

from ..data.keras_datasets import REUTERS_LABEL_NAMES, decode_sequence as decode
from ..data.keras_datasets import load_reuters as load_data, reuters_word_index as get_word_index


def get_label_names() -> tuple[str, ...]:
    """The topic of each label id of ``load_data`` (46 names), as Keras publishes them."""
    return REUTERS_LABEL_NAMES


__all__ = ["load_data", "get_word_index", "get_label_names", "decode"]
