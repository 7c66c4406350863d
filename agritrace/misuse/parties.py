"""Who uses a code at an event, and for which market: (party, market) per event.

The party is the event's source ``owning_party`` as the capture resolved it
(`trace.Event.owning_party`, by the convention of docs/epcis-parties.md: a GLN Digital Link or
the organisation's URN), else the organisation that captured the event. The market is the
event's ``destinationCountry`` extension as the capture stored it (`Event.destination_market`),
else unknown (""). Both are indexed columns: no document is read."""

from __future__ import annotations

from django.db.models import Q, QuerySet


def rows_with_parties(
    queryset: QuerySet, *values: str, prefix: str = "", parties: set[int] | None = None
) -> list[tuple]:
    """`queryset.values_list(*values)` rows with (party id or None, market code) appended,
    the party and market of the event each row reaches through `prefix` ("" when the rows
    are events), in one query. `parties` keeps only rows whose party is one of them."""
    owner, captured = f"{prefix}owning_party_id", f"{prefix}capture_org_id"
    if parties is not None:
        queryset = queryset.filter(
            Q(**{f"{prefix}owning_party__in": parties})
            | Q(**{f"{prefix}owning_party__isnull": True, f"{prefix}capture_org__in": parties})
        )
    n = len(values)
    out = []
    for row in queryset.values_list(*values, owner, captured, f"{prefix}destination_market"):
        party = row[n] or row[n + 1]
        if parties is not None and party not in parties:
            continue
        out.append((*row[:n], party, (row[n + 2] or "").strip().upper()[:8]))
    return out


def parties_and_markets(events: QuerySet) -> dict[int, tuple[int | None, str]]:
    """{event id: (party organisation id or None, market code or "")} for `events`."""
    return {pk: (party, market) for pk, party, market in rows_with_parties(events, "pk")}
