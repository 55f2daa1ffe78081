"""`--scenarios FILE`: scenario rules in a YAML list, loaded at start and again whenever the file changes.

    - name: server down for the Northwind tenant
      operation: "*"
      organization: 369b0a40x29f50ejotyD
      respond: {code: 503}
    - operation: createBackup
      respond: {delay: 3-8s}

The file is read with `yaml.safe_load` and every rule checked (rules.py). At start a bad file
stops the mock with one line naming the file and the rule; later, a bad edit keeps the rules in
force and prints one such line. The file's rules come first, in its order, before those made
through /__mock/scenarios; `POST /__mock/reset` brings them back with their `times` afresh.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import yaml

from mockserver.exceptions import ScenarioError
from mockserver.frontend.reload import watch_files
from mockserver.frontend.rules import RuleBook, RuleError
from mockserver.text import one_line


class RuleFile:
    def __init__(self, path: Path, book: RuleBook) -> None:
        self.path = Path(path)
        self.book = book

    def read(self) -> list[object]:
        """The file's rules, not yet checked; ScenarioError when it is not a YAML list."""
        try:
            document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ScenarioError(f"{self.path}: cannot read the scenarios file ({exc.strerror or exc})") from None
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ScenarioError(one_line(f"{self.path}: not valid YAML ({exc})")) from None
        if document is None:
            return []
        if not isinstance(document, list):
            raise ScenarioError(f"{self.path}: expected a list of rules, found a {type(document).__name__}")
        return document

    def load(self) -> int:
        """Put the file's rules in force; ScenarioError (one line) when any is wrong. Returns how many."""
        raws = self.read()
        try:
            return len(self.book.file(raws, str(self.path)))
        except RuleError as error:
            raise ScenarioError(one_line(f"{self.path}: {error.detail}")) from None

    def reload(self) -> bool:
        """Load the file again; on an error keep the rules in force and say so in one line."""
        try:
            count = self.load()
        except ScenarioError as exc:
            print(f"backup-mock: scenarios NOT reloaded, the previous rules stay: {exc}", file=sys.stderr, flush=True)
            return False
        print(f"backup-mock: scenarios reloaded from {self.path}: {count} rule(s)", flush=True)
        return True

    async def watch(self, stop: asyncio.Event) -> None:
        async def changed() -> None:
            self.reload()

        await watch_files(self.path.parent, (self.path.name,), changed, stop, "scenarios")
