"""The table of nasty requests and what the mock must answer to each (issue 5, "Hardening").

Each case is a raw HTTP/1.1 request, written as bytes so no client library can tidy it up,
with placeholders filled in from the demo credentials: `{org}` (the primary organization),
`{sid}` (one of its backups), `{admin}` (its Admin's token). `expect` is the documented
status (a tuple when the documentation allows more than one), `detail` the exact message
where one is documented, `operation` the operationId whose spec the answer must conform to.
What every case must also do (see test_hardening): answer within the timeout, never 5xx,
JSON body with a `detail` string on every 4xx.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

LIST = "/v1/organizations/backup/list/organization/{org}/list/"
DETAIL = "/v1/organizations/backup/detail/{sid}/"
GOOGOL = "1" + "0" * 100  # 10**100
DIGITS_10K = "9" * 10_000  # past Python's 4,300-digit int() limit: int() raises ValueError
MB = 1024 * 1024

NOT_PROVIDED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
NO_CREDENTIALS = "Invalid token header. No credentials provided."
HAS_SPACES = "Invalid token header. Token string should not contain spaces."
INVALID_CHARACTERS = "Invalid token header. Token string should not contain invalid characters."
INVALID_PAGE = "Invalid page."
WRONG_ID = "Wrong id - the provided sid is not correct"
WRONG_SERIALIZER = "Wrong serializer - the provided serializer is not acceptable"
NOT_FOUND = "Not found."
TOO_LARGE = "Request body is larger than 2621440 bytes."
BODY_LIMIT = 2_621_440  # 2.5 MiB, Django's DATA_UPLOAD_MAX_MEMORY_SIZE: the documented limit
MALFORMED = "Malformed request."
CLOSE = {"connection": "close"}  # a refused body is not read: the connection cannot be reused
LIST_ALLOW = {"allow": "GET, POST, HEAD, OPTIONS"}
CHALLENGE = {"www-authenticate": "Token"}

Body = Callable[[], Iterator[bytes]]


@dataclass(frozen=True)
class Case:
    id: str
    head: bytes  # request line and headers, without the blank line
    expect: int | tuple[int, ...]
    detail: str | None = None
    operation: str | None = None  # the answer must conform to this operation's spec
    body: Body | None = None  # streamed after the head, in chunks
    check: Callable[[dict[str, Any]], None] | None = None  # on the JSON body
    headers: dict[str, str] = field(default_factory=dict)  # expected answer headers (lower-case names)
    notes: str = field(default="", compare=False)


def request(method: str, target: str | bytes, headers: list[tuple[str, str | bytes]] | None = None,
            auth: bool = True) -> bytes:
    """A request head: `target` and header values may hold placeholders and raw bytes."""
    lines = [method.encode("ascii") + b" " + (target if isinstance(target, bytes) else target.encode()) + b" HTTP/1.1",
             b"Host: 127.0.0.1"]
    if auth:
        lines.append(b"Authorization: Token {admin}")
    for name, value in headers or []:
        lines.append(name.encode("ascii") + b": " + (value if isinstance(value, bytes) else value.encode()))
    return b"\r\n".join(lines)


def page_with(**expected: Any) -> Callable[[dict[str, Any]], None]:
    def check(body: dict[str, Any]) -> None:
        for key, value in expected.items():
            assert body[key] == value, f"{key}: {body[key]!r} != {value!r}"

    return check


def repeat(chunk: bytes, total: int) -> Body:
    def chunks() -> Iterator[bytes]:
        for _ in range(total // len(chunk)):
            yield chunk

    return chunks


def chunked(total: int, size: int = 64 * 1024) -> Body:
    def chunks() -> Iterator[bytes]:
        piece = b"%x\r\n" % size + b"x" * size + b"\r\n"
        for _ in range(total // size):
            yield piece
        yield b"0\r\n\r\n"

    return chunks


def exactly(total: int, size: int = 64 * 1024) -> Body:
    """A body of exactly `total` bytes, in pieces of at most `size`."""
    def chunks() -> Iterator[bytes]:
        for start in range(0, total, size):
            yield b"x" * min(size, total - start)

    return chunks


def chunked_exactly(total: int) -> Body:
    """`total` bytes of payload in chunked transfer coding (the framing bytes not counted)."""
    def chunks() -> Iterator[bytes]:
        for piece in exactly(total)():
            yield b"%x\r\n" % len(piece) + piece + b"\r\n"
        yield b"0\r\n\r\n"

    return chunks


def one_of(*details: str) -> Callable[[dict[str, Any]], None]:
    def check(body: dict[str, Any]) -> None:
        assert body["detail"] in details, f"{body['detail']!r} is none of {details}"

    return check


def get_list(query: str) -> bytes:
    return request("GET", LIST + "?" + query)


def _post(case_id: str, headers: list[tuple[str, str | bytes]], body: bytes, notes: str = "") -> Case:
    head = request("POST", LIST, headers + [("Content-Length", str(len(body)))])
    return Case(case_id, head, 200, operation="createBackup", body=lambda: iter([body]), notes=notes)


def _parser_400(case_id: str, head: bytes, expect: int | tuple[int, ...] = 400, notes: str = "") -> Case:
    """A request the HTTP parser itself refuses: a JSON 400 `Malformed request.` (or the 405 the
    API documents, where the parser lets the method through)."""
    method = head.split(b" ", 1)[0].decode("latin-1")
    return Case(case_id, head, expect, check=one_of(MALFORMED, f'Method "{method}" not allowed.'),
                notes=notes or "refused by the HTTP parser before the app sees it")


CASES: list[Case] = [
    # -- page: a number from 1 or "last"; anything else is 404 Invalid page. ------------------
    Case("page=10^100", get_list("page=" + GOOGOL), 404, INVALID_PAGE, "listBackups"),
    Case("page=10k digits", get_list("page=" + DIGITS_10K), 404, INVALID_PAGE, "listBackups"),
    Case("page=-1", get_list("page=-1"), 404, INVALID_PAGE, "listBackups"),
    Case("page=0", get_list("page=0"), 404, INVALID_PAGE, "listBackups"),
    Case("page=1.5", get_list("page=1.5"), 404, INVALID_PAGE, "listBackups"),
    Case("page=1e3", get_list("page=1e3"), 404, INVALID_PAGE, "listBackups"),
    Case("page=NaN", get_list("page=NaN"), 404, INVALID_PAGE, "listBackups"),
    Case("page=%00", get_list("page=%00"), 404, INVALID_PAGE, "listBackups"),
    Case("page=%FF (not UTF-8)", get_list("page=%FF"), 404, INVALID_PAGE, "listBackups"),
    Case("page= (empty means 1)", get_list("page="), 200, None, "listBackups", check=page_with(page_number=1)),
    Case("page repeated (the last wins, as Django's QueryDict)", get_list("page=1&page=2"), 200, None,
         "listBackups", check=page_with(page_number=2)),
    Case("page=last", get_list("page=last&page_size=10"), 200, None, "listBackups",
         check=lambda body: page_with(page_number=body["page_count"], next=None)(body)),
    # -- page_size: default 10, capped at 1000, anything invalid falls back to 10 (DRF) --------
    Case("page_size=10^100 (capped)", get_list("page_size=" + GOOGOL), 200, None, "listBackups",
         check=page_with(page_size=1000)),
    Case("page_size=10k digits", get_list("page_size=" + DIGITS_10K), 200, None, "listBackups",
         check=page_with(page_size=10)),
    Case("page_size=-5", get_list("page_size=-5"), 200, None, "listBackups", check=page_with(page_size=10)),
    Case("page_size=0", get_list("page_size=0"), 200, None, "listBackups", check=page_with(page_size=10)),
    Case("page_size=2.5", get_list("page_size=2.5"), 200, None, "listBackups", check=page_with(page_size=10)),
    Case("page_size= (empty)", get_list("page_size="), 200, None, "listBackups", check=page_with(page_size=10)),
    Case("page_size=%FF%FE", get_list("page_size=%FF%FE"), 200, None, "listBackups", check=page_with(page_size=10)),
    Case("page_size repeated (the last wins)", get_list("page_size=5&page_size=20"), 200, None, "listBackups",
         check=page_with(page_size=20)),
    Case("page and page_size both absurd", get_list(f"page={GOOGOL}&page_size=-{GOOGOL}"), 404, INVALID_PAGE,
         "listBackups"),
    # -- path parameters -------------------------------------------------------------------------
    Case("10 KB backup sid", request("GET", DETAIL.replace("{sid}", "a" * 10_240)), 406, WRONG_ID, "getBackup"),
    Case("10 KB organization sid", request("GET", LIST.replace("{org}", "b" * 10_240)), 406, WRONG_ID,
         "listBackups"),
    Case("10 KB serializer", request("GET", "/v1/organizations/backup/list/organization/{org}/" + "c" * 10_240 + "/"),
         406, WRONG_SERIALIZER, "listBackups"),
    Case("percent-encoded garbage sid", request("GET", "/v1/organizations/backup/detail/%FF%FE%00%C3%28/"), 406,
         WRONG_ID, "getBackup"),
    Case("invalid percent escape", request("GET", "/v1/organizations/backup/detail/%zz%/"), 406, WRONG_ID,
         "getBackup"),
    Case("encoded slash in sid", request("GET", "/v1/organizations/backup/detail/a%2Fb/"), 404, NOT_FOUND),
    Case("unicode sid", request("GET", "/v1/organizations/backup/detail/%E2%98%83%F0%9F%92%A5/"), 406, WRONG_ID,
         "getBackup"),
    _parser_400("raw non-UTF-8 bytes in the path",
                request("GET", b"/v1/organizations/backup/detail/\xff\xfe\x80/")),
    _parser_400("raw non-UTF-8 bytes in the query", request("GET", b"/v1/organizations/backup/list/organization/"
                                                                   b"{org}/list/?page=\xff")),
    # -- `..` segments: never normalised into another resource ------------------------------------
    Case("../ into the list path", request("GET", "/v1/organizations/backup/detail/../list/organization/{org}/list/"),
         404, NOT_FOUND),
    Case(".. as the sid", request("GET", "/v1/organizations/backup/detail/../"), 406, WRONG_ID, "getBackup"),
    Case("%2e%2e as the sid", request("GET", "/v1/organizations/backup/detail/%2e%2e/"), 406, WRONG_ID, "getBackup"),
    Case("/v1/../ prefix", request("GET", "/v1/../organizations/backup/list/organization/{org}/list/"), 404,
         NOT_FOUND),
    Case("..%2f escape", request("GET", "/v1/organizations/backup/detail/..%2f..%2f__mock%2freset/"), 404,
         NOT_FOUND),
    # -- Authorization ---------------------------------------------------------------------------
    Case("Authorization: no scheme", request("GET", LIST, [("Authorization", "{admin}")], auth=False), 401,
         NOT_PROVIDED, "listBackups"),
    Case("Authorization: no token", request("GET", LIST, [("Authorization", "Token")], auth=False), 401,
         NO_CREDENTIALS, "listBackups"),
    Case("Authorization: Bearer, no token", request("GET", LIST, [("Authorization", "Bearer   ")], auth=False),
         401, NO_CREDENTIALS, "listBackups"),
    Case("Authorization: unknown scheme", request("GET", LIST, [("Authorization", "Basic YWRtaW46YWRtaW4=")],
                                                  auth=False), 401, NOT_PROVIDED, "listBackups"),
    Case("Authorization: empty", request("GET", LIST, [("Authorization", "")], auth=False), 401, NOT_PROVIDED,
         "listBackups"),
    Case("Authorization: 8 KB token", request("GET", LIST, [("Authorization", "Token " + "a" * 8192)], auth=False),
         401, INVALID_TOKEN, "listBackups"),
    Case("Authorization: 8 KB without scheme", request("GET", LIST, [("Authorization", "x" * 8192)], auth=False),
         401, NOT_PROVIDED, "listBackups"),
    Case("Authorization: token with spaces", request("GET", LIST, [("Authorization", "Token {admin} extra")],
                                                     auth=False), 401, HAS_SPACES, "listBackups"),
    Case("Authorization: token not UTF-8", request("GET", LIST, [("Authorization", b"Token \xff\xfe\xfd")],
                                                   auth=False), 401, INVALID_CHARACTERS, "listBackups"),
    Case("Authorization: keyword in odd case", request("GET", LIST, [("Authorization", "tOkEn {admin}")],
                                                       auth=False), 200, None, "listBackups"),
    Case("token header: 8 KB", request("GET", LIST, [("token", "t" * 8192)], auth=False), 401, INVALID_TOKEN,
         "listBackups"),
    Case("Authorization twice, unknown first", request("GET", LIST, [("Authorization", "Token nope"),
                                                                     ("Authorization", "Token {admin}")], auth=False),
         401, None, "listBackups", check=one_of(INVALID_TOKEN, HAS_SPACES), headers=CHALLENGE,
         notes="the first header (Invalid token.) or both joined (DRF behind a WSGI server: a token with spaces)"),
    Case("detail: 8 KB token", request("GET", DETAIL, [("Authorization", "Bearer " + "z" * 8192)], auth=False),
         401, INVALID_TOKEN, "getBackup"),
    # -- bodies: POST ignores any body, refuses one over 2.5 MiB with 413 before reading it ------
    Case("POST 10 MB body, Content-Length", request("POST", LIST, [("Content-Length", str(10 * MB))]), 413,
         TOO_LARGE, "createBackup", body=repeat(b"x" * 65536, 10 * MB), headers=CLOSE),
    Case("POST declares 10 MB, sends 64 KB (not read whole)",
         request("POST", LIST, [("Content-Length", str(10 * MB))]), 413, TOO_LARGE, "createBackup",
         body=repeat(b"x" * 65536, 65536), headers=CLOSE),
    Case("POST 10 MB body, chunked", request("POST", LIST, [("Transfer-Encoding", "chunked")]), 413, TOO_LARGE,
         "createBackup", body=chunked(10 * MB), headers=CLOSE),
    # -- the limit itself: 2,621,440 bytes are accepted, one more is refused --------------------
    Case("POST body exactly at the limit, Content-Length", request("POST", LIST, [("Content-Length", str(BODY_LIMIT))]),
         200, None, "createBackup", body=exactly(BODY_LIMIT)),
    Case("POST body one byte over the limit, Content-Length",
         request("POST", LIST, [("Content-Length", str(BODY_LIMIT + 1))]), 413, TOO_LARGE, "createBackup",
         body=exactly(BODY_LIMIT + 1), headers=CLOSE),
    Case("POST body exactly at the limit, chunked", request("POST", LIST, [("Transfer-Encoding", "chunked")]), 200,
         None, "createBackup", body=chunked_exactly(BODY_LIMIT)),
    Case("POST body one byte over the limit, chunked", request("POST", LIST, [("Transfer-Encoding", "chunked")]),
         413, TOO_LARGE, "createBackup", body=chunked_exactly(BODY_LIMIT + 1), headers=CLOSE),
    _post("POST invalid JSON", [("Content-Type", "application/json")], b'{"name": "x",,}\x00'),
    _post("POST JSON that is not an object", [("Content-Type", "application/json")], b"[1, 2, 3]"),
    _post("POST form data", [("Content-Type", "application/x-www-form-urlencoded")], b"a=1&b=%FF&&=&c"),
    _post("POST broken multipart", [("Content-Type", "multipart/form-data; boundary=zzz")], b"--zzz\r\nnope"),
    _post("POST binary body", [("Content-Type", "application/octet-stream")], bytes(range(256)) * 64),
    # -- methods ---------------------------------------------------------------------------------
    *[Case(f"{method} on the list", request(method, LIST), 405, f'Method "{method}" not allowed.', headers=LIST_ALLOW)
      for method in ("PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "PURGE")],
    Case("DELETE on the detail", request("DELETE", DETAIL), 405, 'Method "DELETE" not allowed.',
         headers={"allow": "GET, HEAD, OPTIONS"}),
    Case("CONNECT to an API path", request("CONNECT", LIST), (400, 405),
         check=one_of(MALFORMED, 'Method "CONNECT" not allowed.')),
    _parser_400("unknown method token FOO", request("FOO", LIST), (400, 405),
                notes="RFC 9110 allows any token; 405 as documented, or a JSON 400 from the parser"),
    _parser_400("lower-case method get", request("get", LIST), (400, 405)),
]
