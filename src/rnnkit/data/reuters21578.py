"""Reuters-21578 (Distribution 1.0, UCI's SGML release), parsed from its tar.gz.

All 22 ``reut2-0NN.sgm`` files are parsed: 21,578 stories, each with its attributes (NEWID,
LEWISSPLIT, CGISPLIT, TOPICS), topic labels, title, dateline and body. The files are decoded as
Latin-1, the encoding of the one non-ASCII byte in the collection (``ü`` in reut2-017); character
references are resolved, and the control characters the wire used as markers are dropped.

Splits and label sets (Lewis's README, §VIII.B; Cardoso-Cachopo's R8/R52):
- ModApte: train = LEWISSPLIT="TRAIN" and TOPICS="YES" (9,603 stories), test = LEWISSPLIT="TEST"
  and TOPICS="YES" (3,299); the rest is unused.
- ``categories=N``: the single-label ModApte stories whose topic is one of the N topics with most
  single-label *training* stories (ties broken by name). N=46 by default, the size of Keras's Reuters.
- ``categories="r8"``: single-label stories of the 10 topics with most ModApte training stories
  (counting every label of multi-label stories); 8 topics remain, since wheat and corn never occur
  alone (5,485 train / 2,189 test stories, the published R8 figures).
- ``categories="r52"``: of the 90 topics with at least one training and one test story (R90), the
  single-label stories of those with a single-label story in each split: 52 topics (6,532 / 2,568).
- or a list of topic names.
Class ids follow the alphabetical order of the topic names. Stories keep their text as written,
including the closing "Reuter" signature; one UNPROC story (NEWID 12793) has no text at all.
"""

from __future__ import annotations

import gzip
import html
import os
import re
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .corpus import LabelledTexts, TextDataset
from .download import Hashes, fetch
from .errors import CorruptArchiveError, DataFormatError
from .sources import DatasetSource, default_note, register

FILENAME = "reuters21578.tar.gz"
SGML_FILES = tuple(f"reut2-{i:03d}.sgm" for i in range(22))
PathLike = str | os.PathLike

