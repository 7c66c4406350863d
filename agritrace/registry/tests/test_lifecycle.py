import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from agritrace.audit.services import verify
from agritrace.registry.lifecycle import transition
from agritrace.registry.models import AppStatus, CodeStatus
from conftest import make_area, walk_to_issued


@pytest.mark.django_db(transaction=False)
def test_it_walks_from_draft_to_issued_code(world):
    area, app = make_area(world)
    assert area.measured_area_ha > 0
    app = walk_to_issued(world, app)
    area.refresh_from_db()
    assert app.status == AppStatus.ISSUED
    assert area.code == "VN-DLOR-0001"
    assert area.code_status == CodeStatus.ISSUED
    actions = list(app.steps.values_list("action", flat=True))
    assert actions == [
        "submit",
        "start_appraisal",
        "accept",
        "schedule_inspection",
        "record_inspection",
        "approve",
        "issue",
    ]
    assert verify().ok


@pytest.mark.django_db
def test_it_refuses_to_issue_a_rejected_application(world):
    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    transition(app, "reject", world.actor("ppo"), reason="Thiếu bản đồ")
    with pytest.raises(ValidationError) as exc:
        transition(app, "issue", world.actor("ppo"))
    assert "action" in exc.value.message_dict
    app.refresh_from_db()
    assert app.status == AppStatus.REJECTED


@pytest.mark.django_db
def test_a_return_needs_a_reason(world):
    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    with pytest.raises(ValidationError) as exc:
        transition(app, "return", world.actor("ppo"), reason="  ")
    assert "reason" in exc.value.message_dict


@pytest.mark.django_db
def test_a_cooperative_cannot_appraise(world):
    from django.core.exceptions import PermissionDenied

    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    with pytest.raises(PermissionDenied):
        transition(app, "start_appraisal", world.actor("coop"))


@pytest.mark.django_db
def test_another_province_cannot_touch_the_file(world):
    from django.http import Http404

    _area, app = make_area(world)
    transition(app, "submit", world.actor("coop"))
    with pytest.raises(Http404):
        transition(app, "start_appraisal", world.actor("other_ppo"))


@pytest.mark.django_db
def test_issuing_notifies_representative_households_and_commune(world):
    from agritrace.notifications.models import Notification

    area, app = make_area(world)
    hh = area.households.first()
    hh.organisation = world.orgs["household"]
    hh.save()
    walk_to_issued(world, app)
    for key in ("coop", "household", "commune", "ppo"):
        assert Notification.objects.filter(
            organisation=world.orgs[key], title__contains="VN-DLOR-0001"
        ).exists(), key


@pytest.mark.django_db
def test_suspend_reinstate_revoke(world):
    from agritrace.registry.lifecycle import reinstate, revoke, suspend

    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    ppo = world.actor("ppo")
    suspend(area, ppo, "Phát hiện sinh vật gây hại")
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED
    reinstate(area, ppo, "Đã khắc phục")
    revoke(area, ppo, "Dùng mã sai mục đích")
    area.refresh_from_db()
    assert area.code_status == CodeStatus.REVOKED
    with pytest.raises(ValidationError):
        reinstate(area, ppo)


@pytest.mark.django_db
def test_a_revoked_code_is_never_reused(world):
    from agritrace.registry.lifecycle import revoke

    area, app = make_area(world)
    walk_to_issued(world, app)
    area.refresh_from_db()
    revoke(area, world.actor("ppo"), "misuse")
    _area2, app2 = make_area(world, lon=108.10)
    walk_to_issued(world, app2)
    _area2.refresh_from_db()
    assert _area2.code == "VN-DLOR-0002"


@pytest.mark.django_db
def test_a_change_of_households_after_issuance_opens_a_change_review(
    world, django_capture_on_commit_callbacks
):
    from agritrace.registry import services

    area, app = make_area(world)
    walk_to_issued(world, app)
    coop = world.actor("coop")
    keep = list(area.households.values_list("pk", flat=True))[:1]
    with django_capture_on_commit_callbacks(execute=True):
        services.set_area_households(coop, area, keep, confirm=True)
    change = area.applications.get(kind="change")
    assert change.status == AppStatus.SUBMITTED
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED
    assert mail.outbox  # the province was told
