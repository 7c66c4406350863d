"""Who sees processing facilities and production units (called by `accounts.access.visible`,
the one place access is decided, with the actor's territorial filter).

Facilities are scoped like packing houses: the authorities and the commune by the facility's
commune, the operator its own facilities, everyone else (signed in) those with a facility code
issued by the province. Production units: the authorities and the commune by place, the owner
(an organisation, a household's own organisation, or the representative of the owner
household)."""

from django.db.models import Q

from agritrace.accounts.models import OrgKind


def product_filter(actor, name: str, place: Q | None) -> Q | None:
    if name in ("products.Product", "products.ProcessingRelation"):
        return Q()  # the catalogue is public data
    if actor.is_public:
        return None
    if place is not None:
        return place
    org_id = actor.organisation.pk
    if name == "products.ProcessingFacility":
        if actor.kind == OrgKind.PROCESSOR:
            return Q(operator_id=org_id)
        return Q(code__isnull=False)
    if name == "products.ProductionUnit":
        if actor.kind == OrgKind.REPRESENTATIVE:
            return Q(owner_org_id=org_id) | Q(owner_household__representative_id=org_id)
        if actor.kind == OrgKind.HOUSEHOLD:
            return Q(owner_household__organisation_id=org_id)
        return Q(owner_org_id=org_id)
    return None
