"""What one server accepts and how much work it lets wait, and the answer a request gets past
each limit.

Every limit is a number a client can read: in the error it gets (``Refused.as_json``), in
``GET /v1/model`` and in docs/serving.md. Sizes are refused (413) before any model work; a full
queue is refused (503) at once, so memory stays bounded however many clients call.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import UserError

#: what each limit means, for errors, the model card and ``rnnkit serve --help``
MEANINGS = {
    "max_texts": "texts in one /v1/predict request",
    "max_chars": "characters in one text",
    "max_body_bytes": "bytes in one request body",
    "queue_texts": "texts waiting to be classified",
    "queue_requests": "explain/inspect requests waiting or running",
    "timeout_s": "seconds a request may wait for its answer",
    "batch_texts": "texts merged into one forward pass",
    "batch_wait_ms": "milliseconds the batcher waits for more texts after the first",
    "max_steps": "integrated-gradients steps one /v1/explain request may ask for",
}


class LimitSettingError(UserError, ValueError):
    """A limit set to a value no server could work with; ``name`` is the limit (``rnnkit
    serve`` names its flag instead)."""

    def __init__(self, name: str, value, reason: str):
        super().__init__(f"{name} = {value}: {reason}")
        self.name, self.value, self.reason = name, value, reason


@dataclass(frozen=True)
class Limits:
    """Defaults suit reviews on a small machine; ``rnnkit serve`` flags change them.
    ``batching=False`` gives each request its own forward pass (for comparison).

    ``batch_texts`` 32: the main job's model costs 0.2 ms a review in passes of 8–32 reviews
    and 0.3 ms in passes of 64 (one engine thread, docs/serving.md), so merging stops at 32."""

    max_texts: int = 64
    max_chars: int = 20_000
    max_body_bytes: int = 2_000_000
    queue_texts: int = 4096
    queue_requests: int = 8
    timeout_s: float = 10.0
    batch_texts: int = 32
    batch_wait_ms: float = 2.0
    max_steps: int = 1024
    batching: bool = True

    def __post_init__(self):
        for name, value in asdict(self).items():
            if name not in ("batching", "batch_wait_ms") and not value > 0:
                raise LimitSettingError(name, value, "use a positive number")
        if self.batch_wait_ms < 0:
            raise LimitSettingError("batch_wait_ms", self.batch_wait_ms, "use 0 or more")
        # A request the other limits allow must fit in the queue, or it could never be served.
        if self.queue_texts < self.max_texts:
            raise LimitSettingError("queue_texts", self.queue_texts, f"the queue must hold "
                                    f"one full request: raise it to at least {self.max_texts}")

    def as_json(self) -> dict:
        return asdict(self)

    def check_texts(self, texts: list[str]) -> None:
        """``TooLarge`` for too many texts or a text too long."""
        if len(texts) > self.max_texts:
            raise TooLarge(f"{len(texts)} texts in one request; send at most {self.max_texts} "
                           f"(split the list)", "max_texts", self.max_texts)
        for i, text in enumerate(texts):
            self.check_text(text, f"texts[{i}]")

    def check_text(self, text: str, what: str = "text") -> None:
        if len(text) > self.max_chars:
            raise TooLarge(f"{what} has {len(text):,} characters; the limit is "
                           f"{self.max_chars:,} (shorten it)", "max_chars", self.max_chars)

    def check_steps(self, steps: int | None) -> None:
        if steps is not None and steps > self.max_steps:
            raise Refused(f"steps = {steps}; at most {self.max_steps} (or leave steps out: 64, "
                          f"doubled until the attributions add up)", "max_steps",
                          self.max_steps)


class Refused(Exception):
    """A request the server will not serve: its HTTP status, a one-line message, and the limit
    it ran into (if one did)."""

    status = 422

    def __init__(self, message: str, limit: str | None = None, value=None,
                 status: int | None = None):
        super().__init__(message)
        self.limit, self.value = limit, value
        self.status = status or self.status

    def as_json(self) -> dict:
        found = {"error": str(self)}
        if self.limit is not None:
            found["limit"] = {"name": self.limit, "value": self.value,
                              "means": MEANINGS[self.limit]}
        return found


class TooLarge(Refused):
    status = 413


class Overloaded(Refused):
    """A full queue, or a server shutting down: refused at once."""

    status = 503

    @classmethod
    def full(cls, limit: str, value) -> Overloaded:
        return cls(f"the server is busy ({MEANINGS[limit]}: {value} reached); retry shortly",
                   limit, value)


class RequestTimeout(Refused):
    status = 504
