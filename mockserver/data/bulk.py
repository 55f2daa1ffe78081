"""Large backup files: parsed, checked and written as sorted rows, on every core, outside the mock.

A backups file of 100,000 entries is 25 MB of YAML. Parsed by the mock itself it would cost
seconds and leave a few hundred MB of freed objects the process keeps (Python rarely returns
memory to the system). So the mock runs `run` in a child process (forked at start-up, or `python
-m mockserver.data.bulk` while it serves: fixtures.py): it parses the file, checks every
entry exactly as the mock would, and writes the result as rows the mock reads in a fraction of a
second without parsing JSON:

    {"format": 2, "key": "...", "count": N}            first line
    <organization> TAB <sid> TAB <the record's JSON>  one line per backup, each organization's
                                                      newest first (the list's order)

A JSON file (`backups.json`, or a `backups.yaml` that is JSON: JSON is YAML) is read with the
JSON parser and its entries checked in parts, one per core, by forked workers. Block-style YAML
is cut at its top-level list items into as many pieces as there are cores and each piece is
parsed and checked in a process of its own: by plainyaml.py when it is written in the plain
one-`key: value`-a-line style large files use (three times as fast as libyaml through PyYAML),
otherwise by libyaml's safe loader. A file that cannot be cut safely (flow style, directives,
several documents, an alias of an anchor in another piece) is parsed whole, so the result is
always what `yaml.safe_load` gives. No library splits a YAML stream for parallel parsing,
hence this code.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import mmap
import multiprocessing
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from mockserver.data import plainyaml
from mockserver.data.models import Backup, micros_of
from mockserver.data.records import RecordShape
from mockserver.exceptions import FixtureError
from mockserver.text import one_line

FORMAT = 2
KEY = "backups"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ITEM = re.compile(rb"^( *)- ", re.M)
MIN_PIECE_BYTES = 2 * 1024 * 1024  # smaller files are parsed in one piece


Row = tuple[str, str, bytes]  # (organization, sid, the record's JSON)


def is_json(path: Path, content: bytes) -> bool:
    return path.suffix == ".json" or content.lstrip()[:1] in (b"{", b"[")


def parse(path: Path, content: bytes, cut: bool = True, plain: bool = True) -> list[Any]:
    """The entries under `backups:` of a fixture file (JSON or YAML), or a one-line FixtureError.
    `cut`: a large YAML file may be cut into pieces parsed on every core (False: cutting was tried);
    `plain`: a file in plain style is read by plainyaml.py (False: its pieces were, and one is not)."""
    if is_json(path, content):
        try:
            document = json.loads(content)
        except UnicodeDecodeError as exc:
            raise FixtureError(f"{path}: cannot read ({exc})") from None
        except (ValueError, RecursionError) as exc:
            raise FixtureError(one_line(f"{path}: not valid JSON ({exc})")) from None
    else:
        entries = plain_entries(content) if plain else None
        if entries is not None:
            return entries
        pieces = _pieces(content) if cut else []
        if len(pieces) > 1:
            entries = _parse_pieces(pieces)
            if entries is not None:
                return entries
        document = load_yaml(path, content)
    return list_under(path, document, KEY)


def list_under(path: Path, document: Any, key: str) -> list[Any]:
    """The list a fixture document holds under `key` (an empty document: none), or a FixtureError."""
    if document is None:
        return []
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise FixtureError(f"{path}: expected a mapping with a list under '{key}'")
    return list(document[key])


def _cores() -> int:
    return min(os.cpu_count() or 1, 8)


def load_yaml(path: Path, content: bytes) -> Any:
    """A fixture file's YAML by libyaml's safe loader; what is wrong with it, as a one-line FixtureError."""
    try:
        return yaml.load(content.decode("utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - libyaml's safe loader
    except UnicodeDecodeError as exc:
        raise FixtureError(f"{path}: cannot read ({exc})") from None
    except yaml.YAMLError as exc:
        raise FixtureError(one_line(f"{path}: not valid YAML ({exc})")) from None
    except RecursionError:
        raise FixtureError(f"{path}: nested too deeply to read") from None


def _pieces(content: bytes) -> list[bytes]:
    """The file cut at its top-level list items into one YAML document per core, or [] when it
    is not a plain block-style `backups:` list that can be cut without changing its meaning."""
    cores = _cores()
    if cores < 2 or len(content) < MIN_PIECE_BYTES:
        return []
    head = re.search(rb"^backups:[ \t]*(#.*)?\r?\n", content, re.M)
    if head is None:
        return []
    before = [line.strip() for line in content[:head.start()].splitlines()]
    if any(line and not line.startswith(b"#") for line in before):
        return []  # anything but comments before `backups:` (a directive, another key): parse whole
    body = content[head.end():]
    first = _ITEM.search(body)
    if first is None:
        return []
    indent = first.group(1)
    # everything after `backups:` must belong to the list: no line less indented than its items
    # (each search is for a line break and what follows it: one pass at memchr's speed, where a
    # `^` in multi-line mode is tried at every byte of the 25 MB)
    outdented = re.compile(rb"\n[^ \n#\r]" if indent else rb"\n(?!- )[^ \n#\r]")
    if outdented.search(body) or (body[:1] not in (b"", b" ", b"\n", b"#", b"\r")
                                  and (indent or not body.startswith(b"- "))):
        return []
    if re.search(rb"\n(?:%|---|\.\.\.)", body) or body.startswith((b"%", b"---", b"...")):
        return []
    # a cut at the first item that starts at or after each core's share of the bytes: one search a core
    item = b"\n" + indent + b"- "
    cuts = [first.start()]
    for part in range(1, cores):
        at = body.find(item, max(cuts[-1], len(body) * part // cores - 1))
        if at < 0:
            break
        cuts.append(at + 1)
    cuts.append(len(body))
    return [b"backups:\n" + body[cuts[index]:cuts[index + 1]] for index in range(len(cuts) - 1)]


def plain_entries(content: bytes) -> list[Any] | None:
    """The entries of a file in plain block style, read without libyaml (plainyaml.py); None
    for any other file (libyaml reads it)."""
    return plainyaml.parse(content.decode("ascii")) if content.isascii() else None


def _parse_piece(piece: bytes) -> list[Any] | None:
    plain = plain_entries(piece)
    if plain is not None:
        return plain
    try:
        document = yaml.load(piece.decode("utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - libyaml's safe loader
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return None  # the whole file says what is wrong, or that cutting it was not possible
    if not isinstance(document, dict) or not isinstance(document.get(KEY), list) or len(document) != 1:
        return None
    return list(document[KEY])


def _parse_pieces(pieces: list[bytes]) -> list[Any] | None:
    context = multiprocessing.get_context("fork")  # this process is single-threaded: forking is safe
    with context.Pool(len(pieces)) as pool:
        parsed = pool.map(_parse_piece, pieces)
    if any(part is None for part in parsed):
        return None
    return [entry for part in parsed if part is not None for entry in part]


def rows(path: Path, entries: list[Any], shape: RecordShape, organizations: Iterable[str]) -> list[Row]:
    """Every entry checked as the mock checks fixture backups, as rows in the list's order."""
    return _sorted(_part_rows(path, entries, shape, set(organizations), 0))


