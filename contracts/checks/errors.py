"""Errors: 401 without or with unknown credentials, 403 for a member, 406 for wrong parameters.

Each answer must carry the documented status and JSON body (`{"detail": ...}` with the exact
text unless --lenient-messages), 401s the WWW-Authenticate header, and the spec's order of
checks (credentials, level, sid, serializer, role, page) must hold when several are wrong.
POSTs are sent only with --allow-writes (a broken server might create on them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..context import FORMS, CredentialForm
from .base import MEMBER, Check, Recorder, expect_json, expect_json_error, expect_refused_post

if TYPE_CHECKING:
    from ..context import KitContext


def _a_backup_sid(ctx: "KitContext") -> str:
    backups = ctx.inventory()
    return str(backups[0]["sid"]) if backups else ctx.unknown_sid()


def check_no_credentials(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("notAuthenticated")
    for what, url in (("list without credentials", ctx.list_url()),
                      ("detail without credentials", ctx.detail_url(_a_backup_sid(ctx)))):
        expect_json_error(rec, ctx.get(url, {}), 401, message, what, www_authenticate=True)
    expect_refused_post(ctx, rec, ctx.list_url(serializer="detail"), {},
                        401, message, "POST without credentials", www_authenticate=True)


def check_invalid_token(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("invalidToken")
    for form in FORMS:
        headers = ctx.auth(ctx.unknown_token(), form)
        expect_json_error(rec, ctx.get(ctx.list_url(), headers), 401, message,
                          f"list with an unknown token ({form.name})", www_authenticate=True)
    headers = ctx.auth(ctx.unknown_token())
    expect_json_error(rec, ctx.get(ctx.detail_url(_a_backup_sid(ctx)), headers), 401, message,
                      "detail with an unknown token", www_authenticate=True)
    expect_refused_post(ctx, rec, ctx.list_url(serializer="detail"), headers,
                        401, message, "POST with an unknown token", www_authenticate=True)


def check_credential_forms(ctx: "KitContext", rec: Recorder) -> None:
    reference = ctx.get(ctx.list_url(), ctx.admin).json_or_none()
    token = ctx.options.token
    forms = [*FORMS, CredentialForm("Authorization: token (lower-case keyword)", "Authorization", "token ")]
    sid = _a_backup_sid(ctx) if ctx.inventory() else None
    for form in forms:
        exchange = ctx.get(ctx.list_url(), ctx.auth(token, form))
        body = expect_json(rec, exchange, f"the Admin's token as {form.name}")
        if isinstance(body, dict) and isinstance(reference, dict) and body != reference:
            rec.fail(f"the Admin's token as {form.name} gives another page than as {ctx.form.name}", exchange,
                     "the same answer whichever documented credential form carries the token")
        if sid is not None:
            expect_json(rec, ctx.get(ctx.detail_url(sid), ctx.auth(token, form)),
                        f"detail with the Admin's token as {form.name}")


def check_member_forbidden(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("permissionDenied")
    for serializer in ctx.spec.serializer_schemas:
        expect_json_error(rec, ctx.get(ctx.list_url(serializer=serializer), ctx.member), 403, message,
                          f"a Member listing (serializer={serializer})")
    backups = ctx.inventory()
    if backups:
        expect_json_error(rec, ctx.get(ctx.detail_url(str(backups[0]["sid"])), ctx.member), 403, message,
                          "a Member reading a backup of the organization")
    expect_refused_post(ctx, rec, ctx.list_url(serializer="detail"), ctx.member,
                        403, message, "a Member creating a backup")


def check_wrong_level(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("wrongLevel")
    for level in ("user", "project", "team"):
        if level in ctx.spec.levels:
            continue
        expect_json_error(rec, ctx.get(ctx.list_url(level=level), ctx.admin), 406, message, f"level={level}")
    expect_refused_post(ctx, rec, ctx.list_url(level="user", serializer="detail"), ctx.admin,
                        406, message, "POST with level=user")


def check_wrong_org(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("wrongId")
    unknown = ctx.unknown_sid()
    for serializer in ("list", "name"):
        expect_json_error(rec, ctx.get(ctx.list_url(unknown, serializer), ctx.admin), 406, message,
                          f"the list of an organization that does not exist (serializer={serializer})")
    expect_json_error(rec, ctx.get(ctx.detail_url(ctx.unknown_sid()), ctx.admin), 406, message,
                      "the detail of a backup that does not exist")
    expect_refused_post(ctx, rec, ctx.list_url(unknown, "detail"), ctx.admin,
                        406, message, "POST to an organization that does not exist")


def check_wrong_serializer(ctx: "KitContext", rec: Recorder) -> None:
    message = ctx.spec.message("wrongSerializer")
    for serializer in ("full", "xyz"):
        if serializer in ctx.spec.serializer_schemas:
            continue
        expect_json_error(rec, ctx.get(ctx.list_url(serializer=serializer), ctx.admin), 406, message,
                          f"serializer={serializer}")
    expect_refused_post(ctx, rec, ctx.list_url(serializer="xyz"), ctx.admin,
                        406, message, "POST with serializer=xyz")


def check_precedence(ctx: "KitContext", rec: Recorder) -> None:
    spec = ctx.spec
    unknown = ctx.unknown_sid()
    cases = [
        ("no credentials and level=user", ctx.list_url(level="user"), {}, 401, "notAuthenticated", True),
        ("an unknown token and level=user", ctx.list_url(level="user"), ctx.auth(ctx.unknown_token()), 401,
         "invalidToken", True),
        ("level=user, an unknown organization and serializer=xyz", ctx.list_url(unknown, "xyz", "user"),
         ctx.admin, 406, "wrongLevel", False),
        ("an unknown organization and serializer=xyz", ctx.list_url(unknown, "xyz"), ctx.admin, 406, "wrongId",
         False),
        ("serializer=xyz and page=9999", ctx.list_url(serializer="xyz", page=9999), ctx.admin, 406,
         "wrongSerializer", False),
    ]
    if ctx.options.member_token:
        cases += [
            ("a Member and an unknown organization", ctx.list_url(unknown), ctx.member, 406, "wrongId", False),
            ("a Member and serializer=xyz", ctx.list_url(serializer="xyz"), ctx.member, 406, "wrongSerializer",
             False),
            ("a Member and page=9999", ctx.list_url(page=9999), ctx.member, 403, "permissionDenied", False),
        ]
    else:
        rec.note("role-order cases need --member-token")
    for what, url, headers, status, key, www in cases:
        expect_json_error(rec, ctx.get(url, headers), status, spec.message(key),
                          f"{what} (documented order: credentials, level, sid, serializer, role, page)",
                          www_authenticate=www)


CHECKS = (
    Check("errors.no_credentials", "no credentials: 401 `Authentication credentials were not provided.` "
          "with WWW-Authenticate", check_no_credentials),
    Check("errors.invalid_token", "an unknown token, in each credential form: 401 `Invalid token.`",
          check_invalid_token),
    Check("errors.credential_forms", "the Admin's token works as Authorization: Token, Bearer and a token "
          "header", check_credential_forms),
    Check("errors.member_forbidden", "a non-Admin member: 403 `You do not have permission to perform this "
          "action.`", check_member_forbidden, (MEMBER,)),
    Check("errors.wrong_level", "a level other than organization: 406 Wrong level", check_wrong_level),
    Check("errors.wrong_org", "an organization or backup sid that names nothing: 406 Wrong id",
          check_wrong_org),
    Check("errors.wrong_serializer", "an unknown serializer: 406 Wrong serializer", check_wrong_serializer),
    Check("errors.precedence", "with several problems, the documented one wins (credentials, level, sid, "
          "serializer, role, page)", check_precedence),
)
