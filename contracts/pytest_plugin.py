"""The same checks under plain pytest: one test per check, options as `--contract-*` or env vars.

    pytest contracts/ --contract-base-url URL --contract-org-sid SID --contract-token T
    CONTRACT_BASE_URL=... CONTRACT_ORG_SID=... CONTRACT_TOKEN=... pytest --pyargs contracts

The whole kit is prepared once per session (spec, preflight); each theme runs when its first
test needs it, so a test's time is its theme's. pytest's own --junitxml writes the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from . import report_json
from .builtins import BUILTIN_CHECKS
from .checks import THEME_CHECKS
from .errors import ContractKitError
from .options import OPTION_SPECS, THEMES, build_options
from .results import CheckResult, Status
from .runner import EXIT_USAGE, Run

SKIPPED_OPTIONS = {"junitxml"}  # pytest has its own

CATALOG: list[str] = [check.check_id for theme in THEMES if theme in THEME_CHECKS
                      for check in THEME_CHECKS[theme]] + [f"schemathesis.{name}" for name in BUILTIN_CHECKS]


def add_options(parser: pytest.Parser) -> None:
    """Declare `--contract-*` options (once, however the plugin got loaded)."""
    group = parser.getgroup("contracts", "Backup API contract kit (each option also from its env var)")
    try:
        for spec in OPTION_SPECS:
            if spec.name in SKIPPED_OPTIONS:
                continue
            flag = "--contract-" + spec.name.replace("_", "-")
            kwargs: dict[str, Any] = {"dest": f"contract_{spec.name}", "default": None,
                                      "help": f"{spec.help} [env {spec.env}]"}
            if spec.is_flag:
                group.addoption(flag, action="store_const", const="true", **kwargs)
            else:
                group.addoption(flag, metavar=spec.metavar, **kwargs)
    except ValueError:  # already declared by another route (conftest and -p together)
        pass


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


class ContractSession:
    """One prepared run, shared by every contract test of the session."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.results: dict[str, CheckResult] = {}
        self.done: set[str] = set()

    def result(self, check_id: str) -> CheckResult | None:
        theme = check_id.split(".", 1)[0]
        if theme not in self.run.options.checks:
            return CheckResult(check_id, "", Status.SKIPPED,
                               reason=f"theme {theme} not selected ({self.run.options.flag('checks')})")
        if theme not in self.done:
            self.done.add(theme)
            for result in self.run.run_theme(theme):
                self.results[result.check_id] = result
        return self.results.get(check_id)


@pytest.fixture(scope="session")
def contract_session(request: pytest.FixtureRequest) -> Iterator[ContractSession]:
    given = {spec.name: request.config.getoption(f"contract_{spec.name}", default=None)
             for spec in OPTION_SPECS if spec.name not in SKIPPED_OPTIONS}
    try:
        options = build_options(given, flag_prefix="--contract-")
    except ContractKitError as exc:
        pytest.exit(f"contract kit: {exc}", returncode=EXIT_USAGE)
    run = Run(options)
    if not run.prepare():
        pytest.exit("contract kit: " + "; ".join(run.report.errors), returncode=EXIT_USAGE)
    yield ContractSession(run)
    report = run.finish()
    if options.report_json is not None and run.ctx is not None:
        report_json.write(report, options.report_json, run.ctx.redact)


@pytest.fixture
def contract_check(contract_session: ContractSession) -> Callable[[str], None]:
    """Assert one check: pass, fail with its findings, or skip with its reason."""
    def verify(check_id: str) -> None:
        result = contract_session.result(check_id)
        seed = contract_session.run.options.seed
        if result is None:
            writes = contract_session.run.options.flag("allow_writes")
            pytest.skip(f"not run in this configuration (schemathesis runs it only with {writes})")
        elif result.status is Status.SKIPPED:
            pytest.skip(result.reason)
        elif result.status is Status.ERROR:
            pytest.fail(f"{check_id} could not be completed: {result.reason}", pytrace=False)
        elif result.status is Status.FAILED:
            text = "\n\n".join(finding.render(seed) for finding in result.findings)
            pytest.fail(f"{check_id}: {result.title}\n\n{text}", pytrace=False)
    return verify
