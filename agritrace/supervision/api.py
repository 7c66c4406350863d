"""The supervision API (mounted at /api/supervision/): monitoring plans and visits, pest
observations, the residue programme (plans, samples, laboratory results, cases, limits) and
importing countries' notices. Thin: reads go through access.visible()/get_visible() (out of
scope is a 404), writes are one service call each (ValidationError → 422 naming the field,
PermissionDenied → 403, by the handlers in agritrace/api.py)."""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from agritrace.accounts.access import Actor, get_visible, sees_supervision_plans, visible
from agritrace.apiutil import actor as _actor
from agritrace.registry.models import PackingHouse, PlantingArea

from . import services
from .models import (
    ChecklistTemplate,
    CorrectiveAction,
    HolderKind,
    MarketPest,
    MonitoringPlan,
    MonitoringVisit,
    Notice,
    Pest,
    PestObservation,
    ResidueCase,
    ResidueLimit,
    ResiduePlan,
    Sample,
)
from .schemas import (
    AssignIn,
    CaseOut,
    ChecklistOut,
    CloseCaseIn,
    CorrectiveActionOut,
    DecideNoticeIn,
    DecideProposalIn,
    ImportOut,
    InvestigateIn,
    LimitOut,
    MarketPestOut,
    NoteIn,
    NoticeIn,
    NoticeOut,
    ObservationIn,
    ObservationOut,
    PestOut,
    PhotoOut,
    PlanIn,
    PlanOut,
    RecordVisitIn,
    ReplyIn,
    ResiduePlanIn,
    ResiduePlanOut,
    ResultEnteredOut,
    ResultIn,
    RiskOut,
    SampleIn,
    SampleOut,
    TakeSampleIn,
    VisitIn,
    VisitOut,
    holder_ref,
)

router = Router(tags=["supervision"])


# ------------------------------------------------------------------ plans


@router.get("/plans", response=list[PlanOut])
def list_plans(request: HttpRequest):
    return visible(_actor(request), MonitoringPlan.objects.select_related("province"))


@router.post("/plans", response={201: PlanOut})
def generate_plan(request: HttpRequest, payload: PlanIn):
    """Generate (or complete) a province's monitoring plan for a season: every issued code
    gets a scheduled visit per crop season, riskiest first; visits are spread over the
    province's inspectors. Running it again only adds what is missing."""
    actor = _actor(request)
    plan = services.generate_plan(
        actor, payload.province, payload.season, payload.start, payload.end, payload.assign
    )
    return Status(201, plan)


@router.get("/plans/{plan_id}", response=PlanOut)
def get_plan(request: HttpRequest, plan_id: int):
    return get_visible(_actor(request), MonitoringPlan.objects.all(), pk=plan_id)


@router.get("/plans/{plan_id}/visits", response=list[VisitOut])
def plan_visits(request: HttpRequest, plan_id: int):
    """The plan's visits, riskiest first."""
    actor = _actor(request)
    plan = get_visible(actor, MonitoringPlan.objects.all(), pk=plan_id)
    return services.plan_visits(actor, plan)


# ------------------------------------------------------------------ visits


def _visit(actor: Actor, visit_id: int) -> MonitoringVisit:
    return get_visible(actor, MonitoringVisit.objects.all(), pk=visit_id)


@router.get("/visits", response=list[VisitOut])
def list_visits(
    request: HttpRequest,
    status: str | None = None,
    mine: bool = False,
    area: int | None = None,
    packing_house: int | None = None,
):
    """Visits you may see; status planned, done or overdue; mine: assigned to you."""
    actor = _actor(request)
    qs: QuerySet = services.visits(actor)
    today = timezone.localdate()
    if status == "done":
        qs = qs.filter(recorded_at__isnull=False)
    elif status == "overdue":
        qs = qs.filter(recorded_at__isnull=True, due_date__lt=today)
    elif status == "planned":
        qs = qs.filter(recorded_at__isnull=True, due_date__gte=today)
    if mine:
        qs = qs.filter(inspector=actor.user)
    if area:
        qs = qs.filter(area_id=area)
    if packing_house:
        qs = qs.filter(packing_house_id=packing_house)
    return qs.order_by("due_date", "-risk_score", "pk")[:500]


