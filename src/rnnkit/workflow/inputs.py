"""The texts ``rnnkit predict`` was given, one per row, in the order they were given.

Sources are texts on the command line, files (``--file PATH``, one text per line) and standard
input (``-`` or ``--file -``, or piped with no other source). Every line is a row, blank ones
included, so the output has exactly one row per input line; bytes are decoded strictly, and a
bad byte is reported with its file, line and column.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Sequence

from ..data.custom import decode
from .predict import PredictError

STDIN = "-"
#: ``--file X`` becomes one positional token with this prefix, so files keep their place
#: among the texts (argparse keeps positionals in order, not options relative to them)
FILE_MARK = "\0file:"


@dataclass(frozen=True)
class Row:
    """One text to classify and where it came from (for messages)."""

    text: str
    origin: str


def mark_files(argv: Sequence[str]) -> list[str]:
    """``--file X`` / ``--file=X`` → one positional token, so the order of sources survives."""
    out, i = [], 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return out + list(argv[i:])
        if token == "--file" and i + 1 < len(argv):
            out.append(FILE_MARK + argv[i + 1])
            i += 2
            continue
        out.append(FILE_MARK + token[len("--file="):] if token.startswith("--file=") else token)
        i += 1
    return out


def read_rows(tokens: Sequence[str], encoding: str, stdin: BinaryIO | None = None) -> list[Row]:
    """Rows from the positional tokens (texts, ``-`` and marked files), in order."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    if not tokens and not _is_terminal(stdin):
        tokens = [STDIN]
    rows: list[Row] = []
    for n, token in enumerate(tokens, start=1):
        if token.startswith(FILE_MARK):
            rows += _file_rows(token[len(FILE_MARK):], encoding, stdin)
        elif token == STDIN:
            rows += _lines(decode(stdin.read(), "<stdin>", encoding), "<stdin>")
        else:
            rows.append(Row(token, f"argument {n}"))
    if not rows:
        raise PredictError("no text to classify; pass texts as arguments, with --file FILE, "
                           "or on standard input")
    return rows


def _file_rows(name: str, encoding: str, stdin: BinaryIO) -> list[Row]:
    if name == STDIN:
        return _lines(decode(stdin.read(), "<stdin>", encoding), "<stdin>")
    path = Path(name)
    if not path.is_file():
        raise PredictError(f"--file {name}: no such file; pass a text file with one text per "
                           f"line (or --file - for standard input)")
    return _lines(decode(path.read_bytes(), str(path), encoding), str(path))


def _lines(text: str, where: str) -> list[Row]:
    # Only line breaks split texts (str.splitlines would also split at form feeds and other
    # separators inside a review); a final newline ends the last line, it is not an empty one.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return [Row(line, f"{where}:{n}") for n, line in enumerate(lines, start=1)]


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
