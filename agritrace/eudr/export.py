"""A lot's due-diligence statement for the EU (EUDR): its fields and its plots' geolocation,
from the backward trace (trace.chain), as the EU Information System's GeoJSON.

Geolocation as Regulation (EU) 2023/1115 Article 2(28) and the EU's GeoJSON file description
ask (the rules and property names with their sources: data/geojson_format.json): one Feature
per plot; a Point inside the plot (shapely's representative point, always inside the polygon)
with its `Area` in hectares for a plot of at most 4 ha, the plot's Polygon or MultiPolygon
above; WGS 84 longitude, latitude written with six decimals; exterior rings counter-clockwise
and holes clockwise (RFC 7946's right-hand rule); no `crs` member. The plot's measured area is
geodesic (registry.geometry).

Refused with a 422 naming the field: a lot whose product the regulation does not cover
(`product`), with no plot in its trace (`plots`), with a plot whose boundary is invalid
(`plots[i].geometry`), or without an HS code of the product's Annex I headings (`hs_code`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.polygon import orient

from agritrace.accounts.access import Actor, can
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.registry import geometry as geo
from agritrace.trace import chain as trace_chain
from agritrace.trace.models import Lot

from . import access, scope
from .baseline import Baselines, Overlap

MASS_TO_KG = {"KGM": Decimal(1), "TNE": Decimal(1000), "GRM": Decimal("0.001")}


@dataclass
class PlotEntry:
    """One plot of the lot, as the statement declares it."""

    plot: object
    area_code: str
    producer: str
    place: str
    shape: Polygon | MultiPolygon
    area_ha: float
    geometry: dict
    overlaps: list[Overlap] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.geometry["type"]

    @property
    def forest_ha(self) -> float:
        return sum(o.area_ha for o in self.overlaps)

    @property
    def flagged(self) -> bool:
        return bool(self.overlaps)


@dataclass
class Statement:
    lot: Lot
    operator: Organisation | None
    commodity: scope.Commodity
    hs_code: str
    hs_description: str
    description: str
    net_mass_kg: Decimal | None
    destinations: list[str]
    harvested: tuple[date, date] | None
    plots: list[PlotEntry]
    activity: str = "export"
    country_of_production: str = scope.COUNTRY_OF_PRODUCTION
    warnings: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[PlotEntry]:
        return [p for p in self.plots if p.flagged]

    def feature(self, entry: PlotEntry, strict: bool = False) -> dict:
        properties: dict = {
            "ProducerName": entry.producer,
            "ProducerCountry": self.country_of_production,
            "ProductionPlace": entry.place,
        }
        if entry.kind == "Point":
            properties["Area"] = round(entry.area_ha, 4)
        if not strict:
            properties.update(
                {
                    "AgriTracePlotId": entry.plot.pk,
                    "AgriTracePlantingArea": entry.area_code,
                    "AgriTraceAreaHa": round(entry.area_ha, 4),
                    "AgriTraceForestOverlap": entry.flagged,
                    "AgriTraceForestOverlapHa": round(entry.forest_ha, 4),
                    "AgriTraceForestBaselines": [o.layer.name for o in entry.overlaps],
                }
            )
        return {"type": "Feature", "properties": properties, "geometry": entry.geometry}

    def feature_collection(self, strict: bool = False) -> dict:
        return {
            "type": "FeatureCollection",
            "features": [self.feature(p, strict) for p in self.plots],
        }

    def geojson_text(self, strict: bool = False) -> str:
        """The FeatureCollection as text, every coordinate with exactly six decimals."""
        return fixed_decimals(self.feature_collection(strict), scope.decimals())

    def fields(self) -> dict:
        """The due-diligence statement's fields (what the page and the PDF show)."""
        op = self.operator
        return {
            "lot": self.lot.uri,
            "activity": self.activity,
            "operator": {
                "name": op.name if op else None,
                "identifier": (op.identifier or op.tax_code or op.gln) if op else None,
                "address": op.address if op else None,
                "country": scope.COUNTRY_OF_PRODUCTION if op else None,
            },
            "commodity": self.commodity.key,
            "hsCode": self.hs_code,
            "hsDescription": self.hs_description,
            "description": self.description,
            "netMassKg": float(self.net_mass_kg) if self.net_mass_kg is not None else None,
            "countryOfProduction": self.country_of_production,
            "destinations": self.destinations,
            "harvested": [d.isoformat() for d in self.harvested] if self.harvested else None,
            "plotCount": len(self.plots),
            "forestFlags": [
                {
                    "plot": p.plot.pk,
                    "place": p.place,
                    "overlapHa": round(p.forest_ha, 4),
                    "baselines": [o.layer.name for o in p.overlaps],
                }
                for p in self.flagged
            ],
            "warnings": self.warnings + [w for p in self.plots for w in p.warnings],
        }


