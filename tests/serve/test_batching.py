"""Micro-batching: concurrent requests share forward passes, each gets exactly its own results
in order, and those equal the answers to the same requests sent one at a time."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from .conftest import needs_serve

needs_serve()

from rnnkit.serve.batching import MicroBatcher
from rnnkit.serve.limits import Limits


class Recorder:
    """A classify function that tags each text and records every pass's texts."""

    def __init__(self, gate: threading.Event | None = None):
        self.passes, self.gate, self.entered = [], gate, threading.Event()

    def __call__(self, texts):
        self.passes.append(list(texts))
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        return [f"<{t}>" for t in texts]


def _batcher(classify, **limits) -> MicroBatcher:
    batcher = MicroBatcher(classify, Limits(**limits))
    batcher.start()
    return batcher


def _submit_while_held(batcher, recorder, requests):
    """Hold the worker on a first request, queue ``requests``, then let it go."""
    first = batcher.submit(["first"])
    assert recorder.entered.wait(10)
    futures = [batcher.submit(texts) for texts in requests]
    recorder.gate.set()
    return first, [f.result(10) for f in futures]


def test_waiting_requests_share_one_pass_and_get_their_own_results():
    gate = threading.Event()
    recorder = Recorder(gate)
    batcher = _batcher(recorder, batch_texts=64, batch_wait_ms=0)
    requests = [["a", "b"], ["c"], ["d", "e", "f"]]
    first, results = _submit_while_held(batcher, recorder, requests)
    batcher.stop()
    assert first.result() == ["<first>"]
    assert results == [["<a>", "<b>"], ["<c>"], ["<d>", "<e>", "<f>"]]
    assert recorder.passes[1] == ["a", "b", "c", "d", "e", "f"]          # one pass for all


def test_a_pass_holds_at_most_batch_texts_and_requests_are_never_split():
    gate = threading.Event()
    recorder = Recorder(gate)
    batcher = _batcher(recorder, max_texts=4, queue_texts=64, batch_texts=5, batch_wait_ms=0)
    _, results = _submit_while_held(batcher, recorder, [["a", "b"], ["c", "d"], ["e", "f"], ["g"]])
    batcher.stop()
    assert results == [["<a>", "<b>"], ["<c>", "<d>"], ["<e>", "<f>"], ["<g>"]]
    assert recorder.passes[1:] == [["a", "b", "c", "d"], ["e", "f", "g"]]


def test_without_batching_each_request_is_its_own_pass():
    gate = threading.Event()
    recorder = Recorder(gate)
    batcher = _batcher(recorder, batching=False)
    _submit_while_held(batcher, recorder, [["a", "b"], ["c"], ["d"]])
    batcher.stop()
    assert recorder.passes == [["first"], ["a", "b"], ["c"], ["d"]]


def test_the_batcher_waits_batch_wait_ms_for_company():
    recorder = Recorder()
    batcher = _batcher(recorder, batch_wait_ms=300)
    first = batcher.submit(["a"])
    second = batcher.submit(["b"])                 # arrives within the wait
    assert first.result(10) == ["<a>"] and second.result(10) == ["<b>"]
    batcher.stop()
    assert recorder.passes == [["a", "b"]]


def test_a_cancelled_request_is_skipped_and_a_failure_reaches_every_caller():
    gate = threading.Event()
    calls = []

    def classify(texts):
        gate.wait(10)
        calls.append(list(texts))
        if "boom" in texts:
            raise RuntimeError("boom")
        return list(texts)

    batcher = _batcher(classify, batch_wait_ms=0)
    held = batcher.submit(["held"])
    while not held.running():                      # the worker has taken it, and waits
        threading.Event().wait(0.001)
    dropped, failing, other = (batcher.submit(["gone"]), batcher.submit(["boom"]),
                               batcher.submit(["x"]))
    assert dropped.cancel()                        # as a timed-out request's is
    gate.set()
    assert held.result(10) == ["held"]
    for future in (failing, other):
        with pytest.raises(RuntimeError, match="boom"):
            future.result(10)
    assert batcher.submit(["after"]).result(10) == ["after"]       # the worker lives on
    batcher.stop()
    assert ["gone"] not in calls and all("gone" not in c for c in calls)


def test_stop_finishes_the_waiting_requests_then_refuses():
    from rnnkit.serve.limits import Overloaded
    gate = threading.Event()
    recorder = Recorder(gate)
    batcher = _batcher(recorder, batch_wait_ms=0)
    futures = [batcher.submit([str(i)]) for i in range(5)]
    assert recorder.entered.wait(10)
    stopper = threading.Thread(target=batcher.stop)
    stopper.start()
    gate.set()
    stopper.join(10)
    assert [f.result(0) for f in futures] == [[f"<{i}>"] for i in range(5)]
    assert not batcher.alive
    with pytest.raises(Overloaded, match="shutting down"):
        batcher.submit(["late"])


@pytest.mark.parametrize("batching", [True, False])
def test_concurrent_http_requests_equal_sequential_ones(served_run, classifier, batching):
    """50 concurrent clients over real HTTP: each answer is the one the same request gets
    alone, and (with batching) passes held texts of several requests."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    from rnnkit.serve.app import app_for

    from ._server import running
    rng = np.random.default_rng(0)
    words = ["good", "great", "wonderful", "bad", "awful", "dull", "the", "film", "plot", "was",
             "and"]
    requests = [[" ".join(rng.choice(words, rng.integers(1, 15))) for _ in range(k)]
                for k in rng.integers(1, 6, size=50)]

    async def send_all(url):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            together = await asyncio.gather(*(client.post("/v1/predict", json={"texts": r})
                                              for r in requests))
            alone = [await client.post("/v1/predict", json={"texts": r}) for r in requests]
            return together, alone, (await client.get("/metrics")).text

    app = app_for(served_run, Limits(batching=batching, batch_wait_ms=5))
    with running(app) as url:
        together, alone, metrics = asyncio.run(send_all(url))
    for texts, a, b in zip(requests, together, alone):
        assert a.status_code == b.status_code == 200
        ra, rb = a.json()["results"], b.json()["results"]
        assert [r["text"] for r in ra] == texts
        assert [r["label"] for r in ra] == [r["label"] for r in rb]
        np.testing.assert_allclose([list(r["probabilities"].values()) for r in ra],
                                   [list(r["probabilities"].values()) for r in rb],
                                   rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose([list(r["probabilities"].values()) for r in ra],
                                   classifier.predict_proba(texts), rtol=1e-6, atol=1e-7)
    batches = {s.name: s.value for f in text_string_to_metric_families(metrics)
               for s in f.samples if s.name.startswith("rnnkit_batch_texts_")}
    total = sum(len(r) for r in requests) * 2
    assert batches["rnnkit_batch_texts_sum"] == total
    passes = batches["rnnkit_batch_texts_count"]
    assert passes < 100 if batching else passes == 100      # 50 together + 50 alone
