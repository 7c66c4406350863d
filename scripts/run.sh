#!/usr/bin/env bash
# Set up and start AgriTrace on SQLite with demo data: prints the address and the demo logins.
# Extra arguments go to `agritrace up` (for example --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    PYTHON="${PYTHON:-python3}"
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "AgriTrace needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2
        exit 1
    fi
    echo "== Creating .venv"
    "$PYTHON" -m venv .venv
fi
echo "== Installing AgriTrace"
log="$(mktemp)"
if ! .venv/bin/python -m pip install -q -e . >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"
exec .venv/bin/agritrace up "$@"
