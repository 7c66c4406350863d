"""The authorisations' pages: the scoped list with its filters, the form by which the
province records a paper authorisation, and the import (a dry run unless asked to record,
with a report by row and column). Thin: every rule is in registry.authorisations."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, can, require
from agritrace.formats.fields import DateField, DateInput
from agritrace.registry import authorisations
from agritrace.registry.models import AuthorisationOrigin, Market

from .forms import add_service_errors
from .view_common import _actor

PER_PAGE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date_input() -> DateInput:
    return DateInput()


class AuthorisationFilterForm(forms.Form):
    area_code = forms.CharField(label=gettext_lazy("Area code"), required=False)
    market = forms.ModelChoiceField(
        label=gettext_lazy("Market"),
        queryset=Market.objects.order_by("code"),
        to_field_name="code",
        required=False,
    )
    origin = forms.ChoiceField(
        label=gettext_lazy("Origin"),
        choices=[("", gettext_lazy("Any"))] + list(AuthorisationOrigin.choices),
        required=False,
    )
    active_on = DateField(label=gettext_lazy("In force on"), required=False, widget=_date_input())


class PaperAuthorisationForm(forms.Form):
    area_code = forms.CharField(label=gettext_lazy("Area code"), required=False)
    grantee = forms.ModelChoiceField(
        label=gettext_lazy("Exporter or packing house"), queryset=None, required=False
    )
    market = forms.ModelChoiceField(
        label=gettext_lazy("Market"), queryset=Market.objects.order_by("code"), required=False
    )
    valid_from = DateField(label=gettext_lazy("Valid from"), required=False, widget=_date_input())
    valid_to = DateField(label=gettext_lazy("Valid to"), required=False, widget=_date_input())
    document_number = forms.CharField(label=gettext_lazy("Document number"), required=False)
    document_date = DateField(
        label=gettext_lazy("Document date"), required=False, widget=_date_input()
    )
    withdrawn_from = DateField(
        label=gettext_lazy("Withdrawn from"),
        required=False,
        widget=_date_input(),
        help_text=gettext_lazy("Only if it was withdrawn: the first day it no longer held."),
    )
    withdrawal_reason = forms.CharField(label=gettext_lazy("Reason for withdrawal"), required=False)

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = authorisations.grantee_choices(actor)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (XLSX or CSV)"))
    apply = forms.BooleanField(
        label=gettext_lazy("Record them (otherwise only check the file)"), required=False
    )


@login_required
def authorisation_list(request: HttpRequest) -> HttpResponse:
    """The authorisations one may see; the province also records one from paper here."""
    actor = _actor(request)
    may_record = can(actor, "record_authorisation")
    form = None
    if may_record:
        form = PaperAuthorisationForm(request.POST or None, actor=actor)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            paper = authorisations.PaperAuthorisation(
                area=authorisations.find_area(actor, data["area_code"]),
                grantee=data["grantee"],
                market=data["market"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                document_number=data["document_number"].strip(),
                document_date=data["document_date"],
                withdrawn_from=data["withdrawn_from"],
                withdrawal_reason=data["withdrawal_reason"].strip(),
            )
            try:
                auth = authorisations.record_paper_authorisation(actor, paper)
            except ValidationError as exc:
                add_service_errors(form, exc, {"area": "area_code"})
            else:
                messages.success(
                    request,
                    _("Authorisation %(n)s recorded for code %(code)s.")
                    % {"n": auth.document_number, "code": auth.area.code},
                )
                return redirect("authorisation-list")
    elif request.method == "POST":
        require(actor, "record_authorisation")
    filters = AuthorisationFilterForm(request.GET or None)
    criteria = {}
    if filters.is_valid():
        data = filters.cleaned_data
        criteria = {
            "area_code": data["area_code"],
            "market": data["market"].code if data["market"] else "",
            "origin": data["origin"],
            "active_on": data["active_on"],
        }
    found = authorisations.authorisations(actor, **criteria)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "codes/authorisation_list.html",
        {
            "page": page,
            "filters": filters,
            "form": form,
            "may_record": may_record,
            "today": timezone.localdate(),
        },
    )


@login_required
def authorisation_import(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "record_authorisation")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = authorisations.import_authorisations(
                actor, upload.read(), upload.name, apply=form.cleaned_data["apply"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if report.applied:
                messages.success(
                    request,
                    _("Imported: %(c)d recorded, %(u)d already recorded.")
                    % {"c": report.count("create"), "u": report.count("unchanged")},
                )
    return render(
        request,
        "codes/authorisation_import.html",
        {"form": form, "report": report, "columns": authorisations.COLUMNS},
    )


@login_required
def authorisation_template(request: HttpRequest) -> HttpResponse:
    require(_actor(request), "record_authorisation")
    response = HttpResponse(authorisations.template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="agritrace-authorisations.xlsx"'
    return response


__all__ = ["authorisation_import", "authorisation_list", "authorisation_template"]
