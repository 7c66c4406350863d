"""A person's language is a saved preference (Vietnamese by default for signed-in people),
applied after login whatever the browser asks; the public pages follow the browser."""

import pytest
from django.core.management import call_command

from agritrace.accounts import preferences
from agritrace.accounts.models import Profile
from agritrace.audit.models import AuditEntry

ENGLISH = {"accept-language": "en-US,en;q=0.9"}
VI_NAV, EN_NAV = "Tổng quan", "Dashboard"  # the dashboard's title, in the navigation


@pytest.fixture
def vietnamese_site(settings):
    settings.LANGUAGE_CODE = "vi"


def _login(client, world, key="ppo"):
    client.force_login(world.users[key])
    return world.users[key]


def _lang(response) -> str:
    return response["Content-Language"]


@pytest.mark.django_db
def test_staff_whose_browser_asks_english_get_vietnamese_until_they_change_it(
    client, world, vietnamese_site
):
    user = _login(client, world)
    page = client.get("/dashboard/", headers=ENGLISH)
    assert _lang(page) == "vi"
    assert '<html lang="vi">' in page.content.decode()
    assert f">{VI_NAV}<" in page.content.decode()

    response = client.post("/accounts/profile/", {"language": "en"}, headers=ENGLISH)
    assert response.status_code == 302
    assert Profile.objects.get(user=user).language == "en"

    # English now, even when the browser asks for Vietnamese.
    page = client.get("/dashboard/", headers={"accept-language": "vi"})
    assert _lang(page) == "en"
    assert f">{EN_NAV}<" in page.content.decode()
    entry = AuditEntry.objects.filter(action="accounts.language_set").get()
    assert entry.after["language"] == "en" and entry.actor == user


@pytest.mark.django_db
def test_the_preference_follows_the_person_to_another_browser(client, world, vietnamese_site):
    preferences.set_language(world.users["coop"], "en")
    _login(client, world, "coop")
    assert _lang(client.get("/dashboard/", headers={"accept-language": "vi"})) == "en"
    # a colleague of another organisation keeps the default
    client.logout()
    _login(client, world, "ppo")
    assert _lang(client.get("/dashboard/", headers=ENGLISH)) == "vi"


@pytest.mark.django_db
def test_public_pages_follow_the_browser_when_nobody_is_signed_in(client, world, vietnamese_site):
    preferences.set_language(world.users["ppo"], "vi")
    assert _lang(client.get("/codes/", headers=ENGLISH)) == "en"
    assert _lang(client.get("/codes/", headers={"accept-language": "vi"})) == "vi"
    # the stamp lookup page chooses its own language from the browser too
    assert _lang(client.get("/lookup/", headers=ENGLISH)) == "en"


@pytest.mark.django_db
def test_the_header_switch_saves_the_signed_in_persons_preference(client, world, vietnamese_site):
    user = _login(client, world)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/dashboard/"})
    assert response.status_code == 302
    assert preferences.saved_language(user) == "en"
    assert _lang(client.get("/dashboard/")) == "en"
    client.post("/i18n/setlang/", {"language": "vi", "next": "/dashboard/"})
    assert _lang(client.get("/dashboard/", headers=ENGLISH)) == "vi"


@pytest.mark.django_db
def test_the_profile_page_refuses_a_language_not_offered(client, world, vietnamese_site):
    user = _login(client, world)
    response = client.post("/accounts/profile/", {"language": "fr"})
    assert response.status_code == 200
    assert 'id="language-form"' in response.content.decode()
    assert preferences.saved_language(user) == ""
    assert client.get("/accounts/profile/").status_code == 200


@pytest.mark.django_db
def test_the_profile_page_needs_a_login(client, world):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_the_api_reads_and_saves_the_language(client, world, vietnamese_site):
    user = _login(client, world, "household")
    me = client.get("/api/accounts/me").json()
    assert me["language"] == "vi" and me["language_saved"] is False

    response = client.patch("/api/accounts/me", {"language": "en"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["language"] == "en" and response.json()["language_saved"] is True
    assert preferences.language_of(user) == "en"

    bad = client.patch("/api/accounts/me", {"language": "xx"}, content_type="application/json")
    assert bad.status_code == 422
    assert "language" in bad.json()["errors"]
    assert preferences.language_of(user) == "en"


@pytest.mark.django_db
def test_the_api_refuses_anonymous_changes(client, world):
    response = client.patch("/api/accounts/me", {"language": "en"}, content_type="application/json")
    assert response.status_code == 401
    assert not Profile.objects.exists()


@pytest.mark.django_db
def test_the_command_shows_and_saves_the_language(world, capsys, vietnamese_site):
    call_command("language", "--as", "lab_user")
    assert capsys.readouterr().out.startswith("vi ")
    call_command("language", "en", "--as", "lab_user")
    assert capsys.readouterr().out.strip() == "en"
    assert preferences.language_of(world.users["lab"]) == "en"
