"""Every error path of the mock, with its exact status, body and headers."""

from __future__ import annotations

import copy

import pytest
from starlette.testclient import TestClient

from mockserver.api.auth import Forms
from mockserver.app import create_app
from mockserver.exceptions import ApiError, SpecError
from mockserver.settings import Settings
from mockserver.spec.model import CredentialForm
from tests.spec_validation import SPEC_PATH, assert_conforms, mutated
from tests.urls import detail_url, list_url, token

NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
INVALID_TOKEN = {"detail": "Invalid token."}
WRONG_ID = {"detail": "Wrong id - the provided sid is not correct"}
WRONG_LEVEL = {"detail": "Wrong level - the provided level is not acceptable"}
WRONG_SERIALIZER = {"detail": "Wrong serializer - the provided serializer is not acceptable"}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "headers, body",
    [
        ({}, NOT_PROVIDED),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, NOT_PROVIDED),  # not DRF's keyword: no credentials
        ({"Authorization": ""}, NOT_PROVIDED),
        ({"token": ""}, NOT_PROVIDED),
        ({"Authorization": "Token nope"}, INVALID_TOKEN),
        ({"Authorization": "Bearer nope"}, INVALID_TOKEN),
        ({"token": "nope"}, INVALID_TOKEN),
        ({"Authorization": "Token"}, {"detail": "Invalid token header. No credentials provided."}),
        ({"Authorization": "Token a b"}, {"detail": "Invalid token header. Token string should not contain spaces."}),
    ],
)
def test_list_401(client, creds, method, headers, body):
    response = client.request(method, list_url(creds["org_sid"]), headers=headers)
    assert response.status_code == 401
    assert response.json() == body
    assert response.headers["WWW-Authenticate"] == "Token"
    assert_conforms("listBackups" if method == "GET" else "createBackup", 401, response.headers, response.content)


def test_only_the_first_authorization_header_counts(client, creds):
    """Django keeps one value per header name: the first here (DRF behind a WSGI server may see both
    joined, a token with spaces); never the second, valid one."""
    url = list_url(creds["org_sid"])
    twice = [("Authorization", "Token nope"), ("Authorization", f"Token {creds['admin_token']}")]
    response = client.get(url, headers=twice)
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN)
    elsewhere = [("X-Note", f"Token {creds['admin_token']}")]  # a token in another header is no credential
    response = client.get(url, headers=elsewhere)
    assert (response.status_code, response.json()) == (401, NOT_PROVIDED)


def test_a_token_in_the_query_is_no_credential_when_no_scheme_declares_one(client, creds):
    """The spec declares a keyword (`Token`, `Bearer`) and a `token` header, no query parameter: a
    token under any of those names in the query authenticates nobody."""
    for name in ("token", "Token", "Bearer", "Authorization", "api_key"):
        response = client.get(list_url(creds["org_sid"]) + f"?{name}={creds['admin_token']}")
        assert (response.status_code, response.json()) == (401, NOT_PROVIDED), name
        assert response.headers["WWW-Authenticate"] == "Token"


def test_each_credential_form_is_read_from_its_own_place():
    """Forms sorts the spec's forms by kind: a keyword is never a header or a query name, and so on."""
    forms = Forms.of([CredentialForm("a", "keyword", "Token"), CredentialForm("b", "header", "X-Api-Key"),
                      CredentialForm("c", "query", "api_key"), CredentialForm("d", "keyword", "Bearer")])
    assert forms == Forms(frozenset({b"token", b"bearer"}), (b"x-api-key",), ("api_key",))


def test_keyword_is_case_insensitive(client, creds):
    for keyword in ("token", "TOKEN", "bearer", "BEARER"):
        headers = {"Authorization": f"{keyword} {creds['admin_token']}"}
        response = client.get(list_url(creds["org_sid"]), headers=headers)
        assert response.status_code == 200, keyword


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_list_406_and_403(client, creds, method):
    admin, member = token(creds["admin_token"]), token(creds["member_token"])
    org, foreign = creds["org_sid"], creds["foreign_org_sid"]
    operation = "listBackups" if method == "GET" else "createBackup"
    cases = [
        (list_url(org, level="user"), admin, 406, WRONG_LEVEL),
        (list_url(org, level="project"), admin, 406, WRONG_LEVEL),
        (list_url("doesnotexist0a40x"), admin, 406, WRONG_ID),
        (list_url(foreign), admin, 406, WRONG_ID),  # an organization the caller is not in
        (list_url(org, serializer="everything"), admin, 406, WRONG_SERIALIZER),
        (list_url(org), member, 403, FORBIDDEN),
        # order: credentials, level, sid, serializer, role
        (list_url("doesnotexist", level="user"), {}, 401, NOT_PROVIDED),
        (list_url("doesnotexist", level="user", serializer="x"), admin, 406, WRONG_LEVEL),
        (list_url("doesnotexist", serializer="x"), admin, 406, WRONG_ID),
        (list_url(org, serializer="x"), member, 406, WRONG_SERIALIZER),
        (list_url(foreign), member, 406, WRONG_ID),
    ]
    for url, headers, status, body in cases:
        response = client.request(method, url, headers=headers)
        assert (response.status_code, response.json()) == (status, body), url
        assert_conforms(operation, status, response.headers, response.content)


