"""The effective date of a move of a code (suspend, reinstate, revoke): a decision taken on
paper is entered later, dated back to when it took effect, within a limit the authority sets;
the history (`registry.history`) then answers for the days in between."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CodeHolder

#: How many days back the authority may date a suspension, reinstatement or revocation
#: (the decision was taken on paper before it was entered). Set by the authority through
#: AGRITRACE_BACKDATE_MAX_DAYS; no legal figure was available to us.
DEFAULT_BACKDATE_MAX_DAYS = 90


def backdate_max_days() -> int:
    return int(getattr(settings, "AGRITRACE_BACKDATE_MAX_DAYS", DEFAULT_BACKDATE_MAX_DAYS))


def effective_moment(
    holder: CodeHolder, effective_date: date | None, reason: str
) -> tuple[datetime, bool]:
    """When a move of the code takes effect: now, or the start of an earlier day (back-dated:
    within the authority's limit, never in the future, with a reason, and not before the
    code's last recorded move). Returns (moment, back-dated?)."""
    now = timezone.now()
    today = timezone.localdate()
    if effective_date is None or effective_date == today:
        return now, False
    if effective_date > today:
        raise ValidationError({"effective_date": _("The effective date cannot be in the future.")})
    limit = backdate_max_days()
    if effective_date < today - timedelta(days=limit):
        raise ValidationError(
            {
                "effective_date": _(
                    "The effective date can be at most %(n)s days back (the authority's limit)."
                )
                % {"n": limit}
            }
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": _("A back-dated change needs its reason.")})
    moment = timezone.make_aware(datetime.combine(effective_date, time.min))
    last = holder.status_changes.order_by("-effective_at", "-pk").first()
    floor = last.effective_at if last is not None else holder.issued_at
    if floor is not None and moment < floor:
        raise ValidationError(
            {
                "effective_date": _("The effective date is before the code's last change (%(d)s).")
                % {"d": timezone.localtime(floor).date().isoformat()}
            }
        )
    return moment, True
