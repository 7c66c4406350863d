"""What the browser tests share: Debian's Chromium driven by Playwright (Python).

`BROWSER_TEST` is the module mark of a browser test (skipped, with the reason, where Chromium
is missing; a transactional database, since the live server runs in another thread); the
`chromium` fixture (root conftest.py) launches the browser once per test; `new_page` opens a
page in a fresh context (a device's viewport, a language); `shot` saves a screenshot."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("AGRITRACE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

BROWSER_TEST = [
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM} (scripts/test.sh installs Debian's chromium)",
    ),
    pytest.mark.django_db(transaction=True),
]


@contextmanager
def launch() -> Iterator[object]:
    """A headless Chromium for one test. Playwright's sync API runs an event loop in this
    thread; the ORM calls the test makes between page steps are plain synchronous ones."""
    pytest.importorskip("playwright.sync_api", reason="playwright is in the [test] extra")
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def new_page(browser, locale: str = "en-US", **device):
    """(context, page) in a fresh context: no cookies, the given language and device."""
    context = browser.new_context(locale=locale, **device)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def shot(page, name: str, folder: Path = SHOTS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def shown(day, language: str = "en") -> str:
    """A date as a page in `language` shows it (`formats.shown_date`: "3 Dec 2026" in English,
    "03/12/2026" in Vietnamese), for assertions on what the browser reads."""
    from django.utils import translation

    from agritrace.formats import shown_date

    with translation.override(language):
        return shown_date(day)
