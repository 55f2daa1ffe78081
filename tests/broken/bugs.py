"""Every deliberate bug of the reference server, and the kit checks that must catch it.

`needs` names kit options the bug needs to show (writes for the POST bugs).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bug:
    name: str
    kind: str
    description: str
    caught_by: tuple[str, ...]
    needs_writes: bool = False


BUGS = {bug.name: bug for bug in (
    # auth
    Bug("detail_without_auth", "auth", "the detail answers 200 without credentials",
        ("errors.no_credentials", "schemathesis.ignored_auth")),
    Bug("no_www_authenticate", "auth", "401s lack the WWW-Authenticate header",
        ("errors.no_credentials", "errors.invalid_token")),
    Bug("bearer_refused", "auth", "Authorization: Bearer is not accepted", ("errors.credential_forms",)),
    Bug("member_is_admin", "auth", "a non-Admin member may list and read", ("errors.member_forbidden",)),
    Bug("invalid_token_says_missing", "error bodies", "an unknown token gets the no-credentials message",
        ("errors.invalid_token",)),
    # pagination arithmetic, links, ordering
    Bug("page_count_floor", "pagination arithmetic", "page_count rounds down", ("pagination.page_fields",)),
    Bug("count_off_by_one", "pagination arithmetic", "count is one more than the backups",
        ("pagination.walk", "pagination.page_fields")),
    Bug("overlapping_pages", "pagination arithmetic", "each page after the first starts one backup early",
        ("pagination.walk",)),
    Bug("page_size_ignored", "pagination arithmetic", "page_size is ignored (always 10)",
        ("pagination.page_size",)),
    Bug("page_size_uncapped", "pagination arithmetic", "page_size is not capped at 1000",
        ("pagination.page_size",)),
    Bug("page_size_text_crashes", "pagination arithmetic", "a non-integer page_size is a 500",
        ("pagination.page_size", "schemathesis.not_a_server_error")),
    Bug("last_page_unknown", "pagination arithmetic", "page=last is 404", ("pagination.last_page",)),
    Bug("past_end_empty", "pagination arithmetic", "a page past the end is an empty 200 page",
        ("pagination.invalid_page",)),
    Bug("next_skips_a_page", "links", "next points two pages on", ("pagination.walk", "pagination.links")),
    Bug("previous_keeps_page_1", "links", "the previous link of page 2 says page=1", ("pagination.links",)),
    Bug("relative_links", "links", "next and previous are relative URLs", ("pagination.links",)),
    Bug("links_drop_page_size", "links", "next and previous forget page_size", ("pagination.links",)),
    Bug("oldest_first", "ordering", "the list is oldest first", ("pagination.walk",)),
    Bug("ties_by_sid_descending", "ordering", "backups made at the same time come by sid descending",
        ("pagination.walk",)),
    # serializers, field types and formats
    Bug("name_gives_everything", "serializers", "serializer=name gives all six fields", ("serializers.name",)),
    Bug("list_drops_description", "serializers", "serializer=list leaves out description",
        ("serializers.list", "schemathesis.response_schema_conformance")),
    Bug("size_is_a_number", "field types", "database_size is a number",
        ("serializers.list", "schemathesis.response_schema_conformance")),
    Bug("date_with_offset", "field formats", "date_created ends in +00:00 instead of Z",
        ("serializers.list", "schemathesis.response_schema_conformance")),
    Bug("add_permission_false", "serializers", "add_permission is false for an Admin",
        ("serializers.page_shape",)),
    Bug("detail_differs", "detail", "the detail shows another database_size than the list",
        ("detail.read_back",)),
    # error bodies
    Bug("wrong_level_message", "error bodies", "the wrong-level 406 has another text", ("errors.wrong_level",)),
    Bug("errors_are_text", "error bodies", "error bodies are plain text",
        ("errors.no_credentials", "schemathesis.content_type_conformance")),
    Bug("level_ignored", "error bodies", "any level is accepted",
        ("errors.wrong_level", "schemathesis.negative_data_rejection")),
    Bug("unknown_backup_404", "error bodies", "an unknown backup sid is 404, not 406",
        ("errors.wrong_org",)),
    Bug("role_before_serializer", "error bodies", "a member with a wrong serializer gets 403, not 406",
        ("errors.precedence",)),
    # tenant isolation
    Bug("foreign_list_readable", "tenant isolation", "any Admin may list any organization",
        ("isolation.foreign_list",)),
    Bug("foreign_detail_readable", "tenant isolation", "any Admin may read any backup",
        ("isolation.foreign_detail",)),
    # write persistence
    Bug("create_not_stored", "write persistence", "POST answers a backup but keeps nothing",
        ("writes.create",), needs_writes=True),
    Bug("create_dated_in_the_past", "write persistence", "a created backup is dated before all others",
        ("writes.create",), needs_writes=True),
    Bug("create_answers_202", "write persistence", "POST answers 202", ("writes.create",), needs_writes=True),
    Bug("create_name_is_short", "serializers", "POST to serializer=name answers only sid and name",
        ("writes.any_serializer",), needs_writes=True),
    # -- issue 15: bugs that surviving mutants of the kit showed missing (see BUG_FINDINGS) ---------
    Bug("description_stamp_later", "field formats", "each description names the second after the name's stamp",
        ("serializers.list",)),
    Bug("create_behind_newest", "ordering", "a created backup is dated a second before the newest, so second",
        ("writes.create",), needs_writes=True),
    Bug("unknown_serializer_lists", "error bodies", "GET with an unknown serializer answers the list view",
        ("errors.wrong_serializer",)),
)}

# issue 15: what the finding must say, where a failure of the same check for another reason would hide
# that the comparison named here is gone (tests/test_contracts_broken.py).
BUG_FINDINGS = {
    "description_stamp_later": "does not repeat the time stamp of name",
    "create_behind_newest": "after older backups",
}
