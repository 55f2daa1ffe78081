"""Serializers' field sets, and POST: creation, persistence, shapes and reset."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.spec_validation import assert_conforms
from tests.urls import detail_url, list_url, token

SIX = ["sid", "name", "description", "database_size", "date_created", "change_permission"]


@pytest.mark.parametrize("serializer, fields", [("name", ["sid", "name"]), ("list", SIX), ("detail", SIX)])
def test_serializer_field_sets(client, creds, serializer, fields):
    response = client.get(list_url(creds["org_sid"], serializer), headers=token(creds["admin_token"]))
    body = assert_conforms("listBackups", 200, response.headers, response.content)
    assert body["results"]
    for backup in body["results"]:
        assert list(backup) == fields


def test_fixture_backups_follow_the_documented_shapes(client, creds):
    body = client.get(list_url(creds["org_sid"]) + "?page_size=1000", headers=token(creds["admin_token"])).json()
    assert body["count"] >= 25
    months = set()
    for backup in body["results"]:
        stamp = backup["name"][:14]
        assert re.fullmatch(r"\d{14}\.gz", backup["name"])
        assert backup["description"] == f"Data backup on {stamp}"
        assert re.fullmatch(r"\d+\.\d (B|KB|MB|GB|TB)", backup["database_size"])
        assert backup["date_created"].endswith("Z")
        assert backup["change_permission"] is False
        months.add(backup["date_created"][:7])
    assert len(months) >= 12  # spread over realistic months


def test_detail_reads_back_every_listed_backup(client, creds):
    headers = token(creds["admin_token"])
    listed = client.get(list_url(creds["org_sid"]) + "?page_size=100", headers=headers).json()["results"]
    for backup in listed:
        response = client.get(detail_url(backup["sid"]), headers=headers)
        assert assert_conforms("getBackup", 200, response.headers, response.content) == backup


@pytest.mark.parametrize("serializer", ["name", "list", "detail"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"json": {}},
        {"json": {"name": "ignored.gz", "sid": "mine"}},
        {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        {"data": {"a": "b"}},
        {"files": {"f": ("x.txt", b"hello")}},
    ],
)
def test_post_creates_one_backup_and_ignores_the_body(client, creds, serializer, kwargs):
    headers = {**token(creds["admin_token"]), **kwargs.pop("headers", {})}
    before = client.get(list_url(creds["org_sid"]), headers=headers).json()
    started = datetime.now(timezone.utc)
    response = client.post(list_url(creds["org_sid"], serializer), headers=headers, **kwargs)
    created = assert_conforms("createBackup", response.status_code, response.headers, response.content)
    assert response.status_code == 200
    assert list(created) == SIX
    stamp = created["name"][:14]
    assert created["description"] == f"Data backup on {stamp}"
    assert created["change_permission"] is False
    assert re.fullmatch(r"[a-z0-9]{4}0a40x[A-Za-z0-9]{10}", created["sid"])
    moment = datetime.fromisoformat(created["date_created"].replace("Z", "+00:00"))
    assert abs(moment - started) < timedelta(seconds=5)
    assert stamp == moment.strftime("%Y%m%d%H%M%S")
    after = client.get(list_url(creds["org_sid"]), headers=headers).json()
    assert after["count"] == before["count"] + 1
    assert after["results"][0] == created
    assert client.get(detail_url(created["sid"]), headers=headers).json() == created


def test_created_backups_stay_until_reset(client, creds):
    headers = token(creds["admin_token"])
    count = client.get(list_url(creds["org_sid"]), headers=headers).json()["count"]
    sids = {client.post(list_url(creds["org_sid"], "detail"), headers=headers).json()["sid"] for _ in range(12)}
    assert len(sids) == 12
    listed = client.get(list_url(creds["org_sid"], "name") + "?page_size=100", headers=headers).json()
    assert listed["count"] == count + 12
    assert {b["sid"] for b in listed["results"][:12]} == sids
    other = client.get(list_url(creds["foreign_org_sid"]), headers=token(creds["foreign_token"])).json()
    assert not sids & {b["sid"] for b in other["results"]}
    response = client.post("/__mock/reset")
    assert response.status_code == 200
    assert client.get(list_url(creds["org_sid"]), headers=headers).json()["count"] == count
    assert client.get(detail_url(sids.pop()), headers=headers).status_code == 406


def test_created_sizes_grow_from_the_newest(client, creds):
    headers = token(creds["empty_token"])
    first = client.post(list_url(creds["empty_org_sid"]), headers=headers).json()
    second = client.post(list_url(creds["empty_org_sid"]), headers=headers).json()
    assert re.fullmatch(r"\d+\.\d (B|KB|MB|GB|TB)", first["database_size"])
    page = client.get(list_url(creds["empty_org_sid"]), headers=headers).json()
    assert [b["sid"] for b in page["results"]] == [second["sid"], first["sid"]]


def test_served_under_v1_and_at_the_root(client, creds):
    headers = token(creds["admin_token"])
    root = client.get(list_url(creds["org_sid"], prefix=""), headers=headers).json()
    v1 = client.get(list_url(creds["org_sid"]), headers=headers).json()
    assert root["results"] == v1["results"]
