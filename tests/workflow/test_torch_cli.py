"""`--engine torch` and `--nproc N` wire the CLI to the PyTorch engine and its DDP launcher."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from rnnkit.cli import main
from rnnkit.engines.numpy_engine import NumpyEngine
from rnnkit.saving import load_model
from rnnkit.workflow.predict import predict_texts
from rnnkit.workflow.runs import Run

pytest.importorskip("torch")

from rnnkit.engines.torch_engine.engine import TorchEngine  # noqa: E402

TEXTS = ["a good great film", "a bad dull plot", "the story was fun and moving",
         "it was boring and the actors were weak", "plain okay film"]


def test_torch_engine_run_predicts_like_numpy(tmp_path, tiny_recipe):
    runs = {}
    for engine, options in (("torch", ["--device", "cpu"]), ("numpy", [])):
        assert main(["train", str(tiny_recipe), "--engine", engine, *options,
                     "--run-dir", str(tmp_path / engine), "--quiet"]) == 0
        runs[engine] = Run.open(tmp_path / engine)
    metrics = runs["torch"].metrics()
    assert metrics["engine"] == "torch" and metrics["test_accuracy"] > 0.8
    x = runs["torch"].encoder().encode(TEXTS)

    # The torch run's model.keras, run by each engine: the same probabilities.
    on_numpy = load_model(runs["torch"].path / "model.keras")
    on_torch = load_model(runs["torch"].path / "model.keras", compile=False)
    on_torch.compile(optimizer="adam", loss="binary_crossentropy", engine="torch", device="cpu")
    assert isinstance(on_numpy.engine, NumpyEngine) and isinstance(on_torch.engine, TorchEngine)
    by_torch = on_torch.predict(x, verbose=0)
    np.testing.assert_allclose(by_torch, on_numpy.predict(x, verbose=0), rtol=0, atol=1e-6)

    # The same recipe and seed trained by the NumPy engine: the same history and predictions.
    history = {engine: np.loadtxt(run.path / "history.csv", delimiter=",", skiprows=1)[:, :-1]
               for engine, run in runs.items()}               # seconds (last column) dropped
    np.testing.assert_allclose(history["torch"], history["numpy"], rtol=1e-5, atol=1e-6)
    assert (runs["numpy"].encoder().encode(TEXTS) == x).all()
    probabilities = predict_texts(runs["torch"], TEXTS)
    np.testing.assert_allclose(probabilities, predict_texts(runs["numpy"], TEXTS),
                               rtol=0, atol=1e-5)
    np.testing.assert_allclose(probabilities[:, 1], by_torch[:, 0], rtol=0, atol=1e-6)
    assert probabilities[0, 1] > 0.5 > probabilities[1, 1]


def test_two_process_ddp_run_writes_one_run_directory(tmp_path, tiny_recipe, capfd):
    run_dir = tmp_path / "ddp"
    code = main(["train", str(tiny_recipe), "--engine", "torch", "--device", "cpu",
                 "--nproc", "2", "--run-dir", str(run_dir)])
    assert code == 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs_run"] == 3 and np.array(metrics["confusion_matrix"]).sum() == 60
    assert metrics["processes"] == 2
    assert len((run_dir / "history.csv").read_text().splitlines()) == 4
    assert (run_dir / "model.keras").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp", "tiny.csv", "tiny.toml"]
    # The processes' own output (capfd: they write to the file descriptors): rank 0 speaks for
    # the run — one "Training" line that says DDP ran, one progress bar, one result.
    out = capfd.readouterr().out
    assert out.count(f"Training → {run_dir} (2 processes, DDP)") == 1, out
    assert len(re.findall(r"ms/step", out)) == 3, out       # one line per epoch, not per rank
    assert out.count("Test accuracy") == 1, out
