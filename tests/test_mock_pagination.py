"""Pagination: DRF's arithmetic and links as properties, then over the live collection."""

from __future__ import annotations

import math
from datetime import datetime
from urllib import parse
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.api.pagination import (
    InvalidPage,
    PageLinks,
    next_link,
    num_pages,
    page_size,
    paginate,
    previous_link,
    remove_query_param,
    replace_query_param,
)
from tests.spec_validation import assert_conforms
from tests.urls import list_url, token

counts = st.integers(min_value=0, max_value=5000)
sizes = st.integers(min_value=1, max_value=1000)


@given(counts, sizes)
def test_page_count_formula(count, size):
    assert num_pages(count, size) == max(1, math.ceil(count / size))


@given(counts, sizes, st.data())
def test_every_valid_page_slices_the_collection(count, size, data):
    pages = num_pages(count, size)
    number = data.draw(st.integers(min_value=1, max_value=pages))
    page = paginate(str(number), size, count)
    assert page.number == number and page.num_pages == pages
    expected = min(size, count - (number - 1) * size) if count else 0
    assert page.stop - page.start == expected
    assert page.has_next == (number < pages)
    assert page.has_previous == (number > 1)


@given(counts, sizes, st.integers(min_value=1, max_value=10**6))
def test_pages_past_the_end_are_invalid(count, size, beyond):
    pages = num_pages(count, size)
    with pytest.raises(InvalidPage):
        paginate(str(pages + beyond), size, count)


@given(counts, sizes)
def test_last_and_empty_page(count, size):
    assert paginate("last", size, count).number == num_pages(count, size)
    assert paginate("", size, count).number == 1
    assert paginate(None, size, count).number == 1


@pytest.mark.parametrize("raw, valid", [("0", False), ("-1", False), ("1", True), ("3", True), ("4", False),
                                        ("last", True), ("", True), (None, True), ("01", True), ("1.0", False)])
def test_page_number_boundaries(raw, valid):
    """30 backups by 10: pages 1 to 3 (empty or no value is 1); 0, negatives and page 4 are invalid."""
    if valid:
        assert 1 <= paginate(raw, 10, 30).number <= 3
    else:
        with pytest.raises(InvalidPage):
            paginate(raw, 10, 30)


@given(st.text(max_size=20))
def test_page_strings_that_are_not_integers_are_invalid(raw):
    try:
        value = int(raw)
    except ValueError:
        value = None
    if raw in ("", "last") or (value is not None and 1 <= value <= 3):
        return
    with pytest.raises(InvalidPage):
        paginate(raw, 10, 30)


# -- page_size, against an oracle written from DRF's documented behaviour ----------------------
# PageNumberPagination with page_size 10 and max_page_size 1000: a positive integer is taken, capped
# at 1000; zero, a negative number, an empty value, anything that is not an integer (and no value at
# all) gives the default. DRF parses the value with Python's int(), so surrounding blanks, a plus sign
# and leading zeros are accepted. Each generated value comes with its expected size, known from how it
# was built, never computed by parsing it.
DEFAULT_SIZE, MAX_SIZE = 10, 1000


def _written(number: int) -> st.SearchStrategy[str]:
    """Ways to write an integer that int() accepts."""
    sign = "-" if number < 0 else ""
    digits = str(abs(number))
    return st.sampled_from([f"{sign}{digits}", f" {sign}{digits}", f"{sign}{digits}\t", f"{sign}00{digits}",
                            f"+{digits}" if number >= 0 else f"{sign}{digits}\n"])


def _not_an_integer() -> st.SearchStrategy[str]:
    digits = st.text(alphabet="0123456789", max_size=4)
    junk = st.text(alphabet="abcxyzE.,%-", min_size=1, max_size=4).filter(lambda text: any(c not in "-" for c in text))
    return st.one_of(st.just(""), st.text(alphabet=" \t", min_size=1, max_size=3),
                     st.tuples(digits, junk, digits).map("".join))


def page_size_cases(default: int, maximum: int) -> st.SearchStrategy[tuple[str | None, int]]:
    positive = st.integers(min_value=1, max_value=10**7).flatmap(
        lambda n: _written(n).map(lambda raw: (raw, min(n, maximum))))
    not_positive = st.integers(min_value=-10**7, max_value=0).flatmap(
        lambda n: _written(n).map(lambda raw: (raw, default)))
    invalid = _not_an_integer().map(lambda raw: (raw, default))
    return st.one_of(positive, not_positive, invalid, st.just((None, default)))


@pytest.mark.parametrize("raw, expected", [
    (None, 10), ("", 10), ("  ", 10), ("0", 10), ("-0", 10), ("-1", 10), ("1", 1), ("2", 2), ("9", 9), ("10", 10),
    ("11", 11), ("999", 999), ("1000", 1000), ("1001", 1000), (str(10**100), 1000), ("1" * 5000, 10),
    (" 7", 7), ("+7", 7), ("007", 7), ("7.0", 10), ("1e2", 10), ("0x10", 10), ("abc", 10), ("7 7", 10), ("1_000", 1000),
])
def test_page_size_boundaries(raw, expected):
    """`1` * 5000 is past Python's 4,300-digit int() limit: int() refuses it, so the default."""
    assert page_size(raw, DEFAULT_SIZE, MAX_SIZE) == expected


