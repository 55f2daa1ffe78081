"""URL builders for the Backup API paths (tests only)."""

from __future__ import annotations

LIST = "/organizations/backup/list/{level}/{sid}/{serializer}/"
DETAIL = "/organizations/backup/detail/{sid}/"


def list_url(sid: str, serializer: str = "list", level: str = "organization", prefix: str = "/v1") -> str:
    return prefix + LIST.format(level=level, sid=sid, serializer=serializer)


def detail_url(sid: str, prefix: str = "/v1") -> str:
    return prefix + DETAIL.format(sid=sid)


def token(value: str) -> dict[str, str]:
    return {"Authorization": f"Token {value}"}
