"""Load test of ``rnnkit serve`` on loopback: closed-loop clients for a fixed time, batching on
and off, and an overload against a small queue.

    python benchmarks/bench_serve.py --run runs/default-…     # an existing run
    python benchmarks/bench_serve.py                          # trains the main job first (~20 s)
    python benchmarks/bench_serve.py --quick                  # 3 s a scenario, no 60 s soak

Each server is ``rnnkit serve RUN --port 0 --no-access-log`` in its own process, on 127.0.0.1
only; the clients are asyncio tasks in this process, each sending its next request
as soon as the last one is answered, for ``--seconds`` (and at most ``--max-requests`` in all),
so the run always ends by itself; each client holds one keep-alive connection, spoken with h11. Texts are held-out movie reviews. Reported per scenario:
requests/s, texts/s, latency p50/p95/p99 (ms, as the client sees it), errors (any answer but
200, or a failed connection), the server's CPU time per answered request (user + system, from
/proc: what the request cost, whatever else the machine was doing) and its RSS afterwards.
The machine's load average is printed at the start and the end: on a shared machine the wall-
clock figures depend on it, the CPU figures much less.

Scenarios: 10, 50 and 200 clients × single-review and 32-review requests, against a server
with micro-batching and one without (``--no-batching``); 50 clients × one review for 60 s (0
errors wanted, RSS not growing); 200 clients × 32 reviews against ``--queue-texts 64`` (the
queue is full most of the time: the answers should be fast 503s, not timeouts, and RSS flat).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
       "PYTHONUNBUFFERED": "1"}
HOST = "127.0.0.1"                                   # loopback only, whatever the flags


def reviews(n: int) -> list[str]:
    from rnnkit.datasets import movie_reviews
    return [" ".join(t.split()) for t in list(movie_reviews.load_reviews().texts)[-n:]]


class Server:
    """``rnnkit serve`` in a subprocess; ``url`` once ready, ``rss()`` in MiB."""

    def __init__(self, run: Path, *flags: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rnnkit", "serve", str(run), "--host", HOST, "--port", "0",
             "--no-access-log", *flags], env=ENV, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.url = self._announced()

    def _announced(self) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if found := re.search(r"Uvicorn running on (http://\S+)", line):
                return found[1]
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("rnnkit serve did not start")

    def cpu(self) -> float:
        """Seconds of CPU the server has used (user + system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1]) / 1024

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(2)                   # Ctrl-C: a clean shutdown
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass
class Outcome:
    latencies: list = field(default_factory=list)    # seconds, per answered request
    by_status: dict = field(default_factory=dict)    # status → its requests' seconds
    statuses: dict = field(default_factory=dict)
    failures: int = 0                                 # no answer at all (connection, timeout)
    errors: list = field(default_factory=list)        # what those were
    texts: int = 0
    seconds: float = 0.0


class Connection:
    """One keep-alive HTTP/1.1 connection, spoken through h11 (uvicorn's own HTTP library):
    httpx's client costs 2–7 ms of CPU a request here, as much as the server, h11 0.15 ms."""

    def __init__(self, url: str):
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes) -> int:
        """The status of one POST (a new connection if there is none)."""
        import h11
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            self.http = h11.Connection(h11.CLIENT)
        headers = [("Host", self.host), ("Content-Type", "application/json"),
                   ("Content-Length", str(len(body)))]
        self.writer.write(self.http.send(h11.Request(method="POST", target=path,
                                                     headers=headers))
                          + self.http.send(h11.Data(data=body))
                          + self.http.send(h11.EndOfMessage()))
        status = None
        while True:
            event = self.http.next_event()
            if event is h11.NEED_DATA:
                self.http.receive_data(await self.reader.read(1 << 16))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the server closed the connection")
        if self.http.our_state is h11.DONE and self.http.their_state is h11.DONE:
            self.http.start_next_cycle()
        else:                                   # the server ended this connection
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def load(url: str, clients: int, size: int, seconds: float, max_requests: int,
               texts: list[str]) -> Outcome:
    found, sent = Outcome(), 0
    deadline = time.perf_counter() + seconds

    async def client(c: int) -> None:
        nonlocal sent
        rng, connection = np.random.default_rng(c), Connection(url)
        while time.perf_counter() < deadline and sent < max_requests:
            sent += 1
            body = json.dumps({"texts": [texts[i] for i in rng.integers(0, len(texts), size)]})
            start = time.perf_counter()
            try:
                status = await asyncio.wait_for(connection.post("/v1/predict", body.encode()),
                                                30)
            except Exception as e:  # noqa: BLE001 - any failure is counted, and shown below
                found.failures += 1
                found.errors.append(repr(e))
                connection.close()
                continue
            found.latencies.append(time.perf_counter() - start)
            found.by_status.setdefault(status, []).append(found.latencies[-1])
            found.statuses[status] = found.statuses.get(status, 0) + 1
            if status == 200:
                found.texts += size
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    found.seconds = time.perf_counter() - started
    return found


