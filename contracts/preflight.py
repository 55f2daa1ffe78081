"""Before judging anything: is the server there, and do the given credentials work?

Problems here are the user's to fix (exit 2), not the implementation's: no answer, a base
URL that does not lead to the API, or a documented refusal (401, 403, 406) of the tokens.
The Admin token is tried in each credential form the spec's security schemes name; the first one accepted is used
for the whole run (the credential_forms check then judges the others).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import UsageError
from .http import Exchange

if TYPE_CHECKING:
    from .context import KitContext

REFUSALS = (401, 403, 404, 406)


def _said(exchange: Exchange) -> str:
    return f"{exchange.status} {exchange.text(300)}"


def check(ctx: KitContext) -> list[str]:
    """Raise UsageError or ConnectionProblem when the run cannot be meaningful; return notes."""
    notes: list[str] = []
    redact = ctx.redact
    url = ctx.list_url()
    answers: list[tuple[str, Exchange]] = []
    forms = ctx.forms
    for form in forms:
        exchange = ctx.get(url, ctx.auth(ctx.options.token, form))
        answers.append((form.name, exchange))
        if exchange.status == 200:
            ctx.form = form
            if form is not forms[0]:
                notes.append(f"the Admin token is refused as {forms[0].name}; the run uses {form.name}")
            break
        if exchange.status not in REFUSALS:
            notes.append(f"the list answered {exchange.status} to the Admin token; the checks will say more")
            break
    else:
        first = answers[0][1]
        flag = ctx.options.flag
        hint = {
            401: f"the server does not accept {flag('token')}",
            403: f"the token's user is not an Admin of {flag('org_sid')}",
            404: f"no list at this URL: is {flag('base_url')} right (with its path prefix, such as the spec's "
                 f"{ctx.spec.prefix or '/'})?",
            406: f"{flag('org_sid')} is not an organization of the token's user (or the URL is wrong)",
        }.get(first.status or 0, "the server refuses the credentials")
        tried = "; ".join(f"{name}: {_said(exchange)}" for name, exchange in answers)
        raise UsageError(redact(f"cannot list {url} as the Admin: {hint}. Answers: {tried}"))
    if ctx.options.member_token:
        exchange = ctx.get(url, ctx.member)
        if exchange.status in (401, 404, 406):
            raise UsageError(redact(f"{ctx.options.flag('member_token')} cannot be used on {url}: "
                                    f"{_said(exchange)} (it must be a valid token of a non-Admin member of the "
                                    "organization)"))
    if ctx.options.has_foreign:
        foreign_url = ctx.list_url(ctx.options.foreign_org_sid)
        exchange = ctx.get(foreign_url, ctx.foreign)
        if exchange.status in REFUSALS:
            raise UsageError(redact(f"{ctx.options.flag('foreign_token')} cannot list {foreign_url}: "
                                    f"{_said(exchange)} (it must be an Admin token of the second organization)"))
    return [redact(note) for note in notes]
