"""The errors the data layer raises: one line each, naming the problem and the fix.

Each subclasses the built-in a caller would already catch (``FileNotFoundError`` for a file that is
not there, ``ValueError`` for content that is wrong), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

from ..errors import UserError


class DataError(UserError):
    """Base of every rnnkit data error."""


class MissingDataFileError(DataError, FileNotFoundError):
    """A data file is absent (from the cache, or where a path said) and could not be fetched."""

    __str__ = UserError.__str__  # FileNotFoundError's would print an errno tuple


class HashMismatchError(DataError, ValueError):
    """A file's checksum is not the published one, so it is not used (and never unpickled)."""


class CorruptArchiveError(DataError, ValueError):
    """An archive is truncated or damaged (e.g. an interrupted download)."""


class DataFormatError(DataError, ValueError):
    """A file's content does not have the expected shape: columns, encoding, labels, empty texts."""
