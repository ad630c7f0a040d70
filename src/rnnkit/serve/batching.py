"""Micro-batching: the texts of concurrent /v1/predict requests go through the model together.

One worker thread owns the model's forward passes. It takes the oldest waiting request, then
keeps taking requests for up to ``batch_wait_ms`` (or until ``batch_texts`` texts), and runs them
all in one ``classifier.predictions`` call: a recurrent forward pass costs little more for 32
rows than for one, so under load many requests share the price of one pass. The queue is
bounded in texts (``queue_texts``): past it ``submit`` raises ``Overloaded`` at once instead of
letting memory and latency grow. With ``batching=False`` each request gets its own pass (the
comparison in docs/serving.md).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from .limits import Limits, Overloaded, RequestTimeout


@dataclass
class _Job:
    texts: Sequence[str]
    future: Future = field(default_factory=Future)


def _ignore(_: int) -> None:
    pass


class MicroBatcher:
    """``await batcher.classify(texts)`` → ``classify(texts)``'s results, batched.

    ``classify`` maps a list of texts to one result per text (pure and thread-safe:
    ``TextClassifier.predict_details``); ``on_queue(change)`` and ``on_batch(texts)`` report
    the queue's size and each pass's size (the server's metrics).
    """

    def __init__(self, classify: Callable[[list[str]], list], limits: Limits,
                 on_queue: Callable[[int], None] = _ignore,
                 on_batch: Callable[[int], None] = _ignore):
        self._classify, self._limits = classify, limits
        self._on_queue, self._on_batch = on_queue, on_batch
        self._jobs: deque[_Job] = deque()
        self._waiting = 0                     # texts in self._jobs
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="rnnkit-batcher", daemon=True)

    # ---- the event loop's side -------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Refuse new requests, finish the waiting ones, end the worker thread."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._closed

    @property
    def waiting(self) -> int:
        """Texts waiting for a forward pass."""
        return self._waiting

    def submit(self, texts: Sequence[str]) -> Future:
        """Queue ``texts``; a future of their results. ``Overloaded`` if the queue is full."""
        job = _Job(list(texts))
        with self._ready:
            if self._closed:
                raise Overloaded("the server is shutting down; retry on another instance")
            if self._waiting + len(job.texts) > self._limits.queue_texts:
                raise Overloaded.full("queue_texts", self._limits.queue_texts)
            self._jobs.append(job)
            self._waiting += len(job.texts)
            self._ready.notify()
        self._on_queue(len(job.texts))
        return job.future

    async def classify(self, texts: Sequence[str]) -> list:
        """The results of ``texts``; ``RequestTimeout`` after ``timeout_s`` (a request still
        waiting is then dropped from the queue, never computed)."""
        future = self.submit(texts)
        timeout = self._limits.timeout_s
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except asyncio.TimeoutError:      # (TimeoutError itself from Python 3.11 on)
            future.cancel()
            raise RequestTimeout(f"no answer within {timeout:g} s; the server is busy, retry "
                                 f"shortly", "timeout_s", timeout) from None

    # ---- the worker thread -----------------------------------------------------------------
    def _work(self) -> None:
        while (jobs := self._next_batch()) is not None:
            # a request that timed out while waiting is cancelled: skip it
            live = [job for job in jobs if job.future.set_running_or_notify_cancel()]
            if live:
                self._run(live)

    def _run(self, jobs: list[_Job]) -> None:
        texts = [text for job in jobs for text in job.texts]
        try:
            results = self._classify(texts)
        # A failure here is a bug, not a request's fault: every waiting caller gets it (a 500),
        # and the worker lives on to serve the next batch.
        except Exception as error:  # noqa: BLE001
            for job in jobs:
                job.future.set_exception(error)
            return
        self._on_batch(len(texts))
        start = 0
        for job in jobs:
            job.future.set_result(results[start:start + len(job.texts)])
            start += len(job.texts)

    def _next_batch(self) -> list[_Job] | None:
        """The oldest job and those that arrive within the wait, up to ``batch_texts`` texts;
        None once stopped with nothing left."""
        with self._ready:
            while not self._jobs and not self._closed:
                self._ready.wait()
            if not self._jobs:
                return None
            batch = [self._jobs.popleft()]
            count = len(batch[0].texts)
            if self._limits.batching:
                count = self._gather(batch, count)
            self._waiting -= count
        self._on_queue(-count)
        return batch

    def _gather(self, batch: list[_Job], count: int) -> int:
        """Add waiting jobs to ``batch`` (lock held) until full or the wait is over."""
        deadline = time.monotonic() + self._limits.batch_wait_ms / 1000
        while count < self._limits.batch_texts:
            if self._jobs:
                if count + len(self._jobs[0].texts) > self._limits.batch_texts:
                    break
                batch.append(self._jobs.popleft())
                count += len(batch[-1].texts)
                continue
            left = deadline - time.monotonic()
            if left <= 0 or self._closed:
                break
            self._ready.wait(left)
        return count
