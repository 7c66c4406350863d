"""What goes in and out of the diary API. Types make ninja answer 422 by itself for a wrong
type or a missing field; what a valid entry *is* stays in diary.services."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from agritrace.accounts.names import display_name_or_none
from agritrace.registry.schemas import NamedRef


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# ------------------------------------------------------------------ catalogue


class IngredientRef(Schema):
    id: int
    name: str


class CompositionOut(Schema):
    ingredient: IngredientRef
    concentration: float | None
    concentration_unit: str


class PhiOut(Schema):
    crop: str
    phi_days: int
    max_dose: float | None
    max_dose_unit: str
    dose_basis: str = Field(..., description="HAR: per hectare; LTR: per litre of spray water")
    source: str

    @staticmethod
    def resolve_crop(obj) -> str:
        return obj.crop.code


class PesticideOut(Schema):
    id: int
    trade_name: str
    registration_number: str
    status: str = Field(..., description="registered, banned, withdrawn or unregistered")
    form: str = Field(..., description="liquid (by volume), powder or granule (by mass)")
    formulation: str
    composition: list[CompositionOut]
    phis: list[PhiOut]
    source: str
    source_date: dt.date | None

    @staticmethod
    def resolve_composition(obj) -> list:
        return list(obj.composition.all())

    @staticmethod
    def resolve_phis(obj) -> list:
        return list(obj.phis.all())


class FertiliserOut(Schema):
    id: int
    name: str
    kind: str
    form: str
    n_percent: float
    p_percent: float
    k_percent: float
    source: str
    source_date: dt.date | None


class DiaryMarketRuleOut(Schema):
    market: str
    allowed: bool
    note: str
    source: str

    @staticmethod
    def resolve_market(obj) -> str:
        return obj.market.code


class IngredientOut(Schema):
    id: int
    name: str
    cas_number: str
    banned_in_vietnam: bool
    banned_from: dt.date | None
    note: str
    source: str
    source_date: dt.date | None
    market_rules: list[DiaryMarketRuleOut]

    @staticmethod
    def resolve_market_rules(obj) -> list:
        return list(obj.market_rules.all())


class CatalogueFilters(Schema):
    q: str | None = Field(None, description="Part of the name")
    status: str | None = Field(None, description="Pesticides: registration status")


class CatalogueImportOut(Schema):
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: int
    summary: str


# ------------------------------------------------------------------ entries and flags


class PlotRef(Schema):
    id: int
    label: str
    household: NamedRef


class DiaryAreaRef(Schema):
    id: int
    name: str
    code: str | None


class ProductRef(Schema):
    id: int
    name: str


class DiaryFlagOut(Schema):
    id: int
    entry_id: int
    kind: str
    message: str
    market: str | None
    ingredient: str | None
    related_entry_id: int | None
    details: dict
    created_at: dt.datetime
    is_open: bool
    resolved_at: dt.datetime | None
    resolution: str

    @staticmethod
    def resolve_market(obj) -> str | None:
        return obj.market.code if obj.market_id else None

    @staticmethod
    def resolve_ingredient(obj) -> str | None:
        return obj.ingredient.name if obj.ingredient_id else None


class EntryOut(Schema):
    id: int
    kind: str
    date: dt.date
    plot: PlotRef | None
    area: DiaryAreaRef | None
    whole_area: bool = Field(..., description="True: the entry is about the whole area")
    recorded_for: NamedRef | None
    recorded_by: str | None
    recorded_by_name: str | None
    pesticide: ProductRef | None
    fertiliser: ProductRef | None
    other_product: str
    quantity: float | None
    unit: str = Field(..., description="UN/CEFACT Rec. 20 code: KGM, GRM, TNE, LTR, MLT, ...")
    spray_volume_l: float | None
    treated_area_ha: float | None
    dose_per_ha: float | None = Field(
        None, description="Kilograms or litres of product per hectare of the ground"
    )
    notes: str
    revision: int
    flags: list[DiaryFlagOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_whole_area(obj) -> bool:
        return obj.plot_id is None

    @staticmethod
    def resolve_recorded_by(obj) -> str | None:
        return obj.recorded_by.get_username() if obj.recorded_by_id else None

    @staticmethod
    def resolve_recorded_by_name(obj) -> str | None:
        return display_name_or_none(obj.recorded_by) if obj.recorded_by_id else None

    @staticmethod
    def resolve_pesticide(obj):
        p = obj.pesticide
        return {"id": p.pk, "name": p.trade_name} if p else None

    @staticmethod
    def resolve_fertiliser(obj):
        f = obj.fertiliser
        return {"id": f.pk, "name": f.name} if f else None

    @staticmethod
    def resolve_flags(obj) -> list:
        return list(obj.flags.all())

    @staticmethod
    def resolve_quantity(obj):
        return _num(obj.quantity)

    @staticmethod
    def resolve_spray_volume_l(obj):
        return _num(obj.spray_volume_l)

    @staticmethod
    def resolve_treated_area_ha(obj):
        return _num(obj.treated_area_ha)

    @staticmethod
    def resolve_dose_per_ha(obj):
        return _num(obj.dose_per_ha)


class EntryCreatedOut(EntryOut):
    new_flags: list[DiaryFlagOut] = Field(
        default_factory=list, description="Warnings this entry raised: show them to the person"
    )


class EntryIn(Schema):
    kind: str = Field(
        ...,
        description="planting, fertilising, spraying, irrigation, pruning, "
        "fruit_bagging, flower_fruit_treatment, harvest or other",
    )
    date: dt.date
    plot: int | None = Field(None, description="The plot (or give `area` for a whole area)")
    area: int | None = None
    pesticide: int | None = None
    fertiliser: int | None = None
    other_product: str = Field("", description="A product not in the catalogue, as written")
    quantity: Decimal | None = None
    unit: str = ""
    spray_volume_l: Decimal | None = None
    notes: str = ""


class EntryPatch(Schema):
    kind: str | None = None
    date: dt.date | None = None
    plot: int | None = None
    area: int | None = None
    pesticide: int | None = None
    fertiliser: int | None = None
    other_product: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    spray_volume_l: Decimal | None = None
    notes: str | None = None
    reason: str = Field("", description="Why the entry is changed (kept with the revision)")


class EntryFilters(Schema):
    area: int | None = None
    plot: int | None = None
    kind: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    flagged: bool | None = Field(None, description="Only entries with an open flag")


class RevisionOut(Schema):
    number: int
    data: dict
    replaced_by: str | None
    replaced_by_name: str | None
    replaced_at: dt.datetime
    reason: str

    @staticmethod
    def resolve_replaced_by(obj) -> str | None:
        return obj.replaced_by.get_username() if obj.replaced_by_id else None

    @staticmethod
    def resolve_replaced_by_name(obj) -> str | None:
        return display_name_or_none(obj.replaced_by) if obj.replaced_by_id else None


class FlagFilters(Schema):
    status: str = Field("open", description="open, closed or all")
    area: int | None = None
    kind: str | None = None


class ResolveIn(Schema):
    resolution: str


class SeasonImportOut(Schema):
    entries: int
    flags: int
    flagged_entries: list[int]


# ------------------------------------------------------------------ forecast


class PlanRowIn(Schema):
    buyer: str
    buyer_org: int | None = None
    tonnes: Decimal
    month: str = Field(..., description="2026-06")


class DiaryPlanIn(Schema):
    season: str = Field(..., description="2026, or 2026-1 / 2026-2 with dates")
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    rows: list[PlanRowIn]


class PlanRowOut(Schema):
    buyer: str
    buyer_org: int | None
    tonnes: float
    month: str

    @staticmethod
    def resolve_buyer_org(obj):
        return obj.buyer_org_id

    @staticmethod
    def resolve_month(obj) -> str:
        return obj.month.strftime("%Y-%m")


class ForecastOut(Schema):
    area: DiaryAreaRef
    season: str
    starts_on: dt.date
    ends_on: dt.date
    area_ha: float
    yield_t_per_ha: float
    yield_source: str
    model_t: float = Field(..., description="Area × yield per hectare")
    harvested_t: float = Field(..., description="Harvests recorded in the diary this season")
    expected_t: float
    planned_t: float
    over_capacity: bool = Field(..., description="The purchase plan exceeds the forecast")
    warnings: list[str]
    plan: list[PlanRowOut]

    @staticmethod
    def resolve_plan(obj) -> list:
        return list(obj.plan.all()) if obj.pk else []

    @staticmethod
    def resolve_warnings(obj) -> list[str]:
        from .services import forecast_warnings

        return forecast_warnings(obj)


class ForecastQuery(Schema):
    season: str | None = Field(None, description="Default: this year")
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class SprayWindowOut(Schema):
    entry_id: int
    date: dt.date
    product: str
    phi_days: int | None
    lawful_from: dt.date | None


class HarvestWindowOut(Schema):
    earliest_lawful_harvest: dt.date | None
    lawful_now: bool
    days_left: int
    sprays: list[SprayWindowOut]
