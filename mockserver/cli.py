"""Command line: `python -m mockserver [serve options]` and `python -m mockserver credentials`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mockserver.data.fixture_cache import default_directory
from mockserver.data.fixtures import DEFAULT_FIXTURES_DIR, FixtureSet
from mockserver.data.models import ADMIN, MEMBER
from mockserver.exceptions import MockServerError
from mockserver.frontend.latency import MAX_DELAY, format_duration, parse_duration, parse_range
from mockserver.protocol import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_HEAD_BYTES,
    DEFAULT_MAX_HEADERS,
)
from mockserver.settings import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PROXY_TIMEOUT, MAX_HEADER_TIMEOUT, Settings
from mockserver.spec.document import DEFAULT_SPEC_PATH
from mockserver.spec.model import ApiModel
from mockserver.store.dynamic import MAX_COUNT


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 1 to 65535")
    return int(text)


def _common(parser: argparse.ArgumentParser, sub: bool = False) -> None:
    """Options both the server and `credentials` take. On the subcommand they default to
    nothing, so `--port 4110 credentials` and `credentials --port 4110` mean the same."""

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if sub else value

    parser.add_argument("--host", default=default(DEFAULT_HOST), help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=default(DEFAULT_PORT), help="port (default 4010)")
    parser.add_argument("--fixtures", type=Path, default=default(DEFAULT_FIXTURES_DIR), metavar="DIR",
                        help="fixture directory (default: the built-in fixtures)")
    parser.add_argument("--spec", type=Path, default=default(DEFAULT_SPEC_PATH), metavar="FILE",
                        help="OpenAPI file (default: the packaged openapi.yaml)")
    parser.add_argument("--cache-dir", type=Path, default=default(default_directory()), metavar="DIR",
                        help="keep large backup fixture files (1 MiB and more) parsed and checked here, "
                             "keyed by their content (default: ~/.cache/labii-backup-mock)")
    parser.add_argument("--no-cache", action="store_true", default=default(False),
                        help="parse the fixture files at every start")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backup-mock",
        description="Mock server for the Labii Backup API, driven by openapi.yaml.",
    )
    _common(parser)
    parser.add_argument("--cors-origin", action="append", metavar="ORIGIN", dest="cors_origins",
                        help="allow this browser origin (repeatable); default: any origin")
    _limits(parser)
    _frontend(parser)
    _proxying(parser)
    sub = parser.add_subparsers(dest="command")
    credentials = sub.add_parser("credentials", help="print the demo credentials of the fixtures")
    _common(credentials, sub=True)
    credentials.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    docs = sub.add_parser("docs", help="write the documentation page as static files (no server needed)")
    docs.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write (made if missing)")
    docs.add_argument("--spec", type=Path, default=argparse.SUPPRESS, metavar="FILE",
                      help="OpenAPI file (default: the packaged openapi.yaml)")
    return parser


def _bounded(text: str, parse: Callable[[str], Any], limit: float = MAX_DELAY) -> Any:
    try:
        value = parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if max(value if isinstance(value, tuple) else (value,)) > limit:
        raise argparse.ArgumentTypeError(f"{text!r} is more than the limit, {format_duration(limit)}")
    return value


_SIZE_UNITS = {"": 1, "b": 1, "kib": 1024, "kb": 1000, "mib": 1024**2, "mb": 1000**2, "gib": 1024**3, "gb": 1000**3}


def _size(low: int, high: int) -> Callable[[str], int]:
    """A byte size: `32768`, `32KiB`, `8MiB` (KB and MB are powers of 1000)."""
    def parse(text: str) -> int:
        number = text.strip().rstrip("BbIiKkMmGg")
        unit = text.strip()[len(number):].lower()
        if not number.isdigit() or unit not in _SIZE_UNITS or not low <= int(number) * _SIZE_UNITS[unit] <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a size from {low:,} to {high:,} bytes "
                                             "(e.g. 32KiB, 8MiB)")
        return int(number) * _SIZE_UNITS[unit]

    return parse


def _limits(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("limits on what a client may send (see the README)")
    group.add_argument("--header-timeout", type=lambda text: _bounded(text, parse_duration, MAX_HEADER_TIMEOUT),
                       default=DEFAULT_HEADER_TIMEOUT, metavar="TIME",
                       help="close a connection that has not sent a whole request head within this "
                            "(default 10s; 0s: never)")
    group.add_argument("--body-timeout", type=lambda text: _bounded(text, parse_duration, MAX_HEADER_TIMEOUT),
                       default=DEFAULT_BODY_TIMEOUT, metavar="TIME",
                       help="answer 408 to a request whose body is not all there within this after its head "
                            "(default 30s; 0s: never)")
    group.add_argument("--max-head-size", type=_size(1024, 16 * 1024**2), default=DEFAULT_MAX_HEAD_BYTES,
                       metavar="SIZE", help="answer 431 to a larger request head (default 32KiB)")
    group.add_argument("--max-headers", type=_count(1, 10_000), default=DEFAULT_MAX_HEADERS, metavar="N",
                       help="answer 431 to a request with more header fields (default %(default)s)")
    group.add_argument("--allowed-hosts", metavar="HOSTS",
                       help="Django's ALLOWED_HOSTS, comma-separated (`.example.com` takes its subdomains): "
                            "other Host headers get 400 (default: any)")


def _count(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low} to {high}")
        return int(text)

    return parse


def _frontend(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("for frontend developers (see the README)")
    group.add_argument("--dynamic", action="store_true",
                       help="answer reads with generated backups (per request: 'Prefer: dynamic=true')")
    group.add_argument("--dynamic-count", type=_count(0, MAX_COUNT), default=1000, metavar="N",
                       help="generated backups per organization (default %(default)s)")
    group.add_argument("--seed", type=_count(0, 2**63), metavar="N",
                       help="seed of the generated data (default: a new one, printed at start)")
    group.add_argument("--latency", type=lambda text: _bounded(text, parse_range), metavar="TIME",
                       help="delay every API answer: 300ms, or a range drawn per answer: 200-800ms")
    group.add_argument("--create-delay", type=lambda text: _bounded(text, parse_duration), default=0.0,
                       metavar="TIME", help="a created backup joins the list only after this (e.g. 10s)")
    group.add_argument("--state", type=Path, metavar="FILE", dest="state_path",
                       help="keep created backups across restarts in this JSON file")
    group.add_argument("--journal-size", type=_count(0, 1_000_000), default=1000, metavar="N",
                       help="requests kept for GET /__mock/requests (default %(default)s; 0: off)")
    group.add_argument("--journal-bytes", type=_size(64 * 1024, 1024**3), default=8 * 1024**2, metavar="SIZE",
                       help="...and at most this much of them (default 8MiB; long values are cut)")
    group.add_argument("--quiet", action="store_true", help="no log line per request")
    group.add_argument("--no-watch", action="store_true", help="do not reload fixture files when they change")
    group.add_argument("--control-from-anywhere", action="store_true",
                       help="let non-loopback clients use /__mock/* (default: loopback only)")
    group.add_argument("--scenarios", type=Path, metavar="FILE", dest="scenarios_path",
                       help="scenario rules in a YAML list, in force from the start (reloaded when it changes)")


def _proxy_url(text: str) -> str:
    from mockserver.proxy.forward import check_url  # httpx, imported only when --proxy is given

    try:
        return check_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _timeout(text: str) -> float:
    value = float(_bounded(text, parse_duration, MAX_HEADER_TIMEOUT))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a timeout must be more than 0s")
    return value


def _proxying(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("proxy and record (see the README)")
    group.add_argument("--proxy", type=_proxy_url, metavar="URL",
                       help="forward every API request to this implementation (e.g. http://127.0.0.1:9000/v1) "
                            "and judge each exchange against the spec (GET /__mock/violations)")
    group.add_argument("--proxy-timeout", type=_timeout, metavar="TIME",
                       help=f"504 when the upstream takes longer to connect or to send the next piece of an "
                            f"answer (default {format_duration(DEFAULT_PROXY_TIMEOUT)})")
    group.add_argument("--record", type=Path, metavar="DIR",
                       help="keep what the upstream answered as a fixture directory (new, empty, or a previous "
                            "recording to extend), with generated demo users; needs --proxy")
    group.add_argument("--proxy-fallback", action="store_true",
                       help="answer from the fixtures while the upstream is down (refused, timed out)")


def check_proxy_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Options that only make sense with --proxy, and one that cannot go with it."""
    if args.proxy is None:
        given = [name for name, value in (("--record", args.record), ("--proxy-fallback", args.proxy_fallback),
                                          ("--proxy-timeout", args.proxy_timeout)) if value]
        if given:
            parser.error(f"{given[0]} needs --proxy URL")
    elif args.dynamic:
        parser.error("--dynamic cannot go with --proxy (ask for generated data per request: "
                     "'Prefer: dynamic=true')")


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        fixtures_dir=args.fixtures,
        spec_path=args.spec,
        cors_origins=tuple(getattr(args, "cors_origins", None) or ("*",)),
        dynamic=args.dynamic,
        dynamic_count=args.dynamic_count,
        seed=args.seed,
        latency=args.latency,
        create_delay=args.create_delay,
        journal_size=args.journal_size,
        journal_bytes=args.journal_bytes,
        access_log=not args.quiet,
        watch_fixtures=not args.no_watch,
        state_path=args.state_path,
        control_from_anywhere=args.control_from_anywhere,
        fixture_cache_dir=None if args.no_cache else args.cache_dir,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        max_head_bytes=args.max_head_size,
        max_headers=args.max_headers,
        allowed_hosts=tuple(host.strip() for host in (args.allowed_hosts or "*").split(",") if host.strip()) or ("*",),
        scenarios_path=args.scenarios_path,
        proxy_url=args.proxy,
        proxy_timeout=args.proxy_timeout or DEFAULT_PROXY_TIMEOUT,
        record_dir=args.record,
        proxy_fallback=args.proxy_fallback,
    )


