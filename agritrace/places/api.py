"""The places API: Vietnam's provinces and communes (public, read-only) and the province
abbreviations used in codes (read by anyone, set by the authority: see abbreviations.py)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from agritrace.apiutil import actor as _actor
from agritrace.paging import Paging

from . import abbreviations
from .models import AdminUnit, Level, Tree, UnitMapping
from .services import find_province, provinces, search_communes

router = Router(tags=["places"])


class UnitRef(Schema):
    code: str
    name: str


class ProvinceOut(Schema):
    code: str = Field(..., description="Official code (GSO)")
    name: str
    division_type: str
    tree: str = Field(..., description="2025: the current tree; 2008: the earlier one")
    abbreviation: str | None = Field(None, description="The active code abbreviation, if set")
    now_in: list[UnitRef] = Field(
        [], description="For an earlier province: the current province(s) it lies in"
    )
    earlier: list[UnitRef] = Field(
        [], description="For a current province: the earlier provinces it was made of"
    )


class CommuneOut(Schema):
    code: str
    name: str
    division_type: str
    tree: str
    province: UnitRef
    district: UnitRef | None = Field(None, description="Earlier tree only")
    now_in: list[UnitRef] = Field(
        [], description="For an earlier commune: the current commune(s) it lies in"
    )
    earlier: list[UnitRef] = Field(
        [], description="For a current commune: the earlier communes it was made of"
    )


class ProvinceFilters(Schema):
    tree: Tree = Tree.CURRENT


class CommuneFilters(Schema):
    province: str = Field("", description="Province name (with or without diacritics) or code")
    q: str = Field("", description="Part of the commune's name, or its official code")
    tree: Tree = Tree.CURRENT


def _ref(unit: AdminUnit) -> dict:
    return {"code": unit.code, "name": unit.name}


def _mappings(units: list[AdminUnit]) -> tuple[dict, dict]:
    """unit id -> current units it went into / earlier units it came from (one query)."""
    ids = [u.pk for u in units]
    now_in: dict[int, list[dict]] = {}
    earlier: dict[int, list[dict]] = {}
    rows = UnitMapping.objects.filter(legacy_id__in=ids) | UnitMapping.objects.filter(
        current_id__in=ids
    )
    for m in rows.select_related("legacy", "current").order_by("pk"):
        now_in.setdefault(m.legacy_id, []).append(_ref(m.current))
        earlier.setdefault(m.current_id, []).append(_ref(m.legacy))
    return now_in, earlier


@router.get("/provinces", response=list[ProvinceOut], auth=None)
def list_provinces(request: HttpRequest, filters: Query[ProvinceFilters]):
    """The provinces of the current tree (34, since 1 July 2025) or the earlier one (63)."""
    units = list(provinces(filters.tree))
    now_in, earlier = _mappings(units)
    active = abbreviations.active_by_province([u.pk for u in units])
    return [
        {
            "code": u.code,
            "name": u.name,
            "division_type": u.division_type,
            "tree": u.tree,
            "abbreviation": active.get(u.pk),
            "now_in": now_in.get(u.pk, []),
            "earlier": earlier.get(u.pk, []),
        }
        for u in units
    ]


@router.get("/communes", response=list[CommuneOut], auth=None)
@paginate(Paging)
def list_communes(request: HttpRequest, filters: Query[CommuneFilters]):
    """Communes and wards by province and/or name or code; `q` alone searches the country,
    neither lists the whole tree (paged)."""
    province = None
    if filters.province.strip():
        province = find_province(filters.province, filters.tree)
        if province is None:
            raise ValidationError(
                {
                    "province": _("No single province “%(p)s” in the %(tree)s tree.")
                    % {"p": filters.province, "tree": filters.tree}
                }
            )
    units = search_communes(province, filters.q, filters.tree)
    now_in, earlier = _mappings(units)
    out = []
    for u in units:
        district = u.parent if u.parent and u.parent.level == Level.DISTRICT else None
        out.append(
            {
                "code": u.code,
                "name": u.name,
                "division_type": u.division_type,
                "tree": u.tree,
                "province": _ref(u.province),
                "district": _ref(district) if district else None,
                "now_in": now_in.get(u.pk, []),
                "earlier": earlier.get(u.pk, []),
            }
        )
    return out


# ------------------------------------------------------------------ abbreviations


class AbbreviationOut(Schema):
    province: UnitRef
    tree: str
    abbreviation: str
    source: str
    source_date: date | None
    active: bool

    @staticmethod
    def resolve_province(obj) -> dict:
        return _ref(obj.province)

    @staticmethod
    def resolve_tree(obj) -> str:
        return obj.province.tree


class AbbreviationIn(Schema):
    province: str = Field(..., description="Current province: name or official code")
    abbreviation: str = Field(..., description="Two or three letters, as on issued codes")
    source: str = Field(..., description="Where the abbreviation comes from")
    source_date: date | None = None


class AbbreviationPut(Schema):
    abbreviation: str
    source: str
    source_date: date | None = None


class AbbreviationFilters(Schema):
    all: bool = Field(False, description="Include earlier (inactive) abbreviations")


@router.get("/abbreviations", response=list[AbbreviationOut], auth=None)
def list_abbreviations(request: HttpRequest, filters: Query[AbbreviationFilters]):
    """The province abbreviations in codes, with their source."""
    return abbreviations.listing(include_inactive=filters.all)


@router.post("/abbreviations", response={201: AbbreviationOut})
def create_abbreviation(request: HttpRequest, payload: AbbreviationIn):
    """Enter a province's abbreviation (the ministry, or the province's own authority)."""
    return Status(
        201,
        abbreviations.set_abbreviation(
            _actor(request), payload.province, replace=False, **payload.dict(exclude={"province"})
        ),
    )


@router.put("/abbreviations/{province}", response=AbbreviationOut)
def replace_abbreviation(request: HttpRequest, province: str, payload: AbbreviationPut):
    """Change a province's abbreviation; codes issued under the earlier one keep it."""
    return abbreviations.set_abbreviation(_actor(request), province, replace=True, **payload.dict())
