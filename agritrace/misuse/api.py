"""The misuse API (mounted at /api/misuse/): cases with filters, a case with its evidence,
steps and chart series, the officer's steps, the case list as a workbook, and the rules.
Thin: reads go through `misuse.access` (a firm or the public: 403; a case outside one's land:
404), writes are one service call each (ValidationError → 422 naming the field)."""

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.pagination import paginate

from agritrace.apiutil import actor as _actor
from agritrace.paging import Paging

from . import access, queries, thresholds, workflow
from .export import XLSX_TYPE, cases_workbook
from .models import Case
from .schemas import (
    ActIn,
    CaseFilterQuery,
    CaseSummaryOut,
    DismissIn,
    MisuseCaseOut,
    MisuseNoteIn,
    RuleIn,
    RuleOut,
)
from .series import case_series

router = Router(tags=["misuse"])


def _filters(query: CaseFilterQuery) -> queries.CaseFilters:
    return queries.CaseFilters(**query.model_dump())


@router.get("/cases", response=list[CaseSummaryOut])
@paginate(Paging)
def list_cases(request: HttpRequest, filters: Query[CaseFilterQuery]):
    """The cases one may see (the province's, the commune's land), highest score first."""
    return queries.cases(_actor(request), _filters(filters))


@router.get(
    "/cases.xlsx",
    openapi_extra={"responses": {200: {"description": "Excel", "content": {XLSX_TYPE: {}}}}},
)
def cases_xlsx(request: HttpRequest, filters: Query[CaseFilterQuery]) -> HttpResponse:
    """The case list for a meeting: one row per case and a chart of the cases per rule."""
    data = cases_workbook(queries.cases(_actor(request), _filters(filters)))
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="agritrace-misuse-cases.xlsx"'
    return response


def _detail(request: HttpRequest, case_id: int) -> Case:
    actor = _actor(request)
    case = access.get_case(
        actor,
        case_id,
        Case.objects.select_related(
            "rule", "party", "province", "commune", "area", "packing_house", "organisation"
        ),
    )
    case.series = case_series(case)
    case.allowed_steps = workflow.allowed_steps(actor, case)
    case.steps_list = list(case.steps.select_related("by"))
    return case


@router.get("/cases/{case_id}", response=MisuseCaseOut)
def get_case(request: HttpRequest, case_id: int):
    """A case with its evidence, explained score, steps and its chart's series."""
    return _detail(request, case_id)


@router.post("/cases/{case_id}/review", response=MisuseCaseOut)
def review(request: HttpRequest, case_id: int, payload: MisuseNoteIn):
    """Take an open case up (open → under review)."""
    actor = _actor(request)
    workflow.review(actor, access.get_case(actor, case_id), payload.note)
    return _detail(request, case_id)


@router.post("/cases/{case_id}/dismiss", response=MisuseCaseOut)
def dismiss(request: HttpRequest, case_id: int, payload: DismissIn):
    """Dismiss a case under review; `reason` is required."""
    actor = _actor(request)
    workflow.dismiss(actor, access.get_case(actor, case_id), payload.reason)
    return _detail(request, case_id)


@router.post("/cases/{case_id}/confirm", response=MisuseCaseOut)
def confirm(request: HttpRequest, case_id: int, payload: MisuseNoteIn):
    """Confirm a case under review as misuse."""
    actor = _actor(request)
    workflow.confirm(actor, access.get_case(actor, case_id), payload.note)
    return _detail(request, case_id)


@router.post("/cases/{case_id}/act", response=MisuseCaseOut)
def act(request: HttpRequest, case_id: int, payload: ActIn):
    """Act on a confirmed case: warning, inspection, suspension or revocation."""
    actor = _actor(request)
    workflow.act(
        actor,
        access.get_case(actor, case_id),
        payload.action,
        payload.reason,
        due_date=payload.due_date,
        until=payload.until,
        inspector=payload.inspector,
    )
    return _detail(request, case_id)


@router.post("/cases/{case_id}/notes", response=MisuseCaseOut)
def add_note(request: HttpRequest, case_id: int, payload: MisuseNoteIn):
    """A note on the case; its status stays."""
    actor = _actor(request)
    workflow.add_note(actor, access.get_case(actor, case_id), payload.note)
    return _detail(request, case_id)


@router.get("/rules", response=list[RuleOut])
def list_rules(request: HttpRequest):
    return thresholds.visible_rules(_actor(request))


@router.put("/rules/{code}", response=RuleOut)
def update_rule(request: HttpRequest, code: str, payload: RuleIn):
    """Set a rule's thresholds (by name, positive numbers) and whether it runs."""
    return thresholds.update_rule(_actor(request), code, payload.thresholds, payload.enabled)
