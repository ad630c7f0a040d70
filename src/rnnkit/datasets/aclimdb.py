"""The raw Stanford IMDB reviews (aclImdb_v1.tar.gz): texts, ids, ratings; optional unsup set."""

from ..data.aclimdb import CLASS_NAMES, Review, iter_reviews, load_data, load_sequences

__all__ = ["CLASS_NAMES", "Review", "iter_reviews", "load_data", "load_sequences"]
