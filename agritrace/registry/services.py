"""Writes to the registry and the rules behind them. The API, the web pages and the CLI all
call these; each is one transaction, checks access, and leaves an audit entry.

Here: households, planting areas, plots and packing houses. By concept in modules of their
own, and named here as before: certificates (`certificates`), supply contracts
(`contracts`), market approvals and authorised exporters (`market_access`), an area's flags
and the public code list (`public_list`)."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, get_visible, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.places.services import resolve_place

from . import geometry as geo
from .certificates import (  # noqa: F401  (the registry's services, as callers know them)
    CERTIFICATE_KINDS,
    _area_for_certificates,
    _clean_certificate,
    _parse_day,
    _reason,
    add_certificate,
    remove_certificate,
    update_certificate,
)
from .contracts import (  # noqa: F401  (the registry's services, as callers know them)
    _contract_parties,
    _house_for_contracts,
    contract_areas,
    create_supply_contract,
    end_supply_contract,
    find_contract_area,
    may_manage_supply_contracts,
    supply_contracts,
)
from .lifecycle import reopen_review
from .market_access import (  # noqa: F401  (the registry's services, as callers know them)
    APPROVAL_MOVES,
    _approval_move_problem,
    allowed_approval_moves,
    authorise_exporter,
    code_usable_for,
    may_use_code,
    move_market_approval,
    withdraw_authorisation,
)
from .measure import measure_area
from .membership import set_members
from .models import (
    Application,
    AppStatus,
    CodeStatus,
    Crop,
    Household,
    Market,
    PackingHouse,
    PlantingArea,
    Plot,
    PlotOverlap,
    Variety,
)
from .positions import check_position
from .public_list import (  # noqa: F401  (the registry's services, as callers know them)
    AREA_TOLERANCE,
    PUBLISHED,
    _public_row,
    area_flags,
    public_code_list,
)

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


def open_applications(actor: Actor) -> QuerySet:
    """The applications still in progress that the actor may see (the dashboard's count)."""
    return visible(actor, Application.objects.all()).exclude(
        status__in=[AppStatus.ISSUED, AppStatus.REJECTED, AppStatus.WITHDRAWN]
    )
