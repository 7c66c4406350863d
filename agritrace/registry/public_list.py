"""An area's flags (declared against measured area, overlaps, missing data) and the public code
list: what is published of issued, suspended and revoked codes, without personal data."""

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from . import geometry as geo
from .models import (
    ApprovalStatus,
    CodeHolder,
    CodeStatus,
    PackingHouse,
    PlantingArea,
    PlotOverlap,
)

#: Declared and measured area may differ by this much before the area is flagged.
AREA_TOLERANCE = 0.10


def area_flags(area: PlantingArea) -> list[str]:
    flags = []
    measured = float(area.measured_area_ha)
    declared = float(area.declared_area_ha)
    diff = geo.area_discrepancy(declared, measured, AREA_TOLERANCE)
    if diff is not None and area.plots.exists():
        # numbers in the page's locale (1,20 ha in Vietnamese), as the pages show them;
        # rounded first: number_format cuts the digits off
        flags.append(
            _("Declared %(d)s ha but the plots measure %(m)s ha (%(p)s%%).")
            % {
                "d": number_format(round(declared, 2), 2),
                "m": number_format(round(measured, 2), 2),
                "p": ("+" if diff > 0 else "") + number_format(round(diff * 100), 0),
            }
        )
    overlap_count = PlotOverlap.objects.filter(plot__area=area).count()
    if overlap_count:
        flags.append(
            _("%(n)d plot overlap(s) with another household or code.") % {"n": overlap_count}
        )
    return flags


PUBLISHED = [CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED]


def public_code_list(filters: dict | None = None) -> list[dict]:
    """The list importing countries ask for: no personal data, issued codes only."""
    filters = filters or {}
    rows: list[dict] = []
    areas: QuerySet = (
        PlantingArea.objects.filter(code_status__in=PUBLISHED)
        .select_related("crop", "commune__parent")
        .prefetch_related("markets", "approvals__market")
    )
    houses: QuerySet = (
        PackingHouse.objects.filter(code_status__in=PUBLISHED)
        .select_related("commune__parent")
        .prefetch_related("crops", "markets", "approvals__market")
    )
    if filters.get("q"):
        q = filters["q"].strip()
        areas = areas.filter(Q(code__icontains=q) | Q(name__icontains=q))
        houses = houses.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if filters.get("status"):
        areas = areas.filter(code_status=filters["status"])
        houses = houses.filter(code_status=filters["status"])
    if filters.get("province"):
        areas = areas.filter(commune__parent_id=filters["province"])
        houses = houses.filter(commune__parent_id=filters["province"])
    if filters.get("crop"):
        areas = areas.filter(crop__code=filters["crop"])
        houses = houses.filter(crops__code=filters["crop"])
    if filters.get("market"):
        areas = areas.filter(markets__code=filters["market"])
        houses = houses.filter(markets__code=filters["market"])
    kind = filters.get("kind")
    if kind != "packing_house":
        for a in areas.distinct():
            rows.append(_public_row(a, "area", str(a.crop), a.declared_area_ha))
    if kind != "area":
        for h in houses.distinct():
            rows.append(
                _public_row(h, "packing_house", ", ".join(str(c) for c in h.crops.all()), None)
            )
    rows.sort(key=lambda r: r["code"])
    return rows


def _public_row(holder: CodeHolder, kind: str, crop: str, area_ha) -> dict:
    approved = {
        a.market.code for a in holder.approvals.all() if a.status == ApprovalStatus.APPROVED
    }
    if holder.code_status == CodeStatus.REVOKED:
        approved = set()  # revocation withdraws the approvals (lifecycle.revoke)
    return {
        "code": holder.code,
        "kind": kind,
        "name": holder.name,
        "crop": crop,
        "province": holder.commune.parent.name if holder.commune.parent_id else "",
        "commune": holder.commune.name,
        "area_ha": float(area_ha) if area_ha is not None else None,
        "status": holder.code_status,
        "markets": sorted(m.code for m in holder.markets.all()),
        "approved_markets": sorted(approved),
        "issued_at": timezone.localdate(holder.issued_at).isoformat() if holder.issued_at else None,
    }
