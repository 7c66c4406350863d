"""Adding and changing connectors (an administrator's work, audited) and what of them is
shown: never the token or the secret themselves, only whether they are set."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.audit.services import record, snapshot

from .access import require_administer
from .delivery import counts
from .filedrop import check_columns
from .models import Connector, ConnectorKind, MessageKind

FIELDS = (
    "name",
    "kind",
    "enabled",
    "url",
    "token",
    "secret",
    "folder",
    "kinds",
    "columns",
    "batch_size",
    "max_attempts",
    "backoff_base_seconds",
    "backoff_cap_seconds",
    "timeout_seconds",
)
#: The largest value of each number (a wait of at most 30 days).
LIMITS = {
    "batch_size": 10_000,
    "max_attempts": 1_000,
    "backoff_base_seconds": 30 * 86_400,
    "backoff_cap_seconds": 30 * 86_400,
    "timeout_seconds": 3_600,
}
#: Never written to the audit log or an answer.
SECRET_FIELDS = ("token", "secret")


def _audit_picture(connector: Connector) -> dict:
    data = snapshot(connector, exclude=SECRET_FIELDS)
    data.update({f"{f}_set": bool(getattr(connector, f)) for f in SECRET_FIELDS})
    return data


def _check(connector: Connector) -> None:
    errors: dict[str, list[str]] = {}
    if connector.kind not in ConnectorKind.values:
        errors["kind"] = [_("Choose the connector's kind.")]
    if connector.kind in (ConnectorKind.EPCIS, ConnectorKind.WEBHOOK):
        if not connector.url.lower().startswith(("http://", "https://")):
            errors["url"] = [_("An http:// or https:// address.")]
    if connector.kind == ConnectorKind.WEBHOOK and not connector.secret:
        errors["secret"] = [_("A webhook is signed: give its secret.")]
    if connector.kind == ConnectorKind.FILE_DROP and not connector.folder.strip():
        errors["folder"] = [_("Name the folder the files are written to.")]
    kinds = connector.kinds or []
    if not isinstance(kinds, list) or any(k not in MessageKind.values for k in kinds):
        errors["kinds"] = [
            _("Message kinds among: %(kinds)s.") % {"kinds": ", ".join(MessageKind.values)}
        ]
    elif connector.kind == ConnectorKind.EPCIS and any(k != MessageKind.EPCIS_EVENT for k in kinds):
        errors["kinds"] = [_("An EPCIS repository takes traceability events only.")]
    for name, most in LIMITS.items():
        value = getattr(connector, name)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
            errors[name] = [_("A whole number from 1 to %(most)s.") % {"most": most}]
    if "backoff_cap_seconds" not in errors and "backoff_base_seconds" not in errors:
        if connector.backoff_cap_seconds < connector.backoff_base_seconds:
            errors["backoff_cap_seconds"] = [_("The longest wait is at least the first one.")]
    try:
        connector.columns = check_columns(connector.columns)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if Connector.objects.filter(name=connector.name).exclude(pk=connector.pk).exists():
        errors["name"] = [_("A connector of this name exists.")]
    if not connector.name.strip():
        errors["name"] = [_("Give the connector a name.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_connector(actor: Actor, data: Mapping, connector: Connector | None = None) -> Connector:
    """Create a connector, or change the given one with the fields in `data` (a token or
    secret left empty keeps the one stored). ValidationError naming the field."""
    require_administer(actor)
    before = _audit_picture(connector) if connector is not None else None
    connector = connector or Connector()
    for name in FIELDS:
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if name in SECRET_FIELDS and value == "" and connector.pk:
            continue
        if isinstance(value, str) and name not in SECRET_FIELDS:
            value = value.strip()
        setattr(connector, name, value)
    _check(connector)
    connector.save()
    action = "exchange.connector.update" if before else "exchange.connector.create"
    record(actor.user, action, connector, before, _audit_picture(connector))
    return connector


def connector_json(connector: Connector) -> dict:
    return {
        "id": connector.pk,
        "name": connector.name,
        "kind": connector.kind,
        "enabled": connector.enabled,
        "url": connector.url,
        "folder": connector.folder,
        "tokenSet": bool(connector.token),
        "secretSet": bool(connector.secret),
        "kinds": connector.takes(),
        "columns": connector.columns,
        "batchSize": connector.batch_size,
        "maxAttempts": connector.max_attempts,
        "backoffBaseSeconds": connector.backoff_base_seconds,
        "backoffCapSeconds": connector.backoff_cap_seconds,
        "timeoutSeconds": connector.timeout_seconds,
        "counts": counts(connector),
    }
