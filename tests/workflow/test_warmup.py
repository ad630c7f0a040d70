"""The compile-ahead helper (kernels/warmup.py): it compiles exactly what a run then uses, a run
after it loads everything from the cache and trains bit-identically, and ``plan_run`` starts,
waits for and stops it as documented. No timings here: docs/benchmarks.md has those."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rnnkit import kernels
from rnnkit.kernels import warmup
from rnnkit.workflow import recipes, train

from .conftest import write_recipe

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="needs numba and scipy")

SRC = Path(__file__).resolve().parents[2] / "src"

# Embedding → GRU (reset_after) → Dense: the main job's layers. Another model covers the other
# loops: a Bidirectional LSTM with sequences, a SimpleRNN, a GRU with the reset gate before.
OTHER_LAYERS = [(
    "model.layers=[{type='Embedding', input_dim=40, output_dim=8, mask_zero=true},"
    "{type='Bidirectional', layer={type='LSTM', units=5, return_sequences=true}},"
    "{type='GRU', units=4, reset_after=false, return_sequences=true},"
    "{type='SimpleRNN', units=3}, {type='Dense', units='classes'}]")]

# One fresh process: ``helper`` runs the warm-up helper to its end first (into the empty cache),
# then the run trains with the hook off; prints the run's weights and, per kernel, the
# specializations it used and how many of them numba had to compile (cache misses).
SCRIPT = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    from rnnkit.kernels import warmup
    from rnnkit.workflow import recipes
    from rnnkit.workflow.train import train_run
    config = recipes.load(sys.argv[1], json.loads(sys.argv[2]))
    if sys.argv[4] == "helper":
        os.environ["RNNKIT_WARMUP"] = "1"
        warm = warmup.start(config)
        assert warm is not None and warm.process.wait(600) == 0
        warm.cancel()                      # removes its marker file
        os.environ["RNNKIT_WARMUP"] = "0"
    os.makedirs(sys.argv[3])
    train_run(config, __import__("pathlib").Path(sys.argv[3]), verbose=0)
    from rnnkit.kernels import embedding, gru, lstm, simple_rnn
    used = {}
    for module in (embedding, gru, lstm, simple_rnn):
        for name, f in vars(module).items():
            if getattr(f, "signatures", None):
                used[f"{module.__name__}.{name}"] = (sorted(map(str, f.signatures)),
                                                     sum(f.stats.cache_misses.values()))
    from rnnkit.models import load_model
    weights = [w.tolist() for w in load_model(os.path.join(sys.argv[3], "model.keras")).get_weights()]
    print(json.dumps({"used": used, "weights": weights}))
""")