_MARK = "\u00a7"
_MARKED = re.compile(f'"{_MARK}(-?[0-9]+\\.[0-9]+){_MARK}"')


def fixed_decimals(collection: dict, places: int) -> str:
    """JSON text of a FeatureCollection whose coordinates are written with `places` decimals
    (json writes 108.08 for 108.080000; the regulation asks for six decimal digits)."""

    def mark(value):
        if isinstance(value, list):
            return [mark(v) for v in value]
        return f"{_MARK}{value:.{places}f}{_MARK}"

    copy = json.loads(json.dumps(collection))
    for feature in copy["features"]:
        geometry = feature["geometry"]
        geometry["coordinates"] = mark(geometry["coordinates"])
    text = json.dumps(copy, ensure_ascii=False, indent=1)
    return _MARKED.sub(lambda m: m.group(1), text)


# ------------------------------------------------------------------ geometry


def _round_ring(coords, places: int) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for x, y, *_rest in coords:
        point = (round(x, places), round(y, places))
        if not out or out[-1] != point:
            out.append(point)
    return out


def _rounded_polygon(polygon: Polygon, places: int) -> Polygon:
    shell = _round_ring(polygon.exterior.coords, places)
    holes = [_round_ring(r.coords, places) for r in polygon.interiors]
    # the right-hand rule after rounding: exterior counter-clockwise, holes clockwise
    return orient(Polygon(shell, holes), sign=1.0)


def _coords(polygon: Polygon) -> list:
    rings = [polygon.exterior, *polygon.interiors]
    return [[[x, y] for x, y, *_r in ring.coords] for ring in rings]


def eu_geometry(shape: Polygon | MultiPolygon, area_ha: float) -> dict:
    """The plot as the EU file declares it: a Point inside it up to the threshold, else its
    polygon(s), rounded to the file's decimals (ValueError if rounding breaks it)."""
    places = scope.decimals()
    if area_ha <= scope.point_max_ha():
        point: Point = shape.representative_point()
        return {"type": "Point", "coordinates": [round(point.x, places), round(point.y, places)]}
    parts = [_rounded_polygon(p, places) for p in getattr(shape, "geoms", [shape])]
    rounded = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    if not rounded.is_valid:
        raise ValueError(shapely.is_valid_reason(rounded))
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": _coords(parts[0])}
    return {"type": "MultiPolygon", "coordinates": [_coords(p) for p in parts]}


# ------------------------------------------------------------------ the statement


def _operator(actor: Actor, chain: trace_chain.Chain) -> Organisation | None:
    if actor.kind == OrgKind.EXPORTER:
        return actor.organisation
    owners = [s.event.owning_party for s in chain.shipments if s.event.owning_party_id]
    return owners[-1] if owners else None


def _net_mass(lot: Lot, chain: trace_chain.Chain) -> Decimal | None:
    if lot.produced_kg is not None:
        return lot.produced_kg
    total = Decimal(0)
    found = False
    for step in chain.shipments:
        for item in step.contents:
            if item.uri == lot.uri and item.quantity is not None and item.uom in MASS_TO_KG:
                total += item.quantity * MASS_TO_KG[item.uom]
                found = True
    return total if found else None


def _commodity(lot: Lot, chain: trace_chain.Chain) -> scope.Commodity:
    crops = {h.crop for h in chain.harvests if h.crop}
    crops |= {h.area.crop.code for h in chain.harvests if h.area is not None and not h.crop}
    if lot.crop_id:
        crops.add(lot.crop.code)
    found = {c: scope.commodity_of(c) for c in sorted(crops)}
    outside = [c for c, commodity in found.items() if commodity is None]
    if not crops or outside:
        raise ValidationError(
            {
                "product": _(
                    "The lot's product (%(crops)s) is not a commodity of the EU Deforestation "
                    "Regulation (coffee, cocoa, rubber, wood, … in its Annex I)."
                )
                % {"crops": ", ".join(outside or sorted(crops)) or _("unknown")}
            }
        )
    commodities = {c.key: c for c in found.values() if c is not None}
    if len(commodities) > 1:
        message = _("The lot mixes several commodities: %(c)s.")
        raise ValidationError({"product": message % {"c": ", ".join(commodities)}})
    return next(iter(commodities.values()))


