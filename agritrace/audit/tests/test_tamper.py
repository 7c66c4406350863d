"""Every stored column of an audit entry is covered by its hash (issue 14, defect 1): editing any
one of them in the database makes `agritrace audit verify` fail. Entries written before the
format covered every column (hash format 1) still verify."""

import hashlib
import json
from datetime import UTC, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import ProtectedError

from agritrace.audit.models import HASH_VERSION, AuditEntry
from agritrace.audit.services import record, verify
from agritrace.places.models import AdminUnit
from conftest import make_user

pytestmark = pytest.mark.django_db

# One edit per stored column (its database name). A column added to AuditEntry without a row
# here fails test_every_column_has_an_edit: add the row, and cover the column in canonical().
EDITS = {
    "seq": lambda e, other: {"seq": 99},
    "at": lambda e, other: {"at": e.at + timedelta(seconds=1)},
    "actor_id": lambda e, other: {"actor_id": other.pk},
    "actor_label": lambda e, other: {"actor_label": "someone else"},
    "action": lambda e, other: {"action": "test.nothing"},
    "object_type": lambda e, other: {"object_type": "registry.household"},
    "object_id": lambda e, other: {"object_id": "999"},
    "object_label": lambda e, other: {"object_label": "a different name"},
    "before": lambda e, other: {"before": {"i": 42}},
    "after": lambda e, other: {"after": None},
    "reason": lambda e, other: {"reason": "nothing to see here"},
    "prev_hash": lambda e, other: {"prev_hash": "f" * 64},
    "hash": lambda e, other: {"hash": "e" * 64},
    "hash_version": lambda e, other: {"hash_version": 1},
}


@pytest.fixture
def users(world):
    return world.users["ppo"], world.users["coop"]


def _chain(user, n: int = 3) -> None:
    unit = AdminUnit.objects.filter(level="province").first()
    for i in range(n):
        record(user, "test.touch", unit, {"i": i}, {"i": i + 1}, reason=f"step {i}")


def test_every_column_has_an_edit_and_is_hashed():
    columns = {f.column for f in AuditEntry._meta.concrete_fields}
    assert columns == set(EDITS), f"columns without an edit here: {columns ^ set(EDITS)}"
    covered = set(AuditEntry.covered_columns(HASH_VERSION))
    assert covered == columns - {"hash"}, f"not covered by the hash: {columns - covered}"


@pytest.mark.parametrize("column", sorted(EDITS))
def test_editing_any_column_fails_verify(users, column):
    user, other = users
    _chain(user)
    assert verify().ok
    entry = AuditEntry.objects.get(seq=2)
    assert entry.hash_version == HASH_VERSION
    AuditEntry.objects.filter(seq=2).update(**EDITS[column](entry, other))
    result = verify()
    assert not result.ok, f"editing {column} went unseen"
    with pytest.raises(CommandError, match="tampered"):
        call_command("audit", "verify")


def _v1_hash(entry: AuditEntry) -> str:
    """Hash format 1 exactly as it was written before format 2 (a frozen copy)."""
    body = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "actor": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "prev_hash": entry.prev_hash,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def _rewrite_as_format_1() -> None:
    """Turn the chain into what an installation written before format 2 holds."""
    prev = "0" * 64
    for entry in AuditEntry.objects.order_by("seq"):
        entry.prev_hash = prev
        entry.hash_version = 1
        prev = _v1_hash(entry)
        AuditEntry.objects.filter(seq=entry.seq).update(
            prev_hash=entry.prev_hash, hash_version=1, hash=prev
        )
    from agritrace.audit.models import ChainHead

    ChainHead.objects.filter(pk=1).update(last_hash=prev)


def test_a_chain_in_format_1_still_verifies_and_new_entries_follow_in_format_2(users, capsys):
    user, _other = users
    _chain(user)
    _rewrite_as_format_1()
    result = verify()
    assert result.ok, result.problems
    assert result.legacy == 3
    _chain(user, 2)
    assert list(AuditEntry.objects.values_list("hash_version", flat=True)) == [1, 1, 1, 2, 2]
    result = verify()
    assert result.ok, result.problems
    assert (result.checked, result.legacy) == (5, 3)
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "5 audit entries checked: OK." in out
    assert "3 of them in hash format 1" in out


def test_format_1_entries_are_still_checked(users):
    user, _other = users
    _chain(user)
    _rewrite_as_format_1()
    AuditEntry.objects.filter(seq=2).update(reason="forged")
    assert not verify().ok


def test_a_format_1_entry_after_format_2_is_refused(users):
    """Downgrading an entry's format (to hide an edit of object_label) is a break of its own."""
    user, _other = users
    _chain(user)
    entry = AuditEntry.objects.get(seq=3)
    entry.hash_version = 1
    entry.object_label = "forged"
    AuditEntry.objects.filter(seq=3).update(
        hash_version=1, object_label="forged", hash=_v1_hash(entry)
    )
    result = verify()
    assert not result.ok
    assert any("entry 3" in p and "format" in p for p in result.problems)


def test_an_unknown_format_is_refused(users):
    user, _other = users
    _chain(user, 1)
    AuditEntry.objects.update(hash_version=7)
    result = verify()
    assert any("entry 1" in p and "format 7" in p for p in result.problems)


def test_a_person_named_in_the_log_cannot_be_deleted(users):
    """The hash covers the actor's id, so deleting the person (which set it to NULL) would
    break the chain: the log protects them instead (deactivate a person, do not delete)."""
    user, _other = users
    _chain(user, 1)
    with pytest.raises(ProtectedError):
        user.delete()
    stranger = make_user("stranger", user.membership.organisation)
    stranger.delete()
    assert verify().ok
