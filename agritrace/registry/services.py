"""Writes to the registry and the rules behind them. The API, the web pages and the CLI all
call these; each is one transaction, checks access, and leaves an audit entry."""

import re
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from agritrace.accounts.access import PUBLIC, Actor, can, get_visible, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.notifications.services import notify
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.places.services import resolve_place

from . import geometry as geo
from .history import authorisation_active_q, status_at
from .lifecycle import reopen_review
from .market_rules import market_rule_problems
from .measure import measure_area
from .membership import set_members
from .models import (
    Application,
    ApprovalStatus,
    AppStatus,
    Certificate,
    CodeAuthorisation,
    CodeHolder,
    CodeStatus,
    Crop,
    Household,
    Market,
    MarketApproval,
    PackingHouse,
    PlantingArea,
    Plot,
    PlotOverlap,
    SupplyContract,
    Variety,
)
from .positions import check_position

#: Declared and measured area may differ by this much before the area is flagged.
AREA_TOLERANCE = 0.10

NATIONAL_ID_RE = re.compile(r"^(\d{9}|\d{12})$")
PHONE_RE = re.compile(r"^(\+84|0)\d{9,10}$")


def _commune(unit_id) -> AdminUnit:
    unit = AdminUnit.objects.select_related("parent").filter(pk=unit_id).first()
    if unit is None or unit.level != Level.COMMUNE or unit.tree != Tree.CURRENT:
        raise ValidationError({"commune": _("Choose a commune or ward of the current map.")})
    return unit


def _commune_of(data: dict) -> AdminUnit:
    """The commune a record names: by id (`commune`), by official code (`commune_code`) or
    by name (`commune_name` + `province_name`); 422 naming the field when unknown or
    ambiguous (places.services.resolve_place)."""
    if data.get("commune") not in (None, ""):
        return _commune(data["commune"])
    unit = resolve_place(
        data.get("commune_code"), data.get("commune_name"), data.get("province_name")
    )
    if unit is None:
        return _commune(None)  # nothing given: "choose a commune"
    return unit


def _check_commune_in_scope(actor: Actor, commune: AdminUnit) -> None:
    """Authorities and communes may only place records on their own land."""
    if actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION) and (
        commune.parent_id != actor.province_id
    ):
        raise ValidationError({"commune": _("This commune is outside your province.")})
    if actor.kind == OrgKind.COMMUNE and commune.pk != actor.organisation.unit_id:
        raise ValidationError({"commune": _("This commune is not yours.")})


def _representative_for(actor: Actor, org_id) -> Organisation:
    """Representatives act for themselves; officers may name a representative."""
    if actor.kind == OrgKind.REPRESENTATIVE:
        if org_id not in (None, "", actor.organisation.pk):
            raise ValidationError(
                {"representative": _("A representative can only act for itself.")}
            )
        return actor.organisation
    org = Organisation.objects.filter(pk=org_id, kind=OrgKind.REPRESENTATIVE).first()
    if org is None:
        raise ValidationError({"representative": _("Choose an area representative.")})
    return org


# ------------------------------------------------------------------ households


def _clean_household(data: dict, instance: Household | None) -> dict:
    errors = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _("The name of the head of household is required.")
    national_id = (data.get("national_id") or "").strip() or None
    if national_id and not NATIONAL_ID_RE.match(national_id):
        errors["national_id"] = _("A national ID number has 12 digits (or 9 on old cards).")
    elif national_id:
        clash = Household.objects.filter(national_id=national_id)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["national_id"] = _("Another household is registered with this ID number.")
    phone = re.sub(r"[\s.-]", "", data.get("phone") or "")
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = _("A phone number looks like 0912345678 or +84912345678.")
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "national_id": national_id,
        "phone": phone,
        "address": (data.get("address") or "").strip(),
    }


PERSONAL_FIELDS = ("national_id",)


@transaction.atomic
def create_household(actor: Actor, data: dict) -> Household:
    require(actor, "edit_registry")
    clean = _clean_household(data, None)
    commune = _commune_of(data)
    _check_commune_in_scope(actor, commune)
    representative = _representative_for(actor, data.get("representative"))
    household = Household.objects.create(representative=representative, commune=commune, **clean)
    record(
        actor.user,
        "household.create",
        household,
        None,
        snapshot(household, exclude=PERSONAL_FIELDS),
        data.get("reason", ""),
    )
    return household


@transaction.atomic
def update_household(actor: Actor, household: Household, data: dict) -> Household:
    require(actor, "edit_registry")
    household = get_visible(actor, Household.objects.select_for_update(), pk=household.pk)
    merged = {
        "name": household.name,
        "national_id": household.national_id,
        "phone": household.phone,
        "address": household.address,
        **data,
    }
    clean = _clean_household(merged, household)
    before = snapshot(household, exclude=PERSONAL_FIELDS)
    for key, value in clean.items():
        setattr(household, key, value)
    household.save()
    record(
        actor.user,
        "household.update",
        household,
        before,
        snapshot(household, exclude=PERSONAL_FIELDS),
        data.get("reason", ""),
    )
    return household


