"""The full scan, the CLI, and the incremental checks after capture (equal to the full scan
on the same data)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agritrace.misuse import incremental
from agritrace.misuse.models import Case
from agritrace.misuse.scan import run_scan, scan

from .conftest import capture, harvest, lot, make_area, make_house, packing, shipping

pytestmark = pytest.mark.django_db


def story(world, commit):
    """A borrowed code, a rented code and a house with no contract, captured one document
    at a time (each committed, so the incremental checks run after each)."""
    borrowed = make_area(world, ha=1)
    rented = make_area(world, ha=3)
    house = make_house(world)
    docs = []
    for i in range(3):
        event, _ = harvest(borrowed, f"H{i}", 20_000, day=f"2026-08-{i + 1:02d}")
        docs.append(("coop", [event]))
    event, uri = harvest(rented, "R1", 10_000, day="2026-08-05")
    docs.append(("coop", [event]))
    packed, out = packing(house, [(uri, 10_000)], "P1", 9_500, day="2026-08-06")
    docs.append(("packing", [packed]))
    docs.append(
        (
            "exporter",
            [shipping(house, [(out, 9_500)], shipper=world.orgs["exporter"], day="2026-08-07")],
        )
    )
    bought, _ = packing(house, [(lot(borrowed.code, "B1"), 30_000)], "P2", 28_000, day="2026-08-08")
    docs.append(("packing", [bought]))
    for key, events in docs:
        with commit(execute=True):
            capture(world, key, *events)
    return borrowed, rented, house


def snapshot():
    return {
        (c.rule.code, c.subject_key, c.season): (
            round(c.score, 6),
            c.party_id,
            c.code,
            json.dumps(c.evidence, sort_keys=True, default=str),
            c.summary,
        )
        for c in Case.objects.select_related("rule")
    }


def test_incremental_checks_equal_the_full_scan(world, django_capture_on_commit_callbacks):
    borrowed, rented, house = story(world, django_capture_on_commit_callbacks)
    after_captures = snapshot()
    rules = {key[0] for key in after_captures}
    assert {
        "area_volume_over_yield",
        "party_without_authorisation",
        "house_without_contract",
        "harvest_without_diary",
    } <= rules
    assert (f"area:{borrowed.pk}", "2026") in {(k[1], k[2]) for k in after_captures}
    from agritrace.misuse.models import HouseAreaUse

    uses = set(HouseAreaUse.objects.values_list("house_id", "area_id", "first_day", "last_day"))
    assert {(house.pk, borrowed.pk), (house.pk, rented.pk)} == {(h, a) for h, a, _f, _l in uses}
    Case.objects.all().delete()
    findings, opened, updated = run_scan(world.province, "2026")
    assert opened == len(after_captures) and updated == 0
    assert snapshot() == after_captures
    assert (
        set(HouseAreaUse.objects.values_list("house_id", "area_id", "first_day", "last_day"))
        == uses
    )


def test_a_rerun_updates_and_adds_no_case(world, django_capture_on_commit_callbacks):
    story(world, django_capture_on_commit_callbacks)
    count = Case.objects.count()
    _f, opened, updated = run_scan(world.province, "2026")
    assert opened == 0 and updated == count and Case.objects.count() == count


def test_an_error_in_detection_never_fails_a_capture(
    world, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    area = make_area(world)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(incremental, "check_events", broken)
    event, _ = harvest(area, "H1", 1_000, day="2026-08-01")
    with django_capture_on_commit_callbacks(execute=True):
        job = capture(world, "coop", event)
    assert job.stored_count == 1
    assert "incremental checks failed" in caplog.text


def test_unknown_season_or_province_is_a_clear_error(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        scan(world.province, "summer")
    assert "season" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        scan("Atlantis", "2026")
    assert "province" in exc.value.message_dict
    with pytest.raises(CommandError, match="Unknown season"):
        call_command("misuse", "scan", "--province", world.province.name, "--season", "26")
    with pytest.raises(CommandError, match="Unknown province"):
        call_command("misuse", "scan", "--province", "Atlantis", "--season", "2026")
    assert Case.objects.count() == 0


def test_cli_scan_dry_run_then_scan_then_cases(world):
    area = make_area(world, ha=1)
    events = [harvest(area, f"H{i}", 20_000, day=f"2026-08-{i + 1:02d}")[0] for i in range(3)]
    capture(world, "coop", *events)
    out = StringIO()
    call_command(
        "misuse",
        "scan",
        "--province",
        world.province.name,
        "--season",
        "2026",
        "--dry-run",
        stdout=out,
    )
    assert "area_volume_over_yield" in out.getvalue() and "dry run" in out.getvalue()
    assert Case.objects.count() == 0
    out = StringIO()
    call_command(
        "misuse", "scan", "--province", world.province.code, "--season", "2026", stdout=out
    )
    assert Case.objects.filter(rule__code="area_volume_over_yield", area=area).exists()
    out = StringIO()
    call_command("misuse", "cases", "--status", "open", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert {r["rule"] for r in rows} >= {"area_volume_over_yield"}
    assert rows == sorted(rows, key=lambda r: -r["score"])
    out = StringIO()
    call_command("misuse", "cases", "--province", "Đồng Tháp", stdout=out)
    assert "0 case(s)." in out.getvalue()


def test_incremental_checks_can_be_off_or_leave_rules_to_the_full_scan(
    world, django_capture_on_commit_callbacks, settings
):
    area = make_area(world, ha=1)
    events = [harvest(area, f"H{i}", 20_000, day=f"2026-08-{i + 1:02d}")[0] for i in range(3)]
    settings.AGRITRACE_MISUSE_INCREMENTAL = False
    with django_capture_on_commit_callbacks(execute=True):
        capture(world, "coop", events[0])
    assert not Case.objects.exists()
    settings.AGRITRACE_MISUSE_INCREMENTAL = True
    settings.AGRITRACE_MISUSE_INCREMENTAL_SKIP = "area_volume_over_yield, harvest_without_diary"
    with django_capture_on_commit_callbacks(execute=True):
        capture(world, "coop", *events[1:])
    assert not Case.objects.filter(rule__code="area_volume_over_yield").exists()
    run_scan(world.province, "2026")
    assert Case.objects.filter(rule__code="area_volume_over_yield", area=area).exists()


def test_incremental_surge_and_anomaly_from_running_totals_equal_the_full_scan(
    world, django_capture_on_commit_callbacks
):
    """The rules that read the running totals (`exporter_code_surge`: the firm's shipments
    per code and day; `volume_anomaly`: every peer's volume, the areas' earlier seasons)
    give the same cases after captures one document at a time as a full scan."""
    from datetime import date
    from decimal import Decimal

    from agritrace.misuse.models import AreaSeasonVolume, FirmCodeDay, FirmDay, HouseDayVolume
    from agritrace.registry.models import CodeAuthorisation, Market

    exporter = world.orgs["exporter"]
    house = make_house(world)
    areas = [make_area(world, ha=1) for _ in range(14)]
    for area in areas:
        CodeAuthorisation.objects.create(
            area=area,
            grantee=exporter,
            market=Market.objects.get(code="CN"),
            valid_from=date(2025, 1, 1),
            valid_to=date(2026, 12, 31),
        )
    plan = [(a, f"2025-08-0{1 + i % 2}", 10_000 + i * 150) for i, a in enumerate(areas)]
    plan += [(a, "2026-07-01", 10_000 + i * 100) for i, a in enumerate(areas[:2])]
    plan += [
        (a, "2026-08-15", 26_000 if i == 13 else 10_000 + i * 100)
        for i, a in enumerate(areas[2:], start=2)
    ]
    for n, (area, day, kg) in enumerate(plan):
        event, uri = harvest(area, f"H{n}", kg, day=day)
        with django_capture_on_commit_callbacks(execute=True):
            capture(world, "coop", event)
        with django_capture_on_commit_callbacks(execute=True):
            capture(world, "exporter", shipping(house, [(uri, kg)], shipper=exporter, day=day))
    for n in range(2):  # a house over its capacity (30 t/day) in two documents
        packed, _out = packing(
            house, [(lot(areas[0].code, f"X{n}"), 130_000)], f"PX{n}", 120_000, day="2026-08-20"
        )
        with django_capture_on_commit_callbacks(execute=True):
            capture(world, "packing", packed)
    after_captures = snapshot()
    rules = {key[0] for key in after_captures}
    assert {"exporter_code_surge", "volume_anomaly", "house_over_capacity"} <= rules
    assert (f"organisation:{exporter.pk}", "2026") in {(k[1], k[2]) for k in after_captures}
    houses = set(HouseDayVolume.objects.values_list("house_id", "day", "kg"))
    assert (house.pk, date(2026, 8, 20), Decimal(260_000)) in houses
    kept = (
        set(AreaSeasonVolume.objects.values_list("area_id", "season", "harvested")),
        set(FirmCodeDay.objects.values_list("party_id", "area_id", "day", "shipments")),
        set(FirmDay.objects.values_list("party_id", "day", "shipments")),
    )
    assert kept[2] and all(n == 1 for _p, _a, _d, n in kept[1])
    Case.objects.all().delete()
    opened = sum(run_scan(world.province, season)[1] for season in ("2025", "2026"))
    assert opened == len(after_captures)
    assert snapshot() == after_captures
    # the full scan rebuilt the same totals the captures kept
    assert (
        set(FirmCodeDay.objects.values_list("party_id", "area_id", "day", "shipments")) == (kept[1])
    )
    assert set(FirmDay.objects.values_list("party_id", "day", "shipments")) == kept[2]
    assert set(AreaSeasonVolume.objects.values_list("area_id", "season", "harvested")) == kept[0]
    assert set(HouseDayVolume.objects.values_list("house_id", "day", "kg")) == houses
