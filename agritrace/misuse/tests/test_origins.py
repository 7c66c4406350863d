"""The materialised lot origins (misuse.origins): filled at capture, rebuilt from the graph,
refreshed when the registry issues a code for a namespace already used."""

from io import StringIO

import pytest
from django.core.management import call_command

from agritrace.misuse import origins
from agritrace.misuse.detect.base import areas_of_lots, lot_area_map, lots_of_areas
from agritrace.misuse.models import LotOrigin
from agritrace.trace.models import Lot

from .conftest import capture, harvest, lot, make_area, make_house, packing

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(world, django_capture_on_commit_callbacks):
    """Capture with misuse's receiver run after the commit (as in service)."""

    def run(key, *events):
        with django_capture_on_commit_callbacks(execute=True):
            return capture(world, key, *events)

    return run


def pairs() -> set[tuple[str, int]]:
    return set(LotOrigin.objects.values_list("lot__uri", "area_id"))


def test_capture_fills_origins_over_generations_and_rebuild_equals_it(world, received):
    a, b = make_area(world), make_area(world)
    house = make_house(world)
    ha, ua = harvest(a, "H1", 1_000)
    hb, ub = harvest(b, "H2", 1_000)
    received("coop", ha, hb)
    # one document: pack both, then repack the packed lot (two generations in one document)
    packed, p1 = packing(house, [(ua, 1_000), (ub, 1_000)], "P1", 1_900)
    repacked, p2 = packing(house, [(p1, 1_900)], "P2", 1_900, day="2026-06-03")
    received("packing", packed, repacked)
    expected = {(ua, a.pk), (ub, b.pk), (p1, a.pk), (p1, b.pk), (p2, a.pk), (p2, b.pk)}
    assert pairs() == expected
    assert dict(LotOrigin.objects.filter(lot__uri=p2).values_list("area_id", "depth")) == {
        a.pk: 2,
        b.pk: 2,
    }
    before = set(LotOrigin.objects.values_list("lot_id", "area_id", "depth"))
    out = StringIO()
    call_command("misuse", "origins", "--rebuild", stdout=out)
    assert "6 row(s)" in out.getvalue()
    assert set(LotOrigin.objects.values_list("lot_id", "area_id", "depth")) == before
    ids = dict(Lot.objects.values_list("uri", "pk"))
    assert lot_area_map([ids[p2], ids[ua]]) == {
        ids[p2]: frozenset({a.pk, b.pk}),
        ids[ua]: frozenset({a.pk}),
    }
    assert areas_of_lots([ids[p1]]) == {a.pk, b.pk}
    assert set(lots_of_areas([b.pk])) == {ids[ub], ids[p1], ids[p2]}


def test_a_code_issued_after_its_namespace_was_used_is_refreshed(world, received):
    area = make_area(world)
    house = make_house(world)
    code = area.code
    area.code = None
    area.save(update_fields=["code"])
    origins.rebuild()  # the snapshot: the area had no code
    borrowed = lot(code, "B1")
    packed, out = packing(house, [(borrowed, 500)], "P9", 480)
    received("packing", packed)
    assert pairs() == set()  # no area of that namespace yet
    area.code = code  # the registry import issues the code later
    area.save(update_fields=["code"])
    assert origins.refresh_codes() == (1, 2)
    assert pairs() == {(borrowed, area.pk), (out, area.pk)}
    # withdrawn again: the namespace's lots are no longer the area's
    area.code = None
    area.save(update_fields=["code"])
    assert origins.refresh_codes() == (1, 0)
    assert pairs() == set()


def test_a_full_scan_refreshes_the_codes_first(world):
    from agritrace.misuse.scan import scan

    area = make_area(world)
    house = make_house(world)
    code = area.code
    area.code = None
    area.save(update_fields=["code"])
    origins.rebuild()
    borrowed = lot(code, "B2")
    capture(world, "packing", packing(house, [(borrowed, 500)], "P8", 480)[0])
    area.code = code
    area.save(update_fields=["code"])
    scan(world.province, "2026", rules=["plot_in_two_codes"])
    assert (borrowed, area.pk) in pairs()


def test_a_harvest_recorded_after_the_packing_reaches_the_packed_lot(world, received):
    """Lots made from a lot before its harvest was captured gain the harvest's area."""
    area = make_area(world)
    house = make_house(world)
    _event, uri = harvest(area, "H7", 800)
    # packed first (the lot is of the area's namespace: already the area's) ...
    received("packing", packing(house, [(uri, 800)], "P7", 780)[0])
    LotOrigin.objects.all().delete()  # as if the namespace were unknown when it was packed
    received("coop", harvest(area, "H7", 800)[0])
    assert {(uri, area.pk), (lot(house.code, "P7"), area.pk)} <= pairs()


def test_events_stored_without_the_receiver_are_caught_up_by_the_full_scan(world, received):
    from agritrace.misuse.scan import scan

    area = make_area(world)
    house = make_house(world)
    origins.rebuild()
    event, uri = harvest(area, "H5", 600)
    capture(world, "coop", event)  # committed without the receiver (a bulk load)
    capture(world, "packing", packing(house, [(uri, 600)], "P5", 590)[0])
    assert pairs() == set()
    scan(world.province, "2026", rules=["plot_in_two_codes"])
    assert pairs() == {(uri, area.pk), (lot(house.code, "P5"), area.pk)}
    assert origins.catch_up() == 0  # the mark moved


def test_the_origins_command_refreshes(world):
    out = StringIO()
    call_command("misuse", "origins", stdout=out)
    assert "Lot origins" in out.getvalue()
