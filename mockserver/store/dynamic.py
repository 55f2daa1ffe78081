"""Generated backups for `--dynamic` and `Prefer: dynamic=true`: many, realistic, reproducible.

Every organization of the fixtures gets `count` generated backups, listed after the ones
created while the mock runs (its fixture backups are left out). Backup number i (0 is the
newest) is computed from a hash of (seed, organization, i) alone: a page costs only its own
backups whatever its number, and one seed gives the same data on every machine and run.

The values follow the spec's Backup schema and the documented conventions: about one backup
a day going back from the newest fixture backup; name and description carry the same UTC
stamp, taken a little before date_created; the database grows slowly over time, up to the size
of the organization's newest fixture backup (so a backup created now follows on). At start-up
a sample is checked against the spec's Backup schema, so a spec that drifts away from this
generator stops the server instead of producing answers that break the contract.

Generated sids look like Labii's (4 characters, `0a40x`, 10 characters) and encode the
organization and the index, so a generated backup's detail URL answers without stored state.
The object is store-shaped (count, slice, get, create), so `BackupApi` serves it unchanged.
"""

from __future__ import annotations

import hashlib
import math
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mockserver.data.factory import documented_values, parse_size
from mockserver.data.fixtures import check_backups
from mockserver.data.models import Backup, Organization
from mockserver.exceptions import FixtureError, SpecError
from mockserver.store.backups import BackupStore
from mockserver.store.entry import Entry, stored

_BASE62 = string.digits + string.ascii_letters
_HEAD = string.ascii_lowercase + string.digits
_INFIX = "0a40x"
_INDEX_DIGITS = 4
_INDEX_SPACE = 62**_INDEX_DIGITS
MAX_COUNT = 1_000_000  # per organization (four base-62 digits of a sid could number 14.7 million)
SLOT = timedelta(days=1)  # about one backup a day...
HISTORY = timedelta(days=365 * 40)  # ...or closer together, so no history goes back over 40 years
GROWTH_PER_DAY = 0.002  # the database roughly doubles in a year
DEFAULT_ANCHOR = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)  # when the fixtures hold no backup
_CACHE_LIMIT = 8192


def _base62(number: int, digits: int) -> str:
    chars = []
    for _ in range(digits):
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    return "".join(reversed(chars))


def _unit(digest: bytes, slot: int) -> float:
    """A number in [0, 1) from four bytes of a digest."""
    return int.from_bytes(digest[4 * slot : 4 * slot + 4], "big") / 2**32


