"""The 403, 404 and 500 pages (issue 17, item 9): in the site's layout and the page's
language, with a way back; the 500 page without the layout when the layout itself fails."""

from unittest import mock

import pytest
from django.test import Client, override_settings
from django.urls import path

import agritrace.urls


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), *agritrace.urls.urlpatterns]
handler500 = agritrace.urls.handler500

pytestmark = pytest.mark.django_db


def test_403_is_in_the_layout_and_language_with_a_way_back(world, settings):
    settings.LANGUAGE_CODE = "vi"
    client = Client()
    client.force_login(world.users["packing"])
    r = client.get("/households/")
    assert r.status_code == 403
    html = r.content.decode()
    assert "403 Forbidden" not in html
    assert '<html lang="vi">' in html
    assert 'id="site-nav"' in html
    assert 'class="btn btn-primary" href="/dashboard/"' in html
    # the reason the service gave, in the page's language (a translated msgid)
    assert "Your organisation does not keep or supervise households." not in html


def test_404_is_in_the_layout_with_a_way_back(world, settings):
    settings.LANGUAGE_CODE = "en"
    client = Client()
    client.force_login(world.users["coop"])
    r = client.get("/areas/999999/")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Page not found" in html
    assert 'id="site-nav"' in html
    assert 'class="btn btn-primary" href="/dashboard/"' in html
    assert "No PlantingArea matches" not in html


def test_404_for_the_public_offers_the_register_and_log_in(db, settings):
    settings.LANGUAGE_CODE = "en"
    r = Client().get("/no-such-page/")
    assert r.status_code == 404
    html = r.content.decode()
    assert 'href="/codes/"' in html
    assert 'href="/login/?next=/no-such-page/"' in html


@override_settings(ROOT_URLCONF=__name__)
def test_500_is_in_the_layout(world, settings):
    settings.LANGUAGE_CODE = "en"
    client = Client(raise_request_exception=False)
    client.force_login(world.users["coop"])
    r = client.get("/boom/")
    assert r.status_code == 500
    html = r.content.decode()
    assert "Something went wrong" in html
    assert 'id="site-nav"' in html
    assert 'href="/dashboard/"' in html


@override_settings(ROOT_URLCONF=__name__)
def test_500_falls_back_to_a_plain_page_when_the_layout_fails(world, settings):
    settings.LANGUAGE_CODE = "en"
    client = Client(raise_request_exception=False)
    client.force_login(world.users["coop"])
    with mock.patch("agritrace.web.menu.menu_for", side_effect=RuntimeError("db down")):
        r = client.get("/boom/")
    assert r.status_code == 500
    html = r.content.decode()
    assert "Something went wrong" in html
    assert 'id="site-nav"' not in html
    assert 'href="/"' in html


def test_403_names_the_action_in_words_not_its_code(world, settings):
    from agritrace.accounts.access import ACTION_LABELS, PERMISSIONS

    assert set(ACTION_LABELS) == set(PERMISSIONS)
    settings.LANGUAGE_CODE = "en"
    client = Client()
    client.force_login(world.users["household"])
    r = client.get("/trace/record/")
    assert r.status_code == 403
    html = r.content.decode()
    assert "Your role may not do this: record traceability events" in html
    assert "capture_events" not in html
