"""Province abbreviations: API, page and command; who may set them; the seeded ones."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from agritrace.accounts.models import Role
from agritrace.audit.models import AuditEntry
from agritrace.places.models import AdminUnit, ProvinceAbbreviation
from conftest import make_user

pytestmark = pytest.mark.django_db

URL = "/api/places/abbreviations"


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def post(client, data):
    return client.post(URL, data, content_type="application/json")


def put(client, province, data):
    return client.put(f"{URL}/{province}", data, content_type="application/json")


def province(name: str, tree: str = "2025") -> AdminUnit:
    return AdminUnit.objects.get(tree=tree, level="province", name=name)


def test_seeded_only_those_seen_on_codes_with_their_source(db):
    rows = {(r.province.tree, r.province.name): r for r in ProvinceAbbreviation.objects.all()}
    assert set(rows) == {("2025", "Đồng Tháp"), ("2008", "Đồng Tháp"), ("2008", "Bến Tre")}
    assert rows[("2008", "Bến Tre")].abbreviation == "BT"
    assert "VN-BTPH-036" in rows[("2008", "Bến Tre")].source
    body = Client().get(URL).json()
    assert {(a["province"]["name"], a["tree"], a["abbreviation"]) for a in body} == {
        ("Đồng Tháp", "2025", "DT"),
        ("Đồng Tháp", "2008", "DT"),
        ("Bến Tre", "2008", "BT"),
    }


def test_ministry_enters_one_and_it_is_audited(world):
    r = post(
        client_for(world, "ministry"),
        {"province": "Lâm Đồng", "abbreviation": "ld", "source": "Decision 1/2026"},
    )
    assert r.status_code == 201, r.content
    assert r.json()["abbreviation"] == "LD" and r.json()["province"]["name"] == "Lâm Đồng"
    row = ProvinceAbbreviation.objects.get(province=province("Lâm Đồng"), active=True)
    entry = AuditEntry.objects.filter(action="catalogue.abbreviation").last()
    assert entry.object_id == str(row.pk) and entry.after["abbreviation"] == "LD"
    assert {a["abbreviation"] for a in Client().get(URL).json()} >= {"LD"}


def test_province_changes_its_own_and_the_earlier_is_kept(world):
    client = client_for(world, "province")
    r = put(
        client,
        "66",
        {"abbreviation": "DK", "source": "Decision 7/2026", "source_date": "2026-01-05"},
    )
    assert r.status_code == 200, r.content
    rows = ProvinceAbbreviation.objects.filter(province=world.province).order_by("pk")
    assert [(r.abbreviation, r.active) for r in rows] == [("DL", False), ("DK", True)]
    assert AuditEntry.objects.filter(action="catalogue.abbreviation.retire").exists()
    earlier = Client().get(URL, {"all": "true"}).json()
    assert ("DL", False) in {(a["abbreviation"], a["active"]) for a in earlier}
    # POST refuses a province that has one (change it with PUT)
    r = post(client, {"province": "Đắk Lắk", "abbreviation": "DA", "source": "x"})
    assert r.status_code == 422 and "province" in r.json()["errors"]


def test_it_rejects_bad_input(world):
    client = client_for(world, "ministry")
    before = ProvinceAbbreviation.objects.count()
    for data, field in [
        ({"province": "Lâm Đồng", "abbreviation": "L1", "source": "x"}, "abbreviation"),
        ({"province": "Lâm Đồng", "abbreviation": "ABCD", "source": "x"}, "abbreviation"),
        ({"province": "Lâm Đồng", "abbreviation": "LD", "source": " "}, "source"),
        ({"province": "Atlantis", "abbreviation": "AT", "source": "x"}, "province"),
        ({"province": "Bến Tre", "abbreviation": "BT", "source": "x"}, "province"),  # earlier
        # another province's letters
        ({"province": "Lâm Đồng", "abbreviation": "DL", "source": "x"}, "abbreviation"),
    ]:
        r = post(client, data)
        assert r.status_code == 422, (data, r.content)
        assert field in r.json()["errors"], (data, r.json())
    assert ProvinceAbbreviation.objects.count() == before
    # a merged province may keep an earlier province's letters: Vĩnh Long took in Bến Tre
    r = post(client, {"province": "Vĩnh Long", "abbreviation": "BT", "source": "x"})
    assert r.status_code == 201


def test_it_checks_access(world):
    data = {"province": "Đồng Tháp", "abbreviation": "DO", "source": "x"}
    # another province's authority, representatives, exporters, the public
    assert put(client_for(world, "ppo"), "Đồng Tháp", data).status_code == 403
    for key in ("coop", "exporter", "commune", "lab"):
        assert post(client_for(world, key), data).status_code == 403, key
    assert post(Client(), data).status_code == 401
    viewer = make_user("viewer", world.orgs["ministry"], Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    assert post(client, data).status_code == 403
    assert (
        ProvinceAbbreviation.objects.get(province=province("Đồng Tháp"), active=True).abbreviation
        == "DT"
    )


def test_command_list_and_set(world, capsys):
    call_command("abbreviations", "list")
    out = capsys.readouterr().out
    assert "DL   2025  66 Đắk Lắk" in out and "BT   2008  83 Bến Tre" in out
    call_command(
        "abbreviations", "set", "Đắk Lắk", "DK", "--source", "Decision 7/2026", "--as", "ppo_user"
    )
    assert (
        ProvinceAbbreviation.objects.get(province=world.province, active=True).abbreviation == "DK"
    )
    capsys.readouterr()
    call_command("abbreviations", "list")
    assert "DL " not in capsys.readouterr().out
    call_command("abbreviations", "list", "--all")
    assert "DL   2025  66 Đắk Lắk (earlier)" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("abbreviations", "set", "Đồng Tháp", "DO", "--source", "x", "--as", "ppo_user")
    with pytest.raises(CommandError):
        call_command("abbreviations", "set", "Đắk Lắk", "9", "--source", "x", "--as", "ppo_user")


def test_page_lists_and_the_authority_sets(world):
    page = Client().get("/places/abbreviations/")
    assert page.status_code == 200
    assert (
        "Đắk Lắk" in page.content.decode()
        and '<form method="post" class="form">' not in page.content.decode()
    )
    client = client_for(world, "ppo")
    page = client.get("/places/abbreviations/")
    assert 'name="abbreviation"' in page.content.decode()
    bad = client.post(
        "/places/abbreviations/",
        {"province": world.province.pk, "abbreviation": "D1", "source": "x"},
    )
    assert bad.status_code == 200
    assert 'data-field="abbreviation"' in bad.content.decode()
    assert "Two or three letters" in bad.content.decode()
    ok = client.post(
        "/places/abbreviations/",
        {"province": world.province.pk, "abbreviation": "DK", "source": "Decision 7/2026"},
    )
    assert ok.status_code == 302
    assert (
        ProvinceAbbreviation.objects.get(province=world.province, active=True).abbreviation == "DK"
    )
    # another province cannot be chosen; a representative may not post at all
    other = client.post(
        "/places/abbreviations/",
        {"province": province("Đồng Tháp").pk, "abbreviation": "DO", "source": "x"},
    )
    assert other.status_code == 200 and "DO" not in set(
        ProvinceAbbreviation.objects.values_list("abbreviation", flat=True)
    )
    assert (
        client_for(world, "coop")
        .post(
            "/places/abbreviations/",
            {"province": world.province.pk, "abbreviation": "DO", "source": "x"},
        )
        .status_code
        == 403
    )


def test_issuing_points_to_the_page_when_missing(world):
    from django.core.exceptions import ValidationError

    from agritrace.registry.codes import province_abbreviation

    with pytest.raises(ValidationError) as exc:
        province_abbreviation(province("Lâm Đồng"))
    assert "/places/abbreviations/" in str(exc.value)
