"""Pages under /accounts/: organisations (list, new, detail with members and invite, import)
and the invitee's set-password page. Thin: the rules are in organisations.py,
invitations.py and org_import.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.web.forms import add_service_errors

from . import invitations, org_import
from . import organisations as orgs
from .access import Actor, can
from .forms import ImportForm, InvitationForm, OrganisationForm
from .models import OrgKind

PER_PAGE = 50


def _actor(request: HttpRequest) -> Actor:
    current = getattr(request, "_actor", None)
    if current is None:
        current = Actor.of(request.user)
        request._actor = current
    return current


def _provinces_for(actor: Actor):
    qs = AdminUnit.objects.filter(tree=Tree.CURRENT, level=Level.PROVINCE).order_by("name")
    if actor.kind == OrgKind.MINISTRY:
        return qs
    return qs.filter(pk=actor.province_id)


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in OrgKind.values else ""
    q = request.GET.get("q", "").strip()
    page = Paginator(orgs.organisations(actor, kind, q), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/organisation_list.html",
        {
            "page": page,
            "kind": kind,
            "q": q,
            "kinds": OrgKind.choices,
            "may_add": can(actor, "manage_organisations"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not can(actor, "manage_organisations"):
        raise PermissionDenied(_("Your organisation may not add organisations."))
    kwargs = {"kinds": orgs.addable_kinds(actor), "provinces": _provinces_for(actor)}
    form = OrganisationForm(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            org = orgs.create_organisation(actor, form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc, OrganisationForm.FIELD_MAP)
        else:
            messages.success(
                request,
                _("%(name)s added: %(identifier)s.")
                % {"name": org.name, "identifier": org.identifier},
            )
            return redirect("organisation-detail", key=org.identifier)
    return render(request, "accounts/organisation_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_detail(request: HttpRequest, key: str) -> HttpResponse:
    actor = _actor(request)
    org = orgs.find(actor, key)
    may_invite = invitations.may_invite(actor, org)
    form = InvitationForm()
    if request.method == "POST":
        if not may_invite:
            raise PermissionDenied(_("You may not invite people into this organisation."))
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                user, resent = invitations.invite(actor, org, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    (
                        _("A new invitation was sent to %(email)s.")
                        if resent
                        else _("%(email)s invited: they will get a link to choose a password.")
                    )
                    % {"email": user.email},
                )
                return redirect("organisation-detail", key=org.identifier)
    return render(
        request,
        "accounts/organisation_detail.html",
        {
            "org": org,
            "members": orgs.members(actor, org),
            "form": form if may_invite else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_import(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not can(actor, "manage_organisations"):
        raise PermissionDenied(_("Your organisation may not import organisations."))
    form = ImportForm()
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = org_import.import_organisations(
                    actor, form.cleaned_data["file"].read(), form.cleaned_data["apply"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                form = ImportForm()  # each run starts as a dry run again
    return render(
        request,
        "accounts/organisation_import.html",
        {"form": form, "report": report, "summary": report.as_dict() if report else None},
    )


@login_required
def organisation_import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        org_import.template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="organisations.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = invitations.invited_user(uidb64, token)
    if user is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.accept(user, form.cleaned_data["new_password1"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your password is set: log in with it."))
            return redirect("login")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitee": user})
