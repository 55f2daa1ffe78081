"""`python -m contracts`: see contracts.cli."""

import sys

from .cli import main

sys.exit(main())
