"""The supervision pages: the inspector's day (with its map), monitoring plans, the visit
form (phone-first, keeps a draft on the device), a code's supervision history, the residue
programme, cases, and importing countries' notices. Thin: each view parses, calls a service,
and renders; scope comes from access.visible/get_visible (404), roles from the services
(403)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agritrace.accounts.access import Actor, can, get_visible, sees_supervision_plans, visible
from agritrace.accounts.models import OrgKind
from agritrace.formats import shown_date
from agritrace.registry.models import PackingHouse, PlantingArea, Plot
from agritrace.trace.chain import may_trace
from agritrace.trace.recall import recall_panel
from agritrace.web.forms import add_service_errors, service_errors

from . import services
from .forms import (
    AssignForm,
    CloseCaseForm,
    DecideNoticeForm,
    DecideProposalForm,
    ImportForm,
    InvestigateForm,
    NoticeForm,
    ObservationForm,
    PlanForm,
    ReplyForm,
    ResiduePlanForm,
    ResultForm,
    SampleForm,
    ScheduleVisitForm,
    TakeSampleForm,
    VisitForm,
)
from .models import (
    CaseStatus,
    CorrectiveAction,
    MonitoringPlan,
    MonitoringVisit,
    Notice,
    ResidueCase,
    ResiduePlan,
    Sample,
    SampleStatus,
    VisitPhoto,
)


def _actor(request: HttpRequest) -> Actor:
    current = getattr(request, "_actor", None)
    if current is None:
        current = Actor.of(request.user)
        request._actor = current
    return current


def _report(request: HttpRequest, exc: ValidationError) -> None:
    for field, texts in service_errors(exc).items():
        for text in texts:
            messages.error(request, f"{field}: {text}" if field and field != "__all__" else text)


def _holder_url(holder) -> str:
    if isinstance(holder, PlantingArea):
        return reverse("supervision-history-area", args=[holder.pk])
    return reverse("supervision-history-packing-house", args=[holder.pk])


# ------------------------------------------------------------------ the inspector's day


def _visit_features(actor: Actor, visits: list[MonitoringVisit]) -> dict:
    """Points for the day's map: a packing house's position, an area's plots' centre."""
    from django.utils.html import escape

    area_ids = {v.area_id for v in visits if v.area_id}
    centres = {
        row["area"]: (row["lon"], row["lat"])
        for row in visible(actor, Plot.objects.filter(area_id__in=area_ids))
        .values("area")
        .annotate(lon=Avg("centroid_lon"), lat=Avg("centroid_lat"))
    }
    today = timezone.localdate()
    features = []
    for v in visits:
        holder = v.holder
        point = centres.get(v.area_id) if v.area_id else (holder.lon, holder.lat)
        if not point or point[0] is None:
            continue
        url = reverse("supervision-visit-record", args=[v.pk])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point[0], point[1]]},
                "properties": {
                    "status": "overdue" if v.due_date < today else "field_inspection",
                    "overdue": v.due_date < today,
                    "label": f"{holder.code} · {shown_date(v.due_date)}",
                    "popup": f'<a href="{url}">{escape(holder.code or holder.name)}</a>'
                    f"<br>{escape(shown_date(v.due_date))}",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The inspector's day: visits overdue, due today and this week, on a list and a map."""
    actor = _actor(request)
    if actor.kind == OrgKind.LABORATORY:
        return redirect("supervision-samples")
    mine = request.GET.get("mine", "1" if actor.role == "inspector" else "") == "1"
    sheet = services.day_sheet(actor, mine=mine)
    context = {
        "sheet": sheet,
        "mine": mine,
        "features": _visit_features(actor, sheet.all),
        "may_plan": can(actor, "plan_monitoring"),
        "may_inspect": can(actor, "inspect"),
        "sees_risk": sees_supervision_plans(actor),
        "open_cases": visible(actor, ResidueCase.objects.filter(status=CaseStatus.OPEN)).count(),
        "open_notices": visible(actor, Notice.objects.exclude(status="replied")).count(),
        "open_actions": visible(actor, CorrectiveAction.objects.filter(done_at__isnull=True))
        .select_related("visit__area", "visit__packing_house")
        .order_by("deadline")[:20],
    }
    return render(request, "supervision/home.html", context)