def test_member_who_is_admin_elsewhere_is_403_here(client, creds):
    partner = "e0f4aa8ef00b0d8d4d4a3bb8b3b2e5ef2fa3dcb6"  # not a fixture token: must be 401
    unknown = client.get(list_url(creds["org_sid"]), headers=token(partner))
    assert (unknown.status_code, unknown.json()) == (401, INVALID_TOKEN)
    users = client.app.state.mock.fixtures.users
    both = next(user for user in users if len(user.roles) == 2)
    response = client.get(list_url(creds["org_sid"]), headers=token(both.token))
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    response = client.get(list_url(creds["foreign_org_sid"]), headers=token(both.token))
    assert response.status_code == 200


def test_detail_errors(client, creds):
    admin, member, foreign = token(creds["admin_token"]), token(creds["member_token"]), token(creds["foreign_token"])
    first = client.get(list_url(creds["org_sid"]), headers=admin).json()["results"][0]["sid"]
    cases = [
        (detail_url(first), {}, 401, NOT_PROVIDED),
        (detail_url(first), token("nope"), 401, INVALID_TOKEN),
        (detail_url("unknown0a40xAAAAAAAAAA"), admin, 406, WRONG_ID),
        (detail_url(first), foreign, 406, WRONG_ID),
        (detail_url(first), member, 403, FORBIDDEN),
    ]
    for url, headers, status, body in cases:
        response = client.get(url, headers=headers)
        assert (response.status_code, response.json()) == (status, body), (url, headers)
        assert_conforms("getBackup", status, response.headers, response.content)


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.0", "1.5", "99", "lastt", "10" * 60])
def test_invalid_page_is_404(client, creds, raw):
    response = client.get(list_url(creds["org_sid"]), params={"page": raw}, headers=token(creds["admin_token"]))
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})
    assert_conforms("listBackups", 404, response.headers, response.content)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE"])
def test_other_methods_are_405(client, creds, method):
    admin = token(creds["admin_token"])
    for url, allow in [
        (list_url(creds["org_sid"]), "GET, POST, HEAD, OPTIONS"),
        (detail_url("anything"), "GET, HEAD, OPTIONS"),
    ]:
        response = client.request(method, url, headers=admin)
        assert response.status_code == 405
        assert response.json() == {"detail": f'Method "{method}" not allowed.'}
        assert response.headers["Allow"] == allow


METADATA_PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]


def test_options_is_drf_metadata(client, creds):
    admin = token(creds["admin_token"])
    for url, name, allow in [
        (list_url(creds["org_sid"]), "Backup List", "GET, POST, HEAD, OPTIONS"),
        (detail_url("anything"), "Backup Detail", "GET, HEAD, OPTIONS"),
    ]:
        response = client.options(url, headers=admin)
        assert response.status_code == 200
        assert response.headers["Allow"] == allow
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"name": name, "description": "", "renders": ["application/json"],
                                   "parses": METADATA_PARSES}


@pytest.mark.parametrize("headers, body", [({}, NOT_PROVIDED), ({"Authorization": "Token nope"}, INVALID_TOKEN)])
def test_options_authenticates_like_drf(client, creds, headers, body):
    for url in (list_url(creds["org_sid"]), detail_url("anything")):
        response = client.options(url, headers=headers)
        assert (response.status_code, response.json()) == (401, body), url
        assert response.headers["WWW-Authenticate"] == "Token"
        assert response.headers["content-type"] == "application/json"
        assert "Allow" not in response.headers


def without_date(headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() != "date"}