@transaction.atomic
def link_household_organisation(
    actor: Actor, household: Household, organisation: Organisation | None = None
) -> Household:
    """Give a household its own login organisation (of kind household), so that its members
    can log in, see their areas and be told of changes to their codes. An authority or the
    household's representative does it: with `organisation` None a new organisation is made
    in the household's commune; an existing one must be a household organisation of that
    commune, not yet linked, and visible to the actor."""
    require(actor, "edit_registry")
    household = get_visible(
        actor, Household.objects.select_for_update().select_related("commune"), pk=household.pk
    )
    if household.organisation_id is not None:
        raise ValidationError(
            {"organisation": _("This household already has its own organisation.")}
        )
    if organisation is None:
        organisation = Organisation.objects.create(
            name=_("Household %(name)s") % {"name": household.name},
            kind=OrgKind.HOUSEHOLD,
            unit=household.commune,
            phone=household.phone,
            address=household.address,
        )
        record(actor.user, "organisation.create", organisation, None, snapshot(organisation))
    else:
        found = visible(actor, Organisation.objects.all()).filter(pk=organisation.pk).first()
        if found is None or found.kind != OrgKind.HOUSEHOLD:
            raise ValidationError(
                {"organisation": _("Choose a household organisation that you can see.")}
            )
        if found.unit_id != household.commune_id:
            raise ValidationError(
                {"organisation": _("The organisation must be in the household's commune.")}
            )
        if Household.objects.filter(organisation=found).exists():
            raise ValidationError(
                {"organisation": _("This organisation already belongs to another household.")}
            )
        organisation = found
    before = snapshot(household, exclude=PERSONAL_FIELDS)
    household.organisation = organisation
    household.save(update_fields=["organisation", "updated_at"])
    record(
        actor.user,
        "household.link_organisation",
        household,
        before,
        snapshot(household, exclude=PERSONAL_FIELDS),
    )
    return household


def household_organisation_choices(actor: Actor, household: Household) -> QuerySet:
    """Existing organisations the actor could link to the household: unlinked household
    organisations of its commune that the actor sees (none for a representative, which makes
    a new one instead)."""
    return visible(
        actor,
        Organisation.objects.filter(
            kind=OrgKind.HOUSEHOLD, unit_id=household.commune_id, household__isnull=True
        ),
    ).order_by("name")


# ------------------------------------------------------------------ planting areas


def _clean_area(data: dict) -> dict:
    errors = {}
    out: dict = {}
    out["name"] = (data.get("name") or "").strip()
    if not out["name"]:
        errors["name"] = _("Give the area a name.")
    crop = Crop.objects.filter(pk=data.get("crop")).first()
    if crop is None:
        errors["crop"] = _("Choose a crop from the catalogue.")
    out["crop"] = crop
    variety = None
    if data.get("variety"):
        variety = Variety.objects.filter(pk=data.get("variety")).first()
        if variety is None or (crop and variety.crop_id != crop.pk):
            errors["variety"] = _("Choose a variety of the chosen crop.")
    out["variety"] = variety
    for field, label, maximum in (
        ("declared_area_ha", _("Declared area"), Decimal("100000")),
        ("expected_yield_t", _("Expected yield"), Decimal("10000000")),
    ):
        raw = data.get(field, 0 if field == "expected_yield_t" else None)
        try:
            value = Decimal(str(raw))
            if not value.is_finite():
                raise ValueError
        except (ValueError, ArithmeticError, TypeError):
            errors[field] = _("%(label)s must be a number.") % {"label": label}
            continue
        if value < 0 or (field == "declared_area_ha" and value == 0):
            errors[field] = _("%(label)s must be more than zero.") % {"label": label}
        elif value > maximum:
            errors[field] = _("%(label)s of %(v)s is not plausible.") % {"label": label, "v": value}
        out[field] = value
    try:
        out["harvests_per_year"] = int(data.get("harvests_per_year") or 1)
        if not 1 <= out["harvests_per_year"] <= 12:
            raise ValueError
    except (TypeError, ValueError):
        errors["harvests_per_year"] = _("Harvests per year is a whole number from 1 to 12.")
    out["village"] = (data.get("village") or "").strip()
    market_ids = data.get("markets") or []
    markets = list(Market.objects.filter(pk__in=market_ids))
    if len(markets) != len(set(market_ids)):
        errors["markets"] = _("Unknown market.")
    out["markets"] = markets
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def create_area(actor: Actor, data: dict) -> tuple[PlantingArea, Application]:
    """A new planting area with its draft application."""
    require(actor, "edit_registry")
    clean = _clean_area(data)
    commune = _commune_of(data)
    _check_commune_in_scope(actor, commune)
    representative = _representative_for(actor, data.get("representative"))
    markets = clean.pop("markets")
    area = PlantingArea.objects.create(representative=representative, commune=commune, **clean)
    area.markets.set(markets)
    app = Application.objects.create(area=area, applicant=representative)
    record(actor.user, "area.create", area, None, snapshot(area))
    record(actor.user, "application.create", app, None, snapshot(app))
    return area, app


#: Changes to these fields reopen the review of a submitted file or an issued code.
REVIEWED_AREA_FIELDS = {"representative", "declared_area_ha", "commune"}


