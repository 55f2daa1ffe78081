"""Every error answer the mock gives, as data in one place.

Errors of the real API take their message from the spec's named response examples, so the
texts live in openapi.yaml only. Answers outside the API (unknown paths, other methods) are
Django REST Framework's and Django's own texts, kept here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.exceptions import ApiError, SpecError
from mockserver.spec.document import Spec

# key -> (status, components/responses entry, example name)
SPEC_ERRORS: dict[str, tuple[int, str, str]] = {
    "not_authenticated": (401, "NotAuthenticated", "notAuthenticated"),
    "invalid_token": (401, "NotAuthenticated", "invalidToken"),
    "token_header_empty": (401, "NotAuthenticated", "noCredentials"),
    "token_header_spaces": (401, "NotAuthenticated", "tokenHasSpaces"),
    "token_header_invalid_characters": (401, "NotAuthenticated", "tokenHasInvalidCharacters"),
    "permission_denied": (403, "PermissionDenied", "permissionDenied"),
    "invalid_page": (404, "InvalidPage", "invalidPage"),
    "wrong_id": (406, "NotAcceptableList", "wrongId"),
    "wrong_level": (406, "NotAcceptableList", "wrongLevel"),
    "wrong_serializer": (406, "NotAcceptableList", "wrongSerializer"),
    "payload_too_large": (413, "PayloadTooLarge", "tooLarge"),
}

# Answers outside the documented API: DRF's and Django's texts.
NOT_FOUND = "Not found."
METHOD_NOT_ALLOWED = 'Method "{method}" not allowed.'
MOVED_PERMANENTLY = "Moved permanently to {location}"
BAD_REQUEST_PATH = "Malformed request path."
BAD_REQUEST = "Malformed request."  # what the HTTP parser refused (see protocol.py)

# DRF sends this with every 401 when TokenAuthentication is the first authenticator.
AUTHENTICATE_HEADERS = {"WWW-Authenticate": "Token"}


@dataclass(frozen=True)
class ErrorCatalog:
    """The spec's error messages, resolved once at start-up."""

    messages: dict[str, tuple[int, str]]

    @classmethod
    def from_spec(cls, spec: Spec) -> "ErrorCatalog":
        messages: dict[str, tuple[int, str]] = {}
        for key, (status, response_name, example) in SPEC_ERRORS.items():
            response = spec.resolve({"$ref": f"#/components/responses/{response_name}"})
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            try:
                detail = spec.resolve(examples[example])["value"]["detail"]
            except (KeyError, TypeError):
                raise SpecError(
                    f"{spec.source}: components/responses/{response_name} lacks example {example!r}"
                ) from None
            messages[key] = (status, detail)
        return cls(messages)

    def error(self, key: str) -> ApiError:
        """The ApiError for a catalog key, ready to raise."""
        status, detail = self.messages[key]
        headers = dict(AUTHENTICATE_HEADERS) if status == 401 else None
        return ApiError(status, detail, headers)

    def detail(self, key: str) -> str:
        return self.messages[key][1]
