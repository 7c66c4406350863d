"""The harvest season calendars' page: the list (everyone logged in), and for the authority
the form to add or change one, the delete button, and the import (checked first, then
recorded; bad rows by row and column). Thin: every rule is in supervision.calendar."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, can, require
from agritrace.formats.fields import DateField, DateInput
from agritrace.registry.models import Crop
from agritrace.web.forms import add_service_errors

from . import calendar
from .models import SeasonCalendar

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTHS = [(m, str(m)) for m in range(1, 13)]


def _actor(request: HttpRequest) -> Actor:
    current = getattr(request, "_actor", None)
    if current is None:
        current = Actor.of(request.user)
        request._actor = current
    return current


class CalendarForm(forms.Form):
    crop = forms.ModelChoiceField(
        label=gettext_lazy("Crop"), queryset=Crop.objects.all(), required=False
    )
    region = forms.CharField(label=gettext_lazy("Region"), required=False)
    provinces = forms.CharField(
        label=gettext_lazy("Provinces"),
        required=False,
        help_text=gettext_lazy("Names or codes separated by ';' (empty: any province)."),
    )
    label = forms.CharField(label=gettext_lazy("Season"), required=False, initial="main")
    harvest_start_month = forms.TypedChoiceField(
        label=gettext_lazy("Harvest starts (month)"), choices=MONTHS, coerce=int
    )
    harvest_end_month = forms.TypedChoiceField(
        label=gettext_lazy("Harvest ends (month)"), choices=MONTHS, coerce=int
    )
    source = forms.CharField(label=gettext_lazy("Source"), required=False)
    source_date = DateField(
        label=gettext_lazy("Source date"),
        required=False,
        widget=DateInput(),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False)

    def data_for_service(self) -> calendar.CalendarData:
        data = self.cleaned_data
        return calendar.CalendarData(
            crop=data["crop"],
            region=data["region"],
            provinces=[p.strip() for p in data["provinces"].split(";") if p.strip()],
            label=data["label"],
            harvest_start_month=data["harvest_start_month"],
            harvest_end_month=data["harvest_end_month"],
            source=data["source"],
            source_date=data["source_date"],
            note=data["note"],
        )


class CalendarImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (XLSX or CSV)"))
    apply = forms.BooleanField(
        label=gettext_lazy("Record them (otherwise only check the file)"), required=False
    )


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    may_edit = can(actor, "manage_catalogue")
    form = CalendarForm(request.POST or None) if may_edit else None
    import_form = CalendarImportForm() if may_edit else None
    report = None
    if request.method == "POST":
        require(actor, "manage_catalogue")
        if request.POST.get("op") == "import":
            import_form = CalendarImportForm(request.POST, request.FILES)
            form = CalendarForm()
            if import_form.is_valid():
                upload = import_form.cleaned_data["file"]
                try:
                    report = calendar.import_calendars(
                        actor, upload.read(), upload.name, import_form.cleaned_data["apply"]
                    )
                except ValidationError as exc:
                    add_service_errors(import_form, exc)
                else:
                    if report.applied:
                        messages.success(request, _("Season calendars imported."))
        elif form.is_valid():
            try:
                cal = calendar.create_calendar(actor, form.data_for_service())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Season %(c)s added.") % {"c": cal})
                return redirect("supervision-calendars")
    rows = [
        {"cal": cal, "may_edit": calendar.may_edit(actor, cal.provinces)}
        for cal in calendar.calendars()
    ]
    covered = {r["cal"].crop_id for r in rows}
    return render(
        request,
        "supervision/calendar_list.html",
        {
            "rows": rows,
            "form": form,
            "import_form": import_form,
            "report": report,
            "uncovered": Crop.objects.exclude(pk__in=covered).order_by("code"),
        },
    )


@login_required
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    cal = get_object_or_404(SeasonCalendar.objects.select_related("crop"), pk=pk)
    require(actor, "manage_catalogue")
    if request.method == "POST" and request.POST.get("op") == "delete":
        calendar.delete_calendar(actor, cal, request.POST.get("reason", ""))
        messages.success(request, _("Season %(c)s deleted.") % {"c": cal})
        return redirect("supervision-calendars")
    initial = {
        "crop": cal.crop,
        "region": cal.region,
        "provinces": "; ".join(cal.provinces),
        "label": cal.label,
        "harvest_start_month": cal.harvest_start_month,
        "harvest_end_month": cal.harvest_end_month,
        "source": cal.source,
        "source_date": cal.source_date,
        "note": cal.note,
    }
    form = CalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.data_for_service()
        try:
            calendar.update_calendar(actor, cal, data.__dict__)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Season %(c)s saved.") % {"c": cal})
            return redirect("supervision-calendars")
    elif request.method == "GET":
        calendar.require_edit(actor, cal.provinces)
    return render(request, "supervision/calendar_form.html", {"form": form, "cal": cal})


@login_required
def calendar_template(request: HttpRequest) -> HttpResponse:
    require(_actor(request), "manage_catalogue")
    response = HttpResponse(calendar.template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="agritrace-season-calendars.xlsx"'
    return response
