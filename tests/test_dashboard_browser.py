"""The dashboard (/_mock/ui) in a real browser: Debian's chromium, driven by selenium through
chromium-driver (`make test` installs both where missing). The mock runs as a child process
on a free 127.0.0.1 port, stopped by its PID; the runs are made through the public API, the
page is never reloaded, and what it shows is read from its DOM.

In CI (CI=true) a missing chromium or chromedriver fails these tests; elsewhere they skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from mockserver import Settings
from mockserver.control.dashboard import SEND_AT_LEAST_EVERY_S
from mockserver.core.ids import workspace_of
from mockserver.process import MockProcess, free_port, running_mock
from tests.conftest import QA, serving

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "artifacts" / "dashboard.png"
RUNS = f"/v1/workflows/{QA.id}/runs"
TOKEN = "dash-secret"
DASH = "\N{EN DASH}"  # the pager's "1-50 of N" has an en dash
# What worked with Debian's chromium as root in a container: no sandbox, no GPU, and
# nothing that reaches out to the network on its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",  # a container's small /dev/shm crashes tabs
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,1000",
)
# A run takes 3.5 simulated seconds (queue, three nodes); at speed 2 the page sees it
# queued or running for well over one of its 0.25 s looks before it completes.
SPEED = "2"
# Failing webhooks give up after three attempts, 0.05 s and 0.1 s apart.
WEBHOOKS = {"MOCKSERVER_WEBHOOK_BACKOFF_S": "0.05", "MOCKSERVER_WEBHOOK_MAX_ATTEMPTS": "3"}


def _binary(*names: str) -> str:
    found = next((path for name in names if (path := shutil.which(name))), None)
    if found is None:
        wanted = " or ".join(names)
        if os.environ.get("CI") == "true":
            pytest.fail(f"{wanted} is missing: `make test` installs it (apt-get)", pytrace=False)
        pytest.skip(f"{wanted} is not installed (`make test` installs it)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = _binary("chromium", "chromium-browser")
    driver_path = _binary("chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="dash-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # An explicit driver path: selenium never looks for (or downloads) one itself.
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        try:
            yield driver
        finally:
            driver.quit()


@contextmanager
def _page_closed_after(browser: Any) -> Iterator[None]:
    """Leave the page before the server stops, so its stream is closed by the browser
    (the server would otherwise wait out its shutdown grace for it)."""
    try:
        yield
    finally:
        browser.get("about:blank")


@pytest.fixture(scope="module")
def mock(browser: Any) -> Iterator[MockProcess]:
    """Guarded by --admin-token: every test below types it into the page (one mock start
    less; the unguarded page is used by the last two tests)."""
    guarded = ("--speed", SPEED, "--admin-token", TOKEN)
    with running_mock(*guarded, env=WEBHOOKS) as process, _page_closed_after(browser):
        yield process


def _until(browser: Any, what: str, check: Callable[[Any], Any], timeout: float = 10) -> Any:
    try:
        return WebDriverWait(browser, timeout, poll_frequency=0.05).until(check)
    except TimeoutException:
        pytest.fail(f"the page did not show {what} within {timeout} s", pytrace=False)


def _open(browser: Any, url: str, key: str, token: str | None = TOKEN) -> None:
    """Load the page, type the workspace's key (and the admin token), press Show."""
    browser.get(f"{url}/_mock/ui")
    browser.execute_script("sessionStorage.clear(); window.notReloaded = true;")
    browser.find_element(By.ID, "api-key").send_keys(key)
    if token is not None:
        browser.find_element(By.ID, "admin-token").send_keys(token)
    browser.find_element(By.ID, "show").click()
    _until(browser, "its live stream", lambda b: _text(b, "#live") == "live")


# The page rebuilds what changed with innerHTML, so elements are read in one script call
# each: a WebElement kept across a rebuild is stale.
def _text(browser: Any, selector: str) -> str | None:
    script = "const e = document.querySelector(arguments[0]); return e && e.textContent;"
    found = browser.execute_script(script, selector)
    return None if found is None else str(found)


