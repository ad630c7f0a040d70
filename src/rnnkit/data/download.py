"""The data cache: where files live, which checksums they must have, and how they are downloaded.

Resolution of the cache folder, first match wins: the ``data_dir`` argument, the ``RNNKIT_DATA``
environment variable, the user's cache folder (``~/.cache/rnnkit`` on Linux, via pooch/platformdirs).

A file already in the cache is used as it is once its checksum matches; a mismatch is an error, never
a silent re-download (a wrong file in a read-only shared folder must be reported, not papered over).
A missing file is downloaded with pooch's HTTP downloader into a temporary name beside the target,
checked, then renamed into place, so an interrupted download never leaves a half file under the real
name. ``RNNKIT_OFFLINE=1`` (or ``download=False``) turns a missing file into a one-line error that
says where to get it and where to put it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

from ..atomic import atomic_path
from .errors import HashMismatchError, MissingDataFileError

_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

Hashes = Union[str, Sequence[str], None]


@dataclass(frozen=True)
class RemoteFile:
    """A file rnnkit knows: its canonical URL and every checksum accepted for it."""

    name: str
    url: str
    hashes: tuple[str, ...]


# Checksums as "algorithm:hex". Where two are listed, the second is a known-good variant (see note).
KNOWN_FILES: dict[str, RemoteFile] = {
    f.name: f
    for f in (
        RemoteFile(
            "imdb.npz",
            _KERAS + "imdb.npz",
            ("sha256:69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",),
        ),
        RemoteFile(
            "reuters.npz",
            _KERAS + "reuters.npz",
            ("sha256:d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",),
        ),
        # Keras publishes an md5 for the word indexes; the sha256 below is of the same bytes.
        RemoteFile(
            "imdb_word_index.json",
            _KERAS + "imdb_word_index.json",
            ("sha256:027313fe9a320280f3bf0fac5baf58c4a683cf39a7ed9c3d3d3912bde4284cf6",
             "md5:bfafd718b763782e994055a2d397834f"),
        ),
        RemoteFile(
            "reuters_word_index.json",
            _KERAS + "reuters_word_index.json",
            ("md5:4d44cc38712099c9e383dc6e5f11a921",),
        ),
        # Stanford's published tarball, and the same layout repacked without the *.feat files
        # (the copy the project's offline test data holds: 25,000/25,000 + 50,000 unsup reviews).
        RemoteFile(
            "aclImdb_v1.tar.gz",
            "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
            ("sha256:c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
             "sha256:15efe61b046bab2235aba67dd0c29f9768a163a0b62ec53fbed7c6f03e292738"),
        ),
        # UCI's copy (the one the project's offline data holds), and David Lewis's mirror.
        RemoteFile(
            "reuters21578.tar.gz",
            "https://kdd.ics.uci.edu/databases/reuters21578/reuters21578.tar.gz",
            ("sha256:78b11b7305ea06fa6510ff4b58b27c1ea2926a89179cfeb2762e93e333cc9fae",
             "md5:a22faadd7dde0dfdd784e60087209aa6"),
        ),
    )
}


def data_home(data_dir: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``data_dir`` if given, else ``$RNNKIT_DATA``, else the user cache dir."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get("RNNKIT_DATA")
    if env:
        return Path(env).expanduser()
    import pooch  # deferred: pooch pulls in requests, which costs import time

    return pooch.os_cache("rnnkit")


def _normalise_hashes(file_hash: Hashes) -> tuple[str, ...]:
    if file_hash is None:
        return ()
    items = (file_hash,) if isinstance(file_hash, str) else tuple(file_hash)
    out = []
    for h in items:
        h = h.strip().lower()
        if ":" not in h:
            # A bare hex digest: its length says which algorithm made it.
            algorithm = {32: "md5", 40: "sha1", 64: "sha256"}.get(len(h))
            if algorithm is None:
                raise ValueError(f"file_hash {h!r} is not a hex md5/sha1/sha256; write it as 'sha256:<hex>'")
            h = f"{algorithm}:{h}"
        out.append(h)
    return tuple(out)


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in 1 MiB chunks."""
    import hashlib

    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: str | os.PathLike, file_hash: Hashes) -> None:
    """Raise HashMismatchError unless the file matches one of the accepted checksums."""
    accepted = _normalise_hashes(file_hash)
    if not accepted:
        return
    digests: dict[str, str] = {}
    for expected in accepted:
        algorithm, hexdigest = expected.split(":", 1)
        if algorithm not in digests:
            digests[algorithm] = file_digest(path, algorithm)
        if digests[algorithm] == hexdigest:
            return
    first_alg = accepted[0].split(":", 1)[0]
    raise HashMismatchError(
        f"{path} has {first_alg} {digests[first_alg]}, not the expected {accepted[0].split(':', 1)[1]}: "
        "it is corrupt or a different file; delete it so it is downloaded again, or pass file_hash= "
        "with the checksum of the file you trust"
    )


