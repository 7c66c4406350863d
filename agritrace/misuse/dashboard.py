"""The province's early warning: one queue from which inspections are planned, merging the
misuse cases still waiting for the officer with the supervision risk of each code, and the
map of those codes coloured by risk.

A row is a code (a planting area or a packing house; an organisation for an exporter's
pattern). Its priority is, in points:

    misuse points    = Σ score of its active cases × MISUSE_POINTS_PER_SCORE
    supervision risk = `supervision.services.risk(code)` (overdue visits, failed items,
                       residue cases, notices, never visited…)
    priority         = misuse points + supervision risk

MISUSE_POINTS_PER_SCORE is a configurable weighting (no legal figure): with 10, a high case
crossing its threshold 1.5 times (score 4.5) weighs 45 points, about the supervision's own
"high risk" mark (40). Codes that have no misuse case but a planned visit with a supervision
risk join the queue too, so the queue is the whole list of what to inspect first."""

from dataclasses import dataclass, field

from django.db.models import Avg, Q
from django.utils.html import escape
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, visible
from agritrace.registry.models import PackingHouse, PlantingArea, Plot

from . import queries
from .models import Case, Severity

MISUSE_POINTS_PER_SCORE = 10
#: How many rows the queue shows (and how many codes' supervision risk it computes).
QUEUE_SIZE = 50
SEVERITY_ORDER = [Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


@dataclass
class Row:
    key: str
    holder: object | None
    organisation: object | None = None
    cases: list[Case] = field(default_factory=list)
    misuse_points: float = 0.0
    risk: int = 0
    risk_reasons: list[str] = field(default_factory=list)
    next_visit: object | None = None

    @property
    def priority(self) -> float:
        return round(self.misuse_points + self.risk, 1)

    @property
    def severity(self) -> str:
        """The highest severity among its cases ("" for a supervision-only row)."""
        levels = [SEVERITY_ORDER.index(c.severity) for c in self.cases]
        return SEVERITY_ORDER[max(levels)] if levels else ""

    @property
    def severity_label(self) -> str:
        return str(Severity(self.severity).label) if self.severity else ""

    @property
    def code(self) -> str:
        if self.holder is not None:
            return self.holder.code or self.holder.name
        return self.cases[0].code or self.cases[0].subject_key if self.cases else ""

    @property
    def kind(self) -> str:
        if isinstance(self.holder, PlantingArea):
            return "area"
        if isinstance(self.holder, PackingHouse):
            return "packing_house"
        return "organisation"


def _supervision_rows(actor: Actor, province_id: int | None, seen: set[str]) -> list[Row]:
    """Codes with a visit still to be made and a supervision risk, riskiest first."""
    from agritrace.supervision.models import MonitoringVisit
    from agritrace.supervision.services import risk

    visits = visible(
        actor, MonitoringVisit.objects.filter(recorded_at__isnull=True, risk_score__gt=0)
    ).select_related("area__commune", "packing_house__commune")
    if province_id:
        visits = visits.filter(
            Q(area__commune__parent_id=province_id)
            | Q(packing_house__commune__parent_id=province_id)
        )
    rows: dict[str, Row] = {}
    for visit in visits.order_by("-risk_score", "due_date")[: QUEUE_SIZE * 4]:
        holder = visit.holder
        key = f"{'area' if visit.area_id else 'packing_house'}:{holder.pk}"
        if key in seen or key in rows:
            continue
        rows[key] = Row(key=key, holder=holder, next_visit=visit)
        if len(rows) >= QUEUE_SIZE:
            break
    # The visits keep the risk they had when planned: the queue shows today's.
    for row in rows.values():
        row.risk, row.risk_reasons = risk(row.holder)
    return [r for r in rows.values() if r.risk > 0]


def queue(actor: Actor, filters: queries.CaseFilters | None = None) -> list[Row]:
    """The merged queue, highest priority first (at most QUEUE_SIZE rows)."""
    from agritrace.supervision.models import MonitoringVisit
    from agritrace.supervision.services import risk

    filters = filters or queries.CaseFilters()
    cases = queries.cases(actor, filters)
    if not filters.status:
        cases = cases.filter(status__in=queries.ACTIVE)
    rows: dict[str, Row] = {}
    for case in cases[: QUEUE_SIZE * 4]:
        row = rows.get(case.subject_key)
        if row is None:
            row = rows[case.subject_key] = Row(
                key=case.subject_key,
                holder=case.area or case.packing_house,
                organisation=case.organisation,
            )
        row.cases.append(case)
        row.misuse_points += case.score * MISUSE_POINTS_PER_SCORE
    ordered = sorted(rows.values(), key=lambda r: -r.misuse_points)[:QUEUE_SIZE]
    for row in ordered:
        row.misuse_points = round(row.misuse_points, 1)
        if row.holder is not None:
            row.risk, row.risk_reasons = risk(row.holder)
            holder_filter = (
                {"area": row.holder}
                if isinstance(row.holder, PlantingArea)
                else {"packing_house": row.holder}
            )
            row.next_visit = (
                MonitoringVisit.objects.filter(recorded_at__isnull=True, **holder_filter)
                .order_by("due_date")
                .first()
            )
    only_cases = any([filters.rule, filters.severity, filters.min_score, filters.q, filters.status])
    if not only_cases and not filters.season:
        province = filters.province or actor.province_id
        ordered += _supervision_rows(actor, province, set(rows))
    if filters.commune:
        ordered = [r for r in ordered if r.holder is None or r.holder.commune_id == filters.commune]
    ordered.sort(key=lambda r: (-r.priority, r.code))
    return ordered[:QUEUE_SIZE]


def map_features(actor: Actor, rows: list[Row]) -> dict:
    """The queue's codes as GeoJSON: an area's plots (polygons; the plots' centre when none
    has a polygon), a packing house's point; `status` is the risk colour."""
    from django.urls import reverse

    area_ids = [r.holder.pk for r in rows if isinstance(r.holder, PlantingArea)]
    plots: dict[int, list[dict]] = {}
    for plot in visible(actor, Plot.objects.filter(area_id__in=area_ids)).only(
        "area_id", "geometry"
    ):
        if plot.geometry:
            plots.setdefault(plot.area_id, []).append(plot.geometry)
    centres = {
        row["area"]: (row["lon"], row["lat"])
        for row in visible(actor, Plot.objects.filter(area_id__in=area_ids))
        .values("area")
        .annotate(lon=Avg("centroid_lon"), lat=Avg("centroid_lat"))
    }
    features = []
    for row in rows:
        holder = row.holder
        if holder is None:
            continue
        status = f"risk_{row.severity}" if row.severity else "risk_supervision"
        label = f"{row.code} · {_('priority')} {row.priority}"
        link = (
            reverse("misuse:case", args=[row.cases[0].pk])
            if row.cases
            else reverse(
                "supervision-history-area"
                if row.kind == "area"
                else "supervision-history-packing-house",
                args=[holder.pk],
            )
        )
        popup = (
            f'<a href="{link}">{escape(row.code)}</a><br>'
            f"{escape(_('priority'))}: {row.priority}"
            + "".join(f"<br>{escape(c.rule.label)}" for c in row.cases[:3])
        )
        props = {"status": status, "label": label, "popup": popup, "kind": row.kind}
        geometries = plots.get(holder.pk, []) if row.kind == "area" else []
        if geometries:
            for geometry in geometries:
                features.append({"type": "Feature", "geometry": geometry, "properties": props})
            continue
        point = centres.get(holder.pk) if row.kind == "area" else (holder.lon, holder.lat)
        if point and point[0] is not None and point[1] is not None:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [point[0], point[1]]},
                    "properties": props,
                }
            )
    return {"type": "FeatureCollection", "features": features}
