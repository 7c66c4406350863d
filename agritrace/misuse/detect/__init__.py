"""The rule functions, one per rule code of `data/rules.json`: `RULES[code](ctx)`."""

from collections.abc import Callable

from agritrace.misuse.findings import Finding

from . import volume
from .base import Context

RuleFunction = Callable[[Context], list[Finding]]

RULES: dict[str, RuleFunction] = {
    "area_volume_over_yield": volume.area_volume_over_yield,
    "plot_volume_over_yield": volume.plot_volume_over_yield,
    "volume_anomaly": volume.volume_anomaly,
}

__all__ = ["RULES", "Context", "RuleFunction"]
