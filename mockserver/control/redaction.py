"""What the journal and the console may show of a request: never a credential.

A header or query parameter is secret when its name, decoded and without case, contains
`token`, `auth`, `key`, `secret`, `password`, `session` or `cookie`. An `Authorization` value
keeps only its scheme when it starts with one (`Token <redacted>`), and is hidden whole
otherwise (`<tok> Token` is hidden whole too). `Referer` and `Origin` lose their query string
and any user:password. Last, every fixture token is hidden wherever else it appears (a path,
another header, a query value under an innocent name). Control characters are escaped by the
console line, which prints these values (text.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

REDACTED = "<redacted>"
SECRET_WORDS = ("token", "auth", "key", "secret", "password", "session", "cookie")
AUTH_SCHEMES = frozenset({"token", "bearer", "basic", "digest", "negotiate", "hoba", "mutual", "aws4-hmac-sha256"})
URL_HEADERS = frozenset({"referer", "origin"})


def secret_name(name: str) -> bool:
    lowered = unquote_plus(name).strip().lower()
    return any(word in lowered for word in SECRET_WORDS)


class Redactor:
    """Hides credentials by name, by form and, for the fixture users' tokens, by value."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self.replace_tokens(tokens)

    def replace_tokens(self, tokens: Iterable[str]) -> None:
        known = sorted({token for token in tokens if token}, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(token) for token in known)) if known else None

    def text(self, value: str) -> str:
        """`value` with every known token hidden."""
        return self._known.sub(REDACTED, value) if self._known is not None else value

    def header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization"):
            scheme, _, rest = value.strip().partition(" ")
            if scheme.lower() in AUTH_SCHEMES:
                return f"{scheme} {REDACTED}" if rest.strip() else scheme
            return REDACTED
        if secret_name(lowered):
            return REDACTED
        if lowered in URL_HEADERS:
            return self.text(self.url(value))
        return self.text(value)

    def url(self, value: str) -> str:
        """A URL without its query string and credentials."""
        parts = urlsplit(value)
        if not parts.scheme and not parts.netloc:
            return REDACTED if "?" in value or "@" in value else value
        netloc = parts.netloc.rsplit("@", 1)[-1]
        query = REDACTED if parts.query else ""
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))

    def query(self, raw: str) -> str:
        if not raw:
            return ""
        pairs = parse_qsl(raw, keep_blank_values=True)
        if any(secret_name(name) or self.text(name + value) != name + value for name, value in pairs):
            raw = urlencode([(self.text(name), REDACTED if secret_name(name) else self.text(value))
                             for name, value in pairs])
        return self.text(raw)
