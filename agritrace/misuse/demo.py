"""The demo province's misuse stories, recorded through the standard interfaces (EPCIS capture
documents, the stamps' public lookup) by the people who would record them; then a full scan
opens their cases:

- a rented code: exporter 2, with no authorisation for A1, ships a packed lot of A1's durian
  to China (party_without_authorisation);
- a borrowed code: packing house PH1 buys and packs "A3's durian" that no harvest of A3
  made, about five times what A3 can grow, in three days: over the area's yield, over the
  house's capacity, and with no supply contract with A3 (area_volume_over_yield,
  house_over_capacity, house_without_contract);
- a suspended code still used: PH1 packs lots under A2's code while it is suspended
  (code_not_usable);
- a plot registered in two codes: C2's first plot overlaps issued area C1 (made by
  agritrace.demo; the registry's overlap check flags it: plot_in_two_codes);
- a copied stamp: one stamp of A1's packed lot is scanned by thirty phones in an hour
  (stamp_copied).

`misuse_steps(actor, cast)` gives (days ago, step) pairs for agritrace.demo's timeline, the
last one the scan of every season the demo's events fall in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from agritrace.accounts.access import Actor
from agritrace.diary.models import CropYield
from agritrace.trace import builders
from agritrace.trace import services as trace

from .findings import season_of

#: Days ago of each step, oldest first (agritrace.demo suspends A2 40 days ago).
DAYS = {
    "suspended": 30,
    "rented_harvest": 26,
    "rented_pack": 25,
    "rented_ship": 24,
    "borrowed": 14,
    "copied": 5,
    "scan": 1,
}
#: How many times what A3 can grow PH1 packs "of" it (more if the house's capacity needs it).
BORROWED_TIMES = 5


@dataclass
class MisuseCast:
    a1: object
    a2: object
    a3: object
    house: object
    rented_by: object  # an exporter with no authorisation for A1
    province: object


def _capture(actor: Actor, *built: builders.Built) -> None:
    trace.capture(actor, builders.document([b.event for b in built]))


def _receive_and_pack(actor: Actor, house, area, lots: list[tuple[str, Decimal]], tag: str):
    """PH1 buys lots under an area's code and packs them (one receiving, one packing)."""
    now = timezone.now()
    inputs = [(trace.lot_uri(area.code, code), kg, "KGM", "") for code, kg in lots]
    total = sum(kg for _c, kg in lots)
    packed = trace.lot_uri(house.code, f"P-{tag}-{now:%y%m%d%H%M}")
    _capture(
        actor,
        builders.receiving(
            lots=inputs,
            location=trace.location_uri(house.code),
            moment=now,
            receiver=house.operator,
            source=trace.location_uri(area.code),
            doc_number=f"PO-{tag}-{now:%y%m%d%H%M}",
            purchase=True,
        ),
        builders.packing(
            house=house,
            inputs=inputs,
            outputs=[(packed, (total * Decimal("0.9")).quantize(Decimal("1")), "KGM", "")],
            # Within the capture's clock tolerance (trace: events more than 600 s ahead of
            # their recordTime are refused).
            moment=now + timedelta(minutes=5),
            crop=area.crop,
        ),
    )
    return packed, (total * Decimal("0.9")).quantize(Decimal("1"))


def _suspended(actor, cast) -> None:
    c = cast()
    _receive_and_pack(actor("packing"), c.house, c.a2, [("S-A2-01", Decimal(1200))], "A2S")


class _Rented:
    packed: str = ""
    kg: Decimal = Decimal(0)


def _rented_harvest(actor, cast) -> None:
    c = cast()
    _capture(
        actor("coop"),
        builders.harvest(
            area=c.a1,
            lot=trace.lot_uri(c.a1.code, "H-A1-R1"),
            harvest_date=timezone.localdate(),
            amount=Decimal(800),
            uom="KGM",
        ),
    )


def _rented_pack(actor, cast, state: _Rented) -> None:
    c = cast()
    state.packed, state.kg = _receive_and_pack(
        actor("packing"), c.house, c.a1, [("H-A1-R1", Decimal(800))], "A1R"
    )


def _rented_ship(actor, cast, state: _Rented) -> None:
    c = cast()
    now = timezone.now()
    _capture(
        actor("exporter2"),
        builders.shipping(
            lots=[(state.packed, state.kg, "KGM", "")],
            origin=trace.location_uri(c.house.code),
            moment=now,
            shipper=c.rented_by,
            destination_name="Cửa khẩu Tân Thanh → Pò Chài (Trung Quốc)",
            destination_country="CN",
            transport_doc=f"VD-{now:%y%m%d}-41",
        ),
    )


def borrowed_kg(area, house) -> Decimal:
    """What PH1 packs "of" A3: BORROWED_TIMES × what A3 can grow, and at least 1.05 × the
    house's weekly capacity with the rule's tolerance (so both findings show)."""
    t_ha = CropYield.objects.get(crop=area.crop).tonnes_per_ha
    hectares = area.measured_area_ha or area.declared_area_ha
    can_grow = Decimal(hectares) * t_ha * 1000
    weekly = Decimal(house.capacity_t_per_day) * 1000 * 7 * Decimal("1.1")
    return max(can_grow * BORROWED_TIMES, weekly * Decimal("1.05")).quantize(Decimal("1"))


def _borrowed(actor, cast, day: int) -> None:
    """One of three days of PH1 buying two lots "of" A3."""
    c = cast()
    per_lot = (borrowed_kg(c.a3, c.house) / 6).quantize(Decimal("1"))
    lots = [(f"M-A3-{day}{i}", per_lot) for i in range(2)]
    _receive_and_pack(actor("packing"), c.house, c.a3, lots, f"A3B{day}")


def _copied(actor, cast) -> None:
    from agritrace.stamps import services as stamps
    from agritrace.stamps.models import Stamp

    c = cast()
    stamp = (
        Stamp.objects.filter(batch__lot__uri__startswith=trace.lot_uri(c.house.code, "P-A1-"))
        .order_by("id")
        .last()
    )
    if stamp is None:
        return
    uri = stamps.stamp_uri(stamp)
    for phone in range(stamps.copy_rules()["max_clients"] + 10):
        stamps.log_scan(stamps.lookup_uri(uri), client=f"demo-phone-{phone:03d}")


def _scan(cast, reach: int) -> None:
    from .scan import run_scan

    now = timezone.now()
    days = [*range(0, reach, 30), reach]
    seasons = sorted({season_of(now - timedelta(days=d)) for d in days})
    for season in seasons:
        run_scan(cast().province, season)


def misuse_steps(
    actor: Callable[[str], Actor], cast: Callable[[], MisuseCast], shift: int = 0
) -> list:
    """(days ago, step) pairs; the rented lot of A1 is harvested, packed and shipped `shift`
    days further back, in the season of A1's lawful harvest (agritrace.demo.season_shift), and
    the scan reaches back over every season the demo's events fall in."""
    rented = _Rented()
    return [
        (DAYS["suspended"], lambda: _suspended(actor, cast)),
        (DAYS["rented_harvest"] + shift, lambda: _rented_harvest(actor, cast)),
        (DAYS["rented_pack"] + shift, lambda: _rented_pack(actor, cast, rented)),
        (DAYS["rented_ship"] + shift, lambda: _rented_ship(actor, cast, rented)),
        *[(DAYS["borrowed"] - d, lambda d=d: _borrowed(actor, cast, d)) for d in range(3)],
        (DAYS["copied"], lambda: _copied(actor, cast)),
        (DAYS["scan"], lambda: _scan(cast, 200 + shift)),
    ]
