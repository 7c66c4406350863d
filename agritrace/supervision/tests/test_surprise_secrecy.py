"""Issue 17, item 1: a planned surprise ("Đột xuất") visit, its due date, inspector, risk
score and reasons are the authority's only until the visit is recorded. Every holder role
(the cooperative, the packing house's manager, the exporter that runs a house, a household)
finds it neither on /supervision/, the visit pages, its own area or house pages, nor in the
API; once recorded, the holder sees the visit and its outcome, never the risk score."""

import pytest
from django.test import Client
from django.urls import reverse

from agritrace.supervision import services
from agritrace.supervision.models import ChecklistTemplate, MonitoringVisit

from .conftest import days, issue_packing_house

API = "/api/supervision"
SECRET = "tip-off from the importer 7731"


def client(world, key: str) -> Client:
    c = Client()
    c.force_login(world.users[key])
    return c


def plan_surprise(world, holder) -> MonitoringVisit:
    visit = services.schedule_visit(
        world.actor("ppo"), holder, days(3), reason=SECRET, inspector=world.users["ppo"]
    )
    MonitoringVisit.objects.filter(pk=visit.pk).update(
        risk_score=87, risk_reasons=["diary silent since May 4421"]
    )
    return MonitoringVisit.objects.get(pk=visit.pk)


def record(world, visit: MonitoringVisit) -> None:
    kind = "area" if visit.area_id else "packing_house"
    items = {i.key: "pass" for i in ChecklistTemplate.current(kind).items.all()}
    services.record_visit(world.actor("ppo"), visit, items, visited_on=days(0))


@pytest.fixture
def exporter_house(world):
    """A packing house run by the exporter itself."""
    return issue_packing_house(world, key="exporter")


def holder_pages(holder) -> list[str]:
    if holder.__class__.__name__ == "PlantingArea":
        return [
            reverse("area-detail", args=[holder.pk]),
            reverse("supervision-history-area", args=[holder.pk]),
        ]
    return [
        reverse("packing-house-detail", args=[holder.pk]),
        reverse("supervision-history-packing-house", args=[holder.pk]),
    ]


def assert_hidden(world, key: str, visit: MonitoringVisit) -> None:
    c = client(world, key)
    detail = reverse("supervision-visit", args=[visit.pk])
    due = visit.due_date.isoformat()
    home = c.get(reverse("supervision-home"), {"mine": "0"}).content.decode()
    assert detail not in home and due not in home and SECRET not in home, key
    assert c.get(detail).status_code == 404, key
    assert c.get(reverse("supervision-visit-record", args=[visit.pk])).status_code in (403, 404)
    for url in holder_pages(visit.holder):
        r = c.get(url)
        assert r.status_code in (200, 404), (key, url)
        page = r.content.decode()
        assert detail not in page and SECRET not in page and "4421" not in page, (key, url)
    listed = c.get(f"{API}/visits").json()
    assert visit.pk not in [v["id"] for v in listed], key
    holder_filter = "area" if visit.area_id else "packing_house"
    r = c.get(f"{API}/visits", {holder_filter: visit.holder.pk, "status": "planned"})
    assert r.json() == [], key
    assert c.get(f"{API}/visits/{visit.pk}").status_code == 404, key


@pytest.mark.parametrize(
    "key, holder_fixture",
    [
        ("coop", "area"),
        ("packing", "house"),
        ("exporter", "exporter_house"),
        ("household", "area"),
    ],
)
def test_a_planned_surprise_visit_is_hidden_from_every_holder_role(
    world, request, key, holder_fixture
):
    holder = request.getfixturevalue(holder_fixture)
    if key == "household":  # the household's own plot lies in the area
        household = holder.households.first()
        household.organisation = world.orgs["household"]
        household.save(update_fields=["organisation"])
    visit = plan_surprise(world, holder)
    # the authority sees all of it, on the page and in the API
    ppo = client(world, "ppo")
    page = ppo.get(reverse("supervision-visit", args=[visit.pk])).content.decode()
    assert SECRET in page and "4421" in page
    body = ppo.get(f"{API}/visits/{visit.pk}").json()
    assert body["risk_score"] == 87 and body["reason"] == SECRET
    assert reverse("supervision-visit", args=[visit.pk]) in "".join(
        ppo.get(url).content.decode() for url in holder_pages(holder)
    )
    assert_hidden(world, key, visit)


@pytest.mark.parametrize(
    "key, holder_fixture", [("coop", "area"), ("packing", "house"), ("exporter", "exporter_house")]
)
def test_a_recorded_surprise_visit_shows_its_outcome_but_no_risk(
    world, request, key, holder_fixture
):
    holder = request.getfixturevalue(holder_fixture)
    visit = plan_surprise(world, holder)
    record(world, visit)
    c = client(world, key)
    detail = reverse("supervision-visit", args=[visit.pk])
    r = c.get(detail)
    assert r.status_code == 200
    page = r.content.decode()
    assert 'id="visit-outcome"' in page and "Passed" in page
    assert SECRET not in page and "4421" not in page and "Risk when planned" not in page
    assert detail in c.get(holder_pages(holder)[1]).content.decode()
    body = c.get(f"{API}/visits/{visit.pk}").json()
    assert body["outcome"] == "passed"
    assert body["risk_score"] is None and body["risk_reasons"] == [] and body["reason"] == ""
    assert visit.pk in [v["id"] for v in c.get(f"{API}/visits").json()]


def test_announced_visits_stay_visible_without_their_risk(world, area):
    visit = services.schedule_visit(world.actor("ppo"), area, days(0), kind="scheduled")
    MonitoringVisit.objects.filter(pk=visit.pk).update(risk_score=87, risk_reasons=["x 4421"])
    c = client(world, "coop")
    home = c.get(reverse("supervision-home"), {"mine": "0"}).content.decode()
    assert area.code in home and "risk 87" not in home
    page = c.get(reverse("supervision-visit", args=[visit.pk])).content.decode()
    assert "4421" not in page
    assert c.get(f"{API}/visits/{visit.pk}").json()["risk_score"] is None
    # the commune takes part in the authority's visits and sees the risk
    assert client(world, "commune").get(f"{API}/visits/{visit.pk}").json()["risk_score"] == 87
    home = client(world, "ppo").get(reverse("supervision-home"), {"mine": "0"}).content.decode()
    assert "risk 87" in home
