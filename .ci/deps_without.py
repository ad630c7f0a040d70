#!/usr/bin/env python3
"""Print rnnkit's default dependencies from pyproject.toml, one per line (markers kept, for pip's
``-r``), leaving out the named packages — for an install ``pip install --no-deps .`` without them:

    python3 .ci/deps_without.py numba scipy > requirements.txt

Read from pyproject.toml so that the list never drifts from the package's own.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _name(requirement: str) -> str:
    """The normalized project name at the start of a PEP 508 requirement (PEP 503)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise SystemExit(f"{PYPROJECT}: cannot read the requirement {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    left_out = {_name(a) for a in argv}
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    names = {_name(d) for d in dependencies}
    for name in sorted(left_out - names):
        print(f"deps_without: {name} is not a default dependency (nothing to leave out)",
              file=sys.stderr)
    for dependency in dependencies:
        if _name(dependency) not in left_out:
            print(dependency)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
