from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from agritrace.audit.models import AuditEntry
from agritrace.misuse import access, workflow
from agritrace.misuse.models import Case, CaseStep
from agritrace.notifications.models import Notification
from agritrace.registry.models import CodeStatus, CodeStatusChange
from agritrace.supervision.models import MonitoringVisit

from .officer import cases_fixture  # noqa: F401  (the `cases` fixture)

pytestmark = pytest.mark.django_db


def _state(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        case.action,
        CaseStep.objects.filter(case=case).count(),
        AuditEntry.objects.filter(object_type="misuse.case", object_id=str(case.pk)).count(),
        Notification.objects.count(),
    )


def _confirmed(world, case: Case) -> Case:
    ppo = world.actor("ppo")
    workflow.review(ppo, case)
    return workflow.confirm(ppo, case, "Five times what the area can grow; no other source.")


def test_scope_follows_the_land(world, cases):
    seen = lambda key: set(access.visible_cases(world.actor(key)).values_list("pk", flat=True))  # noqa: E731
    ours = {cases["area"].pk, cases["house"].pk, cases["commune_b"].pk}
    assert seen("ppo") == ours
    assert seen("province") == ours
    assert seen("ministry") == ours | {cases["other_province"].pk}
    assert seen("commune") == {cases["area"].pk, cases["house"].pk}
    assert seen("commune_b") == {cases["commune_b"].pk}
    for key in ("exporter", "packing", "coop", "household", "lab"):
        with pytest.raises(PermissionDenied):
            access.visible_cases(world.actor(key))


