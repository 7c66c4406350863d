"""What goes in and out of the registry API. The types here make ninja answer 422 by itself for
a wrong type or a missing field; what a valid area or plot *is* stays in the services.

Output schemas read model instances. Resolvers that need to know who is asking take
`context` (ninja passes the request in it) and go through `access.visible()` like any query.
"""

import datetime as dt
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Sum
from ninja import Field, Schema
from pydantic import SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from agritrace.accounts.access import Actor, can, visible
from agritrace.accounts.names import display_name_or_none

from .models import Application, AppStatus, CodeStatus, Household

# ------------------------------------------------------------------ helpers


def request_actor(context: dict | None) -> Actor:
    """The actor behind the request a schema is being filled for (PUBLIC if none)."""
    from agritrace.accounts.access import PUBLIC
    from agritrace.apiutil import actor

    request = (context or {}).get("request")
    return actor(request) if request is not None else PUBLIC


class NamedRef(Schema):
    id: int
    name: str


class CatalogueRef(Schema):
    """A crop or a market: its id (used in requests), code and name."""

    id: int
    code: str
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)


class AreaRef(Schema):
    id: int
    name: str
    code: str | None
    code_status: str


class ApplicationRef(Schema):
    id: int
    kind: str
    status: str
    deadline: date | None


def _visible_applications(holder, context) -> list[Application]:
    return list(visible(request_actor(context), holder.applications.all()))


# ------------------------------------------------------------------ planting areas


class AreaSummaryOut(Schema):
    id: int
    name: str
    code: str | None
    code_status: str
    crop: CatalogueRef
    variety: NamedRef | None
    village: str
    commune: NamedRef
    province: NamedRef
    representative: NamedRef
    declared_area_ha: float
    measured_area_ha: float

    @staticmethod
    def resolve_province(obj):
        return obj.commune.province


class MarketStatusOut(Schema):
    id: int
    code: str
    name: str
    approval_status: str | None = Field(
        None, description="Where the importing country's approval stands (null: not started)"
    )
    allowed_moves: list[str] = Field(
        default_factory=list,
        description="Steps of the approval you may record now (POST .../market-approvals)",
    )


class CertificateOut(Schema):
    id: int
    kind: str
    number: str
    issuer: str
    valid_from: date
    valid_to: date
    expired: bool

    @staticmethod
    def resolve_expired(obj) -> bool:
        from django.utils import timezone

        return obj.valid_to < timezone.localdate()


class CertificateIn(Schema):
    kind: str = Field(..., description="vietgap, globalgap, organic or other")
    number: str
    issuer: str = ""
    valid_from: date
    valid_to: date


class CertificatePatch(Schema):
    kind: str | None = None
    number: str | None = None
    issuer: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    reason: str = ""


class HouseRef(Schema):
    id: int
    name: str
    code: str | None
    code_status: str


class AreaContractOut(Schema):
    """A supply contract seen from the planting area: the packing house it supplies."""

    id: int
    packing_house: HouseRef
    valid_from: date
    valid_to: date
    reference: str


class PlotSummaryOut(Schema):
    count: int
    measured_area_ha: float
    overlap_count: int


class AreaOut(AreaSummaryOut):
    expected_yield_t: float
    harvests_per_year: int
    markets: list[MarketStatusOut]
    certificates: list[CertificateOut]
    issued_at: datetime | None
    suspended_until: date | None
    status_reason: str
    flags: list[str]
    households: list[NamedRef]
    plots: PlotSummaryOut
    applications: list[ApplicationRef]
    supply_contracts: list[AreaContractOut] = Field(
        ..., description="Packing houses the area supplies (those you can see)"
    )

    @staticmethod
    def resolve_markets(obj, context) -> list[dict]:
        from .services import allowed_approval_moves

        actor = request_actor(context)
        approvals = {a.market_id: a.status for a in obj.approvals.all()}
        return [
            {
                "id": m.pk,
                "code": m.code,
                "name": str(m),
                "approval_status": approvals.get(m.pk),
                "allowed_moves": allowed_approval_moves(actor, obj, m),
            }
            for m in obj.markets.all()
        ]

    @staticmethod
    def resolve_supply_contracts(obj, context) -> list:
        from .models import PackingHouse

        houses = visible(request_actor(context), PackingHouse.objects.all())
        return list(
            obj.supply_contracts.filter(packing_house__in=houses)
            .select_related("packing_house")
            .order_by("-valid_to", "pk")
        )

    @staticmethod
    def resolve_flags(obj) -> list[str]:
        from .services import area_flags

        return area_flags(obj)

    @staticmethod
    def resolve_households(obj, context) -> list[Household]:
        return list(visible(request_actor(context), obj.households.all()))

    @staticmethod
    def resolve_plots(obj) -> dict:
        from .models import PlotOverlap

        totals = obj.plots.aggregate(m2=Sum("area_m2"))
        return {
            "count": obj.plots.count(),
            "measured_area_ha": round((totals["m2"] or 0) / 10_000, 4),
            "overlap_count": PlotOverlap.objects.filter(plot__area=obj).count(),
        }

    @staticmethod
    def resolve_applications(obj, context) -> list[Application]:
        return _visible_applications(obj, context)


