"""What a capture tells the national side (agritrace/exchange/outbox.py): each new event, and
each stored event now declared erroneous, written in the capture's own transaction."""

from agritrace.exchange import outbox

from .models import Event, Role

#: What an event makes rather than uses: it is ordered by the lots it uses first.
_MADE = {Role.OUTPUT, Role.OUTPUT_QUANTITY, Role.PARENT}


def lots_of(rows: list) -> list[str]:
    """The event's identifiers, those it uses (contents, inputs, children) before those it
    makes (outputs, a parent): the outbox orders an event with the first."""
    used = [uri for uri, role, *_rest in rows if role not in _MADE]
    return used + [uri for uri, role, *_rest in rows if role in _MADE]


def to_outbox(new_events: list, new_rows: list, declarations: list[tuple[int, dict]]) -> None:
    """The national side's copy of what this capture stored (exchange/outbox.py), written in
    the capture's transaction: each new event, and each stored event now declared erroneous."""
    outbox.events_captured(
        (r.event_id, r.document, lots_of(rows))
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
