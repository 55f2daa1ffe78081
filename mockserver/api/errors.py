"""Every error answer the mock gives, as data in one place.

Errors of the API take their message from the spec's named response examples: the example
of that name in the operation's own answer for that status, else the first example of that
name anywhere in the spec, else Django REST Framework's (or the Labii docs') text, kept below.
The texts therefore live in openapi.yaml, and a changed example is followed at once. Answers
outside the API (unknown paths, other methods) are DRF's and Django's own texts, kept here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.exceptions import ApiError
from mockserver.spec.model import ApiModel, Operation

# key -> (status, example name in the spec, the text when the spec has no such example)
ERRORS: dict[str, tuple[int, str, str]] = {
    "not_authenticated": (401, "notAuthenticated", "Authentication credentials were not provided."),
    "invalid_token": (401, "invalidToken", "Invalid token."),
    "token_header_empty": (401, "noCredentials", "Invalid token header. No credentials provided."),
    "token_header_spaces": (401, "tokenHasSpaces", "Invalid token header. Token string should not contain spaces."),
    "token_header_invalid_characters": (401, "tokenHasInvalidCharacters",
                                        "Invalid token header. Token string should not contain invalid characters."),
    "permission_denied": (403, "permissionDenied", "You do not have permission to perform this action."),
    "invalid_page": (404, "invalidPage", "Invalid page."),
    "wrong_id": (406, "wrongId", "Wrong id - the provided sid is not correct"),
    "wrong_level": (406, "wrongLevel", "Wrong level - the provided level is not acceptable"),
    "wrong_serializer": (406, "wrongSerializer", "Wrong serializer - the provided serializer is not acceptable"),
    "payload_too_large": (413, "tooLarge", "Request body is larger than 2621440 bytes."),
}

# Answers outside the documented API: DRF's and Django's texts.
NOT_FOUND = "Not found."
METHOD_NOT_ALLOWED = 'Method "{method}" not allowed.'
MOVED_PERMANENTLY = "Moved permanently to {location}"
BAD_REQUEST = "Malformed request."  # what the HTTP parser refused (see protocol.py)
SERVER_ERROR = "A server error occurred."
# Failures no operation documents, answered on demand (`Prefer: code=503`, frontend/choices.py):
# 500 as the mock's own; the others as a proxy in front of the service names them.
FAILURES = {"500": SERVER_ERROR, "502": "Bad Gateway", "503": "Service Unavailable", "504": "Gateway Timeout"}

# DRF sends this with every 401 when TokenAuthentication is the first authenticator.
DEFAULT_AUTHENTICATE = "Token"


@dataclass(frozen=True)
class ErrorCatalog:
    """The error texts (and the 401 header) of one operation, resolved once at start-up."""

    messages: dict[str, tuple[int, str]]
    authenticate: str

    @classmethod
    def build(cls, model: ApiModel, operation: Operation | None = None) -> ErrorCatalog:
        everywhere = _all_examples(model)
        messages: dict[str, tuple[int, str]] = {}
        for key, (status, example, default) in ERRORS.items():
            own = _examples(model, operation, str(status)) if operation is not None else {}
            messages[key] = (status, own.get(example) or everywhere.get(example) or default)
        return cls(messages, _authenticate(model, operation))

    def error(self, key: str) -> ApiError:
        """The ApiError for a catalog key, ready to raise."""
        status, detail = self.messages[key]
        headers = {"WWW-Authenticate": self.authenticate} if status == 401 else None
        return ApiError(status, detail, headers)


def _examples(model: ApiModel, operation: Operation | None, status: str) -> dict[str, str]:
    """example name -> `detail` text, in one operation's answer for one status."""
    if operation is None or status not in operation.statuses:
        return {}
    return _details(model, model.response(operation, status))


def _all_examples(model: ApiModel) -> dict[str, str]:
    found: dict[str, str] = {}
    for operation in model.operations.values():
        for status in operation.statuses:
            for name, text in _examples(model, operation, status).items():
                found.setdefault(name, text)
    components = (model.spec.document.get("components") or {}).get("responses") or {}
    for raw in components.values():
        response = model.spec.resolve(raw)
        for name, text in _details(model, response if isinstance(response, dict) else {}).items():
            found.setdefault(name, text)
    return found


def _details(model: ApiModel, response: dict[str, object]) -> dict[str, str]:
    found: dict[str, str] = {}
    content = response.get("content")
    media = content.get("application/json") if isinstance(content, dict) else None
    examples = media.get("examples") if isinstance(media, dict) else None
    for name, raw in (examples or {}).items():
        example = model.spec.resolve(raw)
        value = example.get("value") if isinstance(example, dict) else None
        if isinstance(value, dict) and isinstance(value.get("detail"), str):
            found[str(name)] = value["detail"]
    return found


def _authenticate(model: ApiModel, operation: Operation | None) -> str:
    """The WWW-Authenticate value documented on a 401 (its const), else DRF's keyword."""
    candidates = [operation] if operation is not None else []
    candidates += list(model.operations.values())
    for candidate in candidates:
        if "401" not in candidate.statuses:
            continue
        for name, raw in (model.response(candidate, "401").get("headers") or {}).items():
            if str(name).lower() != "www-authenticate":
                continue
            header = model.spec.resolve(raw)
            schema = model.spec.resolve(header.get("schema", {})) if isinstance(header, dict) else {}
            value = schema.get("const") or (schema.get("enum") or [None])[0] if isinstance(schema, dict) else None
            if isinstance(value, str):
                return value
    return DEFAULT_AUTHENTICATE
