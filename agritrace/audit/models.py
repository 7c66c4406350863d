"""An append-only, hash-chained log of every change to a code, an application, a household
or a plot."""

import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


# What an entry's hash covers. Format 1 (entries written before December 2026) left out the
# actor's id and object_label; format 2 covers every stored column but the hash itself. An
# entry keeps the format it was written in (its proof is never recomputed); new ones use 2.
HASH_VERSION = 2
_FORMAT_1 = (
    "seq",
    "at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "reason",
    "prev_hash",
)
_FORMAT_2 = (*_FORMAT_1, "actor_id", "object_label", "hash_version")
HASH_FORMATS = {1: _FORMAT_1, 2: _FORMAT_2}


class AuditEntry(models.Model):
    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    # The sequence number is the entry's identity (no separate row id the hash would miss).
    seq = models.PositiveBigIntegerField(primary_key=True)
    at = models.DateTimeField()
    # PROTECT: the hash covers the actor's id, so a person named in the log is kept
    # (deactivated, never deleted).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    hash_version = models.PositiveSmallIntegerField(default=HASH_VERSION)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name_plural = "audit entries"

    @staticmethod
    def covered_columns(version: int) -> tuple[str, ...]:
        """The database columns that the hash of an entry in this format covers."""
        return HASH_FORMATS[version]

    def canonical(self) -> str:
        """The entry's content in one stable text form: what the hash covers (in the entry's
        own hash format). KeyError for a format this code does not know."""
        fields = HASH_FORMATS[self.hash_version]
        values = {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "actor_label": self.actor_label,
            "actor_id": self.actor_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_label": self.object_label,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
            "hash_version": self.hash_version,
        }
        # Format 1 named the actor's label "actor".
        body = {("actor" if name == "actor_label" else name): values[name] for name in fields}
        return json.dumps(body, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit entries cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")


class ChainHead(models.Model):
    """One row locked while appending, so concurrent writers chain one after another."""

    def __str__(self) -> str:
        return f"head {self.last_seq}"

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
