"""`agritrace backup` / `agritrace restore` round trip on the running engine (pg_dump and
pg_restore on PostgreSQL, the online backup API on SQLite), with the audit chain verified after
the restore; a database in use is replaced only with --force."""

import sqlite3

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from agritrace.accounts import preferences
from agritrace.accounts.models import Organisation
from agritrace.audit.models import AuditEntry
from agritrace.audit.services import verify

pytestmark = pytest.mark.django_db(transaction=True)


def _changes(world) -> None:
    preferences.set_language(world.users["ppo"], "en")
    preferences.set_language(world.users["coop"], "en")


def test_backup_then_restore_brings_back_exactly_what_was_saved(world, tmp_path, capsys):
    _changes(world)
    saved_entries = AuditEntry.objects.count()
    saved_orgs = Organisation.objects.count()
    file = tmp_path / "agritrace.backup"
    call_command("backup", str(file))
    assert file.stat().st_size > 0
    assert not (tmp_path / "agritrace.backup.partial").exists()

    # later changes, which the restore must undo
    preferences.set_language(world.users["lab"], "en")
    Organisation.objects.filter(pk=world.orgs["lab"].pk).update(name="renamed after the backup")
    assert AuditEntry.objects.count() == saved_entries + 1

    # refused over a database in use, and nothing changed
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(file))
    assert AuditEntry.objects.count() == saved_entries + 1

    capsys.readouterr()
    call_command("restore", str(file), "--force")
    assert "audit entries checked: OK" in capsys.readouterr().out
    assert AuditEntry.objects.count() == saved_entries
    assert Organisation.objects.count() == saved_orgs
    assert Organisation.objects.get(pk=world.orgs["lab"].pk).name == world.orgs["lab"].name
    assert preferences.saved_language(world.users["lab"]) == ""
    assert preferences.saved_language(world.users["ppo"]) == "en"
    assert verify().ok
    call_command("audit", "verify")
    # the chain goes on after a restore
    preferences.set_language(world.users["lab"], "vi")
    assert verify().ok and AuditEntry.objects.count() == saved_entries + 1


def test_restore_into_an_empty_database_needs_no_force(world, tmp_path, capsys):
    _changes(world)
    file = tmp_path / "agritrace.backup"
    call_command("backup", str(file))
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEntry.objects.exists()
    call_command("restore", str(file))
    assert AuditEntry.objects.count() == 2 and verify().ok
    assert Organisation.objects.count() == len(world.orgs)


def test_restore_refuses_a_file_that_is_not_a_backup(world, tmp_path):
    _changes(world)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore", str(bogus), "--force")
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "missing.backup"), "--force")
    assert AuditEntry.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="edits the SQLite backup file")
def test_a_backup_edited_after_it_was_made_fails_the_audit_check(world, tmp_path):
    _changes(world)
    file = tmp_path / "agritrace.backup"
    call_command("backup", str(file))
    db = sqlite3.connect(file)
    db.execute("UPDATE audit_auditentry SET object_label = 'edited' WHERE seq = 1")
    db.commit()
    db.close()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("restore", str(file), "--force")
