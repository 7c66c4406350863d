"""Shipment facts (`models.ShipmentParty`) and the set-based reads of shipments × lot
origins that the rights rules and `exporter_code_surge` join.

The facts are written by one INSERT … SELECT per captured document (`record`), for the events
after the origins' mark at a full scan's start and by `rebuild` (`agritrace misuse origins
--rebuild`), always from the event's indexed columns: no document is read. Who may ship an
area's lots on a day is judged in SQL with the registry's own period conditions
(`registry.history.authorisation_active_q` / `contract_active_q`, given the shipment's day as
an expression), the same conditions `detect.rights.Rights` applies in Python (a test checks
that both agree)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, TruncDate, Upper
from django.utils import timezone

from agritrace.accounts.models import AUTHORITY_KINDS
from agritrace.registry.history import authorisation_active_q, contract_active_q
from agritrace.registry.models import CodeAuthorisation, Market, SupplyContract
from agritrace.trace.models import Event

from .markets import EU
from .models import ShipmentParty

#: Shipping steps: what an exporter does with a code's lots.
SHIPPING_STEPS = ("shipping", "departing")


def _fill(events: QuerySet) -> int:
    """INSERT the shipment facts of the shipping events among `events` (those already there
    are kept). Returns the rows added."""
    qs = (
        events.filter(biz_step__in=SHIPPING_STEPS)
        .order_by()
        .annotate(
            s_event=F("pk"),
            s_party=Coalesce("owning_party_id", "capture_org_id"),
            s_country=Upper("destination_market"),
            s_time=F("event_time"),
            s_day=TruncDate("event_time", tzinfo=timezone.get_current_timezone()),
        )
        .values_list("s_event", "s_party", "s_country", "s_time", "s_day")
    )
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return 0
    table = ShipmentParty._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_id, party_id, country, time, day) "
            f"SELECT * FROM ({sql}) s WHERE true ON CONFLICT (event_id) DO NOTHING",
            params,
        )
        return cursor.rowcount


def record(event_ids: Iterable[int]) -> int:
    """The shipment facts of a captured document's events."""
    return _fill(Event.objects.filter(pk__in=sorted(set(event_ids))))


def rebuild() -> int:
    """Every shipping event's facts again (in the caller's transaction)."""
    ShipmentParty.objects.all().delete()
    return _fill(Event.objects.all())


def market_expression(known: set[str] | None = None) -> Case:
    """The registry market of a shipment's country (a member
    state's country → "EU" when the registry has that market; else the country)."""
    if known is None:
        known = set(Market.objects.values_list("code", flat=True))
    whens = [When(country__in=sorted(known), then=F("country"))]
    if "EU" in known:
        whens.append(When(country__in=sorted(EU), then=Value("EU")))
    return Case(*whens, default=F("country"))


def season_rows(start, end, areas, *, roles: Iterable[str]) -> QuerySet:
    """Shipments in [start, end) × their lots (EventEPC rows of `roles`) × the areas behind
    them (`LotOrigin`, restricted to `areas`: ids or a queryset of pks), annotated with
    `o_area`, `o_lot`, `o_market` (one row per shipment × lot × area)."""
    return (
        ShipmentParty.objects.filter(
            time__gte=start,
            time__lt=end,
            event__error_declaration__isnull=True,
            event__epcs__role__in=list(roles),
            event__epcs__lot__misuse_origins__area__in=areas,
        )
        .annotate(
            o_area=F("event__epcs__lot__misuse_origins__area"),
            o_lot=F("event__epcs__lot"),
            o_market=market_expression(),
        )
        .order_by()
    )


def without_right(rows: QuerySet) -> QuerySet:
    """The `season_rows` whose firm had no right to ship the area's lots on the day: not an
    authority, not the area's representative, no authorisation in force on the day (for the
    market, when it is known), no supply contract in force with a house the firm operates."""
    grants = CodeAuthorisation.objects.filter(
        authorisation_active_q(OuterRef("day")), area=OuterRef("o_area"), grantee=OuterRef("party")
    )
    contracts = SupplyContract.objects.filter(
        contract_active_q(OuterRef("day")),
        area=OuterRef("o_area"),
        packing_house__operator=OuterRef("party"),
    )
    return (
        rows.filter(party__isnull=False)
        .exclude(party__kind__in=list(AUTHORITY_KINDS))
        .annotate(o_representative=F("event__epcs__lot__misuse_origins__area__representative"))
        .filter(~Q(o_representative=F("party")) | Q(o_representative__isnull=True))
        .filter(~Exists(grants.filter(market__code=OuterRef("o_market"))))
        .filter(~(Q(o_market="") & Exists(grants)))
        .filter(~Exists(contracts))
    )
