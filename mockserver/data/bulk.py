"""Large backup files: parsed, checked and packed as sorted rows, on every core, outside the mock.

A backups file of 100,000 entries is 25 MB of YAML. Parsed by the mock itself it would cost
seconds and leave a few hundred MB of freed objects the process keeps (Python rarely returns
memory to the system). So the mock runs `run` in a child process (forked at start-up, or `python
-m mockserver.data.bulk` while it serves: fixtures.py): it parses the file, checks every
entry exactly as the mock would, and writes the result as rows the mock reads in a few hundredths
of a second:

    {"format": 3, "key": "...", "count": N, "bytes": B, "crc32": C}   first line
    marshal of ([organization, ...], [sid, ...], [packed values, ...])   B bytes, one row per
                                                 backup, each organization's newest first (the list's order)

Each backup's values are packed by RecordShape.pack and unpacked when it is first served: marshal
is the standard library's fastest format for such plain values. It is not meant for data from
anyone else, and reads none: the file is the mock's own, written whole and renamed into a
directory only its user can write (fixture_cache.py refuses to read any other), and checked by
length and CRC before it is read.

A JSON file (`backups.json`, or a `backups.yaml` that is JSON: JSON is YAML) is cut between the
entries of its `backups` list into one part per core, and each part is parsed with the JSON
parser and checked by a forked worker. Block-style YAML is cut at its top-level list items in
the same way and each piece is parsed by plainyaml.py when it is written in the plain
one-`key: value`-a-line style large files use (three times as fast as libyaml through PyYAML),
otherwise by libyaml's safe loader. A file that cannot be cut safely (a JSON document with other
keys, YAML in flow style, with directives, several documents, an alias of an anchor in another
piece) is parsed whole, so the result is always what `json.loads` or `yaml.safe_load` gives.
No library splits a JSON or YAML stream for parallel parsing, hence this code.
"""

from __future__ import annotations

import argparse
import gc
import json
import marshal
import multiprocessing
import os
import re
import sys
import zlib
from collections.abc import Iterable
from itertools import chain, groupby, pairwise, repeat
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from mockserver.data import plainyaml
from mockserver.data.models import Backup, negated_micros
from mockserver.data.records import RecordShape
from mockserver.exceptions import FixtureError
from mockserver.spec.model import IDENTITY, ORDER
from mockserver.text import one_line

FORMAT = 3
KEY = "backups"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ITEM = re.compile(rb"^( *)- ", re.M)
MIN_PIECE_BYTES = 2 * 1024 * 1024  # smaller files are parsed in one piece


class Rows(NamedTuple):
    """Backups in the list's order, as three columns: what a rows file holds."""

    organizations: list[str]
    sids: list[str]
    records: list[bytes]  # packed values (RecordShape.pack)


Item = tuple[str, int, str, bytes]  # (organization, -microseconds, sid, packed values): sorted, the list's order
Grouped = dict[str, list[Item]]  # a part's items by organization (in the order they first appear), each sorted


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


LEAD = 1.12  # the first part's share of the work, over an even share: see _cuts


