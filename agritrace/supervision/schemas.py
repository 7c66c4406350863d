"""What goes in and out of the supervision API. The types make ninja answer 422 by itself
for a wrong type or a missing field; what a valid visit, sample or result *is* stays in the
services, whose ValidationError names the field."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

# ------------------------------------------------------------------ references


def _sees_risk(context: dict | None) -> bool:
    """Risk scores and their reasons are for the authority only."""
    from agritrace.accounts.access import sees_supervision_plans
    from agritrace.registry.schemas import request_actor

    return sees_supervision_plans(request_actor(context))


class Ref(Schema):
    id: int
    name: str


class HolderRef(Schema):
    kind: str = Field(..., description="area or packing_house")
    id: int
    code: str | None
    name: str
    code_status: str


def holder_ref(holder) -> dict | None:
    if holder is None:
        return None
    from agritrace.registry.models import PlantingArea

    return {
        "kind": "area" if isinstance(holder, PlantingArea) else "packing_house",
        "id": holder.pk,
        "code": holder.code,
        "name": holder.name,
        "code_status": holder.code_status,
    }


class UserRef(Schema):
    id: int
    username: str


class MarketRef(Schema):
    id: int
    code: str
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)


# ------------------------------------------------------------------ plans and visits


class PlanIn(Schema):
    province: int
    season: str
    start: date | None = None
    end: date | None = None
    assign: bool = True


class PlanOut(Schema):
    id: int
    province: Ref
    season: str
    start: date
    end: date
    visit_count: int
    done_count: int
    overdue_count: int

    @staticmethod
    def resolve_visit_count(obj) -> int:
        return obj.visits.count()

    @staticmethod
    def resolve_done_count(obj) -> int:
        return obj.visits.filter(recorded_at__isnull=False).count()

    @staticmethod
    def resolve_overdue_count(obj) -> int:
        from django.utils import timezone

        return obj.visits.filter(
            recorded_at__isnull=True, due_date__lt=timezone.localdate()
        ).count()


class VisitItemOut(Schema):
    key: str
    label: str
    result: str
    note: str

    @staticmethod
    def resolve_key(obj) -> str:
        return obj.item.key

    @staticmethod
    def resolve_label(obj) -> str:
        return str(obj.item)


class CorrectiveActionOut(Schema):
    id: int
    item_key: str
    description: str
    deadline: date
    done_at: datetime | None
    done_note: str


class PhotoOut(Schema):
    id: int
    item_key: str
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        from django.urls import reverse

        return reverse("supervision-photo", args=[obj.pk])


class VisitOut(Schema):
    id: int
    plan: int | None = Field(None, alias="plan_id")
    holder: HolderRef
    kind: str
    season_label: str
    due_date: date
    status: str = Field(..., description="planned, done or overdue")
    inspector: UserRef | None
    risk_score: int | None = Field(
        None, description="The authority's only (null for the inspected)"
    )
    risk_reasons: list[str] = Field(
        default_factory=list, description="The authority's only (empty for the inspected)"
    )
    notice: int | None = Field(None, alias="notice_id")
    reason: str
    visited_on: date | None
    recorded_at: datetime | None
    lon: float | None
    lat: float | None
    outcome: str
    notes: str
    proposal_decision: str
    items: list[VisitItemOut]
    corrective_actions: list[CorrectiveActionOut]
    photos: list[PhotoOut]

    @staticmethod
    def resolve_holder(obj) -> dict | None:
        return holder_ref(obj.holder)

    @staticmethod
    def resolve_risk_score(obj, context) -> int | None:
        return obj.risk_score if _sees_risk(context) else None

    @staticmethod
    def resolve_risk_reasons(obj, context) -> list[str]:
        return list(obj.risk_reasons or []) if _sees_risk(context) else []

    @staticmethod
    def resolve_reason(obj, context) -> str:
        return obj.reason if _sees_risk(context) else ""

    @staticmethod
    def resolve_items(obj) -> list:
        return list(obj.items.select_related("item"))

    @staticmethod
    def resolve_corrective_actions(obj) -> list:
        return list(obj.corrective_actions.all())

    @staticmethod
    def resolve_photos(obj) -> list:
        return list(obj.photos.all())


class VisitIn(Schema):
    area: int | None = None
    packing_house: int | None = None
    due_date: date
    kind: str = "surprise"
    inspector: int | None = None
    reason: str = ""


class AssignIn(Schema):
    inspector: int


class CorrectiveActionIn(Schema):
    description: str
    deadline: date


class RecordVisitIn(Schema):
    items: dict[str, Any] = Field(
        ...,
        description='Every checklist item: {"key": "pass"|"fail"|"na"} or '
        '{"key": {"result": "fail", "note": "what was wrong"}}',
    )
    outcome: str | None = Field(
        None, description="passed, corrective or suspend (default: from the items)"
    )
    notes: str = ""
    lon: float | None = None
    lat: float | None = None
    visited_on: date | None = None
    corrective_deadline: date | None = None
    corrective_actions: list[CorrectiveActionIn] = []


class DecideProposalIn(Schema):
    accept: bool
    reason: str = ""
    until: date | None = None


class NoteIn(Schema):
    note: str = ""


class ChecklistItemOut(Schema):
    key: str
    label: str

    @staticmethod
    def resolve_label(obj) -> str:
        return str(obj)


class ChecklistOut(Schema):
    kind: str
    version: int
    name: str
    source: str
    items: list[ChecklistItemOut]

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)

    @staticmethod
    def resolve_items(obj) -> list:
        return list(obj.items.all())


# ------------------------------------------------------------------ pests


class PestOut(Schema):
    id: int
    key: str
    name_en: str
    name_vi: str
    scientific_name: str
    kind: str


class MarketPestOut(Schema):
    market: MarketRef
    crop: str
    pest: PestOut
    source: str
    source_date: date | None

    @staticmethod
    def resolve_crop(obj) -> str:
        return obj.crop.code


class ObservationIn(Schema):
    area: int
    plot: int | None = None
    observed_on: date
    pest: str = Field(..., description="The pest's key (or id)")
    incidence_pct: Decimal | None = None
    count_per_tree: Decimal | None = None
    visit: int | None = None
    note: str = ""


class ObservationOut(Schema):
    id: int
    area: int = Field(..., alias="area_id")
    plot: int | None = Field(None, alias="plot_id")
    observed_on: date
    pest: PestOut
    incidence_pct: float | None
    count_per_tree: float | None
    visit: int | None = Field(None, alias="visit_id")
    note: str


# ------------------------------------------------------------------ residues


class ResiduePlanIn(Schema):
    province: int
    year: int
    target_samples: int
    source: str = ""
    source_date: date | None = None


class ResiduePlanOut(Schema):
    id: int
    province: Ref
    year: int
    target_samples: int
    source: str
    source_date: date | None
    progress: dict[str, int]

    @staticmethod
    def resolve_progress(obj, context) -> dict:
        from agritrace.registry.schemas import request_actor

        from .services import residue_progress

        return residue_progress(request_actor(context), obj)


class SampleIn(Schema):
    area: int
    code: str = ""
    plot_or_lot: str = ""
    sampled_on: date | None = None
    planned_for: date | None = None
    laboratory: int
    analyses: list[str]


class TakeSampleIn(Schema):
    sampled_on: date
    plot_or_lot: str = ""


class ResultOut(Schema):
    id: int
    ingredient: str
    ingredient_id: int
    value_mg_kg: float
    loq_mg_kg: float | None
    analysed_on: date

    @staticmethod
    def resolve_ingredient(obj) -> str:
        return obj.ingredient.name


class SampleOut(Schema):
    id: int
    code: str
    area: HolderRef
    plot_or_lot: str
    planned_for: date | None
    sampled_on: date | None
    laboratory: Ref
    analyses: list[str]
    status: str
    follow_up_of: int | None = Field(None, alias="follow_up_of_id")
    notice: int | None = Field(None, alias="notice_id")
    results: list[ResultOut]

    @staticmethod
    def resolve_area(obj) -> dict | None:
        return holder_ref(obj.area)

    @staticmethod
    def resolve_results(obj) -> list:
        return list(obj.results.select_related("ingredient"))


class ResultIn(Schema):
    ingredient: str = Field(
        ..., description="The active ingredient's name in the input catalogue (or its id)"
    )
    value_mg_kg: Decimal
    loq_mg_kg: Decimal | None = None
    analysed_on: date


class CaseOut(Schema):
    id: int
    sample: str
    area: HolderRef
    market: MarketRef
    ingredient: str
    ingredient_id: int
    value_mg_kg: float
    limit_mg_kg: float
    limit_source: str
    follow_up: str | None
    status: str
    opened_at: datetime
    closed_at: datetime | None
    resolution: str

    @staticmethod
    def resolve_sample(obj) -> str:
        return obj.sample.code

    @staticmethod
    def resolve_area(obj) -> dict | None:
        return holder_ref(obj.area)

    @staticmethod
    def resolve_follow_up(obj) -> str | None:
        return obj.follow_up.code if obj.follow_up_id else None

    @staticmethod
    def resolve_ingredient(obj) -> str:
        return obj.ingredient.name


class ResultEnteredOut(Schema):
    result: ResultOut
    cases: list[CaseOut]
    sample_status: str


class ImportOut(Schema):
    results: int
    cases: int


class CloseCaseIn(Schema):
    resolution: str


class LimitOut(Schema):
    market: MarketRef
    crop: str | None
    ingredient: str = Field(..., description="'*': the market's default for other ingredients")
    ingredient_id: int | None
    mrl_mg_kg: float
    source: str
    source_date: date | None
    is_demo: bool

    @staticmethod
    def resolve_crop(obj) -> str | None:
        return obj.crop.code if obj.crop_id else None

    @staticmethod
    def resolve_ingredient(obj) -> str:
        return obj.ingredient_name


class FlagOut(Schema):
    market: MarketRef
    reason: str
    case: int | None = Field(None, alias="case_id")
    raised_at: datetime


class RiskOut(Schema):
    holder: HolderRef
    score: int
    reasons: list[str]
    flags: list[FlagOut] = []


# ------------------------------------------------------------------ notices


class NoticeIn(Schema):
    market: str = Field(..., description="Market code (CN) or id")
    reference: str = ""
    received_on: date
    shipment_reference: str = ""
    codes: list[str]
    hazard: str = Field(..., description="pest, residue, cadmium, dye, labelling or other")
    detail: str = ""


class InvestigateIn(Schema):
    visit_due: date | None = None
    inspector: int | None = None
    sample: SampleIn | None = Field(
        None, description="A sample to take at every named area (its area field is ignored)"
    )


class DecideNoticeIn(Schema):
    decision: str = Field(..., description="warning, suspension or revocation")
    reason: str
    until: date | None = None


class ReplyIn(Schema):
    reply_text: str
    replied_on: date | None = None


class NoticeOut(Schema):
    id: int
    market: MarketRef
    reference: str
    received_on: date
    shipment_reference: str
    codes_as_received: str
    holders: list[HolderRef]
    hazard: str
    detail: str
    status: str
    decision: str
    decision_reason: str
    decided_at: datetime | None
    reply_text: str
    replied_on: date | None
    visits: list[int]
    samples: list[str]

    @staticmethod
    def resolve_holders(obj) -> list:
        from .services import notice_holders

        return [holder_ref(h) for h in notice_holders(obj)]

    @staticmethod
    def resolve_visits(obj) -> list[int]:
        return list(obj.visits.values_list("pk", flat=True))

    @staticmethod
    def resolve_samples(obj) -> list[str]:
        return list(obj.samples.values_list("code", flat=True))
