"""A small, independent, correct implementation of the Backup API, with switchable bugs.

Written from openapi.yaml alone (it imports neither mockserver nor contracts): DRF-style
token authentication in three forms, the documented order of checks, PageNumberPagination,
newest-first lists, JSON error bodies. `create_app(bugs)` turns on any of the bugs in
tests/broken/bugs.py; with no bugs it must pass the contract kit.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .data import ADMIN, USERS, Backup, initial_backups

NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
NO_CREDENTIALS = "Invalid token header. No credentials provided."
TOKEN_SPACES = "Invalid token header. Token string should not contain spaces."
TOKEN_CHARACTERS = "Invalid token header. Token string should not contain invalid characters."
TOO_LARGE = "Request body is larger than 2621440 bytes."
MAX_BODY = 2_621_440
DENIED = "You do not have permission to perform this action."
WRONG_ID = "Wrong id - the provided sid is not correct"
WRONG_LEVEL = "Wrong level - the provided level is not acceptable"
WRONG_SERIALIZER = "Wrong serializer - the provided serializer is not acceptable"
INVALID_PAGE = "Invalid page."
SERIALIZERS = {"name": ("sid", "name"), "list": None, "detail": None}
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 10, 1000


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self.status, self.detail, self.headers = status, detail, headers or {}


class BackupApi:
    def __init__(self, bugs: frozenset[str] = frozenset()) -> None:
        self.bugs = bugs
        self.backups: list[Backup] = initial_backups()
        self.overrides: dict[str, dict[str, Any]] = {}  # sid -> fields shown by the detail (a bug)
        self.created = 0

    # -- plumbing -----------------------------------------------------------------------------
    def json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(body), status, headers, media_type="application/json")

    def error(self, exc: ApiError) -> Response:
        headers = dict(exc.headers)
        if exc.status == 401 and "no_www_authenticate" in self.bugs:
            headers.pop("WWW-Authenticate", None)
        if "errors_are_text" in self.bugs:
            return Response(exc.detail, exc.status, headers, media_type="text/plain")
        return self.json(exc.status, {"detail": exc.detail}, headers)

    # -- authentication (DRF TokenAuthentication, three credential forms) -------------------------
    def user(self, request: Request) -> dict[str, str]:
        header = request.headers.get("authorization")
        token, keyword = None, ""
        if header is not None:
            parts = header.split()
            keywords = {"token"} if "bearer_refused" in self.bugs else {"token", "bearer"}
            if "lowercase_keyword_refused" in self.bugs:
                keywords = {word for word in ("Token", "Bearer") if word.lower() in keywords}
            word = parts[0] if "lowercase_keyword_refused" in self.bugs else parts[0].lower() if parts else ""
            if parts and word in keywords:
                keyword = word.lower()
                if len(parts) == 1:
                    raise self.unauthorized(INVALID_TOKEN if "empty_token_says_invalid" in self.bugs
                                            else NO_CREDENTIALS, request)
                if len(parts) > 2:
                    raise self.unauthorized(TOKEN_SPACES, request)
                try:  # DRF decodes the header's bytes as UTF-8; Starlette hands them over as latin-1
                    token = parts[1].encode("latin-1").decode("utf-8")
                except UnicodeError:
                    raise self.unauthorized(TOKEN_CHARACTERS, request) from None
        if token is None and request.headers.get("token") is not None:
            token = request.headers["token"].strip()
        if token is None:
            raise self.unauthorized(NOT_AUTHENTICATED, request)
        if token not in USERS:
            missing = "invalid_token_says_missing" in self.bugs or (
                keyword == "bearer" and "bearer_unknown_says_missing" in self.bugs)
            raise self.unauthorized(NOT_AUTHENTICATED if missing else INVALID_TOKEN, request)
        return USERS[token]

    def unauthorized(self, detail: str, request: Request) -> ApiError:
        if "detail_401_without_www_authenticate" in self.bugs and "/detail/" in request.url.path:
            return ApiError(401, detail)
        return ApiError(401, detail, {"WWW-Authenticate": "Token"})

    def role(self, memberships: dict[str, str], organization: str) -> str | None:
        role = memberships.get(organization)
        if role is None and {"foreign_list_readable", "foreign_detail_readable"} & self.bugs:
            if ADMIN in memberships.values() and organization in {b.organization for b in self.backups}:
                return "Foreign"
        if role is not None and "member_is_admin" in self.bugs:
            return ADMIN
        return role

    # -- list ------------------------------------------------------------------------------------
    def check_list(self, request: Request) -> tuple[str, str]:
        memberships = self.user(request)
        level, sid, serializer = (request.path_params[key] for key in ("level", "sid", "serializer"))
        if level != "organization" and "level_ignored" not in self.bugs:
            raise ApiError(406, "Wrong level" if "wrong_level_message" in self.bugs else WRONG_LEVEL)
        if "member_foreign_list_is_403" in self.bugs and ADMIN not in memberships.values() \
                and sid in {b.organization for b in self.backups} and sid not in memberships:
            raise ApiError(403, DENIED)
        role = self.role(memberships, sid)
        if request.method == "POST" and "foreign_admin_may_create" in self.bugs and ADMIN in memberships.values() \
                and sid in {b.organization for b in self.backups}:
            role = ADMIN
        if role == "Foreign" and "foreign_list_readable" in self.bugs:
            role = ADMIN
        if role is None or role == "Foreign":
            raise ApiError(406, WRONG_ID)
        if "role_before_serializer" in self.bugs and role != ADMIN:
            raise ApiError(403, DENIED)
        if serializer not in SERIALIZERS:
            raise ApiError(406, WRONG_SERIALIZER)
        if role != ADMIN and not (request.method == "POST" and "member_may_create" in self.bugs):
            raise ApiError(403, DENIED)
        return sid, serializer

    def ordered(self, organization: str) -> list[Backup]:
        own = [backup for backup in self.backups if backup.organization == organization]
        if "ties_by_sid_descending" in self.bugs:
            own.sort(key=lambda b: b.sid, reverse=True)
            own.sort(key=lambda b: b.created, reverse=True)
        else:
            own.sort(key=lambda b: b.sid)
            own.sort(key=lambda b: b.created, reverse=True)
        return own[::-1] if "oldest_first" in self.bugs else own

    def render(self, backup: Backup, serializer: str) -> dict[str, Any]:
        fields = backup.fields()
        if "size_is_a_number" in self.bugs:
            fields["database_size"] = backup.size_mb
        if "date_with_offset" in self.bugs:
            fields["date_created"] = fields["date_created"][:-1] + "+00:00"
        if serializer == "name" and "name_gives_everything" not in self.bugs:
            return {key: fields[key] for key in ("sid", "name")}
        if serializer == "list" and "list_drops_description" in self.bugs:
            fields.pop("description")
        return issue15_fields(self.bugs, backup, fields)

    async def list(self, request: Request) -> Response:
        try:
            issue15_serializer(self.bugs, request)
            sid, serializer = self.check_list(request)
            if request.method == "POST":
                return await self.create(request, sid, serializer)
            return self.page(request, sid, serializer)
        except ApiError as exc:
            return self.error(exc)

    def page_size(self, raw: str | None) -> int:
        if raw is None or "page_size_ignored" in self.bugs:
            return DEFAULT_PAGE_SIZE
        try:
            value = int(raw)
        except ValueError:
            if "page_size_text_crashes" in self.bugs:
                raise RuntimeError("page_size is not a number") from None
            return DEFAULT_PAGE_SIZE
        if value <= 0 or (value == 1 and "page_size_floor_is_two" in self.bugs):
            return DEFAULT_PAGE_SIZE
        if value >= MAX_PAGE_SIZE and "cap_is_exclusive" in self.bugs:
            return DEFAULT_PAGE_SIZE
        return value if "page_size_uncapped" in self.bugs else min(value, MAX_PAGE_SIZE)

    def page(self, request: Request, organization: str, serializer: str) -> Response:
        backups = self.ordered(organization)
        query = request.query_params
        try:
            size = self.page_size(query.get("page_size"))
        except RuntimeError:
            return Response("Internal Server Error", 500, media_type="text/plain")
        count = len(backups)
        if "create_stale_page_count" in self.bugs and self.created:
            count_for_pages = count - self.created
        else:
            count_for_pages = count
        pages = max(1, math.ceil(count_for_pages / size))
        if "page_count_extra_at_exact_multiple" in self.bugs:
            pages = count_for_pages // size + 1
        raw = query.get("page")
        if raw == "" and "empty_page_is_invalid" in self.bugs:
            raise ApiError(404, INVALID_PAGE)
        raw = raw or "1"
        if raw == "last":
            if "last_page_unknown" in self.bugs:
                raise ApiError(404, INVALID_PAGE)
            number = count // size + 1 if "last_page_off_at_exact_multiple" in self.bugs else pages
            if number > pages:
                raise ApiError(404, INVALID_PAGE)
        else:
            try:
                number = int(raw)
            except ValueError:
                raise ApiError(404, INVALID_PAGE) from None
            past = (number - 1) * size > count if "past_end_off_by_one" in self.bugs else number > pages
            if number < 1 or (past and "past_end_empty" not in self.bugs):
                raise ApiError(404, INVALID_PAGE)
        start = (number - 1) * size
        if "overlapping_pages" in self.bugs and number > 1:
            start -= 1
        listed = backups
        if "create_not_on_later_pages" in self.bugs and number > 1:
            listed = [backup for backup in backups if not backup.sid.startswith("new0a40x")]
        rows = listed[start:start + size]
        shown_count = count + 1 if "count_off_by_one" in self.bugs else count
        shown_pages = max(1, count // size) if "page_count_floor" in self.bugs else pages
        step = 2 if "next_skips_a_page" in self.bugs else 1
        has_next = number * size <= count if "next_on_full_last_page" in self.bugs else number < pages
        body = {
            "page_size": size,
            "page_number": number,
            "page_count": shown_pages,
            "count": shown_count,
            "next": self.link(request, number + step) if has_next else None,
            "previous": self.link(request, number - 1) if number > 1 else None,
            "add_permission": "add_permission_false" not in self.bugs,
            "results": [self.render(backup, serializer) for backup in rows],
        }
        return self.json(200, body)

    def link(self, request: Request, number: int) -> str:
        """DRF's replace_query_param (remove_query_param for page 1), query sorted by key."""
        parts = urlsplit(str(request.url))
        query = parse_qs(parts.query, keep_blank_values=True)
        if "links_drop_page_size" in self.bugs:
            query.pop("page_size", None)
        if number == 1 and "previous_keeps_page_1" not in self.bugs:
            query.pop("page", None)
        else:
            query["page"] = [str(number)]
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(sorted(query.items()), doseq=True), ""))
        if "relative_links" in self.bugs:
            return urlunsplit(("", "", parts.path, urlencode(sorted(query.items()), doseq=True), ""))
        return url

    # -- create ----------------------------------------------------------------------------------
    async def create(self, request: Request, organization: str, serializer: str) -> Response:
        declared = int(request.headers.get("content-length") or 0)
        if declared > MAX_BODY and "large_body_accepted" not in self.bugs:
            raise ApiError(413, TOO_LARGE)
        await request.body()  # "No form data required": read and ignored
        latest = max((b.created for b in self.backups), default=datetime(2024, 1, 1, tzinfo=UTC))
        now = max(datetime.now(UTC), latest + timedelta(seconds=1))
        if "create_dated_in_the_past" in self.bugs:
            now = datetime(2020, 1, 1, tzinfo=UTC)
        now = issue15_created(self.bugs, self.backups, organization, now)
        self.created += 1
        backup = Backup(f"new0a40x{self.created:04d}Created", organization, now, 60.0 + self.created)
        if "create_not_stored" not in self.bugs:
            self.backups.append(backup)
        fields = backup.fields()
        if serializer == "name" and "create_name_is_short" in self.bugs:
            fields = {key: fields[key] for key in ("sid", "name")}
        return self.json(202 if "create_answers_202" in self.bugs else 200, fields)

    # -- detail ----------------------------------------------------------------------------------
    async def detail(self, request: Request) -> Response:
        try:
            sid = request.path_params["sid"]
            backup = next((b for b in self.backups if b.sid == sid), None)
            if backup is not None and "detail_without_auth" in self.bugs and not (
                    request.headers.get("authorization") or request.headers.get("token")):
                return self.json(200, self.render(backup, "detail"))
            memberships = self.user(request)
            if backup is None:
                raise ApiError(404 if "unknown_backup_404" in self.bugs else 406,
                               "Not found." if "unknown_backup_404" in self.bugs else WRONG_ID)
            role = self.role(memberships, backup.organization)
            if role == "Foreign" and "foreign_detail_readable" in self.bugs:
                role = ADMIN
            if role is None or role == "Foreign" or (role != ADMIN and "member_detail_is_406" in self.bugs):
                raise ApiError(406, WRONG_ID)
            if role != ADMIN:
                raise ApiError(403, DENIED)
            fields = self.render(backup, "detail")
            if "detail_differs" in self.bugs:
                fields["database_size"] = "1.0 MB"
            if "detail_differs_up" in self.bugs:
                fields["database_size"] = "999.9 MB"
            if "created_detail_differs" in self.bugs and backup.sid.startswith("new0a40x"):
                fields["database_size"] = "0.5 MB"
            return self.json(200, fields)
        except ApiError as exc:
            return self.error(exc)


