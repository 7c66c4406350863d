"""Who may be sent to inspect: the people whose membership carries the `inspect` permission
(`access.PERMISSIONS`, the province's department and plant-protection office, never the
read-only role), active, in the province of what is inspected. One rule for the inspector
lists of applications and of supervision visits, and for the check when one is chosen."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, QuerySet, Value, When

from .access import PERMISSIONS, READ_ONLY_ROLES
from .models import Role


def inspectors(province_id: int) -> QuerySet:
    """The people who inspect in the province: inspectors first, then by family name and
    given name (names are written family name first, `accounts.names`)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            membership__organisation__unit_id=province_id,
            membership__organisation__kind__in=PERMISSIONS["inspect"],
        )
        .exclude(membership__role__in=READ_ONLY_ROLES)
        .select_related("membership__organisation")
        .annotate(
            _inspector_first=Case(
                When(membership__role=Role.INSPECTOR, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("_inspector_first", "last_name", "first_name", "username")
    )
