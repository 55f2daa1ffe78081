"""Keep secrets out of every line the kit writes: console, JUnit, pytest output.

Tokens are replaced wherever they appear (raw, URL-encoded, or inside a header), and
credential headers are masked whatever their value, so a token the kit was not told about
(one a server echoes back, say) does not leak through a curl line either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"
CREDENTIAL_HEADERS = frozenset({"authorization", "token", "cookie", "proxy-authorization", "x-api-key"})
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


class Redactor:
    """Replaces known secrets (and URL userinfo) in text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if secret:
                variants.update({secret, quote(secret, safe=""), quote_plus(secret)})
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted(variants, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret:
            self._secrets = sorted({*self._secrets, secret, quote(secret, safe="")}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _USERINFO.sub(lambda match: match.group("scheme") + MASK + "@", text)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Header values with credentials masked (the scheme word of Authorization kept)."""
        return {name: self.header_value(name, value) for name, value in headers.items()}

    def header_value(self, name: str, value: str) -> str:
        if name.lower() not in CREDENTIAL_HEADERS:
            return self(value)
        if name.lower() == "authorization" and " " in value.strip():
            return value.strip().split(" ", 1)[0] + " " + MASK
        return MASK
