"""The registry's JSON API: thin endpoints over registry.services and registry.lifecycle.

Every read goes through access.visible()/get_visible() (an object outside one's scope is a
404); every write is one service call, and so one transaction. Service errors become JSON by
the handlers in agritrace/api.py: ValidationError 422 naming the fields, PermissionDenied 403.
"""

import csv
import io
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from agritrace.accounts.access import Actor, get_visible, require, visible
from agritrace.accounts.models import Organisation
from agritrace.apiutil import actor as _actor
from agritrace.paging import Paging

from . import lifecycle, services
from .models import (
    Application,
    AppStatus,
    Certificate,
    CodeAuthorisation,
    Crop,
    Household,
    Market,
    PackingHouse,
    PlantingArea,
    Plot,
    SupplyContract,
)
from .schemas import (
    ApplicationActionIn,
    ApplicationFilters,
    ApplicationOut,
    ApplicationSummaryOut,
    AreaCreatedOut,
    AreaFilters,
    AreaIn,
    AreaOut,
    AreaPatch,
    AreaSummaryOut,
    AuthorisationIn,
    AuthorisationOut,
    CatalogueOut,
    CertificateIn,
    CertificateOut,
    CertificatePatch,
    HolderFilters,
    HouseholdIn,
    HouseholdOrganisationIn,
    HouseholdOut,
    HouseholdPatch,
    HouseholdsIn,
    MarketApprovalIn,
    MarketApprovalOut,
    MayUseOut,
    MayUseQuery,
    PackingHouseCreatedOut,
    PackingHouseIn,
    PackingHouseOut,
    PlotCollection,
    PlotFeature,
    PlotImportIn,
    PlotIn,
    PlotPatch,
    PublicCodeOut,
    PublicFilters,
    ReasonIn,
    SearchFilters,
    SupplyContractEndIn,
    SupplyContractIn,
    SupplyContractOut,
    SuspendIn,
    WithdrawIn,
)

router = Router(tags=["registry"])
public_router = Router(tags=["public"], auth=None)


def _market(market_id: int) -> Market:
    market = Market.objects.filter(pk=market_id).first()
    if market is None:
        raise ValidationError({"market": _("Unknown market.")})
    return market


# ------------------------------------------------------------------ planting areas


def _areas() -> QuerySet[PlantingArea]:
    return PlantingArea.objects.select_related(
        "crop", "variety", "commune__parent", "representative"
    )


def _area(actor: Actor, area_id: int) -> PlantingArea:
    return get_visible(
        actor,
        _areas().prefetch_related("markets", "approvals", "certificates"),
        pk=area_id,
    )


def _certificate(actor: Actor, certificate_id: int) -> Certificate:
    return get_object_or_404(
        Certificate.objects.select_related("area"),
        pk=certificate_id,
        area__in=visible(actor, PlantingArea.objects.all()),
    )


def _filter_holders(holders: QuerySet, filters) -> QuerySet:
    """The text and code-status filters that area and packing-house lists share."""
    if filters.q:
        holders = holders.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q))
    if filters.code_status:
        holders = holders.filter(code_status=filters.code_status)
    return holders


@router.get("/areas", response=list[AreaSummaryOut], tags=["areas"])
@paginate(Paging)
def list_areas(request: HttpRequest, filters: Query[AreaFilters]):
    return _filter_holders(visible(_actor(request), _areas()), filters)


@router.post("/areas", response={201: AreaCreatedOut}, tags=["areas"])
def create_area(request: HttpRequest, payload: AreaIn):
    """A new planting area, with its draft application."""
    actor = _actor(request)
    area, app = services.create_area(actor, payload.model_dump())
    area = _area(actor, area.pk)
    area.application = app
    return Status(201, area)


@router.get("/areas/{area_id}", response=AreaOut, tags=["areas"])
def get_area(request: HttpRequest, area_id: int):
    return _area(_actor(request), area_id)


