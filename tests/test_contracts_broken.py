"""The kit against deliberately broken variants of a correct reference implementation.

Each bug must make the kit exit 1 with the check that should catch it among the failed ones;
the correct variant must pass with zero failures. The kit runs in this process, the server
in its own (tests/broken).
"""

from __future__ import annotations

import io

import httpx
import pytest

from contracts import Status, build_options, execute
from contracts.redaction import MASK
from contracts.reporting import Console, summary
from tests.broken import BUGS, credentials
from tests.broken.bugs import BUG_FINDINGS

pytest_plugins = ["tests.contracts_servers"]
pytestmark = pytest.mark.integration

REQUIRED_KINDS = {"auth", "pagination arithmetic", "links", "ordering", "serializers", "field types",
                  "field formats", "error bodies", "tenant isolation", "write persistence", "pagination boundaries",
                  "auth boundaries", "access boundaries"}
NOT_APPLICABLE_HERE = {"operations.documented"}  # every operation of openapi.yaml has an x-role


def options(server, variant: str, *, optional: bool = True, **extra: str):
    creds = credentials(f"{server.url}/{variant}/v1")
    given = {"base_url": creds["base_url"], "org_sid": creds["org_sid"], "token": creds["token"], **extra}
    if optional:
        given.update({key: creds[key] for key in ("member_token", "foreign_org_sid", "foreign_token")})
    return build_options(given, env={})


def failed(report) -> set[str]:
    return {result.check_id for result in report.results if result.status is Status.FAILED}


def with_roots(report) -> set[str]:
    """Checks holding a root finding (not only consequences of another check's)."""
    return {result.check_id for result in report.results if result.roots}


def state(server, variant: str) -> dict:
    return httpx.get(f"{server.url}/__state/{variant}").json()


def test_the_catalog_covers_every_required_kind_of_bug():
    assert len(BUGS) >= 12
    assert REQUIRED_KINDS <= {bug.kind for bug in BUGS.values()}


@pytest.mark.parametrize("name", sorted(BUGS))
def test_each_bug_fails_the_check_that_should_catch_it(broken_server, name):
    bug = BUGS[name]
    extra = {"max_examples": "5", "seed": "7"}
    if bug.needs_writes:
        extra.update(allow_writes="true", settle_timeout="1")
    report = execute(options(broken_server, f"{name}--matrix", **extra))
    assert report.errors == []
    assert [r.check_id for r in report.results if r.status is Status.ERROR] == []
    assert report.exit_code == 1
    missing = set(bug.caught_by) - failed(report)
    assert not missing, f"{name}: {sorted(missing)} did not fail; failed: {sorted(failed(report))}"
    assert bug.caught_by[0] in with_roots(report), f"{name}: the root is in {sorted(with_roots(report))}"
    for result in report.results:
        for finding in result.roots:  # every problem names its rule, field, expected and received value
            assert finding.rule and finding.expected, finding.render()
            assert finding.field or finding.rule.endswith((".status", ".methods")), finding.render()
    if name in BUG_FINDINGS:  # and for the reason that only this bug gives
        summaries = [f"{finding.summary} (expected {finding.expected})" for result in report.results
                     if result.check_id in bug.caught_by for finding in result.findings]
        assert any(BUG_FINDINGS[name] in summary for summary in summaries), (name, summaries)


def test_correct_variant_passes_a_full_run_with_every_option(broken_server):
    report = execute(options(broken_server, "correct--full", allow_writes="true", seed="1"))
    assert report.errors == []
    assert failed(report) == set()
    statuses = {result.check_id: result.status for result in report.results}
    assert Status.ERROR not in statuses.values()
    assert {check for check, status in statuses.items() if status is Status.SKIPPED} == NOT_APPLICABLE_HERE
    assert report.exit_code == 0
    assert report.writes_used <= 5
    assert state(broken_server, "correct--full")["created"] <= 5


@pytest.mark.parametrize("seed", ["101", "202"])
def test_correct_variant_passes_read_only_with_required_options_only(broken_server, seed):
    report = execute(options(broken_server, f"correct--ro{seed}", optional=False, seed=seed, max_examples="30"))
    assert report.exit_code == 0, [f.render() for r in report.results for f in r.findings]
    skipped = {result.check_id for result in report.results if result.status is Status.SKIPPED}
    assert skipped == {"errors.member_forbidden", "isolation.foreign_list", "isolation.foreign_detail",
                       "writes.create", "writes.any_serializer", "errors.body_too_large", *NOT_APPLICABLE_HERE}
    assert set(state(broken_server, f"correct--ro{seed}")["methods"]) <= {"GET", "HEAD", "OPTIONS", "TRACE"}


def test_lenient_messages_relax_the_texts_and_nothing_else(broken_server):
    lenient = {"lenient_messages": "true", "max_examples": "5", "seed": "3"}
    assert execute(options(broken_server, "wrong_level_message--lenient", **lenient)).exit_code == 0
    report = execute(options(broken_server, "errors_are_text--lenient", **lenient))
    assert report.exit_code == 1 and "errors.no_credentials" in failed(report)


def test_the_write_budget_holds_against_a_server_that_creates_on_invalid_requests(broken_server):
    # level_ignored creates a backup for any level, so every negative POST of the fuzzer would create one.
    report = execute(options(broken_server, "level_ignored--budget", allow_writes="true", max_writes="3",
                             max_examples="20", seed="5", settle_timeout="1"))
    seen = state(broken_server, "level_ignored--budget")
    assert seen["created"] <= 3
    assert report.writes_used <= 3
    assert not {"PUT", "PATCH", "DELETE"} & set(seen["methods"])
    assert report.exit_code == 1
    assert report.writes_used == 3 and report.writes_line.startswith("writes: 3 used of 3")
    assert not any("budget" in item.reason for item in report.tolerated)


def test_the_report_names_the_check_with_a_redacted_curl_line_and_the_seed(broken_server):
    report = execute(options(broken_server, "oldest_first--report", max_examples="5", seed="42"))
    stream = io.StringIO()
    summary(Console(stream), report)
    text = stream.getvalue()
    creds = credentials("")
    assert "FAIL  pagination.walk" in text
    assert "curl -i -X GET -H 'Authorization: Token " + MASK in text
    assert "seed 42" in text and "expected:" in text and "answer:    200" in text and "rule:      " in text
    for secret in (creds["token"], creds["member_token"], creds["foreign_token"]):
        assert secret not in text
