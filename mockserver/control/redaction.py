"""What the journal and the console may show of a request: never a credential.

A header or query parameter is secret when its name, decoded and without case, contains
`token`, `auth`, `key`, `secret`, `password`, `session` or `cookie`. An `Authorization` value
keeps only its scheme when it starts with one (`Token <redacted>`), and is hidden whole
otherwise (`<tok> Token` is hidden whole too). `Referer` and `Origin` lose their query string
and any user:password. Last, every fixture token is hidden wherever else it appears (a path,
another header, a query value under an innocent name). Control characters are escaped by the
console line, which prints these values (text.py).

A request body is shown as JSON when it parses as JSON (whatever its Content-Type: `fetch` sends
a string body as text/plain), with the values of secret keys hidden at any depth; a form body as
a query; other text (a cut or broken JSON, multipart) with secret JSON pairs, secret form
fields and multipart parts hidden; anything else as its size only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

REDACTED = "<redacted>"
SECRET_WORDS = ("token", "auth", "key", "secret", "password", "session", "cookie")
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]*)')
_FORM_PAIR = re.compile(r"(^|[&\s;])([^=&\s;]+)=([^&\s;]*)")
_PART = re.compile(r'(name="([^"]*)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)([^\r\n]*)')
AUTH_SCHEMES = frozenset({"token", "bearer", "basic", "digest", "negotiate", "hoba", "mutual", "aws4-hmac-sha256"})
URL_HEADERS = frozenset({"referer", "origin"})
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.~=&-]*")  # characters no query decoding changes (no %, no +)


def secret_name(name: str) -> bool:
    lowered = unquote_plus(name).strip().lower()
    return any(word in lowered for word in SECRET_WORDS)


class Redactor:
    """Hides credentials by name, by form and, for the fixture users' tokens, by value."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self.generation = 0  # counts the token sets: what was redacted before may differ now
        self.replace_tokens(tokens)

    def replace_tokens(self, tokens: Iterable[str]) -> None:
        self.generation += 1
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

    def body(self, raw: bytes, content_type: str) -> Any:
        """A request body as the journal shows it (see the module's docstring)."""
        text = _text(raw)
        if text is None:
            return f"<{len(raw):,} bytes, not text>"
        if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            return self.query(text)
        if text.lstrip()[:1] in ("{", "["):
            try:
                return self._json(json.loads(text))
            except ValueError:
                pass
        text = _JSON_PAIR.sub(lambda m: m.group(0) if not secret_name(m.group(1)) else
                              f'"{m.group(1)}"{m.group(2)}"{REDACTED}"', text)
        text = _PART.sub(lambda m: m.group(0) if not secret_name(m.group(2)) else m.group(1) + REDACTED, text)
        text = _FORM_PAIR.sub(lambda m: m.group(0) if not secret_name(m.group(2)) else
                              f"{m.group(1)}{m.group(2)}={REDACTED}", text)
        return self.text(text)

    def _json(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: REDACTED if secret_name(key) else self._json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._json(item) for item in value]
        return self.text(value) if isinstance(value, str) else value

    def query(self, raw: str) -> str:
        if not raw:
            return ""
        if _PLAIN_QUERY.fullmatch(raw) and not self._plain_query_hides(raw):
            return self.text(raw)  # the usual query: what parsed_query gives, found faster
        return self.parsed_query(raw)

    def parsed_query(self, raw: str) -> str:
        """`query` the general way: parsed, and encoded again when something in it is hidden."""
        pairs = parse_qsl(raw, keep_blank_values=True)
        if any(secret_name(name) or self.text(name + value) != name + value for name, value in pairs):
            raw = urlencode([(self.text(name), REDACTED if secret_name(name) else self.text(value))
                             for name, value in pairs])
        return self.text(raw)


    def _plain_query_hides(self, raw: str) -> bool:
        """Whether a query of plain characters has a secret name or a token in a name and value:
        its pairs are then what parse_qsl gives, undecoded (nothing in it decodes differently)."""
        known = self._known
        for part in raw.split("&"):
            if not part:
                continue
            name, _, value = part.partition("=")
            lowered = name.lower()
            if any(word in lowered for word in SECRET_WORDS):
                return True
            if known is not None and known.search(name + value):
                return True
        return False


def _text(raw: bytes) -> str | None:
    """UTF-8 text, allowing for a character cut at the end; None for binary data."""
    for end in range(len(raw), max(len(raw) - 4, -1), -1):
        try:
            text = raw[:end].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return text if text.isprintable() or all(char.isprintable() or char in "\r\n\t" for char in text) else None
    return None