@router.patch("/areas/{area_id}", response=AreaOut, tags=["areas"])
def update_area(request: HttpRequest, area_id: int, payload: AreaPatch):
    """Change an area; a change to its representative, area or commune after submission
    reopens the review."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    services.update_area(actor, area, payload.model_dump(exclude_unset=True))
    return _area(actor, area_id)


@router.put("/areas/{area_id}/households", response=AreaOut, tags=["areas"])
def set_area_households(request: HttpRequest, area_id: int, payload: HouseholdsIn):
    """Set the member households of an area (the whole list). Their plots leave the area
    with households that leave; removing households from an issued area needs
    `confirm: true` (else a 422 naming `confirm` says what the change does) and opens a
    change application the authority reviews."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    services.set_area_households(actor, area, payload.household_ids, confirm=payload.confirm)
    return _area(actor, area_id)


@router.get("/areas/{area_id}/plots.geojson", response=PlotCollection, tags=["areas"])
def area_plots(request: HttpRequest, area_id: int):
    """The area's plots as a GeoJSON FeatureCollection."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    plots = visible(actor, _plots()).filter(area=area)
    return {"type": "FeatureCollection", "features": list(plots)}


@router.post("/areas/{area_id}/suspend", response=AreaOut, tags=["codes"])
def suspend_area(request: HttpRequest, area_id: int, payload: SuspendIn):
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    lifecycle.suspend(area, actor, payload.reason, payload.until, payload.effective_date)
    return _area(actor, area_id)


@router.post("/areas/{area_id}/reinstate", response=AreaOut, tags=["codes"])
def reinstate_area(request: HttpRequest, area_id: int, payload: ReasonIn):
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    lifecycle.reinstate(area, actor, payload.reason, payload.effective_date)
    return _area(actor, area_id)


@router.post("/areas/{area_id}/revoke", response=AreaOut, tags=["codes"])
def revoke_area(request: HttpRequest, area_id: int, payload: ReasonIn):
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    lifecycle.revoke(area, actor, payload.reason, payload.effective_date)
    return _area(actor, area_id)


@router.post("/areas/{area_id}/authorisations", response={201: AuthorisationOut}, tags=["codes"])
def authorise_exporter(request: HttpRequest, area_id: int, payload: AuthorisationIn):
    """The representative lets an exporter or packing house use the area's code for a
    market and a period."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    auth = services.authorise_exporter(
        actor, area, payload.grantee, payload.market, payload.valid_from, payload.valid_to
    )
    return Status(201, auth)


@router.post("/authorisations/{auth_id}/withdraw", response=AuthorisationOut, tags=["codes"])
def withdraw_authorisation(request: HttpRequest, auth_id: int, payload: WithdrawIn):
    actor = _actor(request)
    auth = get_object_or_404(
        CodeAuthorisation.objects.select_related("area", "grantee", "market"),
        pk=auth_id,
        area__in=visible(actor, PlantingArea.objects.all()),
    )
    return services.withdraw_authorisation(actor, auth, payload.reason, payload.withdrawn_from)


@router.get("/areas/{area_id}/may-use", response=MayUseOut, tags=["codes"])
def may_use_code(request: HttpRequest, area_id: int, query: Query[MayUseQuery]):
    """Whether an organisation may lawfully put the area's code on produce for a market on
    a day: the check that tells a lawful use from a borrowed code."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    if query.org is not None:
        org = get_visible(actor, Organisation.objects.all(), pk=query.org)
    elif actor.organisation is not None:
        org = actor.organisation
    else:
        raise ValidationError({"org": _("Name the organisation to check.")})
    market = _market(query.market)
    day: date = query.date or query.day or timezone.localdate()
    allowed, reason = services.may_use_code(org, area, market, day)
    return {
        "allowed": allowed,
        "reason": reason,
        "area": area,
        "organisation": org,
        "market": market,
        "date": day,
    }


@router.post("/areas/{area_id}/market-approvals", response=MarketApprovalOut, tags=["codes"])
def move_market_approval(request: HttpRequest, area_id: int, payload: MarketApprovalIn):
    """One step of the importing country's approval of the area's code."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    return services.move_market_approval(
        actor,
        area,
        _market(payload.market),
        payload.move,
        payload.on,
        payload.importer_list_ref,
        payload.note,
    )


@router.post("/areas/{area_id}/certificates", response={201: CertificateOut}, tags=["areas"])
def add_certificate(request: HttpRequest, area_id: int, payload: CertificateIn):
    """Record a certificate of the area (VietGAP, GlobalG.A.P., organic, other). The
    representative or the province's authority; markets' rules read these."""
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=area_id)
    return Status(201, services.add_certificate(actor, area, payload.model_dump()))


