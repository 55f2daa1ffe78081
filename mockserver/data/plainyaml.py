"""The plain block-style YAML of large backup files, read without building YAML nodes.

A backups file is a `backups:` list of flat mappings, one `key: value` per line. Read through
PyYAML (libyaml's parser, PyYAML's composer and constructor), each of 100,000 entries costs
about 50 µs: 5 seconds for the file, nearly all of it nodes and events made and walked in
Python for what is, line by line, a regular language. This module reads exactly that language
with one regular expression and gives the same entries, or None for anything else, which is
then read by libyaml as before: so what it accepts is what `yaml.safe_load` gives, and what it
refuses costs one failed match. The faster YAML libraries on PyPI (rapidyaml, ryaml,
py-yaml12) implement YAML 1.2, where the fixtures have always been YAML 1.1 as PyYAML reads
it (`yes`, `on`, `1:20`, dates and `.5` differ): none gives `safe_load`'s values.

The language, after comment lines and blank lines before `backups:` (a line at column 0):

    - KEY: VALUE        the first key of an entry, the dash at one indentation for all entries
      KEY: VALUE        each further key, two columns further in

KEY is a word (`[A-Za-z_][A-Za-z0-9_]*`); VALUE is a double-quoted scalar without escapes, a
single-quoted one without quotes inside, or a one-line plain scalar that starts with a letter,
a digit or one of `_./+~(`, or `-` and a letter, digit or dot, and holds no `#`, no `: `, no
trailing colon or space. Blank and comment lines may come between lines. The whole file must be
printable ASCII (no tab, no carriage return, no byte-order mark). Each plain scalar is typed
by the safe loader's own resolver and constructor (`true`, `10`, `~`, `2016-01-04`), a key
too; a key that is not a string sends the file to libyaml.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import ScalarNode

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e\n]")
_HEAD = re.compile(r"\A(?: *(?:#[^\n]*)?\n)*backups:(?: +(?:#[^\n]*)?)?(?:\n|\Z)")
_PLAIN = r"(?:[A-Za-z0-9_./+~(]|-(?=[A-Za-z0-9.]))[^#:\n]*(?::(?=[^ \n])[^#:\n]*)*(?<![ :])"
# A line of an entry after any comment and blank lines: its indentation, the dash of a new
# entry, the key, and the value "double", 'single' or plain. Any other line is the last group.
_LINE = re.compile(
    r"(?: *(?:#[^\n]*)?\n)*"
    r"(?:( *)(- )?([A-Za-z_][A-Za-z0-9_]{0,99}): (?:\"([^\"\\\n]*)\"|'([^'\n]*)'|(" + _PLAIN + r"))(?:\n|\Z)"
    r"|([^\n]+))"
)
_COMMENT = re.compile(r" *(?:#[^\n]*)?")  # a comment or blank line


class _Typing:
    """The safe loader's typing of plain scalars (keys and values), remembered per text: sizes,
    booleans and keys repeat in every entry."""

    def __init__(self) -> None:
        self._loader = _SAFE_LOADER("")
        self.first = frozenset(self._loader.yaml_implicit_resolvers)  # what a text that is not a string starts with
        self.known: dict[str, Any] = {}

    def value(self, text: str) -> Any:
        known = self.known
        loader = self._loader
        tag = loader.resolve(ScalarNode, text, (True, False))
        value = text if tag == _STR else loader.yaml_constructors[tag](loader, ScalarNode(tag, text))
        if len(known) < 65_536:
            known[text] = value
        return value

    def __del__(self) -> None:
        self._loader.dispose()


def parse(text: str) -> list[dict[str, Any]] | None:
    """The entries of `backups:` as `yaml.safe_load` gives them, or None: not this plain language."""
    if not text.isascii() or _NOT_PLAIN_ASCII.search(text):
        return None
    head = _HEAD.match(text)
    if head is None:
        return None
    typing = _Typing()
    first, known, value = typing.first, typing.known, typing.value
    entries: list[dict[str, Any]] = []
    entry: dict[str, Any] = {}
    dash_at = keys_at = None  # the indentation of the dashes, and of the keys after the first
    for spaces, dash, key, double, single, plain, other in _LINE.findall(text, head.end()):
        if other:
            if _COMMENT.fullmatch(other):  # only comment lines after the last entry end up here
                continue
            return None
        if dash:
            if spaces != dash_at:
                if dash_at is not None:
                    return None
                dash_at, keys_at = spaces, spaces + "  "
            entry = {}
            entries.append(entry)
        elif spaces != keys_at:
            return None
        if key[0] in first:
            key = known[key] if key in known else value(key)
            if type(key) is not str:
                return None  # a key such as `on` or `null`: what libyaml makes of it is the answer
        if double or single:
            entry[key] = double or single
        elif plain:
            entry[key] = plain if plain[0] not in first else known[plain] if plain in known else value(plain)
        else:
            entry[key] = ""  # "" or ''
    return entries or None
