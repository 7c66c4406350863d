"""The domain checks on captured events (checks.py): each rule's good path and bad path, refusals
naming the event's JSON path and the rule with nothing stored, flags recorded on the event."""

import json
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from agritrace.registry.models import (
    CodeAuthorisation,
    CodeStatus,
    Crop,
    Market,
    PackingHouse,
    PlantingArea,
    SupplyContract,
)
from agritrace.trace import services
from agritrace.trace.models import Event, EventEPC, EventFlag, Lot, PackOutFactor

from .conftest import bearer_client, document, harvest, packing, shipping

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]

AREA_CODE, HOUSE_CODE = "VN-DLOR-0101", "VN-DLPH-0101"
AREA = services.location_uri(AREA_CODE)
HOUSE = services.location_uri(HOUSE_CODE)
LOT_A = services.lot_uri(AREA_CODE, "H-1")
LOT_B = services.lot_uri(AREA_CODE, "H-2")
PACKED = services.lot_uri(HOUSE_CODE, "P-1")
SSCC = "urn:epc:id:sscc:8930000.1000000001"


class Registry:
    def __init__(self, world):
        durian = Crop.objects.get(code="durian")
        self.area = PlantingArea.objects.create(
            code=AREA_CODE,
            code_status=CodeStatus.ISSUED,
            name="Vùng sầu riêng 101",
            representative=world.orgs["coop"],
            crop=durian,
            commune=world.communes[0],
            declared_area_ha=2,
        )
        self.house = PackingHouse.objects.create(
            code=HOUSE_CODE,
            code_status=CodeStatus.ISSUED,
            name="Cơ sở đóng gói 101",
            operator=world.orgs["packing"],
            address="Ea Tul",
            capacity_t_per_day=10,
            commune=world.communes[0],
        )
        self.contract = SupplyContract.objects.create(
            packing_house=self.house,
            area=self.area,
            valid_from=date(2025, 1, 1),
            valid_to=date(2026, 12, 31),
        )


@pytest.fixture
def reg(world):
    return Registry(world)


@pytest.fixture(autouse=True)
def _not_late(settings):
    """These events are dated 2025 to test the other rules; lateness (`late_capture`) is
    tested in test_event_time.py."""
    settings.AGRITRACE_TRACE_LATE_HOURS = 10**6


def capture(world, *events, key="packing", **kwargs):
    return services.capture(world.actor(key), document(*events, **kwargs))


def rejected(world, *events, key="packing") -> dict[str, list[str]]:
    before = (Event.objects.count(), EventEPC.objects.count(), Lot.objects.count())
    with pytest.raises(services.CaptureRejected) as caught:
        capture(world, *events, key=key)
    assert (Event.objects.count(), EventEPC.objects.count(), Lot.objects.count()) == before
    return {
        path: [m for e in errs for m in e.messages]
        for path, errs in caught.value.error_dict.items()
    }


def flags(rule: str | None = None) -> list[EventFlag]:
    found = EventFlag.objects.select_related("event", "lot").order_by("pk")
    return list(found.filter(rule=rule) if rule else found)


def chain() -> list[dict]:
    return [
        harvest(LOT_A, AREA),
        harvest(LOT_B, AREA, when="2025-06-01T07:00:00+07:00"),
        packing([LOT_A, LOT_B], PACKED, HOUSE, kg=800),
        shipping(PACKED, SSCC, HOUSE),
    ]


# ------------------------------------------------------------------ the good path


def test_a_sound_chain_is_stored_without_flags_and_the_lots_know_their_facts(world, reg):
    job = capture(world, *chain())
    assert job.stored_count == 4
    assert flags() == []
    lot_a = Lot.objects.get(uri=LOT_A)
    assert lot_a.origin_area == reg.area and lot_a.crop.code == "durian"
    assert lot_a.produced_kg == 500 and lot_a.drawn_kg == 500
    assert lot_a.origin_time.isoformat() == "2025-05-31T23:00:00+00:00"
    packed = Lot.objects.get(uri=PACKED)
    assert packed.crop.code == "durian" and packed.produced_kg == 800
    assert packed.origin_area is None  # two harvest lots behind it: no single area