Found = tuple[str, int, str, Row]  # (organization, -microseconds, sid, row): what the list's order sorts


def _part_rows(path: Path, entries: list[Any], shape: RecordShape, organizations: set[str], first: int) -> list[Found]:
    """The entries of one part of the file (entries[0] is entry `first`), checked, with their sort keys."""
    from mockserver.data.fixtures import check_backups  # the one definition of the checks

    found: list[Found] = []
    for backup in check_backups(path, entries, shape, organizations, first=first):
        if "\t" in backup.organization or "\n" in backup.organization or "\t" in backup.sid or "\n" in backup.sid:
            raise ValueError("a sid with a tab or a line break cannot be kept in rows")
        record = shape.record(backup)
        found.append((backup.organization, -micros_of(backup), backup.sid, (backup.organization, backup.sid, record)))
    return found


def _sorted(found: list[Found]) -> list[Row]:
    """The list's order: organizations as they first appear, each one's newest first, then by sid."""
    order = {organization: position for position, organization in enumerate(dict.fromkeys(
        item[0] for item in found))}
    found.sort(key=lambda item: (order[item[0]], item[1], item[2]))
    return [item[3] for item in found]


# -- checking on every core -------------------------------------------------------------------------
#
# The checks cost more than the JSON parse (a schema check, the conventions, the record's JSON for
# each of 100,000 entries), so the file is cut into parts, one per core, each parsed (a YAML piece)
# and checked by a forked worker; the parts' results are joined in file order. Only what no part can
# see alone is done after: a sid repeated in two parts. The error reported is the one a check of
# the whole file in order would report first: the first entry with a problem, a repeated sid
# included.

