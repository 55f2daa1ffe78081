"""JUnit XML for CI: one testsuite per theme, one testcase per check.

Passed checks are plain testcases, failures carry every finding (curl line, status and body,
expectation, seed), skips only what truly could not run here (with the reason), and a run
that could not start is one errored testcase, so a CI page shows the real picture rather
than everything skipped. All text is redacted and stripped of characters XML cannot hold.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from .options import THEMES, describe
from .results import CheckResult, Status
from .runner import RunReport

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


Redact = Callable[[str], str]


def _clean(text: str, redact: Redact) -> str:
    return _INVALID_XML.sub("\ufffd", redact(text))


def _testcase(parent: ET.Element, result: CheckResult, seed: int, redact: Redact) -> None:
    case = ET.SubElement(parent, "testcase", classname=f"contracts.{result.theme}", name=result.check_id,
                         time=f"{result.duration:.3f}")
    if result.status is Status.FAILED:
        roots, echoes = result.roots, result.consequences
        body = "\n\n".join(finding.render(seed) for finding in roots)
        body += "".join(f"\n\nconsequence of {finding.root_of}'s problem: {finding.summary}" for finding in echoes)
        first = (roots or echoes)[0].summary.splitlines()[0] if result.findings else ""
        counts = f"{len(roots)} problem(s)" if roots else f"consequence of {echoes[0].root_of}"
        failure = ET.SubElement(case, "failure", type="ContractViolation", message=_clean(f"{counts}: {first}", redact))
        failure.text = _clean(f"{result.title}\n\n{body.strip()}", redact)
    elif result.status is Status.SKIPPED:
        ET.SubElement(case, "skipped", message=_clean(result.reason, redact))
    elif result.status is Status.ERROR:
        error = ET.SubElement(case, "error", type="IncompleteCheck",
                              message=_clean(result.reason.splitlines()[0] if result.reason else "", redact))
        error.text = _clean(result.reason, redact)
    lines = [result.title, *result.notes]
    out = ET.SubElement(case, "system-out")
    out.text = _clean("\n".join(lines), redact)


def build(report: RunReport, redact: Redact) -> ET.ElementTree[ET.Element]:
    root = ET.Element("testsuites", name="backup-contracts")
    by_theme: dict[str, list[CheckResult]] = defaultdict(list)
    for result in report.results:
        by_theme[result.theme].append(result)
    if report.errors:
        by_theme["run"].append(CheckResult("run.preflight", "the run could start", Status.ERROR,
                                           reason="\n".join(report.errors)))
    timestamp = datetime.now(UTC).replace(microsecond=0).isoformat()
    order = [theme for theme in (*THEMES, "run") if theme in by_theme]
    totals: Counter[str] = Counter()
    for theme in order:
        results = by_theme[theme]
        counts = Counter(result.status for result in results)
        suite = ET.SubElement(root, "testsuite", name=f"contracts.{theme}", tests=str(len(results)),
                              failures=str(counts[Status.FAILED]), errors=str(counts[Status.ERROR]),
                              skipped=str(counts[Status.SKIPPED]),
                              time=f"{sum(result.duration for result in results):.3f}",
                              timestamp=timestamp, hostname=socket.gethostname())
        properties = ET.SubElement(suite, "properties")
        for name, value in {**describe(report.options), "seed": str(report.seed), "spec": report.spec_path}.items():
            ET.SubElement(properties, "property", name=name, value=_clean(value, redact))
        for result in results:
            _testcase(suite, result, report.seed, redact)
        if theme == "schemathesis" and (report.tolerated or report.fuzz_cases):
            lines = [f"{count} generated case(s): {label}" for label, count in sorted(report.fuzz_cases.items())]
            counted = Counter((item.operation, item.status, item.reason) for item in report.tolerated)
            lines += [f"not attributed to the implementation: {count} x {operation}: {status}: {reason}"
                      for (operation, status, reason), count in sorted(counted.items(), key=str)]
            ET.SubElement(suite, "system-out").text = _clean("\n".join(lines), redact)
        totals.update({"tests": len(results), "failures": counts[Status.FAILED], "errors": counts[Status.ERROR],
                       "skipped": counts[Status.SKIPPED]})
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    root.set("time", f"{report.duration:.3f}")
    ET.indent(root)
    return ET.ElementTree(root)


def write(report: RunReport, path: Path, redact: Redact) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    build(report, redact).write(path, encoding="utf-8", xml_declaration=True)