def test_events_of_other_organisations_are_not_checked(world):
    """Identifiers outside our namespace (as in GS1's examples): stored as captured, even with
    a unit that cannot be weighed and an event before its lot."""
    foreign = harvest(
        "urn:epc:class:lgtin:4012345.012345.998877", "urn:epc:id:sgln:4012345.00001.0"
    )
    foreign["quantityList"][0]["uom"] = "LTR"
    later = dict(foreign, action="OBSERVE", bizStep="receiving", eventTime="2025-05-01T00:00:00Z")
    assert capture(world, foreign, later).stored_count == 2
    assert flags() == []


# ------------------------------------------------------------------ harvests


@pytest.mark.parametrize("status", [CodeStatus.NONE, CodeStatus.SUSPENDED, CodeStatus.REVOKED])
def test_a_harvest_at_an_area_without_an_issued_code_is_refused(world, reg, status):
    PlantingArea.objects.filter(pk=reg.area.pk).update(code_status=status)
    errors = rejected(world, *chain())
    message = " ".join(errors["$.epcisBody.eventList[0].bizLocation.id"])
    assert "[area_code_not_issued]" in message and AREA_CODE in message
    assert "$.epcisBody.eventList[1].bizLocation.id" in errors


def test_the_refusal_reaches_the_api_as_a_400_naming_path_and_rule(world, reg, post_document):
    PlantingArea.objects.filter(pk=reg.area.pk).update(code_status=CodeStatus.SUSPENDED)
    response = post_document(bearer_client(world, "packing"), document(*chain()))
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("$.epcisBody.eventList[0].bizLocation.id: ")
    assert "[area_code_not_issued]" in body["detail"]
    assert not Event.objects.exists()


def test_a_harvest_may_name_a_plot_of_the_area(world, reg):
    event = harvest(LOT_A, services.location_uri(f"{AREA_CODE}/P0"))
    capture(world, event)
    assert Lot.objects.get(uri=LOT_A).origin_area == reg.area
    assert flags() == []


def test_a_harvest_at_an_unknown_location_of_ours_is_flagged(world):
    capture(world, harvest(LOT_A, services.location_uri("VN-DLOR-9999")))
    found = flags("unknown_location")
    assert len(found) == 2  # business location and read point
    assert found[0].severity == "serious" and "VN-DLOR-9999" in found[0].message
    assert found[0].path == "$.epcisBody.eventList[0].bizLocation.id"


def _with_crop(event: dict, crop: str, key="agritrace:crop") -> dict:
    return dict(event, ilmd={key: crop})


AT = {
    "@context": [
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        {"agritrace": "urn:agritrace:ns:"},
    ]
}


def test_a_harvest_of_the_areas_crop_passes(world, reg):
    capture(world, _with_crop(harvest(LOT_A, AREA), "durian"), context=AT["@context"])
    capture(world, _with_crop(harvest(LOT_B, AREA), "Sầu riêng"), context=AT["@context"])
    assert flags() == []


@pytest.mark.parametrize(
    "crop, words", [("mango", "registered for durian"), ("kiwi", "not a crop")]
)
def test_a_harvest_of_another_crop_is_refused(world, reg, crop, words):
    with pytest.raises(services.CaptureRejected) as caught:
        capture(world, _with_crop(harvest(LOT_A, AREA), crop), context=AT["@context"])
    errors = caught.value.message_dict
    message = " ".join(errors["$.epcisBody.eventList[0].ilmd.agritrace:crop"])
    assert words in message and "[crop_mismatch]" in message
    assert not Event.objects.exists()


