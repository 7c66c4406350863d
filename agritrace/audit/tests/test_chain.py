import pytest

from agritrace.audit.models import AppendOnlyError, AuditEntry, ChainHead
from agritrace.audit.services import record, verify
from agritrace.places.models import AdminUnit


def _entries(n: int) -> None:
    unit = AdminUnit.objects.filter(level="province").first()
    for i in range(n):
        record(None, "test.touch", unit, {"i": i}, {"i": i + 1}, reason=f"step {i}")


@pytest.mark.django_db
def test_it_verifies_an_untouched_chain():
    _entries(5)
    result = verify()
    assert result.ok, result.problems
    assert result.checked == 5
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_it_finds_an_edited_entry():
    _entries(4)
    AuditEntry.objects.filter(seq=2).update(reason="nothing to see here")
    result = verify()
    assert not result.ok
    assert any("entry 2" in p and "edited" in p for p in result.problems)


@pytest.mark.django_db
def test_it_finds_a_deleted_entry_in_the_middle():
    _entries(4)
    AuditEntry.objects.filter(seq=3).delete()  # a queryset delete bypasses the model guard
    result = verify()
    assert not result.ok
    assert any("missing" in p for p in result.problems)


@pytest.mark.django_db
def test_it_finds_the_last_entries_deleted():
    _entries(4)
    AuditEntry.objects.filter(seq=4).delete()
    result = verify()
    assert not result.ok
    assert any("head" in p for p in result.problems)


@pytest.mark.django_db
def test_it_finds_a_rewritten_chain_tail():
    """Recomputing an edited entry's own hash still breaks the link to the next entry."""
    _entries(3)
    entry = AuditEntry.objects.get(seq=2)
    entry.reason = "forged"
    AuditEntry.objects.filter(seq=2).update(reason="forged", hash=entry.compute_hash())
    result = verify()
    assert not result.ok
    assert any("entry 3" in p and "link" in p for p in result.problems)


@pytest.mark.django_db
def test_entries_refuse_change_and_delete_through_the_model():
    _entries(1)
    entry = AuditEntry.objects.get()
    entry.reason = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert ChainHead.objects.get().last_seq == 1
