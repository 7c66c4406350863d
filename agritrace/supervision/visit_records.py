"""Recording a monitoring visit: the checklist, photos, corrective actions, and the proposal to
suspend that an officer decides through the registry's lifecycle."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import (
    Actor,
    get_visible,
    require,
)
from agritrace.audit.services import record, snapshot
from agritrace.formats import shown_date
from agritrace.notifications.services import notify
from agritrace.registry import lifecycle
from agritrace.registry.models import CodeStatus
from agritrace.registry.positions import check_position

from .common import _as_date, _authorities, _holder_orgs, _today, _url
from .models import (
    ChecklistTemplate,
    CorrectiveAction,
    ItemResult,
    MonitoringVisit,
    Outcome,
    VisitItem,
    VisitPhoto,
)

#: Photos: what phones send (JPEG, PNG, WebP, HEIC), up to this size.
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTOS_PER_VISIT = 30


def template_for(visit: MonitoringVisit) -> ChecklistTemplate:
    template = visit.template or ChecklistTemplate.current(visit.holder_kind)
    if template is None:
        raise ValidationError({"items": _("No checklist is defined for this kind of code.")})
    return template


def _clean_items(template: ChecklistTemplate, items: Any, errors: dict) -> dict[str, dict]:
    """{key: "pass"} or {key: {"result": "pass", "note": "..."}} → {key: {result, note}}."""
    if not isinstance(items, dict):
        errors["items"] = _("Give each checklist item as passed, failed or not applicable.")
        return {}
    keys = {i.key for i in template.items.all()}
    unknown = sorted(set(items) - keys)
    if unknown:
        errors["items"] = _("Unknown checklist items: %(k)s") % {"k": ", ".join(unknown)}
    clean = {}
    for item in template.items.all():
        raw = items.get(item.key)
        if isinstance(raw, dict):
            result, note = raw.get("result"), raw.get("note") or ""
        else:
            result, note = raw, ""
        if result not in ItemResult.values:
            errors[f"items.{item.key}"] = _("Mark this item as passed, failed or not applicable.")
            continue
        if not isinstance(note, str):
            errors[f"items.{item.key}"] = _("The note must be text.")
            continue
        if result == ItemResult.FAIL and not note.strip():
            errors[f"items.{item.key}"] = _("Say what was wrong.")
            continue
        clean[item.key] = {"item": item, "result": result, "note": note.strip()}
    return clean


def _clean_actions(raw: Any, visited_on: date | None, errors: dict) -> list[dict]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        errors["corrective_actions"] = _("Give a list of actions with a deadline each.")
        return []
    out = []
    for n, action in enumerate(raw, 1):
        sub: dict = {}
        if not isinstance(action, dict):
            errors[f"corrective_actions.{n}"] = _("Give a description and a deadline.")
            continue
        text = str(action.get("description") or "").strip()
        deadline = _as_date(action.get("deadline"), "deadline", sub)
        if not text:
            sub["description"] = _("Say what must be corrected.")
        if deadline and visited_on and deadline <= visited_on:
            sub["deadline"] = _("The deadline must come after the visit.")
        for field, message in sub.items():
            errors[f"corrective_actions.{n}.{field}"] = message
        if not sub:
            out.append({"description": text, "deadline": deadline, "item_key": ""})
    return out


@transaction.atomic
def record_visit(
    actor: Actor,
    visit: MonitoringVisit,
    items: Any,
    outcome: str | None = None,
    notes: str = "",
    lon: Any = None,
    lat: Any = None,
    visited_on: Any = None,
    corrective_deadline: Any = None,
    corrective_actions: Any = None,
    photos: Iterable[Any] = (),
) -> MonitoringVisit:
    """Record what the inspector found: every checklist item passed, failed (with a note)
    or not applicable, the position, photos, and the outcome. Failed items become
    corrective actions with a deadline unless the inspector proposes to suspend the code;
    the holder and the commune are told, and a proposal reaches the province's officers.
    Nothing is saved unless everything is valid."""
    require(actor, "inspect")
    visit = get_visible(actor, MonitoringVisit.objects.select_for_update(), pk=visit.pk)
    if visit.recorded_at is not None:
        raise ValidationError({"visit": _("This visit is already recorded.")})
    template = template_for(visit)
    errors: dict = {}
    clean = _clean_items(template, items, errors)
    day = _as_date(visited_on, "visited_on", errors, required=False) or _today()
    if day > _today():
        errors["visited_on"] = _("The visit date cannot be in the future.")
    lon_f, lat_f = check_position(lon, lat, errors, area=visit.area)
    notes = (notes or "").strip() if isinstance(notes, str) else ""
    failed = [c for c in clean.values() if c["result"] == ItemResult.FAIL]
    extra = _clean_actions(corrective_actions, day, errors)
    outcome = outcome or (Outcome.CORRECTIVE if failed or extra else Outcome.PASSED)
    deadline = None
    if outcome not in Outcome.values:
        errors["outcome"] = _("Choose passed, corrective actions or a proposal to suspend.")
    elif outcome == Outcome.PASSED and failed:
        errors["outcome"] = _("A visit with failed items cannot pass.")
    elif outcome == Outcome.CORRECTIVE:
        if not failed and not extra and not errors:
            errors["outcome"] = _("Corrective actions follow from failed items; none failed.")
        if failed:
            deadline = _as_date(corrective_deadline, "corrective_deadline", errors)
            if deadline and deadline <= day:
                errors["corrective_deadline"] = _("The deadline must come after the visit.")
            elif deadline and deadline > day + timedelta(days=366):
                errors["corrective_deadline"] = _("Give a deadline within a year.")
    elif outcome == Outcome.SUSPEND:
        if not notes:
            errors["notes"] = _("Give the reasons for proposing to suspend the code.")
        if visit.holder.code_status != CodeStatus.ISSUED:
            errors["outcome"] = _("Only an issued code can be suspended.")
    photos = list(photos or [])
    if len(photos) > PHOTOS_PER_VISIT:
        errors["photos"] = _("At most %(n)d photos per visit.") % {"n": PHOTOS_PER_VISIT}
    for photo in photos:
        problem = photo_problem(photo)
        if problem:
            errors["photos"] = problem
            break
    if errors:
        raise ValidationError(errors)

    before = snapshot(visit)
    for c in clean.values():
        VisitItem.objects.create(visit=visit, item=c["item"], result=c["result"], note=c["note"])
    if outcome == Outcome.CORRECTIVE:
        for c in failed:
            CorrectiveAction.objects.create(
                visit=visit,
                item_key=c["item"].key,
                description=f"{c['item']}: {c['note']}",
                deadline=deadline,
            )
        for a in extra:
            CorrectiveAction.objects.create(visit=visit, **a)
    visit.template = template
    visit.visited_on = day
    visit.recorded_at = timezone.now()
    visit.recorded_by = actor.user
    visit.inspector = visit.inspector or actor.user
    visit.lon, visit.lat = lon_f, lat_f
    visit.outcome = outcome
    visit.notes = notes
    visit.save()
    for photo in photos:
        _save_photo(actor, visit, photo)
    record(actor.user, "monitoring_visit.record", visit, before, snapshot(visit), notes)

    holder = visit.holder
    url = _url("supervision-visit", visit.pk)
    if outcome == Outcome.CORRECTIVE:
        lines = [
            f"- {a.description} ({shown_date(a.deadline)})" for a in visit.corrective_actions.all()
        ]
        notify(
            _holder_orgs(holder),
            _("Corrective actions for %(code)s") % {"code": holder.code},
            "\n".join(lines),
            url,
        )
    elif outcome == Outcome.SUSPEND:
        notify(
            _authorities(holder.province),
            _("Proposal to suspend code %(code)s") % {"code": holder.code},
            notes,
            url,
        )
    return visit


def photo_problem(upload: Any) -> str | None:
    """Why an uploaded file is not an acceptable photo (None when it is): JPEG, PNG, WebP
    or HEIC by its first bytes, not by its name, and not larger than PHOTO_MAX_BYTES."""
    size = getattr(upload, "size", None)
    if size is None:
        return _("Upload a photo file.")
    limit = getattr(settings, "AGRITRACE_PHOTO_MAX_BYTES", PHOTO_MAX_BYTES)
    if size == 0:
        return _("The photo is empty.")
    if size > limit:
        return _("The photo is larger than %(mb).0f MB.") % {"mb": limit / 1024 / 1024}
    if photo_type(upload) is None:
        return _("A photo must be a JPEG, PNG, WebP or HEIC image.")
    return None


def photo_type(upload: Any) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    return None


def _save_photo(
    actor: Actor, visit: MonitoringVisit, upload: Any, item_key: str = ""
) -> VisitPhoto:
    return VisitPhoto.objects.create(
        visit=visit,
        item_key=item_key,
        file=upload,
        content_type=photo_type(upload) or "",
        size=upload.size,
        uploaded_by=actor.user,
    )


@transaction.atomic
def add_photo(actor: Actor, visit: MonitoringVisit, upload: Any, item_key: str = "") -> VisitPhoto:
    require(actor, "inspect")
    visit = get_visible(actor, MonitoringVisit.objects.select_for_update(), pk=visit.pk)
    errors: dict = {}
    problem = photo_problem(upload)
    if problem:
        errors["photo"] = problem
    if visit.photos.count() >= PHOTOS_PER_VISIT:
        errors["photo"] = _("At most %(n)d photos per visit.") % {"n": PHOTOS_PER_VISIT}
    if item_key and not template_for(visit).items.filter(key=item_key).exists():
        errors["item_key"] = _("Unknown checklist item.")
    if errors:
        raise ValidationError(errors)
    photo = _save_photo(actor, visit, upload, item_key)
    record(actor.user, "monitoring_visit.photo", visit, None, {"photo": photo.file.name})
    return photo


@transaction.atomic
def complete_action(actor: Actor, action: CorrectiveAction, note: str = "") -> CorrectiveAction:
    """An inspector confirms that a corrective action was carried out."""
    require(actor, "inspect")
    action = get_visible(actor, CorrectiveAction.objects.select_for_update(), pk=action.pk)
    if action.done_at is not None:
        raise ValidationError({"action": _("This action is already marked as done.")})
    before = snapshot(action)
    action.done_at = timezone.now()
    action.done_note = (note or "").strip()
    action.save()
    record(actor.user, "corrective_action.done", action, before, snapshot(action), note)
    return action


@transaction.atomic
def decide_suspension(
    actor: Actor,
    visit: MonitoringVisit,
    accept: bool,
    reason: str = "",
    until: date | None = None,
) -> MonitoringVisit:
    """An officer decides an inspector's proposal to suspend: accepting suspends the code
    through the registry's lifecycle (which records, audits and notifies)."""
    require(actor, "decide")
    visit = get_visible(actor, MonitoringVisit.objects.select_for_update(), pk=visit.pk)
    if not visit.suspension_pending:
        raise ValidationError({"action": _("There is no proposal to suspend to decide.")})
    reason = (reason or "").strip()
    before = snapshot(visit)
    if accept:
        lifecycle.suspend(visit.holder, actor, reason or visit.notes, until)
        visit.proposal_decision = "suspended"
    else:
        if not reason:
            raise ValidationError({"reason": _("Say why the code is not suspended.")})
        visit.proposal_decision = "declined"
    visit.proposal_decided_at = timezone.now()
    visit.save(update_fields=["proposal_decision", "proposal_decided_at"])
    record(actor.user, "monitoring_visit.decide", visit, before, snapshot(visit), reason)
    return visit