def test_the_crop_can_come_from_the_documents_master_data(world, reg):
    doc = document(harvest(LOT_A, AREA))
    doc["epcisHeader"] = {
        "epcisMasterData": {
            "vocabularyList": [
                {
                    "type": "urn:epcglobal:epcis:vtype:EPCClass",
                    "vocabularyElementList": [
                        {
                            "id": LOT_A,
                            "attributes": [{"id": "urn:agritrace:mda#crop", "attribute": "coffee"}],
                        }
                    ],
                }
            ]
        }
    }
    with pytest.raises(services.CaptureRejected) as caught:
        services.capture(world.actor("packing"), doc)
    assert "$.epcisHeader.epcisMasterData" in caught.value.message_dict


# ------------------------------------------------------------------ packing links


def test_packing_without_a_link_to_the_area_is_flagged(world, reg):
    reg.contract.delete()
    job = capture(world, *chain())
    assert job.stored_count == 4  # stored: a flag, not a refusal
    found = flags("packing_unlinked")
    assert {f.lot.uri for f in found} == {LOT_A, LOT_B}
    assert all(f.event.event_type == "TransformationEvent" for f in found)
    assert AREA_CODE in found[0].message and HOUSE_CODE in found[0].message


def test_a_contract_expired_on_the_day_does_not_link(world, reg):
    SupplyContract.objects.filter(pk=reg.contract.pk).update(valid_to=date(2025, 5, 31))
    capture(world, *chain())
    assert len(flags("packing_unlinked")) == 2


def test_an_authorisation_to_the_operator_links_too(world, reg):
    reg.contract.delete()
    CodeAuthorisation.objects.create(
        area=reg.area,
        grantee=world.orgs["packing"],
        market=Market.objects.get(code="CN"),
        valid_from=date(2025, 1, 1),
        valid_to=date(2025, 12, 31),
    )
    capture(world, *chain())
    assert flags("packing_unlinked") == []


def test_a_later_repacking_finds_the_areas_behind_its_input(world, reg):
    capture(world, *chain())
    other = PackingHouse.objects.create(
        code="VN-DLPH-0102",
        code_status=CodeStatus.ISSUED,
        name="Other",
        operator=world.orgs["exporter"],
        address="x",
        capacity_t_per_day=1,
        commune=world.communes[0],
    )
    repack = packing(
        [PACKED],
        services.lot_uri(other.code, "R-1"),
        services.location_uri(other.code),
        kg=400,
        when="2025-06-04T09:00:00+07:00",
    )
    repack["inputQuantityList"][0]["quantity"] = 400
    capture(world, repack, key="exporter")
    found = flags("packing_unlinked")
    assert len(found) == 1 and AREA_CODE in found[0].message


# ------------------------------------------------------------------ mass balance


def test_output_above_input_is_flagged(world, reg):
    events = chain()
    events[2]["outputQuantityList"][0]["quantity"] = 1100  # from 2 × 500 kg
    capture(world, *events)
    [flag] = flags("mass_balance")
    assert flag.severity == "serious" and "1100 kg" in flag.message and "1000 kg" in flag.message
    assert flag.path == "$.epcisBody.eventList[2].outputQuantityList"


def test_output_grossly_above_input_is_refused(world, reg):
    events = chain()
    events[2]["outputQuantityList"][0]["quantity"] = 1600
    errors = rejected(world, *events)
    assert "[mass_balance]" in " ".join(errors["$.epcisBody.eventList[2].outputQuantityList"])


def test_the_crops_pack_out_factor_applies(world, reg):
    factor = PackOutFactor.objects.get(crop__code="durian")
    assert factor.factor == 1 and "source unknown" in factor.source  # the data as shipped
    factor.factor = Decimal("0.7")
    factor.save()
    capture(world, *chain())  # 800 kg from 1000 kg: above 0.7 × 1000
    assert len(flags("mass_balance")) == 1


def test_units_are_converted_before_comparing(world, reg):
    events = chain()
    events[2]["outputQuantityList"][0].update(quantity=0.8, uom="TNE")
    events[2]["inputQuantityList"][0].update(quantity=500000, uom="GRM")
    capture(world, *events)
    assert flags("mass_balance") == []
    assert Lot.objects.get(uri=PACKED).produced_kg == 800


