"""The EUDR exports in the audit log: who exported which lot's statement, in which format,
with the file's SHA-256 and the plots and forest flags it declared."""

from __future__ import annotations

import hashlib

from django.db import transaction

from agritrace.accounts.access import Actor
from agritrace.audit.services import record

from .export import Statement


def exported(actor: Actor, s: Statement, fmt: str, body: bytes) -> None:
    with transaction.atomic():
        record(
            actor.user,
            f"eudr.export.{fmt}",
            s.lot,
            None,
            {
                "lot": s.lot.uri,
                "format": fmt,
                "sha256": hashlib.sha256(body).hexdigest(),
                "hs_code": s.hs_code,
                "operator": s.operator.pk if s.operator else None,
                "plots": [p.plot.pk for p in s.plots],
                "forest_flags": [p.plot.pk for p in s.flagged],
            },
        )
