"""Scenario rules: answers that stay, without a header on every request (`/__mock/scenarios`, `--scenarios`).

A rule names an operation (an operationId, or `*` for every one), may narrow it to an
organization, a fixture user or query values, and says what to answer with the choices of
choices.py:

    {"operation": "createBackup", "respond": {"code": 503}, "times": 2}
    {"operation": "listBackups", "organization": "ehkn0a40x1glqvAFKP", "respond": {"delay": "2-4s"}}
    {"operation": "*", "respond": {"fault": "reset"}, "probability": 0.3, "name": "flaky network"}

Rules are checked in order and the first that matches answers. With `times` a rule expires after
that many answers; with `probability` it answers only that share of the requests it matches (the
others go on to the next rules: chaos). A `*` rule with a code or an example answers only the
operations that document it. A request's own choices (Prefer, `__` parameters) win over the
rule's, choice by choice. Rules are checked when they are made, so a rule in force always has an
answer; what is wrong with one is a RuleError that says why (answered 400, or printed for a file).
The fields the mock adds (`id`, `remaining`, `answered`, `source`) are ignored on input, so a
listed rule can be posted or filed again.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from mockserver.api.examples import Answers
from mockserver.data.fixtures import FixtureSet
from mockserver.frontend.choices import ChoiceError, Choices, forced, read_choices
from mockserver.spec.model import BACKUP, ORGANIZATION, ApiModel

ANY = "*"
FIELDS = ("name", "operation", "organization", "user", "query", "respond", "times", "probability")
OUTPUT_ONLY = ("id", "remaining", "answered", "source")
RESPOND = ("code", "example", "dynamic", "delay", "fault")
MAX_RULES = 1000
MAX_NAME = 200
API = "api"  # the source of rules made through /__mock/scenarios


class RuleError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Facts(Protocol):
    """What a rule may narrow by, worked out only when a rule asks."""

    def organization(self) -> str | None: ...
    def user(self) -> str | None: ...
    def query(self) -> Mapping[str, list[str]]: ...


@dataclass
class Rule:
    id: str
    operation: str
    respond: Choices
    operations: frozenset[str]  # the operations it answers (all of them, or one, for `*` those documenting it)
    name: str | None = None
    organization: str | None = None
    user: str | None = None
    query: tuple[tuple[str, str], ...] = ()
    times: int | None = None
    probability: float | None = None
    source: str = API
    remaining: int | None = None
    answered: int = field(default=0)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            body["name"] = self.name
        body["operation"] = self.operation
        for key in ("organization", "user"):
            if getattr(self, key) is not None:
                body[key] = getattr(self, key)
        if self.query:
            body["query"] = dict(self.query)
        body["respond"] = self.respond.as_json()
        if self.times is not None:
            body["times"] = self.times
        if self.probability is not None:
            body["probability"] = self.probability
        body.update(remaining=self.remaining, answered=self.answered, source=self.source)
        return body


class RuleBook:
    """The rules in force, in order; `reset` brings back those of the --scenarios file, afresh."""

    def __init__(self, model: ApiModel, answers: Callable[[], Answers], fixtures: Callable[[], FixtureSet],
                 rng: random.Random | None = None) -> None:
        self.model = model
        self.answers = answers
        self.fixtures = fixtures
        self.rng = rng or random.Random()
        self.rules: list[Rule] = []
        self._filed: list[Rule] = []  # the --scenarios file's rules as loaded
        self._ids = itertools.count(1)

    # -- changes --------------------------------------------------------------------------------

    def add(self, raw: object) -> Rule:
        if len(self.rules) >= MAX_RULES:
            raise RuleError(f"At most {MAX_RULES} rules are kept; delete some first.")
        rule = self._numbered(self.parse(raw))
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> Rule | None:
        for rule in self.rules:
            if rule.id == rule_id:
                self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> int:
        count = len(self.rules)
        self.rules = []
        return count

    def reset(self) -> int:
        """The file's rules only, their counts afresh (POST /__mock/reset); how many."""
        self.rules = [replace(rule, remaining=rule.times, answered=0) for rule in self._filed]
        return len(self.rules)

    def file(self, raws: Iterable[object], source: str) -> list[Rule]:
        """Replace the file's rules with these (all valid, or RuleError naming the first bad one);
        rules made through the API stay, after them."""
        parsed = []
        for index, raw in enumerate(raws, start=1):
            try:
                parsed.append(self._numbered(self.parse(raw, source)))
            except RuleError as error:
                raise RuleError(f"rule {index}: {error.detail}") from None
        self._filed = parsed
        self.rules = [*parsed, *(rule for rule in self.rules if rule.source == API)]
        return parsed

    # -- answering ------------------------------------------------------------------------------

    def match(self, operation_id: str, facts: Facts) -> Rule | None:
        """The first rule that answers this request (counted, and removed once it has no times left)."""
        for rule in self.rules:
            if operation_id not in rule.operations:
                continue
            if rule.organization is not None and facts.organization() != rule.organization:
                continue
            if rule.user is not None and facts.user() != rule.user:
                continue
            if rule.query:
                values = facts.query()
                if not all(value in values.get(name, ()) for name, value in rule.query):
                    continue
            if rule.probability is not None and self.rng.random() >= rule.probability:
                continue
            rule.answered += 1
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
            return rule
        return None

    # -- checking -------------------------------------------------------------------------------

    def parse(self, raw: object, source: str = API) -> Rule:
        """A checked rule from its JSON (or YAML) form, not yet numbered nor in force."""
        if not isinstance(raw, Mapping):
            raise RuleError('A rule is a JSON object, e.g. {"operation": "createBackup", "respond": {"code": 503}}.')
        unknown = [str(key) for key in raw if key not in FIELDS + OUTPUT_ONLY]
        if unknown:
            raise RuleError(f"unknown field {unknown[0]!r}; a rule has {', '.join(FIELDS)}.")
        operation = raw.get("operation")
        operations = self.model.operations
        if operation != ANY and operation not in operations:
            raise RuleError(f"operation: {operation!r} is not an operationId of the spec "
                            f"({', '.join(operations)}) nor {ANY!r} for all of them.")
        assert isinstance(operation, str)
        respond = self._respond(raw.get("respond"))
        answered = self._answering(operation, respond)
        name = raw.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            raise RuleError(f"name must be a text of at most {MAX_NAME} characters.")
        organization = self._organization(raw.get("organization"), operation)
        user, query = self._user(raw.get("user")), self._query(raw.get("query"))
        times, probability = _times(raw.get("times")), _probability(raw.get("probability"))
        return Rule("", operation, respond, answered, name, organization, user, query, times, probability, source,
                    remaining=times)

    def _numbered(self, rule: Rule) -> Rule:
        """Ids count up for the whole run, so the journal's mentions of a rule stay unambiguous."""
        rule.id = str(next(self._ids))
        return rule

    def _respond(self, raw: object) -> Choices:
        if not isinstance(raw, Mapping) or not raw:
            raise RuleError('respond must say what to answer: {"code": 503}, {"example": "wrongId"}, '
                            '{"fault": "reset"}, {"delay": "2s"} or {"dynamic": true}.')
        unknown = [str(key) for key in raw if key not in RESPOND]
        if unknown:
            raise RuleError(f"respond: unknown choice {unknown[0]!r}; the choices are {', '.join(RESPOND)}.")
        try:
            return read_choices(raw, "respond: ", cut_delays=False)
        except ChoiceError as error:
            raise RuleError(error.detail) from None

    def _answering(self, operation: str, respond: Choices) -> frozenset[str]:
        """The operations the rule can answer; RuleError if none."""
        answers = self.answers()
        candidates = list(self.model.operations) if operation == ANY else [operation]
        found, first_error = [], ""
        for candidate in candidates:
            try:
                forced(answers, candidate, respond, "respond: ")
            except ChoiceError as error:
                first_error = first_error or error.detail
                continue
            found.append(candidate)
        if not found:
            raise RuleError(first_error if operation != ANY else
                            f"{first_error} No operation documents it, so the rule could never answer.")
        return frozenset(found)

    def _organization(self, value: object, operation: str) -> str | None:
        if value is None:
            return None
        organizations = self.fixtures().organizations
        if not isinstance(value, str) or value not in organizations:
            raise RuleError(f"organization: {value!r} is not an organization of the fixtures "
                            f"({', '.join(organizations)}).")
        if operation != ANY and not any(self.model.operations[operation].param(role) for role in (ORGANIZATION,
                                                                                                 BACKUP)):
            raise RuleError(f"organization: {operation} names no organization nor backup, so it cannot narrow it.")
        return value

    def _user(self, value: object) -> str | None:
        if value is None:
            return None
        names = [user.name for user in self.fixtures().users]
        if value not in names:
            raise RuleError(f"user: {value!r} is not a user of the fixtures ({', '.join(names)}).")
        return str(value)

    @staticmethod
    def _query(value: object) -> tuple[tuple[str, str], ...]:
        if value is None:
            return ()
        if not isinstance(value, Mapping) or not all(
                isinstance(item, str | int) and not isinstance(item, bool) for item in value.values()):
            raise RuleError('query must map parameter names to values, e.g. {"page": "2"}.')
        return tuple((str(name), str(item)) for name, item in value.items())


def _times(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RuleError(f"times must be a whole number from 1, not {value!r}.")
    return value


def _probability(value: object) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
        raise RuleError(f"probability must be a number above 0 and at most 1, not {value!r}.")
    return float(value)
