"""Debian's Chromium (Playwright) on a phone-sized screen: a document harvesting under a
suspended code is refused; the plant-protection office finds it from the traceability page
under "Capture jobs" and opens it: the error, the refused event and the document as received.
Screenshots land in test-artifacts/screenshots/trace-capture-job*.png."""

import pytest

from agritrace.tests import browser
from agritrace.trace import services
from agritrace.trace.models import CaptureJob

from .test_browser import login, shot
from .test_refusals import refused_body, reg  # noqa: F401

pytestmark = browser.BROWSER_TEST


@pytest.fixture
def phone(chromium):
    context, page = browser.new_page(chromium, device_scale_factor=2, **browser.PHONE)
    yield page
    context.close()


def test_the_authority_sees_a_refused_document(live_server, world, reg, phone):  # noqa: F811
    with pytest.raises(services.CaptureRejected):
        services.capture(world.actor("packing"), refused_body())
    job = CaptureJob.objects.get()
    page, base = phone, live_server.url
    login(page, base, "ppo_user")
    page.goto(f"{base}/trace/")
    page.get_by_role("link", name="Capture jobs").click()
    page.wait_for_url(f"{base}/trace/capture-jobs/")
    row = page.locator("#capture-jobs tbody tr").first
    assert "Failed" in row.inner_text()
    shot(page, "capture-jobs")
    row.get_by_role("link", name=f"#{job.pk}").click()
    page.wait_for_url(f"{base}/trace/capture-jobs/{job.pk}/")
    assert page.locator("#job-sha256").inner_text() == job.document_sha256
    assert (
        "had no issued code" in page.locator("#job-errors").inner_text()
    )  # a sentence, no rule code
    assert reg.area.code in page.locator("#job-refusals").inner_text()
    assert '"EPCISDocument"' in page.locator("#job-body").inner_text()
    shot(page, "capture-job")
