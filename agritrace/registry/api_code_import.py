"""API of the import of codes issued before AgriTrace (`registry.code_import`), mounted at
/api/registry: check or apply a list, download the template. The province authority only."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from agritrace.accounts.access import can
from agritrace.apiutil import actor

from . import code_import, code_import_read

router = Router(tags=["codes"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportRowOut(Schema):
    row: int
    code: str
    kind: str
    name: str
    action: str
    changes: list[str]


class CodeImportProblemOut(Schema):
    row: int
    column: str
    message: str


class ImportCountsOut(Schema):
    create: int
    update: int
    unchanged: int
    problems: int


class CodeImportOut(Schema):
    filename: str
    applied: bool
    import_id: int | None
    counts: ImportCountsOut
    rows: list[ImportRowOut]
    problems: list[CodeImportProblemOut]


@router.post("/code-imports", response=CodeImportOut)
def import_codes(request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = True):
    """Codes issued before AgriTrace, with their issue dates, market approvals, suspensions
    and revocations (XLSX or CSV, columns as in the template). `dry_run` (default true)
    reports per row what would be created, updated or left unchanged, and the bad cells by
    row and column; `dry_run=false` applies every row or none (422 naming "row N: column"
    when a row is bad). Applying the same file again changes nothing."""
    who = actor(request)
    if file.size and file.size > code_import_read.MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    report = code_import.import_codes(who, file.read(), file.name or "", apply=not dry_run)
    return report.as_dict()


@router.get("/code-imports/template.xlsx", response={200: None})
def import_template(request: HttpRequest):
    """The workbook to fill, its columns in the order of the published lists."""
    if not can(actor(request), "decide"):
        raise PermissionDenied(_("Only the province authority imports codes."))
    response = HttpResponse(code_import_read.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="existing-codes-template.xlsx"'
    return response
