"""`/docs`, `/openapi.yaml` and `/openapi.json` over HTTP (the browser test drives the page itself)."""

from __future__ import annotations

import re

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from mockserver.frontend.docs import STATIC_DIR, SWAGGER_UI_VERSION
from tests.frontend_server import running
from tests.spec_validation import spec_document

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mock():
    with running() as server:
        yield server


def test_docs_page_loads_everything_from_the_mock(mock):
    page = mock.request("GET", "/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert mock.request("GET", "/docs/").text == page.text
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert references and all(reference.startswith("/") for reference in references), references
    types = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json", ".yaml": "yaml"}
    for reference in references:
        asset = mock.request("GET", reference)
        assert asset.status_code == 200, reference
        expected = next(kind for suffix, kind in types.items() if reference.endswith(suffix))
        assert expected in asset.headers["content-type"], reference
    assert mock.creds["admin_token"] in page.text and mock.creds["org_sid"] in page.text


def test_the_vendored_swagger_ui_is_complete():
    folder = STATIC_DIR / "swagger-ui"
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "README.md"):
        assert (folder / name).is_file(), name
    assert SWAGGER_UI_VERSION in (folder / "README.md").read_text()
    assert (STATIC_DIR / "swagger-initializer.js").is_file()


def test_served_spec_points_at_the_running_mock(mock):
    served = mock.request("GET", "/openapi.json").json()
    original = spec_document()
    assert {key: value for key, value in served.items() if key not in ("servers", "components", "paths")} == \
        {key: value for key, value in original.items() if key not in ("servers", "components", "paths")}
    # "Try it out" names a real organization and a real backup: the fixtures' sids come first
    parameters = served["components"]["parameters"]
    assert next(iter(parameters["OrganizationSid"]["examples"].values()))["value"] == mock.creds["org_sid"]
    detail = served["paths"]["/organizations/backup/detail/{sid}/"]["parameters"][0]
    backup_sid = next(iter(detail["examples"].values()))["value"]
    answer = mock.request("GET", f"/v1/organizations/backup/detail/{backup_sid}/", mock.admin())
    assert answer.status_code == 200 and answer.json()["sid"] == backup_sid
    for name in ("OrganizationSid",):  # the documented examples stay, after the real one
        assert set(original["components"]["parameters"][name]["examples"]) < set(parameters[name]["examples"])
    assert served["components"]["schemas"] == original["components"]["schemas"]
    assert served["servers"][0]["url"] == mock.url + "/v1"
    urls = [server["url"] for server in served["servers"]]
    assert "https://api.labii.com/v1" in urls and "http://127.0.0.1:4010/v1" not in urls
    validate(served)
    as_yaml = mock.request("GET", "/openapi.yaml")
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == served


def test_served_spec_follows_the_address_the_client_used(mock):
    port = mock.url.rsplit(":", 1)[1]
    response = httpx.get(mock.url + "/openapi.json", headers={"Host": f"localhost:{port}"})
    assert response.json()["servers"][0]["url"] == f"http://localhost:{port}/v1"
    page = httpx.get(mock.url + "/docs", headers={"Host": f"localhost:{port}"}).text
    assert f"http://localhost:{port}/v1" in page


def test_docs_do_not_shadow_the_api(mock):
    under_api = mock.request("GET", "/v1/docs")
    assert (under_api.status_code, under_api.json()) == (404, {"detail": "Not found."})
    posted = mock.request("POST", "/docs")
    assert (posted.status_code, posted.json()) == (405, {"detail": 'Method "POST" not allowed.'})
    assert set(posted.headers["allow"].split(", ")) == {"GET", "HEAD"}  # Starlette's order varies by process
