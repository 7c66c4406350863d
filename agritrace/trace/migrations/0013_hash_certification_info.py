"""Issue 16: certificationInfo is now part of the event hash pre-hash string (trace.hashing),
right after eventTimeZoneOffset. Stored events that carry it get both hash IDs recomputed; the
others keep theirs (their pre-hash strings do not change)."""

from django.db import migrations

_CHUNK = 500


def recompute(apps, schema_editor):
    """Recompute the CBV 2.0 and CBV 2.1 hash IDs of every stored event with certificationInfo.

    event_id is never changed, so an event keeps resolving by the ID it was published with.
    The CBV 2.0 ID it had until now goes to former_hash, so it keeps resolving too; only where
    that old ID is the event_id itself (it resolves anyway) and former_hash already holds an
    earlier one (migration 0010) is former_hash left as it is, so no ID is lost. The earlier
    CBV 2.1 ID of such an event is not kept (there is one former_hash field): it resolves only
    if it is the event's event_id (a partner sent it)."""
    from agritrace.trace.hashing import event_hashes

    Event = apps.get_model("trace", "Event")
    batch = []
    events = Event.objects.filter(document__has_key="certificationInfo").order_by("pk")
    for event in events.iterator(chunk_size=_CHUNK):
        ids = event_hashes(event.document)
        if (ids["CBV2.0"], ids["CBV2.1"]) == (event.event_hash, event.event_hash_v21):
            continue
        if ids["CBV2.0"] != event.event_hash and not (
            event.event_hash == event.event_id and event.former_hash
        ):
            event.former_hash = event.event_hash
        event.event_hash = ids["CBV2.0"]
        event.event_hash_v21 = ids["CBV2.1"]
        batch.append(event)
        if len(batch) >= _CHUNK:
            _save(Event, batch)
            batch = []
    _save(Event, batch)


def _save(Event, batch):
    if batch:
        Event.objects.bulk_update(batch, ["event_hash", "event_hash_v21", "former_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("trace", "0012_merge_20261204_0026"),
    ]

    operations = [
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
