"""Backup and restore of the whole database (`agritrace backup FILE`, `agritrace restore FILE`).

PostgreSQL: `pg_dump --format=custom` (one consistent snapshot, taken while the service runs)
and `pg_restore --single-transaction` (all or nothing). SQLite: the online backup API
(`sqlite3.Connection.backup`, consistent while others write), and the same API back into the
live database. A restore refuses a database in use (one holding people, organisations or audit
entries) unless forced; then every table is replaced by the backup's. The database only:
uploaded documents (AGRITRACE_MEDIA_ROOT) and the stamps' keyring (AGRITRACE_STAMP_KEYRING)
are files to back up beside it."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections
from django.utils.translation import gettext as _

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
#: A database holding a row in one of these is in use: a restore over it needs force.
IN_USE_TABLES = ("auth_user", "accounts_organisation", "audit_auditentry")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def _engine(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(_("Backups are made of SQLite and PostgreSQL databases only."))
    return vendor


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: on the PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(
            _("%(tool)s was not found: install the PostgreSQL client.") % {"tool": name}
        )
    return candidates[-1]


def _pg_env(alias: str) -> dict[str, str]:
    conf = connections[alias].settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if conf.get(key):
            env[var] = str(conf[key])
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    sslmode = (conf.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    env["PGDATABASE"] = conf["NAME"]
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(done.stderr.strip() or done.stdout.strip() or f"{args[0]} failed")


def backup(path: str | Path, alias: str = "default") -> Path:
    """Write the whole database to `path` (written beside it first, then renamed)."""
    path = Path(path)
    engine = _engine(alias)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if engine == "sqlite":
            connection = connections[alias]
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        else:
            _run(
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={partial}",
                ],
                _pg_env(alias),
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def in_use(alias: str = "default") -> bool:
    """Whether the database holds people, organisations or audit entries."""
    connection = connections[alias]
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in IN_USE_TABLES:
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
                if cursor.fetchone():
                    return True
    return False


def _check_file(path: Path, engine: str) -> None:
    if not path.is_file():
        raise BackupError(_("No file %(path)s.") % {"path": path})
    with path.open("rb") as handle:
        head = handle.read(16)
    expected = SQLITE_MAGIC if engine == "sqlite" else PG_MAGIC
    if not head.startswith(expected):
        other = "PostgreSQL" if engine == "sqlite" else "SQLite"
        raise BackupError(
            _("%(path)s is not a backup of this kind of database (%(engine)s)%(hint)s.")
            % {
                "path": path,
                "engine": engine,
                "hint": (
                    _(": it looks like a %(other)s backup") % {"other": other}
                    if head.startswith(PG_MAGIC if engine == "sqlite" else SQLITE_MAGIC)
                    else ""
                ),
            }
        )
    if engine == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = source.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(str(exc)) from exc
        finally:
            source.close()
        if not found:
            raise BackupError(_("%(path)s is not an AgriTrace database.") % {"path": path})


def restore(path: str | Path, force: bool = False, alias: str = "default") -> None:
    """Replace the database's content by the backup at `path`: all or nothing. Refuses a
    database in use unless `force`."""
    path = Path(path)
    engine = _engine(alias)
    _check_file(path, engine)
    if not force and in_use(alias):
        raise BackupError(
            _(
                "The database is in use (it holds people, organisations or audit entries): "
                "restore into an empty database, or pass --force to replace everything in it."
            )
        )
    connection = connections[alias]
    if engine == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        connection.close()
        return
    # One transaction: the tables are dropped and the backup's restored, or nothing changes.
    drops = "".join(
        f"DROP TABLE IF EXISTS {connection.ops.quote_name(t)} CASCADE;\n"
        for t in connection.introspection.table_names()
    )
    connection.close()
    env = _pg_env(alias)
    script = subprocess.run(
        [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(path)],
        env=env,
        capture_output=True,
        check=False,
    )
    if script.returncode != 0:
        raise BackupError(script.stderr.decode(errors="replace").strip() or "pg_restore failed")
    psql = pg_tool("psql")
    done = subprocess.run(
        [psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction"],
        input=drops.encode() + script.stdout,
        env=env,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(done.stderr.decode(errors="replace").strip() or "psql failed")