def test_review_confirm_and_warn_the_firm_using_the_code(world, cases):
    case = cases["area"]
    ppo = world.actor("ppo")
    workflow.review(ppo, case, "Looking at the lots")
    workflow.confirm(ppo, case, "Borrowed code")
    workflow.act(ppo, case, "warning", "Stop shipping under this code")
    case.refresh_from_db()
    assert (case.status, case.action) == ("actioned", "warning")
    steps = list(case.steps.values_list("from_status", "to_status", "action"))
    assert steps == [
        ("open", "under_review", ""),
        ("under_review", "confirmed", ""),
        ("confirmed", "actioned", "warning"),
    ]
    warning = Notification.objects.get(organisation=world.orgs["exporter"])
    assert case.code in warning.title and "Stop shipping under this code" in warning.body
    assert f"Misuse case {case.pk}" in warning.body
    actions = list(
        AuditEntry.objects.filter(object_type="misuse.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["misuse_case.review", "misuse_case.confirm", "misuse_case.act"]
    # Every step reaches the commune of the land and the province's authorities.
    for key in ("commune", "ppo", "province"):
        assert Notification.objects.filter(organisation=world.orgs[key]).count() == 3
    assert not Notification.objects.filter(organisation=world.orgs["commune_b"]).exists()
    assert set(
        Notification.objects.filter(organisation=world.orgs["commune"]).values_list(
            "url", flat=True
        )
    ) == {f"/misuse/cases/{case.pk}/"}


def test_suspension_goes_through_the_lifecycle_with_the_case_reason(world, cases):
    case = _confirmed(world, cases["area"])
    until = timezone.localdate() + timedelta(days=90)
    workflow.act(world.actor("ppo"), case, "suspension", until=until.isoformat())
    area = case.area
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED and area.suspended_until == until
    assert area.status_reason.startswith(f"Misuse case {case.pk}")
    assert "Five times what the area can grow" in area.status_reason
    change = CodeStatusChange.objects.filter(area=area).latest("pk")
    assert change.status == CodeStatus.SUSPENDED
    assert case.steps.last().result == {"code_status": "suspended"}
    # A further action on the actioned case: the revocation.
    workflow.act(world.actor("ppo"), case, "revocation", "Used again while suspended")
    area.refresh_from_db()
    assert area.code_status == CodeStatus.REVOKED
    case.refresh_from_db()
    assert case.action == "revocation"


def test_surprise_inspection_joins_the_supervision(world, cases):
    case = _confirmed(world, cases["house"])
    due = timezone.localdate() + timedelta(days=3)
    workflow.act(world.actor("ppo"), case, "inspection", due_date=due)
    visit = MonitoringVisit.objects.get(packing_house=case.packing_house)
    assert (visit.kind, visit.due_date) == ("surprise", due)
    assert visit.reason.startswith(f"Misuse case {case.pk}")
    assert case.steps.last().result == {"visit": visit.pk}


def test_dismiss_needs_a_reason_and_is_final(world, cases):
    case = cases["area"]
    ppo = world.actor("ppo")
    workflow.review(ppo, case)
    before = _state(case)
    with pytest.raises(ValidationError) as err:
        workflow.dismiss(ppo, case, "  ")
    assert "reason" in err.value.message_dict
    assert _state(case) == before
    workflow.dismiss(ppo, case, "The exporter holds an authorisation we had not loaded")
    before = _state(case)
    with pytest.raises(ValidationError) as err:
        workflow.dismiss(ppo, case, "again")
    assert "status" in err.value.message_dict
    assert _state(case) == before


@pytest.mark.parametrize(
    "step",
    [
        lambda a, c: workflow.act(a, c, "warning", "x"),
        lambda a, c: workflow.confirm(a, c),
        lambda a, c: workflow.dismiss(a, c, "not misuse"),
    ],
    ids=["act", "confirm", "dismiss"],
)
def test_steps_out_of_order_on_an_open_case_change_nothing(world, cases, step):
    case = cases["area"]
    before = _state(case)
    with pytest.raises(ValidationError) as err:
        step(world.actor("ppo"), case)
    assert "status" in err.value.message_dict
    assert _state(case) == before


def test_a_refused_lifecycle_move_undoes_the_whole_step(world, cases):
    case = _confirmed(world, cases["area"])
    case.area.code_status = CodeStatus.SUSPENDED
    case.area.save()
    before = _state(case)
    with pytest.raises(ValidationError) as err:
        workflow.act(world.actor("ppo"), case, "suspension", "again")
    assert "action" in err.value.message_dict  # the lifecycle's own rule
    assert _state(case) == before
    with pytest.raises(ValidationError) as err:
        workflow.act(world.actor("ppo"), case, "suspension", until="not a date")
    assert "until" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        workflow.act(world.actor("ppo"), case, "fine")
    assert "action" in err.value.message_dict
    assert _state(case) == before


def test_the_commune_reviews_and_notes_its_land_only(world, cases):
    commune = world.actor("commune")
    workflow.review(commune, cases["area"], "We know this orchard")
    workflow.add_note(commune, cases["area"], "The owner sold fruit to a trader")
    assert cases["area"].steps.count() == 2
    with pytest.raises(PermissionDenied):
        workflow.confirm(commune, cases["area"])
    with pytest.raises(PermissionDenied):
        workflow.act(commune, cases["area"], "warning")
    with pytest.raises(Http404):
        workflow.review(commune, cases["commune_b"])
    cases["area"].refresh_from_db()
    assert workflow.allowed_steps(commune, cases["area"]) == ["note"]
    assert workflow.allowed_steps(world.actor("ppo"), cases["area"]) == [
        "dismiss",
        "confirm",
        "note",
    ]
    assert workflow.allowed_steps(world.actor("ppo"), cases["house"]) == ["review", "note"]


def test_wrong_roles_and_scopes_are_refused(world, cases):
    for key in ("exporter", "packing", "coop", "household", "ministry"):
        with pytest.raises(PermissionDenied):
            workflow.confirm(world.actor(key), cases["area"])
    for key in ("exporter", "packing", "coop", "household"):
        with pytest.raises(PermissionDenied):
            workflow.review(world.actor(key), cases["area"])
    with pytest.raises(Http404):
        workflow.review(world.actor("ppo"), cases["other_province"])
    with pytest.raises(Http404):
        workflow.review(world.actor("other_ppo"), cases["area"])
    assert not CaseStep.objects.exists()
