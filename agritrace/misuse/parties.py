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

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from agritrace.accounts.identifiers import ORG_URN, gln_of
from agritrace.accounts.models import Organisation
from agritrace.trace import builders

#: How many sourceList entries are looked at for an owning party (documents put 1–3).
_SOURCES = 4


def _annotations(prefix: str = "") -> dict:
    """The JSON fields read, on events reached through `prefix` ("" or "event__")."""
    doc = f"{prefix}document"

    def source(i: int, key: str):
        return KeyTextTransform(key, KeyTransform(i, KeyTransform("sourceList", doc)))

    fields = {}
    for i in range(_SOURCES):
        fields[f"_st{i}"] = source(i, "type")
        fields[f"_ss{i}"] = source(i, "source")
    fields["_country"] = KeyTextTransform(f"{builders.PREFIX}:destinationCountry", doc)
    return fields


def _annotated(events: QuerySet, prefix: str = "") -> QuerySet:
    return events.annotate(**_annotations(prefix))


def party_uris(org_ids: set[int]) -> set[str]:
    """Every way an event may name these organisations as a party."""
    uris = set()
    for pk, ident, gln in Organisation.objects.filter(pk__in=org_ids).values_list(
        "pk", "identifier", "gln"
    ):
        uris.add(f"{ORG_URN}{pk}")
        if ident:
            uris.add(f"{ORG_URN}{ident}")
        if gln:
            uris.add(f"https://id.gs1.org/417/{gln}")
    return uris


def rows_with_parties(
    queryset: QuerySet, *values: str, prefix: str = "", parties: set[int] | None = None
) -> list[tuple]:
    """`queryset.values_list(*values)` rows with (party id or None, market code) appended,
    the party and market of the event each row reaches through `prefix` ("" when the rows
    are events), in one query. `parties` keeps only rows whose party is one of them (the
    filter runs in SQL first: capture organisation or a named party)."""
    qs = _annotated(queryset, prefix)
    if parties is not None:
        uris = party_uris(parties)
        q = Q(**{f"{prefix}capture_org__in": parties})
        for i in range(_SOURCES):
            q |= Q(**{f"_ss{i}__in": uris})
        qs = qs.filter(q)
    names = [
        *values,
        f"{prefix}capture_org_id",
        "_country",
        *[f"_st{i}" for i in range(_SOURCES)],
        *[f"_ss{i}" for i in range(_SOURCES)],
    ]
    rows = list(qs.values_list(*names))
    n = len(values)
    owners: list[str | None] = []
    for row in rows:
        owner = None
        kinds, sources = row[n + 2 : n + 2 + _SOURCES], row[n + 2 + _SOURCES :]
        for kind, source in zip(kinds, sources, strict=True):
            if _is_owner(kind) and source:
                owner = source
                break
        owners.append(owner)
    book = PartyBook()
    book.resolve(o for o in owners if o)
    out = []
    for row, owner in zip(rows, owners, strict=True):
        party = (book.get(owner) if owner else None) or row[n]
        if parties is not None and party not in parties:
            continue
        out.append((*row[:n], party, (row[n + 1] or "").strip().upper()[:8]))
    return out


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
    return {pk: (party, market) for pk, party, market in rows_with_parties(events, "pk")}