_WORK: dict[str, Any] = {}  # what the forked workers inherit: path, shape, organizations, entries
MIN_PARALLEL_ENTRIES = 20_000  # fewer are checked in this process: a worker costs more than it saves


def checked_rows(path: Path, content: bytes, shape: RecordShape, organizations: Iterable[str]) -> list[Row]:
    """The file's entries parsed and checked (on every core when it is large), as rows in the list's
    order; a FixtureError names the first entry with a problem, as a check in order would."""
    known = set(organizations)
    pieces = [] if is_json(path, content) else _pieces(content)
    if len(pieces) > 1:
        parts = _run(known, path, shape, None, pieces)
        if parts is not None:
            return _joined(path, shape, known, parts)
    # cutting was tried above; when there were pieces, each was read plainly first, so the whole
    # file, which one of them failed, is not plain either
    entries = parse(path, content, cut=False, plain=len(pieces) <= 1)
    cores = _cores()
    if cores < 2 or len(entries) < MIN_PARALLEL_ENTRIES:
        return rows(path, entries, shape, known)
    size = math.ceil(len(entries) / cores)
    parts = _run(known, path, shape, entries, [(start, min(start + size, len(entries)))
                                               for start in range(0, len(entries), size)])
    assert parts is not None  # parts of parsed entries always check
    return _joined(path, shape, known, parts)


class Part(NamedTuple):
    """A part's result: how many entries it has; when all pass, their sort keys and rows; otherwise
    the sids before its first problem (they passed) and the entry with that problem; and a
    ValueError's text (a sid rows cannot hold) when the checks passed but rows cannot be written
    (then sids_before holds every sid of the part)."""

    total: int
    found: list[Found]
    sids_before: list[str]
    failing: Any = None
    failed: bool = False
    unwritable: str | None = None


def _run(organizations: set[str], path: Path, shape: RecordShape, entries: list[Any] | None,
         tasks: list[Any]) -> list[Part] | None:
    """Each task (a YAML piece, or a (start, stop) range of `entries`) on a forked worker, the first one
    here; None when a YAML piece cannot be parsed on its own (the whole file is parsed instead)."""
    _WORK.update(path=path, shape=shape, organizations=organizations, entries=entries)
    context = multiprocessing.get_context("fork")  # this process is single-threaded: forking is safe
    try:
        if len(tasks) == 1:
            done = [_check_task(tasks[0])]
        else:  # this process takes the first part: one worker fewer, and one part's rows never pickled
            with context.Pool(len(tasks) - 1) as pool:
                others = pool.map_async(_check_task, tasks[1:])
                done = [_check_task(tasks[0]), *others.get()]
    finally:
        _WORK.clear()
    if any(part is None for part in done):
        return None
    return [part for part in done if part is not None]


def _check_task(task: bytes | tuple[int, int]) -> Part | None:
    """In a worker: one part checked (None: a YAML piece that does not parse on its own). Entry
    numbers are the caller's to give: a YAML piece does not know how many entries came before it."""
    path, shape, organizations = _WORK["path"], _WORK["shape"], _WORK["organizations"]
    if isinstance(task, bytes):
        entries = _parse_piece(task)
        if entries is None:
            return None
    else:
        entries = _WORK["entries"][task[0]:task[1]]
    try:
        return Part(len(entries), _part_rows(path, entries, shape, organizations, 0), [])
    except FixtureError:
        good = _sids_before_problem(path, entries, shape, organizations)
        return Part(len(entries), [], good, entries[len(good)], True)
    except ValueError as exc:
        return Part(len(entries), [], [raw["sid"] for raw in entries], unwritable=str(exc))


def _sids_before_problem(path: Path, entries: list[Any], shape: RecordShape, organizations: set[str]) -> list[str]:
    """The sids of a part's entries before its first problem (the entries that pass every check)."""
    from mockserver.data.fixtures import check_backups

    good: list[str] = []
    seen: set[str] = set()
    for raw in entries:
        try:
            check_backups(path, [raw], shape, organizations)
        except FixtureError:
            break
        if raw["sid"] in seen:  # a repeat inside the part is its first problem
            break
        good.append(raw["sid"])
        seen.add(raw["sid"])
    return good


