"""Run Python in a subprocess as on an install without the optional extras.

A meta-path finder placed first refuses numba, llvmlite, scipy and torch, exactly as Python
does for a module that is not installed (ModuleNotFoundError), whatever the test venv holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

ABSENT = ("numba", "llvmlite", "scipy", "torch")

PRELUDE = """
import sys

class _NotInstalled:
    '''Refuse these top-level names as if they were not installed.'''
    def __init__(self, names):
        self.names = set(names)
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled(%r))
"""

# numba found on the path, but its import fails the way a numba built for another NumPy does.
BROKEN_NUMBA = """
import importlib.abc, importlib.machinery, sys

class _BrokenNumba(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "numba":
            return importlib.machinery.ModuleSpec(name, self)
        return None
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        raise ImportError("Numba needs NumPy 2.3 or less. Got NumPy 9.9.")

sys.meta_path.insert(0, _BrokenNumba())
"""


def run_python(code: str, *, absent=ABSENT, prelude: str | None = None, env: dict | None = None,
               args=(), timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -c code`` with ``absent`` made unimportable (and ``prelude`` run first)."""
    source = (PRELUDE % (tuple(absent),)) if absent else ""
    source += (prelude or "") + textwrap.dedent(code)
    full_env = dict(os.environ)
    full_env.pop("RNNKIT_NUMBA", None)      # the automatic choice unless a test sets it
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-c", source, *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout)
