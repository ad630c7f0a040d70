"""A small trained run for the command-line tests (the workflow tests' tiny recipe)."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow.conftest import write_recipe


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A finished binary run directory (GRU on made-up reviews), trained through the CLI once
    for the module."""
    from rnnkit.cli import main
    tmp = tmp_path_factory.mktemp("explain_run")
    assert main(["train", str(write_recipe(tmp)), "--runs-dir", str(tmp / "runs"),
                 "--quiet"]) == 0
    (run,) = (tmp / "runs").iterdir()
    return run
