"""Fault injection for tests: kill the process, or fail a write with a full disk, at a named point.

A test hook, off unless the environment variable ``RNNKIT_FAULT`` is set; the fault-injection
tests and ``benchmarks/soak_resume.py`` set it in a child ``rnnkit train`` process::

    RNNKIT_FAULT="kill:step@37"                  SIGKILL itself after the 37th optimizer step
    RNNKIT_FAULT="kill:write:backup-*@3"         … inside the 3rd backup write (the temporary
                                                 file complete, not yet renamed into place)
    RNNKIT_FAULT="kill:write:model.keras@2"      … inside the 2nd best-model write
    RNNKIT_FAULT="enospc:write:backup-*@2"       the 2nd backup write fails: OSError(ENOSPC)

The form is ``ACTION:POINT@N`` — ``ACTION`` is ``kill`` or ``enospc``, ``POINT`` an fnmatch
pattern over the point names below, ``N`` (default 1) which hit of a matching point acts:

    step            after each optimizer step of ``fit`` (training.py)
    write:<file>    inside every atomic write (atomic.py), ``<file>`` the target's base name
    backup:written  a new backup in place, the older ones not yet pruned (saving/backup.py)

SIGKILL is what ``kill -9`` sends: nothing is flushed, no handler or ``finally`` runs.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import signal

ENV = "RNNKIT_FAULT"
_hits: dict[str, int] = {}


def point(name: str, filename: str | None = None) -> None:
    """Mark fault point ``name``; act when ``RNNKIT_FAULT`` names it (else return at once)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    action, _, rest = spec.partition(":")
    pattern, _, count = rest.rpartition("@") if "@" in rest else (rest, "", "1")
    if not fnmatch.fnmatchcase(name, pattern):
        return
    _hits[spec] = _hits.get(spec, 0) + 1
    if _hits[spec] != int(count):
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), filename)
    else:
        raise ValueError(f"{ENV}={spec!r}: the action must be 'kill' or 'enospc'")
