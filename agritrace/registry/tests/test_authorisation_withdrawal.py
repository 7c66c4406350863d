"""Issue 19, wrong answer 3: a withdrawal or an end has an effective date and the past keeps
its answer; an exporter sees an area only while an authorisation to it is in force."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from agritrace.audit.models import AuditEntry
from agritrace.registry import services
from agritrace.registry.models import CodeAuthorisation, Market, PlantingArea
from conftest import make_area, walk_to_issued

pytestmark = pytest.mark.django_db


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


@pytest.fixture
def area(world) -> PlantingArea:
    """An area whose code was issued 90 days ago, for the home market."""
    area, app = make_area(world, markets=("VN",))
    walk_to_issued(world, app)
    long_ago = timezone.now() - timedelta(days=90)
    PlantingArea.objects.filter(pk=area.pk).update(issued_at=long_ago)
    area.status_changes.update(effective_at=long_ago)
    area.refresh_from_db()
    return area


@pytest.fixture
def auth(world, area) -> CodeAuthorisation:
    today = timezone.localdate()
    return services.authorise_exporter(
        world.actor("coop"),
        area,
        world.orgs["exporter"].pk,
        Market.objects.get(code="VN").pk,
        today - timedelta(days=60),
        today + timedelta(days=60),
    )


def may_use(world, area, day) -> bool:
    r = client_for(world, "province").get(
        f"/api/areas/{area.pk}/may-use",
        {"org": world.orgs["exporter"].pk, "market": Market.objects.get(code="VN").pk, "day": day},
    )
    assert r.status_code == 200, r.content
    assert r.json()["date"] == day.isoformat()
    return r.json()["allowed"]


def test_a_past_day_keeps_its_yes_after_todays_withdrawal(world, area, auth):
    today = timezone.localdate()
    week_ago = today - timedelta(days=7)
    assert may_use(world, area, week_ago) is True
    r = client_for(world, "coop").post(
        f"/api/authorisations/{auth.pk}/withdraw",
        {"reason": "contract ended"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["withdrawn_from"] == today.isoformat()
    assert may_use(world, area, week_ago) is True
    assert may_use(world, area, today) is False


def test_a_withdrawal_can_take_effect_from_a_past_day(world, area, auth):
    today = timezone.localdate()
    effective = today - timedelta(days=10)
    r = client_for(world, "coop").post(
        f"/api/authorisations/{auth.pk}/withdraw",
        {"reason": "the exporter stopped buying", "withdrawn_from": effective.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["withdrawn_from"] == effective.isoformat()
    assert may_use(world, area, effective - timedelta(days=1)) is True
    assert may_use(world, area, effective) is False
    entry = AuditEntry.objects.filter(action="code.withdraw_authorisation").get()
    assert entry.after["withdrawn_from"] == effective.isoformat()


def test_a_withdrawal_in_the_future_is_refused(world, area, auth):
    tomorrow = timezone.localdate() + timedelta(days=1)
    r = client_for(world, "coop").post(
        f"/api/authorisations/{auth.pk}/withdraw",
        {"reason": "later", "withdrawn_from": tomorrow.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert "withdrawn_from" in r.json()["errors"]
    auth.refresh_from_db()
    assert auth.withdrawn_at is None and auth.withdrawn_from is None


def test_a_day_before_the_code_was_issued_is_not_lawful(world, area, auth):
    """may-use judges the code's status on the day asked about, from its history."""
    CodeAuthorisation.objects.filter(pk=auth.pk).update(
        valid_from=timezone.localdate() - timedelta(days=200)
    )
    assert may_use(world, area, timezone.localdate() - timedelta(days=120)) is False
    assert may_use(world, area, timezone.localdate() - timedelta(days=30)) is True


