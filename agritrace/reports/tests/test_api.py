"""/api/reports/: targets, achieved against target with its drill-down, training and the
periodic reports: each route's good path, the roles refused (403) or out of scope (404), and
bad input answered 422 naming the field with nothing changed."""

import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from agritrace.audit.models import AuditEntry
from agritrace.notifications.models import Notification
from agritrace.places.models import AdminUnit
from agritrace.reports import deadlines
from agritrace.reports.models import PeriodicReport, Target, TrainingClass

pytestmark = pytest.mark.django_db

API = "/api/reports"
OUTSIDERS = ("coop", "household", "packing", "exporter", "lab")


def client(world, key: str) -> Client:
    c = Client()
    c.force_login(world.users[key])
    return c


def post(c: Client, url: str, data: dict):
    return c.post(f"{API}{url}", data, content_type="application/json")


def target_body(**extra) -> dict:
    body = {"metric": "area_codes", "year": timezone.localdate().year, "value": "4",
            "source": "test plan"}  # fmt: skip
    body.update(extra)
    return body


def test_a_target_is_set_audited_and_scoped(world, commune):
    r = post(client(world, "ppo"), "/targets", target_body(unit_id=commune.pk, crop="fruit"))
    assert r.status_code == 201, r.content
    target = Target.objects.get(pk=r.json()["id"])
    assert (target.unit, target.crop_group, target.value) == (commune, "fruit", 4)
    assert AuditEntry.objects.filter(action="reports.target.create", object_id=target.pk).exists()
    # the same key again changes the value
    r = post(client(world, "ppo"), "/targets", target_body(unit_id=commune.pk, crop="fruit",
             value="6"))  # fmt: skip
    assert r.json()["id"] == target.pk and Target.objects.get().value == 6
    # the commune sees its own unit's, the second commune nothing, the ministry everything
    assert [t["id"] for t in client(world, "commune").get(f"{API}/targets").json()] == [target.pk]
    assert client(world, "commune_b").get(f"{API}/targets").json() == []
    assert len(client(world, "ministry").get(f"{API}/targets").json()) == 1
    assert client(world, "other_ppo").get(f"{API}/targets").json() == []


@pytest.mark.parametrize("key", [*OUTSIDERS, "commune", "ministry", "ppo.viewer"])
def test_only_the_province_authority_sets_targets(world, key):
    if key == "ppo.viewer":
        from conftest import make_user

        world.users[key] = make_user("ppo_viewer", world.orgs["ppo"], "viewer")
    r = post(client(world, key), "/targets", target_body())
    assert r.status_code == 403, (key, r.content)
    assert not Target.objects.exists()


def test_firms_see_no_figures(world):
    for key in OUTSIDERS:
        for url in ("/targets", "/achieved", "/training", "/periodic"):
            assert client(world, key).get(API + url).status_code == 403, (key, url)


def test_bad_targets_name_the_field(world, other_commune):
    c = client(world, "ppo")
    cases = {
        "unit_id": target_body(unit_id=other_commune.pk),
        "unit": target_body(unit="Nowhere at all"),
        "metric": target_body(metric="bananas"),
        "crop": target_body(crop="unknown-crop"),
        "value": target_body(value="-3"),
        "year": target_body(year=1900),
    }
    for field, body in cases.items():
        r = post(c, "/targets", body)
        assert r.status_code == 422, (field, r.content)
        assert field in r.json()["errors"], (field, r.json())
    assert not Target.objects.exists()


def test_an_earlier_district_is_read_through_the_mapping(world):
    from agritrace.reports.targets import find_unit
    from agritrace.reports.units import communes_of

    an_giang = AdminUnit.objects.get(tree="2025", level="province", name="An Giang")
    district = find_unit(an_giang, "Huyện Chợ Mới")
    assert district is not None and district.level == "district" and district.tree == "2008"
    assert find_unit(an_giang, "Thành phố Long Xuyên").level == "district"
    # without the district's prefix, the name is the current commune's
    assert find_unit(an_giang, "Chợ Mới").tree == "2025"
    communes = communes_of(an_giang, district)
    assert communes.exists() and all(c.parent_id == an_giang.pk for c in communes)
    # a district of another province is not a unit of Đắk Lắk's
    r = post(client(world, "ppo"), "/targets", target_body(unit="Huyện Chợ Mới"))
    assert r.status_code == 422 and "unit" in r.json()["errors"]


