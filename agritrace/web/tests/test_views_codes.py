"""The code pages: what each role sees, what it may do, and how bad input comes back."""

import html
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.registry import services
from agritrace.registry.lifecycle import INSPECTION_CHECKLIST, suspend, transition
from agritrace.registry.models import (
    Application,
    ApplicationDocument,
    ApprovalStatus,
    AppStatus,
    CodeAuthorisation,
    CodeStatus,
    Crop,
    Market,
    MarketApproval,
    PackingHouse,
    PlantingArea,
)
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def login(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def field_error(response, field_id: str) -> str:
    """The message shown beside a field (the span Django's aria-describedby points at)."""
    body = response.content.decode()
    marker = f'id="{field_id}_error">'
    assert marker in body, f"no error shown beside {field_id}"
    start = body.index(marker) + len(marker)
    return html.unescape(body[start : body.index("</span>", start)])


def issued_area(world, **kwargs):
    area, app = make_area(world, **kwargs)
    app = walk_to_issued(world, app)
    area.refresh_from_db()
    return area, app


def make_house(world, key="packing", **extra):
    data = {
        "name": "Kho Phúc Thịnh",
        "address": "Km 5, QL14",
        "commune": world.orgs[key].unit_id,
        "capacity_t_per_day": 30,
        "lon": 108.05,
        "lat": 12.67,
        "crops": [Crop.objects.get(code="durian").pk],
        **extra,
    }
    return services.create_packing_house(world.actor(key), data)


def area_data(world, **overrides) -> dict:
    durian = Crop.objects.get(code="durian")
    data = {
        "name": "Vùng sầu riêng Ea Tul 2",
        "crop": durian.pk,
        "variety": durian.varieties.first().pk,
        "commune": world.orgs["coop"].unit_id,
        "village": "Buôn Ea Tul",
        "declared_area_ha": "12.5",
        "expected_yield_t": "200",
        "harvests_per_year": "1",
        "markets": [Market.objects.get(code="CN").pk],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ------------------------------------------------------------------ home and login


def test_home_sends_visitors_to_the_public_register(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("public-codes")


def test_home_sends_users_to_their_dashboard(world):
    response = login(world, "coop").get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("dashboard")


@pytest.mark.parametrize(
    "name,args",
    [
        ("dashboard", []),
        ("area-list", []),
        ("area-create", []),
        ("area-detail", [1]),
        ("packing-house-list", []),
        ("application-list", []),
        ("application-detail", [1]),
        ("inspection-form", [1]),
        ("areas-geojson", []),
    ],
)
def test_pages_need_a_login(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ------------------------------------------------------------------ dashboard and map


def test_dashboard_counts_the_actors_scope(world):
    issued_area(world)
    _area2, app2 = make_area(world, lon=108.06)
    transition(app2, "submit", world.actor("coop"))
    Application.objects.filter(pk=app2.pk).update(deadline=TODAY() - timedelta(days=3))
    make_house(world)

    response = login(world, "ppo").get(reverse("dashboard"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["area_total"] == 2
    assert {r["status"]: r["count"] for r in ctx["areas_by_status"]}[CodeStatus.ISSUED] == 1
    assert ctx["areas_by_crop"][0][1] == 2
    assert ctx["house_total"] == 1
    assert ctx["houses_by_crop"][0][1] == 1
    assert {r["status"]: r["count"] for r in ctx["apps_by_status"]}[AppStatus.SUBMITTED] == 1
    assert ctx["open_total"] == 2  # the submitted area and the packing house's draft
    assert [a.pk for a in ctx["overdue"]] == [app2.pk]
    body = response.content.decode()
    assert reverse("application-detail", args=[app2.pk]) in body
    assert reverse("areas-geojson") in body
    assert 'id="areas-map"' in body


def test_dashboard_of_another_province_is_empty(world):
    make_area(world)
    response = login(world, "other_ppo").get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["area_total"] == 0
    assert response.context["open_total"] == 0
    assert "Vùng sầu riêng" not in text(response)


def test_areas_geojson_gives_visible_plots_coloured_by_status(world):
    area, _app = issued_area(world)
    PlantingArea.objects.filter(pk=area.pk).update(name="<b>Vườn</b> & co")
    response = login(world, "ppo").get(reverse("areas-geojson"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    data = response.json()
    assert data["type"] == "FeatureCollection"
    plots = [f for f in data["features"] if f["properties"]["kind"] == "plot"]
    assert len(plots) == 2
    assert [f["properties"]["kind"] for f in data["features"]].count("area") == 1
    feature = plots[0]
    assert feature["geometry"]["type"] == "Polygon"
    props = feature["properties"]
    assert props["status"] == "issued"
    assert props["code"] == area.code
    assert reverse("area-detail", args=[area.pk]) in props["popup"]
    assert "&lt;b&gt;Vườn&lt;/b&gt; &amp; co" in props["popup"]  # escaped for the popup
    assert "<b>" not in props["popup"]


def test_areas_geojson_colours_an_uncoded_area_by_its_application(world):
    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    data = login(world, "coop").get(reverse("areas-geojson")).json()
    assert {f["properties"]["status"] for f in data["features"]} == {"submitted"}


def test_areas_geojson_is_scoped_and_filters_one_area(world):
    area, _ = make_area(world)
    other, _ = make_area(world, lon=108.07, households=1)
    assert login(world, "other_ppo").get(reverse("areas-geojson")).json()["features"] == []
    data = login(world, "ppo").get(reverse("areas-geojson"), {"area": other.pk}).json()
    assert {f["properties"]["area"] for f in data["features"]} == {other.pk}
    bad = login(world, "ppo").get(reverse("areas-geojson"), {"area": "x"}).json()
    assert bad["features"] == []
    assert area.pk  # the first area is there but filtered out


# ------------------------------------------------------------------ area list


def test_area_list_shows_the_scope_with_filters(world):
    area, _ = issued_area(world, declared=Decimal("5"))
    make_area(world, lon=108.06, households=1)
    client = login(world, "ppo")
    response = client.get(reverse("area-list"))
    assert response.status_code == 200
    body = text(response)
    assert area.code in body
    assert "Vùng sầu riêng 108.060" in body
    assert "⚠" in body  # 5 ha declared, 2 ha measured: flagged

    issued = text(client.get(reverse("area-list"), {"status": "issued"}))
    assert area.code in issued and "108.060" not in issued
    found = text(client.get(reverse("area-list"), {"q": "108.06"}))
    assert "108.060" in found and area.code not in found
    by_code = text(client.get(reverse("area-list"), {"q": area.code.lower()}))
    assert area.code in by_code
    bad_crop = text(client.get(reverse("area-list"), {"q": "108.06", "crop": "abc"}))
    assert "108.060" in bad_crop and area.code not in bad_crop
    coffee = Crop.objects.get(code="coffee")
    assert "No planting areas match." in text(client.get(reverse("area-list"), {"crop": coffee.pk}))
    us = Market.objects.get(code="US")
    assert "No planting areas match." in text(client.get(reverse("area-list"), {"market": us.pk}))
    cn = Market.objects.get(code="CN")
    assert area.code in text(
        client.get(reverse("area-list"), {"market": cn.pk, "commune": area.commune_id})
    )


def test_area_list_hides_other_provinces(world):
    make_area(world)
    response = login(world, "other_ppo").get(reverse("area-list"))
    assert response.status_code == 200
    assert "No planting areas match." in text(response)


def test_area_list_pages_by_25(world):
    actor = world.actor("coop")
    for i in range(27):
        services.create_area(actor, area_data(world, name=f"Vùng {i:02d}", markets=[]))
    client = login(world, "coop")
    first = client.get(reverse("area-list"))
    assert len(first.context["page"].object_list) == 25
    assert "Vùng 24" in text(first) and "Vùng 25" not in text(first)
    second = client.get(reverse("area-list"), {"page": 2})
    assert [a.name for a in second.context["page"]] == ["Vùng 25", "Vùng 26"]
    assert "26–27 of 27" in text(second)


# ------------------------------------------------------------------ area create / edit


def test_a_representative_creates_an_area(world):
    client = login(world, "coop")
    assert client.get(reverse("area-create")).status_code == 200
    response = client.post(reverse("area-create"), area_data(world))
    area = PlantingArea.objects.get(name="Vùng sầu riêng Ea Tul 2")
    assert response.status_code == 302
    assert response.url == reverse("area-detail", args=[area.pk])
    assert area.representative == world.orgs["coop"]
    assert area.declared_area_ha == Decimal("12.5")
    assert list(area.markets.values_list("code", flat=True)) == ["CN"]
    assert area.applications.get().status == AppStatus.DRAFT


def test_a_bad_area_form_shows_each_message_beside_its_field(world):
    client = login(world, "coop")
    response = client.post(reverse("area-create"), area_data(world, name="", declared_area_ha="-1"))
    assert response.status_code == 200
    assert "name" in field_error(response, "id_name").lower()
    assert "more than zero" in field_error(response, "id_declared_area_ha")
    assert 'aria-invalid="true"' in response.content.decode()
    assert not PlantingArea.objects.exists()
    # What was typed is kept.
    assert 'value="Buôn Ea Tul"' in response.content.decode()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("declared_area_ha", "abc", "Enter a number."),
        ("declared_area_ha", "", "must be a number"),
        ("declared_area_ha", "1000000", "is not plausible"),
        ("expected_yield_t", "-5", "more than zero"),
        ("harvests_per_year", "13", "whole number from 1 to 12"),
        ("crop", "", "Choose a crop"),
        ("crop", "99999", "valid choice"),
        ("commune", "", "Choose a commune"),
        ("markets", "99999", "valid choice"),
    ],
)
def test_each_bad_area_value_is_named_beside_its_field(world, field, value, message):
    response = login(world, "coop").post(reverse("area-create"), area_data(world, **{field: value}))
    assert response.status_code == 200
    assert message in field_error(response, f"id_{field}")
    assert not PlantingArea.objects.exists()


def test_an_area_form_refuses_a_variety_of_another_crop(world):
    coffee_variety = Crop.objects.get(code="coffee").varieties.first()
    response = login(world, "coop").post(
        reverse("area-create"), area_data(world, variety=coffee_variety.pk)
    )
    assert response.status_code == 200
    assert "variety of the chosen crop" in field_error(response, "id_variety")
    assert not PlantingArea.objects.exists()


def test_an_authority_names_the_representative_and_only_its_communes(world):
    client = login(world, "ppo")
    form = client.get(reverse("area-create")).context["form"]
    communes = set(form.fields["commune"].queryset.values_list("parent_id", flat=True))
    assert communes == {world.province.pk}
    reps = set(form.fields["representative"].queryset)
    assert world.orgs["coop"] in reps and world.orgs["other_coop"] not in reps

    response = client.post(
        reverse("area-create"),
        area_data(world, commune=world.other_commune.pk, representative=world.orgs["coop"].pk),
    )
    assert response.status_code == 200
    assert "valid choice" in field_error(response, "id_commune")
    response = client.post(reverse("area-create"), area_data(world))
    assert response.status_code == 200
    assert "representative" in field_error(response, "id_representative").lower()
    assert not PlantingArea.objects.exists()

    response = client.post(
        reverse("area-create"), area_data(world, representative=world.orgs["coop"].pk)
    )
    assert response.status_code == 302
    assert PlantingArea.objects.get().representative == world.orgs["coop"]


@pytest.mark.parametrize("key", ["household", "commune", "exporter", "ministry"])
def test_roles_without_registry_rights_cannot_create_areas(world, key):
    client = login(world, key)
    assert client.get(reverse("area-create")).status_code == 403
    assert client.post(reverse("area-create"), area_data(world)).status_code == 403
    assert not PlantingArea.objects.exists()


def test_an_area_is_edited_through_the_service(world):
    area, _ = make_area(world)
    client = login(world, "coop")
    page = client.get(reverse("area-edit", args=[area.pk]))
    assert page.status_code == 200
    assert "commune" not in page.context["form"].fields
    data = area_data(world, name="Tên mới", declared_area_ha="0.03")
    response = client.post(reverse("area-edit", args=[area.pk]), data)
    assert response.status_code == 302
    area.refresh_from_db()
    assert area.name == "Tên mới"
    assert area.declared_area_ha == Decimal("0.03")


def test_a_bad_edit_changes_nothing(world):
    area, _ = make_area(world)
    response = login(world, "coop").post(
        reverse("area-edit", args=[area.pk]), area_data(world, name="X", declared_area_ha="0")
    )
    assert response.status_code == 200
    assert "more than zero" in field_error(response, "id_declared_area_ha")
    area.refresh_from_db()
    assert area.name != "X"


def test_a_revoked_area_cannot_be_edited(world):
    from agritrace.registry.lifecycle import revoke

    area, _ = issued_area(world)
    revoke(area, world.actor("ppo"), "Cadmium")
    response = login(world, "coop").post(reverse("area-edit", args=[area.pk]), area_data(world))
    assert response.status_code == 200
    assert "A revoked area cannot be changed." in text(response)


def test_area_edit_checks_access(world):
    area, _ = make_area(world)
    assert login(world, "other_ppo").get(reverse("area-edit", args=[area.pk])).status_code == 404
    assert login(world, "coop_b").get(reverse("area-edit", args=[area.pk])).status_code == 404
    response = login(world, "commune").get(reverse("area-edit", args=[area.pk]))
    assert response.status_code == 403


# ------------------------------------------------------------------ area detail


def test_area_detail_shows_everything_to_the_province(world):
    area, app = issued_area(world, declared=Decimal("5"))
    household = area.households.first()
    response = login(world, "ppo").get(reverse("area-detail", args=[area.pk]))
    assert response.status_code == 200
    body = text(response)
    assert area.code in body
    assert household.national_id in body
    assert "Declared 5.00 ha but the plots measure 1.99 ha" in body  # flag
    assert 'id="plots-data"' in body
    assert reverse("area-code-action", args=[area.pk]) in body  # suspend / revoke forms
    assert "Suspend the code" in body and "Revoke the code" in body
    assert "Reinstate the code" not in body
    assert "Issue the code" in body  # the history
    assert reverse("application-detail", args=[app.pk]) in body
    # Submitting to the national department is the province's move; sending is not.
    assert "Submit to the Plant Protection Department" in body
    assert "Sent to the importing country" not in body


def test_area_detail_shows_the_representative_its_own_moves(world):
    area, _ = issued_area(world)
    response = login(world, "coop").get(reverse("area-detail", args=[area.pk]))
    body = text(response)
    assert response.context["authorise_form"] is not None
    assert reverse("area-authorise", args=[area.pk]) in body
    assert "Suspend the code" not in body
    assert "Submit to the Plant Protection Department" not in body


def test_area_detail_keeps_personal_data_from_an_authorised_exporter(world):
    area, _ = issued_area(world)
    services.authorise_exporter(
        world.actor("coop"),
        area,
        world.orgs["exporter"].pk,
        Market.objects.get(code="CN").pk,
        TODAY(),
        TODAY() + timedelta(days=90),
    )
    response = login(world, "exporter").get(reverse("area-detail", args=[area.pk]))
    assert response.status_code == 200
    body = text(response)
    assert area.code in body
    for household in area.households.all():
        assert household.national_id not in body
        assert household.name not in body
    assert "No member households you can see." in body
    assert response.context["authorise_form"] is None


def test_area_detail_highlights_an_overdue_application(world):
    area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    Application.objects.filter(pk=app.pk).update(deadline=TODAY() - timedelta(days=1))
    body = login(world, "ppo").get(reverse("area-detail", args=[area.pk])).content.decode()
    assert 'class="overdue"' in body
    assert 'class="badge overdue"' in body


@pytest.mark.parametrize("key", ["other_ppo", "other_coop", "coop_b", "commune_b"])
def test_area_detail_is_404_out_of_scope(world, key):
    area, _ = make_area(world)
    assert login(world, key).get(reverse("area-detail", args=[area.pk])).status_code == 404


# ------------------------------------------------------------------ code actions


def test_code_action_rejects_get(world):
    area, _ = make_area(world)
    assert login(world, "ppo").get(reverse("area-code-action", args=[area.pk])).status_code == 405


def test_the_province_suspends_and_reinstates_a_code(world):
    area, _ = issued_area(world)
    client = login(world, "ppo")
    until = TODAY() + timedelta(days=30)
    response = client.post(
        reverse("area-code-action", args=[area.pk]),
        {"action": "suspend", "reason": "Sâu đục quả", "until": until.isoformat()},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("area-detail", args=[area.pk])
    assert f"Code {area.code} suspended." in text(response)
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    assert area.suspended_until == until
    assert "Reinstate the code" in text(response)

    client.post(reverse("area-code-action", args=[area.pk]), {"action": "reinstate"})
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED


def test_a_suspension_needs_a_reason(world):
    area, _ = issued_area(world)
    response = login(world, "ppo").post(
        reverse("area-code-action", args=[area.pk]),
        {"action": "suspend", "reason": "  "},
        follow=True,
    )
    assert "A reason is required to suspend a code." in text(response)
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED


def test_a_bad_suspension_date_is_refused(world):
    area, _ = issued_area(world)
    client = login(world, "ppo")
    response = client.post(
        reverse("area-code-action", args=[area.pk]),
        {"action": "suspend", "reason": "x", "until": "not a date"},
        follow=True,
    )
    assert "Enter a real date as yyyy-mm-dd, for example 2026-12-03." in text(response)
    response = client.post(
        reverse("area-code-action", args=[area.pk]),
        {"action": "suspend", "reason": "x", "until": TODAY().isoformat()},
        follow=True,
    )
    assert "must be in the future" in text(response)
    response = client.post(
        reverse("area-code-action", args=[area.pk]), {"action": "delete"}, follow=True
    )
    assert "valid choice" in text(response)
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED


def test_the_province_revokes_a_code(world):
    area, _ = issued_area(world)
    response = login(world, "ppo").post(
        reverse("area-code-action", args=[area.pk]),
        {"action": "revoke", "reason": "Auramine O"},
        follow=True,
    )
    area.refresh_from_db()
    assert area.code_status == CodeStatus.REVOKED
    assert "Auramine O" in text(response)  # in the history


@pytest.mark.parametrize("key", ["coop", "commune", "exporter"])
def test_others_cannot_suspend(world, key):
    area, _ = issued_area(world)
    if key == "exporter":
        services.authorise_exporter(
            world.actor("coop"),
            area,
            world.orgs["exporter"].pk,
            Market.objects.get(code="CN").pk,
            TODAY(),
            TODAY() + timedelta(days=10),
        )
    response = login(world, key).post(
        reverse("area-code-action", args=[area.pk]), {"action": "suspend", "reason": "x"}
    )
    assert response.status_code == 403
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED


def test_code_action_is_404_for_another_province(world):
    area, _ = issued_area(world)
    response = login(world, "other_ppo").post(
        reverse("area-code-action", args=[area.pk]), {"action": "suspend", "reason": "x"}
    )
    assert response.status_code == 404


def test_packing_house_code_actions(world):
    house, app = make_house(world)
    walk_to_issued(world, app)
    client = login(world, "ppo")
    url = reverse("ph-code-action", args=[house.pk])
    assert client.get(url).status_code == 405
    assert login(world, "packing").post(url, {"action": "revoke", "reason": "x"}).status_code == 403
    assert (
        login(world, "other_ppo").post(url, {"action": "revoke", "reason": "x"}).status_code == 404
    )
    response = client.post(url, {"action": "suspend", "reason": "Nước thải"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("packing-house-detail", args=[house.pk])
    house.refresh_from_db()
    assert house.code_status == CodeStatus.SUSPENDED


# ------------------------------------------------------------------ authorisations


def test_the_representative_authorises_and_withdraws_an_exporter(world):
    area, _ = issued_area(world)
    client = login(world, "coop")
    cn = Market.objects.get(code="CN")
    response = client.post(
        reverse("area-authorise", args=[area.pk]),
        {
            "op": "grant",
            "grantee": world.orgs["exporter"].pk,
            "market": cn.pk,
            "valid_from": TODAY().isoformat(),
            "valid_to": (TODAY() + timedelta(days=180)).isoformat(),
        },
        follow=True,
    )
    auth = CodeAuthorisation.objects.get()
    assert auth.grantee == world.orgs["exporter"] and auth.market == cn
    assert f"may use code {area.code}" in text(response)

    response = client.post(
        reverse("area-authorise", args=[area.pk]),
        {"op": "withdraw", "authorisation": auth.pk, "reason": "Hết hợp đồng"},
        follow=True,
    )
    auth.refresh_from_db()
    assert auth.withdrawn_at is not None
    assert auth.withdrawal_reason == "Hết hợp đồng"
    assert "withdrawn" in text(response)


def test_an_authorisation_with_bad_dates_is_refused(world):
    area, _ = issued_area(world)
    response = login(world, "coop").post(
        reverse("area-authorise", args=[area.pk]),
        {
            "grantee": world.orgs["exporter"].pk,
            "market": Market.objects.get(code="CN").pk,
            "valid_from": TODAY().isoformat(),
            "valid_to": (TODAY() - timedelta(days=1)).isoformat(),
        },
        follow=True,
    )
    assert "The end comes before the start." in text(response)
    assert not CodeAuthorisation.objects.exists()


def test_only_the_areas_markets_can_be_authorised(world):
    area, _ = issued_area(world)
    response = login(world, "coop").post(
        reverse("area-authorise", args=[area.pk]),
        {
            "grantee": world.orgs["exporter"].pk,
            "market": Market.objects.get(code="US").pk,
            "valid_from": TODAY().isoformat(),
            "valid_to": (TODAY() + timedelta(days=1)).isoformat(),
        },
        follow=True,
    )
    assert "Market: Select a valid choice" in text(response)
    assert not CodeAuthorisation.objects.exists()


def test_authorise_checks_role_scope_and_method(world):
    area, _ = issued_area(world)
    url = reverse("area-authorise", args=[area.pk])
    data = {
        "grantee": world.orgs["exporter"].pk,
        "market": Market.objects.get(code="CN").pk,
        "valid_from": TODAY().isoformat(),
        "valid_to": (TODAY() + timedelta(days=1)).isoformat(),
    }
    assert login(world, "coop").get(url).status_code == 405
    assert login(world, "ppo").post(url, data).status_code == 403
    assert login(world, "coop_b").post(url, data).status_code == 404
    assert login(world, "other_coop").post(url, data).status_code == 404
    assert not CodeAuthorisation.objects.exists()


def test_a_withdrawal_of_another_areas_authorisation_is_404(world):
    area, _ = issued_area(world)
    other, _ = issued_area(world, lon=108.07, households=1)
    auth = services.authorise_exporter(
        world.actor("coop"),
        other,
        world.orgs["exporter"].pk,
        Market.objects.get(code="CN").pk,
        TODAY(),
        TODAY() + timedelta(days=10),
    )
    response = login(world, "coop").post(
        reverse("area-authorise", args=[area.pk]), {"op": "withdraw", "authorisation": auth.pk}
    )
    assert response.status_code == 404
    auth.refresh_from_db()
    assert auth.withdrawn_at is None


# ------------------------------------------------------------------ market approvals


def test_market_approval_moves_step_by_step(world):
    area, _ = issued_area(world)
    cn = Market.objects.get(code="CN")
    url = reverse("area-market-approval", args=[area.pk])
    login(world, "ppo").post(url, {"market": cn.pk, "move": "submit"})
    assert MarketApproval.objects.get().status == ApprovalStatus.SUBMITTED

    ministry = login(world, "ministry")
    page = text(ministry.get(reverse("area-detail", args=[area.pk])))
    assert "Sent to the importing country" in page
    ministry.post(url, {"market": cn.pk, "move": "send"})
    response = ministry.post(url, {"market": cn.pk, "move": "approve"}, follow=True)
    assert "Give the importing country's list reference." in text(response)
    assert MarketApproval.objects.get().status == ApprovalStatus.SENT
    ministry.post(url, {"market": cn.pk, "move": "approve", "importer_list_ref": "GACC-2025-17"})
    approval = MarketApproval.objects.get()
    assert approval.status == ApprovalStatus.APPROVED
    assert approval.importer_list_ref == "GACC-2025-17"


def test_the_province_cannot_record_the_importers_decision(world):
    area, _ = issued_area(world)
    cn = Market.objects.get(code="CN")
    url = reverse("area-market-approval", args=[area.pk])
    client = login(world, "ppo")
    client.post(url, {"market": cn.pk, "move": "submit"})
    response = client.post(url, {"market": cn.pk, "move": "send"}, follow=True)
    assert "Only the Plant Protection Department records this." in text(response)
    assert MarketApproval.objects.get().status == ApprovalStatus.SUBMITTED


def test_market_approval_checks_role_scope_and_method(world):
    area, _ = issued_area(world)
    url = reverse("area-market-approval", args=[area.pk])
    data = {"market": Market.objects.get(code="CN").pk, "move": "submit"}
    assert login(world, "ppo").get(url).status_code == 405
    assert login(world, "coop").post(url, data).status_code == 403
    assert login(world, "other_ppo").post(url, data).status_code == 404
    assert not MarketApproval.objects.exists()
    response = login(world, "ppo").post(url, {"market": 99999, "move": "submit"}, follow=True)
    assert "valid choice" in text(response)


# ------------------------------------------------------------------ packing houses


def test_a_packing_house_registers_itself(world):
    client = login(world, "packing")
    page = client.get(reverse("packing-house-create"))
    assert page.status_code == 200
    assert "operator" not in page.context["form"].fields
    response = client.post(
        reverse("packing-house-create"),
        {
            "name": "Kho lạnh Phúc Thịnh",
            "address": "Km 5",
            "commune": world.orgs["packing"].unit_id,
            "capacity_t_per_day": "25",
            "lon": "108.05",
            "lat": "12.67",
            "crops": [Crop.objects.get(code="durian").pk],
            "markets": [Market.objects.get(code="CN").pk],
        },
    )
    house = PackingHouse.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("packing-house-detail", args=[house.pk])
    assert house.operator == world.orgs["packing"]
    assert house.applications.get().status == AppStatus.DRAFT


def test_a_bad_packing_house_form_shows_messages_beside_fields(world):
    response = login(world, "packing").post(
        reverse("packing-house-create"),
        {
            "name": "Kho",
            "address": "",
            "commune": world.orgs["packing"].unit_id,
            "capacity_t_per_day": "-3",
            "lon": "108.05",
        },
    )
    assert response.status_code == 200
    assert "address is required" in field_error(response, "id_address")
    assert "above zero" in field_error(response, "id_capacity_t_per_day")
    assert "both longitude and latitude" in field_error(response, "id_lat")
    assert not PackingHouse.objects.exists()


def test_an_officer_names_the_operator(world):
    client = login(world, "ppo")
    operators = set(
        client.get(reverse("packing-house-create")).context["form"].fields["operator"].queryset
    )
    assert world.orgs["packing"] in operators and world.orgs["coop"] not in operators
    response = client.post(
        reverse("packing-house-create"),
        {
            "name": "Kho",
            "address": "Km 5",
            "commune": world.orgs["packing"].unit_id,
            "capacity_t_per_day": "5",
            "operator": world.orgs["packing"].pk,
        },
    )
    assert response.status_code == 302
    assert PackingHouse.objects.get().operator == world.orgs["packing"]


@pytest.mark.parametrize("key", ["household", "commune", "lab"])
def test_some_roles_cannot_register_packing_houses(world, key):
    client = login(world, key)
    assert client.get(reverse("packing-house-create")).status_code == 403
    assert client.post(reverse("packing-house-create"), {"name": "x"}).status_code == 403
    assert not PackingHouse.objects.exists()


def test_packing_house_list_and_detail(world):
    house, app = make_house(world)
    area, _ = issued_area(world)
    house.supply_contracts.create(
        area=area, valid_from=TODAY(), valid_to=TODAY() + timedelta(days=365), reference="HD-01"
    )
    client = login(world, "ppo")
    listing = text(client.get(reverse("packing-house-list")))
    assert "Kho Phúc Thịnh" in listing
    assert "Kho Phúc Thịnh" in text(client.get(reverse("packing-house-list"), {"q": "phúc"}))
    assert "No packing houses match." in text(
        client.get(reverse("packing-house-list"), {"status": "issued"})
    )
    response = client.get(reverse("packing-house-detail", args=[house.pk]))
    assert response.status_code == 200
    body = text(response)
    assert 'id="location-data"' in body and "108.05" in body
    assert "HD-01" in body and area.code in body
    assert reverse("application-detail", args=[app.pk]) in body
    assert "No packing houses match." in text(
        login(world, "other_ppo").get(reverse("packing-house-list"))
    )
    for key in ("other_ppo", "coop_b", "household"):
        detail = login(world, key).get(reverse("packing-house-detail", args=[house.pk]))
        assert detail.status_code == 404


# ------------------------------------------------------------------ applications


def test_application_list_filters(world):
    _a1, app1 = make_area(world)
    _a2, app2 = make_area(world, lon=108.07, households=1)
    transition(app2, "submit", world.actor("coop"))
    Application.objects.filter(pk=app2.pk).update(deadline=TODAY() - timedelta(days=2))
    client = login(world, "ppo")

    def listed(**params):
        return {a.pk for a in client.get(reverse("application-list"), params).context["page"]}

    assert listed() == {app1.pk, app2.pk}
    assert listed(status="submitted") == {app2.pk}
    assert listed(status="open") == {app1.pk, app2.pk}
    assert listed(overdue="on") == {app2.pk}
    assert listed(kind="change") == set()
    assert listed(kind="new") == {app1.pk, app2.pk}
    assert listed(kind="nonsense", status="submitted") == {app2.pk}
    body = text(client.get(reverse("application-list")))
    assert "Overdue" in body and "Vùng sầu riêng 108.070" in body
    other = login(world, "other_ppo").get(reverse("application-list"))
    assert other.context["page"].paginator.count == 0


def test_application_detail_offers_the_moves_each_role_may_make(world):
    _area, app = make_area(world)
    url = reverse("application-detail", args=[app.pk])
    coop_forms = login(world, "coop").get(url).context["action_forms"]
    assert [f.action for f in coop_forms] == ["submit", "withdraw"]
    assert login(world, "ppo").get(url).context["action_forms"] == []
    transition(app, "submit", world.actor("coop"))
    ppo_page = login(world, "ppo").get(url)
    assert [f.action for f in ppo_page.context["action_forms"]] == [
        "start_appraisal",
        "return",
        "reject",
    ]
    assert "Return to applicant" in text(ppo_page)
    assert login(world, "other_ppo").get(url).status_code == 404
    assert login(world, "household").get(url).status_code == 404


def test_the_whole_walk_through_the_web_pages(world):
    area, app = make_area(world)
    coop, ppo = login(world, "coop"), login(world, "ppo")
    act = reverse("application-act", args=[app.pk])

    def step(client, data):
        response = client.post(act, data)
        assert response.status_code == 302, text(response)
        app.refresh_from_db()
        return app.status

    assert step(coop, {"action": "submit"}) == AppStatus.SUBMITTED
    assert step(ppo, {"action": "start_appraisal"}) == AppStatus.UNDER_APPRAISAL
    assert step(ppo, {"action": "accept"}) == AppStatus.FIELD_INSPECTION
    day = TODAY() + timedelta(days=2)
    inspector = world.users["ppo"]
    assert (
        step(
            ppo,
            {
                "action": "schedule_inspection",
                "scheduled_for": day.isoformat(),
                "inspector": inspector.pk,
            },
        )
        == AppStatus.FIELD_INSPECTION
    )
    inspection = app.inspections.get()
    assert inspection.scheduled_for == day and inspection.inspector == inspector

    form_url = reverse("inspection-form", args=[app.pk])
    checklist = {f"check_{key}": "pass" for key, _label in INSPECTION_CHECKLIST}
    checklist["check_weeds"] = "na"
    response = ppo.post(
        form_url, {**checklist, "notes": "Vườn sạch", "lon": "108.05", "lat": "12.67"}
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.result == "passed"
    assert inspection.checklist["weeds"] == "na"
    assert (inspection.lon, inspection.lat) == (108.05, 12.67)

    assert step(ppo, {"action": "approve"}) == AppStatus.APPROVED
    assert step(ppo, {"action": "issue"}) == AppStatus.ISSUED
    area.refresh_from_db()
    assert area.code == "VN-DLOR-0001"
    assert area.code_status == CodeStatus.ISSUED
    page = text(ppo.get(reverse("application-detail", args=[app.pk])))
    assert "Vườn sạch" in page and "Issue the code" in page


def test_a_return_without_a_reason_shows_the_message_beside_the_field(world):
    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    response = login(world, "ppo").post(
        reverse("application-act", args=[app.pk]), {"action": "return", "reason": " "}
    )
    assert response.status_code == 200
    assert "A reason is required" in field_error(response, "id_return_reason")
    assert response.content.decode().count("A reason is required") >= 2  # and as a message
    app.refresh_from_db()
    assert app.status == AppStatus.SUBMITTED


def test_a_submission_with_missing_parts_is_explained(world):
    actor = world.actor("coop")
    _area, app = services.create_area(actor, area_data(world, markets=[]))
    page = login(world, "coop").get(reverse("application-detail", args=[app.pk]))
    assert "at least one member household" in text(page)  # warned before trying
    response = login(world, "coop").post(
        reverse("application-act", args=[app.pk]), {"action": "submit"}
    )
    assert response.status_code == 200
    assert "at least one plot" in text(response)
    app.refresh_from_db()
    assert app.status == AppStatus.DRAFT


def test_an_inspection_in_the_past_is_refused_beside_the_date(world):
    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    transition(app, "start_appraisal", world.actor("ppo"))
    transition(app, "accept", world.actor("ppo"))
    response = login(world, "ppo").post(
        reverse("application-act", args=[app.pk]),
        {"action": "schedule_inspection", "scheduled_for": "2020-01-01"},
    )
    assert response.status_code == 200
    assert "cannot be in the past" in field_error(response, "id_schedule_inspection_scheduled_for")
    assert not app.inspections.exists()
    response = login(world, "ppo").post(
        reverse("application-act", args=[app.pk]),
        {
            "action": "schedule_inspection",
            "scheduled_for": TODAY().isoformat(),
            "inspector": world.users["coop"].pk,
        },
    )
    assert "valid choice" in field_error(response, "id_schedule_inspection_inspector")
    assert not app.inspections.exists()


def test_a_move_out_of_turn_is_explained(world):
    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    response = login(world, "ppo").post(
        reverse("application-act", args=[app.pk]), {"action": "issue"}
    )
    assert response.status_code == 200
    assert "Cannot issue the code an application that is submitted." in text(response)
    response = login(world, "ppo").post(
        reverse("application-act", args=[app.pk]), {"action": "explode"}, follow=True
    )
    assert "Unknown action 'explode'." in text(response)
    app.refresh_from_db()
    assert app.status == AppStatus.SUBMITTED


def test_application_act_checks_method_role_and_scope(world):
    _area, app = make_area(world)
    url = reverse("application-act", args=[app.pk])
    assert login(world, "coop").get(url).status_code == 405
    assert login(world, "other_ppo").post(url, {"action": "submit"}).status_code == 404
    transition(app, "submit", world.actor("coop"))
    assert login(world, "coop").post(url, {"action": "start_appraisal"}).status_code == 403
    assert login(world, "commune").post(url, {"action": "start_appraisal"}).status_code == 403
    app.refresh_from_db()
    assert app.status == AppStatus.SUBMITTED


# ------------------------------------------------------------------ inspection form


def _to_inspection(world):
    area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    transition(app, "start_appraisal", world.actor("ppo"))
    transition(app, "accept", world.actor("ppo"))
    transition(app, "schedule_inspection", world.actor("ppo"), scheduled_for=TODAY())
    return area, app


def test_the_inspection_form_is_a_phone_checklist(world):
    _area, app = _to_inspection(world)
    response = login(world, "ppo").get(reverse("inspection-form", args=[app.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for key, _label in INSPECTION_CHECKLIST:
        assert body.count(f'name="check_{key}"') == 3  # pass / fail / n.a.
    assert "navigator.geolocation" in body
    assert 'name="lon"' in body and 'name="lat"' in body


def test_an_incomplete_inspection_shows_each_missing_point(world):
    _area, app = _to_inspection(world)
    response = login(world, "ppo").post(
        reverse("inspection-form", args=[app.pk]),
        {"check_tree_age": "pass", "check_variety": "maybe", "lon": "108.05"},
    )
    assert response.status_code == 200
    assert "valid choice" in field_error(response, "id_check_variety")
    # The form refuses 'maybe' before the service is asked; fix it and ask again.
    response = login(world, "ppo").post(
        reverse("inspection-form", args=[app.pk]),
        {"check_tree_age": "pass", "check_variety": "fail", "lon": "108.05"},
    )
    assert response.status_code == 200
    assert "pass, fail or not applicable" in field_error(response, "id_check_diary")
    assert "pass, fail or not applicable" in field_error(response, "id_check_pests")
    assert "both longitude and latitude" in field_error(response, "id_lat")
    assert 'value="fail" id="id_check_variety_1" checked' in response.content.decode()
    assert app.inspections.get().recorded_at is None


def test_a_failed_point_fails_the_inspection(world):
    _area, app = _to_inspection(world)
    data = {f"check_{key}": "pass" for key, _label in INSPECTION_CHECKLIST}
    data["check_pests"] = "fail"
    login(world, "ppo").post(reverse("inspection-form", args=[app.pk]), data)
    assert app.inspections.get().result == "failed"


def test_the_inspection_form_checks_role_scope_and_state(world):
    area, app = make_area(world)
    url = reverse("inspection-form", args=[app.pk])
    response = login(world, "ppo").get(url, follow=True)
    assert "There is no scheduled inspection to record." in text(response)
    transition(app, "submit", world.actor("coop"))
    transition(app, "start_appraisal", world.actor("ppo"))
    transition(app, "accept", world.actor("ppo"))
    transition(app, "schedule_inspection", world.actor("ppo"), scheduled_for=TODAY())
    assert login(world, "coop").get(url).status_code == 403
    assert login(world, "coop").post(url, {}).status_code == 403
    assert login(world, "other_ppo").get(url).status_code == 404


# ------------------------------------------------------------------ documents


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name="ho-so.pdf", size=None):
    content = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + (b"0" * (size or 100))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_the_applicant_uploads_a_document_and_it_is_audited(world, media):
    _area, app = make_area(world)
    response = login(world, "coop").post(
        reverse("document-upload", args=[app.pk]),
        {"title": "Bản đồ vùng trồng", "file": pdf()},
        follow=True,
    )
    document = ApplicationDocument.objects.get()
    assert document.application == app and document.uploaded_by == world.users["coop"]
    assert (media / document.file.name).exists()
    assert "Bản đồ vùng trồng" in text(response)
    assert AuditEntry.objects.filter(
        action="application.document", object_id=str(document.pk)
    ).exists()
    # The authority may add documents too (for example the inspection photos).
    login(world, "ppo").post(
        reverse("document-upload", args=[app.pk]),
        {
            "title": "Ảnh",
            "file": SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10),
        },
    )
    assert ApplicationDocument.objects.count() == 2


@pytest.mark.parametrize(
    "upload,message",
    [
        (SimpleUploadedFile("virus.exe", b"MZ\x90\x00"), "Only PDF, JPG, PNG, KML or GeoJSON"),
        (SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 not a pdf"), "content is not PDF"),
        (SimpleUploadedFile("map.kml", b"PK\x03\x04"), "content is not KML"),
        (pdf(size=10 * 1024 * 1024 + 1), "the limit is 10 MB"),
    ],
)
def test_bad_documents_are_refused_beside_the_field(world, media, upload, message):
    _area, app = make_area(world)
    response = login(world, "coop").post(
        reverse("document-upload", args=[app.pk]), {"title": "x", "file": upload}
    )
    assert response.status_code == 200
    assert message in field_error(response, "id_file")
    assert not ApplicationDocument.objects.exists()


def test_a_document_needs_a_title_and_a_file(world, media):
    _area, app = make_area(world)
    response = login(world, "coop").post(reverse("document-upload", args=[app.pk]), {})
    assert "required" in field_error(response, "id_title")
    assert "required" in field_error(response, "id_file")


def test_document_upload_checks_method_role_scope_and_state(world, media):
    _area, app = make_area(world)
    url = reverse("document-upload", args=[app.pk])
    assert login(world, "coop").get(url).status_code == 405
    assert login(world, "other_ppo").post(url, {"title": "x", "file": pdf()}).status_code == 404
    assert login(world, "commune").post(url, {"title": "x", "file": pdf()}).status_code == 403
    transition(app, "withdraw", world.actor("coop"))
    response = login(world, "coop").post(url, {"title": "x", "file": pdf()})
    assert response.status_code == 200
    assert "The application is closed" in text(response)
    assert not ApplicationDocument.objects.exists()


# ------------------------------------------------------------------ pages for screenshots


def test_each_main_page_renders(world, media):
    """Renders every main page once; with AGRITRACE_PAGES_DIR set, saves their HTML there so
    they can be looked at (and screenshot) without a running server."""
    area, app = issued_area(world)
    _area2, app2 = make_area(world, lon=108.06)
    transition(app2, "submit", world.actor("coop"))
    Application.objects.filter(pk=app2.pk).update(deadline=TODAY() - timedelta(days=2))
    _area3, app3 = _to_inspection_at(world, 108.09)
    services.authorise_exporter(
        world.actor("coop"),
        area,
        world.orgs["exporter"].pk,
        Market.objects.get(code="CN").pk,
        TODAY(),
        TODAY() + timedelta(days=90),
    )
    services.move_market_approval(world.actor("ppo"), area, Market.objects.get(code="CN"), "submit")
    suspend(area, world.actor("ppo"), "Phát hiện sâu đục quả", TODAY() + timedelta(days=30))
    house, _ = make_house(world)
    ppo = login(world, "ppo")
    pages = {
        "dashboard": reverse("dashboard"),
        "area_list": reverse("area-list"),
        "area_create": reverse("area-create"),
        "area_detail": reverse("area-detail", args=[area.pk]),
        "area_edit": reverse("area-edit", args=[area.pk]),
        "packing_house_list": reverse("packing-house-list"),
        "packing_house_create": reverse("packing-house-create"),
        "packing_house_detail": reverse("packing-house-detail", args=[house.pk]),
        "application_list": reverse("application-list"),
        "application_detail": reverse("application-detail", args=[app2.pk]),
        "application_detail_issued": reverse("application-detail", args=[app.pk]),
        "inspection_form": reverse("inspection-form", args=[app3.pk]),
    }
    out = os.environ.get("AGRITRACE_PAGES_DIR")
    for name, url in pages.items():
        response = ppo.get(url)
        assert response.status_code == 200, name
        if out:
            Path(out).mkdir(parents=True, exist_ok=True)
            (Path(out) / f"{name}.html").write_bytes(response.content)
    coop_area = login(world, "coop").get(reverse("area-detail", args=[area.pk]))
    bad_form = login(world, "coop").post(
        reverse("area-create"), area_data(world, name="", declared_area_ha="-1")
    )
    geojson = ppo.get(reverse("areas-geojson"))
    kinds = [f["properties"]["kind"] for f in geojson.json()["features"]]
    assert (kinds.count("plot"), kinds.count("area")) == (5, 3)
    if out:
        (Path(out) / "areas.geojson").write_bytes(geojson.content)
        (Path(out) / "area_detail_representative.html").write_bytes(coop_area.content)
        (Path(out) / "area_create_errors.html").write_bytes(bad_form.content)


def _to_inspection_at(world, lon):
    area, app = make_area(world, lon=lon, households=1)
    transition(app, "submit", world.actor("coop"))
    transition(app, "start_appraisal", world.actor("ppo"))
    transition(app, "accept", world.actor("ppo"))
    transition(app, "schedule_inspection", world.actor("ppo"), scheduled_for=TODAY())
    return area, app


@pytest.mark.django_db
def test_document_download_is_scoped(world, client, settings, tmp_path):
    from django.core.files.base import ContentFile

    from agritrace.registry.models import ApplicationDocument

    settings.MEDIA_ROOT = tmp_path
    _area, app = make_area(world)
    doc = ApplicationDocument(application=app, title="Bản đồ")
    doc.file.save("ban-do.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    url = reverse("document-download", args=[app.pk, doc.pk])
    client.force_login(world.users["ppo"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    client.force_login(world.users["other_ppo"])
    assert client.get(url).status_code == 404
    client.force_login(world.users["coop_b"])
    assert client.get(url).status_code == 404
