"""What a code, an authorisation or a supply contract allowed at a given moment.

Events reach AgriTrace late (a harvest of September uploaded in December), and codes issued
before AgriTrace are loaded with their past. Every rule that depends on a code's status, an
authorisation or a supply contract judges the event at the event's time, never at the time it
arrives: these functions give that answer from `CodeStatusChange` (one row per move, written
by `registry.lifecycle` and by imports) and from the periods of `CodeAuthorisation` and
`SupplyContract`.

A holder with no recorded change (data older than the history) falls back to its current
state from `issued_at` on (the moment it changed is unknown, so the fallback is the strict
reading); before its first recorded change a holder is issued from `issued_at` on.
"""

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from .models import (
    CodeHolder,
    CodeStatus,
    CodeStatusChange,
    PackingHouse,
    PlantingArea,
)


def _holder_kwargs(holder: CodeHolder) -> dict:
    if isinstance(holder, PlantingArea):
        return {"area": holder}
    if isinstance(holder, PackingHouse):
        return {"packing_house": holder}
    raise TypeError(f"not a code holder: {holder!r}")


def change(
    holder: CodeHolder,
    status: str,
    effective_at: datetime | None = None,
    reason: str = "",
    user=None,
    source: str = "",
    until: date | None = None,
) -> CodeStatusChange:
    """One move of the holder's history, not yet saved (see `record_changes`)."""
    return CodeStatusChange(
        code=holder.code or "",
        status=status,
        effective_at=effective_at or timezone.now(),
        until=until,
        reason=reason,
        source=source[:200],
        recorded_by=user if getattr(user, "pk", None) else None,
        **_holder_kwargs(holder),
    )


def record_change(
    holder: CodeHolder,
    status: str,
    effective_at: datetime | None = None,
    reason: str = "",
    user=None,
    source: str = "",
    until: date | None = None,
) -> CodeStatusChange:
    """Add one move to the holder's history (inside the caller's transaction)."""
    row = change(holder, status, effective_at, reason, user, source, until)
    row.save()
    return row


def record_changes(rows: list[CodeStatusChange]) -> list[CodeStatusChange]:
    """Add many moves made by `change` at once (imports; inside the caller's transaction)."""
    return CodeStatusChange.objects.bulk_create(rows, batch_size=500)


class Timeline:
    """The status history of many holders, loaded at once: `status(id, when)`.

    `kind` is "area" or "packing_house"; ids of holders without history fall back to their
    current state (see the module's docstring)."""

    def __init__(self, kind: str, ids: Iterable[int]):
        ids = {i for i in ids if i is not None}
        self.kind = kind
        self.changes: dict[int, list[tuple[datetime, str]]] = {}
        self.current: dict[int, tuple[datetime | None, str]] = {}
        if not ids:
            return
        field = "area_id" if kind == "area" else "packing_house_id"
        for holder_id, at, status in (
            CodeStatusChange.objects.filter(**{f"{field}__in": ids})
            .order_by("effective_at", "pk")
            .values_list(field, "effective_at", "status")
        ):
            self.changes.setdefault(holder_id, []).append((at, status))
        model = PlantingArea if kind == "area" else PackingHouse
        for pk, issued_at, status in model.objects.filter(pk__in=ids).values_list(
            "pk", "issued_at", "code_status"
        ):
            self.current[pk] = (issued_at, status)

    def status(self, holder_id: int, when: datetime) -> str:
        """The holder's code status at `when` (CodeStatus value)."""
        issued_at, current = self.current.get(holder_id, (None, CodeStatus.NONE))
        changes = self.changes.get(holder_id)
        if not changes:
            if issued_at is None:
                return current  # no history at all: its current state is all we know
            return CodeStatus.NONE if when < issued_at else current
        found = (
            CodeStatus.ISSUED if issued_at is not None and issued_at <= when else CodeStatus.NONE
        )
        for at, status in changes:
            if at > when:
                break
            found = status
        return found

    def is_issued(self, holder_id: int, when: datetime) -> bool:
        return self.status(holder_id, when) == CodeStatus.ISSUED


def status_at(holder: CodeHolder, when: datetime) -> str:
    """One holder's code status at `when`."""
    kind = "area" if isinstance(holder, PlantingArea) else "packing_house"
    return Timeline(kind, [holder.pk]).status(holder.pk, when)


def authorisation_active_q(day: date, prefix: str = "") -> Q:
    """The authorisations (`CodeAuthorisation`) in force on `day`; `prefix` reaches them
    through a relation (e.g. "authorisations__")."""
    return Q(**{f"{prefix}valid_from__lte": day, f"{prefix}valid_to__gte": day}) & (
        Q(**{f"{prefix}withdrawn_from__isnull": True}) | Q(**{f"{prefix}withdrawn_from__gt": day})
    )


def contract_active_q(day: date, prefix: str = "") -> Q:
    """The supply contracts (`SupplyContract`) in force on `day`."""
    return Q(**{f"{prefix}valid_from__lte": day, f"{prefix}valid_to__gte": day})
