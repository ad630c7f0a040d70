"""``rnnkit train --nproc N`` starts its processes at once, and one failing process stops the rest.

The launching process checks the recipe's values only: each process loads the data (rank 0
before it makes the run's folder), so the launcher neither loads it nor imports PyTorch.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from rnnkit.cli import main
from rnnkit.engines import launcher


def test_the_launcher_imports_no_torch():
    done = subprocess.run([sys.executable, "-c", "import sys, rnnkit.cli, rnnkit.engines.launcher;"
                           " print('torch' in sys.modules)"], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def _script(tmp_path, body: str):
    script = tmp_path / "rank.py"
    script.write_text("import os, sys, time\nrank = int(os.environ['RANK'])\n" + body)
    return str(script)


def test_a_failed_process_stops_the_others_after_the_grace_period(tmp_path):
    script = _script(tmp_path, "if rank == 1:\n    sys.exit(3)\ntime.sleep(120)\n")
    started = time.monotonic()
    codes = launcher.launch([script], nproc=2, grace=1.0)
    assert codes[1] == 3 and codes[0] < 0            # rank 0 stopped by a signal
    assert time.monotonic() - started < 30


def test_the_others_may_end_on_their_own_within_the_grace_period(tmp_path):
    script = _script(tmp_path, "if rank == 1:\n    sys.exit(3)\ntime.sleep(1)\nsys.exit(2)\n")
    assert launcher.launch([script], nproc=2, grace=30.0) == [2, 3]


def test_processes_that_succeed_all_run_to_the_end(tmp_path):
    script = _script(tmp_path, "time.sleep(0.5 * rank)\nprint('done', rank, flush=True)\n")
    assert launcher.launch([script], nproc=3, grace=0.1) == [0, 0, 0]


def test_the_launcher_loads_no_data_and_rank_0_makes_the_folder(tmp_path, tiny_recipe,
                                                                monkeypatch):
    from rnnkit.workflow import data

    def refuse(*args, **kwargs):
        raise AssertionError("the launcher loaded the data")

    seen = {}

    def fake_launch(argv, nproc):
        seen.update(argv=argv, nproc=nproc)
        return [0, 0]

    monkeypatch.setattr(data, "prepare", refuse)
    monkeypatch.setattr(launcher, "launch", fake_launch)
    runs_dir = tmp_path / "runs"
    assert main(["train", str(tiny_recipe), "--engine", "torch", "--nproc", "2",
                 "--runs-dir", str(runs_dir)]) == 0
    argv = seen["argv"]
    run_dir = argv[argv.index("--run-dir") + 1]
    assert seen["nproc"] == 2 and run_dir.startswith(str(runs_dir / "tiny-"))
    assert not runs_dir.exists()                     # rank 0 makes it, after its own checks


def test_overwrite_goes_to_the_processes(tmp_path, tiny_recipe, monkeypatch):
    seen = {}
    monkeypatch.setattr(launcher, "launch", lambda argv, nproc: seen.update(argv=argv) or [0, 0])
    assert main(["train", str(tiny_recipe), "--engine", "torch", "--nproc", "2",
                 "--run-dir", str(tmp_path / "run"), "--overwrite"]) == 0
    assert "--overwrite" in seen["argv"]


@pytest.mark.parametrize("codes, status, says", [
    ([0, 3], 3, "process 1 of 2 stopped (exit code 3)"),
    ([-15, 1], 1, "process 1 of 2 stopped (exit code 1)"),
    ([0, -9], 137, "process 1 of 2 stopped (signal 9)"),
    ([2, -15], 2, None),                             # rank 0 said what went wrong itself
])
def test_a_process_that_failed_silently_is_named(tmp_path, tiny_recipe, monkeypatch, capsys,
                                                 codes, status, says):
    monkeypatch.setattr(launcher, "launch", lambda argv, nproc: codes)
    assert main(["train", str(tiny_recipe), "--engine", "torch", "--nproc", "2",
                 "--run-dir", str(tmp_path / "run")]) == status
    err = capsys.readouterr().err
    assert (says in err) if says else err == ""


def test_a_run_dir_holding_a_run_is_refused_before_any_process_starts(trained_run, tiny_recipe,
                                                                      monkeypatch, capsys):
    def no_launch(argv, nproc):
        raise AssertionError("processes were started")

    monkeypatch.setattr(launcher, "launch", no_launch)
    before = sorted(p.name for p in trained_run.iterdir())
    assert main(["train", str(tiny_recipe), "--engine", "torch", "--nproc", "2",
                 "--run-dir", str(trained_run)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "already holds a run (finished)" in err and "--overwrite" in err
    assert sorted(p.name for p in trained_run.iterdir()) == before
