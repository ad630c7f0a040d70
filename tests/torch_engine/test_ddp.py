"""DDP on 2 CPU processes (gloo, loopback): the same weights as 1 process, files from rank 0 only,
and a clean exit: the process group is torn down before the interpreter finalizes."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from rnnkit.engines.torch_engine import distributed  # noqa: E402
from rnnkit.engines.torch_engine.distributed import Shard, launch  # noqa: E402

WORKER = str(Path(__file__).with_name("ddp_worker.py"))


def run_alone(out):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    done = subprocess.run([sys.executable, WORKER, str(out)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_two_ranks_train_like_one_process_and_only_rank_0_writes(tmp_path, capfd):
    alone, ddp = tmp_path / "alone", tmp_path / "ddp"
    alone.mkdir(), ddp.mkdir()
    (alone_report,) = [line for line in run_alone(alone).splitlines() if line.startswith("RANK")]
    codes = launch([WORKER, str(ddp)], nproc=2, timeout=180)
    captured = capfd.readouterr()
    out = captured.out
    assert codes == [0, 0], f"exit codes {codes}\n{out}\n{captured.err[-3000:]}"
    reports = sorted(line for line in out.splitlines() if line.startswith("RANK"))
    assert [r.split()[1] for r in reports] == ["0", "1"]
    assert reports[0].split()[2:] == reports[1].split()[2:]     # ranks hold the same weights
    loss = float(reports[0].split()[5])                         # of the gathered global batches
    assert loss == pytest.approx(float(alone_report.split()[5]), rel=1e-5, abs=1e-6)
    # The network, and on 2 ranks DDP's wrapper, were ready before epoch 1's clock started.
    assert [r.split()[-2:] for r in [alone_report, *reports]] == [["READY", "True"]] * 3, reports
    # Each rank tore its group down and let go of every collective's tensors before finalizing.
    exits = sorted(line for line in out.splitlines() if line.startswith("EXIT"))
    assert exits == ["EXIT 0 initialized=False held=0", "EXIT 1 initialized=False held=0"], out

    one = np.load(alone / "weights_1.npz")
    two = np.load(ddp / "weights_2.npz")
    assert len(one.files) == len(two.files) == 12
    for key in one.files:
        np.testing.assert_allclose(two[key], one[key], rtol=0, atol=1e-5, err_msg=key)

    written = sorted(p.name for p in ddp.iterdir())
    assert written == ["ckpt_rank0.keras", "log_rank0.csv", "weights_2.npz"]


@pytest.mark.parametrize("n,world", [(7, 2), (6, 2), (1, 2), (10, 3)])
def test_shards_cover_the_batch_once(n, world):
    rows = []
    for rank in range(world):
        start, stop = Shard(rank, world, "cpu").bounds(n)
        rows += list(range(start, stop))
        assert stop - start in (n // world, n // world + 1)
    assert rows == list(range(n))


def test_tensors_given_to_a_collective_are_held_until_the_backend_lets_go():
    """The exit race (pytorch/pytorch#190489): if a gloo worker thread drops the last reference
    to a tensor Python made, it must take the GIL; during interpreter finalization that ends the
    thread inside a C++ destructor (SIGABRT). So rnnkit keeps such tensors until the backend
    released them, and its exit hook waits for that."""
    torch = pytest.importorskip("torch")
    distributed._IN_FLIGHT.clear()
    sent = torch.ones(3)
    backend_ref = sent.view(3)          # stands for the work object's reference (use count 2)
    distributed._hold(sent)
    del sent
    assert not distributed._drain(timeout=0.05)      # still referenced elsewhere: kept
    assert len(distributed._IN_FLIGHT) == 1
    del backend_ref
    assert distributed._drain(timeout=1.0) and distributed._IN_FLIGHT == []


def test_embedding_rows_reduce_like_a_dense_all_reduce(capfd):
    """The input embedding's gradient is all-reduced on the rows the *global* batch used: with
    ranks whose shards use disjoint ids, the weights equal those of DDP's dense all-reduce."""
    codes = launch([str(Path(__file__).with_name("ddp_rows_worker.py"))], nproc=2, timeout=180)
    captured = capfd.readouterr()
    assert codes == [0, 0], f"exit codes {codes}\n{captured.out}\n{captured.err[-3000:]}"
    reports = sorted(line.split()[1:] for line in captured.out.splitlines()
                     if line.startswith("ROWS"))
    assert [r[0] for r in reports] == ["0", "1"], captured.out
    rng = np.random.default_rng(3)                              # the worker's first batches
    low, high = rng.integers(1, 13, (2, 5)), rng.integers(20, 32, (2, 5))
    both = len(np.unique(np.concatenate([low, high])))
    for _, sent, diff, kept in reports:
        assert sent.split(",")[:2] == [str(both), str(both)]     # both ranks' ids, each step
        assert float(diff) == 0.0                                # the dense all-reduce's floats
        assert kept == "True"                                    # rows no batch used: unchanged