class AreaIn(Schema):
    name: str
    crop: int
    variety: int | None = None
    commune: int | None = Field(
        None, description="The commune's id; or give commune_code, or commune_name + province_name"
    )
    commune_code: str = Field("", description="The commune's official code (current tree)")
    commune_name: str = Field("", description="The commune's name, with province_name")
    province_name: str = Field("", description="The province's name or code")
    representative: int | None = Field(
        None, description="The area's representative; representatives always act for themselves"
    )
    village: str = ""
    declared_area_ha: Decimal
    expected_yield_t: Decimal = Decimal(0)
    harvests_per_year: int = 1
    markets: list[int] = Field(default_factory=list, description="Market ids")


class AreaPatch(Schema):
    name: str | None = None
    crop: int | None = None
    variety: int | None = None
    representative: int | None = None
    village: str | None = None
    declared_area_ha: Decimal | None = None
    expected_yield_t: Decimal | None = None
    harvests_per_year: int | None = None
    markets: list[int] | None = None
    reason: str = ""


class AreaFilters(Schema):
    q: str | None = Field(None, description="Part of the name or code")
    code_status: CodeStatus | None = None


class AreaCreatedOut(AreaOut):
    application: ApplicationRef


class HouseholdsIn(Schema):
    household_ids: list[int]
    #: Households leaving an issued area: the change is said first (422 naming `confirm`)
    #: and saved when confirmed (then reviewed by the authority).
    confirm: bool = False


class ReasonIn(Schema):
    reason: str
    effective_date: date | None = Field(
        None, description="Back-dated move: the day it took effect (default today)"
    )


class SuspendIn(ReasonIn):
    until: date | None = None


class AuthorisationIn(Schema):
    grantee: int = Field(..., description="Organisation id of the exporter or packing house")
    market: int
    valid_from: date
    valid_to: date


class AuthorisationOut(Schema):
    id: int
    area: AreaRef
    grantee: NamedRef
    market: CatalogueRef
    valid_from: date
    valid_to: date
    granted_at: datetime
    withdrawn_at: datetime | None
    withdrawn_from: date | None = Field(
        None, description="The first day it no longer holds (the days before keep their answer)"
    )
    withdrawal_reason: str


class WithdrawIn(Schema):
    reason: str = Field(..., min_length=1)
    withdrawn_from: date | None = Field(
        None, description="The first day the withdrawal takes effect (by default today; not later)"
    )


class MayUseQuery(Schema):
    org: int | None = Field(None, description="Organisation id; by default your own")
    market: int
    date: dt.date | None = Field(None, description="By default today")
    day: dt.date | None = Field(None, description="The same as date (either may be given)")


class MayUseOut(Schema):
    allowed: bool
    reason: str
    area: AreaRef
    organisation: NamedRef
    market: CatalogueRef
    date: dt.date


class MarketApprovalIn(Schema):
    market: int
    move: Literal["submit", "send", "approve", "refuse", "withdraw"]
    on: date | None = None
    importer_list_ref: str = ""
    note: str = ""


class SupplyContractIn(Schema):
    area: int | None = Field(None, description="Planting area id; or give area_code")
    area_code: str | None = Field(None, description="The area's code, e.g. VN-DLOR-0001")
    valid_from: date
    valid_to: date
    reference: str = ""


class SupplyContractEndIn(Schema):
    on: date | None = Field(None, description="The contract's new last day (by default today)")
    reason: str = ""


class SupplyContractOut(Schema):
    id: int
    packing_house: HouseRef
    area: AreaRef
    valid_from: date
    valid_to: date
    reference: str


class MarketApprovalOut(Schema):
    id: int
    market: CatalogueRef
    status: str
    submitted_at: date | None
    sent_at: date | None
    decided_at: date | None
    importer_list_ref: str
    note: str


# ------------------------------------------------------------------ households


