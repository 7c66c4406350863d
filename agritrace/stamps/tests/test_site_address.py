"""The stamps' links follow the address the service is reached at (issue 17 item 8): the
request's host and port, else what `agritrace serve/up` binds, unless AGRITRACE_SITE_URL (or
AGRITRACE_STAMP_DOMAIN) is set (agritrace/site.py)."""

import csv
import io

import pytest

from agritrace import site
from agritrace.stamps import labels, services

from .conftest import GTIN_LOT_URN, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow(settings):
    """No configured address: links follow where the service is reached."""
    settings.SITE_URL = ""
    settings.AGRITRACE_STAMP_DOMAIN = ""
    settings.ALLOWED_HOSTS = ["testserver", "192.168.1.20", "localhost"]
    site.clear_served()
    yield settings
    site.clear_served()


def _csv_uris(response) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    return [row["uri"] for row in rows]


def test_links_follow_the_request_host_and_port(world, chain, follow, monkeypatch):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 2)
    client = logged_in(world, "packing")
    response = client.get(f"/stamps/batches/{batch.pk}/serials.csv", HTTP_HOST="192.168.1.20:8877")
    assert response.status_code == 200
    uris = _csv_uris(response)
    assert uris and all(u.startswith("http://192.168.1.20:8877/01/") for u in uris), uris
    # The label PDF's QR codes too.
    seen = []
    original = labels.render_sheet

    def spy(data, layout, title=""):
        seen.extend(d.digital_link_uri for d in data)
        return original(data, layout, title=title)

    monkeypatch.setattr(labels, "render_sheet", spy)
    response = client.get(f"/stamps/batches/{batch.pk}/labels.pdf", HTTP_HOST="localhost:8123")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert seen and all(u.startswith("http://localhost:8123/01/") for u in seen), seen
    # The link opens on the service: the public page finds the stamp.
    path = uris[0][len("http://192.168.1.20:8877") :]
    page = client.get(path, HTTP_HOST="192.168.1.20:8877")
    assert page.status_code == 200


def test_outside_a_request_links_follow_the_served_address(world, chain, follow):
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1)
    stamp = batch.stamps.get()
    assert services.stamp_uri(stamp).startswith(site.DEFAULT_SITE_URL + "/01/")
    site.set_served("127.0.0.1", 8877)
    assert services.stamp_uri(stamp).startswith("http://127.0.0.1:8877/01/")
    assert site.served_url("::1", 9000) == "http://[::1]:9000"
    # Bound to every interface: an address a phone on the same network can open.
    wildcard = site.served_url("0.0.0.0", 8877)
    assert wildcard.endswith(":8877") and "0.0.0.0" not in wildcard


def test_a_configured_address_wins(world, chain, follow):
    follow.SITE_URL = "https://truyxuat.daklak.gov.vn/"
    site.set_served("127.0.0.1", 8877)
    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1)
    response = logged_in(world, "packing").get(
        f"/stamps/batches/{batch.pk}/serials.csv", HTTP_HOST="192.168.1.20:8877"
    )
    assert _csv_uris(response)[0].startswith("https://truyxuat.daklak.gov.vn/01/")
    follow.AGRITRACE_STAMP_DOMAIN = "https://tx.vn"
    assert services.stamp_uri(batch.stamps.get()).startswith("https://tx.vn/01/")
