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
from agritrace.misuse.models import Rule
from agritrace.misuse.rules import threshold
from agritrace.places.models import AdminUnit
from agritrace.registry.models import PackingHouse, PlantingArea
from agritrace.trace import checks
from agritrace.trace.models import Event, EventEPC, Lot, LotLink, Role
from agritrace.trace.services import lot_uri

#: Biz steps of a harvest (commissioning a harvest lot at an area, or CBV 2 harvesting).
HARVEST_STEPS = ("commissioning", "harvesting")
#: Roles by which an event names what it handles (not what a transformation made).
HANDLED_ROLES = (Role.EPC, Role.QUANTITY, Role.CHILD, Role.CHILD_QUANTITY)
INPUT_ROLES = (Role.INPUT, Role.INPUT_QUANTITY)
OUTPUT_ROLES = (Role.OUTPUT, Role.OUTPUT_QUANTITY)
#: How many generations of the lot graph are followed from a harvest lot.
MAX_DEPTH = 12
#: How many generations back a single SQL join follows (harvest lot → packed lot → pallet →
#: repacked pallet).
SQL_DEPTH = 3
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
    """{lot id: the areas it was harvested at or made from} for the areas' lots: their
    harvest lots (`Lot.origin_area`), the lots events at the area name, lots of the area's
    namespace with no harvest (`named_lots`), and everything made from or packed from those
    (forward over `LotLink`, one query per generation)."""
    area_ids = list(set(area_ids))
    found: dict[int, set[int]] = defaultdict(set)
    for lot, area in named_lots(area_ids).items():
        found[lot].add(area)
    for chunk in _chunks(area_ids):
        for lot, area in Lot.objects.filter(origin_area__in=chunk).values_list(
            "pk", "origin_area_id"
        ):
            found[lot].add(area)
        for lot, area in (
            EventEPC.objects.filter(
                event__area__in=chunk, event__biz_step__in=HARVEST_STEPS, role__in=HANDLED_ROLES
            )
            .values_list("lot_id", "event__area_id")
            .distinct()
        ):
            found[lot].add(area)
    frontier = set(found)
    for _depth in range(MAX_DEPTH):
        if not frontier:
            break
        grown: set[int] = set()
        for chunk in _chunks(sorted(frontier)):
            for source, target in LotLink.objects.filter(source__in=chunk).values_list(
                "source_id", "target_id"
            ):
                before = len(found[target])
                found[target] |= found[source]
                if len(found[target]) != before:
                    grown.add(target)
        frontier = grown
    return {lot: frozenset(areas) for lot, areas in found.items()}


def rows_by_area(
    rows: QuerySet,
    *values: str,
    areas=None,
    parties: set[int] | None = None,
    lots: Iterable[int] | None = None,
) -> list[tuple]:
    """`EventEPC` rows joined in SQL to the planting areas behind their lot, up to
    `SQL_DEPTH` generations back over `LotLink`: (*values, area, party, market) per row ×
    area, without duplicates. The area is a lot's `origin_area`, or the owner of a lot of an
    area's namespace that no harvest made. `areas` (ids or a queryset of pks) restricts the
    areas; `parties` the shipping firms (see `parties.rows_with_parties`). `lots`: every lot
    that can come from those areas (`lots_of_areas`, forward over the whole lot graph): the
    rows are first narrowed to them, which changes no result (a lot none of them is cannot
    have those areas behind it) but lets a run over a few areas start from their lots'
    index instead of every event of the season."""
    from agritrace.misuse.parties import rows_with_parties

    seen: set[tuple] = set()
    out: list[tuple] = []
    holders = PlantingArea.objects.exclude(code__isnull=True)
    if areas is not None:
        holders = holders.filter(pk__in=areas)
    by_code: dict[str, int] | None = None
    few_codes = None
    if isinstance(areas, list | set | tuple) and len(areas) <= 500:
        few_codes = list(
            PlantingArea.objects.filter(pk__in=list(areas))
            .exclude(code__isnull=True)
            .values_list("code", flat=True)
        )
    if lots is not None:
        rows = rows.filter(lot__in=sorted(lots))
    for depth in range(SQL_DEPTH + 1):
        path = "lot" + "__links_in__source" * depth
        harvested = rows.filter(**{f"{path}__origin_area__isnull": False})
        if areas is not None:
            harvested = harvested.filter(**{f"{path}__origin_area__in": areas})
        unharvested = rows.filter(
            **{f"{path}__origin_area__isnull": True, f"{path}__uri__startswith": lot_prefix()}
        )
        if few_codes is not None:
            q = Q(pk__in=[])
            for code in few_codes:
                q |= Q(**{f"{path}__uri__startswith": f"{lot_prefix()}{code}:"})
            unharvested = unharvested.filter(q)
        named = (
            unharvested.annotate(
                _colon=StrIndex(Substr(F(f"{path}__uri"), len(lot_prefix()) + 1), Value(":"))
            )
            .filter(_colon__gt=0)
            .annotate(
                _code=Substr(Substr(F(f"{path}__uri"), len(lot_prefix()) + 1), 1, F("_colon") - 1)
            )
            .filter(_code__in=holders.values("code"))
        )
        found = 0
        for qs, area_field in ((harvested, f"{path}__origin_area"), (named, "_code")):
            for row in rows_with_parties(
                qs, "pk", *values, area_field, prefix="event__", parties=parties
            ):
                found += 1
                if area_field == "_code":
                    if by_code is None:
                        by_code = dict(holders.values_list("code", "pk"))
                    row = (*row[:-3], by_code.get(row[-3]), *row[-2:])
                    if row[-3] is None:
                        continue
                key = (row[0], row[-3])
                if key not in seen:
                    seen.add(key)
                    out.append(row[1:])
        if not found and depth:
            break
    return out


