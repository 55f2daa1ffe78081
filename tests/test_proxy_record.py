"""--record: a live session through the proxy becomes fixtures that replay with the same sids and no real token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from mockserver.cli import main
from mockserver.data.fixtures import load_fixtures
from mockserver.data.records import RecordShape
from mockserver.proxy.record import Recorder
from mockserver.settings import Settings
from mockserver.spec import Spec, load_model
from tests.broken.data import ADMIN_A, ORG_A
from tests.contracts_helpers import ROOT, free_port
from tests.frontend_server import running
from tests.proxy_helpers import ADMIN, EMPTY, EMPTY_TOKEN, FOREIGN, FOREIGN_TOKEN, MEMBER, ORG, proxying
from tests.urls import detail_url, list_url, token

pytest_plugins = ["tests.contracts_servers", "tests.proxy_servers"]
pytestmark = pytest.mark.integration
REAL_TOKENS = [ADMIN, MEMBER, FOREIGN_TOKEN, EMPTY_TOKEN]
MODEL = load_model(Spec.load())


class ProxyProcess:
    """`python -m mockserver --proxy ... --record DIR`, as a user runs it, its console kept."""

    def __init__(self, upstream: str, directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "--port", str(self.port), "--no-watch", "--proxy", upstream,
             "--record", str(directory)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"})
        while True:
            try:
                httpx.get(self.url + "/__mock/violations", timeout=1)
                return
            except httpx.TransportError:
                assert self.process.poll() is None, self.process.stdout.read() if self.process.stdout else ""
                time.sleep(0.05)

    def stop(self) -> str:
        """SIGTERM, as a service manager (or Ctrl-C) stops it; its console output."""
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=60)
        return output


def session(base: str) -> list[str]:
    """What a frontend does: pages, another serializer, a detail, a Member's 403, a create, other tenants."""
    created = []
    for page in (1, 2, 3, 4):
        answer = httpx.get(base + list_url(ORG) + f"?page={page}", headers=token(ADMIN), timeout=10)
        assert answer.status_code == 200
    names = httpx.get(base + list_url(ORG, "name"), headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10).json()
    assert httpx.get(base + detail_url(names["results"][0]["sid"]), headers={"token": ADMIN}, timeout=10) \
        .status_code == 200
    assert httpx.get(base + list_url(ORG), headers=token(MEMBER), timeout=10).status_code == 403
    answer = httpx.post(base + list_url(ORG, "detail"), headers=token(ADMIN), timeout=10)
    assert answer.status_code == 200
    created.append(answer.json()["sid"])
    assert httpx.get(base + list_url(FOREIGN), headers=token(FOREIGN_TOKEN), timeout=10).status_code == 200
    assert httpx.get(base + list_url(EMPTY), headers=token(EMPTY_TOKEN), timeout=10).status_code == 200
    assert httpx.get(base + list_url(ORG), timeout=10).status_code == 401  # shows nothing
    return created


def sids(base: str, organization: str, credential: str) -> list[str]:
    page = httpx.get(base + list_url(organization, "name") + "?page_size=1000", headers=token(credential), timeout=10)
    assert page.status_code == 200, page.text
    return [item["sid"] for item in page.json()["results"]]


@pytest.fixture(scope="module")
def recorded(upstream, tmp_path_factory):
    directory = tmp_path_factory.mktemp("recording") / "staging"
    proxy = ProxyProcess(upstream.url + "/v1", directory)
    try:
        created = session(proxy.url)
    finally:
        output = proxy.stop()
    return directory, created, output


def test_the_recording_is_written_at_shutdown_and_says_how_to_replay_it(recorded):
    directory, _, output = recorded
    lines = output.splitlines()
    assert f"backup-mock: recording: 3 organization(s), 37 backup(s) and 4 generated user(s) in {directory}" in lines
    assert any(line.startswith(f"backup-mock: replay it: python -m mockserver --fixtures {directory}")
               for line in lines)
    assert sorted(path.name for path in directory.iterdir()) == [
        "backups.yaml", "organizations.yaml", "recording.yaml", "users.yaml"]  # no temporary file left


def test_no_file_holds_a_real_token(recorded):
    directory, _, output = recorded
    written = [Path(root) / name for root, _, names in os.walk(directory) for name in names]
    assert len(written) == 4
    for path in written:
        content = path.read_bytes()
        for real in REAL_TOKENS:
            assert real.encode() not in content, (path, real)
    for real in REAL_TOKENS:
        assert real not in output.split("Demo credentials")[-1].split("Options:")[-1]  # nor the request lines


def test_the_recording_is_a_checked_fixture_directory_with_generated_users(recorded):
    directory, _, _ = recorded
    fixtures = load_fixtures(directory, RecordShape(MODEL))
    organizations = fixtures.organizations
    assert list(organizations) == [ORG, FOREIGN, EMPTY]
    assert [(org.name, org.demo) for org in organizations.values()] == [
        ("Recorded organization 1", "primary"), ("Recorded organization 2", "foreign"),
        ("Recorded organization 3", "empty")]
    roles = sorted((user.name, sorted(user.roles.items())) for user in fixtures.users)
    assert roles == [("Recorded Admin 1", [(ORG, "Admin")]), ("Recorded Admin 2", [(FOREIGN, "Admin")]),
                     ("Recorded Admin 3", [(EMPTY, "Admin")]), ("Recorded Member 1", [(ORG, "Member")])]
    meta = yaml.safe_load((directory / "recording.yaml").read_text())
    assert "Organization names are generated" in meta["notes"][0] and meta["left_out"] == []