def demo_credentials(settings: Settings, fixtures: FixtureSet, prefix: str) -> dict[str, str | None]:
    """The fixtures' demo organizations and their users' tokens (None where a fixture lacks one)."""

    def org(tag: str) -> str | None:
        found = fixtures.demo_organization(tag)
        return found.sid if found else None

    def token(org_sid: str | None, role: str) -> str | None:
        user = fixtures.first_user(org_sid, role) if org_sid else None
        return user.token if user else None

    primary, foreign, empty = org("primary"), org("foreign"), org("empty")
    return {
        "base_url": settings.api_url(prefix),
        "org_sid": primary,
        "admin_token": token(primary, ADMIN),
        "member_token": token(primary, MEMBER),
        "foreign_org_sid": foreign,
        "foreign_token": token(foreign, ADMIN),
        "empty_org_sid": empty,
        "empty_token": token(empty, ADMIN),
    }


def banner(settings: Settings, model: ApiModel, credentials: dict[str, str | None]) -> str:
    root = settings.root_url
    prefixes = [prefix for prefix in model.prefixes if prefix]
    also = f"  (also under {root}{', '.join(prefixes[1:])} and at the root)" if len(prefixes) > 1 else (
        f"  (also at the root: {root})" if prefixes else "")
    lines = [f"Labii Backup API mock on {settings.api_url(model.api_prefix)}{also}", "", "Routes:"]
    shown_prefix = f"[{model.api_prefix}]" if model.api_prefix else ""
    for operation in model.operations.values():
        how = f"x-role {operation.role}" if operation.role else "from its examples"
        lines.append(f"  {operation.method:<6} {shown_prefix}{operation.path}  ({operation.operation_id}, {how})")
    examples_only = [operation.operation_id for operation in model.examples_only]
    if examples_only:
        lines.append(f"  answered from their documented examples only (no x-role): {', '.join(examples_only)}")
    lines += [f"  warning: {warning}" for warning in model.warnings]
    lines.append("  POST   /__mock/reset  (restore the fixtures and the scenario rules)")
    lines.append("  GET    /__mock/requests  (request journal, newest first, filtered; DELETE clears it)")
    lines.append("  POST   /__mock/scenarios  (scenario rules; GET lists, DELETE removes)")
    lines.append(f"  GET    /__mock/  (control panel: {root}/__mock/)")
    if settings.proxy_url:
        lines.append("  GET    /__mock/violations  (contract violations of the upstream, by rule; DELETE clears)")
    lines += ["", f"Documentation: {root}/docs  (spec: {root}/openapi.yaml, {root}/openapi.json)"]
    lines += ["", "Demo credentials (send as 'Authorization: Token <token>'):"]
    lines += [f"  {key:<16} {value}" for key, value in credentials.items() if key != "base_url"]
    return "\n".join(lines)