def test_an_exporter_stops_seeing_the_area_when_its_authorisation_ends(world, area, auth):
    exporter = client_for(world, "exporter")
    assert exporter.get(f"/api/areas/{area.pk}").status_code == 200
    assert area.pk in [a["id"] for a in exporter.get("/api/areas").json()["items"]]
    yesterday = timezone.localdate() - timedelta(days=1)
    CodeAuthorisation.objects.filter(pk=auth.pk).update(valid_to=yesterday)
    assert exporter.get(f"/api/areas/{area.pk}").status_code == 404
    assert area.pk not in [a["id"] for a in exporter.get("/api/areas").json()["items"]]


def test_an_exporter_sees_the_area_until_a_back_dated_withdrawal_takes_effect(world, area, auth):
    exporter = client_for(world, "exporter")
    services.withdraw_authorisation(
        world.actor("coop"), auth, "ended", timezone.localdate() - timedelta(days=3)
    )
    assert exporter.get(f"/api/areas/{area.pk}").status_code == 404


def test_an_authorisation_not_yet_begun_shows_nothing(world, area):
    today = timezone.localdate()
    services.authorise_exporter(
        world.actor("coop"),
        area,
        world.orgs["exporter"].pk,
        Market.objects.get(code="VN").pk,
        today + timedelta(days=5),
        today + timedelta(days=60),
    )
    assert client_for(world, "exporter").get(f"/api/areas/{area.pk}").status_code == 404


def test_the_area_page_withdraws_from_a_given_day(world, area, auth):
    effective = timezone.localdate() - timedelta(days=2)
    r = client_for(world, "coop").post(
        f"/areas/{area.pk}/authorise/",
        {
            "op": "withdraw",
            "authorisation": auth.pk,
            "reason": "ended",
            "withdrawn_from": effective.isoformat(),
        },
    )
    assert r.status_code == 302
    auth.refresh_from_db()
    assert auth.withdrawn_from == effective
    page = client_for(world, "coop").get(f"/areas/{area.pk}/").content.decode()
    assert date_format(effective, "SHORT_DATE_FORMAT") in page  # the page's form of the day
    # the exporter may not withdraw it from the page either
    auth2 = services.authorise_exporter(
        world.actor("coop"),
        area,
        world.orgs["exporter"].pk,
        Market.objects.get(code="VN").pk,
        timezone.localdate(),
        timezone.localdate() + timedelta(days=5),
    )
    r = client_for(world, "exporter").post(
        f"/areas/{area.pk}/authorise/",
        {"op": "withdraw", "authorisation": auth2.pk, "reason": "x"},
    )
    assert r.status_code == 403
    auth2.refresh_from_db()
    assert auth2.withdrawn_at is None


def test_an_importing_countrys_approval_counts_from_the_day_it_was_decided(world):
    from agritrace.registry.models import MarketApproval

    area, app = make_area(world, markets=("CN",))
    walk_to_issued(world, app)
    long_ago = timezone.now() - timedelta(days=90)
    PlantingArea.objects.filter(pk=area.pk).update(issued_at=long_ago)
    area.status_changes.update(effective_at=long_ago)
    cn = Market.objects.get(code="CN")
    services.move_market_approval(world.actor("ppo"), area, cn, "submit")
    services.move_market_approval(world.actor("ministry"), area, cn, "send")
    services.move_market_approval(
        world.actor("ministry"), area, cn, "approve", importer_list_ref="GACC 1"
    )
    decided = timezone.localdate() - timedelta(days=10)
    MarketApproval.objects.filter(area=area, market=cn).update(decided_at=decided)
    url = f"/api/areas/{area.pk}/may-use"
    coop = client_for(world, "coop")
    before = (decided - timedelta(days=1)).isoformat()
    assert coop.get(url, {"market": cn.pk, "day": before}).json()["allowed"] is False
    assert coop.get(url, {"market": cn.pk, "day": decided.isoformat()}).json()["allowed"] is True
    assert coop.get(url, {"market": cn.pk}).json()["allowed"] is True