def test_achieved_counts_issued_codes_and_drills_down(world, issued_area, commune):
    year = timezone.localdate().year
    c = client(world, "ppo")
    for metric, value in (("area_codes", "4"), ("hectares", "6")):
        assert post(c, "/targets", target_body(metric=metric, value=value)).status_code == 201
    post(c, "/targets", target_body(metric="area_codes", value="2", crop="rice"))
    post(c, "/targets", target_body(metric="area_codes", value="1", year=year - 1))
    found = {(f["target"]["metric"], f["target"]["crop_group"]): f
             for f in c.get(f"{API}/achieved?year={year}&codes=true").json()}  # fmt: skip
    codes = found[("area_codes", "")]
    assert (float(codes["achieved"]), codes["percent"]) == (1.0, 25.0)
    assert [x["code"] for x in codes["codes"]] == [issued_area.code]
    hectares = found[("hectares", "")]
    assert float(hectares["achieved"]) == float(issued_area.measured_area_ha or 3)
    assert float(found[("area_codes", "rice")]["achieved"]) == 0  # a durian area is not rice
    last_year = c.get(f"{API}/achieved?year={year - 1}").json()
    assert float(last_year[0]["achieved"]) == 0  # issued this year, not last
    one = c.get(f"{API}/achieved/{codes['target']['id']}").json()
    assert one["codes"][0]["id"] == issued_area.pk
    assert client(world, "commune_b").get(f"{API}/achieved/{codes['target']['id']}").status_code \
        == 404  # fmt: skip