def features(settings: Settings, seed: int, restored: int, rules: int = 0) -> str:
    """What the frontend options turned on, one line each."""
    lines = []
    if settings.dynamic:
        lines.append(f"  dynamic data: {settings.dynamic_count} backups per organization, "
                     f"seed {seed} (--seed {seed} repeats them)")
    else:
        lines.append(f"  'Prefer: dynamic=true' generates data with seed {seed} (--seed {seed} repeats it)")
    if settings.latency:
        low, high = settings.latency
        span = format_duration(low) if low == high else f"{format_duration(low)} to {format_duration(high)}"
        lines.append(f"  latency: {span} on every API answer")
    if settings.create_delay:
        lines.append(f"  created backups join the list after {format_duration(settings.create_delay)}")
    if settings.state_path:
        lines.append(f"  state: {settings.state_path} ({restored} created backups restored)")
    if settings.watch_fixtures:
        lines.append(f"  watching {settings.fixtures_dir} for fixture changes")
    if settings.scenarios_path:
        watched = " (watched)" if settings.watch_fixtures else ""
        lines.append(f"  scenarios: {rules} rule(s) from {settings.scenarios_path}{watched}")
    if settings.proxy_url:
        lines.append(f"  proxy: API requests go to {settings.proxy_url} (timeout "
                     f"{format_duration(settings.proxy_timeout)}), each exchange judged against the spec; "
                     "Prefer, __ parameters and scenario rules still answer here")
        if settings.record_dir:
            lines.append(f"  recording the answers into {settings.record_dir} (generated demo users, no real token)")
        if settings.proxy_fallback:
            lines.append("  fallback: the fixtures answer while the upstream is down")
    if not settings.control_from_anywhere:
        lines.append("  /__mock/* answer loopback clients only")
    return "\n".join(["", "Options:", *lines])


