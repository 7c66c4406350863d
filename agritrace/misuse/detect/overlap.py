"""Rule group 6: registration overlaps (the registry's `PlotOverlap` flags, written both ways
by the plot check) and copied stamps (the stamps app's suspected-copy mark)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F
from django.utils.translation import gettext as _

from agritrace.misuse.findings import Finding
from agritrace.registry.models import PlantingArea, PlotOverlap
from agritrace.stamps.models import Stamp

from .base import Context, lot_area_map


def _overlaps(ctx: Context, rule: str, same_area: bool) -> list[Finding]:
    """Overlaps flagged before the season's end. A registration overlap stands in every
    season it lasts: each season's case says it is still there."""
    min_share = float(ctx.threshold(rule, "min_overlap_share", 0.1))
    rows = PlotOverlap.objects.filter(
        detected_at__lt=ctx.end, plot__area__in=ctx.area_ids(), other__area__isnull=False
    )
    rows = (
        rows.filter(plot__area=F("other__area"))
        if same_area
        else rows.exclude(plot__area=F("other__area"))
    )
    if same_area:
        rows = rows.exclude(plot__household=F("other__household"))
    per_area: dict[int, list[dict]] = defaultdict(list)
    codes = {}
    for o in rows.values(
        "plot_id",
        "plot__label",
        "plot__area_id",
        "plot__area__code",
        "plot__area_m2",
        "plot__household_id",
        "other_id",
        "other__label",
        "other__area__code",
        "other__area__name",
        "other__area_m2",
        "other__household_id",
        "overlap_m2",
    ):
        smaller = min(o["plot__area_m2"] or 0, o["other__area_m2"] or 0)
        share = o["overlap_m2"] / smaller if smaller else 1.0
        if share < min_share:
            continue
        codes[o["plot__area_id"]] = o["plot__area__code"] or ""
        per_area[o["plot__area_id"]].append(
            {
                "plot": o["plot_id"],
                "label": o["plot__label"],
                "other": o["other_id"],
                "other_label": o["other__label"],
                "other_code": o["other__area__code"] or "",
                "other_area": o["other__area__name"],
                "other_household": o["other__household_id"],
                "overlap_m2": round(o["overlap_m2"], 1),
                "share": round(share, 4),
            }
        )
    findings = []
    for area, pairs in sorted(per_area.items()):
        pairs.sort(key=lambda p: (p["plot"], p["other"]))
        worst = max(p["share"] for p in pairs)
        others = sorted({p["other_code"] or p["other_area"] for p in pairs})
        summary = (
            _(
                "%(n)d plot(s) of code %(code)s overlap plots of other households in the same "
                "area (up to %(share)s%% of a plot)."
            )
            if same_area
            else _(
                "%(n)d plot(s) of code %(code)s are also registered under %(others)s (up to "
                "%(share)s%% of a plot)."
            )
        )
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="area",
                subject_id=area,
                code=codes[area],
                figures={"overlaps": pairs, "other_codes": others, "largest_share": worst},
                threshold={"min_overlap_share": min_share},
                ratio=worst / min_share if min_share else 1.0,
                summary=summary
                % {
                    "n": len({p["plot"] for p in pairs}),
                    "code": codes[area],
                    "others": ", ".join(others),
                    "share": f"{worst * 100:.0f}",
                },
            )
        )
    return findings


def plot_in_two_codes(ctx: Context) -> list[Finding]:
    return _overlaps(ctx, "plot_in_two_codes", same_area=False)


def plot_overlaps_household(ctx: Context) -> list[Finding]:
    return _overlaps(ctx, "plot_overlaps_household", same_area=True)


def stamp_copied(ctx: Context) -> list[Finding]:
    """Stamps marked as suspected copies in the season, on the lots of the run's areas."""
    rule = "stamp_copied"
    stamps = list(
        Stamp.objects.filter(suspected_copy_at__gte=ctx.start, suspected_copy_at__lt=ctx.end)
        .values_list("serial", "batch__lot_id", "batch__lot__uri", "batch__requested_by_id")
        .order_by("serial")
    )
    if not stamps:
        return []
    areas_of = lot_area_map({s[1] for s in stamps})
    wanted = set(ctx.area_ids())
    per_area: dict[int, list[tuple]] = defaultdict(list)
    for stamp in stamps:
        for area in areas_of.get(stamp[1], ()):
            if area in wanted:
                per_area[area].append(stamp)
    codes = dict(PlantingArea.objects.filter(pk__in=per_area).values_list("pk", "code"))
    findings = []
    for area, found in sorted(per_area.items()):
        parties = [s[3] for s in found]
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="area",
                subject_id=area,
                code=codes.get(area) or "",
                figures={"stamps": len(found), "serials": [s[0] for s in found][:50]},
                threshold={"copy_check": "stamps app's suspected-copy rule"},
                lots=sorted({s[2] for s in found}),
                party_id=max(set(parties), key=parties.count),
                summary=_("%(n)d stamp(s) of code %(code)s look copied (scanned as copies are).")
                % {"n": len(found), "code": codes.get(area)},
            )
        )
    return findings