def _joined(path: Path, shape: RecordShape, organizations: set[str], parts: list[Part]) -> list[Row]:
    """The parts' rows in file order, or the error a check of the whole file in order gives first."""
    from mockserver.data.fixtures import _entry, check_backups

    seen: set[str] = set()
    found: list[Found] = []
    unwritable = None
    first = 0
    for part in parts:
        sids = part.sids_before if part.failed or part.unwritable else [item[2] for item in part.found]
        for offset, sid in enumerate(sids):  # in file order: a sid of an earlier part comes back
            if sid in seen:
                raise FixtureError(one_line(f"{_entry(path, first + offset, {'sid': sid}, 'sid')}: duplicate sid"))
            seen.add(sid)
        if part.failed:
            index = first + len(part.sids_before)
            check_backups(path, [part.failing], shape, organizations, first=index)  # raises its own error
            raise FixtureError(one_line(f"{_entry(path, index, part.failing, 'sid')}: duplicate sid"))
        unwritable = unwritable or part.unwritable
        found.extend(part.found)
        first += part.total
    if unwritable is not None:  # every check passed, as in order: only now is this the answer
        raise ValueError(unwritable)
    return _sorted(found)


def write(path: Path, key: str, found: list[Row]) -> None:
    with open(path, "wb") as out:
        out.write(json.dumps({"format": FORMAT, "key": key, "count": len(found)}).encode() + b"\n")
        for organization, sid, record in found:
            out.write(b"\t".join((organization.encode(), sid.encode(), record)) + b"\n")


def read(path: Path, key: str, shape: RecordShape) -> list[Any] | None:
    """The backups of a rows file written for `key` (decoded lazily), or None if it is not one.

    The file is read as one block and each row cut straight out of it: only the pieces that are
    kept (sid, record) become objects, so reading leaves no garbage behind to hold memory."""
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as blob:
            return _rows(blob, key, shape)
    except (OSError, ValueError):  # missing, empty (mmap refuses), unreadable: not a rows file
        return None


def _rows(blob: mmap.mmap, key: str, shape: RecordShape) -> list[Any] | None:
    """The rows of a mapped file (the mapping goes when the file is read: no memory kept)."""
    header_end = blob.find(b"\n")
    header = json.loads(blob[:header_end]) if header_end > 0 else None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
        return None
    decode = shape.decode
    organizations: dict[bytes, str] = {}
    backups = []
    find = blob.find
    start, end = header_end + 1, len(blob)
    try:
        while start < end:
            first = find(b"\t", start)
            second = find(b"\t", first + 1)
            stop = find(b"\n", second + 1)
            if first < 0 or second < 0 or stop < 0:
                return None
            organization = blob[start:first]
            name = organizations.get(organization)
            if name is None:
                name = organizations[organization] = sys.intern(organization.decode())
            backups.append(Backup(name, blob[first + 1:second].decode(), None, blob[second + 1:stop], decode))
            start = stop + 1
    except UnicodeDecodeError:
        return None
    return backups if len(backups) == header.get("count") else None


def run(shape: RecordShape, backups: Path, organizations: list[str], key: str, out: Path) -> tuple[int, str]:
    """In a child process: parse, check and write one backups file as rows. (0, ""), or (2, the
    FixtureError's one line), or (3, why rows cannot hold these backups)."""
    gc.disable()  # a large file becomes millions of objects, none of them garbage: no collection helps
    try:
        write(out, key, checked_rows(backups, backups.read_bytes(), shape, organizations))
    except FixtureError as exc:
        return 2, str(exc)
    except ValueError as exc:
        return 3, f"not kept as rows: {exc}"
    return 0, ""


def main(argv: list[str] | None = None) -> int:
    """The child process as a new interpreter: `run`, its message on stderr, its code the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mockserver.data.bulk")
    parser.add_argument("spec", type=Path)
    parser.add_argument("backups", type=Path)
    parser.add_argument("organizations")  # a JSON list of the organizations' sids
    parser.add_argument("key")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    from mockserver.data.records import shape_of
    from mockserver.spec.document import Spec

    code, message = run(shape_of(Spec.load(args.spec)), args.backups, json.loads(args.organizations), args.key,
                        args.out)
    if message:
        print(message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