@transaction.atomic
def update_area(actor: Actor, area: PlantingArea, data: dict) -> PlantingArea:
    require(actor, "edit_registry")
    area = get_visible(actor, PlantingArea.objects.select_for_update(), pk=area.pk)
    if area.code_status == CodeStatus.REVOKED:
        raise ValidationError({"code": _("A revoked area cannot be changed.")})
    merged = {
        "name": area.name,
        "crop": area.crop_id,
        "variety": area.variety_id,
        "declared_area_ha": area.declared_area_ha,
        "expected_yield_t": area.expected_yield_t,
        "harvests_per_year": area.harvests_per_year,
        "village": area.village,
        "markets": list(area.markets.values_list("pk", flat=True)),
        **data,
    }
    clean = _clean_area(merged)
    before = snapshot(area)
    markets = clean.pop("markets")
    if "representative" in data and actor.kind != OrgKind.REPRESENTATIVE:
        area.representative = _representative_for(actor, data["representative"])
    for key, value in clean.items():
        setattr(area, key, value)
    area.save()
    area.markets.set(markets)
    after = snapshot(area)
    record(actor.user, "area.update", area, before, after, data.get("reason", ""))
    changed = {k for k in REVIEWED_AREA_FIELDS if before.get(k) != after.get(k)}
    if changed:
        reopen_review(area, actor, ", ".join(sorted(changed)))
    return area


def set_area_households(
    actor: Actor, area: PlantingArea, household_ids: list[int], confirm: bool = False
) -> Application | None:
    """Set an area's member households (the whole list): membership.set_members (plots of
    households that leave leave the area; an issued code's change is confirmed, then
    reviewed)."""
    return set_members(actor, area, household_ids, confirm=confirm)


# ------------------------------------------------------------------ certificates

CERTIFICATE_KINDS = [kind for kind, _label in Certificate.KINDS]


def _parse_day(value, field: str, errors: dict) -> date | None:
    """A date from a date or an ISO string (YYYY-MM-DD); None (and an error) otherwise."""
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = _("This date is required.")
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors[field] = _("Give a date as YYYY-MM-DD.")
    return None


def _clean_certificate(area: PlantingArea, data: dict, instance: Certificate | None) -> dict:
    errors: dict = {}
    kind = data.get("kind")
    if kind not in CERTIFICATE_KINDS:
        errors["kind"] = _("Choose the kind of certificate: %(kinds)s.") % {
            "kinds": ", ".join(CERTIFICATE_KINDS)
        }
    number = data.get("number")
    number = number.strip() if isinstance(number, str) else ""
    if not number:
        errors["number"] = _("The certificate number is required.")
    elif len(number) > 60:
        errors["number"] = _("A certificate number has at most 60 characters.")
    issuer = data.get("issuer") or ""
    issuer = issuer.strip() if isinstance(issuer, str) else ""
    if len(issuer) > 200:
        errors["issuer"] = _("The issuer's name has at most 200 characters.")
    valid_from = _parse_day(data.get("valid_from"), "valid_from", errors)
    valid_to = _parse_day(data.get("valid_to"), "valid_to", errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = _("The end of validity comes before its start.")
    if "kind" not in errors and "number" not in errors:
        same = Certificate.objects.filter(kind=kind, number__iexact=number)
        if instance is not None:
            same = same.exclude(pk=instance.pk)
        if same.filter(area=area).exists():
            errors["number"] = _("This certificate is already recorded for this area.")
        elif same.exclude(area__representative_id=area.representative_id).exists():
            # One certificate may cover several areas of one holder, never two holders'.
            errors["number"] = _("This certificate number is recorded for another holder.")
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "number": number,
        "issuer": issuer,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def _area_for_certificates(actor: Actor, area_id: int) -> PlantingArea:
    require(actor, "edit_registry")
    area = get_visible(actor, PlantingArea.objects.select_for_update(), pk=area_id)
    if area.code_status == CodeStatus.REVOKED:
        raise ValidationError({"area": _("A revoked area cannot be changed.")})
    return area


@transaction.atomic
def add_certificate(actor: Actor, area: PlantingArea, data: dict) -> Certificate:
    """Record a certificate (VietGAP, GlobalG.A.P., organic, ...) of a planting area: its
    representative or the authority does it. Market rules read these (market_rule_problems)."""
    area = _area_for_certificates(actor, area.pk)
    certificate = Certificate.objects.create(area=area, **_clean_certificate(area, data, None))
    record(actor.user, "certificate.add", certificate, None, snapshot(certificate), _reason(data))
    return certificate


@transaction.atomic
def update_certificate(actor: Actor, certificate: Certificate, data: dict) -> Certificate:
    area = _area_for_certificates(actor, certificate.area_id)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk, area=area)
    merged = {
        "kind": certificate.kind,
        "number": certificate.number,
        "issuer": certificate.issuer,
        "valid_from": certificate.valid_from,
        "valid_to": certificate.valid_to,
        **{k: v for k, v in data.items() if k != "reason"},
    }
    clean = _clean_certificate(area, merged, certificate)
    before = snapshot(certificate)
    for key, value in clean.items():
        setattr(certificate, key, value)
    certificate.save()
    record(
        actor.user, "certificate.update", certificate, before, snapshot(certificate), _reason(data)
    )
    return certificate


@transaction.atomic
def remove_certificate(actor: Actor, certificate: Certificate, reason: str = "") -> None:
    area = _area_for_certificates(actor, certificate.area_id)
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk, area=area)
    record(actor.user, "certificate.remove", certificate, snapshot(certificate), None, reason)
    certificate.delete()


def _reason(data: dict) -> str:
    reason = data.get("reason") or ""
    return reason.strip() if isinstance(reason, str) else ""