_STORY = re.compile(r"<REUTERS(?P<attrs>[^>]*)>(?P<body>.*?)</REUTERS>", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_D = re.compile(r"<D>(.*?)</D>", re.S)
_TEXT = re.compile(r"<TEXT(?P<attrs>[^>]*)>(?P<body>.*?)</TEXT>", re.S)
_TAG = re.compile(r"<[^>]+>")
# Control characters (the wire's STX/ETX markers and the like) that survive entity decoding.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Story:
    """One Reuters story: identifiers, split attributes, topic labels and text fields."""

    newid: int
    oldid: int
    lewissplit: str
    cgisplit: str
    topics_attr: str
    topics: tuple[str, ...]
    places: tuple[str, ...]
    text_type: str
    title: str
    dateline: str
    body: str
    source: str

    @property
    def text(self) -> str:
        """Title and body, one line apart (the title alone for BRIEF stories)."""
        return "\n".join(part for part in (self.title, self.body) if part)


def _field(tag: str, block: str) -> str:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", block, re.S)
    return m.group(1) if m else ""


def _clean(raw: str) -> str:
    # html.unescape resolves &lt; &amp; and numeric references (it maps the control-character
    # references such as &#3; to ''), then the literal control characters go too.
    return _CONTROL.sub("", html.unescape(raw)).strip()


def _story(attrs: str, block: str, source: str) -> Story:
    a = dict(_ATTR.findall(attrs))
    text_match = _TEXT.search(block)
    text_attrs = dict(_ATTR.findall(text_match.group("attrs"))) if text_match else {}
    text = text_match.group("body") if text_match else ""
    text_type = text_attrs.get("TYPE", "NORM")
    title, body = _field("TITLE", text), _field("BODY", text)
    if text_type == "UNPROC":
        body = _TAG.sub(" ", text)  # unprocessed stories have no BODY markup, only the raw text
    return Story(
        newid=int(a["NEWID"]), oldid=int(a["OLDID"]), lewissplit=a["LEWISSPLIT"], cgisplit=a["CGISPLIT"],
        topics_attr=a.get("TOPICS", "YES"),
        topics=tuple(_clean(d) for d in _D.findall(_field("TOPICS", block))),
        places=tuple(_clean(d) for d in _D.findall(_field("PLACES", block))),
        text_type=text_type, title=_clean(title), dateline=_clean(_field("DATELINE", text)),
        body=_clean(body), source=source,
    )


def parse_sgml(content: str, source: str = "<string>") -> list[Story]:
    """The stories in one SGML file's text, in file order."""
    stories = []
    for m in _STORY.finditer(content):
        try:
            stories.append(_story(m.group("attrs"), m.group("body"), source))
        except (KeyError, ValueError) as exc:
            line = content.count("\n", 0, m.start()) + 1
            raise DataFormatError(f"{source}, line {line}: a <REUTERS> element lacks or garbles {exc}: "
                                  "the file is damaged; download the archive again") from exc
    return stories


def read_stories(archive: PathLike) -> list[Story]:
    """All stories of the 22 SGML files in the archive, ordered by NEWID."""
    found: dict[str, list[Story]] = {}
    try:
        # gzip.open, not tarfile's "r|gz", so that a truncated download raises (see aclimdb.py).
        with gzip.open(archive, "rb") as gz, tarfile.open(fileobj=gz, mode="r|") as tar:
            for member in tar:
                name = member.name.rsplit("/", 1)[-1]
                if member.isfile() and name in SGML_FILES:
                    content = tar.extractfile(member).read().decode("latin-1")
                    found[name] = parse_sgml(content, f"{archive}:{name}")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise CorruptArchiveError(
            f"{archive} is truncated or damaged ({type(exc).__name__}: {exc}); delete it and download it again"
        ) from exc
    missing = [f for f in SGML_FILES if f not in found]
    if missing:
        raise CorruptArchiveError(f"{archive} lacks {', '.join(missing)}: it is not the complete "
                                  "Reuters-21578 distribution; download it again")
    return sorted((s for stories in found.values() for s in stories), key=lambda s: s.newid)


def load_stories(path: PathLike = FILENAME, *, data_dir: PathLike | None = None, file_hash: Hashes = None,
                 download: bool | None = None) -> list[Story]:
    """All 21,578 stories, fetched from the cache (see ``download.fetch``)."""
    return read_stories(fetch(path, file_hash=file_hash, data_dir=data_dir, download=download))


def modapte(stories: Iterable[Story]) -> tuple[list[Story], list[Story]]:
    """The ModApte training (9,603) and test (3,299) stories."""
    train, test = [], []
    for s in stories:
        if s.topics_attr == "YES":
            if s.lewissplit == "TRAIN":
                train.append(s)
            elif s.lewissplit == "TEST":
                test.append(s)
    return train, test


def _top(counts: Counter, n: int) -> list[str]:
    return [t for t, _ in sorted(counts.items(), key=lambda tc: (-tc[1], tc[0]))[:n]]


def choose_topics(train: Sequence[Story], test: Sequence[Story], categories: int | str | Sequence[str]) -> list[str]:
    """The topic names a ``categories`` choice selects (see the module docstring)."""
    single = Counter(s.topics[0] for s in train if len(s.topics) == 1)
    if isinstance(categories, str):
        key = categories.lower()
        alone_train = {s.topics[0] for s in train if len(s.topics) == 1}
        alone_test = {s.topics[0] for s in test if len(s.topics) == 1}
        if key == "r8":
            every = Counter(t for s in train for t in s.topics)
            # Of the top 10, keep those that still have single-label stories (wheat, corn do not).
            return sorted(set(_top(every, 10)) & (alone_train | alone_test))
        if key == "r52":
            r90 = {t for s in train for t in s.topics} & {t for s in test for t in s.topics}
            return sorted(r90 & alone_train & alone_test)
        raise ValueError(f"categories must be an int, 'r8', 'r52' or a list of topics, got {categories!r}")
    if isinstance(categories, (int, np.integer)):
        if categories < 2:
            raise ValueError(f"categories={categories} would leave fewer than two classes: use 2 or more")
        return sorted(_top(single, int(categories)))
    names = sorted(set(categories))
    if len(names) < 2:
        raise ValueError(f"categories {names} name fewer than two topics: a classifier needs two or more")
    return names


def _labelled(stories: Sequence[Story], names: Sequence[str]) -> LabelledTexts:
    index = {t: i for i, t in enumerate(names)}
    kept = [s for s in stories if len(s.topics) == 1 and s.topics[0] in index]
    return LabelledTexts(
        texts=[s.text for s in kept],
        labels=np.array([index[s.topics[0]] for s in kept], dtype=np.int64),
        class_names=tuple(names),
        ids=tuple(str(s.newid) for s in kept),
    )


def load_data(
    categories: int | str | Sequence[str] = 46, path: PathLike = FILENAME, *, data_dir: PathLike | None = None,
    file_hash: Hashes = None, download: bool | None = None,
) -> TextDataset:
    """Single-label ModApte train/test stories over the chosen topics (see the module docstring).

    ``(x_train, y_train), (x_test, y_test) = load_data()`` gives lists of texts (title + body) and
    int64 class ids; ``.class_names`` are the topics; ``.train.ids`` the stories' NEWIDs.
    """
    train, test = modapte(load_stories(path, data_dir=data_dir, file_hash=file_hash, download=download))
    names = choose_topics(train, test, categories)
    return TextDataset(train=_labelled(train, names), test=_labelled(test, names))


register(DatasetSource(
    "reuters21578", load=lambda data: load_data(categories=data["categories"]),
    summary="the Reuters-21578 newswires (ModApte split, the N most frequent topics)",
    note=lambda data: f"{default_note(data)} (ModApte, top {data['categories']})",
    selects=("categories",)))
