"""The supervision pages: each renders for those who may see it, refuses the others (403 for
a role, 404 out of scope), and its forms call the services with errors beside the fields."""

import pytest
from django.test import Client
from django.urls import reverse

from agritrace.registry.models import CodeStatus
from agritrace.supervision import services
from agritrace.supervision.models import (
    ChecklistTemplate,
    MonitoringPlan,
    MonitoringVisit,
    Notice,
    ResidueCase,
    Sample,
)

from .conftest import days

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def client(world, key: str) -> Client:
    c = Client()
    c.force_login(world.users[key])
    return c


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def visit(world, area):
    return services.schedule_visit(world.actor("ppo"), area, days(0), inspector=world.users["ppo"])


def test_the_inspectors_day(world, visit, house):
    late = services.schedule_visit(world.actor("ppo"), house, days(1))
    MonitoringVisit.objects.filter(pk=late.pk).update(due_date=days(-2))
    r = client(world, "ppo").get(reverse("supervision-home"))
    assert r.status_code == 200
    mine = r.content.decode()  # an inspector sees their own visits first
    assert visit.area.code in mine and house.code not in mine
    html = client(world, "ppo").get(reverse("supervision-home"), {"mine": "0"}).content.decode()
    assert visit.area.code in html and house.code in html
    assert html.count('"type": "Point"') == 2
    assert reverse("supervision-visit-record", args=[visit.pk]) in html
    assert '"type": "Point"' in html  # the map's points
    assert client(world, "lab").get(reverse("supervision-home")).url == reverse(
        "supervision-samples"
    )
    assert client(world, "household").get(reverse("supervision-home")).status_code == 200
    assert Client().get(reverse("supervision-home")).status_code == 302  # log in first


def test_generating_a_plan_from_the_page(world, area):
    c = client(world, "ppo")
    r = c.post(
        reverse("supervision-plans"), {"season": "x", "start": "2099-02-01", "end": "2099-01-01"}
    )
    assert r.status_code == 200 and "The end comes before the start." in r.content.decode()
    year = days(0).year
    r = c.post(
        reverse("supervision-plans"),
        {"season": str(year), "start": f"{year}-01-01", "end": f"{year}-12-31"},
    )
    plan = MonitoringPlan.objects.get()
    assert r.url == reverse("supervision-plan", args=[plan.pk])
    page = c.get(r.url).content.decode()
    assert area.code in page
    assert client(world, "other_ppo").get(r.url).status_code == 404
    assert client(world, "commune").get(r.url).status_code == 200
    assert (
        "Generate the plan"
        not in client(world, "commune").get(reverse("supervision-plans")).content.decode()
    )


