"""Who ships, who receives, and for which market: the one convention of docs/epcis-parties.md.

An event names its parties in CBV 2.0 ``sourceList`` / ``destinationList`` entries of type
``owning_party`` (who owns the goods: on a shipment's source side the seller, for an export
the exporter; on its destination side the buyer / importer) and ``possessing_party`` (who has
them in hand: the packing house that loads, the carrier or warehouse that receives). A party
is identified by its GLN as a GS1 Digital Link (``https://id.gs1.org/417/<GLN>``, also read as
``urn:epc:id:pgln:…``) or, without a GLN, by the organisation's public identifier
(``urn:agritrace:org:<identifier>``) — never a database id. The destination market is the
``agt:destinationCountry`` extension (``urn:agritrace:voc:destinationCountry``): the code of
the importing market (CN, US, EU…, as the registry's markets).

At capture (`services._store`), each event's parties are resolved once, for the whole
document: `Event.owning_party` (the source ``owning_party``), `Event.destination_party` (the
destination ``owning_party``) and `Event.destination_market`. A party URI of an own event
(checks.py's `Item.own`) that names no organisation is flagged ``unknown_party`` (serious for
the source owning party: who ships is then not known; a warning otherwise, a foreign buyer
not in the registry being normal). A destination market that is not a market of the registry
is flagged ``unknown_market``.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from agritrace.accounts.identifiers import ORG_URN, gln_of
from agritrace.accounts.models import Organisation

from . import vocab
from .models import FlagSeverity

OWNING, POSSESSING = "owning_party", "possessing_party"
PARTY_TYPES = (OWNING, POSSESSING)
#: The extension that names the destination market (under the service's vocabulary).
MARKET_KEY = "destinationCountry"
_LOCAL = re.compile(r"[:#/]")


@dataclass(frozen=True)
class PartyRef:
    side: str  # "source" | "destination"
    type: str  # owning_party | possessing_party
    uri: str
    path: str  # JSON path within the event ("sourceList[1].source")


def _compact_type(value: object) -> str:
    text = str(value or "")
    try:
        return vocab.compact("sdt", text)
    except (KeyError, ValueError):
        return text


def party_refs(event: Mapping) -> list[PartyRef]:
    """The owning / possessing parties an event names, in order."""
    found = []
    for side, key in (("source", "sourceList"), ("destination", "destinationList")):
        for j, entry in enumerate(event.get(key) or []):
            if not isinstance(entry, Mapping):
                continue
            kind = _compact_type(entry.get("type"))
            uri = entry.get(side)
            if kind in PARTY_TYPES and isinstance(uri, str) and uri.strip():
                found.append(PartyRef(side, kind, uri.strip(), f"{key}[{j}].{side}"))
    return found


def market_of(event: Mapping) -> tuple[str, str] | None:
    """(market code, key) of the event's destination market extension, if it names one."""
    for key, value in event.items():
        if isinstance(key, str) and ":" in key and _LOCAL.split(key)[-1] == MARKET_KEY:
            if isinstance(value, str) and value.strip():
                return value.strip().upper(), key
    return None


class PartyBook:
    """The parties of one document's events, resolved in two queries."""

    def __init__(self, events: Iterable[Mapping]):
        self.refs = [party_refs(e) for e in events]
        uris = {r.uri for refs in self.refs for r in refs}
        idents = {u[len(ORG_URN) :] for u in uris if u.startswith(ORG_URN)}
        glns = {g for g in (gln_of(u) for u in uris) if g}
        by_ident = {o.identifier: o for o in Organisation.objects.filter(identifier__in=idents)}
        by_gln = {o.gln: o for o in Organisation.objects.filter(gln__in=glns)} if glns else {}
        self.orgs: dict[str, Organisation | None] = {}
        for uri in uris:
            if uri.startswith(ORG_URN):
                self.orgs[uri] = by_ident.get(uri[len(ORG_URN) :])
            else:
                gln = gln_of(uri)
                self.orgs[uri] = by_gln.get(gln) if gln else None
        self._markets: set[str] | None = None

    def _party(self, index: int, side: str) -> Organisation | None:
        for ref in self.refs[index]:
            if ref.side == side and ref.type == OWNING:
                return self.orgs.get(ref.uri)
        return None

    def owner(self, index: int) -> Organisation | None:
        """The source owning party of the document's `index`-th event (who ships)."""
        return self._party(index, "source")

    def receiver(self, index: int) -> Organisation | None:
        """The destination owning party (who buys)."""
        return self._party(index, "destination")

    @property
    def markets(self) -> set[str]:
        if self._markets is None:
            from agritrace.registry.models import Market

            self._markets = set(Market.objects.values_list("code", flat=True))
        return self._markets

    def flag_unknown(self, items: Iterable, outcome) -> None:
        """Flag, on the document's own events, the parties and markets that name nothing of
        the registry (see the module docstring)."""
        for item in items:
            if not item.own:
                continue
            base = f"$.epcisBody.eventList[{item.index}]"
            for ref in self.refs[item.index]:
                if self.orgs.get(ref.uri) is not None:
                    continue
                serious = ref.side == "source" and ref.type == OWNING
                outcome.flag(
                    item,
                    "unknown_party",
                    _(
                        "%(uri)s (%(type)s of the %(side)s) names no organisation of the "
                        "registry: name a party by its GLN (https://id.gs1.org/417/…) or by "
                        "urn:agritrace:org:<public identifier>."
                    )
                    % {"uri": ref.uri, "type": ref.type, "side": ref.side},
                    f"{base}.{ref.path}",
                    FlagSeverity.SERIOUS if serious else FlagSeverity.WARNING,
                )
            market = market_of(item.event)
            if market is not None and market[0] not in self.markets:
                outcome.flag(
                    item,
                    "unknown_market",
                    _("%(code)s is not a market of the registry.") % {"code": market[0]},
                    f"{base}.{market[1]}",
                )