def test_drawing_more_from_a_lot_over_time_than_it_held_is_flagged(world, reg):
    capture(world, harvest(LOT_A, AREA))  # 500 kg
    first = packing([LOT_A], PACKED, HOUSE, kg=300)
    first["inputQuantityList"][0]["quantity"] = 350
    capture(world, first)
    second = packing(
        [LOT_A],
        services.lot_uri(HOUSE_CODE, "P-2"),
        HOUSE,
        kg=200,
        when="2025-06-02T10:00:00+07:00",
    )
    second["inputQuantityList"][0]["quantity"] = 250  # 600 kg drawn from 500
    capture(world, second)
    [flag] = flags("lot_overdrawn")
    assert flag.lot.uri == LOT_A and "600 kg" in flag.message and "500 kg" in flag.message
    assert Lot.objects.get(uri=LOT_A).drawn_kg == 600


def test_drawing_grossly_more_than_a_lot_held_is_refused(world, reg):
    capture(world, harvest(LOT_A, AREA))
    capture(world, packing([LOT_A], PACKED, HOUSE, kg=400))  # draws 500 kg
    again = packing(
        [LOT_A],
        services.lot_uri(HOUSE_CODE, "P-2"),
        HOUSE,
        kg=400,
        when="2025-06-02T10:00:00+07:00",
    )
    errors = rejected(world, again)
    assert "[lot_overdrawn]" in " ".join(errors["$.epcisBody.eventList[0].inputQuantityList[0]"])
    assert Lot.objects.get(uri=LOT_A).drawn_kg == 500


def test_lots_count_once_where_the_database_cannot_return_inserted_rows(world, reg, monkeypatch):
    """The bulk_create path (SQLite before 3.35): new lots are not updated again after the
    insert, which would count their kilograms twice."""
    from agritrace.trace import checks

    monkeypatch.setattr(checks, "_returns_inserted_rows", lambda: False)
    capture(world, *chain())
    assert Lot.objects.get(uri=LOT_A).produced_kg == 500
    assert Lot.objects.get(uri=LOT_A).drawn_kg == 500
    assert Lot.objects.get(uri=PACKED).produced_kg == 800


def test_an_event_declared_erroneous_gives_back_its_kilograms_once(world, reg):
    capture(world, harvest(LOT_A, AREA))
    wrong = packing([LOT_A], PACKED, HOUSE, kg=400)  # draws 500 kg, makes 400
    wrong["eventID"] = "urn:uuid:6f1c2d3e-0000-4000-8000-00000000000a"
    capture(world, wrong)
    assert Lot.objects.get(uri=LOT_A).drawn_kg == 500
    declared = dict(
        wrong,
        errorDeclaration={
            "declarationTime": "2025-06-02T12:00:00+07:00",
            "reason": "did_not_occur",
        },
    )
    capture(world, declared)
    assert Event.objects.get(event_id=wrong["eventID"]).is_erroneous
    assert Lot.objects.get(uri=LOT_A).drawn_kg == 0
    assert Lot.objects.get(uri=PACKED).produced_kg == 0
    capture(world, declared)  # declared again: nothing more is given back
    assert Lot.objects.get(uri=LOT_A).drawn_kg == 0
    # The harvest can now be packed in full without being overdrawn.
    capture(world, packing([LOT_A], services.lot_uri(HOUSE_CODE, "P-2"), HOUSE, kg=400))
    assert Lot.objects.get(uri=LOT_A).drawn_kg == 500 and flags("lot_overdrawn") == []


