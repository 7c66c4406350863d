"""The public lookup served by real `agritrace serve` processes (issue 11 goal 1):

* two servers sharing one Redis: a scan in one, then a recall, a suspension and a voided stamp
  made through the other's API show on the very next scan in the first (the shared cache is
  invalidated, not left to expire);
* the buffered scan log: scans still in the workers' buffers when the server gets SIGTERM are
  all in the database after it stopped.

PostgreSQL only (the servers share the test database) and a redis-server binary for the first
(tests/served.py: skipped with the reason otherwise)."""

import json
import re
import signal
import time

import pytest

from agritrace.accounts.models import ApiToken
from agritrace.stamps import services
from agritrace.stamps.models import Scan, Stamp
from agritrace.tests import served

from .conftest import DOMAIN, GTIN_LOT_URN, KEYS, recall_document

pytestmark = pytest.mark.django_db(transaction=True)

SETTINGS = f"""
from agritrace.settings import *  # noqa: F403

AGRITRACE_STAMP_KEYS = {KEYS!r}
AGRITRACE_STAMP_ACTIVE_KEY = "1"
AGRITRACE_STAMP_DOMAIN = {DOMAIN!r}
AGRITRACE_STAMP_RATE_LIMIT = 10**6
# a long time-to-live: what the page shows after a change comes from invalidation, not expiry
AGRITRACE_STAMP_SUMMARY_TTL = 3600
"""


def status_of(html: str) -> str:
    return re.search(r'data-status="(\w+)"', html).group(1)


def token(world, key: str) -> dict:
    _token, raw = ApiToken.issue(world.users[key], "test")
    return {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}


@pytest.fixture
def stamp_paths(world, chain):
    """One stamp of the GTIN lot, two of the lot of the service's namespace (paths)."""
    served.require_postgresql()
    gtin = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 1).stamps.get()
    own = services.request_stamps(world.actor("packing"), chain.own_lot, 2).stamps.order_by("pk")
    return [services.stamp_uri(s)[len(DOMAIN) :] for s in [gtin, *own]]


def test_a_change_made_in_one_process_shows_on_the_next_scan_in_the_other(
    world, chain, stamp_paths, tmp_path
):
    with served.redis_server() as redis_url:
        env = {"AGRITRACE_REDIS_URL": redis_url, "AGRITRACE_CACHE_PREFIX": "t-two"}
        one = served.serve(tmp_path, SETTINGS, env)
        other = served.serve(tmp_path, SETTINGS, env)
        try:
            en = {"Accept-Language": "en"}
            for path in stamp_paths:
                first = one.get(path, en)[1]
                assert status_of(first) == "genuine" and "This is the first scan" in first
                # the other process sees the first one's scan (the shared scan state)
                again = other.get(path, en)[1]
                assert status_of(again) == "genuine" and "This is the first scan" not in again
            # a recall of the GTIN lot through the first server's EPCIS capture
            status, body = one.request(
                "POST",
                "/api/trace/capture",
                json.dumps(recall_document(GTIN_LOT_URN)).encode(),
                token(world, "packing"),
            )
            assert status in (200, 201, 202), body
            code, page = other.get(stamp_paths[0], en)
            assert status_of(page) == "recalled" and "Recalled" in page, page[-500:]
            assert status_of(other.get(stamp_paths[1], en)[1]) == "genuine"
            # the packing house suspended through the second server's API
            status, body = other.request(
                "POST",
                f"/api/packing-houses/{chain.house.pk}/suspend",
                json.dumps({"reason": "pests found"}).encode(),
                token(world, "ppo"),
            )
            assert status == 200, body
            assert status_of(one.get(stamp_paths[1], en)[1]) == "suspended"
            assert status_of(one.get(stamp_paths[0], en)[1]) == "recalled"  # recall first
            # a stamp voided through the first server shows voided in the second
            serial = services.lookup_uri(DOMAIN + stamp_paths[2]).serial
            status, body = one.request(
                "POST",
                "/api/stamps/void",
                json.dumps({"serials": [serial], "reason": "torn"}).encode(),
                token(world, "packing"),
            )
            assert status == 200, body
            assert status_of(other.get(stamp_paths[2], en)[1]) == "voided"
        finally:
            one.stop()
            other.stop()
    # every scan of both servers is in the table once they stopped
    assert Scan.objects.filter(stamp__serial=serial).count() == 3


def test_scans_still_buffered_at_sigterm_are_all_written(world, stamp_paths, tmp_path):
    env = {"AGRITRACE_SCAN_FLUSH_MS": "600000", "AGRITRACE_SCAN_FLUSH_EVERY": "1000000"}
    server = served.serve(tmp_path, SETTINGS, env, workers=2)
    try:
        for i in range(30):
            status, _page = server.get(stamp_paths[i % 3], {"User-Agent": f"phone {i}"})
            assert status == 200
        time.sleep(0.5)
        # nothing written yet: the two workers hold the scans in their buffers
        assert Scan.objects.count() == 0
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log.read_text()[-2000:]
    assert Scan.objects.count() == 30
    per_stamp = {s.pk: s.scans.count() for s in Stamp.objects.all()}
    assert sorted(per_stamp.values()) == [10, 10, 10]
    assert len(set(Scan.objects.values_list("client", flat=True))) == 30
