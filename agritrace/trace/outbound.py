"""What a capture tells the national side (agritrace/exchange/outbox.py): each new event, and
each stored event now declared erroneous, written in the capture's own transaction."""

from agritrace.exchange import outbox

from .models import Event


def to_outbox(new_events: list, new_rows: list, declarations: list[tuple[int, dict]]) -> None:
    """The national side's copy of what this capture stored (exchange/outbox.py), written in
    the capture's transaction: each new event, and each stored event now declared erroneous."""
    outbox.events_captured(
        (r.event_id, r.document, [uri for uri, *_rest in rows])
        for r, rows in zip(new_events, new_rows, strict=True)
    )
    if declarations:
        declared = dict(declarations)
        outbox.events_declared_erroneous(
            (event_id, document, declared[pk])
            for pk, event_id, document in Event.objects.filter(pk__in=declared)
            .order_by("pk")
            .values_list("pk", "event_id", "document")
        )
