"""Writing and verifying the audit chain."""

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from .models import HASH_FORMATS, HASH_VERSION, AuditEntry, ChainHead

GENESIS = "0" * 64


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """A JSON-safe picture of a model instance's own fields (many-to-many as id lists)."""

    data = model_to_dict(obj, exclude=list(exclude))
    for field in obj._meta.many_to_many:
        if field.name in data and field.name not in exclude:
            data[field.name] = sorted(getattr(v, "pk", v) for v in (data[field.name] or []))
    for name in ("created_at", "updated_at"):
        if hasattr(obj, name) and name not in exclude:
            data.pop(name, None)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def record(
    actor,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. Call inside the transaction that makes the change."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=_actor_label(actor),
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_label=str(obj)[:200],
            before=before,
            after=after,
            reason=reason,
            prev_hash=head.last_hash,
            hash_version=HASH_VERSION,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        head.last_seq = entry.seq
        head.last_hash = entry.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


def record_many(actor, items: list[tuple[str, models.Model, dict | None, dict | None, str]]) -> int:
    """Append many entries at once (action, object, before, after, reason), chained in the
    given order: one lock of the head and one bulk insert instead of four queries per entry,
    for imports of thousands of rows. Call inside the transaction that makes the changes."""
    if not items:
        return 0
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        seq, prev_hash = head.last_seq, head.last_hash
        at = timezone.now()
        label = _actor_label(actor)
        user = actor if getattr(actor, "pk", None) else None
        entries = []
        for action, obj, before, after, reason in items:
            seq += 1
            entry = AuditEntry(
                seq=seq,
                at=at,
                actor=user,
                actor_label=label,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_label=str(obj)[:200],
                before=before,
                after=after,
                reason=reason,
                prev_hash=prev_hash,
            )
            entry.hash = entry.compute_hash()
            prev_hash = entry.hash
            entries.append(entry)
        AuditEntry.objects.bulk_create(entries, batch_size=500)
        head.last_seq = seq
        head.last_hash = prev_hash
        head.save(update_fields=["last_seq", "last_hash"])
    return len(entries)


def _actor_label(actor) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "system"
    from agritrace.accounts.names import full_name

    org = getattr(getattr(actor, "membership", None), "organisation", None)
    who = actor.get_username()
    name = full_name(actor)
    if name:  # the person by name, family name first, then their user name
        who = f"{name} [{who}]"
    return (who + (f" ({org.name})" if org else ""))[:200]


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]
    legacy: int = 0  # entries in hash format 1 (actor id and object label not covered)


def verify() -> VerifyResult:
    """Walk the chain: every entry's hash must match its content (in its hash format) and link
    to the one before; sequence numbers must have no gaps, formats never go back to an older
    one, and the head must point at the last entry."""
    problems: list[str] = []
    prev_hash = GENESIS
    expected_seq = 1
    checked = legacy = 0
    newest_format = 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        if entry.seq != expected_seq:
            problems.append(f"entries {expected_seq}..{entry.seq - 1} are missing (deleted)")
        if entry.prev_hash != prev_hash:
            problems.append(f"entry {entry.seq}: does not link to the entry before it")
        if entry.hash_version not in HASH_FORMATS:
            problems.append(f"entry {entry.seq}: unknown hash format {entry.hash_version} (edited)")
        else:
            if entry.hash_version < newest_format:
                problems.append(
                    f"entry {entry.seq}: hash format {entry.hash_version} after format "
                    f"{newest_format} (edited)"
                )
            newest_format = max(newest_format, entry.hash_version)
            legacy += entry.hash_version == 1
            if entry.compute_hash() != entry.hash:
                problems.append(f"entry {entry.seq}: content does not match its hash (edited)")
        prev_hash = entry.hash
        expected_seq = entry.seq + 1
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev_hash):
        problems.append(
            f"the chain head says {head.last_seq} entries but {expected_seq - 1} were found "
            "(the last entries were deleted or the head was edited)"
        )
    return VerifyResult(ok=not problems, checked=checked, problems=problems, legacy=legacy)
