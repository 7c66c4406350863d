"""What keeps a planting area from being filed for a market: the market's rules (minimum
area, permitted varieties, one variety, required certificates), read by the filing and by the
moves of a code (`lifecycle`)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Market, PlantingArea


def market_rule_problems(area: PlantingArea, market: Market, day: date | None = None) -> list[str]:
    """What keeps this area from being filed for this market (empty: nothing)."""
    day = day or timezone.localdate()
    problems = []
    rules = market.rules.filter(Q(crop=area.crop) | Q(crop__isnull=True))
    for rule in rules:
        if rule.min_area_ha is not None and area.declared_area_ha < rule.min_area_ha:
            problems.append(
                _("%(market)s asks for at least %(min)s ha of %(crop)s; this area has %(has)s ha.")
                % {
                    "market": market,
                    "min": rule.min_area_ha,
                    "crop": area.crop,
                    "has": area.declared_area_ha,
                }
            )
        permitted = list(rule.permitted_varieties.all())
        if permitted and area.variety not in permitted:
            problems.append(
                _("%(market)s accepts only these varieties: %(v)s.")
                % {"market": market, "v": ", ".join(v.name for v in permitted)}
            )
        if rule.single_variety and area.variety is None:
            problems.append(
                _("%(market)s asks for one variety per area; name it.") % {"market": market}
            )
        if rule.required_certificates:
            valid = area.certificates.filter(
                kind__in=rule.required_certificates, valid_from__lte=day, valid_to__gte=day
            )
            if not valid.exists():
                problems.append(
                    _("%(market)s asks for a valid certificate: %(kinds)s.")
                    % {"market": market, "kinds": ", ".join(rule.required_certificates)}
                )
    return problems
