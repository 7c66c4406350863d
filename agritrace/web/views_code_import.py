"""The page of the existing-codes import (/codes/import/): upload a list, see what would
change per row and the bad cells, then apply that same file. Thin over
`registry.code_import`; the province authority only."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agritrace.accounts.access import Actor, can
from agritrace.registry import code_import, code_import_read

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CodeImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("List of codes (XLSX or CSV)"),
        help_text=gettext_lazy(
            "Columns as in the template. The file is checked first; nothing changes until "
            "you apply it."
        ),
    )


def _authority(request: HttpRequest) -> Actor:
    actor = Actor.of(request.user)
    if not can(actor, "decide"):
        raise PermissionDenied(_("Only the province authority imports codes."))
    return actor


def _render(request, form, report=None, status=200) -> HttpResponse:
    return render(
        request,
        "codes/code_import.html",
        {
            "form": form,
            "report": report,
            "columns": code_import_read.columns(),
            "mapping_source": code_import_read.mapping()["source"],
        },
        status=status,
    )


@login_required
def code_import_page(request: HttpRequest) -> HttpResponse:
    actor = _authority(request)
    form = CodeImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = code_import.import_codes(actor, upload.read(), upload.name, keep=True)
        except ValidationError as exc:
            for messages_ in exc.message_dict.values():
                for message in messages_:
                    form.add_error("file", message)
    return _render(request, form, report)


@login_required
@require_POST
def code_import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _authority(request)
    try:
        report = code_import.apply_kept(actor, pk)
    except ValidationError as exc:
        for messages_ in exc.message_dict.values():
            for message in messages_:
                messages.error(request, message)
        return redirect("code-import")
    messages.success(
        request,
        _("Applied: %(create)s created, %(update)s updated, %(unchanged)s unchanged.")
        % report.counts,
    )
    return _render(request, CodeImportForm(), report)


@login_required
def code_import_template(request: HttpRequest) -> HttpResponse:
    _authority(request)
    response = HttpResponse(code_import_read.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="existing-codes-template.xlsx"'
    return response