@router.post("/visits", response={201: VisitOut})
def schedule_visit(request: HttpRequest, payload: VisitIn):
    """A surprise (or extra scheduled) visit to a planting area or a packing house."""
    actor = _actor(request)
    if (payload.area is None) == (payload.packing_house is None):
        raise ValidationError({"area": _("Name a planting area or a packing house.")})
    if payload.area is not None:
        holder = get_visible(actor, PlantingArea.objects.all(), pk=payload.area)
    else:
        holder = get_visible(actor, PackingHouse.objects.all(), pk=payload.packing_house)
    visit = services.schedule_visit(
        actor, holder, payload.due_date, payload.kind, payload.inspector, payload.reason
    )
    return Status(201, visit)


@router.get("/visits/{visit_id}", response=VisitOut)
def get_visit(request: HttpRequest, visit_id: int):
    return _visit(_actor(request), visit_id)


@router.post("/visits/{visit_id}/assign", response=VisitOut)
def assign_inspector(request: HttpRequest, visit_id: int, payload: AssignIn):
    actor = _actor(request)
    return services.assign_inspector(actor, _visit(actor, visit_id), payload.inspector)


@router.post("/visits/{visit_id}/record", response=VisitOut)
def record_visit(request: HttpRequest, visit_id: int, payload: RecordVisitIn):
    """Record the visit: every checklist item, the position, and the outcome. Failed items
    become corrective actions with `corrective_deadline`, unless the outcome is `suspend`
    (a proposal to suspend the code, for an officer to decide). Photos: POST them to
    /visits/{id}/photos."""
    actor = _actor(request)
    visit = services.record_visit(
        actor,
        MonitoringVisit(pk=visit_id),
        payload.items,
        outcome=payload.outcome,
        notes=payload.notes,
        lon=payload.lon,
        lat=payload.lat,
        visited_on=payload.visited_on,
        corrective_deadline=payload.corrective_deadline,
        corrective_actions=[a.model_dump() for a in payload.corrective_actions],
    )
    return _visit(actor, visit.pk)


@router.post("/visits/{visit_id}/photos", response={201: PhotoOut})
def add_photo(
    request: HttpRequest,
    visit_id: int,
    photo: File[UploadedFile],
    item_key: Form[str] = "",
):
    """A photo (JPEG, PNG, WebP or HEIC, up to 8 MB) for a visit, optionally for one
    checklist item."""
    actor = _actor(request)
    return Status(201, services.add_photo(actor, MonitoringVisit(pk=visit_id), photo, item_key))


@router.post("/visits/{visit_id}/decide", response=VisitOut)
def decide_proposal(request: HttpRequest, visit_id: int, payload: DecideProposalIn):
    """An officer decides a proposal to suspend: accept suspends the code (lifecycle)."""
    actor = _actor(request)
    services.decide_suspension(
        actor, MonitoringVisit(pk=visit_id), payload.accept, payload.reason, payload.until
    )
    return _visit(actor, visit_id)


@router.post("/corrective-actions/{action_id}/done", response=CorrectiveActionOut)
def complete_action(request: HttpRequest, action_id: int, payload: NoteIn):
    actor = _actor(request)
    return services.complete_action(actor, CorrectiveAction(pk=action_id), payload.note)


@router.get("/checklists/{kind}", response=ChecklistOut)
def checklist(request: HttpRequest, kind: str):
    """The current checklist for `area` or `packing_house`."""
    template = ChecklistTemplate.current(kind) if kind in HolderKind.values else None
    if template is None:
        from django.http import Http404

        raise Http404
    return template


# ------------------------------------------------------------------ pests


@router.get("/pests", response=list[PestOut])
def list_pests(request: HttpRequest):
    return Pest.objects.all()


@router.get("/quarantine-pests", response=list[MarketPestOut])
def list_quarantine_pests(request: HttpRequest, area: int | None = None):
    """Quarantine pests per market and crop (with their source); `area`: those of the
    area's target markets for its crop."""
    if area is not None:
        found = get_visible(_actor(request), PlantingArea.objects.all(), pk=area)
        return services.quarantine_pests(found)
    return MarketPest.objects.select_related("market", "crop", "pest")


