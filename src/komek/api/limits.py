"""What a request body may be: at most MAX_BODY bytes however it is sent (a declared length or
chunks), and JSON nested at most MAX_DEPTH deep (a situation is six levels; a body nested a
thousand deep would only exhaust the parser). No NUL character in the path, the query, a JSON
string or a form: no database text holds one (PostgreSQL refuses it). Refused before any route sees it."""
from __future__ import annotations

import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_BODY = 1_000_000          # bytes: a household situation is a few kilobytes
MAX_DEPTH = 32
_ESCAPE, _STRING, _OTHER = re.compile(rb"\\."), re.compile(rb'"[^"]*"'), re.compile(rb"[^\[\]{}]")


def nesting(body: bytes, stop: int | None = None) -> int:
    """How deep the arrays and objects of a JSON text go (brackets inside strings not counted);
    counting ends once past `stop`."""
    deepest = depth = 0
    for c in _OTHER.sub(b"", _STRING.sub(b"", _ESCAPE.sub(b"", body))):
        depth += 1 if c in b"[{" else -1
        deepest = max(deepest, depth)
        if stop is not None and deepest > stop:
            break
    return deepest


class BodyLimits:
    """ASGI middleware: reads the body (up to the limit), checks it, and hands it on unchanged."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for part, text in (("(path)", scope["path"].encode("utf-8", "replace")), ("(query)", scope["query_string"])):
            if b"\x00" in text or b"%00" in text:
                return await self._refuse(part, "contains a NUL character", scope, receive, send)
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return await self._too_large(int(declared), scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > MAX_BODY:
                return await self._too_large(size, scope, receive, send)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b""):
            if nesting(body, MAX_DEPTH) > MAX_DEPTH:
                return await self._refuse("(body)", f"nested deeper than {MAX_DEPTH} levels", scope, receive, send)
            if b"\\u0000" in body:
                return await self._refuse("(body)", "contains a NUL character", scope, receive, send)
        elif b"x-www-form-urlencoded" in headers.get(b"content-type", b"") and (b"%00" in body or b"\x00" in body):
            return await self._refuse("(body)", "contains a NUL character", scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(part: str, message: str, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"detail": [{"path": part, "message": message}]}, status_code=422)(scope, receive, send)

    @staticmethod
    async def _too_large(size: int, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request body of {size:,} bytes or more is over the limit of {MAX_BODY:,}"
        await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