def test_head_is_get_without_body(client, creds):
    """HEAD answers what GET answers (status, headers, checks), without a body (Django's HEAD)."""
    admin, member = token(creds["admin_token"]), token(creds["member_token"])
    first = client.get(list_url(creds["org_sid"]), headers=admin).json()["results"][0]["sid"]
    for url, headers, status in [
        (list_url(creds["org_sid"]), admin, 200),
        (detail_url(first), admin, 200),
        (list_url(creds["org_sid"]), {}, 401),
        (detail_url(first), {}, 401),
        (list_url(creds["org_sid"]), member, 403),
        (detail_url(first), member, 403),
        (list_url(creds["org_sid"], level="user"), admin, 406),
    ]:
        got = client.get(url, headers=headers)
        head = client.head(url, headers=headers)
        assert (head.status_code, got.status_code) == (status, status), url
        assert head.content == b""
        assert without_date(head.headers) == without_date(got.headers), url
        assert head.headers["content-length"] == str(len(got.content))
        if status == 401:
            assert head.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "path", ["/", "/v1/", "/nothing/here/", "/v1/organizations/backup/", "/v2/organizations/backup/detail/x/"])
def test_unknown_paths_are_404(client, path):
    response = client.get(path)
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_missing_trailing_slash_redirects(client, creds):
    url = list_url(creds["org_sid"]).rstrip("/")
    response = client.get(url + "?page=2", headers=token(creds["admin_token"]), follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == f"http://testserver{url}/?page=2"
    assert response.headers["content-type"] == "application/json"
    followed = client.get(url + "?page=2", headers=token(creds["admin_token"]))
    assert followed.status_code == 200
    assert followed.json()["page_number"] == 2


def _spec_with_invalid_token_example(tmp_path, example):
    """A copy of openapi.yaml whose `invalidToken` example is `example` (None: no such example)."""
    def change(document):
        examples = document["components"]["responses"]["NotAuthenticated"]["content"]["application/json"]["examples"]
        if example is None:
            del examples["invalidToken"]
        else:
            examples["invalidToken"] = example

    return mutated(tmp_path, change)


@pytest.mark.parametrize("example, served", [
    ({"value": {"detail": "This token is unknown here."}}, "This token is unknown here."),  # the spec's text
    (None, "Invalid token."),  # no such example: DRF's own text
])
def test_error_texts_come_from_the_spec_examples(tmp_path, creds, example, served):
    app = create_app(Settings(spec_path=_spec_with_invalid_token_example(tmp_path, example)))
    with TestClient(app) as client:
        response = client.get(list_url(creds["org_sid"]), headers=token("nope"))
    assert (response.status_code, response.json()) == (401, {"detail": served})
    assert response.headers["WWW-Authenticate"] == "Token"


def test_an_error_example_that_is_not_an_error_body_stops_the_mock(tmp_path):
    with pytest.raises(SpecError, match="invalidToken"):
        create_app(Settings(spec_path=_spec_with_invalid_token_example(tmp_path, {"value": "Invalid token."})))


@pytest.mark.parametrize("headers, served", [
    # another documented header before it, with a const of its own: only WWW-Authenticate's counts
    ({"Link": {"schema": {"type": "string", "const": "not-this"}},
      "X-Request-Id": {"schema": {"type": "string", "const": "nor-this"}},
      "www-authenticate": {"required": True, "schema": {"type": "string", "const": 'Token realm="labii"'}}},
     'Token realm="labii"'),
    ({"WWW-Authenticate": {"required": True, "schema": {"type": "string", "enum": ["Bearer", "Token"]}}}, "Bearer"),
    ({}, "Token"),  # none documented: DRF's keyword
])
def test_the_401_header_is_the_one_the_spec_documents(tmp_path, creds, headers, served):
    def change(document):
        document["components"]["responses"]["NotAuthenticated"]["headers"] = headers

    with TestClient(create_app(Settings(spec_path=mutated(tmp_path, change)))) as client:
        for sent in ({}, token("nope")):
            response = client.get(list_url(creds["org_sid"]), headers=sent)
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"] == served


@pytest.mark.parametrize("list_has_its_own", [True, False])
def test_an_operations_own_error_example_comes_before_the_others(tmp_path, creds, list_has_its_own):
    """getBackup documents its own `wrongId` text inline: the detail answers it. The list answers
    its own (the spec's usual text) when it documents one, else the first found elsewhere."""
    def change(document):
        responses = document["components"]["responses"]
        for name in ("NotAcceptableList", "NotAcceptableDetail"):
            if name == "NotAcceptableDetail" or not list_has_its_own:
                responses[name]["content"]["application/json"]["examples"].pop("wrongId", None)
        detail = next(item["get"] for item in document["paths"].values()
                      if item.get("get", {}).get("operationId") == "getBackup")
        own = copy.deepcopy(responses["NotAcceptableDetail"])
        own["content"]["application/json"]["examples"] = {"wrongId": {"value": {"detail": "No backup has this sid."}}}
        detail["responses"]["406"] = own

    with TestClient(create_app(Settings(spec_path=mutated(tmp_path, change)))) as client:
        admin = token(creds["admin_token"])
        response = client.get(detail_url("nosuchsid0a40x00000"), headers=admin)
        assert (response.status_code, response.json()) == (406, {"detail": "No backup has this sid."})
        response = client.get(list_url("nosuchorg0a40x00000"), headers=admin)
        listed = WRONG_ID if list_has_its_own else {"detail": "No backup has this sid."}
        assert (response.status_code, response.json()) == (406, listed)


def test_an_error_example_of_an_unreferenced_component_response_counts(tmp_path, creds):
    """`components/responses` are searched too, even one no operation refers to."""
    def change(document):
        responses = document["components"]["responses"]
        for name in ("NotAcceptableList", "NotAcceptableDetail"):
            responses[name]["content"]["application/json"]["examples"].pop("wrongId", None)
        extra = copy.deepcopy(responses["NotAcceptableDetail"])
        extra["content"]["application/json"]["examples"] = {"wrongId": {"value": {"detail": "From a component."}}}
        responses["UnusedWrongId"] = extra

    with TestClient(create_app(Settings(spec_path=mutated(tmp_path, change)))) as client:
        response = client.get(detail_url("nosuchsid0a40x00000"), headers=token(creds["admin_token"]))
    assert (response.status_code, response.json()) == (406, {"detail": "From a component."})


def test_the_401_header_of_an_operation_without_a_401_is_found_on_the_others(tmp_path, creds):
    """An operation that documents no 401 is skipped, not the end of the search."""
    def change(document):
        responses = document["components"]["responses"]
        responses["NotAuthenticated"]["headers"] = {
            "WWW-Authenticate": {"required": True, "schema": {"type": "string", "const": "Bearer"}}}
        first = next(iter(document["paths"].values()))
        first[next(method for method in first if method in ("get", "post"))]["responses"].pop("401")

    with TestClient(create_app(Settings(spec_path=mutated(tmp_path, change)))) as client:
        for url in (list_url(creds["org_sid"]), detail_url("nosuchsid0a40x00000")):  # the list lost its 401
            response = client.get(url)
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"] == "Bearer"


def _authenticator(forms):
    from mockserver.api.auth import Authenticator
    from mockserver.api.errors import ErrorCatalog
    from mockserver.data.models import User
    from mockserver.spec.checks import load_model
    from mockserver.spec.document import Spec

    user = User(name="ada", token="a" * 40, roles={})
    return Authenticator([user]), Forms.of(forms), ErrorCatalog.build(load_model(Spec.load(SPEC_PATH))), user


def test_a_query_parameter_form_carries_a_token_only_under_its_own_name():
    auth, forms, errors, user = _authenticator([CredentialForm("k", "keyword", "Token"),
                                                CredentialForm("q", "query", "api_key")])
    assert auth.authenticate([], forms, errors, b"page=2&api_key=" + b"a" * 40) is user
    for query in (b"page=2&token=" + b"a" * 40, b"api_key=&page=" + b"a" * 40, b"api_key=%20"):
        with pytest.raises(ApiError) as refused:
            auth.authenticate([], forms, errors, query)
        assert refused.value.detail == NOT_PROVIDED["detail"], query
    with pytest.raises(ApiError) as refused:
        auth.authenticate([], forms, errors, b"api_key=" + b"b" * 40)
    assert refused.value.detail == INVALID_TOKEN["detail"]
    assert auth.identify([], forms, errors, b"api_key=" + b"b" * 40) is None  # the journal's question: no one
    without_query = Forms.of([CredentialForm("k", "keyword", "Token")])
    with pytest.raises(ApiError):
        auth.authenticate([], without_query, errors, b"api_key=" + b"a" * 40)


def test_a_header_form_takes_the_first_of_its_headers_and_no_other_header():
    auth, forms, errors, user = _authenticator([CredentialForm("h", "header", "X-Api-Key")])
    good, bad = b"a" * 40, b"b" * 40
    assert auth.authenticate([(b"x-api-key", good), (b"x-api-key", bad)], forms, errors) is user
    with pytest.raises(ApiError) as refused:
        auth.authenticate([(b"x-api-key", bad), (b"x-api-key", good)], forms, errors)
    assert refused.value.detail == INVALID_TOKEN["detail"]
    with pytest.raises(ApiError) as refused:
        auth.authenticate([(b"x-other", good)], forms, errors)
    assert refused.value.detail == NOT_PROVIDED["detail"]
