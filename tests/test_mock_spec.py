"""openapi.yaml: valid OpenAPI 3.1, complete, and its examples agree with its schemas."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.spec_validation import operation, resolve, spec_document, validate_schema


def test_spec_is_valid_openapi_3_1():
    document = spec_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_operations_and_parameters():
    for operation_id, names in {
        "listBackups": {"level", "sid", "serializer", "page", "page_size"},
        "createBackup": {"level", "sid", "serializer"},
        "getBackup": {"sid"},
    }.items():
        path, _, definition = operation(operation_id)
        item = resolve(spec_document()["paths"][path])
        params = {p["name"] for p in item.get("parameters", []) + definition.get("parameters", [])}
        assert params == names, operation_id


def test_documented_statuses():
    assert set(operation("listBackups")[2]["responses"]) == {"200", "401", "403", "404", "406"}
    assert set(operation("createBackup")[2]["responses"]) == {"200", "201", "401", "403", "406", "413"}
    assert set(operation("getBackup")[2]["responses"]) == {"200", "401", "403", "406"}


def test_three_credential_forms():
    schemes = spec_document()["components"]["securitySchemes"]
    assert {(s["type"], s.get("name") or s.get("scheme")) for s in schemes.values()} == {
        ("apiKey", "Authorization"), ("http", "bearer"), ("apiKey", "token"),
    }
    assert len(spec_document()["security"]) == 3  # any one of them


def test_every_example_matches_its_schema():
    checked = 0
    for operation_id in ("listBackups", "createBackup", "getBackup"):
        for response in operation(operation_id)[2]["responses"].values():
            media = response["content"]["application/json"]
            for example in media.get("examples", {}).values():
                validate_schema(media["schema"], example["value"])
                checked += 1
    assert checked >= 15


def test_post_links_to_get_backup():
    for status in ("200", "201"):
        link = operation("createBackup")[2]["responses"][status]["links"]["GetCreatedBackup"]
        assert link["operationId"] == "getBackup"
        assert link["parameters"] == {"sid": "$response.body#/sid"}


def test_documented_messages_are_examples():
    messages = set()
    for operation_id in ("listBackups", "createBackup", "getBackup"):
        for response in operation(operation_id)[2]["responses"].values():
            for example in response["content"]["application/json"].get("examples", {}).values():
                if "detail" in example["value"]:
                    messages.add(example["value"]["detail"])
    assert {
        "Authentication credentials were not provided.",
        "Invalid token.",
        "You do not have permission to perform this action.",
        "Wrong id - the provided sid is not correct",
        "Wrong level - the provided level is not acceptable",
        "Invalid page.",
    } <= messages