# ------------------------------------------------------------------ plans


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = PlanForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                plan = services.generate_plan(
                    actor,
                    actor.province_id,
                    form.cleaned_data["season"],
                    form.cleaned_data["start"],
                    form.cleaned_data["end"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The monitoring plan is ready."))
                return redirect("supervision-plan", plan.pk)
    plans = visible(actor, MonitoringPlan.objects.select_related("province"))
    return render(
        request,
        "supervision/plan_list.html",
        {"plans": plans, "form": form, "may_plan": can(actor, "plan_monitoring")},
    )


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    plan = get_visible(actor, MonitoringPlan.objects.select_related("province"), pk=pk)
    if request.method == "POST":
        try:
            services.generate_plan(actor, plan.province, plan.season)
        except ValidationError as exc:
            _report(request, exc)
        else:
            messages.success(request, _("The plan was brought up to date."))
        return redirect("supervision-plan", plan.pk)
    rows = services.plan_visits(actor, plan)
    return render(
        request,
        "supervision/plan_detail.html",
        {
            "plan": plan,
            "visits": rows,
            "may_plan": can(actor, "plan_monitoring"),
            "inspectors": services.province_inspectors(plan.province),
        },
    )


@require_POST
@login_required
def visit_assign(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    visit = get_visible(actor, MonitoringVisit.objects.all(), pk=pk)
    form = AssignForm(request.POST, inspectors=services.province_inspectors(visit.holder.province))
    if form.is_valid():
        try:
            services.assign_inspector(actor, visit, form.cleaned_data["inspector"])
        except ValidationError as exc:
            _report(request, exc)
        else:
            messages.success(request, _("Inspector assigned."))
    else:
        messages.error(request, _("Choose an inspector."))
    return redirect(request.POST.get("next") or reverse("supervision-visit", args=[visit.pk]))


@login_required
def visit_new(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Schedule a surprise visit to a code."""
    actor = _actor(request)
    model = PlantingArea if kind == "area" else PackingHouse
    holder = get_visible(actor, model.objects.all(), pk=pk)
    if not can(actor, "plan_monitoring"):
        raise PermissionDenied(_("Your role may not plan visits."))
    form = ScheduleVisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.schedule_visit(
                actor,
                holder,
                form.cleaned_data["due_date"],
                reason=form.cleaned_data["reason"],
                inspector=actor.user if actor.role == "inspector" else None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Surprise visit planned."))
            return redirect("supervision-visit", visit.pk)
    return render(request, "supervision/visit_new.html", {"holder": holder, "form": form})


# ------------------------------------------------------------------ visits


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    visit = get_visible(
        actor,
        MonitoringVisit.objects.select_related("area", "packing_house", "inspector", "plan"),
        pk=pk,
    )
    may_decide = can(actor, "decide") and visit.suspension_pending
    return render(
        request,
        "supervision/visit_detail.html",
        {
            "visit": visit,
            "holder": visit.holder,
            "items": visit.items.select_related("item"),
            "photos": visit.photos.all(),
            "actions": visit.corrective_actions.all(),
            "decide_form": DecideProposalForm() if may_decide else None,
            "may_inspect": can(actor, "inspect"),
            "sees_risk": sees_supervision_plans(actor),
            "may_plan": can(actor, "plan_monitoring") and visit.recorded_at is None,
            "inspectors": services.province_inspectors(visit.holder.province),
            "observations": visit.observations.select_related("pest"),
        },
    )


@login_required
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit form, made for a phone in the field: big choices, the position from the
    phone, photos from its camera, and a draft kept on the device if the connection drops."""
    actor = _actor(request)
    if not can(actor, "inspect"):
        raise PermissionDenied(_("Your role may not record visits."))
    visit = get_visible(
        actor, MonitoringVisit.objects.select_related("area", "packing_house"), pk=pk
    )
    if visit.recorded_at is not None:
        messages.info(request, _("This visit is already recorded."))
        return redirect("supervision-visit", visit.pk)
    try:
        template = services.template_for(visit)
    except ValidationError as exc:
        _report(request, exc)
        return redirect("supervision-visit", visit.pk)
    form = VisitForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_visit(
                actor, visit, photos=request.FILES.getlist("photos"), **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc, form.field_map())
        else:
            messages.success(request, _("Visit recorded."))
            return redirect(f"{reverse('supervision-visit', args=[visit.pk])}?recorded=1")
    return render(
        request,
        "supervision/visit_form.html",
        {"visit": visit, "holder": visit.holder, "form": form, "template": template},
    )


@require_POST
@login_required
def visit_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    visit = get_visible(actor, MonitoringVisit.objects.all(), pk=pk)
    form = DecideProposalForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "suspend"
        try:
            services.decide_suspension(
                actor, visit, accept, form.cleaned_data["reason"], form.cleaned_data["until"]
            )
        except ValidationError as exc:
            _report(request, exc)
        else:
            if accept:
                messages.success(request, _("Code %(c)s suspended.") % {"c": visit.holder.code})
            else:
                messages.success(request, _("The proposal was declined."))
    else:
        messages.error(request, _("Choose a decision."))
    return redirect("supervision-visit", visit.pk)


@require_POST
@login_required
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    action = get_visible(actor, CorrectiveAction.objects.all(), pk=pk)
    try:
        services.complete_action(actor, action, request.POST.get("note", ""))
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Corrective action marked as done."))
    return redirect("supervision-visit", action.visit_id)


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit's photo, to those who may see the visit (never from a public media URL)."""
    found = get_visible(_actor(request), VisitPhoto.objects.all(), pk=pk)
    return FileResponse(found.file.open("rb"), content_type=found.content_type or None)


# ------------------------------------------------------------------ a code's history


def _history(request: HttpRequest, holder) -> HttpResponse:
    actor = _actor(request)
    context = services.supervision_context(actor, holder)
    context.update(
        {
            "holder": holder,
            "may_plan": can(actor, "plan_monitoring"),
            "may_observe": can(actor, "observe_pests") and isinstance(holder, PlantingArea),
        }
    )
    return render(request, "supervision/history.html", context)


@login_required
def history_area(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_visible(_actor(request), PlantingArea.objects.all(), pk=pk)
    return _history(request, area)


@login_required
def history_packing_house(request: HttpRequest, pk: int) -> HttpResponse:
    house = get_visible(_actor(request), PackingHouse.objects.all(), pk=pk)
    return _history(request, house)


@login_required
def observation_new(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    area = get_visible(actor, PlantingArea.objects.all(), pk=pk)
    if not can(actor, "observe_pests"):
        raise PermissionDenied(_("Your role may not record pest observations."))
    form = ObservationForm(request.POST or None, plots=visible(actor, area.plots.all()))
    if request.method == "POST" and form.is_valid():
        try:
            services.record_observation(actor, form.service_data(area))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Observation recorded."))
            return redirect("supervision-history-area", area.pk)
    return render(
        request,
        "supervision/observation_form.html",
        {"area": area, "form": form, "quarantine": services.quarantine_pests(area)},
    )


# ------------------------------------------------------------------ residue programme


@login_required
def residues(request: HttpRequest) -> HttpResponse:
    """The residue programme's progress against each year's plan."""
    actor = _actor(request)
    form = ResiduePlanForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_residue_plan(
                actor,
                actor.province_id,
                form.cleaned_data["year"],
                form.cleaned_data["target_samples"],
                form.cleaned_data["source"],
                form.cleaned_data.get("source_date"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Residue plan saved."))
            return redirect("supervision-residues")
    plans = [
        (plan, services.residue_progress(actor, plan))
        for plan in visible(actor, ResiduePlan.objects.select_related("province"))
    ]
    return render(
        request,
        "supervision/residues.html",
        {
            "plans": plans,
            "form": form,
            "may_plan": can(actor, "plan_monitoring"),
            "cases": visible(
                actor, ResidueCase.objects.filter(status=CaseStatus.OPEN)
            ).select_related("area", "market", "sample")[:50],
        },
    )


@login_required
def sample_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    may_register = can(actor, "inspect")
    form = SampleForm(request.POST or None, actor=actor) if may_register else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Your role may not register samples."))
        if form.is_valid():
            try:
                sample = services.register_sample(actor, form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Sample %(c)s registered.") % {"c": sample.code})
                return redirect("supervision-sample", sample.pk)
    samples = visible(actor, Sample.objects.select_related("area", "laboratory"))
    status = request.GET.get("status")
    if status in SampleStatus.values:
        samples = samples.filter(status=status)
    return render(
        request,
        "supervision/sample_list.html",
        {
            "samples": samples[:200],
            "form": form,
            "status": status,
            "statuses": SampleStatus.choices,
            "import_form": ImportForm() if can(actor, "enter_lab_results") else None,
        },
    )


@login_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    sample = get_visible(actor, Sample.objects.select_related("area", "laboratory"), pk=pk)
    may_enter = can(actor, "enter_lab_results") and sample.status == SampleStatus.SENT
    result_form = ResultForm(
        request.POST if request.method == "POST" and may_enter else None, sample=sample
    )
    if request.method == "POST":
        if not may_enter:
            raise PermissionDenied(_("Your role may not enter results for this sample."))
        if result_form.is_valid():
            try:
                result, cases = services.enter_result(actor, sample, result_form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(result_form, exc)
            else:
                if cases:
                    messages.warning(
                        request,
                        _("%(i)s is above the limit for %(m)s: the area is flagged for it.")
                        % {"i": result.ingredient, "m": ", ".join(c.market.code for c in cases)},
                    )
                else:
                    messages.success(request, _("Result saved."))
                return redirect("supervision-sample", sample.pk)
    return render(
        request,
        "supervision/sample_detail.html",
        {
            "sample": sample,
            "results": sample.results.all(),
            "cases": visible(actor, sample.cases.select_related("market")),
            "recall": recall_panel(actor, sample=sample),
            "may_trace": may_trace(actor),
            "result_form": result_form if may_enter else None,
            "take_form": TakeSampleForm(initial={"sampled_on": timezone.localdate()})
            if can(actor, "inspect") and sample.status == SampleStatus.PLANNED
            else None,
        },
    )


@require_POST
@login_required
def sample_take(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    sample = get_visible(actor, Sample.objects.all(), pk=pk)
    form = TakeSampleForm(request.POST)
    if form.is_valid():
        try:
            services.take_sample(
                actor, sample, form.cleaned_data["sampled_on"], form.cleaned_data["plot_or_lot"]
            )
        except ValidationError as exc:
            _report(request, exc)
        else:
            messages.success(request, _("Sample sent to the laboratory."))
    else:
        messages.error(request, _("Give the date the sample was taken."))
    return redirect("supervision-sample", sample.pk)


@require_POST
@login_required
def results_import(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV or XLSX file."))
        return redirect("supervision-samples")
    upload = form.cleaned_data["file"]
    try:
        summary = services.import_results(actor, upload.read(), upload.name)
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(
            request,
            _("%(n)d results imported; %(c)d case(s) opened.")
            % {"n": summary.results, "c": summary.cases},
        )
    return redirect("supervision-samples")


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    status = request.GET.get("status", CaseStatus.OPEN)
    cases = visible(actor, ResidueCase.objects.select_related("area", "market", "sample"))
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    return render(
        request,
        "supervision/case_list.html",
        {"cases": cases[:200], "status": status, "statuses": CaseStatus.choices},
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    case = get_visible(
        actor,
        ResidueCase.objects.select_related("area", "market", "sample", "follow_up", "result"),
        pk=pk,
    )
    form = None
    if can(actor, "decide") and case.status == CaseStatus.OPEN:
        form = CloseCaseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.close_case(actor, case, form.cleaned_data["resolution"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Case closed."))
                return redirect("supervision-case", case.pk)
    elif request.method == "POST":
        raise PermissionDenied(_("Your role may not close cases."))
    return render(
        request,
        "supervision/case_detail.html",
        {
            "case": case,
            "form": form,
            "flags": case.flags.select_related("market"),
            "recall": recall_panel(actor, sample=case.sample),
        },
    )


# ------------------------------------------------------------------ notices


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    may_register = can(actor, "handle_notices")
    form = NoticeForm(request.POST or None) if may_register else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Your role may not register notices."))
        if form.is_valid():
            try:
                notice = services.register_notice(actor, form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Notice registered."))
                return redirect("supervision-notice", notice.pk)
    notices = visible(actor, Notice.objects.select_related("market")).prefetch_related(
        "areas", "packing_houses"
    )
    return render(request, "supervision/notice_list.html", {"notices": notices[:200], "form": form})


@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    notice = get_visible(actor, Notice.objects.select_related("market"), pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    forms = {
        "investigate": InvestigateForm(request.POST if action == "investigate" else None),
        "decide": DecideNoticeForm(request.POST if action == "decide" else None),
        "reply": ReplyForm(request.POST if action == "reply" else None),
    }
    if action in forms:
        form = forms[action]
        if form.is_valid():
            d = form.cleaned_data
            try:
                if action == "investigate":
                    sample = None
                    if d.get("laboratory"):
                        sample = {
                            "laboratory": d["laboratory"].pk,
                            "analyses": d.get("analyses", ""),
                            "sampled_on": d.get("sampled_on"),
                        }
                    services.investigate_notice(
                        actor, notice, visit_due=d.get("visit_due"), sample=sample
                    )
                elif action == "decide":
                    services.decide_notice(actor, notice, d["decision"], d["reason"], d["until"])
                else:
                    services.reply_notice(actor, notice, d["reply_text"], d["replied_on"])
            except ValidationError as exc:
                add_service_errors(form, exc, {"visit_due": "visit_due"})
            else:
                messages.success(request, _("Saved."))
                return redirect("supervision-notice", notice.pk)
    return render(
        request,
        "supervision/notice_detail.html",
        {
            "notice": notice,
            "holders": services.notice_holders(notice),
            "visits": visible(actor, notice.visits.select_related("area", "packing_house")),
            "samples": visible(actor, notice.samples.all()),
            "forms": forms,
            "may_plan": can(actor, "plan_monitoring") and notice.status != "replied",
            "may_decide": can(actor, "decide") and not notice.decision,
            "may_reply": can(actor, "handle_notices") and notice.status != "replied",
            "recall": recall_panel(actor, notice=notice),
        },
    )
