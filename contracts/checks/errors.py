"""Errors: 401 without, with unknown or with malformed credentials, 403 for a member, 406 for wrong
parameters, 413 for a body too large, and the documented order when several are wrong.

Each answer is judged by the shared rules (status documented, Error body, documented texts,
documented headers such as WWW-Authenticate on a 401); each check adds the status and the text
its situation calls for. POSTs are sent only with --allow-writes (a broken server might create
on them); a refused POST costs no write budget.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..rules import ids
from ..spec import ROLE_MESSAGES, CredentialForm, Operation
from .base import (
    MEMBER,
    WRITES,
    Check,
    Recorder,
    Skip,
    expect_error,
    expect_refused_post,
    expect_success,
    post_refusable,
)

if TYPE_CHECKING:
    from ..context import KitContext

SIZE_IN_TEXT = re.compile(r"([0-9]+) bytes")


def _a_backup_sid(ctx: KitContext) -> str:
    backups = ctx.listing()
    return str(backups[0]["sid"]) if backups else ctx.unknown_sid()


def _targets(ctx: KitContext) -> list[tuple[Operation, str, str]]:
    """(operation, URL, label) of each roled operation on the caller's own organization."""
    spec, found = ctx.spec, []
    found.append((spec.list_op, ctx.list_url(), "list"))
    detail = spec.by_role("detail")
    if detail is not None:
        found.append((detail, ctx.detail_url(_a_backup_sid(ctx)), "detail"))
    create = spec.by_role("create")
    if create is not None:
        found.append((create, ctx.create_url(), "POST"))
    return found


def _send(ctx: KitContext, rec: Recorder, operation: Operation, url: str, headers: dict[str, str],
          status: int, example: str, what: str, rule: str) -> None:
    if operation.method == "get":
        expect_error(rec, ctx.get(url, headers), status, example, what, rule)
    else:
        expect_refused_post(ctx, rec, url, headers, status, example, what, rule)


def check_no_credentials(ctx: KitContext, rec: Recorder) -> None:
    for operation, url, label in _targets(ctx):
        _send(ctx, rec, operation, url, {}, 401, "notAuthenticated", f"{label} without credentials",
              ids.access(operation.operation_id, "anonymous", "own"))


def check_invalid_token(ctx: KitContext, rec: Recorder) -> None:
    for form in ctx.forms:
        headers = ctx.auth(ctx.unknown_token(), form)
        operation = ctx.spec.list_op
        expect_error(rec, ctx.get(ctx.list_url(), headers), 401, "invalidToken",
                     f"list with an unknown token ({form.name})", ids.access(operation.operation_id, "unknown-token",
                                                                            "own"))
    headers = ctx.auth(ctx.unknown_token())
    for operation, url, label in _targets(ctx)[1:]:
        _send(ctx, rec, operation, url, headers, 401, "invalidToken", f"{label} with an unknown token",
              ids.access(operation.operation_id, "unknown-token", "own"))


def check_malformed_credentials(ctx: KitContext, rec: Recorder) -> None:
    """DRF's messages for an Authorization header with no token, a token with spaces, or bytes that are not text."""
    keyworded = [form for form in ctx.forms if form.prefix.strip()]
    if not keyworded:
        raise Skip("no credential form with a keyword (`Authorization: <keyword> <token>`) in the spec")
    cases: list[tuple[str, str | bytes, str]] = [
        ("noCredentials", "", "a keyword with nothing after it"),
        ("tokenHasSpaces", "abc def", "a token with a space in it"),
        ("tokenHasInvalidCharacters", b"\xff\xfe\xfa", "a token that is not UTF-8 text"),
    ]
    for operation, url, label in _targets(ctx):
        for example, token, what in cases:
            if example not in ctx.spec.messages:
                continue
            for form in keyworded:
                value: str | bytes
                if isinstance(token, bytes):
                    value = form.prefix.encode("latin-1") + token
                else:
                    value = form.prefix + token if token else form.prefix.strip()
                _send(ctx, rec, operation, url, {form.header: value}, 401, example,  # type: ignore[dict-item]
                      f"{label} with {form.header}: {what}", ids.message(operation.operation_id, 401, example))