def _producer(household, area, personal: bool) -> str:
    if household is not None and personal:
        return household.name
    if area is not None and area.representative_id:
        return area.representative.name
    return _("Household #%(n)s") % {"n": household.pk} if household is not None else ""


def _plot_order(pair: tuple) -> tuple:
    plot, area = pair
    return ((area.code or "") if area else "", plot.label, plot.pk)


def statement(actor: Actor, uri: str, hs_code: str | None = None) -> Statement:
    """The due-diligence statement of a lot the actor may export (404 out of scope)."""
    lot = access.find_lot(actor, uri)
    chain = trace_chain.build(actor, {lot.pk}, "backward", lot.uri)
    commodity = _commodity(lot, chain)
    errors: dict[str, list[str]] = {}

    code = (hs_code or "").replace(" ", "").replace(".", "") or commodity.default_hs_code
    entry = scope.hs_code_entry(commodity, code) if code else None
    if not code:
        errors["hs_code"] = [
            _("No HS code of %(c)s is in the scope data (its Annex I source was not at hand): "
              "give one.") % {"c": commodity.name_en}
        ]  # fmt: skip
    elif entry is None or not scope.hs_code_allowed(commodity, code):
        errors["hs_code"] = [
            _("%(code)s is not under an Annex I heading of %(c)s (%(h)s).")
            % {"code": code, "c": commodity.name_en,
               "h": ", ".join(h["code"] for h in commodity.hs_codes) or "—"}
        ]  # fmt: skip

    personal = can(actor, "see_personal_data")
    seen: dict[int, tuple] = {}
    for harvest in chain.harvests:
        for plot in harvest.plots:
            seen.setdefault(plot.pk, (plot, harvest.area))
    ordered = sorted(seen.values(), key=_plot_order)
    if not ordered:
        errors["plots"] = [
            _("The lot's backward trace reaches no plot with a boundary: no harvest names one.")
        ]
    plots: list[PlotEntry] = []
    for i, (plot, area) in enumerate(ordered):
        try:
            shape = geo.parse_geojson(plot.geometry)
            area_ha = geo.geodesic_area_m2(shape) / geo.M2_PER_HA
            geometry = eu_geometry(shape, area_ha)
        except (geo.GeometryError, ValueError) as exc:
            errors[f"plots[{i}].geometry"] = [
                _("Plot %(label)s (#%(id)s) has an invalid boundary: %(e)s")
                % {"label": plot.label, "id": plot.pk, "e": exc}
            ]
            continue
        entry_ = PlotEntry(
            plot=plot,
            area_code=(area.code or "") if area else "",
            producer=_producer(plot.household, area, personal),
            place=f"{plot.label} – {area.code or area.name}" if area else plot.label,
            shape=shape,
            area_ha=area_ha,
            geometry=geometry,
        )
        parts = getattr(shape, "geoms", [shape])
        if geometry["type"] != "Point" and any(part.interiors for part in parts):
            entry_.warnings.append(
                _("Plot %(label)s has holes, which the EU system is reported to refuse.")
                % {"label": plot.label}
            )
        plots.append(entry_)
    if errors:
        raise ValidationError(errors)

    layers = Baselines(_bounds([p.shape for p in plots]))
    for p in plots:
        p.overlaps = layers.overlaps(p.shape)

    days = [h.day for h in chain.harvests]
    operator = _operator(actor, chain)
    warnings = []
    if operator is None:
        warnings.append(_("No exporter shipped the lot: the statement has no operator."))
    if not layers.layers:
        warnings.append(_("No forest baseline layer covers these plots: nothing was checked."))
    crop_names = sorted({str(h.area.crop) for h in chain.harvests if h.area is not None})
    varieties = sorted({h.variety for h in chain.harvests if h.variety})
    description = " · ".join([*crop_names, *varieties]) or commodity.name_en
    return Statement(
        lot=lot,
        operator=operator,
        commodity=commodity,
        hs_code=code,
        hs_description=entry["description"] if entry else "",
        description=description,
        net_mass_kg=_net_mass(lot, chain),
        destinations=chain.destinations,
        harvested=(min(days), max(days)) if days else None,
        plots=plots,
        warnings=warnings,
    )


def _bounds(shapes: list) -> tuple[float, float, float, float]:
    boxes = [s.bounds for s in shapes]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
