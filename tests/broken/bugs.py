"""Every deliberate bug of the reference server, and the kit checks that must catch it.

`caught_by[0]` is the check that must hold the bug's root finding (the one naming it best); the
others must fail too (often with the root's consequences). `needs_writes`: the bug shows only
with --allow-writes. The boundary bugs misbehave only at an edge: an exact multiple of the page
size, the cap, the smallest size, an empty value, one operation, one caller, one credential form.
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
    Bug("name_gives_everything", "serializers", "serializer=name gives all six fields", ("serializers.fields",)),
    Bug("list_drops_description", "serializers", "serializer=list leaves out description",
        ("serializers.fields", "schemathesis.response_schema_conformance")),
    Bug("size_is_a_number", "field types", "database_size is a number",
        ("serializers.fields", "schemathesis.response_schema_conformance")),
    Bug("date_with_offset", "field formats", "date_created ends in +00:00 instead of Z",
        ("serializers.fields", "schemathesis.response_schema_conformance")),
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
    # boundaries: an exact multiple of the page size, the cap, the smallest size, empty values
    Bug("page_count_extra_at_exact_multiple", "pagination boundaries",
        "page_count is count // page_size + 1: one page too many when count is an exact multiple",
        ("pagination.page_fields", "pagination.walk")),
    Bug("next_on_full_last_page", "pagination boundaries", "a full last page still has a next link",
        ("pagination.page_fields",)),
    Bug("last_page_off_at_exact_multiple", "pagination boundaries",
        "page=last is count // page_size + 1: a 404 when count is an exact multiple", ("pagination.last_page",)),
    Bug("past_end_off_by_one", "pagination boundaries",
        "the page right after a full last page is an empty 200, not 404", ("pagination.invalid_page",)),
    Bug("cap_is_exclusive", "pagination boundaries", "page_size equal to the cap falls back to the default",
        ("pagination.page_size",)),
    Bug("page_size_floor_is_two", "pagination boundaries", "page_size=1 falls back to the default",
        ("pagination.page_size",)),
    Bug("empty_page_is_invalid", "pagination boundaries", "an empty page= is 404, not the first page",
        ("pagination.invalid_page",)),
    # boundaries: one operation, one caller, one credential form, one documented text
    Bug("detail_401_without_www_authenticate", "auth boundaries", "only the detail's 401s lack WWW-Authenticate",
        ("errors.no_credentials",)),
    Bug("bearer_unknown_says_missing", "auth boundaries",
        "an unknown token as Bearer gets the no-credentials text", ("errors.invalid_token",)),
    Bug("lowercase_keyword_refused", "auth boundaries", "`Authorization: token ...` (lower-case keyword) is refused",
        ("errors.credential_forms",)),
    Bug("empty_token_says_invalid", "auth boundaries", "`Authorization: Token` with nothing after it gets "
        "`Invalid token.` instead of DRF's text", ("errors.malformed_credentials",)),
    Bug("member_foreign_list_is_403", "access boundaries",
        "a member of one organization gets 403 on another organization (406 expected)", ("access.matrix",)),
    Bug("member_detail_is_406", "access boundaries", "a member reading its organization's backup gets 406, not 403",
        ("errors.member_forbidden", "access.matrix")),
    Bug("member_may_create", "access boundaries", "a non-Admin member may POST",
        ("errors.member_forbidden", "access.matrix"), needs_writes=True),
    Bug("foreign_admin_may_create", "access boundaries", "the Admin of one organization may POST to another",
        ("isolation.foreign_list", "access.matrix"), needs_writes=True),
    Bug("large_body_accepted", "error bodies", "a body over 2.5 MiB is accepted (no 413)",
        ("errors.body_too_large",), needs_writes=True),
    # boundaries: the effect of a create on every page
    Bug("create_stale_page_count", "write persistence", "after a create, page_count ignores the new backup",
        ("writes.create",), needs_writes=True),
    Bug("create_not_on_later_pages", "write persistence", "after a create, pages after the first are not shifted",
        ("writes.create",), needs_writes=True),
    # -- issue 15: bugs that surviving mutants of the kit showed missing (see BUG_FINDINGS) ---------
    Bug("description_stamp_later", "field formats", "each description names the second after the name's stamp",
        ("serializers.fields",)),
    Bug("create_behind_newest", "ordering", "a created backup is dated a second before the newest, so second",
        ("writes.create",), needs_writes=True),
    Bug("unknown_serializer_lists", "error bodies", "GET with an unknown serializer answers the list view",
        ("errors.wrong_serializer",)),
    # the survivors of the second mutation run: a detail that differs upwards (`!=` read as `<` caught
    # only the downward detail_differs), and one that only following the create's link can see
    Bug("detail_differs_up", "detail", "the detail shows a larger database_size than the list",
        ("detail.read_back",)),
    Bug("created_detail_differs", "write persistence",
        "a created backup's detail shows another database_size than the POST answered", ("writes.create",),
        needs_writes=True),
)}

# issue 15: what the finding must say, where a failure of the same check for another reason would hide
# that the comparison named here is gone (tests/test_contracts_broken.py).
BUG_FINDINGS = {
    "description_stamp_later": "(expected the time stamp of name",
    "create_behind_newest": ": results is [",  # the new backup is not first on page 1: a count failure is not this
    "created_detail_differs": "its detail differs from the POST's answer",  # the create's link, followed
}
