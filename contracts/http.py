"""The kit's HTTP client: guarded, recording every exchange, turning each into a curl line.

Built on `requests` (a schemathesis dependency already). Redirects are not followed, so a
check sees exactly what the server answered.
"""

from __future__ import annotations

import json
import shlex
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from .errors import ConnectionProblem
from .guard import RequestGuard
from .redaction import Redactor

USER_AGENT = "backup-contracts"
MAX_BODY_SHOWN = 1200


@dataclass
class Exchange:
    """One request and what came back."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.response_headers.items():
            if key.lower() == lowered:
                return value
        return None

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON, or raises ValueError."""
        return json.loads(self.content.decode("utf-8"))

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except (ValueError, UnicodeDecodeError):
            return None

    def text(self, limit: int = MAX_BODY_SHOWN) -> str:
        text = self.content.decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"

    def curl(self, redact: Redactor) -> str:
        """A copy-pasteable curl line with credentials masked."""
        parts = ["curl", "-i", "-X", self.method]
        shown = {name: value.decode("latin-1") if isinstance(value, bytes) else value
                 for name, value in self.headers.items()}
        for name, value in redact.headers(shown).items():
            if name.lower() not in ("user-agent", "accept"):  # curl's own are as good
                parts += ["-H", f"{name}: {value}"]
        if self.body is not None:
            parts += ["--data-binary", redact(self.body.decode("utf-8", "replace"))]
        parts.append(redact(self.url))
        return " ".join(shlex.quote(part) for part in parts)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was caused by (urllib3 wraps the socket's error twice)."""
    found: list[BaseException] = []
    stack: list[BaseException | None] = [exc]
    while stack:
        item = stack.pop()
        if item is None or any(item is seen for seen in found):
            continue
        found.append(item)
        reason = getattr(item, "reason", None)
        stack += [item.__cause__, item.__context__, reason if isinstance(reason, BaseException) else None]
        stack += [arg for arg in item.args if isinstance(arg, BaseException)]
    return found


def explain(exc: BaseException, timeout: float) -> str:
    """Why no answer came, in words: refused, name not found, TLS, timeout, or the error itself."""
    causes = _causes(exc)
    if any(isinstance(item, requests.exceptions.ConnectTimeout) for item in causes):
        return f"timed out connecting (after {timeout:g}s)"
    if any(isinstance(item, (requests.exceptions.ReadTimeout, TimeoutError, socket.timeout)) for item in causes):
        return f"no answer within {timeout:g}s (read timeout)"
    if any(isinstance(item, ConnectionRefusedError) for item in causes):
        return "connection refused (is the server running, on this host and port?)"
    if any(isinstance(item, socket.gaierror) for item in causes):
        return "name not found (the host name does not resolve)"
    tls = next((item for item in causes if isinstance(item, ssl.SSLError)), None)
    if tls is not None or any(isinstance(item, requests.exceptions.SSLError) for item in causes):
        reason = getattr(tls, "reason", None) or (str(tls).split("] ")[-1] if tls else "")
        return f"TLS failed ({reason or 'handshake'}): is the URL's scheme right, and its certificate trusted?"
    if any(isinstance(item, (ConnectionResetError, BrokenPipeError)) for item in causes):
        return "the connection was closed without an answer"
    last = causes[-1]
    return f"no answer ({type(last).__name__}: {str(last)[:120]})"


class Client:
    """Sends the kit's own requests through the guard."""

    def __init__(self, base_url: str, guard: RequestGuard, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.guard = guard
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.clear()
        self.sent = 0

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        url = self.base_url + path
        if query:
            url += "?" + urlencode({key: str(value) for key, value in query.items()})
        return url

    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def request(self, method: str, url: str, headers: Mapping[str, str] | None = None,
                body: bytes | None = None) -> Exchange:
        """Send one request (raises RequestRefused before sending, ConnectionProblem if no answer)."""
        sent_headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        exchange = Exchange(method.upper(), url, sent_headers, body)
        self.guard.before(exchange.method)
        started = time.monotonic()
        status = None
        try:
            response = self.session.request(exchange.method, url, headers=sent_headers, data=body,
                                            timeout=self.timeout, allow_redirects=False)
            status = response.status_code
        except requests.RequestException as exc:
            raise ConnectionProblem(f"{exchange.method} {url}: {explain(exc, self.timeout)}") from None
        finally:
            self.guard.after(exchange.method, status)
            self.sent += 1
        exchange.status = response.status_code
        exchange.response_headers = dict(response.headers)
        exchange.content = response.content
        exchange.elapsed = time.monotonic() - started
        return exchange

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Exchange:
        return self.request("GET", url, headers)

    def post(self, url: str, headers: Mapping[str, str] | None = None, body: bytes | None = None,
             content_type: str | None = None) -> Exchange:
        headers = dict(headers or {})
        if content_type:
            headers["Content-Type"] = content_type
        return self.request("POST", url, headers, body)

    def close(self) -> None:
        self.session.close()
