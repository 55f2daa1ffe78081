"""`python -m tests.broken --port N`: serve every variant on 127.0.0.1 (see tests/broken/__init__.py)."""

from __future__ import annotations

import argparse

import uvicorn

from . import VariantRouter

parser = argparse.ArgumentParser(prog="python -m tests.broken")
parser.add_argument("--port", type=int, default=4020)
arguments = parser.parse_args()
uvicorn.run(VariantRouter(), host="127.0.0.1", port=arguments.port, log_level="warning")
