"""Everything a check needs, built once per run: options, spec, client, credentials, URLs.

Also the organization's backups as listed (the inventory), fetched once and shared, since
several themes need them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote

from .guard import RequestGuard
from .http import Client, Exchange
from .options import Options
from .redaction import Redactor
from .spec import Spec

LIST = "listBackups"
DETAIL = "getBackup"
CREATE = "createBackup"


@dataclass(frozen=True)
class CredentialForm:
    """One of the three ways the spec lets a caller present a token."""

    name: str
    header: str
    prefix: str

    def headers(self, token: str) -> dict[str, str]:
        return {self.header: self.prefix + token}


FORMS = (
    CredentialForm("Authorization: Token", "Authorization", "Token "),
    CredentialForm("Authorization: Bearer", "Authorization", "Bearer "),
    CredentialForm("token header", "token", ""),
)


class KitContext:
    def __init__(self, options: Options, spec: Spec) -> None:
        self.options = options
        self.spec = spec
        self.redact = Redactor(options.secrets)
        self.guard = RequestGuard(allow_writes=options.allow_writes, max_writes=options.max_writes)
        self.client = Client(options.base_url, self.guard, timeout=options.timeout)
        self.rng = random.Random(options.seed)
        self.form = FORMS[0]  # the form preflight found accepted; Token unless the server refuses it
        self._memo: dict[str, Any] = {}

    # -- credentials ------------------------------------------------------------------------
    def auth(self, token: str | None, form: CredentialForm | None = None) -> dict[str, str]:
        return {} if token is None else (form or self.form).headers(token)

    @property
    def admin(self) -> dict[str, str]:
        return self.auth(self.options.token)

    @property
    def member(self) -> dict[str, str]:
        return self.auth(self.options.member_token)

    @property
    def foreign(self) -> dict[str, str]:
        return self.auth(self.options.foreign_token)

    def unknown_token(self) -> str:
        """A token no server issued: 40 hex digits like a DRF token, from the run's seed."""
        return "%040x" % self.rng.getrandbits(160)

    def unknown_sid(self) -> str:
        """A well-formed sid that names nothing (letters and digits, 20 characters)."""
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "zz" + "".join(self.rng.choice(alphabet) for _ in range(18))

    # -- URLs -------------------------------------------------------------------------------
    def list_path(self, org_sid: str, serializer: str = "list", level: str = "organization") -> str:
        template = self.spec.operation(LIST).path
        return template.format(level=quote(level, safe=""), sid=quote(org_sid, safe=""),
                               serializer=quote(serializer, safe=""))

    def list_url(self, org_sid: str | None = None, serializer: str = "list", level: str = "organization",
                 **query: Any) -> str:
        path = self.list_path(org_sid or self.options.org_sid, serializer, level)
        return self.client.url(path, {key: value for key, value in query.items() if value is not None})

    def detail_url(self, sid: str) -> str:
        return self.client.url(self.spec.operation(DETAIL).path.format(sid=quote(sid, safe="")))

    def get(self, url: str, headers: dict[str, str] | None = None) -> Exchange:
        return self.client.get(url, headers)

    # -- shared data ------------------------------------------------------------------------
    def inventory(self, foreign: bool = False) -> list[dict[str, Any]]:
        """Every backup of the organization (list serializer), as the pages list them."""
        from .inventory import collect

        if foreign:
            return self.memo("inventory:foreign",
                             lambda: collect(self, self.options.foreign_org_sid or "", self.foreign))
        return self.memo("inventory:own", lambda: collect(self, self.options.org_sid, self.admin))

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """Compute once per run what several checks share (the inventory, a walk)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def forget(self, prefix: str = "") -> None:
        """Drop memoized data (after writes change the list)."""
        for key in [key for key in self._memo if key.startswith(prefix)]:
            del self._memo[key]

    def close(self) -> None:
        self.client.close()
