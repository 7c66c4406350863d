"""A real PostgreSQL streaming replica of the test server, for test_replica.py: a second local
cluster made by `pg_basebackup -R` from the primary into a temporary folder and started with
`pg_ctl` on a free port, as the `postgres` user when the tests run as root (PostgreSQL
refuses to run as root). The copy is of the whole cluster: quick on a test server, minutes
where multi-gigabyte bench databases sit beside the test database. The primary needs
`wal_level` replica (PostgreSQL's default) and a `replication` entry in pg_hba.conf for
127.0.0.1: `.ci/run` adds it (scripts/replica-hba.sh).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class ReplicaUnavailable(Exception):
    """The replica cannot be made here (the reason is the message)."""


def _bin_dir(major: int) -> Path | None:
    folder = Path(f"/usr/lib/postgresql/{major}/bin")
    return folder if (folder / "pg_ctl").exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class Replica:
    port: int
    datadir: Path
    bin: Path

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [str(self.bin / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


#: Settings a hot standby must have at least as high as its primary.
AT_LEAST_PRIMARY = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def start_replica(
    host: str, port: int, user: str, major: int, primary_settings: dict[str, str]
) -> Replica:
    """Base-backup the primary at host:port and start it as a hot standby streaming from it
    (`primary_settings`: the primary's values of AT_LEAST_PRIMARY)."""
    bindir = _bin_dir(major)
    if bindir is None:
        raise ReplicaUnavailable(f"PostgreSQL {major}'s server programs are not installed here")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise ReplicaUnavailable("running as root without runuser to start PostgreSQL")
    parent = Path(tempfile.mkdtemp(prefix="agritrace-replica-"))
    datadir = parent / "data"
    if os.geteuid() == 0:
        shutil.chown(parent, "postgres", "postgres")
    os.chmod(parent, 0o755)
    made = subprocess.run(
        _as_postgres(
            [
                str(bindir / "pg_basebackup"),
                "-h",
                host,
                "-p",
                str(port),
                "-U",
                user,
                "-D",
                str(datadir),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ]
        ),
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if made.returncode != 0:
        shutil.rmtree(parent, ignore_errors=True)
        raise ReplicaUnavailable(
            "pg_basebackup failed (the primary needs a replication entry in pg_hba.conf: "
            f"scripts/replica-hba.sh): {made.stderr.strip()[:300]}"
        )
    replica_port = _free_port()
    # Debian keeps the configuration outside the data directory: give the copy its own.
    (datadir / "postgresql.conf").write_text(
        f"port = {replica_port}\n"
        "listen_addresses = '127.0.0.1'\n"
        f"unix_socket_directories = '{parent}'\n"
        "hot_standby = on\n"
        + "".join(f"{name} = {value}\n" for name, value in primary_settings.items())
        + "shared_buffers = 32MB\n"
        "fsync = off\n"
        "wal_receiver_status_interval = 1s\n"
    )
    (datadir / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    for name in ("postgresql.conf", "pg_hba.conf"):
        if os.geteuid() == 0:
            shutil.chown(datadir / name, "postgres", "postgres")
    started = subprocess.run(
        _as_postgres(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(datadir),
                "-l",
                str(parent / "log"),
                "-w",
                "-t",
                "900",
                "start",
            ]
        ),
        capture_output=True,
        text=True,
        timeout=960,
    )
    replica = Replica(replica_port, datadir, bindir)
    if started.returncode != 0:
        log = (parent / "log").read_text()[-500:] if (parent / "log").exists() else ""
        replica.stop()
        raise ReplicaUnavailable(f"the replica did not start: {started.stderr[:200]} {log}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(replica_port)]
        )
        if ready.returncode == 0:
            return replica
        time.sleep(0.5)
    replica.stop()
    raise ReplicaUnavailable("the replica did not accept connections within 60 s")