@given(page_size_cases(DEFAULT_SIZE, MAX_SIZE))
def test_page_size_falls_back_or_caps_like_drf(case):
    raw, expected = case
    assert page_size(raw, DEFAULT_SIZE, MAX_SIZE) == expected


@given(st.integers(min_value=1, max_value=100).flatmap(
    lambda default: st.tuples(st.just(default), st.integers(min_value=default, max_value=5000))).flatmap(
    lambda limits: st.tuples(st.just(limits), page_size_cases(*limits))))
def test_page_size_uses_the_given_default_and_maximum(limits_and_case):
    (default, maximum), (raw, expected) = limits_and_case
    assert page_size(raw, default, maximum) == expected


@given(
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=1, max_value=50),
    st.dictionaries(st.sampled_from(["q", "ordering", "z", "a"]), st.text(max_size=5), max_size=3),
)
def test_links_keep_other_parameters_and_sort_like_drf(number, extra_pages, other):
    pages = number + extra_pages
    page = paginate(str(number), 10, pages * 10)
    url = f"http://h:1/v1/x/?{urlencode({**other, 'page': number})}"
    nxt = next_link(url, page)
    assert nxt is not None
    nxt_query = parse_qs(urlsplit(nxt).query, keep_blank_values=True)
    assert nxt_query["page"] == [str(number + 1)]
    assert {k: v for k, v in nxt_query.items() if k != "page"} == {k: [v] for k, v in other.items()}
    keys = [part.split("=")[0] for part in urlsplit(nxt).query.split("&")]
    assert keys == sorted(keys)
    prev = previous_link(url, page)
    if number == 1:
        assert prev is None
    elif number == 2:
        assert "page" not in parse_qs(urlsplit(prev).query)
    else:
        assert parse_qs(urlsplit(prev).query)["page"] == [str(number - 1)]


@given(
    st.dictionaries(st.sampled_from(["q", "page", "page_size", "a", "z", "é"]),
                    st.lists(st.text(max_size=4), min_size=1, max_size=2), max_size=4),
    st.integers(min_value=1, max_value=99),
)
def test_links_are_drfs_replace_and_remove_query_param(query, number):
    """PageLinks parses the URL once; it must give what DRF's two helpers (kept beside it) give."""
    url = "http://h:1/v1/x/?" + urlencode(query, doseq=True)
    links = PageLinks(url)
    assert links.url(number) == replace_query_param(url, "page", number)
    assert links.url(None) == remove_query_param(url, "page")


def test_documented_link_format():
    page = paginate("1", 10, 25)
    url = "http://127.0.0.1:8000/v1/tables/version/list/organization/ehkn0a40x1glqvAFKP/list/"
    assert next_link(url, page) == url + "?page=2"


# -- over the mock's real collection ----------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=1, max_value=40))
def test_walking_next_links_visits_every_backup_once_in_order(client, creds, size):
    client.post("/__mock/reset")
    headers = token(creds["admin_token"])
    url = list_url(creds["org_sid"]) + f"?page_size={size}"
    seen, pages, previous = [], 0, None
    while url:
        response = client.get(url, headers=headers)
        page = assert_conforms("listBackups", 200, response.headers, response.content)
        pages += 1
        count = page["count"]
        assert page["page_number"] == pages
        assert page["page_size"] == size
        assert page["page_count"] == max(1, math.ceil(count / size))
        assert len(page["results"]) == (size if pages < page["page_count"] else count - size * (pages - 1))
        assert (page["previous"] is None) == (pages == 1)
        if previous is not None:
            assert client.get(page["previous"], headers=headers).json() == previous
        seen.extend(page["results"])
        previous = page
        url = page["next"]
    assert len(seen) == count == len({b["sid"] for b in seen})
    keys = [(-datetime.fromisoformat(b["date_created"].replace("Z", "+00:00")).timestamp(), b["sid"]) for b in seen]
    assert keys == sorted(keys)


def test_last_page_and_past_the_end(client, creds):
    headers = token(creds["admin_token"])
    base = list_url(creds["org_sid"])
    last = client.get(base + "?page=last", headers=headers).json()
    assert last["page_number"] == last["page_count"] and last["next"] is None
    response = client.get(base + f"?page={last['page_count'] + 1}", headers=headers)
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})


@pytest.mark.parametrize(
    "raw, expected",
    [("", 10), ("0", 10), ("-3", 10), ("abc", 10), ("2.5", 10), ("1001", 1000), (str(10**100), 1000), ("7", 7),
     (" 7", 7)],
)
def test_page_size_values_over_http(client, creds, raw, expected):
    response = client.get(list_url(creds["org_sid"]), params={"page_size": raw}, headers=token(creds["admin_token"]))
    body = assert_conforms("listBackups", 200, response.headers, response.content)
    assert body["page_size"] == expected