def _run(recipe: Path, overrides: list[str], run_dir: Path, cache: Path | None,
         helper: bool) -> dict:
    """``cache``: an empty folder for numba's cache, or None for the suite's own."""
    env = {**os.environ, "RNNKIT_WARMUP": "0",
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    env.pop("RNNKIT_NUMBA", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(recipe), json.dumps(overrides),
                          str(run_dir), "helper" if helper else "alone"],
                         env=env, capture_output=True, text=True, timeout=900, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


MAIN_JOB_LOOPS = {"embedding.scatter_add", "gru.forward_reset_after", "gru.backward_reset_after",
                  "gru.infer_reset_after"}
# the LSTM reads 8-wide embeddings: its loops project them step by step
OTHER_LOOPS = {"embedding.scatter_add", "lstm.forward_projected", "lstm.backward",
               "lstm.infer_projected",
               "gru.forward_reset_before", "gru.backward_reset_before", "gru.infer_reset_before",
               "simple_rnn.forward", "simple_rnn.backward", "simple_rnn.infer"}


@pytest.mark.parametrize("overrides, loops", [([], MAIN_JOB_LOOPS), (OTHER_LAYERS, OTHER_LOOPS)],
                         ids=["main-job-layers", "other-loops"])
def test_the_helper_compiles_what_the_run_uses_and_changes_no_result(tmp_path, overrides, loops):
    recipe = write_recipe(tmp_path, epochs=2)
    overrides = [*overrides, "train.batch_size=50"]     # a last batch of another size too
    alone = _run(recipe, overrides, tmp_path / "alone", None, helper=False)
    helped = _run(recipe, overrides, tmp_path / "helped", tmp_path / "empty-cache", helper=True)
    # the same specializations, each one compiled by the helper: the run itself compiled nothing
    assert {k: v[0] for k, v in helped["used"].items()} == {k: v[0] for k, v in
                                                             alone["used"].items()}
    assert {k: v[1] for k, v in helped["used"].items()} == {k: 0 for k in helped["used"]}
    assert {k.removeprefix("rnnkit.kernels.") for k in alone["used"]} == loops   # ran compiled
    for a, b in zip(alone["weights"], helped["weights"], strict=True):
        np.testing.assert_array_equal(np.array(a), np.array(b))         # bit-identical


class FakeWarmup:
    def __init__(self):
        self.calls = []

    def wait(self):
        self.calls.append("wait")

    def cancel(self):
        self.calls.append("cancel")


@pytest.fixture
def started(monkeypatch):
    """``warmup.start`` replaced: the configs it was started for, and the fake helper's calls."""
    fake, configs = FakeWarmup(), []
    monkeypatch.setattr(warmup, "start", lambda config: configs.append(config) or fake)
    return configs, fake.calls


def test_plan_run_starts_the_helper_before_the_data_and_waits_for_it(tmp_path, started,
                                                                      monkeypatch):
    configs, calls = started
    order = []
    real_prepare = train.prepare
    monkeypatch.setattr(train, "prepare", lambda data: order.append(len(configs)) or
                        real_prepare(data))
    config = recipes.load(str(write_recipe(tmp_path)))
    plan = train.plan_run(config)
    assert order == [1] and calls == ["wait"]          # started before the data, then waited for
    assert configs[0]["model"] == config["model"]
    train.plan_run(config, data=plan.data)              # nothing to overlap: no helper
    train.plan_run(config, warm_up=False)
    train.plan_run(config, engine="torch")
    assert len(configs) == 1


def test_plan_run_stops_the_helper_when_the_data_fails(tmp_path, started, monkeypatch):
    configs, calls = started
    config = recipes.load(str(write_recipe(tmp_path)))

    def interrupted(data):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "prepare", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train.plan_run(config)
    assert len(configs) == 1 and calls == ["cancel"]


def _helper(code: str, tmp_path: Path, compiling: bool) -> warmup.Warmup:
    marker = tmp_path / "marker"
    if compiling:
        marker.touch()
    return warmup.Warmup(subprocess.Popen([sys.executable, "-c", code]), marker)


def test_wait_waits_only_for_a_helper_that_is_compiling(tmp_path):
    done = _helper("import time; time.sleep(0.5)", tmp_path, compiling=True)
    assert done.wait() is True and done.process.returncode == 0
    assert not done.marker.exists()
    idle = _helper("import time; time.sleep(60)", tmp_path, compiling=False)
    assert idle.wait() is False and idle.process.returncode is not None   # stopped at once
    slow = _helper("import time; time.sleep(60)", tmp_path, compiling=True)
    assert slow.wait(timeout=0.5) is False and slow.process.returncode is not None


def test_the_switch(monkeypatch):
    monkeypatch.setattr(kernels, "_enabled", True)
    monkeypatch.setattr(warmup, "_idle_cpu", lambda: True)
    monkeypatch.delenv("RNNKIT_WARMUP", raising=False)
    assert not warmup.wanted()                     # opt-in: a warm run would pay its start-up
    monkeypatch.setenv("RNNKIT_WARMUP", "0")
    assert not warmup.wanted() and warmup.start({}) is None
    monkeypatch.setenv("RNNKIT_WARMUP", "auto")
    assert warmup.wanted()
    monkeypatch.setattr(warmup, "_idle_cpu", lambda: False)
    assert not warmup.wanted()
    monkeypatch.setenv("RNNKIT_WARMUP", "1")
    assert warmup.wanted()
    monkeypatch.setattr(kernels, "_enabled", False)
    assert not warmup.wanted()