# ------------------------------------------------------------------ plots


def _refresh_overlaps(plot: Plot) -> list[PlotOverlap]:
    """Flag ground shared with plots of another household or another planting area."""
    PlotOverlap.objects.filter(Q(plot=plot) | Q(other=plot)).delete()
    candidates = Plot.objects.filter(
        min_lon__lte=plot.max_lon,
        max_lon__gte=plot.min_lon,
        min_lat__lte=plot.max_lat,
        max_lat__gte=plot.min_lat,
    ).exclude(pk=plot.pk)
    others = []
    for other in candidates:
        same_owner = other.household_id == plot.household_id
        same_area = other.area_id == plot.area_id
        if same_owner and same_area:
            continue
        others.append((other, geo.parse_geojson(other.geometry)))
    found = geo.find_overlaps(geo.parse_geojson(plot.geometry), others)
    flags = []
    for other, overlap_m2 in found:
        flags.append(PlotOverlap(plot=plot, other=other, overlap_m2=overlap_m2))
        flags.append(PlotOverlap(plot=other, other=plot, overlap_m2=overlap_m2))
    PlotOverlap.objects.bulk_create(flags)
    return flags[::2]


def _geometry_error(exc: "geo.GeometryError") -> ValidationError:
    return ValidationError({"geometry": str(exc.message)})


@transaction.atomic
def save_plot(actor: Actor, data: dict, plot: Plot | None = None) -> Plot:
    """Create or change a plot from its GeoJSON polygon; measure it; flag overlaps."""
    require(actor, "edit_registry")
    errors = {}
    if plot is not None:
        plot = get_visible(actor, Plot.objects.select_for_update(), pk=plot.pk)
    household = (
        visible(actor, Household.objects.all())
        .filter(pk=data.get("household", plot.household_id if plot else None))
        .first()
    )
    if household is None:
        errors["household"] = _("Choose one of your households.")
    area = None
    area_id = data.get("area", plot.area_id if plot else None)
    if area_id:
        area = visible(actor, PlantingArea.objects.all()).filter(pk=area_id).first()
        if area is None:
            errors["area"] = _("Unknown planting area, or not yours.")
        elif area.code_status == CodeStatus.REVOKED:
            errors["area"] = _("The planting area's code is revoked.")
    label = (data.get("label", plot.label if plot else "") or "").strip()
    if not label:
        errors["label"] = _("Give the plot a label (its number on the map).")
    crop = Crop.objects.filter(pk=data.get("crop", plot.crop_id if plot else None)).first()
    if crop is None and area is not None:
        crop = area.crop
    if crop is None:
        errors["crop"] = _("Choose a crop from the catalogue.")
    year = data.get("planting_year", plot.planting_year if plot else None)
    if year not in (None, ""):
        try:
            year = int(year)
            if not 1900 <= year <= timezone.localdate().year:
                raise ValueError
        except (TypeError, ValueError):
            errors["planting_year"] = _("The planting year is a year between 1900 and this year.")
    else:
        year = None
    raw_geometry = data.get("geometry", plot.geometry if plot else None)
    shape = None
    try:
        shape = geo.parse_geojson(raw_geometry)
    except geo.GeometryError as exc:
        errors["geometry"] = str(exc.message)
    if errors:
        raise ValidationError(errors)
    before = snapshot(plot) if plot else None
    old_area = plot.area if plot else None
    box = geo.bbox(shape)
    lon, lat = geo.centroid(shape)
    values = dict(
        household=household,
        area=area,
        label=label,
        crop=crop,
        planting_year=year,
        geometry=geo.to_geojson(shape),
        area_m2=geo.geodesic_area_m2(shape),
        min_lon=box[0],
        min_lat=box[1],
        max_lon=box[2],
        max_lat=box[3],
        centroid_lon=lon,
        centroid_lat=lat,
    )
    if plot is None:
        plot = Plot.objects.create(**values)
    else:
        for key, value in values.items():
            setattr(plot, key, value)
        plot.save()
    _refresh_overlaps(plot)
    measure_area(area)
    if old_area is not None and old_area != area:
        measure_area(old_area)
    after = snapshot(plot)
    record(actor.user, "plot.save", plot, before, after, data.get("reason", ""))
    for changed_area in {a for a in (area, old_area) if a is not None}:
        if before is None or before.get("geometry") != after.get("geometry") or old_area != area:
            reopen_review(changed_area, actor, _("plots"))
    return plot


@transaction.atomic
def save_plots(actor: Actor, items: list[dict]) -> list[Plot]:
    """Many plots, all or nothing. Every item is tried so that every problem is reported at
    once, keyed 'features[i].field'."""
    saved: list[Plot] = []
    errors: dict[str, list[str]] = {}
    for index, data in enumerate(items):
        try:
            saved.append(save_plot(actor, data))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"features[{index}].{field}"] = messages
    if errors:
        raise ValidationError(errors)  # the transaction undoes the items already saved
    return saved


# ------------------------------------------------------------------ packing houses


