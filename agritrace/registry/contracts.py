"""Supply contracts between a packing house and the areas it packs: written by the house's
operator or the authority (one transaction, audited, the parties told), ended, and listed as
each organisation may see them."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import PUBLIC, Actor, can, get_visible, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.notifications.services import notify

from .history import contract_active_q
from .models import (
    CodeStatus,
    PackingHouse,
    PlantingArea,
    SupplyContract,
)


def may_manage_supply_contracts(actor: Actor, house: PackingHouse) -> bool:
    """The packing house's operator, or the province's authority, keeps its contracts."""
    if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        return can(actor, "apply") and house.operator_id == actor.organisation.pk
    if actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        return can(actor, "edit_registry")
    return False


def _house_for_contracts(actor: Actor, house_id: int) -> PackingHouse:
    if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        require(actor, "apply")
    elif actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        require(actor, "edit_registry")
    else:
        raise PermissionDenied(_("Your role may not keep supply contracts."))
    house = get_visible(actor, PackingHouse.objects.select_for_update(), pk=house_id)
    if not may_manage_supply_contracts(actor, house):
        raise PermissionDenied(_("Only the packing house's operator keeps its contracts."))
    return house


def contract_areas(past: bool = False) -> QuerySet:
    """Planting areas a packing house can contract with: any area whose code is issued (the
    code is on the public list, so a packing house can name an area it does not see yet).
    For a contract whose period is over (`past`), any area that has a code, whatever its
    status now: it may have been suspended or revoked since."""
    statuses = [CodeStatus.ISSUED]
    if past:
        statuses += [CodeStatus.SUSPENDED, CodeStatus.REVOKED]
    return visible(PUBLIC, PlantingArea.objects.filter(code_status__in=statuses))


def find_contract_area(area_id: int | None = None, code: str | None = None) -> PlantingArea | None:
    """The area named by id or by code that a new contract may name, or None (the service
    then says why)."""
    areas = contract_areas(past=True)
    if area_id is not None:
        return areas.filter(pk=area_id).first()
    if isinstance(code, str) and code.strip():
        return areas.filter(code__iexact=code.strip()).first()
    return None


def _contract_parties(contract: SupplyContract) -> list[Organisation]:
    area = contract.area
    communes = Organisation.objects.filter(kind=OrgKind.COMMUNE, unit=area.commune)
    return [*communes, area.representative]


@transaction.atomic
def create_supply_contract(
    actor: Actor,
    packing_house: PackingHouse,
    area: PlantingArea | None,
    valid_from: date | None,
    valid_to: date | None,
    reference: str = "",
) -> SupplyContract:
    """A packing house buys from a planting area for a period. The packing house's operator
    or the province's authority records it; the area's commune and representative are told.
    The period may lie in the past (a contract signed before AgriTrace, recorded late): the
    area then needs a code, not one that is issued today, and the rules judge each event by
    the contract in force on its day (`history.contract_active_q`)."""
    house = _house_for_contracts(actor, packing_house.pk)
    errors: dict = {}
    past = isinstance(valid_to, date) and valid_to < timezone.localdate()
    if house.code_status == CodeStatus.REVOKED and not past:
        errors["packing_house"] = _("A packing house whose code is revoked takes no contracts.")
    area = contract_areas(past=past).filter(pk=getattr(area, "pk", None)).first()
    if area is None:
        errors["area"] = _(
            "Name a planting area whose code is issued: only such an area can supply under "
            "contract."
        )
    if not isinstance(valid_from, date) or not isinstance(valid_to, date):
        errors["valid_to"] = _("Give the start and end of the contract.")
    elif valid_to < valid_from:
        errors["valid_to"] = _("The end comes before the start.")
    reference = reference.strip() if isinstance(reference, str) else ""
    if len(reference) > 60:
        errors["reference"] = _("A contract reference has at most 60 characters.")
    if (
        not errors
        and house.supply_contracts.filter(
            area=area, valid_from__lte=valid_to, valid_to__gte=valid_from
        ).exists()
    ):
        errors["valid_from"] = _(
            "This packing house already has a contract with this area for part of that period."
        )
    if errors:
        raise ValidationError(errors)
    contract = SupplyContract.objects.create(
        packing_house=house,
        area=area,
        valid_from=valid_from,
        valid_to=valid_to,
        reference=reference,
    )
    record(actor.user, "supply_contract.create", contract, None, snapshot(contract))
    notify(
        _contract_parties(contract),
        _("%(house)s buys from %(area)s") % {"house": house.name, "area": area.code or area.name},
        _("Supply contract %(ref)s from %(a)s to %(b)s.")
        % {"ref": reference or "—", "a": valid_from.isoformat(), "b": valid_to.isoformat()},
        reverse("area-detail", args=[area.pk]),
    )
    return contract


@transaction.atomic
def end_supply_contract(
    actor: Actor, contract: SupplyContract, on: date | None = None, reason: str = ""
) -> SupplyContract:
    """End a contract early: its last day becomes `on` (today by default)."""
    _house_for_contracts(actor, contract.packing_house_id)
    contract = (
        SupplyContract.objects.select_for_update()
        .select_related("area__commune", "area__representative", "packing_house")
        .get(pk=contract.pk)
    )
    today = timezone.localdate()
    on = on or today
    if contract.valid_to < today:
        raise ValidationError({"on": _("This contract is already over.")})
    if on < today:
        raise ValidationError({"on": _("A contract cannot be ended in the past.")})
    if on < contract.valid_from:
        raise ValidationError(
            {
                "on": _("The contract starts on %(d)s; it cannot end before then.")
                % {"d": contract.valid_from.isoformat()}
            }
        )
    if on >= contract.valid_to:
        raise ValidationError(
            {"on": _("The contract already ends on %(d)s.") % {"d": contract.valid_to.isoformat()}}
        )
    reason = reason.strip() if isinstance(reason, str) else ""
    before = snapshot(contract)
    contract.valid_to = on
    contract.save(update_fields=["valid_to"])
    record(actor.user, "supply_contract.end", contract, before, snapshot(contract), reason)
    notify(
        _contract_parties(contract),
        _("Supply contract of %(house)s with %(area)s ends")
        % {"house": contract.packing_house.name, "area": contract.area.code or contract.area.name},
        _("Last day: %(d)s. %(reason)s") % {"d": on.isoformat(), "reason": reason},
        reverse("area-detail", args=[contract.area_id]),
    )
    return contract


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