@router.patch("/certificates/{certificate_id}", response=CertificateOut, tags=["areas"])
def update_certificate(request: HttpRequest, certificate_id: int, payload: CertificatePatch):
    actor = _actor(request)
    certificate = _certificate(actor, certificate_id)
    return services.update_certificate(
        actor, certificate, payload.model_dump(exclude_unset=True, exclude_none=True)
    )


@router.delete("/certificates/{certificate_id}", response={204: None}, tags=["areas"])
def remove_certificate(request: HttpRequest, certificate_id: int, reason: str = ""):
    actor = _actor(request)
    services.remove_certificate(actor, _certificate(actor, certificate_id), reason)
    return Status(204, None)


# ------------------------------------------------------------------ households


def _households() -> QuerySet[Household]:
    return Household.objects.select_related("commune__parent", "representative")


@router.get("/households", response=list[HouseholdOut], tags=["households"])
@paginate(Paging)
def list_households(request: HttpRequest, filters: Query[SearchFilters]):
    households = visible(_actor(request), _households())
    if filters.q:
        households = households.filter(name__icontains=filters.q)
    return households


@router.post("/households", response={201: HouseholdOut}, tags=["households"])
def create_household(request: HttpRequest, payload: HouseholdIn):
    actor = _actor(request)
    household = services.create_household(actor, payload.model_dump())
    return Status(201, get_visible(actor, _households(), pk=household.pk))


@router.get("/households/{household_id}", response=HouseholdOut, tags=["households"])
def get_household(request: HttpRequest, household_id: int):
    return get_visible(_actor(request), _households(), pk=household_id)


@router.patch("/households/{household_id}", response=HouseholdOut, tags=["households"])
def update_household(request: HttpRequest, household_id: int, payload: HouseholdPatch):
    actor = _actor(request)
    household = get_visible(actor, Household.objects.all(), pk=household_id)
    services.update_household(actor, household, payload.model_dump(exclude_unset=True))
    return get_visible(actor, _households(), pk=household_id)


@router.post("/households/{household_id}/organisation", response=HouseholdOut, tags=["households"])
def link_household_organisation(
    request: HttpRequest, household_id: int, payload: HouseholdOrganisationIn
):
    """Give the household its own login organisation: an existing household organisation of
    its commune (authorities), or a new one (organisation null)."""
    actor = _actor(request)
    household = get_visible(actor, Household.objects.all(), pk=household_id)
    require(actor, "edit_registry")
    organisation = None
    if payload.organisation is not None:
        organisation = (
            services.household_organisation_choices(actor, household)
            .filter(pk=payload.organisation)
            .first()
        )
        if organisation is None:
            raise ValidationError(
                {"organisation": _("Choose a household organisation that you can see.")}
            )
    services.link_household_organisation(actor, household, organisation)
    return get_visible(actor, _households(), pk=household_id)


# ------------------------------------------------------------------ plots


def _plots() -> QuerySet[Plot]:
    return Plot.objects.select_related("household", "area", "crop").order_by("label", "pk")


@router.post("/plots/import", response={201: PlotCollection}, tags=["plots"])
def import_plots(request: HttpRequest, payload: PlotImportIn):
    """Many plots at once from a GeoJSON FeatureCollection whose features carry the
    properties household, label and (optionally) area, crop, planting_year. All or nothing:
    one bad feature and nothing is saved. Every feature is tried, and each problem is named
    by feature and field: {"features[3].geometry": [...]}."""
    actor = _actor(request)
    saved = services.save_plots(
        actor,
        [{**f.properties.model_dump(), "geometry": f.geometry} for f in payload.features],
    )
    plots = visible(actor, _plots()).filter(pk__in=[p.pk for p in saved]).order_by("pk")
    return Status(201, {"type": "FeatureCollection", "features": list(plots)})


@router.post("/plots", response={201: PlotFeature}, tags=["plots"])
def create_plot(request: HttpRequest, payload: PlotIn):
    """A plot from its GeoJSON polygon; it is measured and checked for overlaps."""
    actor = _actor(request)
    plot = services.save_plot(actor, payload.model_dump())
    return Status(201, get_visible(actor, _plots(), pk=plot.pk))


