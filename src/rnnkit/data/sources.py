"""The datasets a recipe can name in ``data.source``, as one registry of source objects.

Each dataset module registers its ``DatasetSource`` when imported (``register(...)`` at its
end); the registry imports the built-in ones, listed in ``BUILTIN_MODULES``, the first time it is
asked. Loading, checking a config, describing a run and ``rnnkit evaluate --data NAME`` all ask
the registry, never a list of names, so a new dataset is one module plus one name there.

A source reads a recipe's ``[data]`` section (a mapping of its keys, e.g. ``test_split``,
``split_seed``) and returns a ``TextDataset``; the rest of the workflow (splitting, encoding,
training) is the same for every source.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .corpus import TextDataset

#: the rnnkit.data modules that register the built-in sources
BUILTIN_MODULES = ("movie_reviews", "aclimdb", "reuters21578", "custom")

Section = Mapping[str, Any]     # a recipe's [data] section


@dataclass(frozen=True)
class DatasetSource:
    """One ``data.source`` value and what the workflow needs to know of it.

    Attributes:
        name: the ``data.source`` value.
        load: the train/test texts for a ``[data]`` section.
        summary: what it is, in a few words (help texts, errors).
        test_source: where its test set comes from, in words (default: its own test split).
        note: the report's data column (default: ``default_note``).
        selects: ``[data]`` keys that choose which texts or labels it gives (another value
            means other data: a recipe's display names and reported figure no longer apply).
        exclusive: ``[data]`` keys only it reads; set under another source they are refused.
        file_keys: ``[data]`` keys that name files (a run stores them as absolute paths).
        choose: how a user picks this source (named in errors).
    """

    name: str
    load: Callable[[Section], TextDataset]
    summary: str
    test_source: Callable[[Section], str] | None = None
    note: Callable[[Section], str] | None = None
    selects: tuple[str, ...] = ()
    exclusive: tuple[str, ...] = ()
    file_keys: tuple[str, ...] = ()
    choose: str = ""

    def describe_test(self, data: Section) -> str:
        """Where the test set of ``data`` comes from, in words."""
        if self.test_source is not None:
            return self.test_source(data)
        return f"the {self.name} test split"

    def describe(self, data: Section) -> str:
        """The report's data column for ``data``."""
        return (self.note or default_note)(data)

    def how_to_choose(self) -> str:
        return self.choose or f"--set data.source={self.name}"


_REGISTRY: dict[str, DatasetSource] = {}
_builtins_loaded = False


def register(source: DatasetSource) -> DatasetSource:
    """Add ``source`` under its name (a name may be registered once)."""
    if source.name in _REGISTRY and _REGISTRY[source.name] is not source:
        raise ValueError(f"a dataset source named {source.name!r} is already registered")
    _REGISTRY[source.name] = source
    return source


def unregister(name: str) -> None:
    """Remove a source (for plugins and tests that register their own)."""
    _REGISTRY.pop(name, None)


def registered() -> dict[str, DatasetSource]:
    """Every source by name, built-in ones first, in registration order."""
    global _builtins_loaded
    if not _builtins_loaded:
        for module in BUILTIN_MODULES:
            importlib.import_module(f"{__package__}.{module}")
        _builtins_loaded = True
    return dict(_REGISTRY)


def names() -> tuple[str, ...]:
    """The ``data.source`` values a recipe may use."""
    return tuple(registered())


def get(name: str) -> DatasetSource:
    """The source called ``name``; a ValueError listing the others if there is none."""
    sources = registered()
    if name not in sources:
        raise ValueError(f"unknown data.source {name!r}; use one of {', '.join(sources)}")
    return sources[name]


# ---- helpers for sources' descriptions ---------------------------------------------------------
def split_of(where: str | Callable[[Section], str]) -> Callable[[Section], str]:
    """``test_source`` for a source whose test set is a seeded ``data.test_split`` share."""
    def describe(data: Section) -> str:
        what = where(data) if callable(where) else where
        return (f"a {data['test_split']:.0%} stratified split of {what} "
                f"(data.split_seed {data['split_seed']})")
    return describe


def default_note(data: Section) -> str:
    """A report's data column: the source's name, and the Keras IMDB ids if it uses them."""
    note = data["source"]
    if data["encoding"] == "keras_imdb":
        note += " (Keras IMDB ids)"
    return note