@transaction.atomic
def create_packing_house(actor: Actor, data: dict) -> tuple[PackingHouse, Application]:
    require(actor, "apply") if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER) else require(
        actor, "edit_registry"
    )
    errors = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _("Give the packing house a name.")
    address = (data.get("address") or "").strip()
    if not address:
        errors["address"] = _("The address is required.")
    try:
        capacity = Decimal(str(data.get("capacity_t_per_day")))
        if not capacity.is_finite() or capacity <= 0 or capacity > 10000:
            errors["capacity_t_per_day"] = _("Capacity is a number of tonnes a day above zero.")
    except (ArithmeticError, ValueError, TypeError):
        errors["capacity_t_per_day"] = _("Capacity must be a number.")
        capacity = None
    lon, lat = check_position(data.get("lon"), data.get("lat"), errors)
    if errors:
        raise ValidationError(errors)
    commune = _commune_of(data)
    _check_commune_in_scope(actor, commune)
    if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        operator = actor.organisation
    else:
        operator = Organisation.objects.filter(
            pk=data.get("operator"), kind__in=[OrgKind.PACKING_HOUSE, OrgKind.EXPORTER]
        ).first()
        if operator is None:
            raise ValidationError({"operator": _("Choose the operating organisation.")})
    ph = PackingHouse.objects.create(
        name=name,
        operator=operator,
        address=address,
        commune=commune,
        lon=lon,
        lat=lat,
        capacity_t_per_day=capacity,
    )
    ph.crops.set(Crop.objects.filter(pk__in=data.get("crops") or []))
    ph.markets.set(Market.objects.filter(pk__in=data.get("markets") or []))
    app = Application.objects.create(packing_house=ph, applicant=operator)
    record(actor.user, "packing_house.create", ph, None, snapshot(ph))
    record(actor.user, "application.create", app, None, snapshot(app))
    return ph, app


# ------------------------------------------------------------------ supply contracts


def may_manage_supply_contracts(actor: Actor, house: PackingHouse) -> bool:
    """The packing house's operator, or the province's authority, keeps its contracts."""
    if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        return can(actor, "apply") and house.operator_id == actor.organisation.pk
    if actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        return can(actor, "edit_registry")
    return False


def _house_for_contracts(actor: Actor, house_id: int) -> PackingHouse:
    if actor.kind in (OrgKind.PACKING_HOUSE, OrgKind.EXPORTER):
        require(actor, "apply")
    elif actor.kind in (OrgKind.PROVINCE, OrgKind.PLANT_PROTECTION):
        require(actor, "edit_registry")
    else:
        raise PermissionDenied(_("Your role may not keep supply contracts."))
    house = get_visible(actor, PackingHouse.objects.select_for_update(), pk=house_id)
    if not may_manage_supply_contracts(actor, house):
        raise PermissionDenied(_("Only the packing house's operator keeps its contracts."))
    return house


def contract_areas(past: bool = False) -> QuerySet:
    """Planting areas a packing house can contract with: any area whose code is issued (the
    code is on the public list, so a packing house can name an area it does not see yet).
    For a contract whose period is over (`past`), any area that has a code, whatever its
    status now: it may have been suspended or revoked since."""
    statuses = [CodeStatus.ISSUED]
    if past:
        statuses += [CodeStatus.SUSPENDED, CodeStatus.REVOKED]
    return visible(PUBLIC, PlantingArea.objects.filter(code_status__in=statuses))


def find_contract_area(area_id: int | None = None, code: str | None = None) -> PlantingArea | None:
    """The area named by id or by code that a new contract may name, or None (the service
    then says why)."""
    areas = contract_areas(past=True)
    if area_id is not None:
        return areas.filter(pk=area_id).first()
    if isinstance(code, str) and code.strip():
        return areas.filter(code__iexact=code.strip()).first()
    return None


def _contract_parties(contract: SupplyContract) -> list[Organisation]:
    area = contract.area
    communes = Organisation.objects.filter(kind=OrgKind.COMMUNE, unit=area.commune)
    return [*communes, area.representative]


@transaction.atomic
def create_supply_contract(
    actor: Actor,
    packing_house: PackingHouse,
    area: PlantingArea | None,
    valid_from: date | None,
    valid_to: date | None,
    reference: str = "",
) -> SupplyContract:
    """A packing house buys from a planting area for a period. The packing house's operator
    or the province's authority records it; the area's commune and representative are told.
    The period may lie in the past (a contract signed before AgriTrace, recorded late): the
    area then needs a code, not one that is issued today, and the rules judge each event by
    the contract in force on its day (`history.contract_active_q`)."""
    house = _house_for_contracts(actor, packing_house.pk)
    errors: dict = {}
    past = isinstance(valid_to, date) and valid_to < timezone.localdate()
    if house.code_status == CodeStatus.REVOKED and not past:
        errors["packing_house"] = _("A packing house whose code is revoked takes no contracts.")
    area = contract_areas(past=past).filter(pk=getattr(area, "pk", None)).first()
    if area is None:
        errors["area"] = _(
            "Name a planting area whose code is issued: only such an area can supply under "
            "contract."
        )
    if not isinstance(valid_from, date) or not isinstance(valid_to, date):
        errors["valid_to"] = _("Give the start and end of the contract.")
    elif valid_to < valid_from:
        errors["valid_to"] = _("The end comes before the start.")
    reference = reference.strip() if isinstance(reference, str) else ""
    if len(reference) > 60:
        errors["reference"] = _("A contract reference has at most 60 characters.")
    if (
        not errors
        and house.supply_contracts.filter(
            area=area, valid_from__lte=valid_to, valid_to__gte=valid_from
        ).exists()
    ):
        errors["valid_from"] = _(
            "This packing house already has a contract with this area for part of that period."
        )
    if errors:
        raise ValidationError(errors)
    contract = SupplyContract.objects.create(
        packing_house=house,
        area=area,
        valid_from=valid_from,
        valid_to=valid_to,
        reference=reference,
    )
    record(actor.user, "supply_contract.create", contract, None, snapshot(contract))
    notify(
        _contract_parties(contract),
        _("%(house)s buys from %(area)s") % {"house": house.name, "area": area.code or area.name},
        _("Supply contract %(ref)s from %(a)s to %(b)s.")
        % {"ref": reference or "—", "a": valid_from.isoformat(), "b": valid_to.isoformat()},
        reverse("area-detail", args=[area.pk]),
    )
    return contract