def _texts(browser: Any, selector: str) -> list[str]:
    script = "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);"
    return [str(t) for t in browser.execute_script(script, selector)]


def _row_status(browser: Any, run_id: str) -> str | None:
    script = "const r = document.querySelector(arguments[0]); return r && r.dataset.status;"
    found = browser.execute_script(script, f'tr[data-run-id="{run_id}"]')
    return None if found is None else str(found)


def _until_status(browser: Any, run_id: str, status: str, timeout: float = 10) -> None:
    what = f"run {run_id[:8]} {status}"
    _until(browser, what, lambda b: _row_status(b, run_id) == status, timeout)


def _select(browser: Any, run_id: str, hold_s: float = 0) -> None:
    """Click the run's row; `hold_s` between press and release, as a person's click."""

    def clicked(b: Any) -> bool:
        try:  # a real click; the row may be rebuilt between finding and clicking it
            row = b.find_element(By.CSS_SELECTOR, f'tr[data-run-id="{run_id}"]')
            ActionChains(b).click_and_hold(row).pause(hold_s).release().perform()
        except StaleElementReferenceException:
            return False
        return True

    _until(browser, f"run {run_id[:8]} to click", clicked)
    _until(browser, "the run's detail", lambda b: _text(b, "#detail-id") == run_id)


