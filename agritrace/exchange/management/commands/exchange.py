"""`agritrace exchange deliver [--once] [--connector ID]`: send the outbox's due messages
(a loop every AGRITRACE_EXCHANGE_POLL_SECONDS without --once); `agritrace exchange
connectors`: the connectors and their deliveries per state; `agritrace exchange dead`: the
dead letters with their error; `agritrace exchange resend CONNECTOR [--delivery ID …] --as
USER`: queue dead letters again (audited, as that administrator)."""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.exchange import delivery
from agritrace.exchange.access import require_administer
from agritrace.exchange.models import Connector, Delivery, DeliveryState


class Command(BaseCommand):
    help = "The national exchange: deliver the outbox, list connectors and dead letters, resend."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        deliver = sub.add_parser("deliver", help="Send the due messages")
        deliver.add_argument("--once", action="store_true", help="One run, then stop")
        deliver.add_argument("--connector", type=int, help="Only this connector (id)")
        sub.add_parser("connectors", help="The connectors and their deliveries per state")
        sub.add_parser("dead", help="The dead letters with their error")
        resend = sub.add_parser("resend", help="Queue a connector's dead letters again")
        resend.add_argument("connector", type=int)
        resend.add_argument("--delivery", type=int, action="append", help="Only these (ids)")
        resend.add_argument("--as", dest="username", required=True)

    def handle(self, *args, action: str, **options):
        getattr(self, f"do_{action}")(**options)

    def _report(self, summary: delivery.Summary) -> None:
        self.stdout.write(
            _("%(d)d delivered, %(f)d to retry, %(x)d dead letters.")
            % {"d": summary.delivered, "f": summary.failed, "x": summary.dead}
        )
        for error in summary.errors[:20]:
            self.stderr.write(error)

    def do_deliver(self, once: bool = False, connector: int | None = None, **options) -> None:
        if connector is not None and not Connector.objects.filter(pk=connector).exists():
            raise CommandError(_("No connector %(id)d.") % {"id": connector})
        pause = int(getattr(settings, "AGRITRACE_EXCHANGE_POLL_SECONDS", 30))
        while True:
            self._report(delivery.deliver(connector_id=connector))
            if once:
                return
            time.sleep(pause)

    def do_connectors(self, **options) -> None:
        for c in Connector.objects.order_by("pk"):
            counts = delivery.counts(c)
            states = "  ".join(f"{k}={v}" for k, v in counts.items())
            enabled = "" if c.enabled else f" ({_('disabled')})"
            self.stdout.write(f"{c.pk:>4}  {c.name}  {c.kind}{enabled}  {states}")

    def do_dead(self, **options) -> None:
        found = Delivery.objects.filter(state=DeliveryState.DEAD).select_related("message")
        for d in found.order_by("connector_id", "message_id"):
            self.stdout.write(
                f"{d.pk:>6}  {d.connector_id}  {d.message.kind}  {d.subject}  "
                f"{d.attempts}  {d.last_error[:200]}"
            )

    def do_resend(self, connector: int, delivery: list | None, username: str, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("No active user “%(u)s”.") % {"u": username})
        actor = Actor.of(user)
        try:
            require_administer(actor)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        found = Connector.objects.filter(pk=connector).first()
        if found is None:
            raise CommandError(_("No connector %(id)d.") % {"id": connector})
        count = delivery_resend(actor, found, delivery)
        self.stdout.write(_("%(n)d messages are queued again.") % {"n": count})


def delivery_resend(actor, connector, ids):
    return delivery.resend(actor, connector, ids)