@transaction.atomic
def end_supply_contract(
    actor: Actor, contract: SupplyContract, on: date | None = None, reason: str = ""
) -> SupplyContract:
    """End a contract early: its last day becomes `on` (today by default)."""
    _house_for_contracts(actor, contract.packing_house_id)
    contract = (
        SupplyContract.objects.select_for_update()
        .select_related("area__commune", "area__representative", "packing_house")
        .get(pk=contract.pk)
    )
    today = timezone.localdate()
    on = on or today
    if contract.valid_to < today:
        raise ValidationError({"on": _("This contract is already over.")})
    if on < today:
        raise ValidationError({"on": _("A contract cannot be ended in the past.")})
    if on < contract.valid_from:
        raise ValidationError(
            {
                "on": _("The contract starts on %(d)s; it cannot end before then.")
                % {"d": contract.valid_from.isoformat()}
            }
        )
    if on >= contract.valid_to:
        raise ValidationError(
            {"on": _("The contract already ends on %(d)s.") % {"d": contract.valid_to.isoformat()}}
        )
    reason = reason.strip() if isinstance(reason, str) else ""
    before = snapshot(contract)
    contract.valid_to = on
    contract.save(update_fields=["valid_to"])
    record(actor.user, "supply_contract.end", contract, before, snapshot(contract), reason)
    notify(
        _contract_parties(contract),
        _("Supply contract of %(house)s with %(area)s ends")
        % {"house": contract.packing_house.name, "area": contract.area.code or contract.area.name},
        _("Last day: %(d)s. %(reason)s") % {"d": on.isoformat(), "reason": reason},
        reverse("area-detail", args=[contract.area_id]),
    )
    return contract


# ------------------------------------------------------------------ markets


def code_usable_for(holder: CodeHolder, market: Market, on: date | None = None) -> bool:
    """Both approvals hold: Vietnam's issuance and, where needed, the importing country's.

    With `on`, the code's status is the one it had that day (from its history; the end of
    that day, or now for today and later), so a past day keeps its answer after a suspension,
    and an importing country's approval counts from the day it was decided. The residue flags
    are their current state, and so is an approval withdrawn since (its end is not dated)."""
    if on is None:
        status = holder.code_status
    else:
        end_of_day = timezone.make_aware(datetime.combine(on, time.max))
        status = status_at(holder, min(end_of_day, timezone.now()))
    if status != CodeStatus.ISSUED:
        return False
    # An open residue case flags the area for that market (supervision).
    if (
        isinstance(holder, PlantingArea)
        and holder.market_flags.filter(market=market, lifted_at__isnull=True).exists()
    ):
        return False
    if not market.needs_importer_approval:
        return True
    approved = holder.approvals.filter(market=market, status=ApprovalStatus.APPROVED)
    if on is not None:
        approved = approved.filter(Q(decided_at__isnull=True) | Q(decided_at__lte=on))
    return approved.exists()


APPROVAL_MOVES = {
    "submit": (
        {ApprovalStatus.PREPARING, ApprovalStatus.REFUSED, ApprovalStatus.WITHDRAWN},
        ApprovalStatus.SUBMITTED,
    ),
    "send": ({ApprovalStatus.SUBMITTED}, ApprovalStatus.SENT),
    "approve": ({ApprovalStatus.SENT}, ApprovalStatus.APPROVED),
    "refuse": ({ApprovalStatus.SENT}, ApprovalStatus.REFUSED),
    "withdraw": (
        {ApprovalStatus.APPROVED, ApprovalStatus.SENT, ApprovalStatus.SUBMITTED},
        ApprovalStatus.WITHDRAWN,
    ),
}


def _approval_move_problem(
    actor: Actor, holder: CodeHolder, market: Market, status: str, move: str
) -> dict[str, str] | None:
    """Why `actor` cannot make `move` on an approval that is `status` ({field: message}), or
    None. The rules of the market itself are checked when the code is submitted."""
    sources, target = APPROVAL_MOVES[move]
    if move in ("send", "approve", "refuse") and actor.kind != OrgKind.MINISTRY:
        # Sending, approving and refusing are the national department's to record.
        return {"move": _("Only the Plant Protection Department records this.")}
    if move == "submit" and holder.code_status != CodeStatus.ISSUED:
        return {"market": _("Only an issued code can be filed for a market.")}
    if move == "submit" and not market.needs_importer_approval:
        return {
            "market": _("%(market)s needs no approval of an importing country.")
            % {"market": market}
        }
    if status not in sources:
        return {
            "move": _("An approval that is %(s)s cannot become %(t)s.")
            % {"s": ApprovalStatus(status).label, "t": ApprovalStatus(target).label}
        }
    return None


