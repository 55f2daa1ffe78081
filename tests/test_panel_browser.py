"""The control panel at /__mock/ in a real headless browser (Debian's chromium through selenium), with real clicks.

A recipe button makes a rule that the API then follows, the journal shows the request live with
the rule that answered, a rule is removed, a bad custom rule shows the mock's reason, the journal
filter narrows the table, reset clears. Every asset comes from the mock (its CSP allows nothing
else, and the browser's log is checked for it). Skipped only as test_docs_browser.py skips.
"""

from __future__ import annotations

import httpx
import pytest

from tests.frontend_server import running
from tests.test_docs_browser import driver  # noqa: F401  (the browser fixture)
from tests.urls import list_url

pytestmark = pytest.mark.integration


def test_the_panel_drives_scenarios_and_shows_the_journal_live(driver, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    with running() as mock:
        org = mock.creds["org_sid"]
        api = mock.url + list_url(org)
        driver.get(mock.url + "/__mock/")
        wait = WebDriverWait(driver, 30)
        status = driver.find_element(By.ID, "status")

        def rule_rows():
            return driver.find_elements(By.CSS_SELECTOR, "#rules tbody tr")

        wait.until(lambda _: driver.find_elements(By.ID, "recipe-flaky-network"))
        titles = [button.text for button in driver.find_elements(By.CSS_SELECTOR, "#recipes button")]
        assert titles == ["Expired token", "Server down", "Slow create", "Empty organization", "Flaky network"]
        assert driver.find_element(By.ID, "no-rules").is_displayed()

        driver.find_element(By.ID, "recipe-server-down").click()
        wait.until(lambda _: len(rule_rows()) == 1)
        rule_id = mock.request("GET", "/__mock/scenarios").json()["rules"][0]["id"]
        assert status.text == f"Rule {rule_id} added: Server down."
        assert "code 503" in rule_rows()[0].text and not driver.find_element(By.ID, "no-rules").is_displayed()

        assert httpx.get(api, headers=mock.admin()).status_code == 503
        row = wait.until(lambda _: driver.find_element(By.CSS_SELECTOR, 'tr.request[data-status="503"]'))
        assert row.get_attribute("data-rule") == rule_id and "listBackups" in row.text and "Ada Admin" in row.text
        row.click()
        details = row.find_element(By.XPATH, "following-sibling::tr[1]")
        assert details.is_displayed() and '"authorization": "Token <redacted>"' in details.text
        wait.until(lambda _: rule_rows()[0].find_element(By.CSS_SELECTOR, ".answered").text == "1")

        rule_rows()[0].find_element(By.CSS_SELECTOR, "button.remove").click()
        wait.until(lambda _: not rule_rows())
        assert status.text == f"Scenario rule {rule_id} removed."
        assert httpx.get(api, headers=mock.admin()).status_code == 200

        driver.find_element(By.CSS_SELECTOR, "#custom summary").click()
        text = driver.find_element(By.ID, "rule-json")
        text.clear()
        text.send_keys('{"operation": "createBackup", "respond": {"code": 418}}')
        driver.find_element(By.ID, "add-rule").click()
        wait.until(lambda _: "error" in status.get_attribute("class"))
        assert status.text.startswith("respond: code=418 is not documented for createBackup")
        text.clear()
        text.send_keys('{"operation": "createBackup", "respond": {"code": 502}, "times": 1}')
        driver.find_element(By.ID, "add-rule").click()
        wait.until(lambda _: len(rule_rows()) == 1)
        assert httpx.post(mock.url + list_url(org, "detail"), headers=mock.admin()).status_code == 502
        wait.until(lambda _: not rule_rows())  # it expired after its one answer

        wait.until(lambda _: len(Select(driver.find_element(By.ID, "filter-operation")).options) == 4)
        Select(driver.find_element(By.ID, "filter-operation")).select_by_value("createBackup")
        wait.until(lambda _: driver.find_element(By.ID, "journal-count").text == "(1)")
        shown = driver.find_elements(By.CSS_SELECTOR, "tr.request")
        assert len(shown) == 1 and shown[0].get_attribute("data-status") == "502"

        driver.find_element(By.ID, "recipe-expired-token").click()
        wait.until(lambda _: len(rule_rows()) == 1)
        driver.find_element(By.ID, "reset").click()
        wait.until(lambda _: not rule_rows())
        assert status.text.startswith("Fixtures restored")
        assert mock.request("GET", "/__mock/scenarios").json()["count"] == 0
        driver.save_screenshot(str(tmp_path / "panel.png"))
        # the browser's log is read while the mock still serves: the panel keeps polling it, and a poll
        # after the mock stopped would be logged as a refused connection
        log = driver.get_log("browser")
        driver.get("about:blank")

    refused = "/__mock/scenarios - Failed to load resource: the server responded with a status of 400"
    problems = [entry["message"] for entry in log
                if (entry["level"] == "SEVERE" and refused not in entry["message"])
                or "Content Security Policy" in entry["message"]]
    assert not problems, problems  # the one 400 expected is the bad custom rule's