@router.get("/plots/{plot_id}", response=PlotFeature, tags=["plots"])
def get_plot(request: HttpRequest, plot_id: int):
    return get_visible(_actor(request), _plots(), pk=plot_id)


@router.patch("/plots/{plot_id}", response=PlotFeature, tags=["plots"])
def update_plot(request: HttpRequest, plot_id: int, payload: PlotPatch):
    actor = _actor(request)
    plot = get_visible(actor, Plot.objects.all(), pk=plot_id)
    services.save_plot(actor, payload.model_dump(exclude_unset=True), plot)
    return get_visible(actor, _plots(), pk=plot_id)


# ------------------------------------------------------------------ packing houses


def _packing_houses() -> QuerySet[PackingHouse]:
    return PackingHouse.objects.select_related("operator", "commune__parent").prefetch_related(
        "crops", "markets"
    )


@router.get("/packing-houses", response=list[PackingHouseOut], tags=["packing houses"])
@paginate(Paging)
def list_packing_houses(request: HttpRequest, filters: Query[HolderFilters]):
    return _filter_holders(visible(_actor(request), _packing_houses()), filters)


@router.post("/packing-houses", response={201: PackingHouseCreatedOut}, tags=["packing houses"])
def create_packing_house(request: HttpRequest, payload: PackingHouseIn):
    actor = _actor(request)
    house, app = services.create_packing_house(actor, payload.model_dump())
    house = get_visible(actor, _packing_houses(), pk=house.pk)
    house.application = app
    return Status(201, house)


@router.get("/packing-houses/{house_id}", response=PackingHouseOut, tags=["packing houses"])
def get_packing_house(request: HttpRequest, house_id: int):
    return get_visible(_actor(request), _packing_houses(), pk=house_id)


@router.post("/packing-houses/{house_id}/suspend", response=PackingHouseOut, tags=["codes"])
def suspend_packing_house(request: HttpRequest, house_id: int, payload: SuspendIn):
    actor = _actor(request)
    house = get_visible(actor, PackingHouse.objects.all(), pk=house_id)
    lifecycle.suspend(house, actor, payload.reason, payload.until, payload.effective_date)
    return get_visible(actor, _packing_houses(), pk=house_id)


@router.post("/packing-houses/{house_id}/reinstate", response=PackingHouseOut, tags=["codes"])
def reinstate_packing_house(request: HttpRequest, house_id: int, payload: ReasonIn):
    actor = _actor(request)
    house = get_visible(actor, PackingHouse.objects.all(), pk=house_id)
    lifecycle.reinstate(house, actor, payload.reason, payload.effective_date)
    return get_visible(actor, _packing_houses(), pk=house_id)


@router.post("/packing-houses/{house_id}/revoke", response=PackingHouseOut, tags=["codes"])
def revoke_packing_house(request: HttpRequest, house_id: int, payload: ReasonIn):
    actor = _actor(request)
    house = get_visible(actor, PackingHouse.objects.all(), pk=house_id)
    lifecycle.revoke(house, actor, payload.reason, payload.effective_date)
    return get_visible(actor, _packing_houses(), pk=house_id)


@router.post(
    "/packing-houses/{house_id}/supply-contracts",
    response={201: SupplyContractOut},
    tags=["packing houses"],
)
def create_supply_contract(request: HttpRequest, house_id: int, payload: SupplyContractIn):
    """The packing house buys from a planting area (named by id or code; its code must be
    issued) for a period. Its operator or the province's authority; the area's commune and
    representative are told."""
    actor = _actor(request)
    house = get_visible(actor, PackingHouse.objects.all(), pk=house_id)
    area = services.find_contract_area(payload.area, payload.area_code)
    contract = services.create_supply_contract(
        actor, house, area, payload.valid_from, payload.valid_to, payload.reference
    )
    return Status(201, contract)