def uvicorn_config(app: Any, settings: Settings) -> Any:
    """How the CLI serves the app (tests reuse it): no proxy headers, so the TCP peer is the client;
    no uvicorn access log, the mock prints its own line per request (and uvicorn's would build its
    line for every request even when its level hides it)."""
    import uvicorn

    from mockserver.protocol import protocol_class

    return uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                          proxy_headers=False, server_header=False, access_log=False,
                          http=protocol_class(settings.header_timeout, settings.body_timeout,
                                              settings.max_head_bytes, settings.max_headers))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        check_proxy_options(parser, args)
    settings = settings_from(args)
    try:
        if args.command == "docs":
            return write_documentation(settings.spec_path, args.out)
        if args.command == "credentials":
            from mockserver.app import load_world

            model, _, fixtures = load_world(settings)
            credentials = demo_credentials(settings, fixtures, model.api_prefix)
            if args.json:
                print(json.dumps(credentials))
            else:
                print("\n".join(f"{key}={value}" for key, value in credentials.items()))
            return 0
        return serve(settings)
    except MockServerError as exc:
        print(f"backup-mock: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: nothing left to say
        sys.stderr.close()
        return 0


def write_documentation(spec_path: Path, out: Path) -> int:
    from mockserver.frontend.static_docs import write_docs
    from mockserver.spec import Spec, load_model

    try:
        written = write_docs(load_model(Spec.load(spec_path)), out)
    except OSError as exc:
        print(f"backup-mock: cannot write the documentation to {out} ({exc.strerror or exc})", file=sys.stderr)
        return 2
    print(f"Documentation written to {out}: {len(written)} files. Open {out / 'index.html'} in a browser, "
          "or publish the folder as it is.")
    return 0


def serve(settings: Settings) -> int:
    import uvicorn

    from mockserver.app import create_app

    app = create_app(settings)
    state = app.state.mock
    model = state.model
    print(banner(settings, model, demo_credentials(settings, state.fixtures, model.api_prefix)), flush=True)
    print(features(settings, state.dynamic_seed, state.restored, len(state.rules.rules)), flush=True)
    uvicorn.Server(uvicorn_config(app, settings)).run()
    return 0
