"""Which process writes files: rank 0 of a distributed run, or the only process (no torch needed).

torchrun and ``rnnkit.engines.torch_engine.distributed.launch`` set ``RANK`` in every process;
savers and loggers ask ``is_writer()`` so that N processes do not write the same files N times.
"""

from __future__ import annotations

import os


def rank() -> int:
    """This process's global rank (0 when not launched as part of a distributed run)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_writer() -> bool:
    """True in the one process that writes the run's files."""
    return rank() == 0
