"""The rules checked when an entry is saved: pre-harvest intervals, the spray windows and
earliest lawful harvest of a plot or area, banned, unregistered and market-restricted products,
doses; the flags they keep and who is told."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.models import Organisation, OrgKind
from agritrace.formats import shown_date
from agritrace.notifications.services import notify
from agritrace.registry.models import Crop, PlantingArea, Plot

from .models import (
    VOLUME,
    DiaryEntry,
    DiaryFlag,
    DoseBasis,
    EntryKind,
    FlagKind,
    MarketIngredientRule,
    Pesticide,
    PesticidePHI,
    RegistrationStatus,
)
from .quantities import SPRAY_KINDS, plain_number, q4, to_base


def phi_for(pesticide: Pesticide, crop: Crop | None) -> PesticidePHI | None:
    if crop is None:
        return None
    return PesticidePHI.objects.filter(pesticide=pesticide, crop=crop).first()


def _sprays_on(target: Plot | PlantingArea) -> QuerySet:
    """Sprays with a catalogue product that reach the ground of `target`: for a plot, those
    on the plot and those on its whole area; for an area, all of them."""
    sprays = DiaryEntry.objects.filter(kind__in=SPRAY_KINDS, pesticide__isnull=False)
    if isinstance(target, Plot):
        q = Q(plot=target)
        if target.area_id:
            q |= Q(plot__isnull=True, area_id=target.area_id)
        return sprays.filter(q)
    return sprays.filter(Q(plot__area=target) | Q(plot__isnull=True, area=target))


def _harvests_on(spray: DiaryEntry) -> QuerySet:
    """Harvests on ground a spray reaches."""
    harvests = DiaryEntry.objects.filter(kind=EntryKind.HARVEST)
    if spray.plot_id:
        q = Q(plot_id=spray.plot_id)
        if spray.plot.area_id:
            q |= Q(plot__isnull=True, area_id=spray.plot.area_id)
        return harvests.filter(q)
    return harvests.filter(Q(plot__area_id=spray.area_id) | Q(area_id=spray.area_id))


@dataclass
class SprayWindow:
    spray: DiaryEntry
    phi_days: int | None
    lawful_from: date | None


def spray_windows(target: Plot | PlantingArea) -> list[SprayWindow]:
    """Each spray on the ground with the day its pre-harvest interval ends (None when the
    label gives no interval for this crop)."""
    crop = target.crop
    windows = []
    sprays = _sprays_on(target).select_related("pesticide", "plot").order_by("-date", "-pk")
    for spray in sprays:
        phi = phi_for(spray.pesticide, spray.plot.crop if spray.plot_id else crop)
        lawful = spray.date + timedelta(days=phi.phi_days) if phi else None
        windows.append(SprayWindow(spray, phi.phi_days if phi else None, lawful))
    return windows


def earliest_lawful_harvest(target: Plot | PlantingArea) -> date | None:
    """The first day on which every recorded spray's pre-harvest interval has run out; None
    when no spray with a known interval is recorded (nothing holds the harvest back)."""
    days = [w.lawful_from for w in spray_windows(target) if w.lawful_from]
    return max(days) if days else None


def harvest_window(target: Plot | PlantingArea) -> dict:
    """Context for the template include diary/_harvest_window.html."""
    today = timezone.localdate()
    windows = spray_windows(target)
    earliest = max((w.lawful_from for w in windows if w.lawful_from), default=None)
    return {
        "harvest_window": {
            "target": target,
            "earliest": earliest,
            "today": today,
            "lawful_now": earliest is None or earliest <= today,
            "days_left": (earliest - today).days if earliest and earliest > today else 0,
            "holding": [w for w in windows if w.lawful_from and w.lawful_from > today],
            "unknown": [w for w in windows if w.phi_days is None][:5],
            "recent": windows[:5],
        }
    }


def _finding(entry: DiaryEntry, kind: str, message: str, **extra) -> DiaryFlag:
    return DiaryFlag(entry=entry, kind=kind, message=message, **extra)


def check_entry(entry: DiaryEntry) -> list[DiaryFlag]:
    """The rules an entry breaks, as unsaved DiaryFlags (the caller keeps the new ones)."""
    findings: list[DiaryFlag] = []
    day = entry.date
    if entry.kind in SPRAY_KINDS:
        pesticide = entry.pesticide
        if pesticide is None and entry.other_product:
            findings.append(
                _finding(
                    entry,
                    FlagKind.UNREGISTERED_PRODUCT,
                    _("“%(p)s” is not in the catalogue of products permitted in Vietnam.")
                    % {"p": entry.other_product},
                )
            )
        if pesticide is not None:
            findings += _product_findings(entry, pesticide, day)
    if entry.kind == EntryKind.HARVEST:
        findings += _phi_findings(entry)
    return findings


def _lower_first(text: str) -> str:
    """'Banned in Vietnam' → 'banned in Vietnam' (lower() would lose the capital V)."""
    return text[:1].lower() + text[1:]


def _product_findings(entry: DiaryEntry, pesticide: Pesticide, day: date) -> list[DiaryFlag]:
    findings = []
    if pesticide.status in (RegistrationStatus.BANNED, RegistrationStatus.WITHDRAWN):
        findings.append(
            _finding(
                entry,
                FlagKind.BANNED_PRODUCT,
                _("%(p)s is %(s)s.")
                % {"p": pesticide, "s": _lower_first(str(pesticide.get_status_display()))},
                details={"source": pesticide.source},
            )
        )
    elif pesticide.status == RegistrationStatus.UNREGISTERED:
        findings.append(
            _finding(
                entry,
                FlagKind.UNREGISTERED_PRODUCT,
                _("%(p)s is not registered in Vietnam.") % {"p": pesticide},
                details={"source": pesticide.source},
            )
        )
    ingredients = [c.ingredient for c in pesticide.composition.select_related("ingredient")]
    if pesticide.status == RegistrationStatus.REGISTERED:
        for ingredient in ingredients:
            if ingredient.banned_on(day):
                findings.append(
                    _finding(
                        entry,
                        FlagKind.BANNED_PRODUCT,
                        _("%(p)s contains %(i)s, banned in Vietnam since %(d)s.")
                        % {
                            "p": pesticide,
                            "i": ingredient,
                            "d": shown_date(ingredient.banned_from)
                            if ingredient.banned_from
                            else "?",
                        },
                        ingredient=ingredient,
                        details={"source": ingredient.source},
                    )
                )
    area = entry.area or (entry.plot.area if entry.plot_id else None)
    if area is not None and ingredients:
        rules = MarketIngredientRule.objects.filter(
            market__in=area.markets.all(), ingredient__in=ingredients, allowed=False
        ).select_related("market", "ingredient")
        for rule in rules:
            findings.append(
                _finding(
                    entry,
                    FlagKind.MARKET_INGREDIENT,
                    _("%(i)s (in %(p)s) is not allowed for %(m)s, a target market of this area.")
                    % {"i": rule.ingredient, "p": pesticide, "m": rule.market},
                    market=rule.market,
                    ingredient=rule.ingredient,
                    details={"source": rule.source, "note": rule.note},
                )
            )
    dose = _dose_finding(entry, pesticide)
    if dose is not None:
        findings.append(dose)
    return findings


def _dose_finding(entry: DiaryEntry, pesticide: Pesticide) -> DiaryFlag | None:
    label = phi_for(pesticide, entry.crop)
    if label is None or label.max_dose is None or not label.max_dose_unit or not entry.quantity:
        return None
    used_dim, used = to_base(entry.quantity, entry.unit)
    max_dim, maximum = to_base(label.max_dose, label.max_dose_unit)
    if used_dim != max_dim:
        return None
    if label.dose_basis == DoseBasis.PER_HA:
        if not entry.treated_area_ha:
            return None
        dose = used / entry.treated_area_ha
        basis = _("per hectare")
    else:
        if not entry.spray_volume_l:
            return None
        dose = used / entry.spray_volume_l
        basis = _("per litre of spray water")
    if dose <= maximum:
        return None
    unit = "l" if used_dim == VOLUME else "kg"
    return _finding(
        entry,
        FlagKind.DOSE,
        _("%(dose)s %(unit)s %(basis)s is above the label's maximum of %(max)s %(unit)s.")
        % {
            "dose": plain_number(dose),
            "unit": unit,
            "basis": basis,
            "max": plain_number(maximum),
        },
        details={"dose": str(q4(dose)), "max": str(q4(maximum)), "basis": label.dose_basis},
    )


def _phi_findings(harvest: DiaryEntry) -> list[DiaryFlag]:
    target = harvest.plot if harvest.plot_id else harvest.area
    if target is None:
        return []
    findings = []
    for window in spray_windows(target):
        spray = window.spray
        if window.lawful_from is None or spray.pk == harvest.pk:
            continue
        if spray.date <= harvest.date < window.lawful_from:
            findings.append(
                _finding(
                    harvest,
                    FlagKind.PHI,
                    _(
                        "Harvested on %(h)s, inside the %(n)d-day pre-harvest interval of "
                        "%(p)s sprayed on %(s)s: the earliest lawful harvest date is %(e)s."
                    )
                    % {
                        "h": shown_date(harvest.date),
                        "n": window.phi_days,
                        "p": spray.pesticide,
                        "s": shown_date(spray.date),
                        "e": shown_date(window.lawful_from),
                    },
                    related_entry=spray,
                    details={
                        "phi_days": window.phi_days,
                        "sprayed_on": spray.date.isoformat(),
                        "earliest_lawful_harvest": window.lawful_from.isoformat(),
                    },
                )
            )
    return findings


def _refresh_flags(entry: DiaryEntry) -> list[DiaryFlag]:
    """Keep the flags of an entry in step with the rules: new findings are saved, open flags
    that no longer apply are closed. A finding an officer has closed is not raised again.
    Returns the new flags."""
    findings = check_entry(entry)
    existing = list(entry.flags.all())
    open_by_key = {f.key: f for f in existing if f.is_open}
    closed_by_officer = {f.key for f in existing if not f.is_open and f.resolved_by_id}
    new = []
    for finding in findings:
        if finding.key in open_by_key:
            open_by_key.pop(finding.key)
        elif finding.key not in closed_by_officer:
            finding.save()
            new.append(finding)
    now = timezone.now()
    for stale in open_by_key.values():
        stale.resolved_at = now
        stale.resolution = _("No longer applies after the diary was changed.")
        stale.save(update_fields=["resolved_at", "resolution"])
    return new


def _flag_recipients(entry: DiaryEntry) -> list[Organisation]:
    area = entry.area or (entry.plot.area if entry.plot_id else None)
    if area is not None:
        representative, commune = area.representative, area.commune
    else:
        household = entry.plot.household
        representative, commune = household.representative, household.commune
    offices = Organisation.objects.filter(
        kind=OrgKind.PLANT_PROTECTION, unit_id=commune.province.pk
    )
    return [representative, *offices]


def _notify_flags(entry: DiaryEntry, flags: list[DiaryFlag]) -> None:
    if not flags:
        return
    notify(
        _flag_recipients(entry),
        _("Diary warning: %(entry)s") % {"entry": entry},
        "\n".join(f"- {f.message}" for f in flags),
        reverse("diary-entry", args=[entry.pk]),
    )
