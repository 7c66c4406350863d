"""Recall (recall.py, /api/trace/recalls, `agritrace recall`): from a failed residue sample or an
importing country's notice, every lot and shipment reached forward is marked recalled and its
holders are told; only a province or plant-protection office, within its province, may."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from agritrace.accounts.access import Actor
from agritrace.audit.models import AuditEntry
from agritrace.notifications.models import Notification
from agritrace.registry.models import Market
from agritrace.supervision.models import LabResult, Notice, ResidueCase, Sample
from agritrace.trace import recall, services
from agritrace.trace.models import Recall, RecallLot

from .conftest import bearer_client, document, harvest, packing, shipping
from .test_checks import AREA, HOUSE, LOT_A, LOT_B, PACKED, SSCC, Registry

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]

OTHER_LOT = services.lot_uri("VN-DLOR-0101", "H-OLD")
PALLET = "https://id.gs1.org/00/189300000000000016"


def _ingredient(name: str):
    """The ingredient as the result models want it (a name, or the input catalogue's row)."""
    field = LabResult._meta.get_field("ingredient")
    if not field.is_relation:
        return name
    found, _created = field.related_model.objects.get_or_create(name=name)
    return found


def failed_sample(world, reg, *, sampled_on=date(2025, 6, 5), plot_or_lot="") -> Sample:
    sample = Sample.objects.create(
        code=f"DL-2025-{Sample.objects.count() + 1:04d}",
        area=reg.area,
        laboratory=world.orgs["lab"],
        sampled_on=sampled_on,
        plot_or_lot=plot_or_lot,
    )
    ingredient = _ingredient("chlorpyrifos")
    result = LabResult.objects.create(
        sample=sample, ingredient=ingredient, value_mg_kg="0.5", analysed_on=sampled_on
    )
    ResidueCase.objects.create(
        sample=sample,
        result=result,
        area=reg.area,
        market=Market.objects.get(code="CN"),
        ingredient=ingredient,
        value_mg_kg="0.5",
        limit_mg_kg="0.01",
        limit_source="test",
    )
    return sample


def shipment_notice(world, reference: str = "GACC-2025-17") -> Notice:
    """China's notice naming the captured shipment's pallet."""
    return Notice.objects.create(
        market=Market.objects.get(code="CN"),
        reference=reference,
        received_on=date(2025, 6, 20),
        shipment_reference=SSCC,
        hazard="residue",
        province=world.province,
    )


@pytest.fixture
def captured(world):
    reg = Registry(world)
    old = harvest(OTHER_LOT, AREA, when="2024-01-10T06:00:00+07:00")  # long before the sample
    services.capture(world.actor("coop"), document(old))
    services.capture(
        world.actor("packing"),
        document(
            harvest(LOT_A, AREA),
            harvest(LOT_B, AREA, when="2025-06-01T07:00:00+07:00"),
            packing([LOT_A, LOT_B], PACKED, HOUSE, kg=800),
        ),
    )
    services.capture(world.actor("exporter"), document(shipping(PACKED, SSCC, HOUSE)))
    return reg


def _post(world, key: str, body: dict):
    import json

    return bearer_client(world, key).post(
        "/api/trace/recalls", json.dumps(body), content_type="application/json"
    )


def test_a_failed_sample_recalls_every_lot_and_shipment_reached(world, captured):
    sample = failed_sample(world, captured)
    response = _post(world, "ppo", {"sample": sample.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("RC-") and body["sample"] == sample.code
    assert set(body["lots"]) == {LOT_A, LOT_B, PACKED, PALLET}  # not the 2024 harvest
    assert body["areas"] == ["VN-DLOR-0101"]
    [shipment] = body["shipments"]
    assert shipment["bizStep"] == "shipping" and shipment["parentID"] == SSCC
    # Holders told: the packing house (captured, operates the house), the exporter (shipped),
    # the cooperative (the area's representative), the province's other authority.
    told = set(Notification.objects.values_list("organisation__name", flat=True))
    for key in ("packing", "exporter", "coop", "province"):
        assert world.orgs[key].name in told
    assert world.orgs["ppo"].name not in told  # the one who started it
    assert world.orgs["other_ppo"].name not in told
    message = Notification.objects.filter(organisation=world.orgs["packing"]).get().body
    assert message.startswith("Recalled: 4 lots and 1 shipment (from ")
    assert AuditEntry.objects.filter(action="trace.recall").count() == 1
    # Marked: every lot carries the recall.
    assert RecallLot.objects.filter(recall_id=body["id"]).count() == 4
    status = recall.lot_status(PACKED)
    assert status["recalled"] is True and status["recalls"][0]["reference"] == body["reference"]
    assert recall.lot_status(SSCC)["recalled"] is True  # a URN finds its Digital Link
    assert recall.lot_status(OTHER_LOT) == {
        "lot": OTHER_LOT,
        "known": True,
        "recalled": False,
        "recalls": [],
    }
    assert recall.lot_status("urn:epc:id:sscc:8930000.9999999999")["known"] is False


def test_a_sample_naming_a_lot_starts_from_that_lot(world, captured):
    sample = failed_sample(world, captured, plot_or_lot="H-1")
    found = recall.start_recall(world.actor("ppo"), sample_id=sample.pk)
    lots = set(found.lots.values_list("lot__uri", flat=True))
    assert lots == {LOT_A, PACKED, PALLET}  # LOT_B only went into the same packed lot


def test_a_sample_without_a_result_above_a_limit_recalls_nothing(world, captured):
    sample = failed_sample(world, captured)
    sample.cases.all().delete()
    response = _post(world, "ppo", {"sample": sample.pk})
    assert response.status_code == 422
    assert not Recall.objects.exists()


def test_a_notice_naming_the_shipment_recalls_what_is_behind_and_ahead(world, captured):
    notice = shipment_notice(world)
    response = _post(world, "province", {"notice": notice.pk, "reason": "GACC notice"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reason"] == "GACC notice"
    assert set(body["lots"]) == {LOT_A, LOT_B, PACKED, PALLET}


def test_a_notice_naming_an_area_recalls_its_recent_harvests(world, captured):
    notice = Notice.objects.create(
        market=Market.objects.get(code="CN"),
        received_on=date(2025, 6, 20),
        hazard="pest",
        province=world.province,
    )
    notice.areas.set([captured.area])
    found = recall.start_recall(world.actor("ppo"), notice_id=notice.pk)
    assert set(found.lots.values_list("lot__uri", flat=True)) == {LOT_A, LOT_B, PACKED, PALLET}


@pytest.mark.parametrize("key", ["packing", "exporter", "coop", "commune", "lab", "ministry"])
def test_other_roles_may_not_recall(world, captured, key):
    sample = failed_sample(world, captured)
    response = _post(world, key, {"sample": sample.pk})
    assert response.status_code == 403
    assert not Recall.objects.exists() and not Notification.objects.exists()


def test_a_viewer_of_the_office_may_not_recall(world, captured):
    from conftest import make_user

    viewer = make_user("ppo_viewer", world.orgs["ppo"], role="viewer")
    sample = failed_sample(world, captured)
    with pytest.raises(PermissionDenied):
        recall.start_recall(Actor.of(viewer), sample_id=sample.pk)
    assert not Recall.objects.exists()


def test_another_provinces_office_cannot_reach_the_sample(world, captured):
    sample = failed_sample(world, captured)
    assert _post(world, "other_ppo", {"sample": sample.pk}).status_code == 404
    assert not Recall.objects.exists()


def test_recalls_are_seen_by_the_province_and_those_told(world, captured):
    sample = failed_sample(world, captured)
    made = _post(world, "ppo", {"sample": sample.pk}).json()
    for key in ("ppo", "province", "packing", "exporter"):
        listing = bearer_client(world, key).get("/api/trace/recalls").json()["recalls"]
        assert [r["reference"] for r in listing] == [made["reference"]], key
        one = bearer_client(world, key).get(f"/api/trace/recalls/{made['id']}")
        assert one.status_code == 200 and PACKED in one.json()["lots"]
    assert bearer_client(world, "other_ppo").get("/api/trace/recalls").json()["recalls"] == []
    assert (
        bearer_client(world, "other_ppo").get(f"/api/trace/recalls/{made['id']}").status_code == 404
    )
    status = bearer_client(world, "exporter").get("/api/trace/lot-status", {"uri": PACKED})
    assert status.json()["recalled"] is True


def test_the_command_line_recalls_and_tells_the_status(world, captured):
    sample = failed_sample(world, captured)
    out = io.StringIO()
    call_command("recall", "start", "--as", "ppo_user", "--sample", sample.code, stdout=out)
    assert "4 lots, 1 shipment," in out.getvalue() and PACKED in out.getvalue()
    out = io.StringIO()
    call_command("recall", "status", LOT_A, stdout=out)
    assert '"recalled": true' in out.getvalue()
    with pytest.raises(CommandError):
        call_command("recall", "start", "--as", "packing_user", "--sample", sample.code)
    out = io.StringIO()
    call_command("recall", "list", "--as", "province_user", stdout=out)
    assert "RC-" in out.getvalue()


# ------------------------------------------------------------------ closing a recall


def _close(world, key: str, recall_id: int, body: dict):
    import json

    return bearer_client(world, key).post(
        f"/api/trace/recalls/{recall_id}/close", json.dumps(body), content_type="application/json"
    )


@pytest.fixture
def started(world, captured):
    return recall.start_recall(world.actor("ppo"), sample_id=failed_sample(world, captured).pk)


def test_a_recall_closed_as_completed_keeps_its_lots_recalled(world, started):
    Notification.objects.all().delete()
    response = _close(world, "ppo", started.pk, {"outcome": "completed", "note": "Destroyed"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "closed" and body["outcome"] == "completed"
    assert body["closingNote"] == "Destroyed" and body["closedAt"]
    assert recall.lot_status(PACKED)["recalled"] is True
    told = set(Notification.objects.values_list("organisation__name", flat=True))
    assert world.orgs["packing"].name in told and world.orgs["ppo"].name not in told
    assert Notification.objects.filter(title__contains="closed").count() == len(told)
    entry = AuditEntry.objects.get(action="trace.recall.close")
    assert entry.before["status"] == "open" and entry.after["status"] == "closed"


def test_a_lifted_recall_releases_its_lots(world, started):
    response = _close(world, "province", started.pk, {"outcome": "lifted", "note": "Lab error"})
    assert response.status_code == 200
    status = recall.lot_status(PACKED)
    assert status["recalled"] is False and status["recalls"][0]["outcome"] == "lifted"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"outcome": "completed", "note": "  "}, "note"),
        ({"outcome": "forgotten", "note": "x"}, "outcome"),
    ],
)
def test_closing_needs_an_outcome_and_a_note(world, started, body, field):
    response = _close(world, "ppo", started.pk, body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    started.refresh_from_db()
    assert (
        started.status == "open"
        and not AuditEntry.objects.filter(action="trace.recall.close").exists()
    )


def test_a_closed_recall_cannot_be_closed_again(world, started):
    assert _close(world, "ppo", started.pk, {"outcome": "lifted", "note": "x"}).status_code == 200
    again = _close(world, "ppo", started.pk, {"outcome": "completed", "note": "y"})
    assert again.status_code == 422 and "already closed" in again.content.decode()
    started.refresh_from_db()
    assert started.outcome == "lifted"


@pytest.mark.parametrize("key, status", [("packing", 403), ("exporter", 403), ("other_ppo", 404)])
def test_only_the_provinces_offices_close_a_recall(world, started, key, status):
    response = _close(world, key, started.pk, {"outcome": "lifted", "note": "x"})
    assert response.status_code == status
    started.refresh_from_db()
    assert started.status == "open"


def test_the_command_line_closes_a_recall(world, started):
    out = io.StringIO()
    call_command(
        "recall",
        "close",
        started.reference,
        "--as",
        "ppo_user",
        "--outcome",
        "completed",
        "--note",
        "Destroyed under supervision",
        stdout=out,
    )
    assert f"Recall {started.reference} closed" in out.getvalue()
    started.refresh_from_db()
    assert started.outcome == "completed"
    with pytest.raises(CommandError):
        call_command(
            "recall", "close", "RC-0000", "--as", "ppo_user", "--outcome", "lifted", "--note", "x"
        )


def test_a_second_recall_waits_until_the_first_is_closed(world, started):
    again = _post(world, "ppo", {"sample": started.sample_id})
    assert again.status_code == 422
    assert again.json()["errors"]["sample"] == [
        f"Recall {started.reference} from this sample is still open: close it first."
    ]
    assert Recall.objects.count() == 1
    _close(world, "ppo", started.pk, {"outcome": "completed", "note": "Withdrawn"})
    assert _post(world, "ppo", {"sample": started.sample_id}).status_code == 201


def test_a_reference_taken_at_the_same_moment_is_drawn_again(world, captured, monkeypatch):
    first = recall.start_recall(world.actor("ppo"), sample_id=failed_sample(world, captured).pk)
    drawn = iter([first.reference])  # what a concurrent recall would also have read
    real = recall._next_reference
    monkeypatch.setattr(recall, "_next_reference", lambda: next(drawn, None) or real())
    notice = shipment_notice(world, reference="")
    second = recall.start_recall(world.actor("ppo"), notice_id=notice.pk)
    assert second.reference != first.reference and Recall.objects.count() == 2
    assert RecallLot.objects.filter(recall=second).count() == 4
