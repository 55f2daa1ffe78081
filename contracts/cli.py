"""`python -m contracts` / `backup-contracts`: options in, progress and verdict out, exit code.

Exit 0 when everything conforms, 1 when anything does not, 2 for a usage or connection error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import __version__, junit
from .errors import ContractKitError
from .options import OPTION_SPECS, add_arguments, build_options
from .redaction import Redactor
from .reporting import Console, header, summary
from .runner import EXIT_USAGE, execute


class _Parser(argparse.ArgumentParser):
    """argparse that never echoes unknown arguments (one might be a mistyped token)."""

    def error(self, message: str) -> None:  # type: ignore[override]
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
        epilog="Exit status: 0 conforms, 1 does not conform, 2 usage or connection error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    namespace = parser.parse_args(argv)
    try:
        options = build_options({spec.name: getattr(namespace, spec.name) for spec in OPTION_SPECS})
    except ContractKitError as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"backup-contracts: error: {exc}\n")
        return EXIT_USAGE
    redact = Redactor(options.secrets)
    console = Console(redact=redact)
    try:
        header(console, options)
        report = execute(options, console.progress)
        summary(console, report)
        if options.junitxml is not None:
            junit.write(report, options.junitxml, redact)
            console.line(f"JUnit report: {options.junitxml}")
    except KeyboardInterrupt:
        console.line("interrupted")
        return EXIT_USAGE
    except Exception as exc:  # a kit bug: report it redacted, never as a raw traceback
        console.line(f"backup-contracts: internal error: {type(exc).__name__}: {exc}")
        return EXIT_USAGE
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