def _other_methods(api: BackupApi, allowed: str):
    async def endpoint(request: Request) -> Response:
        if request.method == "OPTIONS":
            return api.json(200, {"name": "Backup"}, {"Allow": allowed})
        return api.json(405, {"detail": f'Method "{request.method}" not allowed.'}, {"Allow": allowed})
    return endpoint


async def not_found(request: Request, exc: Exception) -> Response:
    return Response(json.dumps({"detail": "Not found."}), 404, media_type="application/json")


def create_app(bugs: frozenset[str] = frozenset()) -> Starlette:
    api = BackupApi(bugs)
    others = ["PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
    list_path = "/v1/organizations/backup/list/{level}/{sid}/{serializer}/"
    detail_path = "/v1/organizations/backup/detail/{sid}/"
    routes = [
        Route(list_path, api.list, methods=["GET", "POST"]),
        Route(list_path, _other_methods(api, "GET, POST, HEAD, OPTIONS"), methods=others),
        Route(detail_path, api.detail, methods=["GET"]),
        Route(detail_path, _other_methods(api, "GET, HEAD, OPTIONS"), methods=[*others, "POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.state.api = api
    return app


# -- issue 15: bugs that surviving mutants of the kit showed missing (tests/mutation) --------------------
def issue15_fields(bugs: frozenset[str], backup: Backup, fields: dict[str, Any]) -> dict[str, Any]:
    """description_stamp_later: the description names the second after the name's time stamp,
    still `Data backup on <14 digits>`, so only the kit's comparison of the two stamps sees it."""
    if "description_stamp_later" in bugs and "description" in fields:
        fields["description"] = f"Data backup on {(backup.created + timedelta(seconds=1)):%Y%m%d%H%M%S}"
    return fields


def issue15_created(bugs: frozenset[str], backups: list[Backup], organization: str, now: datetime) -> datetime:
    """create_behind_newest: a new backup is dated one second before the organization's newest, so the
    list shows it second, behind an older backup, while count and read-back stay right."""
    if "create_behind_newest" not in bugs:
        return now
    return max(b.created for b in backups if b.organization == organization) - timedelta(seconds=1)


def issue15_serializer(bugs: frozenset[str], request: Request) -> None:
    """unknown_serializer_lists: a GET with a serializer the API does not know gets the list view."""
    if "unknown_serializer_lists" in bugs and request.method == "GET":
        if request.path_params["serializer"] not in SERIALIZERS:
            request.path_params["serializer"] = "list"
