#!/usr/bin/env bash
# Let the local PostgreSQL cluster(s) serve streaming replication to 127.0.0.1, for the real
# replica that agritrace/tests/test_replica.py starts (pg_basebackup -R, then a standby on a
# free port). Adds "host replication all 127.0.0.1/32 trust" to each Debian cluster's
# pg_hba.conf when no replication entry is there, checks wal_level (replica or logical, the
# default) and max_wal_senders, and reloads. Needs root; changes nothing when already set.
set -euo pipefail
[ "$(id -u)" = "0" ] || { echo "replica-hba: not root, left as is" >&2; exit 0; }
for hba in /etc/postgresql/*/main/pg_hba.conf; do
    [ -f "$hba" ] || continue
    version="$(basename "$(dirname "$(dirname "$hba")")")"
    if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]' "$hba"; then
        echo "== replica-hba: allowing replication from 127.0.0.1 in $hba"
        printf '\n# streaming replication for the test replica (scripts/replica-hba.sh)\n' >>"$hba"
        printf 'host replication all 127.0.0.1/32 trust\n' >>"$hba"
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    fi
    level="$(runuser -u postgres -- psql -p "$(pg_conftool -s "$version" main show port 2>/dev/null || echo 5432)" -Atc 'SHOW wal_level' 2>/dev/null || true)"
    if [ -n "$level" ] && [ "$level" = "minimal" ]; then
        echo "!! replica-hba: wal_level is minimal in PostgreSQL $version: set it to replica and restart" >&2
    fi
done
