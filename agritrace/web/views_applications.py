"""The application pages: list, the file with its warnings and documents, the lifecycle's
steps (appraise, inspect, decide) and the field inspection form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agritrace.accounts.access import Actor, can, get_visible, require, visible
from agritrace.audit.services import record, snapshot
from agritrace.registry import lifecycle
from agritrace.registry.decisions import application_warnings
from agritrace.registry.lifecycle import INSPECTION_CHECKLIST, TRANSITIONS, subject_url
from agritrace.registry.models import (
    Application,
    ApplicationDocument,
)

from .forms import (
    ActionForm,
    ApplicationFilterForm,
    DocumentForm,
    InspectionForm,
    add_service_errors,
)
from .view_common import _actor, _paginate, _report, _report_form

__all__ = [
    "application_act",
    "application_detail",
    "application_list",
    "document_download",
    "document_upload",
    "inspection_form",
]


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    filters = ApplicationFilterForm(request.GET)
    qs = (
        filters.filter(visible(actor, Application.objects.all()))
        .select_related("area", "packing_house", "applicant")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "codes/application_list.html",
        {"filters": filters, "page": _paginate(request, qs)},
    )


def _may_upload(actor: Actor, app: Application) -> bool:
    if can(actor, "apply") and actor.organisation == app.applicant:
        return True
    return can(actor, "appraise")


def _application_page(
    request: HttpRequest,
    actor: Actor,
    app: Application,
    bound: ActionForm | None = None,
    document_form: DocumentForm | None = None,
) -> HttpResponse:
    allowed = lifecycle.allowed_actions(app, actor)
    forms = []
    for name in allowed:
        if name == "record_inspection":
            continue  # its own page
        if bound is not None and bound.action == name:
            forms.append(bound)
        else:
            forms.append(ActionForm(action=name, app=app, actor=actor))
    for form in forms:
        form.label = (
            TRANSITIONS[form.action].label
            if form.action in TRANSITIONS
            else _("Schedule the field inspection")
        )
        form.danger = form.action in ("reject", "return", "withdraw")
    may_upload = _may_upload(actor, app) and app.is_open
    inspections = list(app.inspections.select_related("inspector").order_by("scheduled_for"))
    for inspection in inspections:
        inspection.checks = [
            (label, inspection.checklist[key])
            for key, label in INSPECTION_CHECKLIST
            if key in inspection.checklist
        ]
    context = {
        "app": app,
        "subject": app.subject,
        "subject_url": subject_url(app.subject),
        "is_area": app.area_id is not None,
        "action_forms": forms,
        "stray_form": bound if bound is not None and bound.action not in allowed else None,
        "may_record_inspection": "record_inspection" in allowed,
        "warnings": application_warnings(app),
        "before_submitting": "submit" in allowed,
        "documents": app.documents.select_related("uploaded_by").order_by("-uploaded_at"),
        "document_form": document_form or (DocumentForm() if may_upload else None),
        "steps": app.steps.select_related("actor", "actor_org").order_by("at", "pk"),
        "inspections": inspections,
    }
    return render(request, "codes/application_detail.html", context)


def _visible_application(actor: Actor, pk: int) -> Application:
    return get_visible(
        actor,
        Application.objects.select_related(
            "area__crop", "area__commune", "packing_house__commune", "applicant"
        ),
        pk=pk,
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    return _application_page(request, actor, _visible_application(actor, pk))


@require_POST
@login_required
def application_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One lifecycle move: `action` plus its fields (reason; date and inspector)."""
    actor = _actor(request)
    app = _visible_application(actor, pk)
    action = request.POST.get("action", "")
    if action == "record_inspection":
        return redirect("inspection-form", app.pk)
    if action not in TRANSITIONS and action != "schedule_inspection":
        messages.error(request, _("Unknown action '%(a)s'.") % {"a": action})
        return redirect("application-detail", app.pk)
    form = ActionForm(request.POST, action=action, app=app, actor=actor)
    if form.is_valid():
        try:
            lifecycle.transition(app, action, actor, **form.transition_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
            _report(request, exc)
        else:
            label = (
                TRANSITIONS[action].label if action in TRANSITIONS else _("Inspection scheduled")
            )
            messages.success(request, _("Done: %(what)s.") % {"what": label})
            return redirect("application-detail", app.pk)
    else:
        _report_form(request, form)
    app.refresh_from_db()
    return _application_page(request, actor, app, bound=form)


@login_required
def inspection_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The field inspection, filled in on a phone in the orchard."""
    actor = _actor(request)
    app = _visible_application(actor, pk)
    require(actor, "inspect")
    if "record_inspection" not in lifecycle.allowed_actions(app, actor):
        messages.error(request, _("There is no scheduled inspection to record."))
        return redirect("application-detail", app.pk)
    inspection = app.inspections.filter(recorded_at__isnull=True).order_by("scheduled_for").first()
    form = InspectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.transition(app, "record_inspection", actor, **form.transition_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, InspectionForm.FIELD_MAP)
        else:
            messages.success(request, _("Field inspection recorded."))
            return redirect("application-detail", app.pk)
    return render(
        request,
        "codes/inspection_form.html",
        {"app": app, "subject": app.subject, "inspection": inspection, "form": form},
    )


@require_POST
@login_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a document to an application (the applicant, or the appraising authority)."""
    actor = _actor(request)
    app = _visible_application(actor, pk)
    if not _may_upload(actor, app):
        raise PermissionDenied(_("Your role may not add documents to this application."))
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid() and not app.is_open:
        form.add_error(None, _("The application is closed; documents can no longer be added."))
    if form.is_valid():
        with transaction.atomic():
            document = ApplicationDocument.objects.create(
                application=app,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
                uploaded_by=actor.user,
            )
            record(actor.user, "application.document", document, None, snapshot(document))
        messages.success(request, _("Document added."))
        return redirect("application-detail", app.pk)
    _report_form(request, form)
    return _application_page(request, actor, app, document_form=form)


@login_required
def document_download(request: HttpRequest, pk: int, doc: int) -> HttpResponse:
    """An application's document, to those who may see the application (files are never
    served from a public media URL)."""
    from django.http import FileResponse

    app = get_visible(_actor(request), Application.objects.all(), pk=pk)
    document = get_object_or_404(app.documents, pk=doc)
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.file.name.rsplit("/", 1)[-1]
    )
