"""In-app inbox plus e-mail through Django's mail backend."""

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction

from agritrace.accounts.models import Organisation
from agritrace.site import site_url

from .models import Notification

log = logging.getLogger(__name__)


def notify(organisations: Iterable[Organisation], title: str, body: str, url: str = "") -> int:
    """Put a message in each organisation's inbox and e-mail its members (after commit, so a
    rolled-back change sends nothing). Returns how many inboxes got it."""
    orgs = {o.pk: o for o in organisations if o is not None}
    Notification.objects.bulk_create(
        Notification(organisation=o, title=title[:200], body=body, url=url) for o in orgs.values()
    )
    recipients = list(
        get_user_model()
        .objects.filter(membership__organisation_id__in=orgs.keys(), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    recipients += [o.email for o in orgs.values() if o.email]
    if recipients:
        link = f"{site_url()}{url}" if url else ""
        messages = [
            (title, f"{body}\n\n{link}".strip(), None, [r]) for r in sorted(set(recipients))
        ]

        def send() -> None:
            try:
                send_mass_mail(messages, fail_silently=False)
            except Exception:  # mail trouble must not undo a regulatory decision
                log.exception("could not send notification e-mail")

        transaction.on_commit(send)
    return len(orgs)