@router.get("/observations", response=list[ObservationOut])
def list_observations(request: HttpRequest, area: int | None = None):
    qs = visible(_actor(request), PestObservation.objects.select_related("pest"))
    if area:
        qs = qs.filter(area_id=area)
    return qs[:500]


@router.post("/observations", response={201: ObservationOut})
def record_observation(request: HttpRequest, payload: ObservationIn):
    obs = services.record_observation(_actor(request), payload.model_dump())
    return Status(201, obs)


# ------------------------------------------------------------------ residue programme


@router.get("/residue-plans", response=list[ResiduePlanOut])
def list_residue_plans(request: HttpRequest):
    return visible(_actor(request), ResiduePlan.objects.select_related("province"))


@router.post("/residue-plans", response={201: ResiduePlanOut})
def set_residue_plan(request: HttpRequest, payload: ResiduePlanIn):
    """Set the number of samples a province plans for a year (An Giang: 100)."""
    plan = services.set_residue_plan(
        _actor(request),
        payload.province,
        payload.year,
        payload.target_samples,
        payload.source,
        payload.source_date,
    )
    return Status(201, plan)


@router.get("/residue-plans/{plan_id}", response=ResiduePlanOut)
def get_residue_plan(request: HttpRequest, plan_id: int):
    return get_visible(_actor(request), ResiduePlan.objects.all(), pk=plan_id)


def _samples() -> QuerySet:
    return Sample.objects.select_related("area", "laboratory").prefetch_related("results")


@router.get("/samples", response=list[SampleOut])
def list_samples(request: HttpRequest, status: str | None = None, area: int | None = None):
    """Samples you may see: a laboratory only those sent to it."""
    qs = visible(_actor(request), _samples())
    if status:
        qs = qs.filter(status=status)
    if area:
        qs = qs.filter(area_id=area)
    return qs[:500]


@router.post("/samples", response={201: SampleOut})
def register_sample(request: HttpRequest, payload: SampleIn):
    actor = _actor(request)
    sample = services.register_sample(actor, payload.model_dump())
    return Status(201, get_visible(actor, _samples(), pk=sample.pk))


@router.get("/samples/{sample_id}", response=SampleOut)
def get_sample(request: HttpRequest, sample_id: int):
    return get_visible(_actor(request), _samples(), pk=sample_id)


@router.post("/samples/{sample_id}/take", response=SampleOut)
def take_sample(request: HttpRequest, sample_id: int, payload: TakeSampleIn):
    """A planned (follow-up) sample was taken and goes to the laboratory."""
    actor = _actor(request)
    services.take_sample(actor, Sample(pk=sample_id), payload.sampled_on, payload.plot_or_lot)
    return get_visible(actor, _samples(), pk=sample_id)


@router.post("/samples/{sample_id}/results", response={201: ResultEnteredOut})
def enter_result(request: HttpRequest, sample_id: int, payload: ResultIn):
    """The laboratory's result for one requested active ingredient. Above the limit of one
    of the area's target markets, the answer lists the cases opened (the area is flagged for
    that market and a follow-up sample is planned)."""
    actor = _actor(request)
    result, cases = services.enter_result(actor, Sample(pk=sample_id), payload.model_dump())
    return Status(
        201,
        {
            "result": result,
            "cases": cases,
            "sample_status": Sample.objects.get(pk=sample_id).status,
        },
    )


@router.post("/results/import", response={201: ImportOut})
def import_results(request: HttpRequest, file: File[UploadedFile]):
    """Results from a CSV or XLSX file with columns sample_code, ingredient, value_mg_kg,
    loq_mg_kg, analysed_on. All or nothing: errors name the row and the field."""
    summary = services.import_results(_actor(request), file.read(), file.name or "")
    return Status(201, {"results": summary.results, "cases": summary.cases})


@router.get("/cases", response=list[CaseOut])
def list_cases(request: HttpRequest, status: str | None = None):
    qs = visible(
        _actor(request),
        ResidueCase.objects.select_related("sample", "area", "market", "follow_up"),
    )
    if status:
        qs = qs.filter(status=status)
    return qs[:500]


@router.get("/cases/{case_id}", response=CaseOut)
def get_case(request: HttpRequest, case_id: int):
    return get_visible(_actor(request), ResidueCase.objects.all(), pk=case_id)


