"""The API of authorisations recorded from paper and of supply contracts' lists:
POST /api/authorisations (the province records a paper authorisation),
GET /api/authorisations (scoped list with filters), POST /api/authorisations/import (XLSX or
CSV; a dry run unless `apply=true`), GET /api/authorisations/import/template,
GET /api/supply-contracts (scoped list with filters)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from agritrace.apiutil import actor
from agritrace.paging import Paging

from . import authorisations, contracts, sheets
from .schemas import AreaRef, CatalogueRef, HouseRef, NamedRef

router = Router(tags=["authorisations"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PaperAuthorisationIn(Schema):
    area: int | None = Field(None, description="Planting area id; or give area_code")
    area_code: str | None = Field(None, description="The area's code, e.g. VN-DLOR-0001")
    grantee: int | str = Field(
        ...,
        description="The exporter or packing house: its id (a number), or a string: its public "
        "identifier, GLN, tax code or exact name",
    )
    market: int | str = Field(..., description="Market id or code (CN, US, VN, ...)")
    valid_from: dt.date
    valid_to: dt.date
    document_number: str = Field(..., description="The paper authorisation's number")
    document_date: dt.date = Field(..., description="The paper authorisation's date")
    withdrawn_from: dt.date | None = Field(
        None, description="If it was withdrawn: the first day it no longer held"
    )
    withdrawal_reason: str = ""


class AuthorisationListOut(Schema):
    id: int
    area: AreaRef
    grantee: NamedRef
    market: CatalogueRef
    valid_from: dt.date
    valid_to: dt.date
    origin: str
    document_number: str
    document_date: dt.date | None
    granted_at: dt.datetime
    withdrawn_at: dt.datetime | None
    withdrawn_from: dt.date | None
    withdrawal_reason: str


class AuthorisationFilters(Schema):
    area: int | None = None
    area_code: str = ""
    grantee: int | None = None
    market: str = Field("", description="Market code")
    origin: str = Field("", description="granted or paper")
    active_on: dt.date | None = Field(None, description="In force on this day")
    withdrawn: bool | None = None


class ImportProblemOut(Schema):
    row: int
    column: str
    message: str


class ImportReportOut(Schema):
    dry_run: bool
    applied: bool
    counts: dict[str, int]
    rows: list[dict]
    problems: list[ImportProblemOut]


class ContractListOut(Schema):
    id: int
    packing_house: HouseRef
    area: AreaRef
    valid_from: dt.date
    valid_to: dt.date
    reference: str


class ContractFilters(Schema):
    area: int | None = None
    area_code: str = ""
    packing_house: int | None = None
    active_on: dt.date | None = Field(None, description="In force on this day")


def _read(file: UploadedFile) -> bytes:
    if file.size and file.size > sheets.MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    return file.read()


def _reference(value: int | str):
    """A market's id given as a number (or a string of digits), else its code."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


@router.post("/authorisations", response={201: AuthorisationListOut})
def record_paper_authorisation(request: HttpRequest, payload: PaperAuthorisationIn):
    """The province's authority records an authorisation signed on paper (number and date),
    for a market and a period that may lie in the past."""
    current = actor(request)
    paper = authorisations.PaperAuthorisation(
        area=authorisations.find_area(current, payload.area or payload.area_code),
        grantee=authorisations.find_grantee(payload.grantee),
        market=authorisations.find_market(_reference(payload.market)),
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
        document_number=payload.document_number.strip(),
        document_date=payload.document_date,
        withdrawn_from=payload.withdrawn_from,
        withdrawal_reason=payload.withdrawal_reason.strip(),
    )
    return Status(201, authorisations.record_paper_authorisation(current, paper))


@router.get("/authorisations", response=list[AuthorisationListOut])
@paginate(Paging)
def list_authorisations(request: HttpRequest, filters: Query[AuthorisationFilters]):
    """Authorisations to use areas' codes: the province sees its areas', an exporter or
    packing house its own, the representative its areas'."""
    return authorisations.authorisations(actor(request), **filters.model_dump())


@router.post("/authorisations/import", response=ImportReportOut)
def import_authorisations(request: HttpRequest, file: File[UploadedFile], apply: bool = False):
    """Paper authorisations in bulk (XLSX or CSV, the template's columns). A dry run unless
    `apply=true`: the report says what each row would do. A bad row is named by row and
    column (422) and nothing is recorded; a row already recorded is left unchanged."""
    current = actor(request)
    report = authorisations.import_authorisations(
        current, _read(file), file.name or "", apply=apply
    )
    report.raise_if_problems()
    return report.as_dict()


@router.get("/authorisations/import/template")
def authorisations_template(request: HttpRequest):
    """The import's workbook: the columns (required ones marked *) and one example row."""
    actor(request)
    response = HttpResponse(authorisations.template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="authorisations.xlsx"'
    return response


@router.get("/supply-contracts", response=list[ContractListOut], tags=["packing houses"])
@paginate(Paging)
def list_supply_contracts(request: HttpRequest, filters: Query[ContractFilters]):
    """Supply contracts: the province its areas' and houses', a packing house its own, the
    representative its areas'. `active_on` keeps those in force that day."""
    return contracts.supply_contracts(actor(request), **filters.model_dump())