@router.post(
    "/supply-contracts/{contract_id}/end", response=SupplyContractOut, tags=["packing houses"]
)
def end_supply_contract(request: HttpRequest, contract_id: int, payload: SupplyContractEndIn):
    """End a supply contract early (its last day becomes `on`, by default today)."""
    actor = _actor(request)
    contract = get_object_or_404(
        SupplyContract.objects.select_related("area", "packing_house"),
        pk=contract_id,
        packing_house__in=visible(actor, PackingHouse.objects.all()),
    )
    return services.end_supply_contract(actor, contract, payload.on, payload.reason)


# ------------------------------------------------------------------ applications

CLOSED = [AppStatus.ISSUED, AppStatus.REJECTED, AppStatus.WITHDRAWN]


def _applications() -> QuerySet[Application]:
    return Application.objects.select_related("area", "packing_house", "applicant")


@router.get("/applications", response=list[ApplicationSummaryOut], tags=["applications"])
@paginate(Paging)
def list_applications(request: HttpRequest, filters: Query[ApplicationFilters]):
    apps = visible(_actor(request), _applications())
    if filters.status:
        apps = apps.filter(status=filters.status)
    if filters.overdue is not None:
        overdue = Q(deadline__lt=timezone.localdate()) & ~Q(status__in=CLOSED)
        apps = apps.filter(overdue) if filters.overdue else apps.exclude(overdue)
    return apps


@router.get("/applications/{app_id}", response=ApplicationOut, tags=["applications"])
def get_application(request: HttpRequest, app_id: int):
    """A file with its steps, inspections and the actions open to you now."""
    return get_visible(_actor(request), _applications(), pk=app_id)


@router.post("/applications/{app_id}/actions", response=ApplicationOut, tags=["applications"])
def act_on_application(request: HttpRequest, app_id: int, payload: ApplicationActionIn):
    """Move the file one step (see allowed_actions)."""
    actor = _actor(request)
    app = get_visible(actor, Application.objects.all(), pk=app_id)
    data = payload.model_dump(exclude_unset=True)
    action = data.pop("action")
    reason = data.pop("reason", "")
    lifecycle.transition(app, action, actor, reason, **data)
    return get_visible(actor, _applications(), pk=app_id)


# ------------------------------------------------------------------ public (no login)

PUBLIC_COLUMNS = list(PublicCodeOut.model_fields)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> object:
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else value


@public_router.get("/codes", response=list[PublicCodeOut])
@paginate(Paging)
def public_codes(request: HttpRequest, filters: Query[PublicFilters]):
    """Issued, suspended and revoked codes: the list importing countries ask for. No
    personal data."""
    return services.public_code_list(filters.model_dump(exclude_none=True))


@public_router.get(
    "/codes.csv",
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def public_codes_csv(request: HttpRequest, filters: Query[PublicFilters]) -> HttpResponse:
    """The public code list as CSV (UTF-8 with BOM, so spreadsheets read Vietnamese)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="agritrace-codes.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(PUBLIC_COLUMNS)
    for row in services.public_code_list(filters.model_dump(exclude_none=True)):
        cells = [_cell(row[c]) for c in PUBLIC_COLUMNS]
        # A name like "=HYPERLINK(...)" must stay text in whatever opens the file.
        writer.writerow(
            "'" + c if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c for c in cells
        )
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@public_router.get(
    "/codes.xlsx",
    openapi_extra={"responses": {200: {"description": "Excel", "content": {XLSX_TYPE: {}}}}},
)
def public_codes_xlsx(request: HttpRequest, filters: Query[PublicFilters]) -> HttpResponse:
    """The public code list as an Excel workbook."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "codes"
    sheet.append(PUBLIC_COLUMNS)
    for row in services.public_code_list(filters.model_dump(exclude_none=True)):
        cells = [_cell(row[c]) for c in PUBLIC_COLUMNS]
        # Control characters (pasted from elsewhere) are not allowed in a workbook.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in cells])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text that merely looks like a formula
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="agritrace-codes.xlsx"'
    return response


@public_router.get("/catalogue", response=CatalogueOut)
def catalogue(request: HttpRequest):
    """Crops with their varieties; markets with their requirements, rules and sources."""
    return {
        "crops": list(Crop.objects.prefetch_related("varieties")),
        "markets": list(
            Market.objects.prefetch_related("rules__crop", "rules__permitted_varieties")
        ),
    }