@router.post("/cases/{case_id}/close", response=CaseOut)
def close_case(request: HttpRequest, case_id: int, payload: CloseCaseIn):
    actor = _actor(request)
    return services.close_case(actor, ResidueCase(pk=case_id), payload.resolution)


@router.get("/limits", response=list[LimitOut])
def list_limits(
    request: HttpRequest,
    market: str | None = None,
    crop: str | None = None,
    ingredient: str | None = None,
):
    """The maximum residue limits on file, each with its source ('source unknown, demo
    value' marks placeholders). `ingredient`: a name of the input catalogue (or its id);
    the market's default limits ('*') are listed with it."""
    qs = ResidueLimit.objects.select_related("market", "crop", "ingredient")
    if market:
        qs = qs.filter(market__code=market.upper())
    if crop:
        qs = qs.filter(crop__code=crop)
    if ingredient:
        found = services.find_ingredient(ingredient)
        qs = qs.filter(Q(ingredient__isnull=True) | Q(ingredient=found))
    return qs


# ------------------------------------------------------------------ risk


def _risk(actor: Actor, holder) -> dict:
    if not sees_supervision_plans(actor):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Only the authorities see risk scores."))
    score, reasons = services.risk(holder)
    flags = list(services.active_flags(holder)) if isinstance(holder, PlantingArea) else []
    return {"holder": holder_ref(holder), "score": score, "reasons": reasons, "flags": flags}


@router.get("/risk/areas/{area_id}", response=RiskOut)
def area_risk(request: HttpRequest, area_id: int):
    """The area's risk score and its reasons, with the markets it is flagged for."""
    actor = _actor(request)
    return _risk(actor, get_visible(actor, PlantingArea.objects.all(), pk=area_id))


@router.get("/risk/packing-houses/{ph_id}", response=RiskOut)
def packing_house_risk(request: HttpRequest, ph_id: int):
    actor = _actor(request)
    return _risk(actor, get_visible(actor, PackingHouse.objects.all(), pk=ph_id))


# ------------------------------------------------------------------ notices


def _notices() -> QuerySet:
    return Notice.objects.select_related("market").prefetch_related("areas", "packing_houses")


@router.get("/notices", response=list[NoticeOut])
def list_notices(request: HttpRequest, status: str | None = None):
    qs = visible(_actor(request), _notices())
    if status:
        qs = qs.filter(status=status)
    return qs[:500]


@router.post("/notices", response={201: NoticeOut})
def register_notice(request: HttpRequest, payload: NoticeIn):
    """Register an importing country's non-compliance notice; codes are resolved from their
    written form (VN-DLOR-0001, VNDLPH-0001)."""
    actor = _actor(request)
    notice = services.register_notice(actor, payload.model_dump())
    return Status(201, get_visible(actor, _notices(), pk=notice.pk))


@router.get("/notices/{notice_id}", response=NoticeOut)
def get_notice(request: HttpRequest, notice_id: int):
    return get_visible(_actor(request), _notices(), pk=notice_id)


@router.post("/notices/{notice_id}/investigate", response=NoticeOut)
def investigate_notice(request: HttpRequest, notice_id: int, payload: InvestigateIn):
    """Plan a surprise visit to every named code and/or a sample at every named area."""
    actor = _actor(request)
    services.investigate_notice(
        actor,
        Notice(pk=notice_id),
        visit_due=payload.visit_due,
        inspector=payload.inspector,
        sample=payload.sample.model_dump() if payload.sample else None,
    )
    return get_visible(actor, _notices(), pk=notice_id)


@router.post("/notices/{notice_id}/decide", response=NoticeOut)
def decide_notice(request: HttpRequest, notice_id: int, payload: DecideNoticeIn):
    """Warning, suspension or revocation of the named codes (through the lifecycle)."""
    actor = _actor(request)
    services.decide_notice(
        actor, Notice(pk=notice_id), payload.decision, payload.reason, payload.until
    )
    return get_visible(actor, _notices(), pk=notice_id)


@router.post("/notices/{notice_id}/reply", response=NoticeOut)
def reply_notice(request: HttpRequest, notice_id: int, payload: ReplyIn):
    actor = _actor(request)
    services.reply_notice(actor, Notice(pk=notice_id), payload.reply_text, payload.replied_on)
    return get_visible(actor, _notices(), pk=notice_id)
