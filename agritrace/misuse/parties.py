"""Who uses a code at an event, and for which market: (party, market) per event.

The party is the event's sourceList ``owning_party``: an organisation named by its GLN Digital
Link or its URN (`agritrace.accounts.identifiers`), or by the trace forms' id URN; else the
organisation that captured the event. The market is the importing country the event names in
the service's extension ``destinationCountry`` (what the shipping form and
`trace.builders.shipping` write), else unknown ("").

Read from the stored documents with JSON key transforms in SQL (no document is loaded in
Python). Should `Event` gain owning-party / market columns, only this module changes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.db.models.fields.json import KT

from agritrace.accounts.identifiers import ORG_URN, gln_of
from agritrace.accounts.models import Organisation
from agritrace.trace import builders

#: How many sourceList entries are looked at for an owning party (documents put 1–3).
_SOURCES = 4


def _annotated(events: QuerySet) -> QuerySet:
    fields = {}
    for i in range(_SOURCES):
        fields[f"_st{i}"] = KT(f"document__sourceList__{i}__type")
        fields[f"_ss{i}"] = KT(f"document__sourceList__{i}__source")
    fields["_country"] = KT(f"document__{builders.PREFIX}:destinationCountry")
    return events.annotate(**fields)


class PartyBook:
    """Party URIs → organisation ids, resolved once per distinct URI."""

    def __init__(self) -> None:
        self.cache: dict[str, int | None] = {}

    def resolve(self, uris: Iterable[str]) -> None:
        todo = {u for u in uris if u and u not in self.cache}
        if not todo:
            return
        idents = {u[len(ORG_URN) :]: u for u in todo if u.startswith(ORG_URN)}
        glns = {gln_of(u): u for u in todo if not u.startswith(ORG_URN) and gln_of(u)}
        for u in todo:
            self.cache[u] = None
        for pk, ident in Organisation.objects.filter(identifier__in=idents).values_list(
            "pk", "identifier"
        ):
            self.cache[idents[ident]] = pk
        for pk, gln in Organisation.objects.filter(gln__in=glns).values_list("pk", "gln"):
            self.cache[glns[gln]] = pk
        # The trace forms name an organisation by its database id (`trace.builders.party_uri`).
        by_pk = {
            int(ident): uri
            for ident, uri in idents.items()
            if ident.isdigit() and self.cache[uri] is None
        }
        for pk in Organisation.objects.filter(pk__in=by_pk).values_list("pk", flat=True):
            self.cache[by_pk[pk]] = pk

    def get(self, uri: str) -> int | None:
        return self.cache.get(uri)


def _is_owner(kind: str | None) -> bool:
    return bool(kind) and str(kind).rsplit(":", 1)[-1].rsplit("/", 1)[-1] == "owning_party"


def parties_and_markets(events: QuerySet) -> dict[int, tuple[int | None, str]]:
    """{event id: (party organisation id or None, market code or "")} for `events`."""
    rows = list(
        _annotated(events).values_list(
            "pk",
            "capture_org_id",
            "_country",
            *[f"_st{i}" for i in range(_SOURCES)],
            *[f"_ss{i}" for i in range(_SOURCES)],
        )
    )
    owners: dict[int, str] = {}
    for row in rows:
        kinds, sources = row[3 : 3 + _SOURCES], row[3 + _SOURCES :]
        for kind, source in zip(kinds, sources, strict=True):
            if _is_owner(kind) and source:
                owners[row[0]] = source
                break
    book = PartyBook()
    book.resolve(owners.values())
    out = {}
    for row in rows:
        pk, capture_org, country = row[0], row[1], row[2]
        party = book.get(owners[pk]) if pk in owners else None
        out[pk] = (party or capture_org, (country or "").strip().upper()[:8])
    return out
