"""The kit's command-line entry: one clear line when the kit's own libraries are not installed.

`pip install .` brings the mock alone; the kit needs its extra (schemathesis, hypothesis,
requests). Without them, importing the command line would fail with a traceback before it
could say anything, so this module looks for them first.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.util import find_spec

NEEDED = ("schemathesis", "hypothesis", "requests")
MISSING_KIT = ("backup-contracts: the contract-test kit is not installed: pip install 'labii-backup-mock[contracts]' "
               "(in a checkout: pip install -e '.[contracts]')")


def installed(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):  # a broken or blocked install is as good as none
        return False


def main(argv: Sequence[str] | None = None) -> int:
    if not all(installed(name) for name in NEEDED):
        print(MISSING_KIT, file=sys.stderr)
        return 2
    from .cli import main as run

    return run(argv)