def lot_area_map(lot_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """{lot id: the planting areas behind it} (backward over `LotLink`, one query per
    generation, then the harvest lots' areas)."""
    lot_ids = set(lot_ids)
    parents: dict[int, set[int]] = defaultdict(set)
    seen = set(lot_ids)
    frontier = set(lot_ids)
    for _depth in range(MAX_DEPTH):
        if not frontier:
            break
        nxt: set[int] = set()
        for chunk in _chunks(sorted(frontier)):
            for target, source in LotLink.objects.filter(target__in=chunk).values_list(
                "target_id", "source_id"
            ):
                parents[target].add(source)
                nxt.add(source)
        frontier = nxt - seen
        seen |= frontier
    own: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(sorted(seen)):
        for pk, area in Lot.objects.filter(pk__in=chunk, origin_area__isnull=False).values_list(
            "pk", "origin_area_id"
        ):
            own[pk].add(area)
        unharvested = dict(
            Lot.objects.filter(
                pk__in=chunk, origin_area__isnull=True, uri__startswith=lot_prefix()
            ).values_list("pk", "uri")
        )
        by_code = {code_of_lot(u): pk for pk, u in unharvested.items()}
        for code, area in PlantingArea.objects.filter(
            code__in=[c for c in by_code if c]
        ).values_list("code", "pk"):
            own[by_code[code]].add(area)
    memo: dict[int, frozenset[int]] = {}

    def areas(lot: int, depth: int = 0) -> frozenset[int]:
        if lot in memo:
            return memo[lot]
        found = set(own.get(lot, ()))
        if depth < MAX_DEPTH:
            for parent in parents.get(lot, ()):
                found |= areas(parent, depth + 1)
        memo[lot] = frozenset(found)
        return memo[lot]

    return {lot: areas(lot) for lot in lot_ids}


def areas_of_lots(lot_ids: Iterable[int]) -> set[int]:
    """The planting areas behind lots (backward over `LotLink` to the harvest lots)."""
    seen = set(lot_ids)
    frontier = set(seen)
    for _depth in range(MAX_DEPTH):
        if not frontier:
            break
        nxt: set[int] = set()
        for chunk in _chunks(sorted(frontier)):
            nxt |= set(LotLink.objects.filter(target__in=chunk).values_list("source_id", flat=True))
        frontier = nxt - seen
        seen |= frontier
    areas: set[int] = set()
    for chunk in _chunks(sorted(seen)):
        areas |= set(
            Lot.objects.filter(pk__in=chunk, origin_area__isnull=False).values_list(
                "origin_area_id", flat=True
            )
        )
        areas |= set(
            EventEPC.objects.filter(
                lot__in=chunk, event__biz_step__in=HARVEST_STEPS, event__area__isnull=False
            ).values_list("event__area_id", flat=True)
        )
        codes = {
            code_of_lot(uri)
            for uri in Lot.objects.filter(
                pk__in=chunk, origin_area__isnull=True, uri__startswith=lot_prefix()
            ).values_list("uri", flat=True)
        }
        areas |= set(
            PlantingArea.objects.filter(code__in=codes - {None}).values_list("pk", flat=True)
        )
    return areas


def fmt_kg(kg: float) -> str:
    return f"{kg:,.0f}"