def allowed_approval_moves(actor: Actor, holder: CodeHolder, market: Market) -> list[str]:
    """The steps of the importing country's approval this actor may record now for this
    holder and market (what the page offers as buttons; move_market_approval checks again)."""
    if not can(actor, "market_approval"):
        return []
    approval = next((a for a in holder.approvals.all() if a.market_id == market.pk), None)
    status = approval.status if approval else ApprovalStatus.PREPARING
    return [
        move
        for move in APPROVAL_MOVES
        if _approval_move_problem(actor, holder, market, status, move) is None
    ]


@transaction.atomic
def move_market_approval(
    actor: Actor,
    holder: CodeHolder,
    market: Market,
    move: str,
    on: date | None = None,
    importer_list_ref: str = "",
    note: str = "",
) -> MarketApproval:
    """The importing country's approval of an issued code, step by step: the province
    submits to the Plant Protection Department, which sends to the importing country, which
    approves (with its list reference) or refuses."""
    require(actor, "market_approval")
    holder = get_visible(actor, type(holder).objects.all(), pk=holder.pk)
    if move not in APPROVAL_MOVES:
        raise ValidationError({"move": _("Unknown step '%(m)s'.") % {"m": move}})
    kwargs = {"area": holder} if isinstance(holder, PlantingArea) else {"packing_house": holder}
    approval, _created = MarketApproval.objects.select_for_update().get_or_create(
        market=market, **kwargs
    )
    problem = _approval_move_problem(actor, holder, market, approval.status, move)
    if problem is not None:
        raise ValidationError(problem)
    if move == "submit" and isinstance(holder, PlantingArea):
        problems = market_rule_problems(holder, market)
        if problems:
            raise ValidationError({"market": problems})
    if move == "approve" and not importer_list_ref.strip():
        raise ValidationError(
            {"importer_list_ref": _("Give the importing country's list reference.")}
        )
    _sources, target = APPROVAL_MOVES[move]
    before = snapshot(approval)
    on = on or timezone.localdate()
    approval.status = target
    if move == "submit":
        approval.submitted_at = on
    elif move == "send":
        approval.sent_at = on
    elif move in ("approve", "refuse"):
        approval.decided_at = on
    if importer_list_ref:
        approval.importer_list_ref = importer_list_ref.strip()
    approval.note = note or approval.note
    approval.save()
    record(actor.user, f"market_approval.{move}", approval, before, snapshot(approval), note)
    return approval


# ------------------------------------------------------------------ authorising exporters


@transaction.atomic
def authorise_exporter(
    actor: Actor, area: PlantingArea, grantee_id, market_id, valid_from: date, valid_to: date
) -> CodeAuthorisation:
    """The representative lets an exporter or packing house use its area code for a market
    and a period; the commune and the grantee are told."""
    require(actor, "authorise_exporter")
    area = get_visible(actor, PlantingArea.objects.select_for_update(), pk=area.pk)
    errors = {}
    grantee = Organisation.objects.filter(
        pk=grantee_id, kind__in=[OrgKind.EXPORTER, OrgKind.PACKING_HOUSE]
    ).first()
    if grantee is None:
        errors["grantee"] = _("Choose an exporter or a packing house.")
    market = area.markets.filter(pk=market_id).first()
    if market is None:
        errors["market"] = _("Choose one of the area's target markets.")
    if area.code_status != CodeStatus.ISSUED:
        errors["area"] = _("Only an issued code can be authorised for use.")
    if not valid_from or not valid_to:
        errors["valid_to"] = _("Give the start and end of the authorisation.")
    elif valid_to < valid_from:
        errors["valid_to"] = _("The end comes before the start.")
    elif valid_to < timezone.localdate():
        errors["valid_to"] = _("The authorisation would already be over.")
    if errors:
        raise ValidationError(errors)
    auth = CodeAuthorisation.objects.create(
        area=area,
        grantee=grantee,
        market=market,
        valid_from=valid_from,
        valid_to=valid_to,
        granted_by=actor.user,
    )
    record(actor.user, "code.authorise", area, None, snapshot(auth))
    communes = Organisation.objects.filter(kind=OrgKind.COMMUNE, unit=area.commune)
    notify(
        [*communes, grantee],
        _("%(org)s may use code %(code)s") % {"org": grantee.name, "code": area.code},
        _("For %(market)s from %(a)s to %(b)s.")
        % {"market": market, "a": valid_from.isoformat(), "b": valid_to.isoformat()},
        reverse("area-detail", args=[area.pk]),
    )
    return auth


@transaction.atomic
def withdraw_authorisation(
    actor: Actor, auth: CodeAuthorisation, reason: str, effective: date | None = None
) -> CodeAuthorisation:
    """End an authorisation from `effective` (by default today; never in the future): the
    days before keep their answer, so a use on those days stays lawful."""
    require(actor, "authorise_exporter")
    get_visible(actor, PlantingArea.objects.all(), pk=auth.area_id)
    auth = CodeAuthorisation.objects.select_for_update().get(pk=auth.pk)
    if auth.withdrawn_at is not None:
        raise ValidationError({"action": _("This authorisation was already withdrawn.")})
    today = timezone.localdate()
    effective = effective or today
    if effective > today:
        raise ValidationError(
            {"withdrawn_from": _("A withdrawal cannot take effect in the future.")}
        )
    before = snapshot(auth)
    auth.withdrawn_at = timezone.now()
    # Withdrawn before it began: it never held (its first day is the withdrawal's).
    auth.withdrawn_from = max(effective, auth.valid_from)
    auth.withdrawal_reason = reason
    auth.save()
    record(actor.user, "code.withdraw_authorisation", auth.area, before, snapshot(auth), reason)
    communes = Organisation.objects.filter(kind=OrgKind.COMMUNE, unit=auth.area.commune)
    notify(
        [*communes, auth.grantee],
        _("Authorisation to use %(code)s withdrawn") % {"code": auth.area.code},
        reason,
        reverse("area-detail", args=[auth.area_id]),
    )
    return auth


