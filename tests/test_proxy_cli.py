"""The proxy's options: where a request goes, what is refused at start (exit 2, one line)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mockserver.cli import main
from mockserver.proxy.forward import Upstream, answer_headers, request_headers
from mockserver.spec import Spec, load_model
from tests.contracts_helpers import ROOT, free_port

MODEL = load_model(Spec.load())
LIST = "/organizations/backup/list/organization/ehkn0a40x1glqvAFKP/list/"


def scope(path: str, raw: bytes | None = None, query: bytes = b"") -> dict:
    return {"path": path, "raw_path": raw if raw is not None else path.encode(), "query_string": query}


@pytest.mark.parametrize(("url", "path", "expected"), [
    ("http://127.0.0.1:9000/v1", "/v1" + LIST, "http://127.0.0.1:9000/v1" + LIST),
    ("http://127.0.0.1:9000/v1", LIST, "http://127.0.0.1:9000/v1" + LIST),
    ("http://127.0.0.1:9000/v1/", "/v1" + LIST, "http://127.0.0.1:9000/v1" + LIST),
    ("http://127.0.0.1:9000", "/v1" + LIST, "http://127.0.0.1:9000/v1" + LIST),  # the spec's server path
    ("http://127.0.0.1:9000/", "/v1" + LIST, "http://127.0.0.1:9000" + LIST),  # the upstream's root
    ("https://staging.example/api/v1", LIST, "https://staging.example/api/v1" + LIST),
])
def test_the_mocks_prefix_maps_onto_the_upstreams_path(url, path, expected):
    assert str(Upstream(url, MODEL, 1.0).target(scope(path))) == expected


def test_the_path_keeps_its_encoding_and_the_query_its_bytes():
    upstream = Upstream("http://127.0.0.1:9000/v1", MODEL, 1.0)
    target = upstream.target(scope("/v1/organizations/backup/detail/a b/", b"/v1/organizations/backup/detail/a%20b/",
                                   b"page=2&x=%C3%A9"))
    assert target.raw_path == b"/v1/organizations/backup/detail/a%20b/?page=2&x=%C3%A9"
    odd_path = "/v1/organizations/backup/detail/a\x7f\xff/"
    odd = upstream.target(scope(odd_path, odd_path.encode("latin-1"), b"x=\x7f&y=\xff z"))
    assert odd.raw_path == b"/v1/organizations/backup/detail/a%7F%FF/?x=%7F&y=%FF%20z"
    dots = upstream.target(scope("/v1/organizations/backup/detail/../"))  # a sid, not a step up
    assert dots.raw_path == b"/v1/organizations/backup/detail/%2E%2E/"


def test_hop_by_hop_headers_stay_and_credentials_go():
    sent = request_headers([(b"host", b"mock:4010"), (b"authorization", b"Token t  "), (b"token", b" t"),
                            (b"connection", b"keep-alive, x-private"), (b"x-private", b"1"), (b"te", b"trailers"),
                            (b"content-length", b"0"), (b"accept-encoding", b"br"),
                            (b"prefer", b"code=503, return=minimal; delay=2s"), (b"cookie", b"c=1")])
    assert sent == [(b"authorization", b"Token t"), (b"token", b"t"), (b"prefer", b"return=minimal; delay=2s"),
                    (b"cookie", b"c=1"), (b"accept-encoding", b"gzip, deflate")]
    assert (b"prefer", b"delay=1s") not in request_headers([(b"prefer", b"delay=1s")])
    back = answer_headers([(b"Content-Type", b"application/json"), (b"Content-Length", b"9"), (b"Date", b"x"),
                           (b"Transfer-Encoding", b"chunked"), (b"Access-Control-Allow-Origin", b"*"),
                           (b"Vary", b"Origin, Accept"), (b"WWW-Authenticate", b"Token"), (b"Set-Cookie", b"a=1")])
    assert back == [(b"content-type", b"application/json"), (b"vary", b"Accept"), (b"www-authenticate", b"Token"),
                    (b"set-cookie", b"a=1")]


@pytest.mark.parametrize(("argv", "message"), [
    (["--record", "rec"], "--record needs --proxy URL"),
    (["--proxy-fallback"], "--proxy-fallback needs --proxy URL"),
    (["--proxy-timeout", "2s"], "--proxy-timeout needs --proxy URL"),
    (["--proxy", "http://127.0.0.1:9/v1", "--dynamic"], "--dynamic cannot go with --proxy"),
    (["--proxy", "ftp://127.0.0.1/v1"], "is not an http:// or https:// URL with a host"),
    (["--proxy", "http://user:pw@127.0.0.1/v1"], "must not carry credentials"),
    (["--proxy", "http://127.0.0.1/v1?x=1"], "has a query or a fragment"),
    (["--proxy", "http://127.0.0.1:9/v1", "--proxy-timeout", "0s"], "a timeout must be more than 0s"),
    (["--proxy", "http://127.0.0.1:9/v1", "--proxy-timeout", "7200s"], "is more than the limit"),
])
def test_bad_proxy_options_are_refused_with_the_reason(argv, message, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


WITHOUT_THE_RULES = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "contracts":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, Blocker())
from mockserver.cli import main
sys.exit(main(["--port", sys.argv[1], "--proxy", "http://127.0.0.1:9/v1", "--no-watch"]))
"""


def test_without_the_kits_rules_proxy_says_so_in_one_line():
    done = subprocess.run([sys.executable, "-c", WITHOUT_THE_RULES, str(free_port())], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("backup-mock: --proxy validates with the contract kit's rules (contracts.rules), "
                           "which cannot be imported here")
