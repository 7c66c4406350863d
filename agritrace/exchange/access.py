"""Who runs the exchange: the system's administrators (a Django superuser) and the managers of
the ministry, a provincial department or a plant-protection office — the people who hold the
national side's addresses and keys. Everyone else is refused (403), the read-only viewer too,
since the connectors carry credentials and the dead letters the payloads."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.accounts.models import OrgKind, Role

ADMIN_KINDS = {OrgKind.MINISTRY, OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION}


def may_administer(actor: Actor) -> bool:
    if getattr(actor.user, "is_superuser", False) and getattr(actor.user, "is_active", False):
        return True
    return not actor.is_public and actor.kind in ADMIN_KINDS and actor.role == Role.MANAGER


def require_administer(actor: Actor) -> None:
    if not may_administer(actor):
        raise PermissionDenied(
            _("Only the system's and the authorities' administrators run the national exchange.")
        )