def _cuts(size: int, parts: int, lead: bool) -> list[int]:
    """Where each part after the first should begin, in `size` units of work, for `parts` parts.
    `lead`: the first part is checked in the process that cuts the file (_run), which starts at
    once and sends nothing back, while a forked worker finishes 0.1 to 0.2 s later on an even share
    (measured on two cores): so the first part takes LEAD times an even share and the others
    share the rest (two cores: 56 % and 44 %, 0.07 s sooner)."""
    first = min(size, round(size * LEAD / parts)) if lead else size // parts
    return [first + (size - first) * part // (parts - 1) for part in range(parts - 1)] if parts > 1 else []


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


def _pieces(content: bytes, lead: bool = False) -> list[bytes]:
    """The file cut at its top-level list items into one YAML document per core, or [] when it
    is not a plain block-style `backups:` list that can be cut without changing its meaning.
    `lead`: the first piece is the larger (_cuts)."""
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
    for target in _cuts(len(body), cores, lead):
        at = body.find(item, max(cuts[-1], target - 1))
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


def rows(path: Path, entries: list[Any], shape: RecordShape, organizations: Iterable[str]) -> Rows:
    """Every entry checked as the mock checks fixture backups, as rows in the list's order."""
    return _merged([_grouped(path, entries, shape, set(organizations), 0)[1]])


def _grouped(path: Path, entries: list[Any], shape: RecordShape, organizations: set[str],
             first: int) -> tuple[list[str], Grouped]:
    """The entries of one part of the file (entries[0] is entry `first`) checked: their sids, in file
    order, and their items by organization, each organization's in the list's order. A date_created the
    sort cannot read is a ValueError (not kept as rows: the mock says what it is). Checked all at once
    when they all pass (all_pass), one by one otherwise (the first problem, in order), then packed and
    sorted in C loops."""
    from mockserver.data.fixtures import all_pass, checked_entries  # the one definition of the checks

    if not all_pass(entries, shape, organizations):
        entries = list(checked_entries(path, entries, shape, organizations, first=first))
    owners = list(map(sys.intern, map(itemgetter("organization"), entries)))  # one object each: marshal writes it once
    sids = list(map(itemgetter(IDENTITY), entries))
    dates = list(map(methodcaller("get", ORDER), entries))
    # sids are distinct: packed values are never compared
    items = sorted(zip(owners, negated_micros(dates), sids, shape.pack_all(entries), strict=True))
    runs = {organization: list(run) for organization, run in groupby(items, itemgetter(0))}
    return sids, {organization: runs[organization] for organization in dict.fromkeys(owners)}


def _merged(parts: list[Grouped]) -> Rows:
    """The parts' items as rows: organizations in the order they first appear in the file, each one's
    backups newest first, then by sid. An organization in several parts has a sorted run from each:
    sorting their concatenation merges them (timsort finds the runs), in C."""
    rows = Rows([], [], [])
    for organization in dict.fromkeys(organization for grouped in parts for organization in grouped):
        runs = [grouped[organization] for grouped in parts if organization in grouped]
        items = runs[0] if len(runs) == 1 else sorted(chain.from_iterable(runs))
        rows.organizations.extend(repeat(organization, len(items)))
        rows.sids.extend(map(itemgetter(2), items))
        rows.records.extend(map(itemgetter(3), items))
    return rows


# -- checking on every core -------------------------------------------------------------------------
#
# The checks cost more than the parse (a schema check, the conventions and the packing of each of
# 100,000 entries), so the file is cut into parts, one per core, each parsed (a JSON part or a YAML
# piece) and checked by a forked worker; the parts' results are joined in file order. Only what no
# part can see alone is done after: a sid repeated in two parts. The error reported is the one a
# check of the whole file in order would report first: the first entry with a problem, a repeated
# sid included.

_WORK: dict[str, Any] = {}  # what the forked workers inherit: path, shape, organizations, content, entries
MIN_PARALLEL_ENTRIES = 20_000  # fewer are checked in this process: a worker costs more than it saves


class JsonPart(NamedTuple):
    """Entries of a JSON file's `backups` list: the bytes from `start` to `stop` are one or more of
    them, with the commas between (json_parts)."""

    start: int
    stop: int


_JSON_SPACE = b" \t\n\r"
_JSON_HEAD = re.compile(rb'[ \t\n\r]*\{[ \t\n\r]*"backups"[ \t\n\r]*:[ \t\n\r]*\[')
_JSON_GAP = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")  # between two objects of a list, or so it seems


def json_parts(content: bytes, lead: bool = False) -> list[JsonPart]:
    """A JSON file of the form `{"backups": [...]}` cut between the entries of its list into one
    part per core, or [] (small, or any other form: parsed whole).

    A cut is made only between a `}` and a `{` with one comma between them, where an entry ends and
    the next begins. Where that is not so (the cut fell inside a string, or inside an entry), the part
    before it does not parse as a list of its own: its last string, or its last entry, is left
    open. So when every part parses, every cut was between two entries of the list, and the parts'
    entries are the list's, in order (the first part begins where the list does). `lead`: the first
    part is the larger (_cuts)."""
    cores = _cores()
    if cores < 2 or len(content) < MIN_PIECE_BYTES:
        return []
    head = _JSON_HEAD.match(content)
    if head is None:
        return []
    end = len(content)
    for closing in (b"}", b"]"):  # the document ends with the list: `]`, `}`, and space
        while end and content[end - 1] in _JSON_SPACE:
            end -= 1
        if content[end - 1:end] != closing:
            return []
        end -= 1
    starts, stops = [head.end()], []
    for target in _cuts(end - head.end(), cores, lead):
        gap = _JSON_GAP.search(content, max(starts[-1] + 1, head.end() + target), end)
        if gap is None:
            break
        stops.append(gap.start() + 1)
        starts.append(gap.end() - 1)
    stops.append(end)
    return [JsonPart(start, stop) for start, stop in zip(starts, stops, strict=True)]


def _json_entries(content: bytes, part: JsonPart) -> list[Any] | None:
    """A JSON part's entries (json_parts), or None when it does not parse as a list on its own."""
    try:
        entries: list[Any] = json.loads(b"[" + content[part.start:part.stop] + b"]")  # brackets: a list
    except (ValueError, RecursionError):  # not JSON alone (UnicodeDecodeError is a ValueError too)
        return None
    return entries


def checked_rows(path: Path, content: bytes, shape: RecordShape, organizations: Iterable[str]) -> Rows:
    """The file's entries parsed and checked (on every core when it is large), as rows in the list's
    order; a FixtureError names the first entry with a problem, as a check in order would."""
    known = set(organizations)
    pieces: list[Any] = json_parts(content, lead=True) if is_json(path, content) else _pieces(content, lead=True)
    if len(pieces) > 1:
        parts = _run(known, path, shape, content, None, pieces)
        if parts is not None:
            return _joined(path, shape, known, parts)
    # cutting was tried above; when there were YAML pieces, each was read plainly first, so the whole
    # file, which one of them failed, is not plain either
    entries = parse(path, content, cut=False, plain=len(pieces) <= 1)
    cores = _cores()
    if cores < 2 or len(entries) < MIN_PARALLEL_ENTRIES:
        return rows(path, entries, shape, known)
    bounds = [0, *_cuts(len(entries), cores, lead=True), len(entries)]
    parts = _run(known, path, shape, content, entries,
                 [range(start, stop) for start, stop in pairwise(bounds) if stop > start])
    assert parts is not None  # parts of parsed entries always check
    return _joined(path, shape, known, parts)


class Part(NamedTuple):
    """A part's result: how many entries it has; the sids of those that pass every check, in file
    order (all of them, unless one failed); when all pass, their items (`grouped`), or `failing`, the
    first entry with a problem; and a ValueError's text (a date the sort cannot read) when the checks
    passed but rows cannot be written. A worker sends sids and items marshalled, in `sent`: one bytes
    object to pickle, not 50,000 tuples."""

    total: int
    sids: list[str]
    grouped: Grouped | None = None
    failing: Any = None
    failed: bool = False
    unwritable: str | None = None
    sent: bytes = b""


def _run(organizations: set[str], path: Path, shape: RecordShape, content: bytes, entries: list[Any] | None,
         tasks: list[Any]) -> list[Part] | None:
    """Each task (a JSON part, a YAML piece, or a range of `entries`) on a forked worker, the first one
    here; None when a part or piece cannot be parsed on its own (the whole file is parsed instead)."""
    _WORK.update(path=path, shape=shape, organizations=organizations, content=content, entries=entries)
    context = multiprocessing.get_context("fork")  # this process is single-threaded: forking is safe
    try:
        if len(tasks) == 1:
            done = [_check_task(tasks[0])]
        else:  # this process takes the first part: one worker fewer, and one part's items never sent
            with context.Pool(len(tasks) - 1) as pool:
                others = pool.map_async(_sent_task, tasks[1:])
                done = [_check_task(tasks[0]), *others.get()]
    finally:
        _WORK.clear()
    if any(part is None for part in done):
        return None
    return [_received(part) for part in done if part is not None]


def _sent_task(task: JsonPart | bytes | range) -> Part | None:
    """_check_task in a worker, its sids and items marshalled for the way back (_received)."""
    part = _check_task(task)
    if part is None:
        return None
    return part._replace(sids=[], grouped=None, sent=marshal.dumps((part.sids, part.grouped)))


def _received(part: Part) -> Part:
    if not part.sent:
        return part
    sids, grouped = marshal.loads(part.sent)
    return part._replace(sids=sids, grouped=grouped, sent=b"")


def _check_task(task: JsonPart | bytes | range) -> Part | None:
    """In a worker: one part checked (None: a JSON part or YAML piece that does not parse on its own).
    Entry numbers are the caller's to give: a part does not know how many entries came before it."""
    path, shape, organizations = _WORK["path"], _WORK["shape"], _WORK["organizations"]
    entries: list[Any] | None
    if isinstance(task, JsonPart):
        entries = _json_entries(_WORK["content"], task)
    elif isinstance(task, bytes):
        entries = _parse_piece(task)
    else:
        entries = _WORK["entries"][task.start:task.stop]
    if entries is None:
        return None
    try:
        sids, grouped = _grouped(path, entries, shape, organizations, 0)
        return Part(len(entries), sids, grouped)
    except FixtureError:
        good = _sids_before_problem(path, entries, shape, organizations)
        return Part(len(entries), good, failing=entries[len(good)], failed=True)
    except ValueError as exc:
        return Part(len(entries), [raw["sid"] for raw in entries], unwritable=str(exc))


def _sids_before_problem(path: Path, entries: list[Any], shape: RecordShape, organizations: set[str]) -> list[str]:
    """The sids of a part's entries before its first problem (the entries that pass every check)."""
    from mockserver.data.fixtures import checked_entries

    good: list[str] = []
    try:
        for raw in checked_entries(path, entries, shape, organizations):  # a repeat inside the part included
            good.append(raw["sid"])
    except FixtureError:
        pass
    return good


def _joined(path: Path, shape: RecordShape, organizations: set[str], parts: list[Part]) -> Rows:
    """The parts' rows in file order, or the error a check of the whole file in order gives first."""
    from mockserver.data.fixtures import _entry, check_backups

    seen: set[str] = set()
    unwritable = None
    first = 0
    for part in parts:
        if not seen.isdisjoint(part.sids):  # a sid of an earlier part comes back: the first one, in file order
            offset, sid = next((offset, sid) for offset, sid in enumerate(part.sids) if sid in seen)
            raise FixtureError(one_line(f"{_entry(path, first + offset, {'sid': sid}, 'sid')}: duplicate sid"))
        seen.update(part.sids)
        if part.failed:
            index = first + len(part.sids)
            check_backups(path, [part.failing], shape, organizations, first=index)  # raises its own error
            raise FixtureError(one_line(f"{_entry(path, index, part.failing, 'sid')}: duplicate sid"))
        unwritable = unwritable or part.unwritable
        first += part.total
    if unwritable is not None:  # every check passed, as in order: only now is this the answer
        raise ValueError(unwritable)
    return _merged([part.grouped for part in parts if part.grouped is not None])


def write(path: Path, key: str, rows: Rows) -> None:
    body = marshal.dumps(tuple(rows))
    header = {"format": FORMAT, "key": key, "count": len(rows.sids), "bytes": len(body), "crc32": zlib.crc32(body)}
    with open(path, "wb") as out:
        out.write(json.dumps(header).encode() + b"\n")
        out.write(body)


def read(path: Path, key: str, shape: RecordShape) -> list[Backup] | None:
    """The backups of a rows file written for `key` (unpacked lazily), or None if it is not one
    (missing, damaged, written for another key or by another format)."""
    try:
        with open(path, "rb") as handle:
            header = json.loads(handle.readline(1024))
            if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
                return None
            body = handle.read()
        if len(body) != header.get("bytes") or zlib.crc32(body) != header.get("crc32"):
            return None
        columns = marshal.loads(body)
    except (OSError, ValueError, EOFError, TypeError):  # unreadable, or not JSON or marshal at all
        return None
    del body  # a large block: freed (and given back to the system) before the backups are made
    if not (type(columns) is tuple and len(columns) == 3 and all(type(column) is list for column in columns)):
        return None
    organizations, sids, records = columns
    if not len(organizations) == len(sids) == len(records) == header.get("count") \
            or not {*map(type, organizations), *map(type, sids)} <= {str} or not set(map(type, records)) <= {bytes}:
        return None
    return list(map(Backup, organizations, sids, repeat(None), records, repeat(shape.decode)))


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