class DynamicStore:
    """Generated backups behind the created ones; reads only, creation goes to the real store."""

    def __init__(self, store: BackupStore, count: int, seed: int) -> None:
        if not 0 <= count <= MAX_COUNT:
            raise ValueError(f"dynamic count must be between 0 and {MAX_COUNT}")
        self.store = store
        self.count_per_organization = count
        self.seed = seed
        self._slot = min(SLOT, HISTORY / max(count, 1))
        self._growth = min(GROWTH_PER_DAY * (self._slot / SLOT), 3 / max(count, 1))  # oldest >= 5% of newest
        # the index sits in the sid scrambled by an affine bijection, so sids look random
        key = int.from_bytes(hashlib.blake2b(f"{seed}".encode(), digest_size=8).digest(), "big")
        self._scale = (key % _INDEX_SPACE) | 1  # odd...
        if self._scale % 31 == 0:
            self._scale += 2  # ...and no multiple of 31: invertible modulo 62**4 = 2**4 * 31**4
        self._unscale = pow(self._scale, -1, _INDEX_SPACE)
        self._shift = (key >> 32) % _INDEX_SPACE
        self._cache: dict[tuple[str, int], Entry] = {}
        self._cache_fixtures = store.fixtures
        self._anchor = self._newest_fixture()
        self._check()

    # -- the store's interface ----------------------------------------------------------

    def version(self) -> int:
        """Generated lists follow from the underlying store (and the fixed seed and count)."""
        return self.store.version()

    def count(self, organization: str) -> int:
        if organization not in self.store.fixtures.organizations:
            return 0
        return self.store.created_count(organization) + self.count_per_organization

    def slice(self, organization: str, start: int, stop: int) -> list[Entry]:
        made = self.store.created_count(organization)
        first = max(0, start - made)
        last = min(max(0, stop - made), self.count_per_organization)
        return self.store.created_slice(organization, start, stop) + \
            [self.entry(organization, index) for index in range(first, last)]

    def get(self, sid: str) -> Entry | None:
        return self.store.get(sid) or self._decode(sid)

    @property
    def organizations(self) -> dict[str, Organization]:
        return self.store.fixtures.organizations

    def organization_of(self, sid: str) -> str | None:
        entry = self.get(sid)
        return entry.backup.organization if entry is not None else None

    def create(self, organization: str) -> Entry:
        return self.store.create(organization)

    # -- generation -----------------------------------------------------------------------

    def entry(self, organization: str, index: int) -> Entry:
        if self._cache_fixtures is not self.store.fixtures:  # reloaded: the anchor may move
            self._cache.clear()
            self._cache_fixtures = self.store.fixtures
            self._anchor = self._newest_fixture()
        key = (organization, index)
        entry = self._cache.get(key)
        if entry is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            backup = self.generate(organization, index)
            entry = self._cache[key] = stored(backup, self.store.serializers)
        return entry

    def generate(self, organization: str, index: int) -> Backup:
        """Backup number `index` (0 = newest) of the organization's generated history."""
        digest = hashlib.blake2b(f"{self.seed}\0{organization}\0{index}".encode(), digest_size=32).digest()
        created = self._anchor - self._slot * index - self._slot * (0.8 * _unit(digest, 0))
        started = created - timedelta(seconds=20 + 70 * _unit(digest, 1))
        size = self._newest_size(organization) * math.exp(-self._growth * index)
        size *= 1 + 0.004 * (_unit(digest, 2) - 0.5)
        head = "".join(_HEAD[byte % len(_HEAD)] for byte in digest[12:16])
        check = "".join(_BASE62[byte % 62] for byte in digest[16:20])
        sid = head + _INFIX + self._org_code(organization) + _base62(self._hide(index), _INDEX_DIGITS) + check
        shape = self.store.serializers.shape
        return shape.make(organization, {**shape.filled, **documented_values(sid, created, started, size)})

    def _hide(self, index: int) -> int:
        return int((index * self._scale + self._shift) % _INDEX_SPACE)

    def _org_digest(self, organization: str) -> bytes:
        return hashlib.blake2b(f"{self.seed}\0{organization}".encode(), digest_size=16).digest()

    def _org_code(self, organization: str) -> str:
        digest = self._org_digest(organization)
        return _BASE62[digest[0] % 62] + _BASE62[digest[1] % 62]

    def _newest_size(self, organization: str) -> float:
        """The newest fixture backup's size; without one, 20 MB to 2 GB (log-uniform, per seed)."""
        newest = self._newest_fixture_of.get(organization)
        size = self.store.serializers.shape.value(newest, "database_size") if newest is not None else None
        if isinstance(size, str):
            return parse_size(size)
        low, high = math.log(20e6), math.log(2e9)
        return math.exp(low + (high - low) * _unit(self._org_digest(organization), 1))

    def _newest_fixture(self) -> datetime:
        """The newest fixture backup's date (the generated history ends there); also per organization."""
        self._newest_fixture_of: dict[str, Backup] = {}
        for organization in self.store.fixtures.organizations:
            newest = self.store.newest_fixture(organization)
            if newest is not None:
                self._newest_fixture_of[organization] = newest
        return max((backup.created_at for backup in self._newest_fixture_of.values()), default=DEFAULT_ANCHOR)

    def _decode(self, sid: str) -> Entry | None:
        if len(sid) != 19 or sid[4:9] != _INFIX:
            return None
        code, digits = sid[9:11], sid[11 : 11 + _INDEX_DIGITS]
        if any(char not in _BASE62 for char in digits):
            return None
        hidden = 0
        for char in digits:
            hidden = hidden * 62 + _BASE62.index(char)
        index = (hidden - self._shift) * self._unscale % _INDEX_SPACE
        if index >= self.count_per_organization:
            return None
        for organization in self.store.fixtures.organizations:
            if self._org_code(organization) == code:
                entry = self.entry(organization, index)
                if entry.backup.sid == sid:
                    return entry
        return None

    def _check(self) -> None:
        """Generated backups must pass the fixtures' own checks: the schema and the conventions."""
        shape = self.store.serializers.shape
        organizations = self.store.fixtures.organizations or {"sample": Organization("sample", "sample")}
        last = max(self.count_per_organization - 1, 0)
        raws = [
            {"organization": organization, **shape.as_dict(self.generate(organization, index))}
            for organization in list(organizations)[:3]  # a sample: start-up stays fast with many
            for index in sorted({0, 1, last})
        ]
        try:
            check_backups(Path("<dynamic data>"), raws, shape, organizations)
        except FixtureError as exc:
            raise SpecError(f"the dynamic data generator no longer follows {shape.source}: {exc}") from None