def check_credential_forms(ctx: KitContext, rec: Recorder) -> None:
    token = ctx.options.token
    op = ctx.spec.list_op.operation_id
    reference = ctx.get(ctx.list_url(), ctx.admin).json_or_none()
    forms = list(ctx.forms)
    token_form = next((form for form in forms if form.prefix.strip()), None)
    if token_form is not None and token_form.prefix.strip().lower() != token_form.prefix.strip():
        # DRF matches the keyword case-insensitively (the scheme's description says so)
        forms.append(CredentialForm(f"{token_form.header}: {token_form.prefix.strip().lower()} (lower-case keyword)",
                                    token_form.header, token_form.prefix.lower(), token_form.scheme))
    detail = ctx.spec.by_role("detail")
    sid = _a_backup_sid(ctx) if ctx.listing() else None
    for form in forms:
        rule = ids.security(op, form.scheme)
        exchange = ctx.get(ctx.list_url(), ctx.auth(token, form))
        body = expect_success(rec, exchange, f"the Admin's token as {form.name}", rule)
        if isinstance(body, dict) and isinstance(reference, dict) and body != reference:
            rec.fail(f"the Admin's token as {form.name} gives another page than as {ctx.form.name}", exchange,
                     "the same answer whichever documented credential form carries the token", rule=rule,
                     field="/body", received="a different page")
        if sid is not None and detail is not None:
            expect_success(rec, ctx.get(ctx.detail_url(sid), ctx.auth(token, form)),
                           f"detail with the Admin's token as {form.name}", ids.security(detail.operation_id,
                                                                                          form.scheme))


def check_member_forbidden(ctx: KitContext, rec: Recorder) -> None:
    op = ctx.spec.list_op.operation_id
    for serializer in ctx.spec.serializers:
        expect_error(rec, ctx.get(ctx.list_url(serializer=serializer), ctx.member), 403, "permissionDenied",
                     f"a Member listing (serializer={serializer})", ids.access(op, "member", "own"))
    for operation, url, label in _targets(ctx)[1:]:
        _send(ctx, rec, operation, url, ctx.member, 403, "permissionDenied", f"a Member's {label}",
              ids.access(operation.operation_id, "member", "own"))


def _refuse_wrong_values(ctx: KitContext, rec: Recorder, role: str, valid: list[str],
                        candidates: tuple[str, ...]) -> None:
    """Values of the path parameter with `role` (level or serializer) that the spec does not allow: 406 with
    the role's documented text on the list (each value) and on the create (the first)."""
    wrong = [value for value in candidates if value not in valid]
    op = ctx.spec.list_op.operation_id
    example = ROLE_MESSAGES[role]

    def url(value: str, create: bool = False) -> str:
        level, serializer = (value, None) if role == "level" else (None, value)
        return (ctx.create_url if create else ctx.list_url)(None, serializer, level)

    for value in wrong:
        expect_error(rec, ctx.get(url(value), ctx.admin), 406, example, f"{role}={value!r}", ids.param(op, role))
    create = ctx.spec.by_role("create")
    if create is not None and wrong:
        expect_refused_post(ctx, rec, url(wrong[0], create=True), ctx.admin, 406, example,
                            f"POST with {role}={wrong[0]!r}", ids.param(create.operation_id, role))


def check_wrong_level(ctx: KitContext, rec: Recorder) -> None:
    _refuse_wrong_values(ctx, rec, "level", ctx.spec.levels, ("user", "project", "Organization", " "))


def check_wrong_org(ctx: KitContext, rec: Recorder) -> None:
    unknown = ctx.unknown_sid()
    op = ctx.spec.list_op.operation_id
    for serializer in ctx.spec.serializers:
        expect_error(rec, ctx.get(ctx.list_url(unknown, serializer), ctx.admin), 406, "wrongId",
                     f"the list of an organization that does not exist (serializer={serializer})",
                     ids.param(op, "organization"))
    detail = ctx.spec.by_role("detail")
    if detail is not None:
        expect_error(rec, ctx.get(ctx.detail_url(ctx.unknown_sid()), ctx.admin), 406, "wrongId",
                     "the detail of a backup that does not exist", ids.param(detail.operation_id, "backup"))
    create = ctx.spec.by_role("create")
    if create is not None:
        expect_refused_post(ctx, rec, ctx.create_url(unknown), ctx.admin, 406, "wrongId",
                            "POST to an organization that does not exist", ids.param(create.operation_id,
                                                                                     "organization"))


def check_wrong_serializer(ctx: KitContext, rec: Recorder) -> None:
    known = list(ctx.spec.serializers)
    _refuse_wrong_values(ctx, rec, "serializer", known, ("xyz", "full", *(name.upper() for name in known)))