def _workbook(rows: list[list]) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(["unit", "crop", "year", "metric", "value", "kind", "source"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_targets_import_is_a_dry_run_then_all_or_nothing(world, commune):
    c = client(world, "ppo")
    good = [[commune.name, "durian", 2026, "hectares", 12.5, "target", "plan"],
            ["", "", 2026, "packing_houses", 3, "", "plan"]]  # fmt: skip
    bad = good + [["Nowhere", "", 2026, "hectares", 1, "", "plan"]]

    def send(data, apply):
        upload = io.BytesIO(data)
        upload.name = "targets.xlsx"
        return c.post(f"{API}/targets/import?apply={'true' if apply else 'false'}",
                      {"file": upload})  # fmt: skip

    r = send(_workbook(bad), True)
    assert r.status_code == 422 and "row 4.unit" in r.json()["errors"], r.content
    assert not Target.objects.exists()
    r = send(_workbook(good), False)
    assert r.status_code == 200 and r.json()["counts"] == {"create": 2}
    assert not Target.objects.exists()
    assert send(_workbook(good), True).status_code == 200
    assert Target.objects.count() == 2
    assert AuditEntry.objects.filter(action="reports.target.import.create").count() == 2
    assert client(world, "coop").post(f"{API}/targets/import").status_code in (403, 422)
    assert client(world, "ppo").get(f"{API}/targets/import/template").status_code == 200


def test_training_is_planned_held_and_shown_on_the_household(world, issued_area, commune):
    c = client(world, "ppo")
    today = timezone.localdate()
    r = post(c, "/training", {"topic": "gap", "title": "GAP for durian", "place": "Hall",
             "planned_on": str(today), "trainer": "Ms Lan", "commune_id": commune.pk})  # fmt: skip
    assert r.status_code == 201, r.content
    class_id = r.json()["id"]
    household = issued_area.households.first()
    r = post(c, f"/training/{class_id}/held", {"held_on": str(today + timedelta(days=2)),
             "households": [household.pk]})  # fmt: skip
    assert r.status_code == 422 and "held_on" in r.json()["errors"]
    r = post(c, f"/training/{class_id}/held", {"held_on": str(today), "households": [999999]})
    assert r.status_code == 422 and "households" in r.json()["errors"]
    assert TrainingClass.objects.get().held_on is None
    r = post(c, f"/training/{class_id}/held", {"held_on": str(today), "outsiders": 5,
             "households": [household.pk], "organisations": [world.orgs["coop"].pk]})  # fmt: skip
    assert r.status_code == 200, r.content
    assert AuditEntry.objects.filter(action="reports.training.held").exists()
    assert post(client(world, "commune"), "/training", {}).status_code in (403, 422)
    assert client(world, "commune").get(f"{API}/training").json()[0]["id"] == class_id
    assert client(world, "commune_b").get(f"{API}/training").json() == []
    post(c, "/targets", target_body(metric="training_classes", value="4"))
    plan = c.get(f"{API}/training/plan?year={today.year}").json()
    assert plan == {"year": today.year, "planned": 1, "held": 1, "target": 4.0}
    # the household's page lists the class it attended
    page = client(world, "coop").get(f"/households/{household.pk}/")
    assert page.status_code == 200 and "GAP for durian" in page.content.decode()


def test_a_report_is_generated_submitted_frozen_and_versioned(world, issued_area):
    c = client(world, "ppo")
    year = timezone.localdate().year
    post(c, "/targets", target_body(metric="area_codes", value="2"))
    today = timezone.localdate()
    start = date(year, 1, 1)
    r = post(c, "/periodic", {"kind": "half_year", "year": year, "period_start": str(start),
             "period_end": str(today)})  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["version"] == 1 and body["status"] == "generated"
    assert body["figures"]["codes"]["area"]["issued"] == 1
    assert body["figures"]["targets"][0]["achieved"] == 1.0
    report = PeriodicReport.objects.get(pk=body["id"])
    book = load_workbook(io.BytesIO(bytes(report.xlsx)))
    assert book.sheetnames == ["Tổng hợp", "Mã số", "Giám sát", "Dư lượng", "Chỉ tiêu", "Tập huấn"]
    assert book["Mã số"]["B4"].value == "=SUM(B2:B3)"
    assert book["Chỉ tiêu"]["F2"].value.startswith("=IF(D2=0")
    assert book["Chỉ tiêu"]._charts
    assert bytes(report.pdf).startswith(b"%PDF")
    pdf = c.get(f"{API}/periodic/{report.pk}/file.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # submitted: frozen, a second submission refused, a new generation is version 2
    assert post(c, f"/periodic/{report.pk}/submit", {}).json()["status"] == "submitted"
    r = post(c, f"/periodic/{report.pk}/submit", {})
    assert r.status_code == 422 and "status" in r.json()["errors"]
    assert AuditEntry.objects.filter(action="reports.report.submit").count() == 1
    r = post(c, "/periodic", {"kind": "half_year", "year": year})
    assert r.status_code == 201 and r.json()["version"] == 2
    report.refresh_from_db()
    assert report.status == "submitted" and report.version == 1
    # the ministry reads it, a commune and a firm do not, another province does not see it
    assert client(world, "ministry").get(f"{API}/periodic/{report.pk}").status_code == 200
    assert client(world, "commune").get(f"{API}/periodic").status_code == 403
    assert client(world, "other_ppo").get(f"{API}/periodic/{report.pk}").status_code == 404
    assert post(client(world, "commune"), "/periodic", {"kind": "annual", "year": year}
                ).status_code == 403  # fmt: skip


def test_a_report_period_in_the_future_is_refused(world):
    c = client(world, "ppo")
    today = timezone.localdate()
    r = post(c, "/periodic", {"kind": "annual", "year": today.year,
             "period_end": str(today + timedelta(days=1))})  # fmt: skip
    assert r.status_code == 422 and "period_end" in r.json()["errors"]
    r = post(c, "/periodic", {"kind": "annual", "year": today.year + 1})
    assert r.status_code == 422 and "year" in r.json()["errors"]
    r = post(c, "/periodic", {"kind": "quarterly", "year": today.year})
    assert r.status_code == 422 and "kind" in r.json()["errors"]
    assert not PeriodicReport.objects.exists()


def test_deadlines_remind_the_inbox_once_ahead_of_time(world):
    year = timezone.localdate().year
    due = deadlines.due_on("half_year", year)
    assert due == date(year, 5, 15)
    assert deadlines.due_on("annual", year) == date(year, 11, 30)
    sent = deadlines.remind(today=due - timedelta(days=3))
    assert any("half_year" in line for line in sent)
    inbox = Notification.objects.filter(organisation=world.orgs["ppo"])
    assert inbox.count() == 1 and "/reports/periodic/" in inbox.get().url
    assert deadlines.remind(today=due - timedelta(days=2)) == []  # once per step
    assert not Notification.objects.filter(organisation=world.orgs["coop"]).exists()
    rows = client(world, "ppo").get(f"{API}/periodic/deadlines").json()
    assert {r["kind"] for r in rows} == {"half_year", "annual"}