def test_repeated_parameters_take_the_last_value(client, creds):
    url = list_url(creds["org_sid"]) + "?page=1&page=2&page_size=3&page_size=5"
    body = client.get(url, headers=token(creds["admin_token"])).json()
    assert (body["page_number"], body["page_size"]) == (2, 5)


def test_empty_organization(client, creds):
    response = client.get(list_url(creds["empty_org_sid"]), headers=token(creds["empty_token"]))
    body = assert_conforms("listBackups", 200, response.headers, response.content)
    assert body == {
        "page_size": 10, "page_number": 1, "page_count": 1, "count": 0,
        "next": None, "previous": None, "add_permission": True, "results": [],
    }


def test_links_are_absolute_and_keep_the_v1_prefix_and_other_parameters(client, creds):
    headers = token(creds["admin_token"])
    body = client.get(list_url(creds["org_sid"]) + "?zeta=1&page_size=5&page=3&alpha=x", headers=headers).json()
    prefix = "http://testserver" + list_url(creds["org_sid"])
    assert body["next"] == prefix + "?alpha=x&page=4&page_size=5&zeta=1"
    assert body["previous"] == prefix + "?alpha=x&page=2&page_size=5&zeta=1"
    body = client.get(list_url(creds["org_sid"], prefix="") + "?page=2&page_size=5", headers=headers).json()
    assert body["previous"] == "http://testserver" + list_url(creds["org_sid"], prefix="") + "?page_size=5"


# -- the fast way to the same links -------------------------------------------------------------

from mockserver.api.pagination import Page, plain_links, plain_name, plain_query  # noqa: E402

_names = st.sampled_from(["page", "page_size", "pag", "pagf", "pagea", "a", "z", "", "page~", "Page"])
_values = st.text(alphabet="az09-_.~", max_size=4)
# free text, and queries made of names around and equal to the key (so the key itself is dropped and
# replaced, and names sort on both sides of it, repeated names keeping their order)
plain_text = st.one_of(
    st.text(alphabet="abcpz_~.-019=&", max_size=40),
    st.lists(st.tuples(_names, st.one_of(st.none(), _values)), max_size=6).map(
        lambda pairs: "&".join(name if value is None else f"{name}={value}" for name, value in pairs)))
BASE = "http://127.0.0.1:4010/v1/organizations/backup/list/organization/ehkn0a40x1glqvAFKP/list/"


@settings(max_examples=1000, deadline=None)
@given(query=plain_text, pages=st.integers(1, 10**6), data=st.data())
def test_plain_links_are_drf_links(query: str, pages: int, data: st.DataObject) -> None:
    plain = plain_query(query.encode(), "page")
    if plain is None:  # a value with "=" in it: urlencode writes it %3D, the slow way does it
        assert any("=" in part.partition("=")[2] for part in query.split("&"))
        return
    assert plain[0] == dict(parse.parse_qsl(query, keep_blank_values=True))
    number = data.draw(st.sampled_from(sorted({1, 2, 3, pages - 1, pages} & set(range(1, pages + 1))))
                       | st.integers(1, pages))
    links = PageLinks(f"{BASE}?{query}", "page")
    following = links.url(number + 1) if number < pages else None
    preceding = links.url(None if number == 2 else number - 1) if number > 1 else None
    assert plain_links(BASE, plain[1], plain[2], "page", number, pages) == (following, preceding)


@settings(max_examples=300, deadline=None)
@given(query=plain_text, pages=st.integers(1, 6), data=st.data())
def test_a_plain_pages_next_and_previous_are_drfs(query: str, pages: int, data: st.DataObject) -> None:
    plain = plain_query(query.encode(), "page")
    if plain is None:
        return
    current = Page(data.draw(st.integers(1, pages)), 10, pages * 10, pages)
    links = PageLinks(f"{BASE}?{query}", "page")
    assert plain_links(BASE, plain[1], plain[2], "page", current.number, current.num_pages) == (
        links.next(current), links.previous(current))


@given(query=st.text(max_size=30))
def test_anything_else_is_left_to_the_slow_way(query: str) -> None:
    plain = plain_query(query.encode("utf-8"), "page")
    if plain is not None:
        assert plain[0] == dict(parse.parse_qsl(query, keep_blank_values=True))
    else:
        plain_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.~=&-"
        assert any(char not in plain_chars for char in query) \
            or any("=" in part.partition("=")[2] for part in query.split("&"))


@pytest.mark.parametrize(("name", "plain"), [("page", True), ("p_1.x~y-z", True), ("", False), ("a=b", False),
                                             ("a&b", False), ("a b", False), ("p%41", False), ("caf\u00e9", False)])
def test_a_plain_name_is_written_the_same_in_a_query_and_a_link(name: str, plain: bool) -> None:
    assert plain_name(name) is plain


def test_the_plain_characters_are_the_same_for_the_regex_and_for_translate():
    from mockserver.api.pagination import _PLAIN, _PLAIN_BYTES

    assert {code for code in range(1, 256) if _PLAIN.fullmatch(chr(code))} == set(_PLAIN_BYTES)
