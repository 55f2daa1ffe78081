"""Everything a check needs, built once per run: options, spec, client, credentials, URLs.

URLs are built from the spec by role: the list, create and detail operations and their
level, organization, serializer, page and page-size parameters, whatever their names. Also
the organization's backups as listed (the listing), fetched once and shared.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .guard import RequestGuard
from .http import Client, Exchange
from .listing import collect
from .options import Options
from .redaction import Redactor
from .spec import CredentialForm, Operation, Spec, example_value


def api_base(base_url: str, spec: Spec) -> str:
    """The base URL, with the spec's server prefix (`/v1`) when it has no path of its own."""
    base = base_url.rstrip("/")
    return base if urlsplit(base).path else base + spec.prefix


def relative_path(base_url: str, url: str) -> tuple[str, str]:
    parts, base = urlsplit(url), urlsplit(base_url).path.rstrip("/")
    path = parts.path[len(base):] if base and parts.path.startswith(base + "/") else parts.path
    return path, parts.query


class KitContext:
    def __init__(self, options: Options, spec: Spec) -> None:
        self.options = options
        self.spec = spec
        self.redact = Redactor(options.secrets)
        self.guard = RequestGuard(allow_writes=options.allow_writes, max_writes=options.max_writes)
        self.client = Client(api_base(options.base_url, spec), self.guard, timeout=options.timeout)
        self.rng = random.Random(options.seed)
        self.forms: tuple[CredentialForm, ...] = spec.credential_forms
        self.form = self.forms[0]  # the form preflight found accepted
        self._memo: dict[str, Any] = {}
        serializer = example_value(spec.list_op.needs("serializer"))
        self.serializer = str(serializer) if serializer in spec.serializers else spec.full_serializers[0]
        self.level = spec.levels[0] if spec.levels else str(example_value(spec.list_op.needs("level")))

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
        return f"{self.rng.getrandbits(160):040x}"

    def unknown_sid(self) -> str:
        """A well-formed sid that names nothing (letters and digits, 20 characters)."""
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "zz" + "".join(self.rng.choice(alphabet) for _ in range(18))

    # -- URLs -------------------------------------------------------------------------------
    def op_url(self, operation: Operation, values: dict[str, str], query: dict[str, Any] | None = None) -> str:
        """`operation`'s URL with path values by role, and query values by role (None left out)."""
        names = {parameter.role: parameter.name for parameter in operation.parameters if parameter.role}
        shown = {names.get(key, key): value for key, value in (query or {}).items() if value is not None}
        return self.client.url(operation.fill(values), shown)

    def list_url(self, org_sid: str | None = None, serializer: str | None = None, level: str | None = None, *,
                 page: Any = None, page_size: Any = None, operation: Operation | None = None) -> str:
        values = {"organization": org_sid or self.options.org_sid, "serializer": serializer or self.serializer,
                  "level": level or self.level}
        return self.op_url(operation or self.spec.list_op, values, {"page": page, "page-size": page_size})

    def create_url(self, org_sid: str | None = None, serializer: str | None = None, level: str | None = None) -> str:
        return self.list_url(org_sid, serializer, level, operation=self.spec.role("create"))

    def detail_url(self, sid: str) -> str:
        return self.op_url(self.spec.role("detail"), {"backup": sid})

    def relative(self, url: str) -> tuple[str, str]:
        """(path under the base URL, query) of a URL the kit or schemathesis sent: what the spec's paths name."""
        return relative_path(self.client.base_url, url)

    def get(self, url: str, headers: dict[str, str] | None = None) -> Exchange:
        return self.client.get(url, headers)

    # -- shared data ------------------------------------------------------------------------
    def listing(self, foreign: bool = False) -> list[dict[str, Any]]:
        """Every backup of the organization (reference serializer), as the pages list them."""
        if foreign:
            return list(self.memo("listing:foreign",
                                  lambda: collect(self, self.options.foreign_org_sid or "", self.foreign)))
        return list(self.memo("listing:own", lambda: collect(self, self.options.org_sid, self.admin)))

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """Compute once per run what several checks share (the listing, a walk)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def forget(self, prefix: str = "") -> None:
        """Drop memoized data (after writes change the list)."""
        for key in [key for key in self._memo if key.startswith(prefix)]:
            del self._memo[key]

    def close(self) -> None:
        self.client.close()
