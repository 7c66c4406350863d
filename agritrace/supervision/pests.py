"""Pest surveillance: observations on an area, with the quarantine pests of its markets."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from agritrace.accounts.access import (
    Actor,
    get_visible,
    require,
    visible,
)
from agritrace.audit.services import record, snapshot
from agritrace.formats import shown_date
from agritrace.notifications.services import notify
from agritrace.registry.models import PlantingArea, Plot

from .common import _as_date, _as_decimal, _authorities, _today, _url
from .models import (
    MarketPest,
    MonitoringVisit,
    Pest,
    PestObservation,
)


def quarantine_pests(area: PlantingArea) -> QuerySet:
    """The quarantine pests that the area's target markets name for its crop."""
    return MarketPest.objects.filter(
        crop_id=area.crop_id, market__in=area.markets.all()
    ).select_related("market", "pest")


@transaction.atomic
def record_observation(actor: Actor, data: dict) -> PestObservation:
    """Pest surveillance at an area (or one of its plots) on a date: incidence in % of trees
    or a count per tree. A quarantine pest of one of the area's markets is reported to the
    province and the representative."""
    require(actor, "observe_pests")
    area = get_visible(actor, PlantingArea.objects.all(), pk=data.get("area"))
    errors: dict = {}
    plot = None
    if data.get("plot") not in (None, ""):
        plot_id = data.get("plot")
        if str(plot_id).isdigit():
            plot = visible(actor, Plot.objects.filter(area=area)).filter(pk=plot_id).first()
        if plot is None:
            errors["plot"] = _("Choose a plot of this area.")
    day = _as_date(data.get("observed_on"), "observed_on", errors)
    if day and day > _today():
        errors["observed_on"] = _("The date cannot be in the future.")
    elif day and day.year < 2000:
        errors["observed_on"] = _("Give the date of the observation.")
    pest_ref = data.get("pest")
    pest = None
    if pest_ref not in (None, ""):
        pest = Pest.objects.filter(
            Q(key=str(pest_ref)) | Q(pk=pest_ref if str(pest_ref).isdigit() else None)
        ).first()
    if pest is None:
        errors["pest"] = _("Choose a pest from the list.")
    incidence = _as_decimal(data.get("incidence_pct"), "incidence_pct", errors, required=False)
    count = _as_decimal(data.get("count_per_tree"), "count_per_tree", errors, required=False)
    if incidence is not None and not (0 <= incidence <= 100):
        errors["incidence_pct"] = _("Incidence is a percentage from 0 to 100.")
    if count is not None and not (0 <= count <= 100000):
        errors["count_per_tree"] = _("A count per tree is a number from 0 up.")
    if (
        incidence is None
        and count is None
        and "incidence_pct" not in errors
        and "count_per_tree" not in errors
    ):
        errors["incidence_pct"] = _("Give the incidence or the count per tree.")
    visit = None
    if data.get("visit") not in (None, ""):
        visit = visible(actor, MonitoringVisit.objects.filter(area=area, pk=data["visit"])).first()
        if visit is None:
            errors["visit"] = _("Choose a visit to this area.")
    if errors:
        raise ValidationError(errors)
    obs = PestObservation.objects.create(
        area=area,
        plot=plot,
        observed_on=day,
        pest=pest,
        incidence_pct=incidence,
        count_per_tree=count,
        observer=actor.user,
        observer_org=actor.organisation,
        visit=visit,
        note=str(data.get("note") or "").strip(),
    )
    record(actor.user, "pest_observation.create", obs, None, snapshot(obs))
    found = (incidence or 0) > 0 or (count or 0) > 0
    markets = [mp.market for mp in quarantine_pests(area).filter(pest=pest)]
    if found and markets:
        notify(
            [*_authorities(area.province), area.representative],
            _("Quarantine pest at %(code)s: %(pest)s")
            % {"code": area.code or area.name, "pest": pest},
            _("A quarantine pest of %(markets)s was found on %(day)s.")
            % {"markets": ", ".join(str(m) for m in markets), "day": shown_date(day)},
            _url("supervision-history-area", area.pk),
        )
    return obs
