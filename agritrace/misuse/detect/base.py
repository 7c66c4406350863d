"""What every rule function shares: the scope of a run (`Context`: a province, a season, and
optionally the subjects to look at), kilograms of an event's quantities in SQL, and the lot
graph from a planting area's harvest lots forward.

Every rule is `rule(ctx) -> list[Finding]`; the full scan calls it with no subjects, the
incremental checks with the subjects a capture touched, so both are the same code."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, DecimalField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, StrIndex, Substr

from agritrace.misuse.findings import season_bounds
from agritrace.misuse.models import LotOrigin, Rule
from agritrace.misuse.rules import threshold
from agritrace.places.models import AdminUnit
from agritrace.registry.models import PackingHouse, PlantingArea
from agritrace.trace import checks
from agritrace.trace.models import Event, Lot, Role
from agritrace.trace.services import lot_uri

#: Biz steps of a harvest (commissioning a harvest lot at an area, or CBV 2 harvesting).
HARVEST_STEPS = ("commissioning", "harvesting")
#: Roles by which an event names what it handles (not what a transformation made).
HANDLED_ROLES = (Role.EPC, Role.QUANTITY, Role.CHILD, Role.CHILD_QUANTITY)
INPUT_ROLES = (Role.INPUT, Role.INPUT_QUANTITY)
OUTPUT_ROLES = (Role.OUTPUT, Role.OUTPUT_QUANTITY)
#: How many generations of the lot graph are followed from a harvest lot.
MAX_DEPTH = 12
_CHUNK = 5000


@dataclass
class Context:
    province: AdminUnit
    season: str
    rules: dict[str, Rule]
    #: None: everything in the province; else {"area": ids, "packing_house": ids,
    #: "organisation": ids} (a kind missing: none of that kind).
    subjects: dict[str, set[int]] | None = None
    start: datetime = field(init=False)
    end: datetime = field(init=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.start, self.end = season_bounds(self.season)

    def threshold(self, rule: str, name: str, default=None):
        return threshold(self.rules[rule], name, default)

    def limited(self, kind: str) -> set[int] | None:
        """The ids of `kind` to look at, or None for all of the province."""
        if self.subjects is None:
            return None
        return set(self.subjects.get(kind) or ())

    def in_province(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}commune__parent": self.province}) | Q(
            **{f"{prefix}commune__parent__parent": self.province}
        )

    def areas(self) -> QuerySet:
        qs = PlantingArea.objects.filter(self.in_province()).exclude(code__isnull=True)
        ids = self.limited("area")
        return qs if ids is None else qs.filter(pk__in=ids)

    def houses(self) -> QuerySet:
        qs = PackingHouse.objects.filter(self.in_province()).exclude(code__isnull=True)
        ids = self.limited("packing_house")
        return qs if ids is None else qs.filter(pk__in=ids)

    def season_events(self) -> QuerySet:
        return Event.objects.filter(
            event_time__gte=self.start, event_time__lt=self.end, error_declaration__isnull=True
        )

    def area_ids(self) -> list[int]:
        if "area_ids" not in self._cache:
            self._cache["area_ids"] = list(self.areas().values_list("pk", flat=True))
        return self._cache["area_ids"]

    def lot_areas(self) -> dict[int, frozenset[int]]:
        """{lot id: areas it comes from} for every lot of the run's areas (cached)."""
        if "lot_areas" not in self._cache:
            self._cache["lot_areas"] = lots_of_areas(self.area_ids())
        return self._cache["lot_areas"]


def kg_expression(prefix: str = "") -> Case:
    """Kilograms of an `EventEPC` row (reached through `prefix`, e.g. "epcs__"): its
    quantity in a mass unit, or a count × the lot's net weight of one item; NULL when it
    cannot be known (an instance EPC without quantity)."""
    output = DecimalField(max_digits=30, decimal_places=6)
    whens = [
        When(
            **{f"{prefix}uom": unit},
            then=F(f"{prefix}quantity") * Value(factor, output_field=output),
        )
        for unit, factor in checks.MASS_UNITS.items()
    ]
    whens.append(
        When(
            **{
                f"{prefix}uom__in": list(checks.COUNT_UNITS),
                f"{prefix}quantity__isnull": False,
                f"{prefix}lot__net_weight_kg__isnull": False,
            },
            then=F(f"{prefix}quantity") * F(f"{prefix}lot__net_weight_kg"),
        )
    )
    return Case(*whens, default=Value(None, output_field=output), output_field=output)


def kg_rows(rows: QuerySet) -> QuerySet:
    """`EventEPC` rows with their kilograms as `kg` (0 when unknown)."""
    return rows.annotate(kg=Coalesce(kg_expression(), Value(0, output_field=DecimalField())))


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def lot_prefix() -> str:
    """The start of the service's own lot URIs: `<prefix><owner code>:<lot>`."""
    return lot_uri("", "")[:-1]