def test_the_recording_replays_with_the_same_sids(upstream, recorded):
    directory, created, _ = recorded
    done = subprocess.run([sys.executable, "-m", "mockserver", "credentials", "--json", "--fixtures", str(directory)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    demo = json.loads(done.stdout)
    assert (demo["org_sid"], demo["foreign_org_sid"], demo["empty_org_sid"]) == (ORG, FOREIGN, EMPTY)
    assert demo["admin_token"] not in REAL_TOKENS and demo["member_token"] not in REAL_TOKENS
    with running(Settings(fixtures_dir=directory)) as replay:
        replayed = sids(replay.url, ORG, demo["admin_token"])
        assert replayed == sids(upstream.url, ORG, ADMIN) and created[0] == replayed[0]
        assert sids(replay.url, FOREIGN, demo["foreign_token"]) == sids(upstream.url, FOREIGN, FOREIGN_TOKEN)
        assert sids(replay.url, EMPTY, demo["empty_token"]) == []
        detail = detail_url(replayed[3])
        assert httpx.get(replay.url + detail, headers=token(demo["admin_token"]), timeout=10).json() == \
            httpx.get(upstream.url + detail, headers=token(ADMIN), timeout=10).json()
        assert httpx.get(replay.url + list_url(ORG), headers=token(demo["member_token"]), timeout=10) \
            .status_code == 403


def test_a_previous_recording_is_extended_and_keeps_its_users(upstream, recorded, tmp_path):
    directory, _, _ = recorded
    copy = tmp_path / "again"
    copy.mkdir()
    for path in directory.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    users_before = yaml.safe_load((copy / "users.yaml").read_text())
    with proxying(upstream.url + "/v1", record_dir=copy) as proxy:
        created = httpx.post(proxy.url + list_url(ORG, "name"), headers=token(ADMIN), timeout=10).json()["sid"]
    fixtures = load_fixtures(copy, RecordShape(MODEL))
    assert created in {backup.sid for backup in fixtures.backups} and len(fixtures.backups) == 38
    assert yaml.safe_load((copy / "users.yaml").read_text()) == users_before


def test_a_directory_that_is_not_a_recording_is_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["--port", str(free_port()), "--no-watch", "--proxy", "http://127.0.0.1:9/v1",
                 "--record", str(tmp_path)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"backup-mock: --record {tmp_path}: the directory holds files that are not a recording")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_backups_the_fixture_check_refuses_are_left_out_with_the_reason(broken_server, tmp_path):
    with proxying(f"{broken_server.url}/date_with_offset--record/v1", record_dir=tmp_path / "rec") as proxy:
        answer = httpx.get(proxy.url + list_url(ORG_A) + "?page_size=3", headers=token(ADMIN_A), timeout=10)
        assert answer.status_code == 200
    meta = yaml.safe_load((tmp_path / "rec" / "recording.yaml").read_text())
    assert len(meta["left_out"]) == 3 and "date_created" in meta["left_out"][0]["why"]
    fixtures = load_fixtures(tmp_path / "rec", RecordShape(MODEL))
    assert fixtures.backups == () and list(fixtures.organizations) == [ORG_A]
    assert ADMIN_A.encode() not in b"".join(path.read_bytes() for path in (tmp_path / "rec").iterdir())


def test_what_answers_show_is_merged_by_sid(tmp_path):
    shape = RecordShape(MODEL)
    recorder = Recorder(tmp_path / "rec", MODEL, shape, "http://upstream/v1")
    list_op, detail_op = MODEL.operations["listBackups"], MODEL.operations["getBackup"]
    full = {"sid": "mrg0a40xMerged001", "name": "20240903031602.gz", "description": "Data backup on 20240903031602",
            "database_size": "38.7 MB", "date_created": "2024-09-03T03:16:43.677244Z", "change_permission": False}
    params = {"level": "organization", "sid": ORG, "serializer": "name"}
    page = {"results": [{"sid": full["sid"], "name": full["name"], "extra": 1}]}
    recorder.see(list_op, params, 200, json.dumps(page).encode())
    recorder.see(detail_op, {"sid": "only0a40xDetail01"}, 200, json.dumps({**full, "sid": "only0a40xDetail01"})
                 .encode())
    recorder.write()
    meta = yaml.safe_load((tmp_path / "rec" / "recording.yaml").read_text())
    assert {item["sid"] for item in meta["left_out"]} == {full["sid"], "only0a40xDetail01"}  # sid and name only; no org
    assert meta["undeclared_fields_dropped"] == ["extra"]
    recorder.see(detail_op, {"sid": full["sid"]}, 200, json.dumps(full).encode())  # its organization is known now
    recorder.see(list_op, {**params, "sid": "forb0a40xForbid01"}, 403, b'{"detail": "..."}')
    recorder.see(list_op, {**params, "sid": "nope0a40xNoSuch01"}, 406, b'{"detail": "Wrong id"}')
    recorder.write()
    fixtures = load_fixtures(tmp_path / "rec", shape)
    assert [(backup.sid, backup.organization) for backup in fixtures.backups] == [(full["sid"], ORG)]
    assert list(fixtures.organizations) == [ORG, "forb0a40xForbid01"]
    assert sorted(user.roles["forb0a40xForbid01"] for user in fixtures.users if "forb0a40xForbid01" in user.roles) \
        == ["Admin", "Member"]
