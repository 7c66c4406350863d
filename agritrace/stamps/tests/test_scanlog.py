"""The buffered scan log (scanlog.py), the incremental scan state (scanstate.py) and the cached
lot part of the page (lotcache.py), in one process."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from agritrace.registry import lifecycle
from agritrace.stamps import lotcache, scanlog, scanstate, services
from agritrace.stamps.models import Scan, Stamp

from .test_lookup import open_page, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def buffered():
    """This process buffers its scans (as a served worker does), with no timed flush."""
    buffer = scanlog.start(every=10**6, interval_ms=10**8)
    yield buffer
    scanlog.stop()


@pytest.fixture
def stamps(world, chain):
    from .conftest import GTIN_LOT_URN

    batch = services.request_stamps(world.actor("packing"), GTIN_LOT_URN, 3)
    return [services.stamp_uri(s) for s in batch.stamps.order_by("pk")]


def test_buffered_scans_wait_and_are_all_written_at_stop(stamps, buffered):
    for i in range(5):
        response = open_page(stamps[i % 2], client=Client(REMOTE_ADDR=f"192.0.2.{i}"))
        assert response.status_code == 200
    assert Scan.objects.count() == 0 and buffered.pending() == 5
    # what the page says does not wait for the table: three visitors of the first stamp
    page = open_page(stamps[0], client=Client(REMOTE_ADDR="192.0.2.9")).content.decode()
    assert "data-visitor-count>4<" in page.replace(" ", "")
    scanlog.stop()
    assert Scan.objects.count() == 6 and not scanlog.buffering()
    first = Stamp.objects.get(serial=services.lookup_uri(stamps[0]).serial)
    assert first.scans.count() == 4
    # times are those of the scans, not of the write
    times = list(Scan.objects.order_by("pk").values_list("at", flat=True))
    assert times == sorted(times)


def test_a_full_buffer_wakes_its_writer(stamps):
    buffer = scanlog.ScanBuffer(every=3, interval_ms=10**8)  # not started: no thread
    stamp = Stamp.objects.first()
    for i in range(2):
        buffer.add(scanlog.PendingScan(stamp.pk, f"c{i}", datetime.now(UTC)))
    assert not buffer._wake.is_set()
    buffer.add(scanlog.PendingScan(stamp.pk, "c2", datetime.now(UTC)))
    assert buffer._wake.is_set()
    assert buffer.flush() == 3 and buffer.pending() == 0 and Scan.objects.count() == 3


def test_copy_detection_does_not_wait_for_the_table(world, stamps, buffered, settings):
    settings.AGRITRACE_STAMP_COPY_RULES = {"max_clients": 3}
    for i in range(3):
        assert status_of(open_page(stamps[0], client=Client(REMOTE_ADDR=f"192.0.2.{i}"))) == (
            "genuine"
        )
    response = open_page(stamps[0], client=Client(REMOTE_ADDR="192.0.2.99"))
    assert status_of(response) == "copy"
    assert Scan.objects.count() == 0  # still buffered
    stamp = Stamp.objects.get(serial=services.lookup_uri(stamps[0]).serial)
    assert stamp.suspected_copy_at is not None


def test_a_lost_scan_state_is_rebuilt_from_the_table(stamps, settings):
    for i in range(3):
        open_page(stamps[0], client=Client(REMOTE_ADDR=f"192.0.2.{i}"))
    stamp = Stamp.objects.get(serial=services.lookup_uri(stamps[0]).serial)
    kept = scanstate.visitor_count(scanstate.load(stamp.pk, services.copy_rules(), _now())[0])
    scanstate.forget(stamp.pk)
    page = open_page(stamps[0], client=Client(REMOTE_ADDR="192.0.2.1")).content.decode()
    assert kept == 3 and "data-visitor-count>3<" in page.replace(" ", "")


def _now():
    from django.utils import timezone

    return timezone.now()


def test_the_incremental_rule_says_what_the_whole_history_says(settings):
    """scanstate.apply over scans one by one marks a copy at the same scan as
    services.copy_reason over the whole history up to it."""
    rng = random.Random(11)
    settings.AGRITRACE_STAMP_COPY_RULES = {"max_clients": 4, "max_places": 3}
    rules = services.copy_rules()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    for _history in range(200):
        state = scanstate.empty()
        scans: list[Scan] = []
        at = start
        for _n in range(rng.randint(1, 12)):
            at += timedelta(minutes=rng.choice([1, 30, 600, 3000]))
            client = f"c{rng.randint(1, 6)}"
            lat = lon = None
            if rng.random() < 0.5:
                lat = Decimal(rng.choice(["10.8", "21.0", "16.0", "10.9", "12.7"]))
                lon = Decimal(rng.choice(["106.7", "105.8", "108.2", "106.6"]))
            scans.append(Scan(at=at, client=client, lat=lat, lon=lon))
            incremental = scanstate.apply(state, at, client, lat, lon, rules, at)
            whole = services.copy_reason(scans, at)
            assert (incremental is None) == (whole is None), (scans, incremental, whole)
            if whole:
                break


def test_the_lot_part_is_cached_per_language_and_forgotten_on_a_suspension(
    world, chain, stamps, django_capture_on_commit_callbacks
):
    english = open_page(stamps[0], "en").content.decode()
    vietnamese = open_page(stamps[0], "vi").content.decode()
    assert "Packing house" in english and "Packing house" not in vietnamese
    lot_id = Stamp.objects.first().batch.lot_id
    kept = lotcache.fragment(lot_id, "en", "P-77", lambda: "rendered again")
    assert "Packing house" in kept and kept in english  # served from the cache
    assert "Packing house" not in lotcache.fragment(lot_id, "vi", "P-77", lambda: "x")
    generation = lotcache.generation()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.suspend(chain.house, world.actor("ppo"), "pests found")
    assert lotcache.generation() == generation + 1
    # the cached lot parts are forgotten: the next page renders its own
    assert lotcache.fragment(lot_id, "vi", "P-77", lambda: "rendered again") == "rendered again"
    assert status_of(open_page(stamps[1])) == "suspended"
