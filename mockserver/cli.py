"""Command line: `python -m mockserver [serve options]` and `python -m mockserver credentials`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from .exceptions import MockServerError
from .fixtures import DEFAULT_FIXTURES_DIR, FixtureSet, load_fixtures
from .models import ADMIN, MEMBER
from .settings import DEFAULT_HOST, DEFAULT_PORT, Settings
from .spec import DEFAULT_SPEC_PATH, Spec


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s)")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES_DIR, metavar="DIR",
                        help="fixture directory (default: the built-in fixtures)")
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC_PATH, metavar="FILE",
                        help="OpenAPI file (default: the packaged openapi.yaml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backup-mock",
        description="Mock server for the Labii Backup API, driven by openapi.yaml.",
    )
    _common(parser)
    parser.add_argument("--cors-origin", action="append", metavar="ORIGIN", dest="cors_origins",
                        help="allow this browser origin (repeatable); default: any origin")
    sub = parser.add_subparsers(dest="command")
    credentials = sub.add_parser("credentials", help="print the demo credentials of the fixtures")
    _common(credentials)
    credentials.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        fixtures_dir=args.fixtures,
        spec_path=args.spec,
        cors_origins=tuple(getattr(args, "cors_origins", None) or ("*",)),
    )


def demo_credentials(settings: Settings, fixtures: FixtureSet) -> dict[str, str | None]:
    """The fixtures' demo organizations and their users' tokens (None where a fixture lacks one)."""

    def org(tag: str) -> str | None:
        found = fixtures.demo_organization(tag)
        return found.sid if found else None

    def token(org_sid: str | None, role: str) -> str | None:
        user = fixtures.first_user(org_sid, role) if org_sid else None
        return user.token if user else None

    primary, foreign, empty = org("primary"), org("foreign"), org("empty")
    return {
        "base_url": settings.base_url,
        "org_sid": primary,
        "admin_token": token(primary, ADMIN),
        "member_token": token(primary, MEMBER),
        "foreign_org_sid": foreign,
        "foreign_token": token(foreign, ADMIN),
        "empty_org_sid": empty,
        "empty_token": token(empty, ADMIN),
    }


def banner(settings: Settings, spec: Spec, credentials: dict[str, str | None]) -> str:
    root = settings.base_url.removesuffix("/v1")
    lines = [f"Labii Backup API mock on {settings.base_url}  (also without /v1: {root})", "", "Routes:"]
    for operation in spec.operations.values():
        lines.append(f"  {operation.method:<6} [/v1]{operation.path}  ({operation.operation_id})")
    lines.append("  POST   /__mock/reset  (restore the fixtures)")
    lines += ["", "Demo credentials (send as 'Authorization: Token <token>'):"]
    lines += [f"  {key:<16} {value}" for key, value in credentials.items() if key != "base_url"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    try:
        if args.command == "credentials":
            spec = Spec.load(settings.spec_path)
            credentials = demo_credentials(settings, load_fixtures(settings.fixtures_dir, spec))
            if args.json:
                print(json.dumps(credentials))
            else:
                print("\n".join(f"{key}={value}" for key, value in credentials.items()))
            return 0
        return serve(settings)
    except MockServerError as exc:
        print(f"backup-mock: {exc}", file=sys.stderr)
        return 2


def serve(settings: Settings) -> int:
    import uvicorn

    from .app import create_app

    app = create_app(settings)
    state = app.state.mock
    print(banner(settings, state.spec, demo_credentials(settings, state.fixtures)), flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning",
                proxy_headers=False, server_header=False)
    return 0
