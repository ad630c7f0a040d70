"""Every torch process rnnkit starts on the CPU runs one compute thread (as torchrun's do), unless
the user set OMP_NUM_THREADS: PyTorch's one-thread-a-core default spins on a recurrent model's
small products (docs/benchmarks.md)."""

import pytest

torch = pytest.importorskip("torch")

from rnnkit.engines.torch_engine.distributed import limit_threads, process_threads  # noqa: E402


def test_one_thread_a_process(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert process_threads() == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_a_limit_the_user_set_is_kept(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert process_threads() == {}
    before = torch.get_num_threads()
    limit_threads()
    assert torch.get_num_threads() == before


def test_this_process_is_limited(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        limit_threads()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_launched_processes_see_it(tmp_path, monkeypatch, capfd):
    from rnnkit.engines.torch_engine.distributed import launch
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    script = tmp_path / "show.py"
    script.write_text("import os, torch; os.write(1, f\"THREADS {os.environ['OMP_NUM_THREADS']} "
                      "{torch.get_num_threads()}\\n\".encode())\n")
    assert launch([str(script)], nproc=2, timeout=120) == [0, 0]
    lines = [line.split() for line in capfd.readouterr().out.splitlines()
             if line.startswith("THREADS")]
    assert lines == [["THREADS", "1", "1"]] * 2
