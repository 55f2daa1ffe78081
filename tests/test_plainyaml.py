"""The plain-YAML reader of large backup files: whatever it accepts is what `yaml.safe_load` gives.

Documents are generated from the language the reader knows and from its near misses (indents
off by one, keys YAML types, values with `: `, ` #`, quotes, escapes, tabs, YAML 1.1 scalars):
the reader must give libyaml's entries, to the type, or decline. The cases below pin down that
it accepts what large files hold, so the property is not met by declining everything.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.data import bulk, plainyaml
from mockserver.resources import project_path

LIBYAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _typed(value: Any) -> Any:
    """A value with its types spelled out: True is not 1, 1.0 is not 1, and NaN equals NaN."""
    if isinstance(value, dict):
        return ("dict", [(_typed(key), _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, value)


def _libyaml(text: str) -> Any:
    """libyaml's entries under `backups:`, or the exception it raises."""
    try:
        document = yaml.load(text, Loader=LIBYAML)  # noqa: S506 - libyaml's safe loader
    except yaml.YAMLError as exc:
        return exc
    return document


# scalars the language has (each typed by the safe loader), and near misses it must decline or get right
GOOD_WORDS = ["yes", "No", "on", "OFF", "true", "False", "null", "Null", "~", "1:20", "0x1f", "0o17", "1_000", "+12",
              "-3", ".5", "-.inf", ".NaN", "1e3", "1.5e3", "2016-01-04", "2016-01-04T04:09:33.459109Z",
              "2016-01-04 04:09:33", "10.0 MB", "-x", "a:b", "a#b", "it's", 'say "hi"', "back\\slash", "(draft)",
              "/path", "_x", "x" * 120, "a, b", "a  b", "a[b]{c}!&*|>%@`"]
BAD_WORDS = ["<<", "=", "", "-", "- x", "--x", "a: b", "a:", "a #b", "[a]", "{a}", "!tag", "&anchor", "*alias",
             "|", ">", "%x", "@x", "`x", "?x", "tab\there", "caf\u00e9"]
GOOD_TEXT = st.from_regex(r"[A-Za-z0-9_(][ -~]{0,10}", fullmatch=True).filter(
    lambda text: ": " not in text and "#" not in text and not text.endswith((" ", ":")))
QUOTABLE = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="\"'\\"),
                   max_size=12)
GOOD_KEYS = st.one_of(st.sampled_from(["organization", "sid", "name", "y", "n", "_x", "a1", "x" * 99]),
                      st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True))
BAD_KEYS = st.sampled_from(["on", "yes", "No", "null", "true", "Off", "key-dash", "x" * 120, "1", "~", "<<"])
FILLER = st.sampled_from(["", "   ", "# a comment", "  # indented comment"])
BAD_FILLER = st.sampled_from(["\t", "...", "---", "other: 1", "- x", "  -"])


@st.composite
def scalars(draw: st.DrawFn, near_miss: bool) -> str:
    style = draw(st.sampled_from(["plain", "plain", "double", "single"]))
    if style == "plain":
        text = draw(st.one_of(st.sampled_from(GOOD_WORDS), GOOD_TEXT, *([st.sampled_from(BAD_WORDS)] * near_miss)))
    else:
        text = draw(st.one_of(QUOTABLE, *([st.sampled_from(GOOD_WORDS + BAD_WORDS)] * near_miss)))
    written: str = {"plain": text, "double": f'"{text}"', "single": f"'{text}'"}[style]
    return written + (draw(st.sampled_from(["", "", "", " ", " # note"])) if near_miss else "")


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A document of the reader's language; one time in two, with near misses in it too."""
    near_miss = draw(st.booleans())
    keys = st.one_of(GOOD_KEYS, BAD_KEYS) if near_miss else GOOD_KEYS
    fillers = st.one_of(FILLER, BAD_FILLER) if near_miss else FILLER
    offsets = st.sampled_from([0, 0, 0, 0, 1, -1, 2, -2] if near_miss else [0])
    lines = draw(st.lists(st.sampled_from(["", "# generated", "  # note"]), max_size=2))
    heads = ["backups:", "backups:", "backups: # the list", "backups:  "] + (["backups: []", "backups"] * near_miss)
    lines.append(draw(st.sampled_from(heads)))
    indent = draw(st.sampled_from([0, 2, 2, 4]))
    for _ in range(draw(st.integers(1, 4))):
        lines.append(" " * max(0, indent + draw(offsets)) + f"- {draw(keys)}: {draw(scalars(near_miss))}")
        for _ in range(draw(st.integers(0, 4))):
            if draw(st.integers(0, 5)) == 0:
                lines.append(draw(fillers))
            lines.append(" " * max(0, indent + 2 + draw(offsets)) + f"{draw(keys)}: {draw(scalars(near_miss))}")
    lines.extend(draw(st.lists(fillers, max_size=2)))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_whatever_the_reader_accepts_is_what_libyaml_gives(text: str) -> None:
    read = plainyaml.parse(text)
    if read is None:
        return  # declined: libyaml reads it, as before
    document = _libyaml(text)
    assert not isinstance(document, Exception), f"libyaml refuses what the reader accepted: {document}"
    assert isinstance(document, dict) and list(document) == ["backups"]
    assert _typed(read) == _typed(document["backups"])


