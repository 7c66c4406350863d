"""Organisations and their people over the API, added to the /api/accounts/ router:
GET/POST /organisations, GET /organisations/{id_or_identifier}, POST
/organisations/{identifier}/invitations, POST /organisations/import (XLSX, dry run unless
?apply=true) and GET /organisations/import/template.xlsx. Thin: the rules are in
organisations.py, invitations.py and org_import.py."""

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from agritrace.apiutil import actor as _actor
from agritrace.paging import Paging

from . import invitations, org_import
from . import organisations as orgs
from .identifiers import party_uri
from .models import OrgKind, Role
from .names import full_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PlaceOut(Schema):
    code: str
    name: str
    level: str


class OrganisationSummaryOut(Schema):
    identifier: str = Field(..., description="Stable public identifier (never a database id)")
    party: str = Field(..., description="How EPCIS events name it: GLN URI, else its URN")
    id: int
    name: str
    kind: str
    gln: str
    tax_code: str
    unit: PlaceOut
    province: PlaceOut

    @staticmethod
    def resolve_party(obj) -> str:
        return party_uri(obj)

    @staticmethod
    def resolve_province(obj):
        return obj.unit.province


class MemberOut(Schema):
    username: str
    name: str
    email: str
    role: str
    active: bool


class OrganisationDetailOut(OrganisationSummaryOut):
    address: str
    phone: str
    email: str
    members: list[MemberOut] | None = Field(
        None, description="Its people: shown to its own members and to its authority only"
    )


class OrganisationFilters(Schema):
    kind: OrgKind | None = None
    q: str = Field("", description="Part of the name, or the identifier, GLN or tax code")


class OrganisationIn(Schema):
    name: str
    kind: OrgKind
    commune_code: str = Field("", description="Official code of the commune (current tree)")
    commune_name: str = Field("", description="Or the commune's name, with province_name")
    province_name: str = Field("", description="Province name or code (alone: an authority)")
    tax_code: str = ""
    gln: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""


class InvitationIn(Schema):
    email: str
    role: Role = Role.STAFF
    first_name: str = ""
    last_name: str = ""
    username: str = Field("", description="Made from the e-mail address when left out")


class InvitationOut(Schema):
    username: str
    email: str
    role: str
    active: bool
    resent: bool = Field(..., description="Already invited: a new link was sent")


class OrganisationImportQuery(Schema):
    apply: bool = Field(False, description="Write the changes (default: a dry run)")


def _detail(actor, org) -> dict:
    people = orgs.members(actor, org)
    org.members = (
        None
        if people is None
        else [
            {
                "username": m.user.username,
                "name": full_name(m.user),
                "email": m.user.email,
                "role": m.role,
                "active": m.user.is_active,
            }
            for m in people
        ]
    )
    return org


def add_routes(router: Router) -> None:
    @router.get("/organisations", response=list[OrganisationSummaryOut], tags=["organisations"])
    @paginate(Paging)
    def list_organisations(request: HttpRequest, filters: Query[OrganisationFilters]):
        """The organisations you may see: the ministry all, a province's authority its
        province's, a commune its commune's, others themselves (a representative also the
        exporters and packing houses it may authorise)."""
        return orgs.organisations(_actor(request), filters.kind or "", filters.q)

    @router.post("/organisations", response={201: OrganisationDetailOut}, tags=["organisations"])
    def create_organisation(request: HttpRequest, payload: OrganisationIn):
        """Add an organisation (the ministry anywhere, a province's authority in it)."""
        actor = _actor(request)
        return Status(201, _detail(actor, orgs.create_organisation(actor, payload.dict())))

    @router.get(
        "/organisations/import/template.xlsx",
        response={200: None},
        tags=["organisations"],
        summary="The workbook to fill for the organisations import",
    )
    def import_template(request: HttpRequest):
        response = HttpResponse(org_import.template(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="organisations.xlsx"'
        return response

    @router.post("/organisations/import", response={200: dict, 422: dict}, tags=["organisations"])
    def import_organisations(
        request: HttpRequest, file: File[UploadedFile], query: Query[OrganisationImportQuery]
    ):
        """A province's cooperatives, packing houses and exporters from XLSX: a dry run
        unless ?apply=true; bad rows by row and column (422, nothing written); idempotent."""
        report = org_import.import_organisations(_actor(request), file.read(), query.apply)
        body = report.as_dict()
        if report.ok:
            return body
        errors: dict[str, list[str]] = {}
        for e in report.errors:
            errors.setdefault(f"row {e.row}: {e.column}", []).append(e.message)
        first = report.errors[0]
        body["detail"] = f"row {first.row}, {first.column} ({first.cell}): {first.message}"
        body["errors"] = errors
        return Status(422, body)

    @router.get("/organisations/{key}", response=OrganisationDetailOut, tags=["organisations"])
    def get_organisation(request: HttpRequest, key: str):
        """By public identifier (66-EXP-0003), GLN or id."""
        actor = _actor(request)
        return _detail(actor, orgs.find(actor, key))

    @router.post(
        "/organisations/{key}/invitations",
        response={201: InvitationOut},
        tags=["organisations"],
    )
    def invite(request: HttpRequest, key: str, payload: InvitationIn):
        """Invite a person: an inactive account and a link by e-mail to choose a password."""
        actor = _actor(request)
        org = orgs.find(actor, key)
        user, resent = invitations.invite(actor, org, **payload.dict())
        return Status(
            201,
            {
                "username": user.username,
                "email": user.email,
                "role": user.membership.role,
                "active": user.is_active,
                "resent": resent,
            },
        )
