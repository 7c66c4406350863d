"""Sending messages through one connector: an EPCIS 2.0 capture endpoint, a signed JSON
webhook, or an XLSX file drop (filedrop.py). Plain `urllib.request` (no HTTP client is a
runtime dependency). Each sender answers an `Outcome`: delivered, or the error and whether it
is permanent (the receiver refused the content: sending the same batch again will not help)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from urllib.parse import urljoin

from django.utils import timezone

from .models import Connector, ConnectorKind, OutboxMessage

log = logging.getLogger(__name__)

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
SIGNATURE_HEADER = "X-AgriTrace-Signature"
TIMESTAMP_HEADER = "X-AgriTrace-Timestamp"
#: What a receiver answers for a message it already has: delivered.
ALREADY_HAVE_IT = {409}
#: How long an EPCIS capture job that runs in the background is waited for (seconds).
JOB_WAIT_SECONDS = 60


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    error: str = ""
    permanent: bool = False


DELIVERED = Outcome(True)


class _Answer:
    def __init__(self, status: int, body: bytes, headers: dict[str, str]):
        self.status, self.body, self.headers = status, body, headers

    def json(self) -> object:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def text(self, limit: int = 600) -> str:
        return self.body.decode("utf-8", "replace")[:limit]


def http(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
) -> _Answer:
    """One request; an HTTP error status is an answer, a network failure raises OSError.
    Only http(s): a connector's address never reads a local file."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) address: {url!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return _Answer(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as exc:
        return _Answer(exc.code, exc.read(), dict(exc.headers or {}))


def _failure(answer: _Answer) -> Outcome:
    """A non-2xx answer: 4xx about the content is permanent; auth, throttling, 5xx retry."""
    permanent = 400 <= answer.status < 500 and answer.status not in {401, 403, 404, 408, 429}
    return Outcome(False, f"HTTP {answer.status}: {answer.text()}", permanent)


# ------------------------------------------------------------------ EPCIS


def epcis_document(messages: list[OutboxMessage]) -> dict:
    """The EPCISDocument of the messages' events, in the messages' order."""
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": timezone.now().isoformat(timespec="milliseconds"),
        "epcisBody": {"eventList": [m.payload["event"] for m in messages]},
    }


def _epcis_headers(connector: Connector) -> dict[str, str]:
    headers = {
        "Content-Type": "application/ld+json",
        "Accept": "application/json",
        "GS1-EPCIS-Version": "2.0.0",
    }
    if connector.token:
        headers["Authorization"] = f"Bearer {connector.token}"
    return headers


def _job_outcome(job: object) -> Outcome | None:
    """A capture job resource's outcome (None while it runs). A duplicate event counts as
    captured: the repository already has it (our capture's duplicateCount)."""
    if not isinstance(job, dict) or "success" not in job:
        return DELIVERED
    if job.get("running"):
        return None
    if job.get("success"):
        return DELIVERED
    errors = "; ".join(
        f"{e.get('title', '')}: {e.get('detail', '')}" for e in job.get("errors") or []
    )
    return Outcome(False, f"capture failed: {errors or job}"[:2000], True)


def send_epcis(connector: Connector, messages: list[OutboxMessage]) -> Outcome:
    """POST one EPCISDocument to <base>/capture; follow a background capture job."""
    base = connector.url.rstrip("/")
    body = json.dumps(epcis_document(messages), ensure_ascii=False).encode()
    headers = _epcis_headers(connector)
    answer = http("POST", base + "/capture", body, headers, connector.timeout_seconds)
    if answer.status in ALREADY_HAVE_IT:
        return DELIVERED
    if not 200 <= answer.status < 300:
        return _failure(answer)
    outcome = _job_outcome(answer.json())
    location = answer.headers.get("Location") or answer.headers.get("location")
    deadline = time.monotonic() + JOB_WAIT_SECONDS
    while outcome is None and location and time.monotonic() < deadline:
        time.sleep(0.5)
        polled = http(
            "GET", urljoin(base + "/", location), None, headers, connector.timeout_seconds
        )
        if not 200 <= polled.status < 300:
            return _failure(polled)
        outcome = _job_outcome(polled.json())
    return outcome or Outcome(False, "capture job still running; asked again later")


# ------------------------------------------------------------------ webhook


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>" with the connector's secret, as hex."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, given: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(signature(secret, timestamp, body), given)


def webhook_body(message: OutboxMessage) -> bytes:
    return json.dumps(
        {
            "id": message.idempotency_key,
            "kind": message.kind,
            "subject": message.subject,
            "createdAt": message.created_at.isoformat(),
            "payload": message.payload,
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


def webhook_headers(connector: Connector, message: OutboxMessage, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "Idempotency-Key": message.idempotency_key,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(connector.secret, timestamp, body),
    }


def send_webhook(connector: Connector, messages: list[OutboxMessage]) -> Outcome:
    """One POST per message (each with its own idempotency key), in order; stops at the
    first failure (the worker sends the webhook one message at a time)."""
    for message in messages:
        body = webhook_body(message)
        headers = webhook_headers(connector, message, body)
        answer = http("POST", connector.url, body, headers, connector.timeout_seconds)
        if answer.status in ALREADY_HAVE_IT or 200 <= answer.status < 300:
            continue
        return _failure(answer)
    return DELIVERED


def send(connector: Connector, messages: list[OutboxMessage]) -> Outcome:
    """Deliver the messages (in order) through the connector; network errors retry."""
    try:
        if connector.kind == ConnectorKind.EPCIS:
            return send_epcis(connector, messages)
        if connector.kind == ConnectorKind.WEBHOOK:
            return send_webhook(connector, messages)
        if connector.kind == ConnectorKind.FILE_DROP:
            from .filedrop import write_code_list

            write_code_list(connector, messages)
            return DELIVERED
    except (OSError, ValueError, HTTPException) as exc:
        # refused connection, timeout, DNS, a bad address, a broken answer, the disk
        return Outcome(False, f"{type(exc).__name__}: {exc}"[:2000])
    except Exception as exc:  # anything else is retried too, with its error shown
        log.exception("exchange: sending through connector %s failed", connector.pk)
        return Outcome(False, f"{type(exc).__name__}: {exc}"[:2000])
    return Outcome(False, f"unknown connector kind {connector.kind!r}", True)


def batch_size(connector: Connector) -> int:
    """Messages per request: a webhook takes one, a file drop every due one."""
    if connector.kind == ConnectorKind.WEBHOOK:
        return 1
    if connector.kind == ConnectorKind.FILE_DROP:
        return 10_000
    return max(1, connector.batch_size)
