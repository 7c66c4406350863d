"""Import of codes issued before AgriTrace: planting areas and packing houses with their codes,
issue dates, importing countries' approvals, suspensions and revocations, from the lists the
Plant Protection Department publishes (columns: `code_import_read`, mapping as data).

A dry run (the default) reads every row, finds the organisation, commune, crop and markets,
and reports per row what would change (create / update / unchanged) and every bad cell by row
number and column with the rule it breaks. Applying writes everything or nothing (one
transaction): the holder with its code as issued (not through `allocate_code`, whose counter is
moved past the imported serials), the history through `history.change` with the real dates
(so `history.status_at` answers right for the past), the approvals, a step "import" per holder
and the audit entries. A second apply of the same file reports every row unchanged.

Everything is looked up in bulk before the rows are judged, and written in bulk: the number
of queries grows with the distinct communes and new organisations, not with the rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require
from agritrace.accounts.models import Organisation
from agritrace.audit.services import record_many
from agritrace.places.models import AdminUnit

from . import code_import_read as read
from . import history
from .code_import_rows import AREA, HOUSE, MODELS, Judge, Row
from .codes import CODE_RE, code_format
from .models import (
    ApplicationStep,
    ApprovalStatus,
    CodeImport,
    CodeSerial,
    CodeStatus,
    MarketApproval,
    PackingHouse,
    PlantingArea,
)

SOURCE = "code import"


@dataclass
class Problem:
    row: int
    column: str
    message: str


@dataclass
class RowResult:
    row: int
    code: str
    kind: str
    name: str
    action: str  # create | update | unchanged
    changes: list[str] = field(default_factory=list)


@dataclass
class Report:
    filename: str
    rows: list[RowResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False
    import_id: int | None = None

    @property
    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "unchanged": 0}
        for row in self.rows:
            out[row.action] += 1
        out["problems"] = len(self.problems)
        return out

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "filename": self.filename,
            "applied": self.applied,
            "import_id": self.import_id,
            "counts": self.counts,
            "rows": [asdict(r) for r in self.rows],
            "problems": [asdict(p) for p in self.problems],
        }

    def errors(self) -> dict[str, list[str]]:
        """The problems as the API's `errors` (field "row N: column")."""
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(
                _("row %(n)s: %(column)s") % {"n": p.row, "column": p.column}, []
            ).append(p.message)
        return out


