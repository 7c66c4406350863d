"""What goes in and out of the misuse API."""

from datetime import date, datetime

from ninja import Field, Schema

from .models import CaseAction


class MisuseRef(Schema):
    id: int
    name: str


class CaseSummaryOut(Schema):
    id: int
    rule: str = Field(..., alias="rule.code")
    rule_title: str = Field(..., alias="rule.title")
    group: str = Field(..., alias="rule.group")
    season: str
    subject_kind: str
    subject_key: str
    code: str
    area_id: int | None
    packing_house_id: int | None
    organisation_id: int | None
    party: MisuseRef | None
    province: MisuseRef | None
    commune: MisuseRef | None
    status: str
    severity: str
    score: float
    action: str
    summary: str
    first_found_at: datetime
    last_found_at: datetime
    times_found: int


class MisuseStepOut(Schema):
    at: datetime
    by: str | None
    from_status: str
    to_status: str
    action: str
    note: str
    result: dict

    @staticmethod
    def resolve_by(obj) -> str | None:
        return obj.by.get_username() if obj.by_id else None


class MisuseCaseOut(CaseSummaryOut):
    explanation: list[dict]
    evidence: dict
    steps: list[MisuseStepOut] = Field(..., alias="steps_list")
    series: dict
    allowed_steps: list[str]


class MisuseNoteIn(Schema):
    note: str = ""


class DismissIn(Schema):
    reason: str = ""


class ActIn(Schema):
    action: CaseAction
    reason: str = ""
    due_date: date | None = Field(
        None, description="A surprise inspection's day (default: in a week)"
    )
    until: date | None = Field(None, description="A suspension's end (optional)")
    inspector: int | None = Field(None, description="A surprise inspection's inspector (user id)")


class RuleOut(Schema):
    code: str
    group: str
    title: str
    description: str
    severity: str
    enabled: bool
    thresholds: dict
    configurable: bool
    source: str
    updated_at: datetime


class RuleIn(Schema):
    thresholds: dict[str, float] | None = None
    enabled: bool | None = None


class CaseFilterQuery(Schema):
    province: int | None = None
    commune: int | None = None
    season: str | None = None
    rule: str | None = Field(None, description="A rule's code")
    status: str | None = None
    severity: str | None = None
    min_score: float | None = None
    q: str | None = Field(None, description="Part of the code, the summary or the firm's name")
