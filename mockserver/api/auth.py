"""Who is calling: the three credential forms, checked as DRF's TokenAuthentication does.

`Authorization: Token <t>` and `Authorization: Bearer <t>` (keywords matched without case)
are parsed like DRF: a keyword alone, a token with spaces and a token that is not text each
have their own 401 message. A header `token: <t>` (the Backup page's form) is tried when
the Authorization header carries neither keyword. Tokens are looked up by their SHA-256
digest and confirmed with a constant-time comparison, so timing says nothing about them.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Iterable

from mockserver.api.errors import ErrorCatalog
from mockserver.data.models import User

KEYWORDS = (b"token", b"bearer")


def _digest(token: bytes) -> bytes:
    return hashlib.sha256(token).digest()


class Authenticator:
    def __init__(self, users: Iterable[User], catalog: ErrorCatalog) -> None:
        self.replace_users(users)
        self._catalog = catalog

    def replace_users(self, users: Iterable[User]) -> None:
        """Know exactly these users from now on (fixtures reloaded while running)."""
        self._users = {_digest(user.token.encode("ascii")): user for user in users}

    def authenticate(self, headers: list[tuple[bytes, bytes]]) -> User:
        """The user behind a request's raw ASGI headers, or an ApiError (401)."""
        authorization = header_token = None
        for name, value in headers:
            if name == b"authorization" and authorization is None:
                authorization = value
            elif name == b"token" and header_token is None:
                header_token = value
        if authorization is not None:
            parts = authorization.split()
            if parts and parts[0].lower() in KEYWORDS:
                return self._from_keyword(parts)
        if header_token is not None and header_token.strip():
            return self._lookup(header_token.strip())
        raise self._catalog.error("not_authenticated")

    def _from_keyword(self, parts: list[bytes]) -> User:
        if len(parts) == 1:
            raise self._catalog.error("token_header_empty")
        if len(parts) > 2:
            raise self._catalog.error("token_header_spaces")
        try:
            parts[1].decode("utf-8")
        except UnicodeDecodeError:
            raise self._catalog.error("token_header_invalid_characters") from None
        return self._lookup(parts[1])

    def _lookup(self, token: bytes) -> User:
        user = self._users.get(_digest(token))
        if user is None or not hmac.compare_digest(user.token.encode("ascii"), token):
            raise self._catalog.error("invalid_token")
        return user
