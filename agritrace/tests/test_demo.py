"""The demo province: built once for this module (twice, to show it is deterministic) and
rolled back at the end."""

import math
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.models import AuditEntry
from agritrace.audit.services import verify
from agritrace.demo import COMMUNES, DEMO_PASSWORD, DEMO_USERNAMES, build_demo, quadrilateral
from agritrace.diary.models import DiaryEntry
from agritrace.notifications.models import Notification
from agritrace.places.models import AdminUnit, ProvinceAbbreviation
from agritrace.registry import geometry as geo
from agritrace.registry.models import (
    Application,
    ApplicationStep,
    ApprovalStatus,
    AppStatus,
    CodeAuthorisation,
    CodeStatus,
    Household,
    MarketApproval,
    PackingHouse,
    PlantingArea,
    Plot,
    PlotOverlap,
    SupplyContract,
)
from agritrace.registry.services import area_flags, public_code_list
from agritrace.supervision.models import MonitoringVisit, Sample


def _fingerprint() -> dict:
    return {
        "codes": sorted(
            PlantingArea.objects.exclude(code=None).values_list("name", "code", "code_status")
        ),
        "households": sorted(Household.objects.values_list("name", "national_id")),
        "plots": sorted(
            (p.household.national_id, p.label, str(p.geometry))
            for p in Plot.objects.select_related("household")
        ),
        "applications": sorted(
            (str(a.subject.name), a.kind, a.status) for a in Application.objects.all()
        ),
        "diary": sorted(
            (e.recorded_for.national_id, e.kind, e.date.isoformat(), str(e.quantity))
            for e in DiaryEntry.objects.select_related("recorded_for")
        ),
        "samples": sorted(Sample.objects.values_list("code", "area__code", "status", "sampled_on")),
        "visits": sorted(
            MonitoringVisit.objects.values_list("kind", "due_date", "outcome", "visited_on")
        ),
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), translation.override("en"), transaction.atomic():
        with transaction.atomic():
            first = build_demo(seed=2026)
            first_print = _fingerprint()
            transaction.set_rollback(True)
        assert not PlantingArea.objects.exists()
        second = build_demo(seed=2026)
        yield {"first": first, "second": second, "prints": (first_print, _fingerprint())}
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def DAK_LAK_AREAS():  # noqa: N802  (the demo province's areas: Lai Châu's tea is apart)
    return PlantingArea.objects.filter(commune__parent__name="Đắk Lắk")


def test_two_builds_give_the_same_data(demo):
    first, second = demo["prints"]
    assert first == second
    assert demo["first"]["codes"] == demo["second"]["codes"]
    assert demo["second"]["codes"] == [
        *(f"VN-DLOR-{n:04d}" for n in range(1, 8)),
        "VN-DLPH-0001",
        "VN-LCOR-0001",  # Lai Châu's tea area (demo_laichau)
    ]


def test_every_step_of_an_application_is_present(demo):
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses == set(AppStatus.values)
    # a change to an issued code is under review
    change = Application.objects.get(kind="change")
    assert change.status == AppStatus.SUBMITTED
    assert change.area.code_status == CodeStatus.ISSUED


def test_codes_are_issued_suspended_and_revoked(demo):
    statuses = list(DAK_LAK_AREAS().values_list("code_status", flat=True))
    assert statuses.count(CodeStatus.SUSPENDED) == 2
    assert statuses.count(CodeStatus.REVOKED) == 1
    assert statuses.count(CodeStatus.ISSUED) == 4
    suspended_until = PlantingArea.objects.exclude(suspended_until=None).get()
    assert suspended_until.suspended_until > timezone.localdate()
    reinstated = ApplicationStep.objects.filter(action="reinstate").get()
    assert reinstated.area.code_status == CodeStatus.ISSUED
    ph = PackingHouse.objects.get(code="VN-DLPH-0001")
    assert ph.code_status == CodeStatus.ISSUED


def test_an_application_is_overdue(demo):
    overdue = [a for a in Application.objects.all() if a.is_overdue]
    assert len(overdue) == 1
    assert overdue[0].status == AppStatus.UNDER_APPRAISAL


