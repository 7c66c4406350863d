"""What was achieved against each target, computed from the records (never typed twice):

* hectares and planting-area codes: the areas of the unit and crop whose code was issued in
  the year (`cumulative`: that hold an issued or suspended code at the end of the year), the
  hectares measured from the plots where measured, else declared;
* packing-house codes: the houses of the unit with a code issued in the year (or held at its
  end), whatever they pack;
* residue samples: samples taken in the year at areas of the unit and crop (not cancelled);
* training classes: classes held in the year in the unit, on the crop (or on every crop).

The issue date is the latest `CodeStatusChange` to issued (so codes imported from before
AgriTrace count on the day they were issued on paper), else `issued_at`."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea
from agritrace.supervision.models import Sample, SampleStatus

from .groups import group_crops, group_label
from .models import Metric, Target, TrainingClass
from .units import communes_of


def year_bounds(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(date(year, 1, 1), time.min), zone)
    end = timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min), zone)
    return start, end


def _crop_q(target: Target, path: str = "crop__code") -> Q:
    if target.crop_id:
        return Q(**{path: target.crop.code})
    if target.crop_group:
        return Q(**{f"{path}__in": group_crops(target.crop_group)})
    return Q()


def _issued_in(qs: QuerySet, start: datetime, end: datetime, cumulative: bool) -> QuerySet:
    if cumulative:
        # holds a code at the end of the year: issued before it and not revoked (as today)
        return qs.filter(
            code_status__in=[CodeStatus.ISSUED, CodeStatus.SUSPENDED], issued_at__lt=end
        )
    return qs.filter(
        Q(status_changes__status=CodeStatus.ISSUED, status_changes__effective_at__gte=start)
        & Q(status_changes__effective_at__lt=end)
    ).distinct()


def records(target: Target) -> QuerySet:
    """The records behind a target's achieved figure (the drill-down)."""
    start, end = year_bounds(target.year)
    communes = communes_of(target.province, target.unit)
    if target.metric in (Metric.HECTARES, Metric.AREA_CODES):
        qs = PlantingArea.objects.filter(commune__in=communes).filter(_crop_q(target))
        return _issued_in(qs, start, end, target.cumulative).select_related("crop", "commune")
    if target.metric == Metric.PACKING_HOUSES:
        qs = PackingHouse.objects.filter(commune__in=communes)
        return _issued_in(qs, start, end, target.cumulative).select_related("commune")
    if target.metric == Metric.RESIDUE_SAMPLES:
        return (
            Sample.objects.filter(area__commune__in=communes)
            .filter(_crop_q(target, "area__crop__code"))
            .filter(sampled_on__gte=start.date(), sampled_on__lt=end.date())
            .exclude(status=SampleStatus.CANCELLED)
            .select_related("area")
        )
    qs = TrainingClass.objects.filter(
        province=target.province, held_on__gte=start.date(), held_on__lt=end.date()
    )
    if target.unit_id and target.unit_id != target.province_id:
        qs = qs.filter(commune__in=communes)
    if target.crop_id or target.crop_group:
        qs = qs.filter(_crop_q(target) | Q(crop__isnull=True))
    return qs


def _hectares(area: PlantingArea) -> Decimal:
    return area.measured_area_ha if area.measured_area_ha is not None else area.declared_area_ha


def achieved_value(target: Target, rows: list | None = None) -> Decimal:
    rows = list(records(target)) if rows is None else rows
    if target.metric == Metric.HECTARES:
        return sum((_hectares(a) for a in rows), Decimal("0"))
    return Decimal(len(rows))


@dataclass
class Figure:
    target: Target
    achieved: Decimal
    percent: float | None
    codes: list[dict] = field(default_factory=list)

    @property
    def unit_name(self) -> str:
        return self.target.unit.name if self.target.unit_id else self.target.province.name

    @property
    def crop_name(self) -> str:
        if self.target.crop_id:
            return str(self.target.crop)
        if self.target.crop_group:
            return group_label(self.target.crop_group)
        return ""


def _code_row(target: Target, obj) -> dict:
    if target.metric in (Metric.HECTARES, Metric.AREA_CODES):
        return {"kind": "area", "id": obj.pk, "code": obj.code or "", "name": obj.name,
                "hectares": str(_hectares(obj))}  # fmt: skip
    if target.metric == Metric.PACKING_HOUSES:
        return {"kind": "packing_house", "id": obj.pk, "code": obj.code or "", "name": obj.name}
    if target.metric == Metric.RESIDUE_SAMPLES:
        return {"kind": "sample", "id": obj.pk, "code": obj.code, "name": obj.area.name}
    return {"kind": "training", "id": obj.pk, "code": "", "name": obj.title}


def figure(target: Target, with_codes: bool = False) -> Figure:
    rows = list(records(target))
    value = achieved_value(target, rows)
    percent = float(value / target.value * 100) if target.value else None
    codes = [_code_row(target, r) for r in rows] if with_codes else []
    return Figure(target, value, round(percent, 1) if percent is not None else None, codes)


def figures(targets: QuerySet[Target], with_codes: bool = False) -> list[Figure]:
    return [figure(t, with_codes) for t in targets]


def chart_series(found: list[Figure]) -> dict:
    """The page's chart: per target, the target and the achieved figure (Chart.js bars)."""
    labels = []
    for f in found:
        bits = [f.unit_name, str(f.target.year), f.target.get_metric_display()]
        if f.crop_name:
            bits.insert(1, f.crop_name)
        labels.append(" · ".join(bits))
    return {
        "labels": labels,
        "percent": [f.percent for f in found],
        "target": [float(f.target.value) for f in found],
        "achieved": [float(f.achieved) for f in found],
    }


def map_features(found: list[Figure]) -> dict:
    """The areas behind the hectare and area-code figures, as points (plot centroids), with
    the figure's percentage, for the page's map."""
    from agritrace.registry.models import Plot

    ids = {c["id"] for f in found for c in f.codes if c["kind"] == "area"}
    features = []
    seen = set()
    for plot in Plot.objects.filter(area_id__in=ids).select_related("area").order_by("area_id"):
        if plot.area_id in seen:
            continue
        seen.add(plot.area_id)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [plot.centroid_lon, plot.centroid_lat],
                },
                "properties": {
                    "id": plot.area_id,
                    "code": plot.area.code or "",
                    "name": plot.area.name,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
