"""A laboratory's work list: the samples sent to it, those awaiting a result first (for its
dashboard; issue 17 item 14)."""

from django.db.models import Case, QuerySet, Value, When

from agritrace.accounts.access import Actor, visible
from agritrace.accounts.models import OrgKind

from .models import Sample, SampleStatus


def lab_samples(actor: Actor, limit: int = 20) -> QuerySet | None:
    """The samples of the actor's laboratory (a laboratory sees only those sent to it), the
    ones at the laboratory first, then the newest; None for anyone but a laboratory."""
    if actor.kind != OrgKind.LABORATORY:
        return None
    waiting = Case(When(status=SampleStatus.SENT, then=Value(0)), default=Value(1))
    return (
        visible(actor, Sample.objects.select_related("area"))
        .annotate(waiting=waiting)
        .order_by("waiting", "-sampled_on", "-pk")[:limit]
    )
