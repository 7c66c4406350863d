"""Who issues stamps for a lot (issue 17 item 7, docs/stamps-issuers.md): the packing house that
packed it and the exporter that owns it. The exporter finds its lots offered on /stamps/; a
typed unknown lot is a sentence beside the field with the input kept (web), a 404 naming the
field (API), a message (CLI)."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from agritrace.stamps import services
from agritrace.stamps.models import StampBatch
from agritrace.trace import builders
from agritrace.trace import services as trace

from .conftest import bearer, logged_in

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def ship_to_exporter(world, chain) -> None:
    """The packing house ships the packed lot for the exporter, who owns it."""
    built = builders.shipping(
        lots=[(chain.own_lot, Decimal(400), "KGM", "")],
        origin=trace.location_uri(chain.house.code),
        moment=datetime(2025, 6, 3, 8, 0, tzinfo=ZONE),
        shipper=world.orgs["exporter"],
        possessor=world.orgs["packing"],
        destination_name="Hữu Nghị border gate",
        destination_country="CN",
    )
    trace.capture(world.actor("packing"), builders.document([built.event]))


def test_the_exporter_is_offered_and_stamps_the_lot_it_owns(world, chain):
    exporter = logged_in(world, "exporter")
    code = builders.lot_code(chain.own_lot)
    page = exporter.get("/stamps/").content.decode()
    assert f'value="{code}"' not in page  # not its lot yet
    ship_to_exporter(world, chain)
    page = exporter.get("/stamps/").content.decode()
    assert f'<option value="{code}">' in page, page
    # The harvest lot was never packed (it went into the packing): not offered.
    assert builders.lot_code(chain.harvest_lot) not in page
    response = exporter.post("/stamps/", {"lot": code, "count": "3"})
    assert response.status_code == 302, response.content.decode()[:3000]
    batch = StampBatch.objects.get()
    assert batch.requested_by == world.orgs["exporter"] and batch.count == 3
    # The batch names the packing house that packed the lot (its name is on the labels) …
    assert batch.packing_house == chain.house
    # … which sees the exporter's batch too.
    assert list(services.batches(world.actor("packing"))) == [batch]


def test_an_unknown_lot_is_a_sentence_beside_the_field_with_the_input_kept(world, chain):
    exporter = logged_in(world, "exporter")
    typed = "VN-DLPH-0001:NOPE-1"
    response = exporter.post("/stamps/", {"lot": typed, "count": "5"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_lot_error"' in page and "no packed lot your organisation may stamp" in page
    assert f'value="{typed}"' in page and "Not Found" not in page
    # A lot packed by someone else and not owned: the same (it does not exist for them).
    code = builders.lot_code(chain.own_lot)
    response = exporter.post("/stamps/", {"lot": code, "count": "5"})
    assert response.status_code == 422 and f'value="{code}"' in response.content.decode()
    assert not StampBatch.objects.exists()


def test_the_api_and_the_cli_say_the_same(world, chain):
    response = bearer(world, "exporter").post(
        "/api/stamps/batches",
        {"lot": builders.lot_code(chain.own_lot), "count": 2},
        content_type="application/json",
    )
    assert response.status_code == 404
    body = response.json()
    assert "no packed lot" in body["errors"]["lot"][0] and body["detail"] != "Not found."
    with pytest.raises(CommandError, match="no packed lot"):
        call_command(
            "stamps", "request", "--as", "exporter_user", "--lot", "X:NOPE", "--count", "1"
        )
    ship_to_exporter(world, chain)
    response = bearer(world, "exporter").post(
        "/api/stamps/batches",
        {"lot": builders.lot_code(chain.own_lot), "count": 2},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    out = io.StringIO()
    call_command(
        "stamps",
        "request",
        "--as",
        "exporter_user",
        "--lot",
        chain.own_lot,
        "--count",
        "1",
        stdout=out,
    )
    assert "Batch" in out.getvalue()
    assert StampBatch.objects.filter(requested_by=world.orgs["exporter"]).count() == 2


def test_a_role_that_may_not_stamp_is_refused(world, chain):
    ship_to_exporter(world, chain)
    code = builders.lot_code(chain.own_lot)
    for key in ("coop", "ppo", "household"):
        assert logged_in(world, key).post("/stamps/", {"lot": code, "count": "1"}).status_code in (
            403,
            404,
        )
    assert not StampBatch.objects.exists()
