"""Every refusal is a JSON object with one line in ``error`` (and the ``limit`` it ran into, if
one did), never a 500 for a client's mistake:

* malformed JSON, a body that is not UTF-8 → 400; a body that is not JSON → 415;
* a wrong type, a missing or unknown key, an empty list → 422 (pydantic's check, said in one
  line naming the field);
* a limit passed (``limits.Refused``) → its status: 413 sizes, 422 steps, 503 busy, 504 timeout;
* a text the model cannot explain (``UserError``) → 422; FastAPI's own 404/405 → the same shape.

The body's size is checked here too (``BodySizeLimit``) rather than by FastAPI's
``max_body_size``: Starlette answers a too-long Content-Length with a plain-text 413 of its own,
and every refusal here is JSON that names its limit.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from ..errors import UserError
from .limits import Refused

JSON_TYPES = ("application/json",)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into ``{"error": …}``."""

    async def refused(request: Request, error: Refused):
        headers = {"Retry-After": "1"} if error.status == 503 else None
        return JSONResponse(error.as_json(), error.status, headers=headers)

    async def invalid(request: Request, error: RequestValidationError):
        problems = error.errors()
        status = 400 if problems and problems[0]["type"] == "json_invalid" else 422
        return JSONResponse({"error": one_line(problems)}, status)

    async def http_error(request: Request, error: HTTPException):
        return JSONResponse({"error": str(error.detail)}, error.status_code,
                            headers=error.headers)

    async def user_error(request: Request, error: UserError):
        return JSONResponse({"error": str(error)}, 422)

    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(UserError, user_error)


def one_line(problems: list[dict]) -> str:
    """pydantic's errors as one line: the first problem, where it is, and how many more."""
    if not problems:
        return "the request is not valid"
    first = problems[0]
    if first["type"] == "json_invalid":
        detail = first.get("ctx", {}).get("error", "")
        return f"the body is not valid JSON ({detail} at character {first['loc'][-1]})"
    where = _where([part for part in first["loc"] if part != "body"])
    more = f" (and {len(problems) - 1} more problem{'s' * (len(problems) > 2)})" \
        if len(problems) > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"


def _where(loc: list) -> str:
    """``["texts", 2]`` → ``texts[2]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class JSONBodyRoute(APIRoute):
    """A route whose body must be a UTF-8 JSON document: checked before FastAPI parses it, so
    these mistakes get a message saying so rather than a generic parse error."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def checked(request: Request):
            check_body(request.headers.get("content-type", ""), await request.body())
            return await handler(request)       # the body is read once: Request caches it

        return checked


def check_body(content_type: str, body: bytes) -> None:
    media = content_type.split(";")[0].strip().lower()
    if media not in JSON_TYPES and not media.endswith("+json"):
        raise Refused(f"the body must be JSON sent with Content-Type: application/json (got "
                      f"{media or 'no content type'})", status=415)
    if not body:
        raise Refused('the body is empty; send a JSON object such as {"texts": ["a review"]}',
                      status=400)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refused(f"the body is not UTF-8 (byte {e.start}); send JSON encoded as UTF-8",
                      status=400) from None



class BodySizeLimit:
    """ASGI middleware: a body past ``max_bytes`` is refused (413) — at once when its
    Content-Length says so, else as soon as the bytes read pass it (a chunked body), so no more
    than ``max_bytes`` of a request is ever held."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await JSONResponse(self.refusal().as_json(), 413)(scope, receive, send)
            return
        read = 0

        async def counted():
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.max_bytes:        # raised where the route reads: a JSON 413
                raise self.refusal()
            return message

        await self.app(scope, counted, send)

    def refusal(self) -> Refused:
        return Refused(f"the request body is larger than {self.max_bytes:,} bytes; send fewer "
                       f"or shorter texts", "max_body_bytes", self.max_bytes, status=413)
