"""The organisation pages: list (scoped), new, detail with members and invite."""

import pytest
from django.core import mail
from django.test import Client

from agritrace.accounts.models import Organisation

pytestmark = pytest.mark.django_db


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def test_list_is_scoped(world):
    html = client_for(world, "ppo").get("/accounts/organisations/").content.decode()
    assert world.orgs["coop"].name in html and world.orgs["other_coop"].name not in html
    html = client_for(world, "household").get("/accounts/organisations/").content.decode()
    assert world.orgs["household"].name in html and world.orgs["coop"].name not in html
    assert "Add an organisation" not in html
    assert Client().get("/accounts/organisations/").status_code == 302


def test_new_organisation(world, communes):
    client = client_for(world, "ppo")
    page = client.get("/accounts/organisations/new/")
    assert page.status_code == 200
    bad = client.post(
        "/accounts/organisations/new/",
        {
            "name": "HTX A",
            "kind": "representative",
            "province": world.province.pk,
            "commune": "Nowhere",
        },
    )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert 'data-field="commune"' in html and "No commune or ward" in html
    ok = client.post(
        "/accounts/organisations/new/",
        {
            "name": "HTX A",
            "kind": "representative",
            "province": world.province.pk,
            "commune": communes[1].code,
        },
    )
    org = Organisation.objects.get(name="HTX A")
    assert ok.status_code == 302 and ok["Location"] == f"/accounts/organisations/{org.identifier}/"
    assert org.unit == communes[1]
    assert client_for(world, "coop").get("/accounts/organisations/new/").status_code == 403


def test_detail_members_and_invite(world, django_capture_on_commit_callbacks):
    org = world.orgs["coop"]
    url = f"/accounts/organisations/{org.identifier}/"
    client = client_for(world, "ppo")
    html = client.get(url).content.decode()
    assert org.identifier in html and "coop_user" in html and "Invite a person" in html
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, {"email": "mai@example.org", "role": "staff"})
    assert r.status_code == 302 and len(mail.outbox) == 1
    html = client.get(url).content.decode()
    assert "mai" in html and "Invited" in html
    bad = client.post(url, {"email": "mai@example.org", "role": "staff"})
    assert bad.status_code == 302  # invited again: a new link
    bad = client.post(url, {"email": "coop_user@example.org", "role": "staff"})
    assert "already has an account" in bad.content.decode()
    # the coop's officer sees its people, not the invite form; others get 403/404
    html = client_for(world, "coop").get(url).content.decode()
    assert "coop_user" in html and "Invite a person" not in html
    assert (
        client_for(world, "coop").post(url, {"email": "z@example.org", "role": "staff"}).status_code
        == 403
    )
    assert client_for(world, "other_ppo").get(url).status_code == 404