def row(name: str, clients: int, size: int, got: Outcome, cpu: float, rss: float) -> str:
    ms = np.array(got.latencies) * 1000
    ok = got.statuses.get(200, 0)
    errors = sum(n for s, n in got.statuses.items() if s != 200) + got.failures
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]) if len(ms) else (np.nan,) * 3
    shown = ", ".join(f"{n}×{s}" for s, n in sorted(got.statuses.items()) if s != 200)
    return (f"| {name} | {clients} | {size} | {ok / got.seconds:.0f} | "
            f"{got.texts / got.seconds:.0f} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {errors}"
            f"{f' ({shown})' if shown else ''} | {1000 * cpu / max(len(ms), 1):.2f} | "
            f"{rss:.0f} |")


HEADER = ("| server | clients | texts/request | requests/s | texts/s | p50 ms | p95 ms | p99 ms | "
          "errors | server CPU ms/request | RSS after, MiB |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")


def by_status(got: Outcome) -> str:
    """Latency of each kind of answer: under overload, how fast the 503s came."""
    return "; ".join(f"{status}: {len(s)} answers, p50 {np.percentile(s, 50) * 1000:.1f} ms, "
                     f"p99 {np.percentile(s, 99) * 1000:.1f} ms, max {max(s) * 1000:.1f} ms"
                     for status, s in sorted(got.by_status.items()))


def scenario(server: Server, name: str, clients: int, size: int, seconds: float, args,
             texts, split=False) -> str:
    asyncio.run(load(server.url, clients, size, 1.0, 200, texts))           # warm up
    cpu = server.cpu()
    got = asyncio.run(load(server.url, clients, size, seconds, args.max_requests, texts))
    line = row(name, clients, size, got, server.cpu() - cpu, server.rss())
    print(line, flush=True)
    if split:
        print(f"\n{name}: {by_status(got)}\n", flush=True)
    if got.errors:
        print(f"  {len(got.errors)} requests failed, e.g. {sorted(set(got.errors))[:3]}")
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="a finished run (default: train the main job)")
    parser.add_argument("--seconds", type=float, default=10.0, help="each scenario's length")
    parser.add_argument("--soak", type=float, default=60.0, help="the 50-client soak's length")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per scenario")
    parser.add_argument("--quick", action="store_true", help="3 s scenarios, a 10 s soak")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.soak = 3.0, 10.0
    run = args.run or train_main_job()
    texts = reviews(2000)
    stack = [m for m in ("httptools", "uvloop") if importlib.util.find_spec(m)]
    print(f"run {run}; {len(texts)} held-out reviews; {args.seconds:g} s a scenario; uvicorn "
          f"with {' and '.join(stack) or 'h11 and asyncio (no uvicorn[standard])'}; load "
          f"average {os.getloadavg()[0]:.2f}\n")
    # Both servers run side by side and each scenario runs on one then at once on the other,
    # so a change in the machine's other load falls on both alike.
    servers = {"batched": Server(run), "unbatched": Server(run, "--no-batching")}
    try:
        print(", ".join(f"{n}: RSS at start {s.rss():.0f} MiB" for n, s in servers.items())
              + f"\n\n{HEADER}")
        for size in (1, 32):
            for clients in (10, 50, 200):
                for name, server in servers.items():
                    scenario(server, name, clients, size, args.seconds, args, texts)
        scenario(servers["batched"], f"batched, {args.soak:g} s soak", 50, 1, args.soak, args,
                 texts)
    finally:
        for server in servers.values():
            server.stop()
    server = Server(run, "--max-texts", "32", "--queue-texts", "64", "--timeout", "5")
    try:
        print(f"| overload: RSS at start {server.rss():.0f} MiB | | | | | | | | | | |")
        scenario(server, "overload, queue 64 texts", 200, 32, args.seconds, args, texts,
                 split=True)
    finally:
        server.stop()
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


def train_main_job() -> Path:
    runs = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    subprocess.run([sys.executable, "-m", "rnnkit", "train", "--quiet", "--runs-dir", str(runs)],
                   env=ENV, check=True)
    (run,) = runs.iterdir()
    return run


if __name__ == "__main__":
    main()
