"""`--engine torch` and `--nproc N` wire the CLI to the PyTorch engine and its DDP launcher."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rnnkit.cli import main
from rnnkit.workflow.predict import predict_texts
from rnnkit.workflow.runs import Run

pytest.importorskip("torch")


def test_torch_engine_run_predicts_like_numpy(tmp_path, tiny_recipe):
    assert main(["train", str(tiny_recipe), "--engine", "torch", "--device", "cpu",
                 "--runs-dir", str(tmp_path / "runs"), "--quiet"]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["engine"] == "torch" and metrics["test_accuracy"] > 0.8
    run = Run.open(run_dir)
    probabilities = predict_texts(run, ["a good great film", "a bad dull plot"])
    assert probabilities[0, 1] > 0.5 > probabilities[1, 1]


def test_two_process_ddp_run_writes_one_run_directory(tmp_path, tiny_recipe, capsys):
    run_dir = tmp_path / "ddp"
    code = main(["train", str(tiny_recipe), "--engine", "torch", "--device", "cpu",
                 "--nproc", "2", "--run-dir", str(run_dir), "--quiet"])
    assert code == 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs_run"] == 3 and np.array(metrics["confusion_matrix"]).sum() == 60
    assert len((run_dir / "history.csv").read_text().splitlines()) == 4
    assert (run_dir / "model.keras").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp", "tiny.csv", "tiny.toml"]
    out = capsys.readouterr().out
    assert out.count("Training recipe") <= 1               # rank 1 prints nothing
