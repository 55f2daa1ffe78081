"""`python -m mockserver`: see mockserver.cli."""

import sys

from mockserver.cli import main

sys.exit(main())
