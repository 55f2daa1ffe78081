"""`python -m contracts` / `backup-contracts`: options in, progress and verdict out, exit code.

Exit 0 when everything conforms, 1 when anything does not, 2 for a usage, spec or connection
error. `--list-rules` prints the rule inventory of the spec with the checks probing each rule
and needs no server.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from . import __version__, github, junit, report_json
from .errors import ContractKitError
from .options import OPTION_SPECS, Options, add_arguments, build_options
from .redaction import Redactor
from .reporting import Console, header, summary
from .runner import EXIT_NONCONFORMANT, EXIT_OK, EXIT_USAGE, execute


class _Parser(argparse.ArgumentParser):
    """argparse that never echoes unknown arguments (one might be a mistyped token)."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            names = [word for word in message.split(": ", 1)[-1].split() if word.startswith("-")]
            message = "unrecognized option(s): " + (" ".join(names) or "(values hidden)")
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="backup-contracts",
        description="Check an implementation of the Labii Backup API against openapi.yaml. Every option can "
                    "also be given as an environment variable (shown in brackets); the command line wins.",
        epilog="Exit status: 0 conforms, 1 does not conform, 2 usage, spec or connection error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--list-rules", action="store_true",
                        help="print every rule the spec states with the checks that probe it, then exit "
                             "(1 if a rule has no check)")
    add_arguments(parser)
    return parser


def list_rules(spec_path: str | None, out: TextIO | None = None) -> int:
    """The rule inventory as a table: rule, its statement, the checks probing it (best first)."""
    from .coverage import coverage
    from .spec import Spec

    out = out or sys.stdout
    try:
        spec = Spec.load(Path(spec_path) if spec_path else None)
    except ContractKitError as exc:
        sys.stderr.write(f"backup-contracts: error: {exc}\n")
        return EXIT_USAGE
    rows = coverage(spec)
    width = max(len(rule.rule_id) for rule, _ in rows)
    uncovered = 0
    for rule, checks in rows:
        uncovered += not checks
        shown = ", ".join(checks) if checks else "NO CHECK"
        out.write(f"{rule.rule_id:<{width}}  {shown}\n{'':<{width}}    {rule.text}  [{rule.source}]\n")
    out.write(f"{len(rows)} rules from {spec.path}, {len(rows) - uncovered} with a check, {uncovered} without\n")
    return EXIT_NONCONFORMANT if uncovered else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    namespace = parser.parse_args(argv)
    if namespace.list_rules:
        return list_rules(namespace.spec or os.environ.get("CONTRACT_SPEC"))
    try:
        options = build_options({spec.name: getattr(namespace, spec.name) for spec in OPTION_SPECS})
    except ContractKitError as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"backup-contracts: error: {exc}\n")
        return EXIT_USAGE
    return run(options)


def run(options: Options) -> int:
    redact = Redactor(options.secrets)
    console = Console(redact=redact)
    try:
        header(console, options)
        report = execute(options, console.progress)
        summary(console, report)
        if options.junitxml is not None:
            junit.write(report, options.junitxml, redact)
            console.line(f"JUnit report: {options.junitxml}")
        if options.report_json is not None:
            report_json.write(report, options.report_json, redact)
            console.line(f"JSON report: {options.report_json}")
        written = github.append_step_summary(report, redact)
        if written is not None:
            console.line(f"summary appended to {written} (GITHUB_STEP_SUMMARY)")
    except KeyboardInterrupt:
        console.line("interrupted")
        return EXIT_USAGE
    except Exception as exc:  # a kit bug: report it redacted, never as a raw traceback
        console.line(f"backup-contracts: internal error: {type(exc).__name__}: {exc}")
        return EXIT_USAGE
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
