"""Where the integration tests find the real corpora (a helper module, not a test file)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("RNNKIT_DATA") or REPO.parent / "shared" / "data")


def shared_file(name: str) -> Path:
    """A file of the shared data folder, or skip the test naming what is missing."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{name} not found in {SHARED_DATA}: set RNNKIT_DATA to a folder that holds it")
    return path
