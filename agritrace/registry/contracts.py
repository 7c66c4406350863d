"""Supply contracts as a list: what each organisation may see of them, filtered (the writes
are `services.create_supply_contract` and `services.end_supply_contract`)."""

from datetime import date

from django.db.models import QuerySet

from agritrace.accounts.access import Actor, visible

from .history import contract_active_q
from .models import SupplyContract


def supply_contracts(
    actor: Actor,
    *,
    area: int | None = None,
    area_code: str = "",
    packing_house: int | None = None,
    active_on: date | None = None,
) -> QuerySet[SupplyContract]:
    """The contracts the actor may see (the province its areas' and houses', a packing house
    its own, the representative its areas'), filtered; `active_on` keeps those in force on
    that day."""
    found = visible(
        actor,
        SupplyContract.objects.select_related("area", "packing_house").order_by(
            "-valid_from", "pk"
        ),
    )
    if area is not None:
        found = found.filter(area_id=area)
    if area_code:
        found = found.filter(area__code__iexact=area_code.strip())
    if packing_house is not None:
        found = found.filter(packing_house_id=packing_house)
    if active_on is not None:
        found = found.filter(contract_active_q(active_on))
    return found