def code_of_lot(uri: str) -> str | None:
    """The owner code a lot URI of the service's namespace names (`…lot:VN-DLOR-0001:H1`)."""
    prefix = lot_prefix()
    if not uri.startswith(prefix):
        return None
    code, sep, _rest = uri[len(prefix) :].partition(":")
    return code if sep else None


def named_lots(area_ids: Iterable[int]) -> dict[int, int]:
    """{lot id: area id} for lots with no harvest behind them (`origin_area` empty) whose URI
    is of an area's namespace: produce bought or packed "of" an area that recorded no
    harvest of it (how a borrowed code's lots arrive)."""
    area_ids = list(area_ids)
    codes = dict(
        PlantingArea.objects.filter(pk__in=area_ids)
        .exclude(code__isnull=True)
        .values_list("code", "pk")
    )
    if not codes:
        return {}
    start = len(lot_prefix()) + 1
    rows = (
        Lot.objects.filter(origin_area__isnull=True, uri__startswith=lot_prefix())
        .annotate(_colon=StrIndex(Substr(F("uri"), start), Value(":")))
        .filter(_colon__gt=0)
        .annotate(_code=Substr(Substr(F("uri"), start), 1, F("_colon") - 1))
    )
    if len(codes) > 2000:  # most of the registry: one pass over the unharvested lots
        rows = rows.filter(_code__in=PlantingArea.objects.filter(pk__in=area_ids).values("code"))
        return {
            pk: codes[code]
            for pk, code in rows.values_list("pk", "_code").iterator(chunk_size=_CHUNK)
            if code in codes
        }
    out: dict[int, int] = {}
    names = sorted(codes)
    for start in range(0, len(names), 200):  # a few codes: prefix ranges of the URI index
        q = Q()
        for code in names[start : start + 200]:
            q |= Q(uri__startswith=f"{lot_prefix()}{code}:")
        out.update(
            (pk, codes[code])
            for pk, code in rows.filter(q).values_list("pk", "_code")
            if code in codes
        )
    return out


def lots_of_areas(area_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """{lot id: those of the areas behind it} for every lot coming from the areas: their
    harvest lots, the lots harvest events at the areas name, lots of their namespace with no
    harvest, and everything made or packed from those (`LotOrigin`, `misuse.origins`)."""
    found: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(sorted(set(area_ids))):
        for lot, area in (
            LotOrigin.objects.filter(area__in=chunk)
            .values_list("lot_id", "area_id")
            .iterator(chunk_size=_CHUNK)
        ):
            found[lot].add(area)
    return {lot: frozenset(areas) for lot, areas in found.items()}


def rows_by_area(
    rows: QuerySet,
    *values: str,
    areas=None,
    parties: set[int] | None = None,
    lots: Iterable[int] | None = None,
) -> list[tuple]:
    """`EventEPC` rows joined in SQL to the planting areas behind their lot (`LotOrigin`):
    (*values, area, party, market) per row × area. `areas` (ids or a queryset of pks)
    restricts the areas; `parties` the shipping firms (see `parties.rows_with_parties`);
    `lots` (optional) narrows the rows to those lots first (changes no result)."""
    from agritrace.misuse.parties import rows_with_parties

    if lots is not None:
        rows = rows.filter(lot__in=sorted(lots))
    if areas is not None:
        rows = rows.filter(lot__misuse_origins__area__in=areas)
    else:
        rows = rows.filter(lot__misuse_origins__area__code__isnull=False)
    return rows_with_parties(
        rows, *values, "lot__misuse_origins__area_id", prefix="event__", parties=parties
    )


def lot_area_map(lot_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """{lot id: the planting areas behind it} (`LotOrigin`; a lot with none maps to an
    empty set)."""
    lot_ids = set(lot_ids)
    found: dict[int, set[int]] = {lot: set() for lot in lot_ids}
    for chunk in _chunks(sorted(lot_ids)):
        for lot, area in LotOrigin.objects.filter(lot__in=chunk).values_list("lot_id", "area_id"):
            found[lot].add(area)
    return {lot: frozenset(areas) for lot, areas in found.items()}


def areas_of_lots(lot_ids: Iterable[int]) -> set[int]:
    """The planting areas behind lots (`LotOrigin`)."""
    areas: set[int] = set()
    for chunk in _chunks(sorted(set(lot_ids))):
        areas |= set(
            LotOrigin.objects.filter(lot__in=chunk).values_list("area_id", flat=True).distinct()
        )
    return areas


def fmt_kg(kg: float) -> str:
    return f"{kg:,.0f}"
