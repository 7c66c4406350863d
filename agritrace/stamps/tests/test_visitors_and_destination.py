"""The public stamp page counts distinct visitors, not repeat scans (a daily keyed hash of the
address and browser, no cookie), and says where a shipped lot went as far as it is public:
the destination country and a registered packing house, not the buyer, the documents or a
free-text address (issue 17 item 14)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from agritrace.stamps import services
from agritrace.stamps.models import Scan, Stamp
from agritrace.trace import builders, recording
from agritrace.trace import services as trace

from .conftest import DOMAIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def stamp_path(world, chain):
    batch = services.request_stamps(world.actor("packing"), chain.own_lot, 1)
    return services.stamp_uri(batch.stamps.get())[len(DOMAIN) :]


def visitors(response) -> int:
    html = response.content.decode()
    marker = "data-visitor-count>"
    assert marker in html
    return int(html.split(marker, 1)[1].split("<", 1)[0])


def phone(ip: str, agent: str = "Mozilla/5.0 (Linux; Android 14)") -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent, HTTP_ACCEPT_LANGUAGE="en")


def test_repeat_scans_of_one_phone_count_as_one_visitor(stamp_path):
    first = phone("192.0.2.10")
    assert visitors(first.get(stamp_path)) == 1
    assert visitors(first.get(stamp_path)) == 1  # the same phone again
    assert visitors(first.get(stamp_path)) == 1
    assert visitors(phone("192.0.2.11").get(stamp_path)) == 2  # another phone
    # another browser behind the same address (a shop's wifi) is another visitor
    assert visitors(phone("192.0.2.11", "Mozilla/5.0 (iPhone)").get(stamp_path)) == 3
    assert Scan.objects.count() == 5
    assert not any("192.0.2" in c for c in Scan.objects.values_list("client", flat=True))


def test_the_visitor_key_changes_from_day_to_day():
    today = date(2026, 12, 4)
    key = services.client_hash("192.0.2.10", "UA", day=today)
    assert key == services.client_hash("192.0.2.10", "UA", day=today)
    assert key != services.client_hash("192.0.2.10", "UA", day=today + timedelta(days=1))
    assert key != services.client_hash("192.0.2.11", "UA", day=today)
    assert len(key) == 32 and "192.0.2.10" not in key


def test_the_page_says_where_a_shipped_lot_went_and_no_more(world, chain, stamp_path):
    built = builders.shipping(
        lots=[(chain.own_lot, Decimal("400"), "KGM", "")],
        origin=trace.location_uri(chain.house.code),
        moment=datetime(2025, 6, 3, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        receiver=world.orgs["exporter"],
        destination_name="Kho hàng Bằng Tường, Quảng Tây",
        destination_country="CN",
        transport_doc="BL-2025-777",
    )
    recording.capture(world.actor("packing"), [built])
    services.forget_lot_summary(Stamp.objects.get().batch.lot_id)

    page = phone("192.0.2.20").get(stamp_path).content.decode()
    assert 'id="shipped-to"' in page and 'data-country="CN"' in page and "China" in page
    assert "2025-06-03" in page
    for private in ("Bằng Tường", "BL-2025-777", world.orgs["exporter"].name):
        assert private not in page
    chinese = Client(REMOTE_ADDR="192.0.2.21").get(stamp_path + "&lang=zh").content.decode()
    assert "中国" in chinese


def test_an_unshipped_lot_has_no_destination(stamp_path):
    assert 'id="shipped-to"' not in phone("192.0.2.30").get(stamp_path).content.decode()
