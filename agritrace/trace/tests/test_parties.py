"""Who ships, who receives, for which market (parties.py, docs/epcis-parties.md): CBV
owning_party / possessing_party by GLN or public identifier, resolved at capture onto the
event; unknown parties and markets flagged."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from agritrace.trace import builders, chain, services
from agritrace.trace.models import Event, EventFlag

from .conftest import harvest, packing, session_client
from .test_checks import AREA, HOUSE, LOT_A, PACKED, Registry, capture
from .ui_fixtures import HOUSE_CODE, farm  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.urls("agritrace.trace.tests.urls")]

GLN = "8930000000019"


@pytest.fixture
def reg(world):
    return Registry(world)


def moments():
    now = timezone.now()
    return now - timedelta(hours=5), now - timedelta(hours=4), now - timedelta(hours=3)


def ship(world, **kwargs) -> dict:
    return builders.shipping(
        lots=[(PACKED, Decimal(400), "KGM", "")],
        origin=HOUSE,
        moment=moments()[2],
        destination_name="Hữu Nghị border gate",
        **kwargs,
    ).event


def capture_chain(world, shipment: dict):
    first, second, _third = moments()
    return capture(
        world,
        harvest(LOT_A, AREA, when=first.isoformat()),
        packing([LOT_A], PACKED, HOUSE, when=second.isoformat()),
        shipment,
    )


def test_an_export_names_the_exporter_as_owner_and_the_packer_as_possessor(world, reg):
    exporter, packer = world.orgs["exporter"], world.orgs["packing"]
    event = ship(world, shipper=exporter, possessor=packer, destination_country="cn")
    assert {"type": "owning_party", "source": f"urn:agritrace:org:{exporter.identifier}"} in (
        event["sourceList"]
    )
    assert {"type": "possessing_party", "source": f"urn:agritrace:org:{packer.identifier}"} in (
        event["sourceList"]
    )
    capture_chain(world, event)
    shipped = Event.objects.get(biz_step="shipping")
    assert shipped.owning_party == exporter and shipped.destination_market == "CN"
    assert shipped.destination_party is None
    assert not EventFlag.objects.filter(rule__in=["unknown_party", "unknown_market"]).exists()


def test_a_party_with_a_gln_is_named_and_found_by_it(world, reg):
    exporter = world.orgs["exporter"]
    exporter.gln = GLN
    exporter.save()
    buyer = world.orgs["coop_b"]
    event = ship(world, shipper=exporter, receiver=buyer)
    assert event["sourceList"][-1]["source"] == f"https://id.gs1.org/417/{GLN}"
    capture_chain(world, event)
    shipped = Event.objects.get(biz_step="shipping")
    assert shipped.owning_party == exporter and shipped.destination_party == buyer


def test_the_epc_urn_of_a_gln_is_read_too(world, reg):
    exporter = world.orgs["exporter"]
    exporter.gln = GLN
    exporter.save()
    event = ship(world)
    event["sourceList"] = [
        {
            "type": "https://ref.gs1.org/cbv/SDT-owning_party",
            "source": "urn:epc:id:pgln:893000.000001",
        }
    ]
    capture_chain(world, event)
    assert Event.objects.get(biz_step="shipping").owning_party == exporter


def test_an_unknown_or_database_id_party_is_flagged(world, reg):
    event = ship(world)
    event["sourceList"] = [
        {"type": "owning_party", "source": f"urn:agritrace:org:{world.orgs['exporter'].pk}"}
    ]
    event["destinationList"] = [
        {"type": "owning_party", "destination": "https://id.gs1.org/417/6901234000009"}
    ]
    capture_chain(world, event)
    shipped = Event.objects.get(biz_step="shipping")
    assert shipped.owning_party is None
    found = {
        (f.path, f.severity) for f in EventFlag.objects.filter(rule="unknown_party", event=shipped)
    }
    assert found == {
        ("$.epcisBody.eventList[2].sourceList[0].source", "serious"),
        ("$.epcisBody.eventList[2].destinationList[0].destination", "warning"),
    }


def test_an_unknown_market_is_flagged(world, reg):
    capture_chain(world, ship(world, shipper=world.orgs["exporter"], destination_country="ZZ"))
    flag = EventFlag.objects.get(rule="unknown_market")
    assert flag.path == "$.epcisBody.eventList[2].agt:destinationCountry" and "ZZ" in flag.message


def test_other_organisations_events_are_not_checked_for_parties(world):
    foreign = harvest(
        "urn:epc:class:lgtin:4012345.012345.998877", "urn:epc:id:sgln:4012345.00001.0"
    )
    foreign["sourceList"] = [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}]
    capture(world, foreign)
    assert not EventFlag.objects.exists()


def test_the_exporter_may_trace_what_it_exported(world, reg):
    exporter = world.actor("exporter")
    capture_chain(world, ship(world, shipper=exporter.organisation, destination_country="CN"))
    assert chain.find_lot(exporter, PACKED).uri == PACKED
    other = world.actor("coop_b")
    with pytest.raises(Http404):
        chain.find_lot(other, PACKED)


def test_the_shipping_form_names_owner_and_possessor(world, farm):  # noqa: F811
    from .test_forms import _harvest, _now

    h1 = _harvest(world, farm)
    client = session_client(world, "packing")
    response = client.post(
        "/trace/record/shipping/",
        {
            "origin": services.location_uri(HOUSE_CODE),
            "when": _now(),
            "lot_0_lot": h1,
            "lot_0_quantity": "1200",
            **{f"lot_{i}_unit": "KGM" for i in range(3)},
            "owner": world.orgs["exporter"].pk,
            "destination_name": "Pingxiang, Guangxi",
            "destination_country": "CN",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    shipped = Event.objects.get(biz_step="shipping")
    assert shipped.owning_party == world.orgs["exporter"]
    assert shipped.destination_market == "CN"
    possessors = [s for s in shipped.document["sourceList"] if s["type"] == "possessing_party"]
    assert possessors == [
        {
            "type": "possessing_party",
            "source": f"urn:agritrace:org:{world.orgs['packing'].identifier}",
        }
    ]