class HouseholdOut(Schema):
    id: int
    name: str
    address: str
    phone: str
    commune: NamedRef
    province: NamedRef
    representative: NamedRef
    areas: list[AreaRef]
    organisation: NamedRef | None = Field(
        None, description="The household's own login organisation, if it has one"
    )
    national_id: str | None = Field(
        None, description="Only present for those who may see personal data"
    )

    @staticmethod
    def resolve_province(obj):
        return obj.commune.province

    @staticmethod
    def resolve_areas(obj, context) -> list:
        return list(visible(request_actor(context), obj.areas.all()))

    @staticmethod
    def resolve_national_id(obj, context) -> str | None:
        if can(request_actor(context), "see_personal_data"):
            return obj.national_id
        return None

    @model_serializer(mode="wrap")
    def _hide_personal_data(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):
        # Leave the key out altogether (not null) unless the reader may see personal data;
        # without a request to tell who reads, leave it out.
        data = handler(self)
        if not can(request_actor(info.context), "see_personal_data"):
            data.pop("national_id", None)
        return data


class HouseholdIn(Schema):
    name: str
    commune: int | None = Field(
        None, description="The commune's id; or give commune_code, or commune_name + province_name"
    )
    commune_code: str = Field("", description="The commune's official code (current tree)")
    commune_name: str = Field("", description="The commune's name, with province_name")
    province_name: str = Field("", description="The province's name or code")
    representative: int | None = None
    national_id: str | None = None
    phone: str = ""
    address: str = ""


class HouseholdOrganisationIn(Schema):
    organisation: int | None = Field(
        None,
        description="An existing household organisation of the household's commune; null "
        "makes a new one",
    )


class HouseholdPatch(Schema):
    name: str | None = None
    national_id: str | None = None
    phone: str | None = None
    address: str | None = None
    reason: str = ""


class SearchFilters(Schema):
    q: str | None = Field(None, description="Part of the name (or code)")


# ------------------------------------------------------------------ plots


class PlotProperties(Schema):
    label: str
    household: NamedRef
    area: AreaRef | None
    crop: CatalogueRef
    planting_year: int | None
    area_m2: float
    area_ha: float
    overlap_count: int

    @staticmethod
    def resolve_overlap_count(obj) -> int:
        return obj.overlaps.count()


class PlotFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict[str, Any]
    properties: PlotProperties

    @staticmethod
    def resolve_type(obj) -> str:
        return "Feature"

    @staticmethod
    def resolve_properties(obj):
        return obj


