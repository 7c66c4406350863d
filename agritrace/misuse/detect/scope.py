"""The run's areas and packing houses as subqueries the planner can estimate: the
province's communes are read first (a few hundred ids), then the subjects filtered on them
by an index, instead of a join over the province's tree with an OR that the planner takes
for a hundredth of the rows (and then picks nested loops over millions of events)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from agritrace.places.models import AdminUnit
from agritrace.registry.models import PackingHouse, PlantingArea

from .base import Context


def communes(ctx: Context) -> list[int]:
    """The ids of the province's communes (its units one or two levels below), cached."""
    if "communes" not in ctx._cache:
        ctx._cache["communes"] = sorted(
            AdminUnit.objects.filter(
                Q(parent=ctx.province) | Q(parent__parent=ctx.province)
            ).values_list("pk", flat=True)
        )
    return ctx._cache["communes"]


def areas(ctx: Context) -> QuerySet:
    """The run's planting areas (as `Context.areas`), their pks as a subquery."""
    qs = PlantingArea.objects.filter(commune__in=communes(ctx)).exclude(code__isnull=True)
    ids = ctx.limited("area")
    return (qs if ids is None else qs.filter(pk__in=ids)).values("pk")


def houses(ctx: Context) -> QuerySet:
    """The run's packing houses (as `Context.houses`), their pks as a subquery."""
    qs = PackingHouse.objects.filter(commune__in=communes(ctx)).exclude(code__isnull=True)
    ids = ctx.limited("packing_house")
    return (qs if ids is None else qs.filter(pk__in=ids)).values("pk")
