"""Rule groups 3 and 4: a code used by someone with no right to it, and a code used while it
cannot be. Every judgement is at the event's time (`registry.history`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.models import AUTHORITY_KINDS, Organisation
from agritrace.misuse.findings import Finding
from agritrace.misuse.parties import parties_and_markets
from agritrace.misuse.shipments import season_rows, without_right
from agritrace.registry.history import Timeline
from agritrace.registry.models import (
    ApprovalStatus,
    CodeAuthorisation,
    CodeStatus,
    Market,
    MarketApproval,
    PlantingArea,
    SupplyContract,
)
from agritrace.trace.models import CaptureRefusal, Event, EventEPC, EventFlag, Lot

from .base import HANDLED_ROLES, Context, _chunks, lots_of_areas

#: Capture flags (trace.checks rules) that say a code was used while it could not be.
NOT_USABLE_FLAGS = {"area_code_not_issued", "house_code_not_issued", "code_not_issued"}


def day_of(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _run_areas(ctx: Context):
    """The run's areas: their ids for a few, else a subquery of the province's."""
    return ctx.area_ids() if ctx.subjects is not None else ctx.areas().values("pk")


def _as_dicts(rows: QuerySet) -> list[dict]:
    return [
        {"event": event, "lot": lot, "area": area, "time": when, "party": party, "market": m}
        for event, lot, area, when, party, m in rows.values_list(
            "event_id", "o_lot", "o_area", "time", "party_id", "o_market"
        ).iterator(chunk_size=5000)
    ]


def shipments(ctx: Context) -> list[dict]:
    """The season's shipping events of the run's areas' lots: [{event, area, time, party,
    market, lot}] (one row per event × lot named × area behind it), one SQL join of the
    shipment facts with the lot origins (`misuse.shipments`)."""
    if "shipments" not in ctx._cache:
        ctx._cache["shipments"] = _as_dicts(
            season_rows(ctx.start, ctx.end, _run_areas(ctx), roles=HANDLED_ROLES)
        )
    return ctx._cache["shipments"]


def _lot_uris(lot_ids: set[int]) -> list[str]:
    return sorted(Lot.objects.filter(pk__in=list(lot_ids)[:1000]).values_list("uri", flat=True))


class Rights:
    """Who may use the areas' codes on a day: the representative, a grantee of an
    authorisation in force (for the market, when it is known), the operator of a packing
    house with a supply contract in force."""

    def __init__(self, area_ids: set[int]):
        self.representative = dict(
            PlantingArea.objects.filter(pk__in=area_ids).values_list("pk", "representative_id")
        )
        self.grants: dict[tuple[int, int], list] = defaultdict(list)
        for a in CodeAuthorisation.objects.filter(area__in=area_ids).select_related("market"):
            self.grants[(a.area_id, a.grantee_id)].append(a)
        self.contracts: dict[tuple[int, int], list] = defaultdict(list)
        for c in SupplyContract.objects.filter(area__in=area_ids).select_related("packing_house"):
            self.contracts[(c.area_id, c.packing_house.operator_id)].append(c)
        self.authorities = set(
            Organisation.objects.filter(kind__in=AUTHORITY_KINDS).values_list("pk", flat=True)
        )

    def may_ship(self, area: int, party: int, day: date, market: str) -> bool:
        if party in self.authorities or self.representative.get(area) == party:
            return True
        for grant in self.grants.get((area, party), ()):
            if grant.is_active_on(day) and (not market or grant.market.code == market):
                return True
        return any(c.valid_from <= day <= c.valid_to for c in self.contracts.get((area, party), ()))

    def markets(self, area: int, party: int) -> list[str]:
        return sorted({g.market.code for g in self.grants.get((area, party), ())})


def party_without_authorisation(ctx: Context) -> list[Finding]:
    rule = "party_without_authorisation"
    rows = without_right(season_rows(ctx.start, ctx.end, _run_areas(ctx), roles=HANDLED_ROLES))
    bad: dict[int, list[dict]] = defaultdict(list)
    for r in _as_dicts(rows):  # only the shipments without a right (judged in SQL)
        bad[r["area"]].append(r)
    if not bad:
        return []
    rights = Rights(set(bad))
    codes = dict(PlantingArea.objects.filter(pk__in=bad).values_list("pk", "code"))
    names = dict(
        Organisation.objects.filter(
            pk__in={r["party"] for rs in bad.values() for r in rs}
        ).values_list("pk", "name")
    )
    findings = []
    for area, found in bad.items():
        by_party: dict[int, dict] = {}
        for r in found:
            p = by_party.setdefault(
                r["party"],
                {
                    "party": r["party"],
                    "name": names.get(r["party"], ""),
                    "events": set(),
                    "markets": set(),
                    "first": r["time"],
                    "last": r["time"],
                },
            )
            p["events"].add(r["event"])
            p["markets"].add(r["market"] or "?")
            p["first"], p["last"] = min(p["first"], r["time"]), max(p["last"], r["time"])
        parties = sorted(by_party.values(), key=lambda p: (-len(p["events"]), p["party"]))
        main = parties[0]
        figures = {
            "parties": [
                {
                    "party": p["party"],
                    "name": p["name"],
                    "events": len(p["events"]),
                    "markets": sorted(p["markets"]),
                    "authorised_markets": rights.markets(area, p["party"]),
                    "first": timezone.localtime(p["first"]).isoformat(),
                    "last": timezone.localtime(p["last"]).isoformat(),
                }
                for p in parties
            ],
            "shipments": len({r["event"] for r in found}),
        }
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="area",
                subject_id=area,
                code=codes.get(area) or "",
                figures=figures,
                threshold={"authorisation_or_contract": "in force on the event's day"},
                events=[r["event"] for r in found],
                lots=_lot_uris({r["lot"] for r in found}),
                party_id=main["party"],
                summary=_(
                    "%(party)s shipped lots of code %(code)s %(n)d time(s) in %(season)s "
                    "without an authorisation or supply contract in force for the market."
                )
                % {
                    "party": main["name"] or main["party"],
                    "code": codes.get(area),
                    "n": len(main["events"]),
                    "season": ctx.season,
                },
            )
        )
    return findings


def market_not_approved(ctx: Context) -> list[Finding]:
    """Shipments to a market that needs the importing country's approval (Market
    `needs_importer_approval`) for which the area's code had none in force on the day. A
    destination that is no market of the registry is not judged."""
    rule = "market_not_approved"
    needs = set(Market.objects.filter(needs_importer_approval=True).values_list("code", flat=True))
    if not needs:
        return []
    approvals = MarketApproval.objects.filter(
        Q(decided_at__isnull=True) | Q(decided_at__lte=OuterRef("day")),
        area=OuterRef("o_area"),
        market__code=OuterRef("o_market"),
        status=ApprovalStatus.APPROVED,
    )
    rows = (
        season_rows(ctx.start, ctx.end, _run_areas(ctx), roles=HANDLED_ROLES)
        .filter(o_market__in=sorted(needs))
        .filter(~Exists(approvals))
    )
    bad: dict[int, list[dict]] = defaultdict(list)
    for r in _as_dicts(rows):  # only the shipments without an approval (judged in SQL)
        bad[r["area"]].append(r)
    if not bad:
        return []
    approved = set(
        MarketApproval.objects.filter(
            area__in=sorted(bad), status=ApprovalStatus.APPROVED
        ).values_list("area_id", "market__code")
    )
    codes = dict(PlantingArea.objects.filter(pk__in=bad).values_list("pk", "code"))
    findings = []
    for area, found in bad.items():
        markets = sorted({r["market"] for r in found})
        parties = [r["party"] for r in found if r["party"]]
        findings.append(
            Finding(
                rule=rule,
                season=ctx.season,
                subject_kind="area",
                subject_id=area,
                code=codes.get(area) or "",
                figures={
                    "markets": markets,
                    "shipments": len({r["event"] for r in found}),
                    "approved_markets": sorted(m for (a, m) in approved if a == area),
                },
                threshold={"approval": "approved by the importing country before the day"},
                events=[r["event"] for r in found],
                lots=_lot_uris({r["lot"] for r in found}),
                party_id=max(set(parties), key=parties.count) if parties else None,
                summary=_(
                    "Lots of code %(code)s were shipped to %(markets)s in %(season)s without the "
                    "importing country's approval of the code."
                )
                % {"code": codes.get(area), "markets": ", ".join(markets), "season": ctx.season},
            )
        )
    return findings


def unusable_periods(
    kind: str, ids: list[int], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime, str]]]:
    """{holder id: [(from, until, status)]}: when in [start, end) each holder's code was not
    issued (suspended, revoked, not yet issued), from its status history."""
    timeline = Timeline(kind, ids)
    out: dict[int, list[tuple[datetime, datetime, str]]] = {}
    for holder in ids:
        moments = [start] + [at for at, _s in timeline.changes.get(holder, []) if start < at < end]
        issued_at = timeline.current.get(holder, (None, ""))[0]
        if issued_at is not None and start < issued_at < end:
            moments.append(issued_at)
        moments = sorted(set(moments))
        periods = []
        for i, moment in enumerate(moments):
            status = timeline.status(holder, moment)
            until = moments[i + 1] if i + 1 < len(moments) else end
            if status != CodeStatus.ISSUED:
                if periods and periods[-1][1] == moment and periods[-1][2] == status:
                    periods[-1] = (periods[-1][0], until, status)
                else:
                    periods.append((moment, until, status))
        if periods:
            out[holder] = periods
    return out


def _in_periods(field: str, periods: dict[int, list]) -> Q:
    q = Q(pk__in=[])
    for holder, spans in periods.items():
        for start, until, _status in spans:
            q |= Q(**{field: holder, "event_time__gte": start, "event_time__lt": until})
    return q


def code_not_usable(ctx: Context) -> list[Finding]:
    """Events at an area or packing house while its code was not issued, events naming an
    area's lots made while it was not issued (or of its namespace with no harvest), and
    events the capture checks flagged for an unusable code."""
    rule = "code_not_usable"
    findings = []
    for kind, holders in (("area", ctx.areas()), ("packing_house", ctx.houses())):
        info = {h["pk"]: h for h in holders.values("pk", "code")}
        periods = unusable_periods(kind, list(info), ctx.start, ctx.end)
        events: dict[int, set[int]] = defaultdict(set)
        statuses: dict[int, set[str]] = defaultdict(set)
        season = ctx.season_events()
        for chunk in _chunks(sorted(periods), 200):
            part = {h: periods[h] for h in chunk}
            for holder, event in season.filter(_in_periods(kind, part)).values_list(
                f"{kind}_id", "pk"
            ):
                events[holder].add(event)
        if kind == "area" and periods:
            lot_areas = lots_of_areas(set(periods))
            lots = [lot for lot, areas in lot_areas.items() if areas & set(periods)]
            for chunk in _chunks(lots):
                for lot, origin, event, when in EventEPC.objects.filter(
                    lot__in=chunk,
                    event__event_time__gte=ctx.start,
                    event__event_time__lt=ctx.end,
                    event__error_declaration__isnull=True,
                ).values_list("lot_id", "lot__origin_time", "event_id", "event__event_time"):
                    for area in lot_areas[lot] & set(periods):
                        made = origin or when
                        if any(a <= made < b and a <= when < b for a, b, _s in periods[area]):
                            events[area].add(event)
        for holder, event in EventFlag.objects.filter(
            rule__in=NOT_USABLE_FLAGS,
            event__event_time__gte=ctx.start,
            event__event_time__lt=ctx.end,
            **{f"event__{kind}__in": list(info)},
        ).values_list(f"event__{kind}_id", "event_id"):
            events[holder].add(event)
            statuses[holder].add("flagged")
        # Attempts the capture refused (trace.CaptureRefusal): not stored, still evidence.
        refused: dict[int, list[int]] = defaultdict(list)
        for holder, refusal in CaptureRefusal.objects.filter(
            rule__in=NOT_USABLE_FLAGS,
            event_time__gte=ctx.start,
            event_time__lt=ctx.end,
            **{f"{kind}__in": list(info)},
        ).values_list(f"{kind}_id", "pk"):
            refused[holder].append(refusal)
            statuses[holder].add("refused")
        refusers: dict[int, int | None] = {}
        refusal_times: dict[int, datetime] = {}
        for pk, org, when in CaptureRefusal.objects.filter(
            pk__in=[r for rs in refused.values() for r in rs]
        ).values_list("pk", "capture_org_id", "event_time"):
            refusers[pk] = org
            refusal_times[pk] = when
        for holder in refused:
            events.setdefault(holder, set())
        if not events:
            continue
        party_of = parties_and_markets(
            Event.objects.filter(pk__in={e for es in events.values() for e in es})
        )
        times = dict(
            Event.objects.filter(pk__in={e for es in events.values() for e in es}).values_list(
                "pk", "event_time"
            )
        )
        for holder, found in events.items():
            moments = [times[e] for e in found]
            moments += [refusal_times[r] for r in refused.get(holder, ())]
            for a, b, status in periods.get(holder, []):
                if any(a <= when < b for when in moments):
                    statuses[holder].add(status)
            parties = [party_of.get(e, (None, ""))[0] for e in found]
            parties += [refusers.get(r) for r in refused.get(holder, ())]
            parties = [p for p in parties if p]
            lots = sorted(
                set(
                    EventEPC.objects.filter(event__in=list(found)[:1000]).values_list(
                        "lot__uri", flat=True
                    )
                )
            )
            findings.append(
                Finding(
                    rule=rule,
                    season=ctx.season,
                    subject_kind=kind,
                    subject_id=holder,
                    code=info[holder]["code"] or "",
                    figures={
                        "events": len(found),
                        "refused_attempts": len(refused.get(holder, ())),
                        "refusals": sorted(refused.get(holder, ()))[:200],
                        "statuses": sorted(statuses[holder]),
                        "periods": [
                            {
                                "from": timezone.localtime(a).isoformat(),
                                "until": timezone.localtime(b).isoformat(),
                                "status": s,
                            }
                            for a, b, s in periods.get(holder, [])
                            if any(a <= when < b for when in moments)
                        ],
                    },
                    threshold={"code_status": CodeStatus.ISSUED.value},
                    events=list(found),
                    lots=lots,
                    party_id=max(set(parties), key=parties.count) if parties else None,
                    summary=_(
                        "Code %(code)s was used in %(n)d event(s) in %(season)s while it was "
                        "%(status)s."
                    )
                    % {
                        "code": info[holder]["code"],
                        "n": len(found) + len(refused.get(holder, ())),
                        "season": ctx.season,
                        "status": ", ".join(sorted(statuses[holder])),
                    },
                )
            )
    return findings
