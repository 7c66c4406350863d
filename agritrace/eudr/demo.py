"""The demo province's coffee for the EU (agritrace.demo's timeline): area C1 (VN-DLOR-0004,
Cư M'gar, markets EU and VN), one of whose plots is larger than 4 ha (agritrace.demo), lets
the first exporter use its code for the EU; the cooperative harvests two lots from its plots in
the coffee season, bags them into one export lot of green coffee, the exporter ships it to
Hamburg; the province imports a small forest baseline layer (demo data, not an official map)
that overlaps one plot.

`eudr_steps` gives (days ago, step) pairs; the harvest falls on the latest day of the coffee
season calendar of Đắk Lắk that is at least three days before the build day (supervision's
season calendars), so the misuse rules find nothing unlawful."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from agritrace.accounts.access import Actor
from agritrace.registry import services as registry
from agritrace.registry.models import Market
from agritrace.supervision.calendar import in_season
from agritrace.trace import builders
from agritrace.trace import services as trace

from . import baseline

#: The export lot's code (under the area's code) and the harvest lots'.
EXPORT_LOT = "G-C1-EU-01"
HARVEST_LOTS = (("H-C1-01", (0, 1), "2400"), ("H-C1-02", (2, 3), "3600"))
#: The C1 plot drawn larger than the 4 ha below which the EU file has a point.
LARGE_PLOT_HA = 4.6
#: Which household's plot the forest layer overlaps (C1's second household).
FOREST_HOUSEHOLD = 1
FOREST_SOURCE = "Demo layer drawn for AgriTrace's demo — not an official forest map"


@dataclass
class EudrCast:
    area: object
    households: list
    exporter: object


def coffee_day(today: date, province: str, latest: int) -> int:
    """Days ago of the harvest: the first day, three or more days back, inside the coffee
    calendar (3 when no calendar covers coffee there)."""
    for days in range(3, latest):
        found = in_season("coffee", province, today - timedelta(days=days))
        if found is None:
            return 3
        if found:
            return days
    return 3


def export_lot_uri(area) -> str:
    return trace.lot_uri(area.code, EXPORT_LOT)


def _authorise(actor: Callable[[str], Actor], cast: Callable[[], EudrCast], shift: int) -> None:
    c = cast()
    start = timezone.localdate()
    registry.authorise_exporter(
        actor("coop2"),
        c.area,
        c.exporter.pk,
        Market.objects.get(code="EU").pk,
        start,
        start + timedelta(days=365 + shift),
    )


def _approval(actor: Callable[[str], Actor], cast: Callable[[], EudrCast], move: str, user: str):
    """The EU market's approval of C1's code (the registry's EU market needs one): the
    province files it, the Plant Protection Department sends and records it approved."""
    extra = {"importer_list_ref": "EU, demo list 2026"} if move == "approve" else {}
    registry.move_market_approval(
        actor(user), cast().area, Market.objects.get(code="EU"), move, **extra
    )


def _harvest_and_bag(actor: Callable[[str], Actor], cast: Callable[[], EudrCast]) -> None:
    c = cast()
    area = c.area
    now = timezone.now()
    events = []
    inputs = []
    for code, households, kg in HARVEST_LOTS:
        members = [c.households[i] for i in households]
        events.append(
            builders.harvest(
                area=area,
                lot=trace.lot_uri(area.code, code),
                harvest_date=timezone.localdate(),
                amount=Decimal(kg),
                uom="KGM",
                plots=[p for h in members for p in h.plots.all()],
                households=members,
                moment=now,
            ).event
        )
        inputs.append((trace.lot_uri(area.code, code), Decimal(kg), "KGM", ""))
    total = sum(kg for _l, kg, _u, _d in inputs)
    bagged = builders.packing(
        house=_AreaAsHouse(area),
        inputs=inputs,
        outputs=[(export_lot_uri(area), (total * Decimal("0.97")).quantize(Decimal(1)), "KGM", "")],
        moment=now,
        crop=area.crop,
    ).event
    bagged["ilmd"].pop(f"{builders.PREFIX}:packingHouse", None)
    events.append(bagged)
    trace.capture(actor("coop2"), builders.document(events))


class _AreaAsHouse:
    """The cooperative bags the green coffee at the area itself (no packing house): the
    packing event is read at the area's location."""

    def __init__(self, area) -> None:
        self.code = area.code
        self.name = area.name


def _ship(actor: Callable[[str], Actor], cast: Callable[[], EudrCast]) -> None:
    c = cast()
    now = timezone.now()
    lot = export_lot_uri(c.area)
    trace.capture(
        actor("exporter"),
        builders.document(
            [
                builders.shipping(
                    lots=[(lot, Decimal("5820"), "KGM", "")],
                    origin=trace.location_uri(c.area.code),
                    moment=now,
                    shipper=c.exporter,
                    destination_name="Cảng Cát Lái → Hamburg (Đức)",
                    destination_country="EU",
                    transport_doc=f"BL-{now:%y%m%d}-EU07",
                    customs_declaration=f"TK-{now:%y%m%d}-4410",
                ).event
            ]
        ),
    )


def forest_polygon(plot_geometry: dict) -> dict:
    """A small square (about 0.3 ha) over the plot's north-east corner: forest on the 2020
    cut-off day that part of the plot now covers."""
    ring = plot_geometry["coordinates"][0]
    lon = max(p[0] for p in ring)
    lat = max(p[1] for p in ring)
    half = 28.0
    d_lat = half / 111_320
    d_lon = half / (111_320 * math.cos(math.radians(lat)))
    west, east, south, north = lon - 2 * d_lon, lon, lat - 2 * d_lat, lat
    square = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in square]]}


def _forest(actor: Callable[[str], Actor], cast: Callable[[], EudrCast]) -> None:
    c = cast()
    plot = c.households[FOREST_HOUSEHOLD].plots.order_by("id").first()
    baseline.import_layer(
        actor("officer"),
        baseline.LayerIn(
            name="Rừng tự nhiên Cư M’gar 2020 (demo)",
            source=FOREST_SOURCE,
            source_date=date(2020, 12, 31),
            geojson={
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"name": "Khoảnh 12"},
                     "geometry": forest_polygon(plot.geometry)}
                ],
            },
        ),
    )  # fmt: skip


def eudr_steps(
    actor: Callable[[str], Actor],
    cast: Callable[[], EudrCast],
    today: date,
    province: str,
    shift: int,
) -> list[tuple[int, Callable[[], None]]]:
    """(days ago, step) pairs of the coffee chain for the EU."""
    day = coffee_day(today, province, 140 + shift)
    return [
        (day + 8, lambda: _approval(actor, cast, "submit", "officer")),
        (day + 6, lambda: _approval(actor, cast, "send", "ministry")),
        (day + 4, lambda: _approval(actor, cast, "approve", "ministry")),
        (day + 2, lambda: _authorise(actor, cast, shift)),
        (day, lambda: _harvest_and_bag(actor, cast)),
        (day - 1, lambda: _ship(actor, cast)),
        (day - 1, lambda: _forest(actor, cast)),
    ]
