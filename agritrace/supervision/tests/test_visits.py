"""Recording a monitoring visit: the checklist, the position, photos, and the outcome
(passed, corrective actions with a deadline, or a proposal to suspend that an officer turns
into a suspension through the registry's lifecycle)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from agritrace.notifications.models import Notification
from agritrace.registry.models import ApplicationStep, CodeStatus
from agritrace.supervision import services
from agritrace.supervision.models import (
    ChecklistTemplate,
    CorrectiveAction,
    MonitoringVisit,
    Outcome,
    VisitItem,
    VisitPhoto,
)

from .conftest import days

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def all_items(kind="area", value="pass") -> dict:
    return {i.key: value for i in ChecklistTemplate.current(kind).items.all()}


@pytest.fixture
def visit(world, area):
    return services.schedule_visit(world.actor("ppo"), area, days(0), inspector=world.users["ppo"])


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_clean_visit_passes(world, visit):
    done = services.record_visit(
        world.actor("ppo"), visit, all_items(), lon=108.05, lat=12.67, notes="ok"
    )
    assert done.outcome == Outcome.PASSED and done.status == "done"
    assert (done.lon, done.lat) == (108.05, 12.67)
    assert VisitItem.objects.filter(visit=done).count() == 9
    assert not CorrectiveAction.objects.exists()


def test_a_failed_item_becomes_a_corrective_action_with_a_deadline(world, visit, area):
    items = all_items()
    items["pesticide_packaging"] = {"result": "fail", "note": "packaging left in the ditch"}
    items["boundaries"] = "na"
    done = services.record_visit(world.actor("ppo"), visit, items, corrective_deadline=days(30))
    assert done.outcome == Outcome.CORRECTIVE
    action = CorrectiveAction.objects.get(visit=done)
    assert action.item_key == "pesticide_packaging" and action.deadline == days(30)
    assert "packaging left in the ditch" in action.description
    told = Notification.objects.filter(title__contains="Corrective actions")
    assert set(told.values_list("organisation", flat=True)) >= {
        area.representative_id,
        world.orgs["commune"].pk,
    }
    # A failed item counts in the code's risk until it is a year old.
    score, reasons = services.risk(area)
    assert any("failed" in r for r in reasons)
    services.complete_action(world.actor("ppo"), action, "collected")
    action.refresh_from_db()
    assert action.done_at is not None
    with pytest.raises(ValidationError):
        services.complete_action(world.actor("ppo"), action)


@pytest.mark.parametrize(
    "change, kwargs, field",
    [
        ({"diary_complete": "fail"}, {"corrective_deadline": days(10)}, "items.diary_complete"),
        ({"diary_complete": None}, {}, "items.diary_complete"),
        ({"diary_complete": "maybe"}, {}, "items.diary_complete"),
        ({"not_a_point": "pass"}, {}, "items"),
        ({"diary_complete": {"result": "fail", "note": "none"}}, {}, "corrective_deadline"),
        (
            {"diary_complete": {"result": "fail", "note": "none"}},
            {"corrective_deadline": lambda: days(0)},
            "corrective_deadline",
        ),
        (
            {"diary_complete": {"result": "fail", "note": "none"}},
            {"outcome": "passed"},
            "outcome",
        ),
        ({}, {"outcome": "corrective"}, "outcome"),
        ({}, {"outcome": "closed"}, "outcome"),
        ({}, {"outcome": "suspend"}, "notes"),
        ({}, {"lon": 108.0}, "lat"),
        ({}, {"lon": 2.35, "lat": 48.85}, "lon"),
        ({}, {"lon": "east", "lat": 12.0}, "lon"),
        ({}, {"visited_on": lambda: days(1)}, "visited_on"),
        (
            {},
            {"corrective_actions": [{"description": "", "deadline": days(5)}]},
            "corrective_actions.1.description",
        ),
    ],
)
def test_bad_visit_input_names_the_field_and_saves_nothing(world, visit, change, kwargs, field):
    # relative dates are computed when the test runs (a run may cross midnight)
    kwargs = {k: v() if callable(v) else v for k, v in kwargs.items()}
    items = all_items()
    for key, value in change.items():
        if value is None:
            items.pop(key)
        else:
            items[key] = value
    with pytest.raises(ValidationError) as exc:
        services.record_visit(world.actor("ppo"), visit, items, **kwargs)
    assert field in exc.value.message_dict
    visit.refresh_from_db()
    assert visit.recorded_at is None
    assert not VisitItem.objects.exists() and not CorrectiveAction.objects.exists()


def test_items_must_be_a_mapping(world, visit):
    with pytest.raises(ValidationError) as exc:
        services.record_visit(world.actor("ppo"), visit, ["pass"])
    assert "items" in exc.value.message_dict


def test_a_visit_is_recorded_once(world, visit):
    services.record_visit(world.actor("ppo"), visit, all_items())
    with pytest.raises(ValidationError) as exc:
        services.record_visit(world.actor("ppo"), visit, all_items())
    assert "visit" in exc.value.message_dict


def test_a_packing_house_is_checked_against_its_own_list(world, house):
    visit = services.schedule_visit(world.actor("ppo"), house, days(0))
    with pytest.raises(ValidationError) as exc:
        services.record_visit(world.actor("ppo"), visit, all_items("area"))
    assert "items" in exc.value.message_dict
    items = all_items("packing_house")
    items["labels"] = {"result": "fail", "note": "no packing-house code on the boxes"}
    done = services.record_visit(world.actor("ppo"), visit, items, corrective_deadline=days(7))
    assert done.corrective_actions.get().item_key == "labels"


def test_photos_are_checked_by_content_and_size(world, visit, settings):
    good = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    renamed = SimpleUploadedFile("b.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.record_visit(world.actor("ppo"), visit, all_items(), photos=[good, renamed])
    assert "photos" in exc.value.message_dict
    assert not VisitPhoto.objects.exists()
    settings.AGRITRACE_PHOTO_MAX_BYTES = 50
    big = SimpleUploadedFile("c.jpg", JPEG, content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.add_photo(world.actor("ppo"), visit, big)
    assert "photo" in exc.value.message_dict
    settings.AGRITRACE_PHOTO_MAX_BYTES = 1024
    done = services.record_visit(world.actor("ppo"), visit, all_items(), photos=[good])
    photo = done.photos.get()
    assert photo.content_type == "image/png" and photo.size == len(PNG)
    services.add_photo(world.actor("ppo"), visit, SimpleUploadedFile("d.jpg", JPEG), "boundaries")
    assert visit.photos.filter(item_key="boundaries").count() == 1


def test_a_photo_for_an_unknown_item_is_refused(world, visit):
    with pytest.raises(ValidationError) as exc:
        services.add_photo(world.actor("ppo"), visit, SimpleUploadedFile("d.jpg", JPEG), "nope")
    assert "item_key" in exc.value.message_dict


def test_a_proposal_to_suspend_goes_through_the_lifecycle(world, visit, area):
    items = all_items()
    items["code_use"] = {"result": "fail", "note": "fruit from outside the area packed under it"}
    done = services.record_visit(
        world.actor("ppo"), visit, items, outcome="suspend", notes="code lent to a trader"
    )
    assert done.outcome == Outcome.SUSPEND and done.suspension_pending
    assert not CorrectiveAction.objects.exists()
    assert Notification.objects.filter(
        organisation=world.orgs["province"], title__contains="Proposal to suspend"
    ).exists()
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED  # an inspector proposes, an officer decides
    with pytest.raises(PermissionDenied):
        services.decide_suspension(world.actor("commune"), done, True, "no")
    services.decide_suspension(world.actor("province"), done, True, "", until=days(60))
    area.refresh_from_db()
    assert area.code_status == CodeStatus.SUSPENDED and area.suspended_until == days(60)
    step = ApplicationStep.objects.get(area=area, action="suspend")
    assert step.reason == "code lent to a trader"
    household_orgs = Notification.objects.filter(title__contains="suspended")
    assert world.orgs["commune"].pk in household_orgs.values_list("organisation", flat=True)
    with pytest.raises(ValidationError):
        services.decide_suspension(world.actor("province"), done, True, "again")


def test_a_declined_proposal_needs_a_reason(world, visit, area):
    done = services.record_visit(
        world.actor("ppo"), visit, all_items(), outcome="suspend", notes="x"
    )
    with pytest.raises(ValidationError) as exc:
        services.decide_suspension(world.actor("province"), done, False, "")
    assert "reason" in exc.value.message_dict
    services.decide_suspension(world.actor("province"), done, False, "not enough evidence")
    done.refresh_from_db()
    assert done.proposal_decision == "declined"
    area.refresh_from_db()
    assert area.code_status == CodeStatus.ISSUED


def test_only_inspectors_of_the_province_record_visits(world, visit, foreign_area):
    for key in ("lab", "commune", "coop", "household", "exporter"):
        with pytest.raises(PermissionDenied):
            services.record_visit(world.actor(key), visit, all_items())
    with pytest.raises(Http404):
        services.record_visit(world.actor("other_ppo"), visit, all_items())
    assert MonitoringVisit.objects.get(pk=visit.pk).recorded_at is None


def test_visits_are_seen_by_scope(world, area, other_area, house):
    """Announced (scheduled) visits follow the holder's scope; planned surprise visits are
    the authority's only (test_surprise_secrecy.py)."""
    from agritrace.accounts.access import visible

    ppo = world.actor("ppo")
    visit = services.schedule_visit(ppo, area, days(0), kind="scheduled")
    other = services.schedule_visit(ppo, other_area, days(2), kind="scheduled")
    at_house = services.schedule_visit(ppo, house, days(2), kind="scheduled")
    seen = {
        key: set(
            visible(world.actor(key), MonitoringVisit.objects.all()).values_list("pk", flat=True)
        )
        for key in (
            "ppo",
            "ministry",
            "commune",
            "commune_b",
            "coop",
            "coop_b",
            "packing",
            "lab",
            "household",
            "exporter",
            "other_ppo",
        )
    }
    assert seen["ppo"] == seen["ministry"] == {visit.pk, other.pk, at_house.pk}
    assert seen["commune"] == {visit.pk, at_house.pk}  # both lie in the first commune
    assert seen["commune_b"] == {other.pk}
    assert seen["coop"] == {visit.pk} and seen["coop_b"] == {other.pk}
    assert seen["packing"] == {at_house.pk}
    assert seen["lab"] == seen["household"] == seen["exporter"] == seen["other_ppo"] == set()
