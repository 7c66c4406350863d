"""Members of an issued area (issue 17 item 4, registry/membership.py): households leaving take
their plots out of the area, the change of an issued code is said before saving (web warning
and confirmation, API 422 naming `confirm`, CLI --confirm) and then goes to the authority as a
change application; an issued area keeps at least one member."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from agritrace.registry.models import AppStatus, CodeStatus
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db


def _client(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


@pytest.fixture
def issued(world):
    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED
    return area


def _members(area) -> list[int]:
    return sorted(area.households.values_list("pk", flat=True))


def test_the_page_warns_and_saves_only_a_confirmed_change(world, issued):
    client = _client(world, "coop")
    url = f"/areas/{issued.pk}/households/"
    page = client.get(url).content.decode()
    assert 'data-testid="issued-warning"' in page and 'name="confirm"' in page
    keep, leave = list(issued.households.order_by("pk"))
    plot = leave.plots.get()
    measured = issued.measured_area_ha
    response = client.post(url, {"households": [keep.pk]})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert leave.name in errors["confirm"][0] and plot.label in errors["confirm"][0], errors
    assert 'id="id_confirm_error"' in response.content.decode()
    assert _members(issued) == [keep.pk, leave.pk]
    plot.refresh_from_db()
    assert plot.area_id == issued.pk
    assert not issued.applications.filter(kind="change").exists()

    response = client.post(url, {"households": [keep.pk], "confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/areas/{issued.pk}/"
    change = issued.applications.get(kind="change")
    assert change.status == AppStatus.SUBMITTED
    assert f"change application {change.pk}" in response.content.decode()
    assert _members(issued) == [keep.pk]
    plot.refresh_from_db()
    assert plot.area_id is None and plot.household_id == leave.pk
    issued.refresh_from_db()
    assert issued.code_status == CodeStatus.ISSUED
    assert issued.plots.count() == 1 and 3 * issued.measured_area_ha < 2 * measured


def test_an_issued_area_keeps_a_member(world, issued):
    client = _client(world, "coop")
    response = client.post(f"/areas/{issued.pk}/households/", {"confirm": "on"})
    assert response.status_code == 200
    assert "at least one member" in response.context["form"].errors["households"][0]
    assert len(_members(issued)) == 2 and issued.plots.count() == 2


def test_the_api_names_confirm_then_saves(world, issued):
    client = _client(world, "coop")
    url = f"/api/areas/{issued.pk}/households"
    keep = issued.households.order_by("pk").first()
    response = client.put(url, {"household_ids": [keep.pk]}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert "confirm" in body["errors"] and "authority" in body["errors"]["confirm"][0]
    assert len(_members(issued)) == 2
    response = client.put(
        url, {"household_ids": [keep.pk], "confirm": True}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert [h["id"] for h in response.json()["households"]] == [keep.pk]
    assert issued.plots.count() == 1
    assert issued.applications.filter(kind="change", status=AppStatus.SUBMITTED).exists()
    # Other roles: refused, nothing changes.
    for key, status in (("commune", 403), ("coop_b", 404), ("other_ppo", 404)):
        r = _client(world, key).put(
            url, {"household_ids": [], "confirm": True}, content_type="application/json"
        )
        assert r.status_code == status, key
    assert _members(issued) == [keep.pk]


def test_a_draft_areas_leaving_household_takes_its_plots(world):
    area, _app = make_area(world)
    keep, leave = list(area.households.order_by("pk"))
    response = _client(world, "coop").put(
        f"/api/areas/{area.pk}/households",
        {"household_ids": [keep.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200  # no code yet: nothing to confirm
    assert list(area.plots.values_list("household_id", flat=True)) == [keep.pk]
    assert leave.plots.get().area_id is None


def test_the_command_line_needs_confirm(world, issued):
    keep = issued.households.order_by("pk").first()
    with pytest.raises(CommandError, match="--confirm"):
        call_command("areas", "members", issued.code, "--as", "coop_user", "--set", str(keep.pk))
    assert len(_members(issued)) == 2
    out = io.StringIO()
    call_command(
        "areas",
        "members",
        issued.code,
        "--as",
        "coop_user",
        "--set",
        str(keep.pk),
        "--confirm",
        stdout=out,
    )
    assert "change application" in out.getvalue() and keep.name in out.getvalue()
    assert _members(issued) == [keep.pk]
