"""Authorisations to use an area's code recorded from their paper documents, their list, and
their bulk import.

A representative grants an authorisation in AgriTrace (`services.authorise_exporter`); many
were signed on paper before, or outside, AgriTrace. The province's authority (department or
plant-protection office) records such a one with its document's number and date, a market and a
period that may lie in the past, and, if it already ended early, the day its withdrawal took
effect. The same check serves one record (API, page) and every row of an import, so both give
the same answer. An authorisation is the same one when its area, grantee, market and document
number are the same: re-importing a file changes nothing.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.notifications.services import notify

from . import sheets
from .history import authorisation_active_q
from .models import AuthorisationOrigin, CodeAuthorisation, Market, PlantingArea

GRANTEE_KINDS = (OrgKind.EXPORTER, OrgKind.PACKING_HOUSE)


# ------------------------------------------------------------------ finding what a row names


def find_grantee(ref) -> Organisation | None:
    """An exporter or packing house named by id, public identifier, GLN, tax code or exact
    name (a name shared by two organisations names neither)."""
    orgs = Organisation.objects.filter(kind__in=GRANTEE_KINDS)
    if isinstance(ref, int):
        return orgs.filter(pk=ref).first()
    text = sheets.text(ref)
    if not text:
        return None
    for lookup in ("identifier__iexact", "gln", "tax_code"):
        found = list(orgs.filter(**{lookup: text})[:2])
        if len(found) == 1:
            return found[0]
    found = list(orgs.filter(name__iexact=text)[:2])
    return found[0] if len(found) == 1 else None


def find_area(actor: Actor, ref) -> PlantingArea | None:
    """A planting area the actor sees, by id or by code."""
    areas = visible(actor, PlantingArea.objects.all())
    if isinstance(ref, int):
        return areas.filter(pk=ref).first()
    text = sheets.text(ref)
    return areas.filter(code__iexact=text).first() if text else None


def find_market(ref) -> Market | None:
    if isinstance(ref, int):
        return Market.objects.filter(pk=ref).first()
    text = sheets.text(ref)
    return Market.objects.filter(code__iexact=text).first() if text else None


# ------------------------------------------------------------------ the check


@dataclass
class PaperAuthorisation:
    """One authorisation as written on paper, its references resolved (None: not found)."""

    area: PlantingArea | None
    grantee: Organisation | None
    market: Market | None
    valid_from: date | None
    valid_to: date | None
    document_number: str
    document_date: date | None
    withdrawn_from: date | None = None
    withdrawal_reason: str = ""


def _problems(paper: PaperAuthorisation) -> dict[str, str]:
    errors: dict[str, str] = {}
    today = timezone.localdate()
    area = paper.area
    if area is None:
        errors["area"] = _("No planting area with this code in your province.")
    elif not area.code:
        errors["area"] = _("This planting area has never had a code.")
    if paper.grantee is None:
        errors["grantee"] = _("Choose an exporter or a packing house.")
    if paper.market is None:
        errors["market"] = _("Unknown market.")
    elif area is not None and not area.markets.filter(pk=paper.market.pk).exists():
        errors["market"] = _("Choose one of the area's target markets.")
    if paper.valid_from is None or paper.valid_to is None:
        errors["valid_to"] = _("Give the start and end of the authorisation.")
    elif paper.valid_to < paper.valid_from:
        errors["valid_to"] = _("The end comes before the start.")
    number = paper.document_number
    if not number:
        errors["document_number"] = _("Give the paper authorisation's number.")
    elif len(number) > 60:
        errors["document_number"] = _("At most %(n)d characters.") % {"n": 60}
    if paper.document_date is None:
        errors["document_date"] = _("Give the paper authorisation's date.")
    elif paper.document_date > today:
        errors["document_date"] = _("The document cannot be dated in the future.")
    if paper.withdrawn_from is not None:
        if paper.withdrawn_from > today:
            errors["withdrawn_from"] = _("A withdrawal cannot take effect in the future.")
        elif paper.valid_from and paper.withdrawn_from < paper.valid_from:
            errors["withdrawn_from"] = _("The withdrawal comes before the authorisation began.")
        elif not paper.withdrawal_reason:
            errors["withdrawal_reason"] = _("Say why it was withdrawn.")
    elif paper.withdrawal_reason:
        errors["withdrawn_from"] = _("Give the day the withdrawal took effect.")
    return errors


def _existing(paper: PaperAuthorisation) -> CodeAuthorisation | None:
    return CodeAuthorisation.objects.filter(
        area=paper.area,
        grantee=paper.grantee,
        market=paper.market,
        document_number__iexact=paper.document_number,
    ).first()


def _same(auth: CodeAuthorisation, paper: PaperAuthorisation) -> bool:
    return (
        auth.valid_from == paper.valid_from
        and auth.valid_to == paper.valid_to
        and auth.document_date == paper.document_date
        and auth.withdrawn_from == paper.withdrawn_from
    )


def check(paper: PaperAuthorisation) -> tuple[str, CodeAuthorisation | None]:
    """("create", None) or ("unchanged", the one already recorded); ValidationError naming
    the fields otherwise."""
    errors = _problems(paper)
    if errors:
        raise ValidationError(errors)
    existing = _existing(paper)
    if existing is None:
        return "create", None
    if _same(existing, paper):
        return "unchanged", existing
    raise ValidationError(
        {
            "document_number": _(
                "Authorisation %(n)s is already recorded with another period "
                "(%(a)s – %(b)s); correct it there."
            )
            % {
                "n": existing.document_number,
                "a": existing.valid_from.isoformat(),
                "b": existing.valid_to.isoformat(),
            }
        }
    )


def _create(actor: Actor, paper: PaperAuthorisation, action: str) -> CodeAuthorisation:
    withdrawn = paper.withdrawn_from is not None
    auth = CodeAuthorisation.objects.create(
        area=paper.area,
        grantee=paper.grantee,
        market=paper.market,
        valid_from=paper.valid_from,
        valid_to=paper.valid_to,
        granted_by=actor.user,
        origin=AuthorisationOrigin.PAPER,
        document_number=paper.document_number,
        document_date=paper.document_date,
        withdrawn_from=paper.withdrawn_from,
        withdrawn_at=timezone.now() if withdrawn else None,
        withdrawal_reason=paper.withdrawal_reason if withdrawn else "",
    )
    record(actor.user, action, paper.area, None, snapshot(auth))
    return auth


@transaction.atomic
def record_paper_authorisation(actor: Actor, paper: PaperAuthorisation) -> CodeAuthorisation:
    """The province records an authorisation signed on paper; the grantee, the area's
    representative and its commune are told."""
    require(actor, "record_authorisation")
    action, existing = check(paper)
    if action == "unchanged":
        raise ValidationError({"document_number": _("This authorisation is already recorded.")})
    auth = _create(actor, paper, "code.authorise_paper")
    area = paper.area
    communes = Organisation.objects.filter(kind=OrgKind.COMMUNE, unit=area.commune)
    notify(
        [*communes, area.representative, paper.grantee],
        _("Paper authorisation %(n)s recorded for code %(code)s")
        % {"n": paper.document_number, "code": area.code},
        _("%(org)s, for %(market)s from %(a)s to %(b)s.")
        % {
            "org": paper.grantee.name,
            "market": paper.market,
            "a": paper.valid_from.isoformat(),
            "b": paper.valid_to.isoformat(),
        },
        reverse("area-detail", args=[area.pk]),
    )
    return auth


# ------------------------------------------------------------------ the list


def authorisations(
    actor: Actor,
    *,
    area: int | None = None,
    area_code: str = "",
    grantee: int | None = None,
    market: str = "",
    origin: str = "",
    active_on: date | None = None,
    withdrawn: bool | None = None,
) -> QuerySet[CodeAuthorisation]:
    """The authorisations the actor may see (the province its areas', an exporter or packing
    house its own, the representative its areas'), filtered."""
    found = visible(
        actor,
        CodeAuthorisation.objects.select_related("area", "grantee", "market").order_by(
            "-valid_from", "pk"
        ),
    )
    if area is not None:
        found = found.filter(area_id=area)
    if area_code:
        found = found.filter(area__code__iexact=area_code.strip())
    if grantee is not None:
        found = found.filter(grantee_id=grantee)
    if market:
        found = found.filter(market__code__iexact=market.strip())
    if origin:
        found = found.filter(origin=origin)
    if active_on is not None:
        found = found.filter(authorisation_active_q(active_on))
    if withdrawn is not None:
        found = found.filter(withdrawn_from__isnull=not withdrawn)
    return found


# ------------------------------------------------------------------ the import

COLUMNS = [
    sheets.Column("area_code", True, "VN-DLOR-0001", gettext_lazy("The planting area's code.")),
    sheets.Column(
        "grantee",
        True,
        "66-EXP-0001",
        gettext_lazy(
            "The exporter or packing house: its AgriTrace identifier, GLN, tax code or exact name."
        ),
    ),
    sheets.Column("market", True, "CN", gettext_lazy("The market's code (CN, US, VN, ...).")),
    sheets.Column(
        "valid_from", True, "2025-05-01", gettext_lazy("First day of the authorisation.")
    ),
    sheets.Column("valid_to", True, "2025-12-31", gettext_lazy("Last day of the authorisation.")),
    sheets.Column(
        "document_number", True, "12/2025/UQ-HTX", gettext_lazy("The paper authorisation's number.")
    ),
    sheets.Column(
        "document_date", True, "2025-04-20", gettext_lazy("The paper authorisation's date.")
    ),
    sheets.Column(
        "withdrawn_from",
        False,
        "",
        gettext_lazy("If it was withdrawn: the first day it no longer held."),
    ),
    sheets.Column("withdrawal_reason", False, "", gettext_lazy("If it was withdrawn: why.")),
]


def template() -> bytes:
    return sheets.template_xlsx(
        _("AgriTrace: import of paper authorisations to use an area's code"),
        "authorisations",
        COLUMNS,
        [
            _("One row per authorisation. Columns marked * are required."),
            _("Dates as 2026-03-15 or 15/03/2026. Periods may lie in the past."),
            _("Delete the example row before importing."),
            _(
                "Nothing is imported while a row is wrong; a row already recorded is left "
                "unchanged, so the same file can be sent again."
            ),
        ],
    )


def _paper_of(actor: Actor, row: dict) -> PaperAuthorisation:
    """Read one row; every unreadable cell is a RowError (the first one)."""
    area_code = sheets.cell_text(row, "area_code", required=True)
    grantee = sheets.cell_text(row, "grantee", required=True)
    market = sheets.cell_text(row, "market", required=True)
    return PaperAuthorisation(
        area=find_area(actor, area_code),
        grantee=find_grantee(grantee),
        market=find_market(market),
        valid_from=sheets.cell_date(row, "valid_from", required=True),
        valid_to=sheets.cell_date(row, "valid_to", required=True),
        document_number=sheets.cell_text(row, "document_number", required=True),
        document_date=sheets.cell_date(row, "document_date", required=True),
        withdrawn_from=sheets.cell_date(row, "withdrawn_from"),
        withdrawal_reason=sheets.cell_text(row, "withdrawal_reason"),
    )


#: service field -> the sheet's column
_FIELD_COLUMNS = {"area": "area_code", "grantee": "grantee", "market": "market"}


def import_authorisations(
    actor: Actor, data: bytes, filename: str = "authorisations.xlsx", apply: bool = False
) -> sheets.Report:
    """Check every row (a dry run by default: a report of what would be recorded); with
    `apply`, record them all in one transaction, or none if any row is wrong."""
    require(actor, "record_authorisation")
    report = sheets.Report(dry_run=not apply)
    rows = sheets.read_rows(data, filename, COLUMNS)
    if not rows:
        report.add_problem(0, "file", _("The file holds no rows."))
    papers: list[tuple[int, PaperAuthorisation]] = []
    seen: dict[tuple, int] = {}
    for number, row in rows:
        try:
            paper = _paper_of(actor, row)
        except sheets.RowError as exc:
            report.add_problem(number, exc.column, exc.message)
            continue
        try:
            action, existing = check(paper)
        except ValidationError as exc:
            report.add_validation(number, exc, _FIELD_COLUMNS)
            continue
        key = (paper.area.pk, paper.grantee.pk, paper.market.pk, paper.document_number.lower())
        if key in seen:
            report.add_problem(
                number,
                "document_number",
                _("The same authorisation as row %(n)d.") % {"n": seen[key]},
            )
            continue
        seen[key] = number
        report.rows.append(
            {
                "row": number,
                "action": action,
                "area_code": paper.area.code,
                "grantee": paper.grantee.name,
                "market": paper.market.code,
                "valid_from": paper.valid_from.isoformat(),
                "valid_to": paper.valid_to.isoformat(),
                "document_number": paper.document_number,
                "id": existing.pk if existing else None,
            }
        )
        if action == "create":
            papers.append((number, paper))
    if not apply or report.problems:
        return report
    with transaction.atomic():
        created = {n: _create(actor, p, "code.authorise_paper_import") for n, p in papers}
    for entry in report.rows:
        if entry["row"] in created:
            entry["id"] = created[entry["row"]].pk
    report.applied = True
    return report


def grantee_choices(actor: Actor) -> QuerySet[Organisation]:
    """Exporters and packing houses to name in a paper authorisation (any of them: the
    province records what was signed)."""
    return Organisation.objects.filter(kind__in=GRANTEE_KINDS).order_by("name")


def areas_with_code(actor: Actor) -> QuerySet[PlantingArea]:
    return visible(actor, PlantingArea.objects.filter(~Q(code="") & Q(code__isnull=False)))