def check_precedence(ctx: KitContext, rec: Recorder) -> None:
    unknown = ctx.unknown_sid()
    rule = ids.behaviour(ctx.spec.list_op.operation_id, "precedence")
    cases = [
        ("no credentials and level=user", ctx.list_url(level="user"), {}, 401, "notAuthenticated"),
        ("an unknown token and level=user", ctx.list_url(level="user"), ctx.auth(ctx.unknown_token()), 401,
         "invalidToken"),
        ("level=user, an unknown organization and serializer=xyz", ctx.list_url(unknown, "xyz", "user"),
         ctx.admin, 406, "wrongLevel"),
        ("an unknown organization and serializer=xyz", ctx.list_url(unknown, "xyz"), ctx.admin, 406, "wrongId"),
        ("serializer=xyz and page=9999", ctx.list_url(serializer="xyz", page=9999), ctx.admin, 406,
         "wrongSerializer"),
    ]
    if ctx.options.member_token:
        cases += [
            ("a Member and an unknown organization", ctx.list_url(unknown), ctx.member, 406, "wrongId"),
            ("a Member and serializer=xyz", ctx.list_url(serializer="xyz"), ctx.member, 406, "wrongSerializer"),
            ("a Member and page=9999", ctx.list_url(page=9999), ctx.member, 403, "permissionDenied"),
        ]
    else:
        rec.note("role-order cases need --member-token")
    for what, url, headers, status, example in cases:
        expect_error(rec, ctx.get(url, headers), status, example,
                     f"{what} (documented order: credentials, level, sid, serializer, role, page)", rule)


def check_body_too_large(ctx: KitContext, rec: Recorder) -> None:
    create = ctx.spec.by_role("create")
    if create is None or 413 not in create.statuses():
        raise Skip("the spec documents no 413 for the create operation")
    stated = SIZE_IN_TEXT.search(ctx.spec.message("tooLarge"))  # "Request body is larger than 2621440 bytes."
    if stated is None:
        raise Skip("the 413 example states no size in bytes")
    limit = int(stated.group(1))
    exchange = post_refusable(ctx, rec, ctx.create_url(), ctx.admin, b"{" + b" " * limit + b"}",
                              "application/json")
    if exchange is None:
        return
    if exchange.status == 413 and exchange.json_or_none() is None:
        rec.note("413 without the API's JSON body: answered by a proxy in front of the service, not judged")
        return
    expect_error(rec, exchange, 413, "tooLarge", f"POST with a body of {limit + 2} bytes",
                 ids.response(create.operation_id, 413))


CHECKS = (
    Check("errors.no_credentials", "no credentials: 401 `Authentication credentials were not provided.` "
          "with WWW-Authenticate, on every operation", check_no_credentials,
          covers=("{roled}.401", "{roled}.401.message", "{roled}.401.message.notAuthenticated", "{roled}.401.header.*",
                  "{roled}.access.anonymous.own", "schema.{error}", "schema.{error}.*")),
    Check("errors.invalid_token", "an unknown token, in each credential form: 401 `Invalid token.`",
          check_invalid_token, covers=("{roled}.401.message.invalidToken", "{roled}.access.unknown-token.own")),
    Check("errors.malformed_credentials", "a keyword without a token, a token with spaces or not text: DRF's 401 "
          "texts", check_malformed_credentials,
          covers=("{roled}.401.message.noCredentials", "{roled}.401.message.tokenHasSpaces",
                  "{roled}.401.message.tokenHasInvalidCharacters")),
    Check("errors.credential_forms", "the Admin's token works in every credential form the spec's security "
          "schemes name", check_credential_forms, covers=("{list}.security.*", "{detail}.security.*")),
    Check("errors.member_forbidden", "a non-Admin member: 403 `You do not have permission to perform this "
          "action.`", check_member_forbidden, (MEMBER,),
          covers=("{roled}.403", "{roled}.403.message", "{roled}.403.message.*", "{roled}.access.member.own")),
    Check("errors.wrong_level", "a level other than the documented ones: 406 Wrong level", check_wrong_level,
          covers=("{roled}.param.level", "{roled}.406", "{roled}.406.message", "{roled}.406.message.wrongLevel")),
    Check("errors.wrong_org", "an organization or backup sid that names nothing: 406 Wrong id", check_wrong_org,
          covers=("{roled}.param.organization", "{roled}.param.backup", "{roled}.406.message.wrongId",
                  "{roled}.access.admin.unknown")),
    Check("errors.wrong_serializer", "an unknown serializer: 406 Wrong serializer", check_wrong_serializer,
          covers=("{roled}.param.serializer", "{roled}.406.message.wrongSerializer")),
    Check("errors.precedence", "with several problems, the documented one wins (credentials, level, sid, "
          "serializer, role, page)", check_precedence, covers=("{list}.precedence",)),
    Check("errors.body_too_large", "a body over the documented size: 413 with the documented text",
          check_body_too_large, (WRITES,), covers=("{create}.413", "{create}.413.message", "{create}.413.message.*")),
)