def may_use_code(
    org: Organisation, area: PlantingArea, market: Market, day: date
) -> tuple[bool, str]:
    """Whether `org` may lawfully put `area`'s code on produce for `market` on `day`: the
    test that tells a lawful use from a rented or borrowed code."""
    if not code_usable_for(area, market, day):
        return False, _("The code is not valid for this market.")
    if org.pk == area.representative_id:
        return True, _("The code's own representative.")
    active = area.authorisations.filter(authorisation_active_q(day), grantee=org, market=market)
    if active.exists():
        return True, _("Authorised by the representative.")
    return False, _("No authorisation from the representative for this market and date.")


# ------------------------------------------------------------------ flags and the public list


def area_flags(area: PlantingArea) -> list[str]:
    flags = []
    measured = float(area.measured_area_ha)
    declared = float(area.declared_area_ha)
    diff = geo.area_discrepancy(declared, measured, AREA_TOLERANCE)
    if diff is not None and area.plots.exists():
        # numbers in the page's locale (1,20 ha in Vietnamese), as the pages show them;
        # rounded first: number_format cuts the digits off
        flags.append(
            _("Declared %(d)s ha but the plots measure %(m)s ha (%(p)s%%).")
            % {
                "d": number_format(round(declared, 2), 2),
                "m": number_format(round(measured, 2), 2),
                "p": ("+" if diff > 0 else "") + number_format(round(diff * 100), 0),
            }
        )
    overlap_count = PlotOverlap.objects.filter(plot__area=area).count()
    if overlap_count:
        flags.append(
            _("%(n)d plot overlap(s) with another household or code.") % {"n": overlap_count}
        )
    return flags


PUBLISHED = [CodeStatus.ISSUED, CodeStatus.SUSPENDED, CodeStatus.REVOKED]


def public_code_list(filters: dict | None = None) -> list[dict]:
    """The list importing countries ask for: no personal data, issued codes only."""
    filters = filters or {}
    rows: list[dict] = []
    areas: QuerySet = (
        PlantingArea.objects.filter(code_status__in=PUBLISHED)
        .select_related("crop", "commune__parent")
        .prefetch_related("markets", "approvals__market")
    )
    houses: QuerySet = (
        PackingHouse.objects.filter(code_status__in=PUBLISHED)
        .select_related("commune__parent")
        .prefetch_related("crops", "markets", "approvals__market")
    )
    if filters.get("q"):
        q = filters["q"].strip()
        areas = areas.filter(Q(code__icontains=q) | Q(name__icontains=q))
        houses = houses.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if filters.get("status"):
        areas = areas.filter(code_status=filters["status"])
        houses = houses.filter(code_status=filters["status"])
    if filters.get("province"):
        areas = areas.filter(commune__parent_id=filters["province"])
        houses = houses.filter(commune__parent_id=filters["province"])
    if filters.get("crop"):
        areas = areas.filter(crop__code=filters["crop"])
        houses = houses.filter(crops__code=filters["crop"])
    if filters.get("market"):
        areas = areas.filter(markets__code=filters["market"])
        houses = houses.filter(markets__code=filters["market"])
    kind = filters.get("kind")
    if kind != "packing_house":
        for a in areas.distinct():
            rows.append(_public_row(a, "area", str(a.crop), a.declared_area_ha))
    if kind != "area":
        for h in houses.distinct():
            rows.append(
                _public_row(h, "packing_house", ", ".join(str(c) for c in h.crops.all()), None)
            )
    rows.sort(key=lambda r: r["code"])
    return rows


def _public_row(holder: CodeHolder, kind: str, crop: str, area_ha) -> dict:
    approved = {
        a.market.code for a in holder.approvals.all() if a.status == ApprovalStatus.APPROVED
    }
    if holder.code_status == CodeStatus.REVOKED:
        approved = set()  # revocation withdraws the approvals (lifecycle.revoke)
    return {
        "code": holder.code,
        "kind": kind,
        "name": holder.name,
        "crop": crop,
        "province": holder.commune.parent.name if holder.commune.parent_id else "",
        "commune": holder.commune.name,
        "area_ha": float(area_ha) if area_ha is not None else None,
        "status": holder.code_status,
        "markets": sorted(m.code for m in holder.markets.all()),
        "approved_markets": sorted(approved),
        "issued_at": timezone.localdate(holder.issued_at).isoformat() if holder.issued_at else None,
    }


def open_applications(actor: Actor) -> QuerySet:
    return visible(actor, Application.objects.all()).exclude(
        status__in=[AppStatus.ISSUED, AppStatus.REJECTED, AppStatus.WITHDRAWN]
    )