def test_plots_overlap_and_an_area_is_mismeasured(demo):
    overlaps = list(PlotOverlap.objects.select_related("plot", "other"))
    assert len(overlaps) == 4  # two pairs, each flagged both ways
    assert all(o.plot.household_id != o.other.household_id for o in overlaps)
    assert any(o.plot.area_id != o.other.area_id for o in overlaps)
    mismeasured = [
        a for a in PlantingArea.objects.all() if any("Declared" in f for f in area_flags(a))
    ]
    assert [a.name for a in mismeasured] == ["Vùng cà phê TR9 Khối 9"]


def test_market_approvals_authorisations_and_contracts(demo):
    approved = MarketApproval.objects.filter(status=ApprovalStatus.APPROVED, market__code="CN")
    assert approved.count() == 4
    assert all(a.importer_list_ref for a in approved)
    # Revoking VN-DLOR-0005 withdrew its approval: the public list no longer shows it for CN.
    withdrawn = MarketApproval.objects.get(status=ApprovalStatus.WITHDRAWN)
    assert withdrawn.area.code_status == CodeStatus.REVOKED
    assert withdrawn.note == "Code revoked"
    assert not [r for r in public_code_list() if r["status"] == "revoked" and r["approved_markets"]]
    assert MarketApproval.objects.filter(status=ApprovalStatus.SENT).count() == 1
    active = CodeAuthorisation.objects.filter(withdrawn_at=None)
    assert active.count() == 5  # with C1's for the EU (eudr.demo)
    assert {a.grantee.kind for a in active} == {OrgKind.EXPORTER, OrgKind.PACKING_HOUSE}
    revoked = PlantingArea.objects.get(code_status=CodeStatus.REVOKED)
    assert not revoked.authorisations.filter(withdrawn_at=None).exists()
    assert SupplyContract.objects.filter(packing_house__code="VN-DLPH-0001").count() == 3


