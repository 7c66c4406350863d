"""Finding cases: the filters that the API, the dashboard and the XLSX export share, always
inside what the actor may see (`access.visible_cases`)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor

from . import access
from .models import CaseStatus, Severity

#: Statuses still waiting for the officer (what the queue shows unless told otherwise).
ACTIVE = (CaseStatus.OPEN, CaseStatus.REVIEW, CaseStatus.CONFIRMED)


@dataclass
class CaseFilters:
    province: int | None = None
    commune: int | None = None
    season: str | None = None
    rule: str | None = None
    status: str | None = None
    severity: str | None = None
    min_score: float | None = None
    q: str | None = None

    @classmethod
    def from_mapping(cls, data) -> "CaseFilters":
        """From a query string (the pages); a bad number is an error on its field."""

        def text(name: str) -> str | None:
            value = (data.get(name) or "").strip()
            return value or None

        def number(name: str, kind):
            value = text(name)
            if value is None:
                return None
            try:
                return kind(value)
            except ValueError:
                raise ValidationError({name: _("Enter a number.")}) from None

        return cls(
            province=number("province", int),
            commune=number("commune", int),
            season=text("season"),
            rule=text("rule"),
            status=text("status"),
            severity=text("severity"),
            min_score=number("min_score", float),
            q=text("q"),
        )


def cases(actor: Actor, filters: CaseFilters | None = None) -> QuerySet:
    """The visible cases matching `filters`, highest score first."""
    f = filters or CaseFilters()
    errors = {}
    if f.status and f.status not in CaseStatus.values:
        errors["status"] = _("Unknown status: %(value)s") % {"value": f.status}
    if f.severity and f.severity not in Severity.values:
        errors["severity"] = _("Unknown severity: %(value)s") % {"value": f.severity}
    if errors:
        raise ValidationError(errors)
    qs = access.visible_cases(actor).select_related(
        "rule", "party", "province", "commune", "area", "packing_house", "organisation"
    )
    if f.province:
        qs = qs.filter(province_id=f.province)
    if f.commune:
        qs = qs.filter(commune_id=f.commune)
    if f.season:
        qs = qs.filter(season=f.season)
    if f.rule:
        qs = qs.filter(rule__code=f.rule)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.min_score is not None:
        qs = qs.filter(score__gte=f.min_score)
    if f.q:
        qs = qs.filter(
            Q(code__icontains=f.q) | Q(summary__icontains=f.q) | Q(party__name__icontains=f.q)
        )
    return qs.order_by("-score", "-last_found_at", "pk")
