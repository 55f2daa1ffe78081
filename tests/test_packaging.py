"""Install only what you use: `pip install .` is the mock alone, the kit comes with the `contracts` extra.

The mock is imported and run in a fresh interpreter where the kit's libraries cannot be imported,
so a stray import of one of them fails here and not on a user's machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIT_ONLY = ("schemathesis", "hypothesis", "hypothesis_graphql", "graphql", "requests", "pytest")  # httpx: --proxy's

WITHOUT_THE_KIT = """
import asyncio, importlib, json, pkgutil, sys
BLOCKED = {blocked!r}

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is the kit's, not the mock's")
        return None

sys.meta_path.insert(0, Blocker())
import mockserver
for module in pkgutil.walk_packages(mockserver.__path__, "mockserver."):
    if module.name != "mockserver.__main__":  # it runs the command line
        importlib.import_module(module.name)
from mockserver.app import create_app
from mockserver.cli import main

app = create_app()
sent = []

async def call():
    scope = {{"type": "http", "asgi": {{"version": "3.0"}}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/v1/organizations/backup/detail/xxx/", "raw_path": b"", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 4010)}}
    async def receive():
        return {{"type": "http.request", "body": b"", "more_body": False}}
    async def send(message):
        sent.append(message)
    await app(scope, receive, send)

asyncio.run(call())
assert sent[0]["status"] == 401, sent
assert main(["docs", "--out", sys.argv[1]]) == 0
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)))
"""


def test_the_mock_runs_without_the_kit_libraries(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_THE_KIT.format(blocked=KIT_ONLY), str(tmp_path / "docs")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert (tmp_path / "docs" / "index.html").is_file()


def test_the_extras_split_the_mock_from_the_kit() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {requirement.split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
                for requirement in requirements}

    assert names(project["dependencies"]).isdisjoint({"schemathesis", "hypothesis", "requests", "pytest"})
    extras = project["optional-dependencies"]
    assert {"schemathesis", "hypothesis", "requests", "pytest"} <= names(extras["contracts"])
    assert f"{project['name']}[contracts]" in extras["test"]  # the suite tests the kit too
    assert project["scripts"]["backup-contracts"] == "contracts.entry:main"


WITHOUT_THE_KIT_CLI = """
import sys
BLOCKED = {blocked!r}

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(name)
        return None

sys.meta_path.insert(0, Blocker())
from contracts.entry import main
sys.exit(main(["--base-url", "http://127.0.0.1:9/v1", "--org-sid", "o", "--token", "t"]))
"""


def test_the_kit_without_its_libraries_says_how_to_install_them_in_one_line() -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_THE_KIT_CLI.format(blocked=("schemathesis",))],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "backup-contracts: the contract-test kit is not installed: pip install 'labii-backup-mock[contracts]' "
        "(in a checkout: pip install -e '.[contracts]')"]
