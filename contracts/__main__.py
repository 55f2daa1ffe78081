"""`python -m contracts`: see contracts.cli (through contracts.entry, which checks the kit is installed)."""

import sys

from .entry import main

sys.exit(main())
