"""The rows of an import of existing codes (`code_import`), judged: every reference looked up
once for the whole file (`_Lookups`), then each row's cells checked and resolved (`Judge`),
naming the column and the rule of each bad cell."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.places.models import AdminUnit, Level, ProvinceAbbreviation, Tree
from agritrace.places.services import (
    current_unit_for_legacy,
    find_commune,
    find_province,
    fold,
)

from . import code_import_read as read
from .codes import CODE_RE, parse_code
from .models import (
    CodeStatus,
    CodeStatusChange,
    Crop,
    Market,
    MarketApproval,
    PackingHouse,
    PlantingArea,
    Variety,
)

AREA, HOUSE = "area", "packing_house"
MODELS = {AREA: PlantingArea, HOUSE: PackingHouse}
ORG_KINDS = {AREA: {OrgKind.REPRESENTATIVE}, HOUSE: {OrgKind.PACKING_HOUSE, OrgKind.EXPORTER}}
NEW_ORG_KIND = {AREA: OrgKind.REPRESENTATIVE, HOUSE: OrgKind.PACKING_HOUSE}
KIND_WORDS = {
    "area": AREA,
    "planting_area": AREA,
    "planting area": AREA,
    "vung trong": AREA,
    "or": AREA,
    "puc": AREA,
    "packing_house": HOUSE,
    "packing house": HOUSE,
    "co so dong goi": HOUSE,
    "ph": HOUSE,
    "phc": HOUSE,
}


@dataclass
class Row:
    number: int
    code: str
    kind: str
    name: str
    org: Organisation | None
    new_org: tuple | None  # (kind, name, commune) when the organisation is to be added
    commune: AdminUnit
    crop: Crop | None
    variety: Variety | None
    area_ha: Decimal | None
    capacity: Decimal | None
    address: str
    issued_on: date
    markets: list[tuple[Market, date]]
    list_ref: str
    events: list[tuple[str, date, str, date | None]]  # status, day, reason, until


class _Lookups:
    """Everything the rows refer to, loaded once."""

    def __init__(self, actor: Actor, records: list[tuple[int, dict]]):
        self.province = AdminUnit.objects.get(pk=actor.province_id)
        province_id = self.province.pk
        self.crops: dict[str, Crop] = {}
        for crop in Crop.objects.all():
            for key in (crop.code, crop.name_vi, crop.name_en):
                self.crops[fold(key)] = crop
        self.varieties = {(v.crop_id, fold(v.name)): v for v in Variety.objects.all()}
        self.markets = {m.code.upper(): m for m in Market.objects.all()}
        self.abbreviations: dict[str, set[int]] = defaultdict(set)
        for abbr, pid in ProvinceAbbreviation.objects.values_list("abbreviation", "province_id"):
            self.abbreviations[abbr.upper()].add(pid)
        orgs = Organisation.objects.filter(
            Q(unit_id=province_id) | Q(unit__parent_id=province_id)
        ).filter(kind__in=[OrgKind.REPRESENTATIVE, OrgKind.PACKING_HOUSE, OrgKind.EXPORTER])
        self.orgs_by_name: dict[str, list[Organisation]] = defaultdict(list)
        for org in orgs:
            self.orgs_by_name[fold(org.name)].append(org)
        ids = {read.text(v, "organisation_id") for _n, v in records} - {""}
        self.orgs_by_id = {
            key: org
            for org in Organisation.objects.filter(Q(identifier__in=ids) | Q(gln__in=ids))
            for key in (org.identifier, org.gln)
            if key
        }
        codes = [read.text(v, "code") for _n, v in records]
        self.communes_by_code = self._communes_by_code(
            {read.text(v, "commune") for _n, v in records if read.text(v, "commune").isdigit()}
        )
        self._commune_names: dict[str, AdminUnit | None] = {}
        self._provinces: dict[str, AdminUnit | None] = {}
        canonical = set()
        for code in codes:
            try:
                canonical.add(parse_code(code))
            except ValidationError:
                canonical.add(code.strip())
        variants = set(canonical)
        for code in canonical:
            variants |= _serial_variants(code)
        self.holders: dict[str, dict[str, object]] = {AREA: {}, HOUSE: {}}
        self.taken_spellings: dict[str, str] = {}
        for kind, model in MODELS.items():
            related = "representative" if kind == AREA else "operator"
            joined = ["commune", related] + (["crop", "variety"] if kind == AREA else [])
            qs = model.objects.filter(code__in=variants).select_related(*joined)
            prefetch = ["markets"] if kind == AREA else ["markets", "crops"]
            for holder in qs.prefetch_related(*prefetch):
                self.holders[kind][holder.code] = holder
                for variant in _serial_variants(holder.code):
                    self.taken_spellings[variant] = holder.code
        area_ids = [h.pk for h in self.holders[AREA].values()]
        house_ids = [h.pk for h in self.holders[HOUSE].values()]
        self.history: dict[tuple[str, int], list[CodeStatusChange]] = defaultdict(list)
        for change in CodeStatusChange.objects.filter(
            Q(area_id__in=area_ids) | Q(packing_house_id__in=house_ids)
        ).order_by("effective_at", "pk"):
            key = (AREA, change.area_id) if change.area_id else (HOUSE, change.packing_house_id)
            self.history[key].append(change)
        self.approvals: dict[tuple[str, int, int], MarketApproval] = {}
        for approval in MarketApproval.objects.filter(
            Q(area_id__in=area_ids) | Q(packing_house_id__in=house_ids)
        ):
            key = (
                (AREA, approval.area_id, approval.market_id)
                if approval.area_id
                else (HOUSE, approval.packing_house_id, approval.market_id)
            )
            self.approvals[key] = approval

    def _communes_by_code(self, codes: set[str]) -> dict[str, AdminUnit | None]:
        out: dict[str, AdminUnit | None] = {}
        current = AdminUnit.objects.filter(tree=Tree.CURRENT, level=Level.COMMUNE, code__in=codes)
        for unit in current:
            out[unit.code] = unit
        for unit in AdminUnit.objects.filter(
            tree=Tree.LEGACY, level=Level.COMMUNE, code__in=codes - set(out)
        ):
            now = current_unit_for_legacy(unit)
            out[unit.code] = now[0] if len(now) == 1 else None
        return out

    def commune(self, raw: str) -> AdminUnit | None:
        if raw.isdigit():
            return self.communes_by_code.get(raw)
        key = fold(raw)
        if key not in self._commune_names:
            found = find_commune(self.province, raw)
            if found is None:  # a commune of the earlier tree, now part of one current commune
                for legacy_province in AdminUnit.objects.filter(
                    tree=Tree.LEGACY, level=Level.PROVINCE, mapped_to__current=self.province
                ):
                    legacy = find_commune(legacy_province, raw, tree=Tree.LEGACY)
                    now = current_unit_for_legacy(legacy) if legacy else []
                    if len(now) == 1:
                        found = now[0]
                        break
            self._commune_names[key] = found
        return self._commune_names[key]

    def find_province(self, raw: str) -> AdminUnit | None:
        key = fold(raw)
        if key not in self._provinces:
            self._provinces[key] = find_province(raw)
        return self._provinces[key]


def _serial_variants(code: str) -> set[str]:
    """An export code written with three to six serial digits (the same serial)."""
    match = CODE_RE.match(code or "")
    if not match:
        return {code}
    province, kind, serial = match.groups()
    number = int(serial)
    return {f"VN-{province.upper()}{kind.upper()}-{number:0{w}d}" for w in (3, 4, 5, 6)} | {code}


# ------------------------------------------------------------------ judging the rows


class Judge:
    def __init__(self, actor: Actor, records: list[tuple[int, dict]]):
        self.actor = actor
        self.look = _Lookups(actor, records)
        self.seen: dict[str, int] = {}
        self.new_orgs: dict[tuple[str, str], tuple] = {}

    def row(self, number: int, values: dict, problems: list) -> Row | None:
        """The row's values resolved, or None with its problems added (row, column, rule)."""
        errors: list[read.CellError] = []
        self.current = number

        def cell(fn, *args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except read.CellError as exc:
                errors.append(exc)
                return None

        code, kind = cell(self._code, values) or ("", "")
        name = cell(read.text, values, "name", True) or ""
        commune = cell(self._commune, values)
        org, new_org = cell(self._organisation, values, kind, commune) or (None, None)
        crop = variety = None
        if kind == AREA or read.text(values, "crop"):
            crop = cell(self._crop, values, kind == AREA)
            if crop is not None:
                variety = cell(self._variety, values, crop)
        area_ha = cell(read.decimal, values, "area_ha", kind == AREA)
        if kind == AREA and area_ha is not None and area_ha <= 0:
            errors.append(read.CellError("area_ha", _("The area must be more than 0 ha.")))
        capacity = cell(read.decimal, values, "capacity_t_per_day")
        issued_on = cell(read.day, values, "issued_on", True)
        markets = cell(self._markets, values, issued_on) or []
        events = cell(self._events, values, issued_on) or []
        for exc in errors:
            problems.append((number, exc.column, exc.message))
        if errors or not code:
            return None
        return Row(
            number=number,
            code=code,
            kind=kind,
            name=name,
            org=org,
            new_org=new_org,
            commune=commune,
            crop=crop,
            variety=variety,
            area_ha=area_ha,
            capacity=capacity,
            address=read.text(values, "address"),
            issued_on=issued_on,
            markets=markets,
            list_ref=read.text(values, "importer_list_ref"),
            events=events,
        )

    def _code(self, values: dict) -> tuple[str, str]:
        raw = read.text(values, "code", required=True)
        given = read.text(values, "kind")
        given_kind = KIND_WORDS.get(fold(given).replace("-", " ")) if given else None
        if given and given_kind is None:
            raise read.CellError("kind", _("Write area or packing_house."))
        match = CODE_RE.match(raw)
        if match:
            code = parse_code(raw)
            kind = AREA if match.group(2).upper() == "OR" else HOUSE
            if given_kind and given_kind != kind:
                raise read.CellError("kind", _("The code %(c)s is not of this kind.") % {"c": code})
            abbr = match.group(1).upper()
            provinces = self.look.abbreviations.get(abbr)
            if provinces and self.look.province.pk not in provinces:
                raise read.CellError(
                    "code",
                    _("%(abbr)s is the abbreviation of another province: not yours to import.")
                    % {"abbr": abbr},
                )
        else:
            if given_kind is None:
                raise read.CellError(
                    "code",
                    _(
                        "'%(code)s' is not of the form VN-XXOR-0001 or VN-XXPH-0001: say its "
                        "kind (area or packing_house) in the kind column."
                    )
                    % {"code": raw},
                )
            code, kind = raw, given_kind
        if code in self.seen:
            raise read.CellError(
                "code",
                _("The code %(c)s is already on row %(n)s.") % {"c": code, "n": self.seen[code]},
            )
        self.seen[code] = self.current
        taken = self.look.taken_spellings.get(code)
        if taken and taken != code:
            raise read.CellError(
                "code",
                _("The serial of %(c)s is already issued as %(t)s.") % {"c": code, "t": taken},
            )
        existing = self.look.holders[kind].get(code)
        if existing is not None and existing.commune.parent_id != self.look.province.pk:
            raise read.CellError(
                "code", _("The code %(c)s belongs to another province.") % {"c": code}
            )
        return code, kind

    def _commune(self, values: dict) -> AdminUnit:
        raw = read.text(values, "commune", required=True)
        province_raw = read.text(values, "province")
        if province_raw:
            found = self.look.find_province(province_raw)
            if found is None:
                raise read.CellError("province", _("Unknown province: %(p)s") % {"p": province_raw})
            if found.pk != self.look.province.pk:
                raise read.CellError(
                    "province", _("%(p)s is not your province.") % {"p": found.name}
                )
        commune = self.look.commune(raw)
        if commune is None:
            raise read.CellError(
                "commune",
                _("No single commune or ward %(c)s in %(p)s.")
                % {"c": raw, "p": self.look.province.name},
            )
        if commune.province.pk != self.look.province.pk:
            raise read.CellError(
                "commune", _("%(c)s is not in your province.") % {"c": commune.name}
            )
        return commune

    def _organisation(self, values: dict, kind: str, commune: AdminUnit | None):
        ident = read.text(values, "organisation_id")
        name = read.text(values, "organisation")
        kinds = ORG_KINDS.get(kind, set())
        if ident:
            org = self.look.orgs_by_id.get(ident)
            if org is None:
                raise read.CellError(
                    "organisation_id", _("No organisation has the identifier %(i)s.") % {"i": ident}
                )
            if kinds and org.kind not in kinds:
                raise read.CellError(
                    "organisation_id",
                    _("%(o)s cannot hold this kind of code (it is a %(k)s).")
                    % {"o": org.name, "k": org.get_kind_display()},
                )
            return org, None
        if not name:
            raise read.CellError(
                "organisation", _("Name the representative or operator, or give its identifier.")
            )
        found = [o for o in self.look.orgs_by_name.get(fold(name), []) if o.kind in kinds]
        if len(found) > 1:
            raise read.CellError(
                "organisation",
                _("Several organisations are named %(n)s: give the identifier.") % {"n": name},
            )
        if found:
            return found[0], None
        if not kind or commune is None:
            return None, None
        key = (NEW_ORG_KIND[kind], fold(name))
        self.new_orgs.setdefault(key, (NEW_ORG_KIND[kind], name, commune))
        return None, key

    def _crop(self, values: dict, required: bool) -> Crop | None:
        raw = read.text(values, "crop", required)
        crop = self.look.crops.get(fold(raw))
        if crop is None:
            raise read.CellError("crop", _("Unknown crop: %(c)s") % {"c": raw})
        return crop

    def _variety(self, values: dict, crop: Crop) -> Variety | None:
        raw = read.text(values, "variety")
        if not raw:
            return None
        variety = self.look.varieties.get((crop.pk, fold(raw)))
        if variety is None:
            raise read.CellError(
                "variety", _("Unknown variety of %(crop)s: %(v)s") % {"crop": crop, "v": raw}
            )
        return variety

    def _markets(self, values: dict, issued_on: date | None) -> list[tuple[Market, date]]:
        raw = read.text(values, "markets")
        out = []
        for part in (p.strip() for p in raw.replace("\n", ";").replace(",", ";").split(";")):
            if not part:
                continue
            code, sep, when = part.replace(":", "=").partition("=")
            market = self.look.markets.get(code.strip().upper())
            if market is None:
                raise read.CellError("markets", _("Unknown market: %(m)s") % {"m": code.strip()})
            if not sep or not when.strip():
                raise read.CellError(
                    "markets",
                    _("Give the day the importing country approved it: %(m)s=YYYY-MM-DD")
                    % {"m": market.code},
                )
            day = read.day({"markets": when.strip()}, "markets")
            if issued_on and day < issued_on:
                raise read.CellError(
                    "markets",
                    _("%(m)s was approved before the code was issued.") % {"m": market.code},
                )
            out.append((market, day))
        return out

    def _events(self, values: dict, issued_on: date | None) -> list[tuple]:
        if issued_on is None:
            return []
        events = [(CodeStatus.ISSUED, issued_on, _("Code issued (imported)"), None)]
        suspended = read.day(values, "suspended_on")
        until = read.day(values, "suspended_until", future_ok=True)
        reinstated = read.day(values, "reinstated_on")
        revoked = read.day(values, "revoked_on")
        last = issued_on
        if suspended:
            if suspended < last:
                raise read.CellError(
                    "suspended_on", _("The code was suspended before it was issued.")
                )
            reason = read.text(values, "suspension_reason")
            if not reason:
                raise read.CellError("suspension_reason", _("Give the reason of the suspension."))
            if until and until < suspended:
                raise read.CellError("suspended_until", _("The suspension ends before it starts."))
            events.append((CodeStatus.SUSPENDED, suspended, reason, until))
            last = suspended
        elif until:
            raise read.CellError("suspended_on", _("Give the day the suspension started."))
        if reinstated:
            if not suspended:
                raise read.CellError(
                    "reinstated_on",
                    _("Only a suspended code can be reinstated: give suspended_on."),
                )
            if reinstated < last:
                raise read.CellError(
                    "reinstated_on", _("The code was reinstated before it was suspended.")
                )
            events.append((CodeStatus.ISSUED, reinstated, _("Code reinstated (imported)"), None))
            last = reinstated
        if revoked:
            if revoked < last:
                raise read.CellError(
                    "revoked_on", _("The revocation is dated before the code's earlier moves.")
                )
            reason = read.text(values, "revocation_reason")
            if not reason:
                raise read.CellError("revocation_reason", _("Give the reason of the revocation."))
            events.append((CodeStatus.REVOKED, revoked, reason, None))
        return events
