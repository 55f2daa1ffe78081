"""Serializers' field sets, and POST: creation, persistence, shapes and reset."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.settings import Settings
from tests.sizes import assert_grew_a_little, size
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


JSON = {"Content-Type": "application/json"}


# (extra headers, body keyword of the client): never mutated, so every serializer gets the same request
@pytest.mark.parametrize("serializer", ["name", "list", "detail"])
@pytest.mark.parametrize(
    "extra, body",
    [
        ({}, {}),
        ({}, {"json": {}}),
        ({}, {"json": {"name": "ignored.gz", "sid": "mine"}}),
        (JSON, {"content": b"{not json"}),
        ({}, {"data": {"a": "b"}}),
        ({}, {"files": {"f": ("x.txt", b"hello")}}),
    ],
    ids=["no body", "empty JSON", "JSON naming fields", "invalid JSON", "form", "multipart"],
)
def test_post_creates_one_backup_and_ignores_the_body(client, creds, serializer, extra, body):
    headers = {**token(creds["admin_token"]), **extra}
    before = client.get(list_url(creds["org_sid"]), headers=token(creds["admin_token"])).json()
    started = datetime.now(UTC)
    request = client.build_request("POST", list_url(creds["org_sid"], serializer), headers=headers, **body)
    if extra:
        assert request.headers["content-type"] == extra["Content-Type"]  # sent for every serializer
    response = client.send(request)
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


def test_size_helper_reads_the_documented_format():
    assert size("47.0 MB") == (47 * 1024**2, 1024**2 / 10)
    assert size("0.5 KB") == (512, 102.4)
    assert_grew_a_little("64.5 MB", "64.6 MB")
    assert_grew_a_little("1023.9 MB", "1.0 GB")
    for newest, created in [("64.5 MB", "64.5 MB"), ("64.5 MB", "64.4 MB"), ("64.5 MB", "66.0 MB"),
                            ("64.5 MB", "11.8 MB"), ("1.0 GB", "1023.9 MB")]:
        with pytest.raises(AssertionError):
            assert_grew_a_little(newest, created)


def test_created_sizes_grow_a_little_from_the_newest(client, creds):
    headers = token(creds["admin_token"])
    url = list_url(creds["org_sid"])
    newest = client.get(url, headers=headers).json()["results"][0]
    for _ in range(5):  # from a fixture backup, then from each created one
        created = client.post(url, headers=headers).json()
        assert_grew_a_little(newest["database_size"], created["database_size"])
        page = client.get(url, headers=headers).json()
        assert [b["sid"] for b in page["results"][:2]] == [created["sid"], newest["sid"]]
        newest = created


def test_the_first_backup_of_an_organization_has_a_documented_size(client, creds):
    headers = token(creds["empty_token"])
    first = client.post(list_url(creds["empty_org_sid"]), headers=headers).json()
    assert size(first["database_size"])[0] > 0
    second = client.post(list_url(creds["empty_org_sid"]), headers=headers).json()
    page = client.get(list_url(creds["empty_org_sid"]), headers=headers).json()
    assert [b["sid"] for b in page["results"]] == [second["sid"], first["sid"]]


def test_created_sizes_grow_where_one_decimal_is_coarse(tmp_path, creds):
    """At 1.0-3.3 of a unit, 1.5 % is less than half a shown step: the size must still grow."""
    target = tmp_path / "fixtures"
    shutil.copytree(Settings().fixtures_dir, target)
    document = yaml.safe_load((target / "backups.yaml").read_text())
    org = creds["org_sid"]
    newest = max((b for b in document["backups"] if b["organization"] == org), key=lambda b: b["date_created"])
    newest["database_size"] = "1.0 GB"
    (target / "backups.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    with TestClient(create_app(Settings(fixtures_dir=target))) as client:
        shown = client.get(list_url(org), headers=token(creds["admin_token"])).json()["results"][0]["database_size"]
        assert shown == "1.0 GB"
        for _ in range(3):
            created = client.post(list_url(org), headers=token(creds["admin_token"])).json()
            assert_grew_a_little(shown, created["database_size"])
            shown = created["database_size"]


def test_served_under_v1_and_at_the_root(client, creds):
    headers = token(creds["admin_token"])
    root = client.get(list_url(creds["org_sid"], prefix=""), headers=headers).json()
    v1 = client.get(list_url(creds["org_sid"]), headers=headers).json()
    assert root["results"] == v1["results"]