def _create(url: str, key: str, **body: Any) -> str:
    headers = {"X-API-Key": key}
    if prefer := body.pop("prefer", None):
        headers["Prefer"] = prefer
    answer = httpx.post(f"{url}{RUNS}", json={"input": {}, **body}, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def _not_reloaded(browser: Any) -> bool:
    return browser.execute_script("return window.notReloaded === true;") is True


def test_a_new_run_appears_and_completes_without_a_reload(browser: Any, mock: MockProcess) -> None:
    key = "browser-live"
    _open(browser, mock.url, key)
    run_id = _create(mock.url, key)
    seen: list[str] = []

    def completed(b: Any) -> bool:
        status = _row_status(b, run_id)
        if status and (not seen or seen[-1] != status):
            seen.append(status)
        return status == "completed"

    _until(browser, f"run {run_id[:8]} completed", completed)
    assert seen[0] in ("queued", "running"), f"it was first shown {seen[0]}"  # live, not late
    assert "100%" in (_text(browser, f'tr[data-run-id="{run_id}"]') or "")
    assert _not_reloaded(browser)


def test_a_paused_run_is_resumed_from_the_page(browser: Any, mock: MockProcess) -> None:
    key = "browser-pause"
    _open(browser, mock.url, key)
    run_id = _create(mock.url, key, prefer="outcome=awaiting_human_feedback")
    _until_status(browser, run_id, "awaiting_human_feedback")
    # Held past the stream's next update, which rebuilds the rows under the pointer.
    _select(browser, run_id, hold_s=SEND_AT_LEAST_EVERY_S + 0.2)
    resume = browser.find_element(By.ID, "run-resume")
    _until(browser, "an enabled Resume button", lambda b: resume.is_enabled())
    resume.click()
    _until_status(browser, run_id, "completed")
    _until(
        browser,
        "the detail completed",
        lambda b: _text(b, "#detail-status") == "completed",
    )
    assert _not_reloaded(browser)


def test_a_failing_webhook_shows_its_attempts(browser: Any, mock: MockProcess) -> None:
    key = "browser-hooks"
    _open(browser, mock.url, key)
    _create(mock.url, key)  # a few neighbours, for the screenshot
    _create(mock.url, key, prefer="outcome=awaiting_human_feedback")
    closed = free_port()  # nothing listens there: every attempt is refused
    run_id = _create(mock.url, key, callback_url=f"http://127.0.0.1:{closed}/hook")
    _until_status(browser, run_id, "completed")
    _select(browser, run_id)
    failed = '.delivery[data-state="failed"]'
    _until(browser, "a failed delivery", lambda b: b.find_elements(By.CSS_SELECTOR, failed))
    attempts = _texts(browser, f"{failed} li.attempt.bad")
    assert len(attempts) == 3, attempts  # MOCKSERVER_WEBHOOK_MAX_ATTEMPTS
    assert all("no answer" in a for a in attempts), attempts
    assert f"127.0.0.1:{closed}/hook" in (_text(browser, failed) or "")
    views = _texts(browser, "#views tbody tr")
    assert views and "completed" in views[-1]
    events = _texts(browser, "#events li")
    assert events and "completed" in events[-1]
    journal = _text(browser, "#journal") or ""
    assert RUNS in journal and "200" in journal
    _until(browser, "the failed count", lambda b: "1 failed" in (_text(b, "#webhooks") or ""))
    SCREENSHOT.parent.mkdir(exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight;")
    browser.set_window_size(1440, min(int(height) + 140, 2400))  # the whole page, attempts too
    try:
        assert browser.save_screenshot(str(SCREENSHOT))
    finally:
        browser.set_window_size(1440, 1000)
    assert SCREENSHOT.stat().st_size > 10_000


def test_the_control_buttons_act_on_the_workspace(browser: Any, mock: MockProcess) -> None:
    key = "browser-controls"
    _open(browser, mock.url, key)
    assert (_text(browser, "#clock-offset") or "").startswith("0 s")
    browser.find_element(By.ID, "advance-seconds").clear()
    browser.find_element(By.ID, "advance-seconds").send_keys("90")
    browser.find_element(By.ID, "advance-clock").click()
    _until(
        browser,
        "the clock 90 s ahead",
        lambda b: (_text(b, "#clock-offset") or "").startswith("90 s"),
    )
    # force and stop: two paused runs
    forced = _create(mock.url, key, prefer="outcome=awaiting_human_feedback")
    stopped = _create(mock.url, key, prefer="outcome=awaiting_human_feedback")
    _until_status(browser, stopped, "awaiting_human_feedback")
    _select(browser, forced)
    Select(browser.find_element(By.ID, "force-status")).select_by_visible_text("failed")
    browser.find_element(By.ID, "run-force").click()
    _until_status(browser, forced, "failed")
    _select(browser, stopped)
    browser.find_element(By.ID, "run-stop").click()
    _until_status(browser, stopped, "stopped")
    # advance: a ten-minute run, brought to completion step by step from its button
    slow = _create(mock.url, key, prefer="duration=600s")
    _select(browser, slow)
    for _ in range(10):  # queued, three nodes: five steps
        if _row_status(browser, slow) == "completed":
            break
        before = _text(browser, "#views")
        browser.find_element(By.ID, "run-advance").click()
        _until(browser, "the next step", lambda b, was=before: _text(b, "#views") != was)
    _until_status(browser, slow, "completed", timeout=1)
    # a fault rule set and cleared
    browser.find_element(By.ID, "fault-webhook").send_keys("2")
    browser.find_element(By.ID, "set-fault").click()
    rules = lambda b: _text(b, "#faults") or ""  # noqa: E731
    _until(browser, "the fault rule", lambda b: '"webhook_fail_times":2' in rules(b))
    assert workspace_of(key) in rules(browser)  # this workspace's, not everyone's
    browser.find_element(By.ID, "clear-faults").click()
    _until(browser, "no fault rule", lambda b: rules(b) == "None.")
    # the clock frozen and thawed (global: thawed again for the other tests)
    for frozen in ("true", "false"):
        browser.find_element(By.ID, "freeze").click()
        _until(browser, f"frozen {frozen}", lambda b, f=frozen: _text(b, "#clock-frozen") == f)
    # reset: the workspace is empty again
    browser.find_element(By.ID, "reset").click()
    _until(
        browser,
        "an empty workspace",
        lambda b: _text(b, "#range") == f"0{DASH}0 of 0",
    )
    assert _not_reloaded(browser)


def test_the_admin_token_works_through_the_page_and_its_link(
    browser: Any, mock: MockProcess
) -> None:
    key = "browser-token"
    refused = httpx.get(f"{mock.url}/_mock/dashboard", headers={"X-API-Key": key}, timeout=5)
    assert refused.status_code == 401
    _open(browser, mock.url, key)  # key and token typed, one Show
    run_id = _create(mock.url, key, prefer="outcome=awaiting_human_feedback")
    _until_status(browser, run_id, "awaiting_human_feedback")
    # The bookmarkable link: the token is taken from ?token= and leaves the address bar.
    browser.execute_script("sessionStorage.clear();")
    browser.get(f"{mock.url}/_mock/ui?token={TOKEN}")
    assert "token" not in browser.current_url
    browser.find_element(By.ID, "api-key").send_keys(key)
    browser.find_element(By.ID, "show").click()
    _until_status(browser, run_id, "awaiting_human_feedback")
    _select(browser, run_id)
    browser.find_element(By.ID, "run-resume").click()  # a control call, with the token
    _until_status(browser, run_id, "completed")


def test_the_first_load_with_ten_thousand_runs_is_fast(browser: Any) -> None:
    key = "browser-many"
    with serving(Settings(speed=float(SPEED))) as server, _page_closed_after(browser):
        template = _create(server.url, key)
        store = server.app.mock.runs

        async def fill() -> str:  # the server idles meanwhile: the page is not open yet
            first = await store.get(workspace_of(key), template)
            for i in range(10_000):
                timeline = replace(first.timeline, created_at=first.timeline.created_at + i + 1)
                await store.add(replace(first, id=str(uuid.uuid4()), timeline=timeline))
            return str((await store.page(workspace_of(key), 0, 1))[0][0].id)

        newest = asyncio.run(fill())
        started = time.perf_counter()
        _open(browser, server.url, key, token=None)
        _until(browser, "the first page", lambda b: _text(b, "#range") == f"1{DASH}50 of 10001")
        took = time.perf_counter() - started
        rows = browser.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map((r) => r.dataset.runId);",
            "#runs tr[data-run-id]",
        )
        assert len(rows) == 50 and rows[0] == newest
        browser.find_element(By.ID, "next").click()
        _until(browser, "the second page", lambda b: _text(b, "#range") == f"51{DASH}100 of 10001")
        print(f"first load with 10,001 stored runs: {took:.3f} s")  # shown by pytest -s
        assert took < 3.0, f"the first load with 10,001 runs took {took:.3f} s"


def test_leaving_the_page_frees_its_stream(browser: Any) -> None:
    """One stream allowed: the page holds it; once the browser left the page (which it may
    keep alive in its back/forward cache), the slot is free again; coming back reconnects."""
    key = "browser-leave"
    slot = {"X-API-Key": key}
    with (
        running_mock(env={"MOCKSERVER_MAX_STREAMS": "1"}) as mock,
        _page_closed_after(browser),
    ):
        _open(browser, mock.url, key, token=None)
        stream = f"{mock.url}/_mock/dashboard/stream"
        assert httpx.get(stream, headers=slot, timeout=5).status_code == 503  # held by the page
        browser.get("about:blank")
        deadline = time.monotonic() + 5
        while True:
            with httpx.stream("GET", stream, headers=slot, timeout=5) as answer:
                if answer.status_code == 200:
                    break
            assert time.monotonic() < deadline, "the page left, its stream stayed open"
            time.sleep(0.1)
        browser.back()
        _until(browser, "the stream again", lambda b: _text(b, "#live") == "live")
        assert httpx.get(stream, headers=slot, timeout=5).status_code == 503  # held again
