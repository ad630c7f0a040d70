"""A bounded pool of threads for the requests that are not batched (/v1/explain, /v1/inspect).

An explanation runs dozens of forward and backward passes for one text, so these requests get
their own thread, away from the batcher's, and a bound on how many may wait or run at once
(``queue_requests``): one more is refused with 503 at once rather than queued without end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .limits import Limits, Overloaded, RequestTimeout


class BoundedPool:
    def __init__(self, limits: Limits, threads: int = 1):
        self._limits = limits
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="rnnkit-explain")
        self._slots = threading.BoundedSemaphore(limits.queue_requests)
        self._lock, self._held = threading.Lock(), 0

    @property
    def held(self) -> int:
        """Requests waiting or running in the pool."""
        return self._held

    async def run(self, work: Callable, *args):
        """``work(*args)`` in the pool; ``Overloaded`` when ``queue_requests`` are already in,
        ``RequestTimeout`` after ``timeout_s`` (work not yet started is then dropped)."""
        if not self._slots.acquire(blocking=False):
            raise Overloaded.full("queue_requests", self._limits.queue_requests)
        self._count(+1)
        try:
            future = self._executor.submit(work, *args)
        except BaseException:
            self._release()
            raise
        # the slot is free only when the thread is: a timed-out request still holds it
        future.add_done_callback(lambda _: self._release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future),
                                          self._limits.timeout_s)
        except asyncio.TimeoutError:      # (TimeoutError itself from Python 3.11 on)
            future.cancel()
            timeout = self._limits.timeout_s
            raise RequestTimeout(f"no answer within {timeout:g} s; try a shorter text or fewer "
                                 f"steps", "timeout_s", timeout) from None

    def _count(self, change: int) -> None:
        with self._lock:
            self._held += change

    def _release(self) -> None:
        self._count(-1)
        self._slots.release()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