BENCH_STYLE = """\
# Generated: do not edit.
backups:
  - organization: ehkn0a40x1glqvAFKP
    sid: qh520a40xEPyYngFb51
    name: "20160104040905.gz"
    description: Data backup on 20160104040905
    database_size: 10.0 MB
    date_created: "2016-01-04T04:09:33.459109Z"
    change_permission: false

  # the next one
  - organization: ehkn0a40x1glqvAFKP
    sid: 2rog0a40x5ubbbPIa84
    name: '20160104050146.gz'
    description: ''
    database_size: 1:20
    date_created: 2016-01-04
    change_permission: ~
    count: 0x1f
    ratio: .5
    note: it's (a) /path, with [brackets] and a:colon
# the end
"""


def test_it_reads_what_large_files_hold_with_the_safe_loaders_types() -> None:
    read = plainyaml.parse(BENCH_STYLE)
    assert read is not None
    assert _typed(read) == _typed(yaml.load(BENCH_STYLE, Loader=LIBYAML)["backups"])  # noqa: S506
    second = read[1]
    assert second["database_size"] == 80 and second["date_created"] == datetime.date(2016, 1, 4)
    assert second["change_permission"] is None and second["count"] == 31 and second["ratio"] == 0.5
    assert second["description"] == "" and read[0]["change_permission"] is False


@pytest.mark.parametrize("path", [project_path("fixtures") / "backups.yaml"])
def test_it_reads_the_built_in_fixtures_and_what_pyyaml_writes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert plainyaml.parse(text) == yaml.load(text, Loader=LIBYAML)["backups"]  # noqa: S506
    dumped = yaml.dump(yaml.load(text, Loader=LIBYAML), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),  # noqa: S506
                       sort_keys=False)
    assert plainyaml.parse(dumped) == yaml.load(text, Loader=LIBYAML)["backups"]  # noqa: S506


@pytest.mark.parametrize("line", [
    "    on: x",  # a key YAML makes a boolean
    "    note: a: b",  # a nested mapping, or an error
    "    note: a # b",  # a comment after a value
    "    note: \"a\\tb\"",  # an escape
    "    note: 'it''s'",  # a quote in single quotes
    "    note: caf\u00e9",  # beyond ASCII
    "    note:\tx",  # a tab
    "    note: |",  # a block scalar
    "    note: &a x",  # an anchor
    "    note: [a, b]",  # flow style
    "      note: x",  # indented deeper: a continuation, or an error
    "   note: x",  # less indented
    "    note:",  # an empty value
    "    note: x ",  # a trailing space
    "...",  # the end of the document
])
def test_anything_else_is_left_to_libyaml(line: str) -> None:
    text = BENCH_STYLE.replace("# the end\n", line + "\n")
    assert plainyaml.parse(text) is None


def test_a_plain_file_is_parsed_without_libyaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "backups.yaml"
    path.write_text(BENCH_STYLE)
    expected = yaml.load(BENCH_STYLE, Loader=LIBYAML)["backups"]  # noqa: S506

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("libyaml was used for a plain file")

    monkeypatch.setattr(yaml, "load", refuse)
    assert _typed(bulk.parse(path, BENCH_STYLE.encode())) == _typed(expected)
    assert _typed(bulk._parse_piece(BENCH_STYLE.encode())) == _typed(expected)
