"""The rule functions, one per rule code of `data/rules.json`: `RULES[code](ctx)`."""

from collections.abc import Callable

from agritrace.misuse.findings import Finding

from . import rights, volume
from .base import Context

RuleFunction = Callable[[Context], list[Finding]]

RULES: dict[str, RuleFunction] = {
    "area_volume_over_yield": volume.area_volume_over_yield,
    "plot_volume_over_yield": volume.plot_volume_over_yield,
    "volume_anomaly": volume.volume_anomaly,
    "party_without_authorisation": rights.party_without_authorisation,
    "market_not_approved": rights.market_not_approved,
    "code_not_usable": rights.code_not_usable,
}

__all__ = ["RULES", "Context", "RuleFunction"]
