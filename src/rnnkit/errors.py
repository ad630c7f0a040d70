"""The base of every error a user can fix from its message alone.

A ``UserError`` is bad input — a wrong path, column, value or file — not a bug in rnnkit: the
``rnnkit`` command prints it as one line and exits with status 2, while any other exception is a
bug and keeps its traceback. A message may name an option as ``{opt:text_column=}`` or with
a value as ``{opt:empty=drop}``: a Python caller reads ``text_column=`` / ``empty='drop'``, the
command line reads the flag that sets it (``--text-column`` / ``--set data.empty=drop``).
"""

from __future__ import annotations

import re
from typing import Mapping

_OPTION = re.compile(r"\{opt:([A-Za-z_]+)=([^{}]*)\}")


class UserError(Exception):
    """Bad input, said in one line that names the problem and the fix."""

    def render(self, spelling: Mapping[str, str] | None = None) -> str:
        """The message with each ``{opt:option=value}`` spelled for Python, or by ``spelling``
        (option → flag; a flag ending in ``=`` takes the value glued, others after a space)."""
        text = str(self.args[0]) if self.args else ""
        return _OPTION.sub(lambda m: _spell(m[1], m[2], spelling or {}), text)

    def __str__(self) -> str:
        return self.render()


def _spell(option: str, value: str, spelling: Mapping[str, str]) -> str:
    flag = spelling.get(option)
    if flag is None:
        return f"{option}={value!r}" if value else f"{option}="
    if not value:
        return flag
    return flag + value if flag.endswith("=") else f"{flag} {value}"
