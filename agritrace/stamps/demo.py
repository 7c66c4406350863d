"""The demo province's produce, from the orchard to the stamp a buyer scans.

Two durian chains through packing house PH1, recorded through the EPCIS capture service as
the people who would record them (the cooperative harvests, the packing house buys, packs,
has the consignment inspected and ships it to the exporter), then stamps requested for each
packed lot:

- A1 (VN-DLOR-0001): two harvest lots a month ago (or further back, in the durian season:
  agritrace.demo.season_shift moves the chains into the crop's season calendar), packed into
  one lot of boxes, inspected (phytosanitary certificate), shipped to the exporter for China;
  24 stamps. A stamp of it opens as genuine.
- E1: one harvest lot three weeks ago, packed and stamped; E1's code is suspended ten days ago
  (agritrace.demo), so its stamps open as "code suspended".

`chain_steps(actor, cast)` gives (days ago, step) pairs for agritrace.demo's timeline; the
cast (a function, called when the steps run) names the areas, the packing house and the
exporter. The stamps are signed with the service's active key, so a demo database has its
own, working stamps; `demo_stamp_uris()` lists one per packed lot for the demo's summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from agritrace.accounts.access import Actor
from agritrace.trace import builders
from agritrace.trace import services as trace

from . import services
from .models import StampBatch

#: Days ago of each step, oldest first.
DAYS = {"harvest_a1": 30, "pack_a1": 29, "ship_a1": 27, "harvest_e1": 21, "pack_e1": 20}
STAMPS_PER_LOT = 24


@dataclass
class ChainCast:
    """Who and what plays a part: areas with their households, the packing house, the
    exporter organisation, and the users acting."""

    a1: object
    e1: object
    house: object
    exporter: object
    households: dict[str, list] = field(default_factory=dict)


@dataclass
class _State:
    packed: dict[str, str] = field(default_factory=dict)


def _capture(actor: Actor, *built: builders.Built) -> None:
    trace.capture(actor, builders.document([b.event for b in built]))


def _harvest(actor: Callable, cast: Callable, key: str, lots: list[tuple[str, str]], state):
    c = cast()
    area = getattr(c, key)
    households = c.households.get(key.upper(), [])[:2]
    plots = [p for h in households for p in h.plots.all()[:1]]
    today = timezone.localdate()
    built = [
        builders.harvest(
            area=area,
            lot=trace.lot_uri(area.code, code),
            harvest_date=today,
            amount=Decimal(kg),
            uom="KGM",
            plots=plots,
            households=households,
        )
        for code, kg in lots
    ]
    _capture(actor(area_user(key)), *built)


def area_user(key: str) -> str:
    """The representative who records the harvest of the area (demo logins)."""
    return {"a1": "coop", "e1": "coop3"}[key]


def _pack(actor: Callable, cast: Callable, key: str, lots: list[tuple[str, str]], state):
    c = cast()
    area, house = getattr(c, key), c.house
    now = timezone.now()
    inputs = [(trace.lot_uri(area.code, code), Decimal(kg), "KGM", "") for code, kg in lots]
    total = sum(kg for _lot, kg, _u, _d in inputs)
    packed = trace.lot_uri(house.code, f"P-{key.upper()}-{now:%y%m%d}")
    location = trace.location_uri(house.code)
    _capture(
        actor("packing"),
        # Events are dated at the (simulated) clock, never ahead of it: capture refuses events
        # dated after they arrive (trace/timing.py). Steps of one day may fall on the same
        # working day, so no step is dated before the clock either.
        builders.receiving(
            lots=inputs,
            location=location,
            moment=now,
            receiver=house.operator,
            source=trace.location_uri(area.code),
            doc_number=f"PO-{key.upper()}-{now:%y%m%d}",
            purchase=True,
        ),
        builders.packing(
            house=house,
            inputs=inputs,
            outputs=[(packed, (total * Decimal("0.9")).quantize(Decimal("1")), "KGM", "")],
            moment=now,
            crop=area.crop,
        ),
    )
    state.packed[key] = packed
    services.request_stamps(actor("packing"), packed, STAMPS_PER_LOT)


def _ship(actor: Callable, cast: Callable, key: str, state) -> None:
    c = cast()
    house = c.house
    packed = state.packed[key]
    now = timezone.now()
    lots = [(packed, Decimal("2700"), "KGM", "")]
    location = trace.location_uri(house.code)
    _capture(
        actor("packing"),
        builders.inspection(
            lots=lots,
            location=location,
            moment=now,
            certificate=f"KD-{now:%y%m%d}-0117",
        ),
        builders.shipping(
            lots=lots,
            origin=location,
            moment=now,
            # docs/epcis-parties.md: the exporter owns the goods it exports, the packing
            # house has them in hand; the importer is not in the registry.
            shipper=c.exporter,
            possessor=house.operator,
            destination_name="Cửa khẩu Hữu Nghị → Bằng Tường (Trung Quốc)",
            destination_country="CN",
            transport_doc=f"VD-{now:%y%m%d}-88",
            customs_declaration=f"TK-{now:%y%m%d}-3051",
        ),
    )


def chain_steps(actor: Callable[[str], Actor], cast: Callable[[], ChainCast]) -> list:
    """(days ago, step) pairs of the two chains."""
    state = _State()
    a1_lots = [("H-A1-01", "1800"), ("H-A1-02", "1200")]
    e1_lots = [("H-E1-01", "1500")]
    return [
        (DAYS["harvest_a1"], lambda: _harvest(actor, cast, "a1", a1_lots, state)),
        (DAYS["pack_a1"], lambda: _pack(actor, cast, "a1", a1_lots, state)),
        (DAYS["ship_a1"], lambda: _ship(actor, cast, "a1", state)),
        (DAYS["harvest_e1"], lambda: _harvest(actor, cast, "e1", e1_lots, state)),
        (DAYS["pack_e1"], lambda: _pack(actor, cast, "e1", e1_lots, state)),
    ]


def demo_stamp_uris() -> list[str]:
    """One stamp URI per stamped lot (the first stamp of each batch), to try the public page."""
    uris = []
    for batch in StampBatch.objects.order_by("id"):
        stamp = batch.stamps.order_by("id").first()
        if stamp is not None:
            uris.append(services.stamp_uri(stamp, batch))
    return uris
