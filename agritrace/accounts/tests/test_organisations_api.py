"""/api/accounts/organisations: list (scoped), create, read by identifier, invite."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from agritrace.accounts.models import Membership, Organisation, OrgKind, Role
from agritrace.audit.models import AuditEntry
from conftest import make_user

pytestmark = pytest.mark.django_db

URL = "/api/accounts/organisations"


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def identifiers(response) -> set[str]:
    return {o["identifier"] for o in response.json()["items"]}


def test_list_is_scoped(world):
    all_ids = set(Organisation.objects.values_list("identifier", flat=True))
    assert identifiers(client_for(world, "ministry").get(URL)) == all_ids
    province = identifiers(client_for(world, "ppo").get(URL))
    assert world.orgs["coop"].identifier in province
    assert world.orgs["other_coop"].identifier not in province
    assert world.orgs["ministry"].identifier not in province
    assert identifiers(client_for(world, "household").get(URL)) == {
        world.orgs["household"].identifier
    }
    assert identifiers(client_for(world, "lab").get(URL)) == {world.orgs["lab"].identifier}
    assert Client().get(URL).status_code == 401


def test_list_filters(world):
    client = client_for(world, "ppo")
    r = client.get(URL, {"kind": "exporter"})
    assert identifiers(r) == {world.orgs["exporter"].identifier}
    r = client.get(URL, {"q": "xnk tay nguyen"})  # without diacritics
    assert identifiers(r) == {world.orgs["exporter"].identifier}


def test_create_by_commune_code_and_by_name(world, communes):
    client = client_for(world, "ppo")
    r = post(
        client,
        URL,
        {
            "name": "HTX Cà phê Ea Kiết",
            "kind": "representative",
            "commune_code": communes[2].code,
            "tax_code": "6000000001",
            "gln": "8930000000019",
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["unit"]["code"] == communes[2].code and body["province"]["name"] == "Đắk Lắk"
    assert re.fullmatch(r"\d{5}-REP-\d{4}", body["identifier"])
    assert body["party"] == "https://id.gs1.org/417/8930000000019"
    org = Organisation.objects.get(identifier=body["identifier"])
    assert AuditEntry.objects.filter(action="organisation.create", object_id=str(org.pk)).exists()
    r = post(
        client,
        URL,
        {
            "name": "Công ty XNK Ea Tul",
            "kind": "exporter",
            "commune_name": "ea tul",
            "province_name": "dak lak",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["unit"]["name"] == "Xã Ea Tul"
    assert "party" in r.json() and str(r.json()["id"]) not in r.json()["party"]
    r = post(
        client, URL, {"name": "Chi cục 2", "kind": "plant_protection_office", "province_name": "66"}
    )
    assert r.status_code == 201 and r.json()["unit"]["level"] == "province"


def test_get_by_identifier_gln_or_id(world):
    org = world.orgs["exporter"]
    org.gln = "8930000000019"
    org.save()
    client = client_for(world, "ppo")
    for key in (org.identifier, org.identifier.lower(), org.gln, str(org.pk)):
        r = client.get(f"{URL}/{key}")
        assert r.status_code == 200, key
        assert r.json()["identifier"] == org.identifier
    assert client.get(f"{URL}/nonsense").status_code == 404


def test_members_only_for_own_people_and_authority(world):
    key = world.orgs["coop"].identifier
    assert [
        m["username"] for m in client_for(world, "coop").get(f"{URL}/{key}").json()["members"]
    ] == ["coop_user"]
    assert client_for(world, "ppo").get(f"{URL}/{key}").json()["members"] is not None
    # a representative sees exporters (to authorise them), not their people
    exporter = world.orgs["exporter"].identifier
    assert client_for(world, "coop").get(f"{URL}/{exporter}").json()["members"] is None


def test_it_rejects_bad_input(world, other_province):
    client = client_for(world, "ppo")
    before = Organisation.objects.count()
    cases = [
        ({"name": " ", "kind": "exporter", "province_name": "66"}, "name"),
        ({"name": "X", "kind": "exporter", "commune_code": "99999"}, "commune_code"),
        (
            {"name": "X", "kind": "exporter", "commune_name": "Nowhere", "province_name": "66"},
            "commune_name",
        ),
        ({"name": "X", "kind": "exporter", "commune_name": "Ea Tul"}, "province_name"),
        ({"name": "X", "kind": "exporter", "province_name": "Atlantis"}, "province_name"),
        ({"name": "X", "kind": "commune", "province_name": "66"}, "commune_name"),
        ({"name": "X", "kind": "exporter", "province_name": "66", "gln": "8930000000018"}, "gln"),
        ({"name": "X", "kind": "exporter", "province_name": "66", "email": "no"}, "email"),
        ({"name": "X", "kind": "ministry", "province_name": "66"}, "kind"),
        # the same name, kind and place again
        (
            {
                "name": world.orgs["exporter"].name,
                "kind": "exporter",
                "commune_code": world.orgs["exporter"].unit.code,
            },
            "name",
        ),
    ]
    for data, field in cases:
        r = post(client, URL, data)
        assert r.status_code == 422, (data, r.content)
        assert field in r.json()["errors"], (data, r.json())
    # an ambiguous name says so and names the choices
    r = post(
        client_for(world, "ministry"),
        URL,
        {
            "name": "X",
            "kind": "exporter",
            "commune_name": "tan thanh",
            "province_name": "Đồng Tháp",
        },
    )
    assert r.status_code == 422
    assert "ambiguous" in r.json()["errors"]["commune_name"][0]
    assert Organisation.objects.count() == before


def test_create_checks_access(world):
    data = {
        "name": "HTX Mới",
        "kind": "representative",
        "province_name": "Đồng Tháp",
        "commune_name": "Tân Thành",
    }
    assert post(client_for(world, "ppo"), URL, data).status_code == 403  # another province
    for key in ("coop", "exporter", "commune", "household", "lab"):
        assert post(client_for(world, key), URL, data).status_code == 403, key
    viewer = make_user("viewer", world.orgs["ministry"], Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    assert post(client, URL, data).status_code == 403
    assert not Organisation.objects.filter(name="HTX Mới").exists()
    assert post(client_for(world, "other_ppo"), URL, data).status_code == 201


def test_read_checks_scope(world):
    other = world.orgs["other_coop"].identifier
    assert client_for(world, "ppo").get(f"{URL}/{other}").status_code == 404
    assert (
        client_for(world, "household").get(f"{URL}/{world.orgs['coop'].identifier}").status_code
        == 404
    )
    assert client_for(world, "ministry").get(f"{URL}/{other}").status_code == 200


# ------------------------------------------------------------------ invitations


def invite(client, org, data):
    return post(client, f"{URL}/{org.identifier}/invitations", data)


def test_invite_then_set_password_on_the_page(world, client, django_capture_on_commit_callbacks):
    org = world.orgs["coop"]
    with django_capture_on_commit_callbacks(execute=True):
        r = invite(
            client_for(world, "ppo"),
            org,
            {"email": "lan@example.org", "role": "officer", "first_name": "Lan"},
        )
    assert r.status_code == 201, r.content
    assert r.json() == {
        "username": "lan",
        "email": "lan@example.org",
        "role": "officer",
        "active": False,
        "resent": False,
    }
    user = get_user_model().objects.get(username="lan")
    assert not user.is_active and not user.has_usable_password()
    assert user.membership.organisation == org and user.membership.role == "officer"
    assert AuditEntry.objects.filter(action="user.invite", object_id=str(user.pk)).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lan@example.org"]
    link = re.search(r"http\S+/accounts/invitations/\S+/", mail.outbox[0].body).group(0)
    path = urlsplit(link).path
    assert client.login(username="lan", password="x") is False
    page = client.get(path)
    assert page.status_code == 200 and "lan" in page.content.decode()
    short = client.post(path, {"new_password1": "abc", "new_password2": "abc"})
    assert short.status_code == 200 and 'data-field="new_password2"' in short.content.decode()
    done = client.post(path, {"new_password1": "Lúa-xanh-2026", "new_password2": "Lúa-xanh-2026"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.is_active and user.check_password("Lúa-xanh-2026")
    assert AuditEntry.objects.filter(action="user.accept_invitation").exists()
    # the link works once
    assert client.get(path).status_code == 404
    assert Client().login(username="lan", password="Lúa-xanh-2026")


def test_invite_again_sends_a_new_link(world, django_capture_on_commit_callbacks):
    org = world.orgs["coop"]
    client = client_for(world, "ppo")
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, org, {"email": "lan@example.org"})
        r = invite(client, org, {"email": "lan@example.org"})
    assert r.status_code == 201 and r.json()["resent"] is True
    assert len(mail.outbox) == 2
    assert get_user_model().objects.filter(email="lan@example.org").count() == 1


def test_invite_rejects_bad_input(world):
    org = world.orgs["coop"]
    client = client_for(world, "ppo")
    before = get_user_model().objects.count()
    for data, field in [
        ({"email": "not-an-address"}, "email"),
        ({"email": "coop_user@example.org"}, "email"),  # already has an account
        ({"email": "a@example.org", "username": "coop_user"}, "username"),
        ({"email": "a@example.org", "username": "a b"}, "username"),
    ]:
        r = invite(client, org, data)
        assert r.status_code == 422, (data, r.content)
        assert field in r.json()["errors"]
    assert get_user_model().objects.count() == before and not mail.outbox


def test_invite_checks_access(world):
    org = world.orgs["coop"]
    data = {"email": "x@example.org"}
    # an officer of the organisation itself is not its manager; another province; others
    for key in ("coop", "exporter", "household", "commune", "lab"):
        assert invite(client_for(world, key), org, data).status_code in (403, 404), key
    assert invite(client_for(world, "other_ppo"), org, data).status_code == 404
    manager = make_user("boss", org, Role.MANAGER)
    client = Client()
    client.force_login(manager)
    assert invite(client, org, data).status_code == 201
    assert (
        not Membership.objects.filter(user__email="x@example.org")
        .exclude(organisation=org)
        .exists()
    )
    assert OrgKind.REPRESENTATIVE == org.kind
