"""``launch`` gives each data-parallel process its share of the cores, never more."""

import os

import pytest

pytest.importorskip("torch")

from rnnkit.engines.torch_engine.distributed import threads_per_process  # noqa: E402


def test_each_process_gets_its_share_of_the_cores(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert threads_per_process(2) == {"OMP_NUM_THREADS": "8", "MKL_NUM_THREADS": "8"}
    assert threads_per_process(32)["OMP_NUM_THREADS"] == "1"
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert threads_per_process(2)["OMP_NUM_THREADS"] == "1"


def test_a_limit_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads_per_process(2) == {}


def test_the_launched_processes_see_it(tmp_path, monkeypatch, capfd):
    from rnnkit.engines.torch_engine.distributed import launch
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    script = tmp_path / "show.py"
    script.write_text("import os, torch; print('THREADS', os.environ['OMP_NUM_THREADS'], "
                      "torch.get_num_threads())\n")
    assert launch([str(script)], nproc=2, timeout=120) == [0, 0]
    share = str(max(1, (os.cpu_count() or 1) // 2))
    lines = [line.split() for line in capfd.readouterr().out.splitlines()
             if line.startswith("THREADS")]
    assert lines == [["THREADS", share, share]] * 2
