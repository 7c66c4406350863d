"""The rule functions, one per rule code of `data/rules.json`: `RULES[code](ctx)`."""

from collections.abc import Callable

from agritrace.misuse.findings import Finding

from . import capacity, far_apart, harvests, overlap, patterns, rights, volume
from .base import Context

RuleFunction = Callable[[Context], list[Finding]]

RULES: dict[str, RuleFunction] = {
    "area_volume_over_yield": volume.area_volume_over_yield,
    "plot_volume_over_yield": volume.plot_volume_over_yield,
    "volume_anomaly": volume.volume_anomaly,
    "party_without_authorisation": rights.party_without_authorisation,
    "market_not_approved": rights.market_not_approved,
    "code_not_usable": rights.code_not_usable,
    "house_over_capacity": capacity.house_over_capacity,
    "house_without_contract": capacity.house_without_contract,
    "houses_far_apart": far_apart.houses_far_apart,
    "harvest_out_of_season": harvests.harvest_out_of_season,
    "harvest_without_diary": harvests.harvest_without_diary,
    "harvest_within_phi": harvests.harvest_within_phi,
    "exporter_code_surge": patterns.exporter_code_surge,
    "plot_in_two_codes": overlap.plot_in_two_codes,
    "plot_overlaps_household": overlap.plot_overlaps_household,
    "stamp_copied": overlap.stamp_copied,
}

__all__ = ["RULES", "Context", "RuleFunction"]
