"""Schemathesis' built-in checks the kit runs, what each asserts, and the rules each probes.

Kept apart from contracts.fuzzing so the catalog, the pytest plugin and `--list-rules` know
them without importing schemathesis.
"""

from __future__ import annotations

# name -> (what it asserts, rule-id patterns it probes; see contracts.coverage for placeholders)
BUILTIN_CHECKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "not_a_server_error": ("no answer is a server error (5xx)", ("*.status",)),
    "status_code_conformance": ("every status is one the spec documents for the operation", ("*.status",)),
    "content_type_conformance": ("every content type is one the spec documents", ("*.[0-9][0-9][0-9]",)),
    "response_headers_conformance": ("documented response headers are present and valid", ("*.header.*",)),
    "response_schema_conformance": ("every body matches its documented schema",
                                    ("*.[0-9][0-9][0-9]", "schema.*")),
    "negative_data_rejection": ("invalid input is rejected", ("*.param.*",)),
    "positive_data_acceptance": ("valid input is accepted", ("*.param.*",)),
    "ignored_auth": ("authentication is enforced: no or invalid credentials are refused",
                     ("*.access.anonymous*", "*.access.unknown-token*")),
    "unsupported_method": ("an undocumented method gets 405 with an Allow header", ("*.methods",)),
    "allow_header_conformance": ("Allow lists exactly the documented methods", ("*.methods",)),
    "ensure_resource_availability": ("a created backup is available through the link right away",
                                     ("{create}.link.*",)),
}
NOT_APPLICABLE: dict[str, str] = {
    "use_after_free": "the API offers no DELETE",
    "missing_required_header": "no operation declares a required header",
    "object_level_authorization": "covered by the access and isolation themes (needs schemathesis' auth workflow "
                                  "config)",
    "max_response_time": "the contract sets no response-time limit",
}
