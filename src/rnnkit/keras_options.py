"""Keras options rnnkit accepts without implementing them: one kind of table, one check, one error.

Keras code and Keras config files pass options rnnkit has no feature for (regularizers, stateful
RNNs, EMA weights, loss reductions, …). Each owner (a layer kind, the optimizers, ``compile``, a
loss, a callback, the .keras reader) lists them in a ``KerasOptions`` table:

- ``ignored``: how Keras runs, never what it computes (``unroll``, ``use_cudnn``): any value;
- ``defaults``: accepted only at the value that means "off" (Keras's default), refused otherwise.

Every refusal reads the same, one line: ``<owner>: key=value is not supported by rnnkit; remove
it``, so a user learns which option to drop whichever part of rnnkit met it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def refuse(owner: str, key: str, value, error: type[Exception] = ValueError) -> None:
    """Raise the one-line error for an option rnnkit cannot honour."""
    raise error(f"{owner}: {key}={value!r} is not supported by rnnkit; remove it")


def refuse_unknown(owner: str, kwargs: Mapping) -> None:
    """A TypeError like Python's own, naming every keyword nobody took (none: no error)."""
    if kwargs:
        raise TypeError(f"{owner} got unexpected keyword argument(s): {', '.join(sorted(kwargs))}")


@dataclass(frozen=True)
class KerasOptions:
    """One owner's Keras options without a feature behind them (see the module docstring).

    ``defaults`` keys may be globs (``"*_regularizer"``); an exact name wins over a glob.
    ``none_is_off``: Keras configs also write None for these options when unset.
    """

    ignored: frozenset[str] = frozenset()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    none_is_off: bool = False

    def knows(self, key: str) -> bool:
        return key in self.ignored or self._default_for(key) is not _UNKNOWN

    def pop(self, owner: str, kwargs: dict, error: type[Exception] = ValueError) -> None:
        """Remove from ``kwargs`` every option of this table; refuse those not at their default."""
        for key in [k for k in kwargs if self.knows(k)]:
            self.check(owner, key, kwargs.pop(key), error)

    def check(self, owner: str, key: str, value, error: type[Exception] = ValueError) -> None:
        """Refuse ``key=value`` unless the table ignores ``key`` or ``value`` means "off"."""
        if key in self.ignored or (self.none_is_off and value is None):
            return
        default = self._default_for(key)
        if default is _UNKNOWN or not _same(value, default):
            refuse(owner, key, value, error)

    def check_all(self, owner: str, error: type[Exception] = ValueError, **given) -> None:
        """``check`` each named option (for options that are named parameters of the owner)."""
        for key, value in given.items():
            self.check(owner, key, value, error)

    def _default_for(self, key: str):
        if key in self.defaults:
            return self.defaults[key]
        for pattern, default in self.defaults.items():
            if fnmatch.fnmatchcase(key, pattern):
                return default
        return _UNKNOWN


_UNKNOWN = object()


def _same(value, default) -> bool:
    # ``==`` as Keras's own configs compare; a value that cannot say (an array) is never off
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # e.g. an array: never a Keras default
        return False
