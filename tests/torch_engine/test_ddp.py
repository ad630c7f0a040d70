"""DDP on 2 CPU processes (gloo, loopback): the same weights as 1 process, files from rank 0 only."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

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
    run_alone(alone)
    codes = launch([WORKER, str(ddp)], nproc=2, timeout=180)
    out = capfd.readouterr().out
    assert codes == [0, 0], out
    reports = sorted(line for line in out.splitlines() if line.startswith("RANK"))
    assert [r.split()[1] for r in reports] == ["0", "1"]
    assert reports[0].split()[2:] == reports[1].split()[2:]     # ranks hold the same weights

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
