"""Recording (`--record DIR`): what the upstream answered becomes a fixture directory to serve later.

What is kept: the organizations and backups seen in successful list, create and detail answers,
one entry per sid, fields merged across answers (a later answer's values win; a `name`
serializer's page adds only what it shows). An organization is known from the list and create
paths' organization parameter (its role, `organization`); a backup seen only in a detail answer,
whose organization no list named, is left out. Only fields the spec declares are kept.

What is made up, and said so: organization names (the API never returns them: `Recorded
organization 1`, ...), and the users. No real token is written anywhere, nor kept in memory
here: each organization gets a generated Admin, and a generated Member where a 403 was seen
(a 403, not a 406, says the caller belongs to the organization without the right). Demo tags
(primary: the organization with the most backups; foreign: the next with backups; empty: one
without) let `python -m mockserver credentials --fixtures DIR` print them.

Writing is atomic and checked: the files go to a temporary directory inside DIR, are loaded
there with `load_fixtures` like any fixture directory, and only then renamed over the previous
ones (organizations, then backups, then users: each step leaves a valid directory for a mock
watching it). A backup the checks would refuse (a field outside its schema, a broken documented
convention) is left out with its reason, in `recording.yaml`. Writes happen at most every
FLUSH_EVERY seconds while changes come in, and at shutdown (Ctrl-C, SIGTERM). DIR must be new,
empty or a previous recording, which is then extended (its generated users kept).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mockserver.data.fixtures import FILES, convention_problem, load_fixtures
from mockserver.data.models import ADMIN, MEMBER
from mockserver.data.records import RecordShape
from mockserver.exceptions import FixtureError, MockServerError
from mockserver.spec.model import BACKUP, CREATE, DETAIL, IDENTITY, LIST, ORGANIZATION, ApiModel, Operation
from mockserver.text import one_line

MARKER = "recording.yaml"
TEMPORARY = ".recording-"
FLUSH_EVERY = 1.0  # seconds between two writes while answers keep coming
NAMES_NOTE = "Organization names are generated: the API does not return them."
USERS_NOTE = ("Users and tokens are generated demo users (one Admin per organization, a Member where a 403 "
              "was seen); no real token is written.")
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class RecordError(MockServerError):
    """--record cannot use its directory, or a recording failed its check."""


@dataclass
class _Organization:
    name: str
    member_seen: bool = False
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (name, generated token)


@dataclass(frozen=True)
class _Snapshot:
    organizations: dict[str, Any]
    users: dict[str, Any]
    backups: dict[str, Any]
    left_out: dict[str, str]
    undeclared: list[str]
    version: int  # of the recorder's data it was made from


class Recorder:
    """Collects what the upstream answered; writes it as fixtures (see the module's docstring)."""

    def __init__(self, directory: Path, model: ApiModel, shape: RecordShape, source: str) -> None:
        self.directory = directory
        self.shape = shape
        self.source = source  # the upstream, as recording.yaml names it
        self.results_key = model.page.results_key if model.page is not None else "results"
        self.organizations: dict[str, _Organization] = {}
        self.backups: dict[str, dict[str, Any]] = {}  # sid -> the fields seen, and its organization
        self.undeclared: set[str] = set()  # fields the upstream sent that the spec does not declare
        self.version = self.written = 0
        self.left_out: dict[str, str] = {}  # sid -> why, at the last write
        self._changed: asyncio.Event | None = None
        self._writing = threading.Lock()  # one write at a time, the newest data last (see _write)
        self._on_disk = -1  # the version of the data last written
        self._open()

    # -- the directory ---------------------------------------------------------------------------
    def _open(self) -> None:
        directory = self.directory
        if directory.exists() and not directory.is_dir():
            raise RecordError(f"--record {directory}: not a directory")
        for leftover in directory.glob(TEMPORARY + "*") if directory.is_dir() else ():
            shutil.rmtree(leftover, ignore_errors=True)  # a write an earlier run did not finish
        present = [path.name for path in directory.iterdir()] if directory.is_dir() else []
        if not present:
            return
        if MARKER not in present:
            raise RecordError(f"--record {directory}: the directory holds files that are not a recording "
                              f"({', '.join(sorted(present)[:3])}); give a new or empty directory, or a previous "
                              "recording to extend")
        try:
            previous = load_fixtures(directory, self.shape)
        except FixtureError as exc:
            raise RecordError(f"--record {directory}: the previous recording cannot be extended: {exc}") from None
        for sid, organization in previous.organizations.items():
            self.organizations[sid] = _Organization(organization.name)
        for user in previous.users:
            for sid, role in user.roles.items():
                known = self.organizations[sid]
                known.users.setdefault(role, (user.name, user.token))
                known.member_seen = known.member_seen or role == MEMBER
        for backup in previous.backups:
            self.backups[backup.sid] = {"organization": backup.organization, **self.shape.as_dict(backup)}

    # -- what the upstream answered ---------------------------------------------------------------
    def see(self, operation: Operation, params: dict[str, str], status: int, body: bytes) -> None:
        """Keep what one upstream answer shows (answers other than 2xx and 403 show nothing)."""
        organization = _param(operation, ORGANIZATION, params)
        backup = _param(operation, BACKUP, params)
        if organization is None and backup is not None and backup in self.backups:
            organization = self.backups[backup].get("organization")
        if status == 403 and organization is not None:
            self._organization(organization).member_seen = True
            self._touch()
            return
        if not 200 <= status < 300 or operation.role not in (LIST, CREATE, DETAIL):
            return
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past what the parser takes: shows nothing
            return
        if organization is not None:
            self._organization(organization)
        if operation.role == LIST and isinstance(document, dict) and isinstance(document.get(self.results_key), list):
            for item in document[self.results_key]:
                self._backup(item, organization)
        elif operation.role in (CREATE, DETAIL):
            self._backup(document, organization)
        self._touch()

    def _organization(self, sid: str) -> _Organization:
        found = self.organizations.get(sid)
        if found is None:
            found = self.organizations[sid] = _Organization(f"Recorded organization {len(self.organizations) + 1}")
        return found

    def _backup(self, item: Any, organization: str | None) -> None:
        if not isinstance(item, dict) or not isinstance(item.get(IDENTITY), str):
            return
        entry = self.backups.setdefault(item[IDENTITY], {})
        if organization is not None:
            entry["organization"] = organization
        for name, value in item.items():
            if self.shape.has(name):
                entry[name] = value
            else:
                self.undeclared.add(str(name))

    def _touch(self) -> None:
        self.version += 1
        if self._changed is not None:
            self._changed.set()

    # -- the files ---------------------------------------------------------------------------
    def _documents(self) -> _Snapshot:
        """organizations.yaml, users.yaml and backups.yaml as documents, and what was left out."""
        left_out: dict[str, str] = {}
        kept: list[dict[str, Any]] = []
        counts = dict.fromkeys(self.organizations, 0)
        for sid, raw in self.backups.items():
            entry = {"organization": raw.get("organization"),
                     **{name: raw[name] for name in self.shape.order if name in raw}}
            if entry["organization"] is None:
                left_out[sid] = "seen only in a detail answer: its organization is not known"
                continue
            problem = self.shape.problem(entry) or convention_problem(entry)
            if problem:
                left_out[sid] = problem
                continue
            kept.append(entry)
            counts[entry["organization"]] += 1
        ranked = sorted((sid for sid in counts if counts[sid]), key=lambda sid: -counts[sid])
        tags = dict(zip(ranked, ("primary", "foreign"), strict=False))
        empty = next((sid for sid in self.organizations if not counts[sid]), None)
        if empty is not None:
            tags[empty] = "empty"
        organizations, users = [], []
        for number, (sid, known) in enumerate(self.organizations.items(), start=1):
            entry = {"sid": sid, "name": known.name}
            if sid in tags:
                entry["demo"] = tags[sid]
            organizations.append(entry)
            roles = (ADMIN, MEMBER) if known.member_seen else (ADMIN,)
            for role in roles:
                if role not in known.users:
                    known.users[role] = (f"Recorded {role} {number}", secrets.token_hex(20))
                name, token = known.users[role]
                users.append({"name": name, "token": token, "memberships": [{"organization": sid, "role": role}]})
        return _Snapshot({"organizations": organizations}, {"users": users}, {"backups": kept}, left_out,
                         sorted(self.undeclared), self.version)

    def write(self) -> str:
        """Write the recording (atomically, checked); a one-line summary. RecordError when the check fails
        (the previous files stay)."""
        return self._write(self._documents())

    def _write(self, snapshot: _Snapshot) -> str:
        """Write what `_documents` made (on the event loop: a snapshot, safe in a thread). A write from a
        thread the shutdown did not wait for never replaces a newer one."""
        with self._writing:
            if snapshot.version < self._on_disk:
                return f"recording: {self.directory} already holds newer data"
            message = self._replace(snapshot)
            self._on_disk = snapshot.version
            return message

    def _replace(self, snapshot: _Snapshot) -> str:
        organizations, users, backups, left_out = (snapshot.organizations, snapshot.users, snapshot.backups,
                                                   snapshot.left_out)
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=TEMPORARY, dir=self.directory))
        try:
            meta = {
                "recorded_from": self.source,
                "updated": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "organizations": len(organizations["organizations"]),
                "backups": len(backups["backups"]),
                "users": len(users["users"]),
                "notes": [NAMES_NOTE, USERS_NOTE],
                "left_out": [{"sid": sid, "why": why} for sid, why in left_out.items()],
                "undeclared_fields_dropped": snapshot.undeclared,
            }
            header = "# Recorded by backup-mock --proxy URL --record DIR from what the upstream answered.\n"
            for name, document in zip(FILES, (organizations, users, backups), strict=True):
                _dump(temporary / name, document, header + f"# {NAMES_NOTE}\n# {USERS_NOTE}\n")
            _dump(temporary / MARKER, meta, header)
            try:
                load_fixtures(temporary, self.shape)
            except FixtureError as exc:
                raise RecordError(one_line(f"recording NOT written to {self.directory}, it fails the fixture "
                                           f"check: {exc}")) from None
            for name in ("organizations.yaml", "backups.yaml", "users.yaml", MARKER):
                os.replace(temporary / name, self.directory / name)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)
        self.left_out = left_out
        left = f", {len(left_out)} backup(s) left out (see {MARKER})" if left_out else ""
        return (f"recording: {meta['organizations']} organization(s), {meta['backups']} backup(s) and "
                f"{meta['users']} generated user(s) in {self.directory}{left}")

    async def flush(self) -> str | None:
        """Write if anything changed since the last write (in a thread: the event loop keeps serving)."""
        version = self.version
        if version == self.written:
            return None
        message = await asyncio.to_thread(self._write, self._documents())
        self.written = version
        return message

    async def run(self) -> None:
        """Write soon after each change, at most every FLUSH_EVERY seconds, until cancelled."""
        self._changed = asyncio.Event()
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                await self.flush()
            except (RecordError, OSError) as exc:
                print(f"backup-mock: {one_line(str(exc))}", flush=True)
            await asyncio.sleep(FLUSH_EVERY)


def _param(operation: Operation, role: str, params: dict[str, str]) -> str | None:
    parameter = operation.param(role)
    value = params.get(parameter.name) if parameter is not None else None
    return str(value) if value is not None else None


def _dump(path: Path, document: dict[str, Any], header: str) -> None:
    text = yaml.dump(document, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, default_flow_style=False)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + text)
        handle.flush()
        os.fsync(handle.fileno())