class PlotCollection(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[PlotFeature]


class PlotIn(Schema):
    household: int
    area: int | None = None
    label: str
    crop: int | None = Field(None, description="By default the planting area's crop")
    planting_year: int | None = None
    geometry: dict[str, Any] = Field(..., description="GeoJSON Polygon or MultiPolygon")


class PlotPatch(Schema):
    household: int | None = None
    area: int | None = None
    label: str | None = None
    crop: int | None = None
    planting_year: int | None = None
    geometry: dict[str, Any] | None = None
    reason: str = ""


class PlotImportProperties(Schema):
    household: int
    label: str
    area: int | None = None
    crop: int | None = None
    planting_year: int | None = None


class PlotImportFeature(Schema):
    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: PlotImportProperties


class PlotImportIn(Schema):
    type: Literal["FeatureCollection"]
    features: list[PlotImportFeature] = Field(..., min_length=1)


# ------------------------------------------------------------------ packing houses


class PackingHouseOut(Schema):
    id: int
    name: str
    code: str | None
    code_status: str
    operator: NamedRef
    address: str
    commune: NamedRef
    province: NamedRef
    lon: float | None
    lat: float | None
    capacity_t_per_day: float
    crops: list[CatalogueRef]
    markets: list[CatalogueRef]
    issued_at: datetime | None
    suspended_until: date | None
    status_reason: str
    applications: list[ApplicationRef]
    supply_contracts: list[SupplyContractOut] = Field(
        ..., description="Planting areas that supply the house (those you can see)"
    )

    @staticmethod
    def resolve_province(obj):
        return obj.commune.province

    @staticmethod
    def resolve_applications(obj, context) -> list[Application]:
        return _visible_applications(obj, context)

    @staticmethod
    def resolve_supply_contracts(obj, context) -> list:
        from .models import PlantingArea

        areas = visible(request_actor(context), PlantingArea.objects.all())
        return list(
            obj.supply_contracts.filter(area__in=areas)
            .select_related("area", "packing_house")
            .order_by("-valid_to", "pk")
        )


class PackingHouseCreatedOut(PackingHouseOut):
    application: ApplicationRef


class PackingHouseIn(Schema):
    name: str
    address: str
    commune: int | None = Field(
        None, description="The commune's id; or give commune_code, or commune_name + province_name"
    )
    commune_code: str = Field("", description="The commune's official code (current tree)")
    commune_name: str = Field("", description="The commune's name, with province_name")
    province_name: str = Field("", description="The province's name or code")
    operator: int | None = Field(
        None, description="Operating organisation; packing houses and exporters act for themselves"
    )
    lon: float | None = None
    lat: float | None = None
    capacity_t_per_day: Decimal
    crops: list[int] = Field(default_factory=list)
    markets: list[int] = Field(default_factory=list)


class HolderFilters(Schema):
    q: str | None = Field(None, description="Part of the name or code")
    code_status: CodeStatus | None = None


# ------------------------------------------------------------------ applications


class SubjectRef(Schema):
    type: Literal["area", "packing_house"]
    id: int
    name: str
    code: str | None
    code_status: str


def _subject(obj: Application) -> dict:
    holder = obj.subject
    return {
        "type": "area" if obj.area_id else "packing_house",
        "id": holder.pk,
        "name": holder.name,
        "code": holder.code,
        "code_status": holder.code_status,
    }


class ApplicationSummaryOut(Schema):
    id: int
    kind: str
    status: str
    subject: SubjectRef
    applicant: NamedRef
    deadline: date | None
    is_overdue: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_subject(obj) -> dict:
        return _subject(obj)


class StepOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str | None
    actor_org: NamedRef | None
    at: datetime
    reason: str
    deadline: date | None

    @staticmethod
    def resolve_actor(obj) -> str | None:
        user = obj.actor
        return display_name_or_none(user)


class InspectionOut(Schema):
    id: int
    scheduled_for: date
    inspector: str | None
    recorded_at: datetime | None
    result: str
    checklist: dict[str, str]
    notes: str
    lon: float | None
    lat: float | None

    @staticmethod
    def resolve_inspector(obj) -> str | None:
        user = obj.inspector
        return display_name_or_none(user)


class ApplicationOut(ApplicationSummaryOut):
    notes: str
    steps: list[StepOut]
    inspections: list[InspectionOut]
    allowed_actions: list[str]
    warnings: list[str] = Field(
        description="What to check before deciding: declared against measured area, "
        "overlapping plots, missing pieces of the file, no document"
    )

    @staticmethod
    def resolve_warnings(obj) -> list[str]:
        from .decisions import application_warnings

        return application_warnings(obj)

    @staticmethod
    def resolve_steps(obj) -> list:
        return list(obj.steps.select_related("actor", "actor_org"))

    @staticmethod
    def resolve_inspections(obj) -> list:
        return list(obj.inspections.select_related("inspector").order_by("scheduled_for", "pk"))

    @staticmethod
    def resolve_allowed_actions(obj, context) -> list[str]:
        from .lifecycle import allowed_actions

        return allowed_actions(obj, request_actor(context))


class ApplicationFilters(Schema):
    status: AppStatus | None = None
    overdue: bool | None = Field(None, description="true: open files past their deadline")


class ApplicationActionIn(Schema):
    action: str = Field(
        ...,
        description="submit, start_appraisal, return, accept, approve, reject, issue, withdraw, "
        "schedule_inspection or record_inspection",
    )
    reason: str = ""
    scheduled_for: date | None = Field(None, description="schedule_inspection")
    checklist: dict[str, str] | None = Field(None, description="record_inspection: pass/fail/na")
    notes: str = Field("", description="record_inspection")
    lon: float | None = None
    lat: float | None = None


# ------------------------------------------------------------------ public


class PublicFilters(Schema):
    q: str | None = Field(None, description="Part of the code or name")
    province: int | None = Field(None, description="Province id")
    crop: str | None = Field(None, description="Crop code, e.g. durian")
    market: str | None = Field(None, description="Market code, e.g. CN")
    status: Literal["issued", "suspended", "revoked"] | None = None
    kind: Literal["area", "packing_house"] | None = None


class PublicCodeOut(Schema):
    code: str
    kind: str
    name: str
    crop: str
    province: str
    commune: str
    area_ha: float | None
    status: str
    markets: list[str]
    approved_markets: list[str]
    issued_at: date | None


class VarietyOut(Schema):
    id: int
    name: str


class CropOut(Schema):
    id: int
    code: str
    name_vi: str
    name_en: str
    scientific_name: str
    varieties: list[VarietyOut]


class MarketRuleOut(Schema):
    crop: str | None
    min_area_ha: float | None
    single_variety: bool
    permitted_varieties: list[str]
    required_certificates: list[str]
    note: str
    source: str
    source_date: date | None

    @staticmethod
    def resolve_crop(obj) -> str | None:
        return obj.crop.code if obj.crop_id else None

    @staticmethod
    def resolve_permitted_varieties(obj) -> list[str]:
        return [v.name for v in obj.permitted_varieties.all()]


class MarketOut(Schema):
    id: int
    code: str
    name_vi: str
    name_en: str
    needs_importer_approval: bool
    requirements: str
    source: str
    source_date: date | None
    rules: list[MarketRuleOut]


class CatalogueOut(Schema):
    crops: list[CropOut]
    markets: list[MarketOut]