def test_organisations_and_logins(demo, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(OrgKind.values)
    assert Organisation.objects.filter(kind=OrgKind.COMMUNE).count() == 3
    assert Organisation.objects.filter(kind=OrgKind.REPRESENTATIVE).count() == 5  # + Lai Châu
    assert Organisation.objects.filter(kind=OrgKind.PACKING_HOUSE).count() == 3
    assert Organisation.objects.filter(kind=OrgKind.EXPORTER).count() == 2
    ministry = Organisation.objects.get(kind=OrgKind.MINISTRY)
    assert ministry.unit.name == "Thành phố Hà Nội"
    users = get_user_model().objects.filter(username__in=DEMO_USERNAMES)
    assert users.count() == len(DEMO_USERNAMES)
    assert all(u.check_password(DEMO_PASSWORD) and u.membership for u in users)
    assert Household.objects.exclude(organisation=None).count() == 2
    abbreviation = ProvinceAbbreviation.objects.get(province__name="Đắk Lắk", active=True)
    assert abbreviation.abbreviation == "DL"
    assert "not an official" in abbreviation.source
    assert [row[0] for row in demo["second"]["logins"]] == DEMO_USERNAMES


def test_places_are_real_communes_of_dak_lak(demo):
    province = AdminUnit.objects.get(tree="2025", level="province", name="Đắk Lắk")
    communes = AdminUnit.objects.filter(pk__in=DAK_LAK_AREAS().values("commune"))
    assert communes.count() == 4
    assert all(c.parent == province and c.tree == "2025" for c in communes)


def test_households_and_plots_are_plausible(demo):
    assert 55 <= Household.objects.count() <= 65
    assert DAK_LAK_AREAS().count() == 15
    assert {a.crop.code for a in DAK_LAK_AREAS()} == {"durian", "coffee", "rice"}
    ids = list(Household.objects.values_list("national_id", flat=True))
    assert all(re.fullmatch(r"\d{12}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    centres = [point for _name, point in COMMUNES.values()]
    plots = Plot.objects.filter(area__in=DAK_LAK_AREAS())
    large = [p for p in plots if p.area_ha > 4]
    # one plot of C1 is larger than the 4 ha up to which the EU's file has a point (eudr.demo)
    assert [p.area.name for p in large] == ["Vùng cà phê Robusta Buôn Sah"]
    for plot in plots:
        assert 0.25 <= plot.area_ha <= (5.5 if plot in large else 3.3), plot
        assert len(plot.geometry["coordinates"][0]) == 5
        km = min(
            math.hypot((plot.centroid_lon - lon) * 108.6, (plot.centroid_lat - lat) * 111.3)
            for lon, lat in centres
        )
        assert km < 10, plot


def test_the_audit_log_is_whole_and_in_time_order(demo):
    assert verify().ok
    times = list(AuditEntry.objects.order_by("seq").values_list("at", flat=True))
    assert times == sorted(times)
    assert times[-1] <= timezone.now()
    assert times[0] < timezone.now() - timedelta(days=150)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "area.create",
        "household.create",
        "plot.save",
        "application.issue",
        "code.issue",
        "code.suspend",
        "code.revoke",
        "market_approval.approve",
        "code.authorise",
        "inspection.record",
    } <= actions


def test_notifications_reach_the_people_concerned(demo):
    household = Organisation.objects.get(name="Hộ Nguyễn Văn Hùng")
    titles = list(
        Notification.objects.filter(organisation=household).values_list("title", flat=True)
    )
    assert "Code VN-DLOR-0001 issued" in titles
    commune = Organisation.objects.get(kind=OrgKind.COMMUNE, unit__name="Xã Krông Pắc")
    assert Notification.objects.filter(organisation=commune, title__contains="may use").exists()


def test_building_again_changes_nothing(demo):
    counts = demo["second"]["counts"]
    again = build_demo()
    assert again["created"] is False
    assert AuditEntry.objects.count() == counts["audit_entries"]
    assert Organisation.objects.count() == counts["organisations"]


def test_plots_are_valid_quadrilaterals():
    import random

    rng = random.Random(1)
    for hectares in (0.3, 1.0, 3.0):
        shape = geo.parse_geojson(quadrilateral(rng, 108.05, 12.67, hectares))
        assert geo.geodesic_area_m2(shape) / 10_000 == pytest.approx(hectares, rel=0.3)


def test_households_keep_diaries_and_some_entries_are_flagged(demo):
    from agritrace.diary.models import DiaryEntry, DiaryFlag, EntryKind, FlagKind

    entries = DiaryEntry.objects.select_related("recorded_by_org", "recorded_for")
    assert demo["second"]["counts"]["diary_entries"] == entries.count() >= 20
    kinds = set(entries.values_list("kind", flat=True))
    assert {EntryKind.SPRAYING, EntryKind.FERTILISING, EntryKind.HARVEST} <= kinds
    # the households log in and keep their own; the cooperatives enter for other members
    by_household = entries.filter(recorded_by_org__kind=OrgKind.HOUSEHOLD)
    assert set(by_household.values_list("recorded_by__username", flat=True)) == {
        "household",
        "household2",
    }
    assert entries.filter(recorded_by_org__kind=OrgKind.REPRESENTATIVE).exists()
    assert entries.values("recorded_for").distinct().count() >= 5
    # spread over the season, none in the future
    dates = sorted(entries.values_list("date", flat=True))
    assert dates[0] <= timezone.localdate() - timedelta(days=140)
    assert dates[-1] <= timezone.localdate()
    flags = {f.kind: f for f in DiaryFlag.objects.select_related("entry", "related_entry")}
    assert set(flags) == {FlagKind.PHI, FlagKind.BANNED_PRODUCT, FlagKind.MARKET_INGREDIENT}
    phi = flags[FlagKind.PHI]
    assert phi.entry.kind == EntryKind.HARVEST
    assert phi.entry.recorded_for.name == "Nguyễn Văn Hùng"
    assert (phi.entry.date - phi.related_entry.date).days < 14
    # flags reach the representative and the plant-protection office
    assert (
        Notification.objects.filter(
            organisation__kind=OrgKind.PLANT_PROTECTION, title__startswith="Diary warning"
        ).count()
        == 3
    )


def test_the_province_supervises_the_codes(demo):
    from agritrace.supervision.models import (
        AreaMarketFlag,
        MonitoringPlan,
        MonitoringVisit,
        Notice,
        NoticeStatus,
        Outcome,
        PestObservation,
        ResidueCase,
        ResiduePlan,
        Sample,
        SampleStatus,
        VisitKind,
    )

    plan = MonitoringPlan.objects.get()
    assert plan.province.name == "Đắk Lắk"
    scheduled = plan.visits.filter(kind=VisitKind.SCHEDULED)
    # every code issued when the plan was made has its visit (seven areas, one packing house)
    assert scheduled.count() == 8
    assert set(scheduled.exclude(outcome="").values_list("outcome", flat=True)) == {
        Outcome.PASSED,
        Outcome.CORRECTIVE,
    }
    assert scheduled.filter(recorded_at=None).count() == 6
    assert MonitoringVisit.objects.get(outcome=Outcome.CORRECTIVE).corrective_actions.count() == 1
    surprise = MonitoringVisit.objects.filter(kind=VisitKind.SURPRISE)
    assert surprise.count() == 2 and all(v.status == "planned" for v in surprise)
    assert all(v.inspector.username == "inspector" for v in surprise)

    assert ResiduePlan.objects.get().target_samples == 100
    samples = Sample.objects.all()
    assert samples.filter(status=SampleStatus.ANALYSED).count() == 4
    case = ResidueCase.objects.select_related("area", "market", "ingredient").get()
    assert (case.area.name, case.market.code, case.ingredient.name) == (
        "Vùng sầu riêng Buôn Kniết",
        "CN",
        "Chlorpyrifos ethyl",
    )
    assert case.value_mg_kg > case.limit_mg_kg
    flag = AreaMarketFlag.objects.get(lifted_at=None)
    assert (flag.area, flag.market) == (case.area, case.market)
    follow_up = samples.get(follow_up_of=case.sample)
    assert follow_up.status == SampleStatus.SENT and follow_up.area == case.area
    # the area flagged is the one whose diary shows a banned product
    assert case.area.diary_entries.filter(flags__kind="banned_product").exists()

    observation = PestObservation.objects.select_related("pest").get()
    assert observation.pest.key == "bactrocera-correcta" and observation.incidence_pct > 0
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.INVESTIGATING and notice.market.code == "CN"
    assert list(notice.packing_houses.values_list("code", flat=True)) == ["VN-DLPH-0001"]
    assert notice.visits.count() == 1
    counts = demo["second"]["counts"]
    assert (counts["samples"], counts["residue_cases"], counts["notices"]) == (5, 1, 1)


def test_supervision_is_in_the_audit_log(demo):
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "diary.create",
        "monitoring_plan.generate",
        "monitoring_visit.record",
        "sample.register",
        "lab_result.enter",
        "residue_case.open",
        "pest_observation.create",
        "notice.register",
    } <= actions


def test_produce_is_traced_from_orchard_to_stamps(demo):
    from agritrace.stamps import services as stamps
    from agritrace.trace.models import Event, EventFlag

    steps = list(Event.objects.order_by("event_time", "id").values_list("biz_step", flat=True))
    # the chains' three, the rented code's one, C1's two for the EU (eudr.demo), Lai Châu's
    # tea (demo_laichau)
    assert steps.count("commissioning") == 7
    assert {"receiving", "packing", "inspecting", "shipping"} <= set(steps)
    # the demo's chains pass every domain check: no flag, no refusal
    assert not EventFlag.objects.exists()
    uris = demo["second"]["stamp_uris"]
    assert len(uris) == 3  # A1's, E1's and Lai Châu's dried tea (demo_laichau)
    a1, e1 = (stamps.lookup_uri(uri) for uri in uris[:2])
    assert a1.status == stamps.Status.GENUINE
    assert [a["code"] for a in a1.summary["areas"]] == ["VN-DLOR-0001"]
    assert a1.summary["packing_house"]["code"] == "VN-DLPH-0001"
    assert a1.summary["inspections"] and a1.summary["inspections"][0]["certificate"]
    # E1's code was suspended ten days ago: its stamps say so
    assert e1.status == stamps.Status.SUSPENDED


def test_lai_chau_tea_is_processed_and_its_stamp_scans_with_its_stages(demo):
    from agritrace.demo_laichau import laichau_stamp_uri
    from agritrace.products.completeness import check
    from agritrace.stamps import services as stamps
    from agritrace.trace.models import Lot

    found = stamps.lookup_uri(laichau_stamp_uri())
    assert found.status == stamps.Status.GENUINE
    assert found.summary["crop_code"] == "dried-tea"
    assert [a["code"] for a in found.summary["areas"]] == ["VN-LCOR-0001"]
    steps = {row["step"] for row in found.summary["timeline"]}
    assert {"commissioning", "receiving", "creating_class_instance"} <= steps
    assert check(Lot.objects.get(uri=found.summary["lot_uri"])).complete
