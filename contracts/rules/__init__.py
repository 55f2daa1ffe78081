"""The rules openapi.yaml states, and the one definition of how an exchange is judged by them.

`inventory(spec)` lists every rule (see catalog); `validate(spec, request, answer)` returns
the violations of one exchange (see validation). The kit's checks and the mock server's
validating proxy both use these, so each rule has a single definition. Importing this package
needs only PyYAML, jsonschema_rs and the standard library.
"""

from __future__ import annotations

from .catalog import Rule, inventory
from .validation import Answer, Request, Violation, validate

__all__ = ["Rule", "inventory", "Request", "Answer", "Violation", "validate"]
