"""Who is calling: the credential forms the spec's security schemes declare, checked as DRF does.

`Authorization: <Keyword> <t>` (for each keyword the schemes declare: `Token`, `Bearer`;
matched without case) is parsed like DRF's TokenAuthentication: a keyword alone, a token
with spaces and a token that is not text each have their own 401 message. A header or a
query parameter named by an API-key scheme (the Backup page's `token` header) is tried when
the Authorization header carries none of the keywords. Tokens are looked up by their SHA-256
digest and confirmed with a constant-time comparison, so timing says nothing about them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from mockserver.api.errors import ErrorCatalog
from mockserver.data.models import User
from mockserver.exceptions import ApiError
from mockserver.spec.model import CredentialForm


def _digest(token: bytes) -> bytes:
    return hashlib.sha256(token).digest()


@dataclass(frozen=True)
class Forms:
    """The credential forms of one operation, ready for raw ASGI headers."""

    keywords: frozenset[bytes]  # lower-case Authorization keywords
    headers: tuple[bytes, ...]  # lower-case header names carrying a bare token
    queries: tuple[str, ...]  # query parameters carrying a bare token

    @classmethod
    def of(cls, forms: Iterable[CredentialForm]) -> Forms:
        forms = tuple(forms)
        return cls(
            frozenset(form.name.lower().encode("latin-1") for form in forms if form.kind == "keyword"),
            tuple(form.name.lower().encode("latin-1") for form in forms if form.kind == "header"),
            tuple(form.name for form in forms if form.kind == "query"),
        )


class Authenticator:
    """The fixture users, found by token."""

    def __init__(self, users: Iterable[User]) -> None:
        self.replace_users(users)

    def replace_users(self, users: Iterable[User]) -> None:
        """Know exactly these users from now on (fixtures reloaded while running)."""
        self._users = {_digest(user.token.encode("ascii")): user for user in users}

    def authenticate(self, headers: list[tuple[bytes, bytes]], forms: Forms, errors: ErrorCatalog,
                     query_string: bytes = b"") -> User:
        """The user behind a request's raw ASGI headers, or an ApiError (401)."""
        authorization = None
        bare: dict[bytes, bytes] = {}
        for name, value in headers:
            if name == b"authorization":
                if authorization is None:
                    authorization = value
            elif name in forms.headers and name not in bare:
                bare[name] = value
        if authorization is not None:
            parts = authorization.split()
            if parts and parts[0].lower() in forms.keywords:
                return self._from_keyword(parts, errors)
        for name in forms.headers:
            carried = bare.get(name)
            if carried is not None and carried.strip():
                return self._lookup(carried.strip(), errors)
        if forms.queries and query_string:
            for key, text in parse_qsl(query_string.decode("latin-1"), keep_blank_values=False):
                if key in forms.queries and text.strip():
                    return self._lookup(text.strip().encode("latin-1"), errors)
        raise errors.error("not_authenticated")

    def identify(self, headers: list[tuple[bytes, bytes]], forms: Forms, errors: ErrorCatalog,
                 query_string: bytes = b"") -> User | None:
        """The user a request authenticates as, or None (the journal names users with it)."""
        try:
            return self.authenticate(headers, forms, errors, query_string)
        except ApiError:
            return None

    def _from_keyword(self, parts: list[bytes], errors: ErrorCatalog) -> User:
        if len(parts) == 1:
            raise errors.error("token_header_empty")
        if len(parts) > 2:
            raise errors.error("token_header_spaces")
        try:
            parts[1].decode("utf-8")
        except UnicodeDecodeError:
            raise errors.error("token_header_invalid_characters") from None
        return self._lookup(parts[1], errors)

    def _lookup(self, token: bytes, errors: ErrorCatalog) -> User:
        user = self._users.get(_digest(token))
        if user is None or not hmac.compare_digest(user.token.encode("ascii"), token):
            raise errors.error("invalid_token")
        return user
