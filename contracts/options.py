"""Every option of the kit, from the command line or the environment (CLI wins).

One table drives argparse, the environment variables (`CONTRACT_<NAME>`), the pytest plugin
and the documentation, so the three ways to configure a run cannot drift apart.
"""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import UsageError

THEMES = ("pagination", "serializers", "detail", "errors", "access", "isolation", "operations", "writes",
          "schemathesis")
ENV_PREFIX = "CONTRACT_"


@dataclass(frozen=True)
class Options:
    """A validated run configuration."""

    base_url: str
    org_sid: str
    token: str
    member_token: str | None = None
    foreign_org_sid: str | None = None
    foreign_token: str | None = None
    allow_writes: bool = False
    max_writes: int = 5
    max_examples: int = 100
    seed: int = 0
    junitxml: Path | None = None
    report_json: Path | None = None
    spec: Path | None = None
    lenient_messages: bool = False
    checks: tuple[str, ...] = THEMES
    timeout: float = 30.0
    settle_timeout: float = 10.0
    seed_given: bool = field(default=False, compare=False)
    flag_prefix: str = field(default="--", compare=False)  # how messages name options (`--contract-` under pytest)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(value for value in (self.token, self.member_token, self.foreign_token) if value)

    @property
    def has_foreign(self) -> bool:
        return bool(self.foreign_org_sid and self.foreign_token)

    def flag(self, name: str) -> str:
        """How the user sets option `name` here: `--member-token`, or `--contract-member-token` under pytest,
        and its environment variable."""
        return f"{self.flag_prefix}{name.replace('_', '-')} or {ENV_PREFIX}{name.upper()}"


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _seconds(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError("must be more than 0")
    return number


def _themes(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [name for name in names if name not in THEMES]
    if unknown or not names:
        raise ValueError(f"choose from {', '.join(THEMES)}")
    return names


@dataclass(frozen=True)
class OptionSpec:
    name: str
    help: str
    convert: Callable[[str], Any] = str
    is_flag: bool = False
    secret: bool = False
    metavar: str | None = None

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


OPTION_SPECS: tuple[OptionSpec, ...] = (
    OptionSpec("base_url", "base URL of the API, e.g. https://api.example.com/v1; a URL without a path gets the "
               "path of the spec's first server (/v1) (required)", metavar="URL"),
    OptionSpec("org_sid", "sid of the organization the token is an Admin of (required)", metavar="SID"),
    OptionSpec("token", "token of an Admin of that organization (required; prefer the env var)", secret=True,
               metavar="T"),
    OptionSpec("member_token", "token of a non-Admin member of it, and of no other organization given here: "
               "enables the 403 checks and the member row of the access matrix", secret=True, metavar="T"),
    OptionSpec("foreign_org_sid", "sid of a second organization: enables the tenant-isolation checks",
               metavar="SID"),
    OptionSpec("foreign_token", "token of an Admin of the second organization", secret=True, metavar="T"),
    OptionSpec("allow_writes", "let the kit create backups (off: it never sends a creating request)", _flag,
               is_flag=True),
    OptionSpec("max_writes", "most backups the kit may create (default 5)", _non_negative_int, metavar="N"),
    OptionSpec("max_examples", "schemathesis' generation: examples per operation in its examples, coverage and "
               "fuzzing phases, a quarter as many scenarios of up to 3 requests in its stateful phase (default 100)",
               _positive_int, metavar="N"),
    OptionSpec("seed", "seed of the run, to replay it exactly (default: random, printed)", int, metavar="N"),
    OptionSpec("junitxml", "write a JUnit XML report to FILE", Path, metavar="FILE"),
    OptionSpec("report_json", "write every check, finding, curl line and the seed as JSON to FILE (tokens redacted)",
               Path, metavar="FILE"),
    OptionSpec("spec", "OpenAPI file (default: the packaged openapi.yaml)", Path, metavar="FILE"),
    OptionSpec("lenient_messages", "accept any text in error bodies (statuses and shapes still checked)", _flag,
               is_flag=True),
    OptionSpec("checks", f"comma-separated themes to run (default all: {','.join(THEMES)})", _themes,
               metavar="LIST"),
    OptionSpec("timeout", "seconds to wait for each answer (default 30)", _seconds, metavar="S"),
    OptionSpec("settle_timeout", "seconds a created backup may take to appear in the list (default 10)",
               _seconds, metavar="S"),
)
REQUIRED = ("base_url", "org_sid", "token")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare every option on an argparse parser (values stay None when absent)."""
    for spec in OPTION_SPECS:
        if spec.is_flag:
            parser.add_argument(spec.cli, dest=spec.name, action="store_const", const="true", default=None,
                                help=f"{spec.help} [env {spec.env}]")
        else:
            parser.add_argument(spec.cli, dest=spec.name, default=None, metavar=spec.metavar,
                                help=f"{spec.help} [env {spec.env}]")


def build_options(given: Mapping[str, str | None], env: Mapping[str, str] | None = None,
                  flag_prefix: str = "--") -> Options:
    """Options from raw strings (command line first, then environment), validated.

    `flag_prefix` only changes how messages name the options (`--contract-` under pytest).
    """
    env = os.environ if env is None else env

    def flag(spec: OptionSpec) -> str:
        return flag_prefix + spec.name.replace("_", "-")

    values: dict[str, Any] = {}
    for spec in OPTION_SPECS:
        raw = given.get(spec.name)
        source = flag(spec)
        if raw is None and env.get(spec.env) is not None:
            raw, source = env[spec.env], spec.env
        if raw is None:
            continue
        try:
            values[spec.name] = spec.convert(raw)
        except ValueError as exc:
            shown = "(hidden)" if spec.secret else repr(raw)
            raise UsageError(f"{source}: invalid value {shown}: {exc}") from None
    missing = [spec for spec in OPTION_SPECS if spec.name in REQUIRED and not values.get(spec.name)]
    if missing:
        names = ", ".join(f"{flag(spec)} (or {spec.env})" for spec in missing)
        raise UsageError(f"missing required option(s): {names}")
    values["seed_given"] = "seed" in values
    values["flag_prefix"] = flag_prefix
    values.setdefault("seed", random.SystemRandom().randrange(1, 2**31))
    options = Options(**values)
    _validate(options)
    return options


def _validate(options: Options) -> None:
    parts = urlsplit(options.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url must be an http(s) URL with a host, got {options.base_url!r}")
    if parts.query or parts.fragment:
        raise UsageError("--base-url must not carry a query or fragment")
    if bool(options.foreign_org_sid) != bool(options.foreign_token):
        raise UsageError("--foreign-org-sid and --foreign-token go together: give both or neither")
    if options.foreign_org_sid and options.foreign_org_sid == options.org_sid:
        raise UsageError("--foreign-org-sid must name a different organization than --org-sid")
    tokens = [token for token in options.secrets]
    if len(set(tokens)) != len(tokens):
        raise UsageError("--token, --member-token and --foreign-token must be different tokens")
    if options.spec is not None and not options.spec.is_file():
        raise UsageError(f"--spec: no such file: {options.spec}")


def parse_argv(argv: Sequence[str] | None, env: Mapping[str, str] | None = None,
               parser: argparse.ArgumentParser | None = None) -> Options:
    parser = parser or argparse.ArgumentParser()
    namespace = parser.parse_args(argv)
    return build_options({spec.name: getattr(namespace, spec.name) for spec in OPTION_SPECS}, env)


def describe(options: Options) -> dict[str, str]:
    """The options as shown in reports (secrets never included)."""
    secret_names = {spec.name for spec in OPTION_SPECS if spec.secret}
    shown: dict[str, str] = {}
    for item in fields(options):
        value = getattr(options, item.name)
        if item.name in secret_names:
            shown[item.name] = "set" if value else "not set"
        elif item.name not in ("seed_given", "flag_prefix"):
            shown[item.name] = ",".join(value) if isinstance(value, tuple) else str(value)
    return shown
