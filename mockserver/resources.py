"""Where the packaged spec and fixtures are: the checkout, or the installed data files.

In a checkout (and an editable install) they sit beside the package; a regular install
copies them to `<prefix>/share/labii-backup-mock/` (see pyproject.toml's data-files).
"""

from __future__ import annotations

import sys
from pathlib import Path

SHARE = Path(sys.prefix) / "share" / "labii-backup-mock"
CHECKOUT = Path(__file__).resolve().parent.parent


def project_path(name: str) -> Path:
    """The first existing of checkout/name and share/name (the checkout's when neither is)."""
    for base in (CHECKOUT, SHARE):
        if (base / name).exists():
            return base / name
    return CHECKOUT / name
