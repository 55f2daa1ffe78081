"""What a request asks the mock to answer, from `Prefer`, from `__` query parameters or from a rule.

    code=406           a documented status, with its first named example (as in Prism)
    code=503           500, 502, 503 or 504 where the operation does not document it: a failure,
                       `{"detail": ...}` (api/errors.py FAILURES), marked `documented=false`
    example=wrongId    a named example (of `code`, or of whichever status documents it)
    dynamic=true       generated data (store/dynamic.py); `false` the fixtures
    delay=2s           wait before answering; a range, `200-800ms`, is drawn for each answer
    fault=reset        no answer, the connection reset; `empty`: closed without a byte;
                       `malformed`: the documented success with its JSON cut in half;
                       `slow-body`: the answer's body trickled over the delay (faults.py)

The same names work as query parameters with two underscores (`?__code=503`), as in Prism.
They are taken out of the query before the request is handled, so no handler, page cache or
link sees them. `code` and `example` go together: whichever source names either gives both.
Everything is checked here; a bad value is a ChoiceError that names it (answered 400).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from mockserver.api.errors import FAILURES
from mockserver.api.examples import Answers, Canned
from mockserver.data.jsonvalues import dumps
from mockserver.frontend.latency import MAX_DELAY, bounded, format_duration, parse_range

NAMES = ("code", "example", "dynamic", "delay", "fault")
FAULTS = ("reset", "empty", "malformed", "slow-body")
DROPS = ("reset", "empty")  # faults that send no answer at all
TRUE, FALSE = ("true", "yes", "1", ""), ("false", "no", "0")
UNDOCUMENTED = "documented=false"  # in Preference-Applied, after a failure's code


class ChoiceError(Exception):
    """A choice the mock cannot follow; `documented` lists the operation's codes and examples."""

    def __init__(self, detail: str, documented: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.documented = documented


@dataclass(frozen=True)
class Choices:
    code: str | None = None
    example: str | None = None
    dynamic: bool | None = None
    delay: tuple[float, float] | None = None  # seconds, low and high of a uniform draw
    fault: str | None = None

    def over(self, base: Choices) -> Choices:
        """These choices, completed by `base`'s; `code` and `example` come from one side, as a pair."""
        own_pair = self.code is not None or self.example is not None
        return Choices(
            self.code if own_pair else base.code,
            self.example if own_pair else base.example,
            self.dynamic if self.dynamic is not None else base.dynamic,
            self.delay if self.delay is not None else base.delay,
            self.fault if self.fault is not None else base.fault,
        )

    def __bool__(self) -> bool:
        return self != NONE

    def as_json(self) -> dict[str, object]:
        """The choices as a rule writes them."""
        found: dict[str, object] = {}
        if self.code is not None:
            found["code"] = int(self.code)
        if self.example is not None:
            found["example"] = self.example
        if self.dynamic is not None:
            found["dynamic"] = self.dynamic
        if self.delay is not None:
            low, high = self.delay
            found["delay"] = format_duration(low) if low == high else f"{format_duration(low)}-{format_duration(high)}"
        if self.fault is not None:
            found["fault"] = self.fault
        return found


NONE = Choices()


def parse_prefer(text: str) -> dict[str, str]:
    """`code=406, example="wrongId"; delay=1s` -> {name: value}; the first of a name wins."""
    preferences: dict[str, str] = {}
    for item in text.split(","):
        for part in item.split(";"):
            name, _, value = part.strip().partition("=")
            name = name.strip().lower()
            if name and name not in preferences:
                preferences[name] = value.strip().strip('"')
    return preferences


def split_query(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """The query string without the `__` parameters (the rest byte for byte), and their values
    by name without the underscores (the first of a name wins)."""
    kept: list[bytes] = []
    mine: dict[str, str] = {}
    for part in raw.split(b"&"):
        name, _, value = part.partition(b"=")
        decoded = unquote_plus(name.decode("latin-1"))
        if decoded.startswith("__"):
            mine.setdefault(decoded[2:].lower(), unquote_plus(value.decode("latin-1")))
        elif part:
            kept.append(part)
    return b"&".join(kept), mine


def read_choices(values: Mapping[str, object], prefix: str, cut_delays: bool) -> Choices:
    """Choices from raw values: strings from a header or a query, JSON values from a rule. Names
    other than NAMES are not read. A delay over the limit is cut to it, or refused (rules)."""
    code = _code(values["code"], prefix) if "code" in values else None
    example = values.get("example")
    if example is not None and (not isinstance(example, str) or not example):
        raise ChoiceError(f"{prefix}example must be the name of an example, not {example!r}")
    dynamic = _flag(values["dynamic"], prefix) if "dynamic" in values else None
    delay = _delay(values["delay"], prefix, cut_delays) if "delay" in values else None
    fault = values.get("fault")
    if fault is not None and fault not in FAULTS:
        raise ChoiceError(f"{prefix}fault must be one of {', '.join(FAULTS)}, not {fault!r}")
    return Choices(code, example, dynamic, delay, fault if isinstance(fault, str) else None)


def _code(value: object, prefix: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.isdigit():
        raise ChoiceError(f"{prefix}code must be a status code, not {value!r}")
    return value


def _flag(value: object, prefix: str) -> bool:
    if isinstance(value, bool):
        return value
    text = value.lower() if isinstance(value, str) else None
    if text not in TRUE + FALSE:
        raise ChoiceError(f"{prefix}dynamic must be true or false, not {value!r}")
    return text in TRUE


def _delay(value: object, prefix: str, cut: bool) -> tuple[float, float]:
    if not isinstance(value, str):
        raise ChoiceError(f"{prefix}delay must be a duration like 300ms, 2s or 200-800ms, not {value!r}")
    try:
        low, high = parse_range(value)
    except ValueError as exc:
        raise ChoiceError(f"{prefix}delay: {exc}") from None
    if cut:
        return bounded(low), bounded(high)
    if high > MAX_DELAY:
        raise ChoiceError(f"{prefix}delay: {value!r} is more than the limit, {format_duration(MAX_DELAY)}")
    return low, high


@dataclass(frozen=True)
class Forced:
    """An answer the choices decide alone: a documented example, or an undocumented failure."""

    code: str
    example: str | None  # None for a failure
    answer: Canned

    @property
    def applied(self) -> list[str]:
        if self.example is None:
            return [f"code={self.code}", UNDOCUMENTED]
        return [f"code={self.code}", f"example={self.example}"]


def forced(answers: Answers, operation_id: str, choices: Choices, prefix: str) -> Forced | None:
    """The answer `code`/`example` name (for `malformed`, a success answer, the first by default),
    None when they name none; ChoiceError when the operation documents no such answer."""
    code, example = choices.code, choices.example
    by_status = answers[operation_id]
    if choices.fault == "malformed":
        if code is None and example is None:
            code = next((status for status in by_status if status.startswith("2") and by_status[status]), None)
            if code is None:
                raise ChoiceError(f"{prefix}fault=malformed: {operation_id} documents no success answer to cut.")
        elif code is not None and not code.startswith("2"):
            raise ChoiceError(f"{prefix}fault=malformed cuts a success answer, not code={code}.")
    if code is None and example is None:
        return None
    documented = {status: list(examples) for status, examples in by_status.items()}
    if code is not None and code not in by_status:
        if code in FAILURES and example is None:
            return Forced(code, None, Canned(int(code), dumps({"detail": FAILURES[code]}), {}))
        what = f"code={code} is not documented for {operation_id}"
        if code in FAILURES:
            what += " and has no examples"
        raise ChoiceError(f"{prefix}{what}; documented codes: {', '.join(by_status)}; "
                          f"undocumented failures: {', '.join(FAILURES)}.", documented)
    if code is not None:
        examples = by_status[code]
        if example is None:
            if not examples:
                raise ChoiceError(f"{prefix}code={code}: {operation_id} documents no example body for it.",
                                  documented)
            example = next(iter(examples))
        if example not in examples:
            raise ChoiceError(f"{prefix}example={example} is not documented for {operation_id} {code}; "
                              f"its examples: {', '.join(examples) or 'none'}.", documented)
        return Forced(code, example, examples[example])
    for status, examples in by_status.items():
        if example in examples and (choices.fault != "malformed" or status.startswith("2")):
            return Forced(status, example, examples[example])
    raise ChoiceError(f"{prefix}example={example} is not documented for {operation_id}.", documented)
