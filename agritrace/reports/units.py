"""The units a target names, read as current communes: a current commune is itself, an
earlier district or commune the current communes it went into (`places.UnitMapping`; an
earlier commune split between two current ones counts in both), the province every commune
of it."""

from django.db.models import Q, QuerySet

from agritrace.places.models import AdminUnit, Level, Tree


def communes_of(province: AdminUnit, unit: AdminUnit | None) -> QuerySet[AdminUnit]:
    """The current communes a target's unit covers (of the province)."""
    current = AdminUnit.objects.filter(tree=Tree.CURRENT, level=Level.COMMUNE).filter(
        Q(parent=province) | Q(parent__parent=province)
    )
    if unit is None or unit.pk == province.pk:
        return current
    if unit.tree == Tree.CURRENT:
        return current.filter(pk=unit.pk)
    if unit.level == Level.DISTRICT:
        return current.filter(mapped_from__legacy__parent=unit).distinct()
    return current.filter(mapped_from__legacy=unit).distinct()


def legacy_units_of(commune: AdminUnit) -> QuerySet[AdminUnit]:
    """The earlier communes and districts that (all or part of them) lie in a current commune."""
    return AdminUnit.objects.filter(
        Q(mapped_to__current=commune) | Q(children__mapped_to__current=commune)
    ).distinct()


def unit_in_province(province: AdminUnit, unit: AdminUnit) -> bool:
    """Whether a unit (of either tree) lies in the current province."""
    if unit.tree == Tree.CURRENT:
        return unit.pk == province.pk or unit.province.pk == province.pk
    return communes_of(province, unit).exists()
