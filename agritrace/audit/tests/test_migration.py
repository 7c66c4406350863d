"""Migration 0002 keeps a chain written before it verifying (its entries stay in hash format 1)
and the entries written after it are in format 2."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from agritrace.audit.models import AuditEntry
from agritrace.audit.services import record, verify
from agritrace.audit.tests.test_tamper import _v1_hash
from agritrace.places.models import AdminUnit

BEFORE = [("audit", "0001_initial")]
AFTER = [("audit", "0002_entry_hash_covers_every_column")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_chain_written_before_the_migration_still_verifies_after_it():
    old = _migrate(BEFORE)
    try:
        Entry, Head = old.get_model("audit", "AuditEntry"), old.get_model("audit", "ChainHead")
        prev = "0" * 64
        from django.utils import timezone

        for seq in (1, 2, 3):
            entry = Entry(
                seq=seq,
                at=timezone.now(),
                actor_label="system",
                action="test.touch",
                object_type="places.adminunit",
                object_id=str(seq),
                object_label=f"unit {seq}",
                before={"i": seq},
                after={"i": seq + 1},
                reason="",
                prev_hash=prev,
            )
            entry.hash = prev = _v1_hash(entry)
            entry.save()
        Head.objects.create(pk=1, last_seq=3, last_hash=prev)
    finally:
        _migrate(AFTER)
    result = verify()
    assert result.ok, result.problems
    assert (result.checked, result.legacy) == (3, 3)
    record(None, "test.touch", AdminUnit.objects.filter(level="province").first())
    assert list(AuditEntry.objects.values_list("seq", "hash_version")) == [
        (1, 1),
        (2, 1),
        (3, 1),
        (4, 2),
    ]
    assert verify().ok
    AuditEntry.objects.filter(seq=2).update(reason="forged")
    assert not verify().ok
