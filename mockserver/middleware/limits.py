"""Refuse request bodies larger than the limit before reading them.

The API never needs a body (POST ignores it), so a declared Content-Length above the limit
is answered 413 at once, without reading a byte of it. A chunked body declares no size: it
is read up to the limit (kept, and replayed to the app) and answered 413 beyond it. The limit
is Django's default DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB), the size the real service refuses.
"""

from __future__ import annotations

from starlette.types import Message, Receive

MAX_BODY_BYTES = 2_621_440  # the spec's PayloadTooLarge example names the same number


async def read_at_most(receive: Receive, limit: int) -> list[Message] | None:
    """A chunked body's messages, read up to `limit` bytes; None beyond it (refuse it)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # the client left: let the app see it
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(reversed(messages))

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