def _moment(day: date) -> datetime:
    """The start of that day in the service's time zone: when a dated decision took effect."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class _Plan:
    row: Row
    holder: PlantingArea | PackingHouse | None
    changes: list[str] = field(default_factory=list)
    fields: dict = field(default_factory=dict)
    new_events: list[tuple] = field(default_factory=list)
    approvals: list[tuple] = field(default_factory=list)  # (market, day, status, existing)
    add_markets: list = field(default_factory=list)
    add_crops: list = field(default_factory=list)
    is_new: bool = False

    def __post_init__(self):
        self.is_new = self.holder is None

    @property
    def action(self) -> str:
        if self.is_new:
            return "create"
        return "update" if self.changes else "unchanged"


def _label(value) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _comparable(value):
    """A value as the report shows and compares it: objects by id, moments by day."""
    if isinstance(value, datetime):
        return _day(value)
    return getattr(value, "pk", value)


def _current(holder, name: str):
    if holder is None:
        return None
    field = holder._meta.get_field(name)
    if field.is_relation:
        return getattr(holder, field.attname)
    return _comparable(getattr(holder, name))


def _plan(row: Row, judge: Judge) -> _Plan:
    """What applying the row would change, compared with what is stored."""
    look = judge.look
    holder = look.holders[row.kind].get(row.code)
    plan = _Plan(row, holder)
    org_field = "representative" if row.kind == AREA else "operator"
    wanted: dict = {"name": row.name, "commune": row.commune, "issued_at": _moment(row.issued_on)}
    if row.org is not None:
        wanted[org_field] = row.org
    if row.kind == AREA:
        wanted["crop"] = row.crop
        wanted["declared_area_ha"] = row.area_ha
        if row.variety is not None:
            wanted["variety"] = row.variety
    else:
        if row.capacity is not None or holder is None:
            wanted["capacity_t_per_day"] = row.capacity or 0
        if row.address or holder is None:
            wanted["address"] = row.address or row.commune.full_name()
    if holder is None and row.org is None:
        plan.changes.append(_("new organisation: %(n)s") % {"n": judge.new_orgs[row.new_org][1]})
    for name, value in wanted.items():
        old = _current(holder, name)
        if holder is None or old != _comparable(value):
            plan.fields[name] = value
            if holder is not None:
                shown_old, shown_new = old, _comparable(value)
                if holder._meta.get_field(name).is_relation:
                    shown_old, shown_new = getattr(holder, name), value
                plan.changes.append(f"{name}: {_label(shown_old)} → {_label(shown_new)}")
    if holder is not None and row.org is None:
        plan.fields[org_field] = None  # set to the new organisation when applying
        plan.changes.append(
            _("%(field)s: new organisation %(n)s")
            % {"field": org_field, "n": judge.new_orgs[row.new_org][1]}
        )

    # history: the dated moves not yet recorded, then the status they lead to
    stored = look.history.get((row.kind, holder.pk), []) if holder is not None else []
    known = {(c.status, _day(c.effective_at)) for c in stored}
    timeline = [(c.effective_at, i, c.status, c.reason, c.until) for i, c in enumerate(stored)]
    for j, (status, day, reason, until) in enumerate(row.events):
        at = _moment(day)
        if (status, day) not in known:
            plan.new_events.append((status, at, reason, until))
            plan.changes.append(
                _("history: %(status)s from %(day)s")
                % {"status": CodeStatus(status).label.lower(), "day": day.isoformat()}
            )
        timeline.append((at, len(stored) + j, status, reason, until))
    timeline.sort(key=lambda t: (t[0], t[1]))
    _at, _i, status, reason, until = timeline[-1]
    if holder is None or plan.new_events:
        # the state the whole history leads to (left alone when the file adds no move)
        final = {
            "code_status": status,
            "status_reason": "" if len(timeline) == 1 else reason,
            "suspended_until": until if status == CodeStatus.SUSPENDED else None,
        }
        for name, value in final.items():
            old = getattr(holder, name) if holder is not None else None
            if holder is None or old != value:
                plan.fields[name] = value
                if holder is not None and name == "code_status":
                    plan.changes.append(_("status: %(a)s → %(b)s") % {"a": old, "b": value})
    else:
        status = holder.code_status

    # importing countries' approvals (withdrawn once the code is revoked, as revoke() does)
    approval_status = (
        ApprovalStatus.WITHDRAWN if status == CodeStatus.REVOKED else ApprovalStatus.APPROVED
    )
    have_markets = {m.pk for m in holder.markets.all()} if holder is not None else set()
    for market, day in row.markets:
        existing = (
            look.approvals.get((row.kind, holder.pk, market.pk)) if holder is not None else None
        )
        if (
            existing is None
            or existing.status != approval_status
            or existing.decided_at != day
            or (row.list_ref and existing.importer_list_ref != row.list_ref)
        ):
            plan.approvals.append((market, day, approval_status, existing))
            if holder is not None:
                plan.changes.append(
                    _("market %(m)s: approved on %(d)s") % {"m": market.code, "d": day.isoformat()}
                )
        if market.pk not in have_markets:
            plan.add_markets.append(market)
    if row.kind == HOUSE and row.crop is not None:
        if holder is None or row.crop.pk not in {c.pk for c in holder.crops.all()}:
            plan.add_crops.append(row.crop)
            if holder is not None:
                plan.changes.append(_("crop added: %(c)s") % {"c": row.crop.code})
    return plan


def _brief(holder) -> dict:
    """What the audit entry keeps of an imported holder, before and after."""
    org = holder.representative_id if isinstance(holder, PlantingArea) else holder.operator_id
    return {
        "code": holder.code,
        "name": holder.name,
        "organisation": org,
        "commune": holder.commune_id,
        "code_status": holder.code_status,
        "issued_at": holder.issued_at.isoformat() if holder.issued_at else None,
        "suspended_until": holder.suspended_until.isoformat() if holder.suspended_until else None,
        "status_reason": holder.status_reason,
    }


def _judge(actor: Actor, records: list[tuple[int, dict]]) -> tuple[Judge, list[_Plan], Report]:
    judge = Judge(actor, records)
    raw_problems: list[tuple] = []
    rows = [judge.row(number, values, raw_problems) for number, values in records]
    plans = [_plan(row, judge) for row in rows if row is not None]
    report = Report(
        filename="",
        rows=[
            RowResult(p.row.number, p.row.code, p.row.kind, p.row.name, p.action, p.changes)
            for p in plans
        ],
        problems=[Problem(*p) for p in raw_problems],
    )
    return judge, plans, report


def _apply(actor: Actor, judge: Judge, plans: list[_Plan], reason: str) -> None:
    user = actor.user
    now = timezone.now()
    audit: list[tuple] = []
    todo = [p for p in plans if p.action != "unchanged"]
    wanted_orgs = {p.row.new_org for p in todo if p.row.org is None}
    created: dict = {}
    for key in sorted(wanted_orgs):
        kind, name, commune = judge.new_orgs[key]
        org = Organisation(name=name, kind=kind, unit=commune)
        org.save()
        created[key] = org
        audit.append(("organisation.create", org, None, {"name": name, "kind": kind}, reason))
    new: dict[str, list] = {AREA: [], HOUSE: []}
    changed: dict[str, list] = {AREA: [], HOUSE: []}
    fields: dict[str, set] = {AREA: set(), HOUSE: set()}
    befores: dict[int, dict] = {}
    for plan in todo:
        row, holder = plan.row, plan.holder
        org_field = "representative" if row.kind == AREA else "operator"
        values = dict(plan.fields)
        if (
            org_field in values
            and values[org_field] is None
            or (holder is None and row.org is None)
        ):
            values[org_field] = created[row.new_org]
        if holder is None:
            holder = MODELS[row.kind](code=row.code, **values)
            plan.holder = holder
            new[row.kind].append(holder)
        else:
            befores[id(holder)] = _brief(holder)
            for name, value in values.items():
                setattr(holder, name, value)
            holder.updated_at = now
            fields[row.kind] |= set(values) | {"updated_at"}
            changed[row.kind].append(holder)
    for kind, model in MODELS.items():
        model.objects.bulk_create(new[kind], batch_size=500)
        if changed[kind]:
            model.objects.bulk_update(changed[kind], sorted(fields[kind]), batch_size=500)
    _add_many(todo)
    changes, approvals_new, approvals_changed, steps = [], [], [], []
    for plan in todo:
        holder, row = plan.holder, plan.row
        owner = {"area": holder} if row.kind == AREA else {"packing_house": holder}
        for status, at, why, until in plan.new_events:
            changes.append(history.change(holder, status, at, why, user, SOURCE, until))
        for market, day, status, existing in plan.approvals:
            if existing is None:
                approvals_new.append(
                    MarketApproval(
                        market=market,
                        status=status,
                        decided_at=day,
                        importer_list_ref=row.list_ref,
                        note=_("Imported"),
                        **owner,
                    )
                )
            else:
                existing.status, existing.decided_at = status, day
                if row.list_ref:
                    existing.importer_list_ref = row.list_ref
                approvals_changed.append(existing)
        steps.append(
            ApplicationStep(
                action="import",
                from_status=befores.get(id(holder), {}).get("code_status", ""),
                to_status=holder.code_status,
                actor=user if getattr(user, "pk", None) else None,
                actor_org=actor.organisation,
                reason=reason,
                data={"row": row.number, "changes": plan.changes[:50]},
                **owner,
            )
        )
        action = "code.import" if plan.action == "create" else "code.import_update"
        audit.append((action, holder, befores.get(id(holder)), _brief(holder), reason))
    history.record_changes(changes)
    MarketApproval.objects.bulk_create(approvals_new, batch_size=500)
    if approvals_changed:
        MarketApproval.objects.bulk_update(
            approvals_changed, ["status", "decided_at", "importer_list_ref"], batch_size=500
        )
    ApplicationStep.objects.bulk_create(steps, batch_size=500)
    _move_serials([p.row for p in todo if p.action == "create"])
    record_many(user, audit)


def _add_many(plans: list[_Plan]) -> None:
    """Target markets (and a house's crops) named by the approvals, in bulk."""
    through = {
        AREA: (PlantingArea.markets.through, "plantingarea_id", "market_id"),
        HOUSE: (PackingHouse.markets.through, "packinghouse_id", "market_id"),
    }
    rows: dict = {AREA: [], HOUSE: []}
    crops = []
    for plan in plans:
        model, owner, other = through[plan.row.kind]
        for market in plan.add_markets:
            rows[plan.row.kind].append(model(**{owner: plan.holder.pk, other: market.pk}))
        for crop in plan.add_crops:
            crops.append(
                PackingHouse.crops.through(packinghouse_id=plan.holder.pk, crop_id=crop.pk)
            )
    for kind, (model, _o, _m) in through.items():
        model.objects.bulk_create(rows[kind], ignore_conflicts=True, batch_size=500)
    PackingHouse.crops.through.objects.bulk_create(crops, ignore_conflicts=True, batch_size=500)


def _move_serials(rows: list[Row]) -> None:
    """Move the code counters past the imported serials, so that the next issued code
    follows them (allocate_code also steps over any serial taken in another spelling)."""
    highest: dict[str, int] = {}
    formats = {kind: code_format(kind) for kind in MODELS}
    for row in rows:
        match = CODE_RE.match(row.code)
        if not match:
            continue
        abbr, segment, serial = match.group(1).upper(), match.group(2).upper(), match.group(3)
        template, kind_segment = formats[row.kind]
        if segment != kind_segment:
            continue
        prefix = f"{row.kind}|{template}|{abbr}|{segment}"
        highest[prefix] = max(highest.get(prefix, 0), int(serial))
    for prefix, serial in highest.items():
        CodeSerial.objects.get_or_create(prefix=prefix)
        counter = CodeSerial.objects.select_for_update().get(prefix=prefix)
        if counter.last_serial < serial:
            counter.last_serial = serial
            counter.save(update_fields=["last_serial"])


# ------------------------------------------------------------------ the service


def import_codes(
    actor: Actor, content: bytes, filename: str, apply: bool = False, keep: bool = False
) -> Report:
    """Check a list of existing codes (dry run) or apply it (all or nothing). The province
    authority only, for its own province. A dry run with `keep` stores the file so that the
    page can apply it afterwards (`apply_kept`). Applying a file with bad rows raises
    ValidationError naming each "row N: column"."""
    require(actor, "decide")
    if actor.province_id is None:
        raise PermissionDenied(_("Only a province's authority imports its codes."))
    records = read.read_rows(content, filename)
    with transaction.atomic():
        if apply:
            # One import at a time per province: the second one judges its rows after the
            # first is committed (and finds them unchanged), rather than inserting twice.
            AdminUnit.objects.select_for_update().filter(pk=actor.province_id).first()
        judge, plans, report = _judge(actor, records)
        report.filename = filename
        if apply:
            if report.problems:
                raise ValidationError(report.errors())
            reason = _("Imported from %(f)s") % {"f": filename}
            _apply(actor, judge, plans, reason)
            report.applied = True
        if apply or keep:
            kept = CodeImport.objects.create(
                created_by=actor.user if getattr(actor.user, "pk", None) else None,
                organisation=actor.organisation,
                filename=filename[:200],
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                content=content,
                status=CodeImport.Status.APPLIED if apply else CodeImport.Status.CHECKED,
                applied_at=timezone.now() if apply else None,
            )
            report.import_id = kept.pk
            kept.report = report.as_dict()
            kept.save(update_fields=["report"])
            if apply:
                record_many(
                    actor.user,
                    [("code_import.apply", kept, None, report.counts, kept.sha256)],
                )
    return report


def kept_import(actor: Actor, import_id: int) -> CodeImport:
    """A stored import of this actor's organisation (404 otherwise)."""
    from django.http import Http404

    require(actor, "decide")
    found = CodeImport.objects.filter(pk=import_id, organisation=actor.organisation).first()
    if found is None:
        raise Http404
    return found


def apply_kept(actor: Actor, import_id: int) -> Report:
    """Apply a file checked before (the page's "Apply" button): read and judged again, so
    what is applied is what the database holds now."""
    kept = kept_import(actor, import_id)
    if kept.status == CodeImport.Status.APPLIED:
        raise ValidationError({"file": _("This file was already applied.")})
    report = import_codes(actor, bytes(kept.content), kept.filename, apply=True)
    CodeImport.objects.filter(pk=kept.pk).update(status=CodeImport.Status.APPLIED)
    return report
