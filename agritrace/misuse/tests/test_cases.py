"""Findings into cases: one per rule × subject × season, updated by re-runs, a dismissed case
reopened only when the finding grew, new cases notified and audited."""

import pytest

from agritrace.audit.models import AuditEntry
from agritrace.misuse.cases import score_of, upsert
from agritrace.misuse.findings import Finding
from agritrace.misuse.models import Case, CaseStatus
from agritrace.notifications.models import Notification

from .conftest import make_area

pytestmark = pytest.mark.django_db


def finding(area, ratio=2.0, kg=50_000):
    return Finding(
        rule="area_volume_over_yield",
        season="2026",
        subject_kind="area",
        subject_id=area.pk,
        code=area.code,
        figures={"kg": kg},
        threshold={"tolerance": 1.2},
        events=[3, 1, 2],
        lots=["urn:x:1"],
        ratio=ratio,
        summary=f"{area.code} carries {kg} kg",
    )


def test_a_finding_opens_one_case_and_a_rerun_updates_it(world):
    area = make_area(world)
    assert upsert([finding(area)]) == (1, 0)
    case = Case.objects.get()
    assert case.subject_key == f"area:{area.pk}" and case.code == area.code
    assert case.commune == area.commune and case.province == world.province
    assert case.severity == "high" and case.score == score_of("high", 2.0) == 6.0
    assert case.evidence["events"] == [1, 2, 3] and case.evidence["lots"] == ["urn:x:1"]
    assert case.evidence["rule_thresholds"] == {"tolerance": 1.2}
    assert case.status == CaseStatus.OPEN and case.times_found == 1
    notified = set(Notification.objects.values_list("organisation__kind", flat=True))
    assert notified == {"commune", "plant_protection_office", "province_department"}
    assert not Notification.objects.filter(organisation=world.orgs["commune_b"]).exists()
    assert AuditEntry.objects.filter(action="misuse.case_opened", object_id=case.pk).exists()

    assert upsert([finding(area, ratio=3.0, kg=70_000)]) == (0, 1)
    case.refresh_from_db()
    assert Case.objects.count() == 1 and case.times_found == 2
    assert case.evidence["figures"] == {"kg": 70_000} and case.score == 9.0
    assert Notification.objects.count() == 3  # an update notifies nobody


def test_a_dismissed_case_reopens_only_when_the_finding_grew(world):
    area = make_area(world)
    upsert([finding(area, ratio=2.0)])
    Case.objects.update(status=CaseStatus.DISMISSED)
    upsert([finding(area, ratio=2.1)])  # within the margin: stays dismissed
    case = Case.objects.get()
    assert case.status == CaseStatus.DISMISSED and case.evidence["dismissed_ratio"] == 2.0
    assert upsert([finding(area, ratio=3.0)]) == (1, 0)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.steps.get().from_status == CaseStatus.DISMISSED


def test_a_confirmed_case_is_updated_never_reopened(world):
    area = make_area(world)
    upsert([finding(area)])
    Case.objects.update(status=CaseStatus.CONFIRMED)
    upsert([finding(area, ratio=10)])
    assert Case.objects.get().status == CaseStatus.CONFIRMED


def test_a_finding_caps_its_evidence():
    f = Finding(rule="x", season=2026, subject_kind="area", subject_id=1, events=list(range(500)))
    assert len(f.events) == 200 and f.event_count == 500 and f.season == "2026"
    with pytest.raises(ValueError):
        Finding(rule="x", season="2026", subject_kind="plot", subject_id=1)
