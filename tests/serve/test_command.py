"""``rnnkit serve``: it starts, answers over HTTP and stops cleanly on Ctrl-C; its flag mistakes
and a missing serve extra are one line and exit status 2."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import needs_serve

needs_serve()

LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def _start(*args):
    """``rnnkit serve`` in a new process on a free port; (process, base URL, output so far)."""
    # its own process group: a server that does not stop is killed with its workers
    proc = subprocess.Popen([sys.executable, "-m", "rnnkit", "serve", *args, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    seen, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if found := LISTENING.search(line):
            url = f"http://127.0.0.1:{found[1]}"
            _wait_until_ready(url, deadline)
            return proc, url, seen
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("rnnkit serve did not start:\n" + "".join(seen))


def _wait_until_ready(url, deadline):
    """Under --workers the port is announced before the workers have loaded the model."""
    while True:
        try:
            if _get(f"{url}/readyz")["ready"]:
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.loads(answer.read())


def _post(url, body):
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def _interrupt(proc) -> str:
    """Ctrl-C, as a terminal sends it to the server's process group; its output."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("rnnkit serve did not stop within 60 s of Ctrl-C") from None
    return out


def test_serve_answers_and_ctrl_c_stops_it_cleanly(served_run, classifier):
    proc, url, seen = _start(str(served_run))
    try:
        assert _get(f"{url}/readyz")["ready"] is True
        answer = _post(f"{url}/v1/predict", {"texts": ["good fun film", "dull"]})
        assert [r["label"] for r in answer["results"]] == \
            list(classifier.predict(["good fun film", "dull"]))
    finally:
        out = "".join(seen) + _interrupt(proc)
    assert proc.returncode == 0, out
    assert "Shutting down" in out and "Application shutdown complete" in out
    assert "Traceback" not in out and "Error" not in out


def test_several_workers_share_the_port_and_their_metrics(served_run):
    proc, url, seen = _start(str(served_run), "--workers", "2", "--no-access-log")
    try:
        for _ in range(6):
            _post(f"{url}/v1/predict", {"texts": ["good", "bad"]})
        with urllib.request.urlopen(f"{url}/metrics", timeout=30) as answer:
            metrics = answer.read().decode()
    finally:
        out = "".join(seen) + _interrupt(proc)
    assert proc.returncode == 0, out
    assert re.search(r"^rnnkit_texts_classified_total 12\.0$", metrics, re.MULTILINE), metrics
    assert "Traceback" not in out


@pytest.mark.parametrize("flags, needle", [
    (["--workers", "0"], "--workers 0: use 1 or more processes"),
    (["--port", "70000"], "--port 70000: use a port from 0 to 65535"),
    (["--max-texts", "0"], "--max-texts 0: use a positive number"),
    (["--timeout", "-1"], "--timeout -1.0: use a positive number"),
    (["--max-texts", "5000"], "--queue-texts 4096: the queue must hold one full request"),
])
def test_flag_mistakes_are_one_line(served_run, capsys, flags, needle):
    from rnnkit.cli import main
    assert main(["serve", str(served_run), *flags]) == 2
    err = capsys.readouterr().err
    assert err == f"rnnkit serve: error: {err.split('error: ', 1)[1]}" and needle in err
    assert err.count("\n") == 1


def test_a_missing_run_is_one_line(tmp_path, capsys):
    from rnnkit.cli import main
    assert main(["serve", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1


def test_without_the_serve_extra_it_says_what_to_install(served_run, capsys, monkeypatch):
    from rnnkit.cli import main
    monkeypatch.setitem(sys.modules, "uvicorn", None)       # as if not installed
    assert main(["serve", str(served_run)]) == 2
    err = capsys.readouterr().err
    assert 'pip install "rnnkit[serve]"' in err and "uvicorn" in err
    assert err.count("\n") == 1


def test_rnnkit_imports_without_the_serve_extra():
    code = ("import sys\n"
            "class Absent:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.partition('.')[0] in ('fastapi', 'uvicorn', 'prometheus_client', "
            "'starlette'):\n"
            "            raise ModuleNotFoundError(name, name=name)\n"
            "sys.meta_path.insert(0, Absent())\n"
            "import rnnkit, rnnkit.cli, rnnkit.serve.limits\n"
            "assert rnnkit.cli.main(['serve', '--help']) == 0\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