def test_recording_a_visit_from_the_phone_form(world, visit):
    c = client(world, "ppo")
    url = reverse("supervision-visit-record", args=[visit.pk])
    page = c.get(url).content.decode()
    assert f"agritrace-visit-draft-{visit.pk}" in page and "localStorage" in page
    data = {f"item_{i.key}": "pass" for i in ChecklistTemplate.current("area").items.all()}
    data["item_diary_complete"] = "fail"
    r = c.post(url, data)
    assert r.status_code == 200
    assert "Say what was wrong." in r.content.decode()
    data["note_diary_complete"] = "diary not kept since May"
    data["corrective_deadline"] = days(20).isoformat()
    data["lon"], data["lat"] = "108.05", "12.67"
    from django.core.files.uploadedfile import SimpleUploadedFile

    data["photos"] = [SimpleUploadedFile("a.png", PNG)]
    r = c.post(url, data)
    assert r.status_code == 302 and r.url.startswith(reverse("supervision-visit", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.outcome == "corrective" and visit.photos.count() == 1
    detail = c.get(r.url).content.decode()
    assert "diary not kept since May" in detail and "removeItem" in detail
    assert c.get(url).status_code == 302  # already recorded
    photo = visit.photos.get()
    assert c.get(reverse("supervision-photo", args=[photo.pk])).status_code == 200


def test_the_visit_form_is_refused_to_others(world, visit):
    url = reverse("supervision-visit-record", args=[visit.pk])
    assert client(world, "lab").get(url).status_code == 403
    assert client(world, "commune").get(url).status_code == 403
    assert client(world, "other_ppo").get(url).status_code == 404
    assert (
        client(world, "commune").get(reverse("supervision-visit", args=[visit.pk])).status_code
        == 200
    )
    assert (  # a planned surprise visit is the authority's only (test_surprise_secrecy.py)
        client(world, "coop").get(reverse("supervision-visit", args=[visit.pk])).status_code == 404
    )
    assert (
        client(world, "household").get(reverse("supervision-visit", args=[visit.pk])).status_code
        == 404
    )


def test_an_officer_suspends_from_the_visit_page(world, visit, area):
    items = {i.key: "pass" for i in ChecklistTemplate.current("area").items.all()}
    services.record_visit(world.actor("ppo"), visit, items, outcome="suspend", notes="code rented")
    c = client(world, "province")
    page = c.get(reverse("supervision-visit", args=[visit.pk])).content.decode()
    assert "Proposal to suspend the code" in page
    r = c.post(
        reverse("supervision-visit-decide", args=[visit.pk]), {"decision": "suspend", "reason": ""}
    )
    assert r.status_code == 302
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED


def test_a_codes_history_page_and_include(world, area, visit):
    c = client(world, "commune")
    page = c.get(reverse("supervision-history-area", args=[area.pk])).content.decode()
    assert "Monitoring visits" in page and "Risk score" in page
    assert (
        client(world, "commune_b")
        .get(reverse("supervision-history-area", args=[area.pk]))
        .status_code
        == 404
    )
    # The context function used on the area's own page.
    assert services.supervision_context(world.actor("commune_b"), area) == {"supervision": None}
    assert services.supervision_context(world.actor("commune"), area)["supervision"]["visits"]


def test_observation_form(world, area):
    c = client(world, "coop")
    url = reverse("supervision-observation-new", args=[area.pk])
    page = c.get(url).content.decode()
    assert "Bactrocera correcta" in page
    from agritrace.supervision.models import Pest

    pest = Pest.objects.get(key="bactrocera-correcta")
    r = c.post(url, {"observed_on": days(0).isoformat(), "pest": pest.pk, "incidence_pct": "150"})
    assert "Incidence is a percentage" in r.content.decode()
    r = c.post(url, {"observed_on": days(0).isoformat(), "pest": pest.pk, "incidence_pct": "5"})
    assert r.status_code == 302
    assert client(world, "commune").get(url).status_code == 403
    assert client(world, "lab").get(url).status_code == 403
    assert client(world, "coop_b").get(url).status_code == 404


def test_residue_pages_for_the_province_and_the_laboratory(world, area):
    c = client(world, "ppo")
    r = c.post(
        reverse("supervision-residues"),
        {"year": days(0).year, "target_samples": 100, "source": "An Giang plan"},
    )
    assert r.status_code == 302
    r = c.post(
        reverse("supervision-samples"),
        {
            "area": area.pk,
            "sampled_on": days(-1).isoformat(),
            "laboratory": world.orgs["lab"].pk,
            "analyses": "chlorpyrifos, cypermethrin",
        },
    )
    sample = Sample.objects.get()
    assert r.url == reverse("supervision-sample", args=[sample.pk])
    lab = client(world, "lab")
    url = reverse("supervision-sample", args=[sample.pk])
    r = lab.post(
        url,
        {
            "ingredient": "Chlorpyrifos ethyl",
            "value_mg_kg": "-1",
            "analysed_on": days(0).isoformat(),
        },
    )
    assert "A residue cannot be negative." in r.content.decode()
    r = lab.post(
        url,
        {
            "ingredient": "Chlorpyrifos ethyl",
            "value_mg_kg": "0.4",
            "analysed_on": days(0).isoformat(),
        },
    )
    assert r.status_code == 302
    case = ResidueCase.objects.get()
    assert "above the limit" in lab.get(url).content.decode()
    assert client(world, "commune").post(url, {"ingredient": "cypermethrin"}).status_code == 403
    progress = c.get(reverse("supervision-residues")).content.decode()
    assert "100" in progress and area.code in progress
    assert client(world, "ppo").get(reverse("supervision-case", args=[case.pk])).status_code == 200
    assert client(world, "lab").get(reverse("supervision-case", args=[case.pk])).status_code == 404
    page = (
        client(world, "coop")
        .get(reverse("supervision-history-area", args=[area.pk]))
        .content.decode()
    )
    assert "market-flags" in page and "China" in page


def test_notice_pages(world, area):
    c = client(world, "ppo")
    r = c.post(
        reverse("supervision-notices"),
        {
            "market": "CN",
            "received_on": days(-1).isoformat(),
            "codes": "VN-DLOR-4242",
            "hazard": "pest",
        },
    )
    assert r.status_code == 200 and "VN-DLOR-4242" in r.content.decode()
    r = c.post(
        reverse("supervision-notices"),
        {
            "market": "CN",
            "received_on": days(-1).isoformat(),
            "codes": area.code,
            "hazard": "pest",
            "reference": "N-7",
        },
    )
    notice = Notice.objects.get()
    url = reverse("supervision-notice", args=[notice.pk])
    assert r.url == url
    r = c.post(url, {"action": "decide", "decision": "suspension", "reason": "fruit fly"})
    assert r.status_code == 302
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    r = c.post(
        url,
        {"action": "reply", "reply_text": "Code suspended.", "replied_on": days(-9).isoformat()},
    )
    assert "cannot come before the notice" in r.content.decode()
    assert client(world, "other_ppo").get(url).status_code == 404
    assert client(world, "lab").post(reverse("supervision-notices"), {}).status_code == 403