def test_declaring_a_harvest_erroneous_takes_back_what_it_made(world, reg):
    first = harvest(LOT_A, AREA)
    first["eventID"] = "urn:uuid:6f1c2d3e-0000-4000-8000-00000000000b"
    capture(world, first, key="coop")
    assert Lot.objects.get(uri=LOT_A).produced_kg == 500
    capture(
        world,
        dict(first, errorDeclaration={"declarationTime": "2025-06-02T12:00:00+07:00"}),
        key="coop",
    )
    assert Lot.objects.get(uri=LOT_A).produced_kg == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two writers at once on one new row: PostgreSQL's row locks (SQLite runs one writer)",
)
@pytest.mark.django_db(transaction=True)
def test_two_captures_making_the_same_new_lot_at_once_both_count(world, reg):
    """The second capture sees no lot (the first has not committed), so it inserts one too:
    its insert waits for the first's, then yields to it, and its kilograms are added."""
    inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first():
        try:
            with transaction.atomic():
                capture(world, harvest(LOT_A, AREA), key="coop")
                inserted.set()
                release.wait(20)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)
            inserted.set()
        finally:
            connection.close()

    def second():
        try:
            capture(world, harvest(LOT_A, AREA, kg=300, when="2025-06-01T08:00:00+07:00"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert inserted.wait(20)
    two = threading.Thread(target=second)
    two.start()
    two.join(1.5)
    waited = two.is_alive()  # blocked on the first capture's uncommitted lot
    release.set()
    one.join(20)
    two.join(20)
    assert errors == [] and waited
    assert Lot.objects.get(uri=LOT_A).produced_kg == 800
    assert Event.objects.count() == 2


# ------------------------------------------------------------------ time


def test_an_event_before_its_lot_was_made_is_refused(world, reg):
    events = chain()
    events[2]["eventTime"] = "2025-05-31T09:00:00+07:00"  # packing the day before the harvest
    errors = rejected(world, *events)
    message = " ".join(errors["$.epcisBody.eventList[2].inputQuantityList[0]"])
    assert "[event_before_lot]" in message and LOT_A in message


def test_an_event_before_a_lot_stored_earlier_is_refused_too(world, reg):
    capture(world, harvest(LOT_A, AREA))
    early = packing([LOT_A], PACKED, HOUSE, kg=400, when="2025-05-20T09:00:00+07:00")
    assert "$.epcisBody.eventList[0].inputQuantityList[0]" in rejected(world, early)


def test_a_few_minutes_of_clock_difference_are_tolerated(world, reg):
    capture(world, harvest(LOT_A, AREA))  # 06:00
    capture(world, packing([LOT_A], PACKED, HOUSE, kg=400, when="2025-06-01T05:57:00+07:00"))
    assert flags() == []


def test_a_lot_made_after_events_already_stored_name_it_is_flagged(world, reg):
    receiving = dict(
        harvest(LOT_A, HOUSE),
        action="OBSERVE",
        bizStep="receiving",
        eventTime="2025-05-30T08:00:00+07:00",
    )
    capture(world, receiving)
    capture(world, harvest(LOT_A, AREA))  # the harvest arrives late and is dated later
    [flag] = flags("event_before_lot")
    assert flag.event.biz_step == "commissioning" and flag.lot.uri == LOT_A


# ------------------------------------------------------------------ units


@pytest.mark.parametrize(
    "change, path, words",
    [
        ({"uom": "LTR"}, ".uom", "cannot be converted"),
        ({"uom": "XBX"}, ".uom", "no net weight is declared"),
        ({"uom": "H87"}, ".uom", "no net weight is declared"),
    ],
)
def test_a_unit_that_cannot_be_weighed_is_refused(world, reg, change, path, words):
    event = harvest(LOT_A, AREA)
    event["quantityList"][0].update(change)
    errors = rejected(world, event)
    message = " ".join(errors["$.epcisBody.eventList[0].quantityList[0]" + path])
    assert words in message and "[unit]" in message


def test_a_count_without_a_unit_is_refused(world, reg):
    event = harvest(LOT_A, AREA)
    del event["quantityList"][0]["uom"]
    assert "$.epcisBody.eventList[0].quantityList[0].quantity" in rejected(world, event)


def test_counts_convert_with_a_declared_net_weight(world, reg):
    event = harvest(LOT_A, AREA)
    event["quantityList"][0].update(quantity=40, uom="XBX")
    event["ilmd"] = {"cbvmda:netWeight": "12.5"}
    capture(world, event)
    lot = Lot.objects.get(uri=LOT_A)
    assert lot.net_weight_kg == Decimal("12.5") and lot.produced_kg == 500
    # Later events may count boxes of it: the net weight is remembered.
    pack = packing([LOT_A], PACKED, HOUSE, kg=400)
    pack["inputQuantityList"][0].update(quantity=40, uom="XBX")
    capture(world, pack)
    assert Lot.objects.get(uri=LOT_A).drawn_kg == 500
    assert flags() == []


def test_pounds_and_tonnes_are_weighed(world, reg):
    event = harvest(LOT_A, AREA)
    event["quantityList"][0].update(quantity=1000, uom="LBR")
    capture(world, event)
    assert Lot.objects.get(uri=LOT_A).produced_kg == Decimal("453.59237")


# ------------------------------------------------------------------ flags and factors in the API


def test_flags_are_listed_in_scope(world, reg):
    reg.contract.delete()
    capture(world, *chain())
    mine = bearer_client(world, "packing").get("/api/trace/flags", {"rule": "packing_unlinked"})
    assert mine.status_code == 200 and len(mine.json()["flags"]) == 2
    other = bearer_client(world, "other_ppo").get("/api/trace/flags")
    assert other.json()["flags"] == []


def test_the_authority_sets_a_pack_out_factor_with_its_source(world):
    from agritrace.audit.models import AuditEntry

    body = {
        "factor": "0.85",
        "source": "Quyết định 12/2026 of the province",
        "source_date": "2026-01-05",
    }
    refused = bearer_client(world, "packing").put(
        "/api/trace/pack-out-factors/durian", json.dumps(body), content_type="application/json"
    )
    assert refused.status_code == 403
    done = bearer_client(world, "ppo").put(
        "/api/trace/pack-out-factors/durian", json.dumps(body), content_type="application/json"
    )
    assert done.status_code == 200, done.content
    assert done.json() == {
        "crop": "durian",
        "factor": "0.8500",
        "source": body["source"],
        "sourceDate": "2026-01-05",
    }
    assert AuditEntry.objects.filter(action="trace.pack_out_factor").exists()
    bad = bearer_client(world, "ppo").put(
        "/api/trace/pack-out-factors/durian",
        json.dumps({"factor": "-1", "source": ""}),
        content_type="application/json",
    )
    assert bad.status_code == 422, bad.content  # the API's answer to invalid fields
    listed = bearer_client(world, "packing").get("/api/trace/pack-out-factors").json()["factors"]
    assert {"crop": "durian", "factor": "0.8500"}.items() <= next(
        f for f in listed if f["crop"] == "durian"
    ).items()


def test_the_capture_job_lists_the_flags(world, reg, post_document):
    reg.contract.delete()
    response = post_document(bearer_client(world, "packing"), document(*chain()))
    assert response.status_code == 202
    job = response.json()
    assert job["success"] and job["storedCount"] == 4
    assert {(f["rule"], f["path"]) for f in job["flags"]} == {
        ("packing_unlinked", "$.epcisBody.eventList[2].inputQuantityList[0]"),
        ("packing_unlinked", "$.epcisBody.eventList[2].inputQuantityList[1]"),
    }


def test_a_harvest_read_at_the_area_names_the_read_point(world, reg):
    PlantingArea.objects.filter(pk=reg.area.pk).update(code_status=CodeStatus.REVOKED)
    event = harvest(LOT_A, AREA)
    event["bizLocation"] = {"id": "urn:epc:id:sgln:8930000.00001.0"}
    errors = rejected(world, event)
    assert "[area_code_not_issued]" in " ".join(errors["$.epcisBody.eventList[0].readPoint.id"])