class _TextProgress:
    """A minimal pooch-compatible progress bar on stderr, used when tqdm is not installed."""

    def __init__(self, label: str) -> None:
        self.label, self.total, self.done = label, 0, 0

    def update(self, n: int) -> None:
        self.done += n
        if self.total:
            pct = min(100, 100 * self.done // self.total)
            print(f"\rdownloading {self.label}: {pct:3d}% of {self.total / 1e6:.1f} MB",
                  end="", file=sys.stderr, flush=True)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        print(file=sys.stderr, flush=True)


def _progressbar(label: str):
    try:
        import tqdm  # noqa: F401  (pooch draws its own tqdm bar when it is installed)

        return True
    except ImportError:
        return _TextProgress(label)


def _offline() -> bool:
    return os.environ.get("RNNKIT_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def _missing(target: Path, url: str | None, why: str = "") -> MissingDataFileError:
    where = f"download it from {url} and put it at {target}" if url else f"put the file at {target}"
    return MissingDataFileError(
        f"{target.name} is not in {target.parent}{why}: {where} (or point RNNKIT_DATA / data_dir at a "
        "folder that holds it)"
    )


def _download(url: str, target: Path, accepted: tuple[str, ...]) -> None:
    """Download to a temporary file beside ``target``, check it, then rename it into place."""
    import pooch

    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        downloader = pooch.HTTPDownloader(progressbar=_progressbar(target.name), timeout=60)
        try:
            downloader(url, tmp, None)
        except Exception as exc:  # requests' errors: no network, DNS, HTTP 404, timeouts
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            raise _missing(target, url, f" and downloading failed ({reason})") from exc
        verify_file(tmp, accepted)


def fetch(
    path: str | os.PathLike,
    *,
    url: str | None = None,
    file_hash: Hashes = None,
    data_dir: str | os.PathLike | None = None,
    download: bool | None = None,
) -> Path:
    """The local path of a data file, checked against its checksum, downloading it if needed.

    Args:
        path: a file name (looked up in the cache folder and in ``KNOWN_FILES``) or a path to a file.
        url: where to download it from; defaults to the known URL for that file name.
        file_hash: accepted checksum(s) as ``"sha256:<hex>"``/``"md5:<hex>"`` or bare hex; defaults
            to the known checksums for that file name. Pass your own for a mirror or a fixture.
        data_dir: the cache folder (see ``data_home``); ignored when ``path`` has a folder part.
        download: ``False`` never downloads; ``None`` downloads unless ``RNNKIT_OFFLINE`` is set.

    Raises:
        MissingDataFileError: the file is absent and was not (or could not be) downloaded.
        HashMismatchError: the file is there but its checksum is not an accepted one.
    """
    path = Path(path).expanduser()
    target = path if (path.is_absolute() or len(path.parts) > 1) else data_home(data_dir) / path
    known = KNOWN_FILES.get(path.name)
    url = url or (known.url if known else None)
    accepted = _normalise_hashes(file_hash) if file_hash is not None else (known.hashes if known else ())
    if target.is_file():
        verify_file(target, accepted)
        return target
    if download is False or (download is None and _offline()):
        raise _missing(target, url)
    if url is None:
        raise _missing(target, None, " and rnnkit knows no URL for it")
    _download(url, target, accepted)
    return target
