"""`python -m mockserver docs --out DIR`: static documentation that works from file:// in a real browser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mockserver.frontend.docs import STATIC_DIR
from tests.spec_validation import spec_document
from tests.test_docs_browser import OPERATIONS, driver  # noqa: F401  (the browser fixture)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent


def export(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockserver", "docs", "--out", str(out), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "docs"  # made by the command
    done = export(out)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"Documentation written to {out}: 12 files. Open {out / 'index.html'} "
                                   "in a browser, or publish the folder as it is.")
    return out


def test_the_folder_holds_the_page_its_assets_and_the_spec(site: Path):
    names = sorted(str(path.relative_to(site)) for path in site.rglob("*") if path.is_file())
    assert names == sorted(["index.html", "openapi.json", "openapi.yaml", "swagger-initializer.js",
                            *(f"swagger-ui/{name}" for name in ("LICENSE", "NOTICE", "README.md", "favicon-16x16.png",
                                                                "favicon-32x32.png", "swagger-ui-bundle.js",
                                                                "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css"))])
    assert (site / "swagger-ui" / "swagger-ui-bundle.js").read_bytes() == \
        (STATIC_DIR / "swagger-ui" / "swagger-ui-bundle.js").read_bytes()
    assert json.loads((site / "openapi.json").read_text()) == spec_document()
    assert yaml.safe_load((site / "openapi.yaml").read_text()) == spec_document()
    page = (site / "index.html").read_text()
    references = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert references and all(not re.match(r"^[a-z]+:|^/", reference) for reference in references), references
    assert all((site / reference).is_file() for reference in references)
    assert "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; script-src 'self';" in page
    config = re.search(r'<script id="mock-config" type="application/json">(.*?)</script>', page, re.S)
    assert config and json.loads(config.group(1)) == {"spec": spec_document()}  # no token, the spec as written


def test_the_page_renders_from_file_in_chromium(site: Path, driver, tmp_path: Path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get((site / "index.html").as_uri())
    wait = WebDriverWait(driver, 30)
    for operation_id in OPERATIONS:
        wait.until(until.presence_of_element_located((By.ID, f"operations-Backup-{operation_id}")))
    assert len(driver.find_elements(By.CSS_SELECTOR, ".opblock")) == 3
    servers = driver.find_element(By.CSS_SELECTOR, ".servers select").text
    assert "https://api.labii.com/v1" in servers
    assert "openapi.yaml" in driver.find_element(By.ID, "mock-banner").text
    listing = driver.find_element(By.ID, "operations-Backup-listBackups")
    listing.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait.until(lambda _: "Wrong level - the provided level is not acceptable" in listing.text
               or listing.find_elements(By.CSS_SELECTOR, ".responses-table"))
    driver.save_screenshot(str(tmp_path / "static-docs.png"))
    problems = [entry["message"] for entry in driver.get_log("browser")
                if entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"]]
    assert not problems, problems


def test_a_bad_spec_or_an_unwritable_folder_is_one_line(tmp_path: Path):
    broken = tmp_path / "openapi.yaml"
    broken.write_text((ROOT / "openapi.yaml").read_text().replace("schemas/BackupPage", "schemas/Nothing"))
    done = export(tmp_path / "out", "--spec", str(broken))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"backup-mock: {broken}")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = export(blocker)
    assert done.returncode == 2 and done.stderr.startswith(f"backup-mock: cannot write the documentation to {blocker}")
