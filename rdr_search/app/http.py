"""HTTP hardening around the Gradio app: security headers on every response and a size cap on request bodies.

Uploads have their own cap (Gradio's ``max_file_size``); every other request (API calls, queue joins) carries
small JSON, so a body larger than ``max_body_bytes`` is answered 413 before anything parses it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The app may be embedded by itself and by Hugging Face (a Space shows the app in an iframe), nowhere else.
FRAME_ANCESTORS = "frame-ancestors 'self' https://huggingface.co https://*.hf.space"
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"content-security-policy", FRAME_ANCESTORS.encode()),
)
UPLOAD_PATH_SUFFIX = "/upload"


class BodyTooLarge(Exception):
    pass


class SecurityMiddleware:
    """ASGI middleware: adds the security headers and refuses oversized non-upload request bodies."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = 1024 * 1024) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if scope.get("method") in ("GET", "HEAD", "OPTIONS") or scope["path"].rstrip("/").endswith(UPLOAD_PATH_SUFFIX):
            await self.app(scope, receive, send_with_headers)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send_with_headers)
            return
        await self._guarded(scope, receive, send_with_headers)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the body as it streams in (a chunked request declares no length)."""
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        limit_kb = self.max_body_bytes // 1024
        body = json.dumps({"error": f"Request too large: API requests are limited to {limit_kb} KB."}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
