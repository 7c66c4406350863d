"""Kilograms summed in SQL by groups, without joining the lots for the rows in a mass unit.

`base.kg_expression` is one CASE over an `EventEPC` row: a mass unit × its factor, or a
count × the lot's net weight of one item. Summed over millions of rows, the lot it names
makes the database join the whole lot table although almost every row is in kilograms.
`sum_kg` sums the same figure in two statements: the mass units over the rows alone, the
counts over the few count rows joined to their lots; the two sums are added exactly
(decimals)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, DecimalField, F, QuerySet, Sum, Value, When

from agritrace.trace import checks

_OUTPUT = DecimalField(max_digits=30, decimal_places=6)


def mass_kg(prefix: str = "") -> Case:
    """Kilograms of an `EventEPC` row in a mass unit (NULL for any other unit)."""
    return Case(
        *(
            When(
                **{f"{prefix}uom": unit},
                then=F(f"{prefix}quantity") * Value(factor, output_field=_OUTPUT),
            )
            for unit, factor in checks.MASS_UNITS.items()
        ),
        default=Value(None, output_field=_OUTPUT),
        output_field=_OUTPUT,
    )


def sum_kg(rows: QuerySet, *group: str) -> dict[tuple, Decimal]:
    """{(group values): kilograms} of `EventEPC` rows grouped by `group` (as
    `Sum(kg_expression())` gives; groups whose rows have no known kilograms are left
    out)."""
    out: dict[tuple, Decimal] = defaultdict(Decimal)
    rows = rows.order_by()
    for *key, kg in rows.values(*group).annotate(kg=Sum(mass_kg())).values_list(*group, "kg"):
        if kg is not None:
            out[tuple(key)] += kg
    counted = rows.filter(
        uom__in=list(checks.COUNT_UNITS), quantity__isnull=False, lot__net_weight_kg__isnull=False
    )
    for *key, kg in (
        counted.values(*group)
        .annotate(kg=Sum(F("quantity") * F("lot__net_weight_kg"), output_field=_OUTPUT))
        .values_list(*group, "kg")
    ):
        if kg is not None:
            out[tuple(key)] += kg
    return dict(out)
