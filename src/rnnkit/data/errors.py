"""The errors the data layer raises: one line each, naming the problem and the fix.

Each subclasses the built-in a caller would already catch (``FileNotFoundError`` for a file that is
not there, ``ValueError`` for content that is wrong), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class DataError(Exception):
    """Base of every rnnkit data error."""


class MissingDataFileError(DataError, FileNotFoundError):
    """A data file is absent from the cache and could not (or may not) be downloaded."""

    def __str__(self) -> str:  # FileNotFoundError would otherwise print an errno tuple
        return str(self.args[0]) if self.args else ""


class HashMismatchError(DataError, ValueError):
    """A file's checksum is not the published one, so it is not used (and never unpickled)."""


class CorruptArchiveError(DataError, ValueError):
    """An archive is truncated or damaged (e.g. an interrupted download)."""


class DataFormatError(DataError, ValueError):
    """A file's content does not have the expected shape: columns, encoding, labels, empty texts."""
