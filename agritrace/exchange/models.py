"""The outbox and its connectors.

`OutboxMessage`: one change the national side must know (a code issued, suspended,
reinstated or revoked; a captured EPCIS event; stamps issued; a recall started or closed),
written in the transaction of the change itself (`outbox.record`). `Delivery`: one message for
one connector, with its state, attempts and the last error. `Connector`: where messages go
(an EPCIS 2.0 capture endpoint, a signed JSON webhook, a folder of XLSX code lists),
configured by an administrator because the national portal's API is not public."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agritrace.limits import NOTE_MAX_LENGTH


class MessageKind(models.TextChoices):
    CODE_ISSUED = "code.issued", _("Code issued")
    CODE_SUSPENDED = "code.suspended", _("Code suspended")
    CODE_REINSTATED = "code.reinstated", _("Code reinstated")
    CODE_REVOKED = "code.revoked", _("Code revoked")
    EPCIS_EVENT = "epcis.event", _("Traceability event")
    STAMPS_ISSUED = "stamps.issued", _("Stamps issued")
    RECALL_STARTED = "recall.started", _("Recall started")
    RECALL_CLOSED = "recall.closed", _("Recall closed")


CODE_KINDS = [
    MessageKind.CODE_ISSUED,
    MessageKind.CODE_SUSPENDED,
    MessageKind.CODE_REINSTATED,
    MessageKind.CODE_REVOKED,
]


class ConnectorKind(models.TextChoices):
    EPCIS = "epcis", _("EPCIS 2.0 capture endpoint")
    WEBHOOK = "webhook", _("JSON webhook (HMAC-SHA256 signed)")
    FILE_DROP = "file_drop", _("XLSX code list in a folder")


#: The message kinds each connector kind takes when its own list is empty.
DEFAULT_KINDS: dict[str, list[str]] = {
    ConnectorKind.EPCIS: [MessageKind.EPCIS_EVENT],
    ConnectorKind.WEBHOOK: list(MessageKind.values),
    ConnectorKind.FILE_DROP: list(CODE_KINDS),
}


class Connector(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ConnectorKind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    url = models.CharField(
        _("address"),
        max_length=500,
        blank=True,
        help_text=_("EPCIS: the repository's base address (…/epcis); webhook: the URL to post"),
    )
    token = models.CharField(
        _("bearer token"),
        max_length=500,
        blank=True,
        help_text=_("Sent as Authorization: Bearer to an EPCIS repository (optional)"),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=500,
        blank=True,
        help_text=_("The webhook's HMAC-SHA256 key"),
    )
    folder = models.CharField(
        _("folder"), max_length=500, blank=True, help_text=_("File drop: where the files go")
    )
    kinds = models.JSONField(
        _("message kinds"),
        default=list,
        blank=True,
        help_text=_("Empty: the kinds this connector's kind takes by default"),
    )
    columns = models.JSONField(
        _("column mapping"),
        default=list,
        blank=True,
        help_text=_("File drop: the columns of the XLSX, empty for the default mapping"),
    )
    batch_size = models.PositiveIntegerField(_("messages per request"), default=50)
    max_attempts = models.PositiveIntegerField(_("attempts before a dead letter"), default=10)
    backoff_base_seconds = models.PositiveIntegerField(_("first retry after (s)"), default=30)
    backoff_cap_seconds = models.PositiveIntegerField(_("longest wait (s)"), default=6 * 3600)
    timeout_seconds = models.PositiveIntegerField(_("timeout (s)"), default=30)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def takes(self) -> list[str]:
        """The message kinds delivered to this connector."""
        return list(self.kinds or DEFAULT_KINDS[self.kind])


class OutboxMessage(models.Model):
    kind = models.CharField(_("kind"), max_length=30, choices=MessageKind.choices)
    #: What messages are ordered by: the code, the lot, the recall's reference.
    subject = models.CharField(_("subject"), max_length=255)
    payload = models.JSONField(_("payload"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["subject", "id"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead letter")


#: States the worker still sends.
DUE_STATES = [DeliveryState.PENDING, DeliveryState.RETRYING]


class Delivery(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="deliveries")
    #: The message's subject, kept here so the ordering check reads one table.
    subject = models.CharField(max_length=255)
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True, max_length=NOTE_MAX_LENGTH)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    #: A claim where the database has no row locks (SQLite): the worker whose token is in
    #: `claimed_by` owns the row until `claimed_until`.
    claimed_by = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message_id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "connector"], name="exchange_one_delivery")
        ]
        indexes = [
            models.Index(fields=["connector", "state", "next_attempt_at"]),
            models.Index(fields=["connector", "subject", "message"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.connector_id}: {self.state}"
