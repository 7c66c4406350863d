"""The reports API's bodies and answers."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class TargetIn(Schema):
    metric: str = Field(
        ..., description="hectares, area_codes, packing_houses, residue_samples, training_classes"
    )
    year: int
    value: Decimal
    unit_id: int | None = Field(None, description="A commune, or an earlier district/commune")
    unit: str = Field("", description="Or the unit by name; both empty: the whole province")
    crop: str = Field("", description="A crop code or a group (rice, fruit, vegetables)")
    kind: str = Field("target", description="target, or baseline (reported by the plan)")
    cumulative: bool = False
    source: str = Field(..., description="The plan the figure comes from (or 'unknown')")
    source_date: dt.date | None = None
    note: str = ""


class TargetOut(Schema):
    id: int
    province: str
    unit_id: int | None
    unit: str
    crop: str
    crop_group: str
    year: int
    metric: str
    kind: str
    cumulative: bool
    value: Decimal
    source: str
    source_date: dt.date | None
    note: str

    @staticmethod
    def resolve_province(obj) -> str:
        return obj.province.name

    @staticmethod
    def resolve_unit(obj) -> str:
        return obj.unit.name if obj.unit_id else ""

    @staticmethod
    def resolve_crop(obj) -> str:
        return obj.crop.code if obj.crop_id else ""


class CodeOut(Schema):
    kind: str
    id: int
    code: str
    name: str
    hectares: str | None = None


class FigureOut(Schema):
    target: TargetOut
    achieved: Decimal
    percent: float | None
    codes: list[CodeOut] = []


class YearQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100)


class ClassIn(Schema):
    topic: str = Field(..., description="gap, pesticides, codes, traceability")
    title: str
    place: str
    planned_on: dt.date
    trainer: str
    commune_id: int | None = None
    crop: str = ""
    materials: str = ""


class HeldIn(Schema):
    held_on: dt.date
    households: list[int] = []
    organisations: list[int] = Field([], description="Cooperatives (representatives)")
    outsiders: int = Field(0, description="Attendees not in the registry")


class ClassOut(Schema):
    id: int
    topic: str
    title: str
    place: str
    planned_on: dt.date
    held_on: dt.date | None
    trainer: str
    commune_id: int | None
    crop: str
    materials: str
    outsiders: int
    households: list[int]
    organisations: list[int]

    @staticmethod
    def resolve_crop(obj) -> str:
        return obj.crop.code if obj.crop_id else ""

    @staticmethod
    def resolve_households(obj) -> list[int]:
        return sorted(obj.households.values_list("pk", flat=True))

    @staticmethod
    def resolve_organisations(obj) -> list[int]:
        return sorted(obj.organisations.values_list("pk", flat=True))


class TrainingPlanOut(Schema):
    year: int
    planned: int
    held: int
    target: float | None


class ReportIn(Schema):
    kind: str = Field(..., description="half_year (due 15 May) or annual (due 30 November)")
    year: int
    period_start: dt.date | None = None
    period_end: dt.date | None = None


class ReportOut(Schema):
    id: int
    province: str
    kind: str
    year: int
    version: int
    period_start: dt.date
    period_end: dt.date
    due_on: dt.date
    status: str
    generated_at: dt.datetime
    submitted_at: dt.datetime | None

    @staticmethod
    def resolve_province(obj) -> str:
        return obj.province.name


class ReportDetailOut(ReportOut):
    figures: dict


class DeadlineOut(Schema):
    kind: str
    label: str
    year: int
    due_on: dt.date
    days_left: int
    submitted: bool
