#!/usr/bin/env bash
# Set up and run the whole test suite: ruff, then pytest on SQLite, then on PostgreSQL.
# Exits non-zero on any failure. Under CI=true an unreachable PostgreSQL is a failure too.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${AGRITRACE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/agritrace}"
# Plain -n 2 (xdist's "load"): it keeps pytest-django's order, transactional tests last, which
# "loadfile"/"loadscope" would break (a transactional test empties the tables it leaves).
PYTEST_ARGS=(-n 2 -p no:cacheprovider)

# --- Python environment ------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    PYTHON="${PYTHON:-python3}"
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "AgriTrace needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2
        exit 1
    fi
    echo "== Creating .venv"
    "$PYTHON" -m venv .venv
fi
echo "== Installing AgriTrace with its test tools"
log="$(mktemp)"
if ! .venv/bin/python -m pip install -q -e '.[test]' >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
fi
rm -f "$log"

# --- a browser for the browser tests (Debian's chromium, driven by playwright) -------------
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "== Installing chromium"
        if ! (apt-get update -q && apt-get install -y -q chromium); then
            echo "!! Could not install chromium: the browser tests will be skipped." >&2
        fi
    else
        echo "!! chromium is missing and cannot be installed here (not root, or no apt-get):" \
            "the browser tests will be skipped." >&2
    fi
fi

# Chinese glyphs for the browser tests' screenshots of the zh pages (the stamp page, the public
# register): without a CJK font Chromium draws boxes, and the screenshots cannot be read.
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 \
    && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
    echo "== Installing fonts-noto-cjk (for the screenshots of the Chinese pages)"
    apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1 \
        || echo "!! Could not install fonts-noto-cjk: Chinese screenshots show boxes." >&2
fi

# LibreOffice for the test that opens the periodic report's workbook and checks its formulas
# (reports/tests/test_cli_documents.py; about a minute to install, without its GUI).
if ! command -v soffice >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== Installing libreoffice-calc-nogui (the periodic report's workbook is opened in it)"
    apt-get install -y -q --no-install-recommends libreoffice-calc-nogui >/dev/null 2>&1 \
        || echo "!! Could not install LibreOffice: the workbook test will be skipped." >&2
fi

# --- lint and tests: each runs even when an earlier one failed; any failure fails the run ----
failed=()

echo "== ruff check"
.venv/bin/ruff check . || failed+=("ruff check")

echo "== pytest on SQLite"
env -u DATABASE_URL .venv/bin/python -m pytest "${PYTEST_ARGS[@]}" || failed+=("pytest on SQLite")

pg_ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }
if ! pg_ready && [ "$(id -u)" = "0" ] && command -v pg_ctlcluster >/dev/null 2>&1 \
    && [ -d /etc/postgresql ]; then
    echo "== Starting the local PostgreSQL cluster"
    for version in /etc/postgresql/*; do
        pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
    done
    sleep 2
fi
if pg_ready; then
    echo "== pytest on PostgreSQL ($PG_URL)"
    DATABASE_URL="$PG_URL" .venv/bin/python -m pytest "${PYTEST_ARGS[@]}" --create-db \
        || failed+=("pytest on PostgreSQL")
elif [ "${CI:-}" = "true" ]; then
    echo "!! PostgreSQL is not reachable at 127.0.0.1:5432: failing, as this is CI." >&2
    failed+=("PostgreSQL unreachable (CI)")
else
    echo "!! PostgreSQL is not reachable at 127.0.0.1:5432: the PostgreSQL run was SKIPPED." >&2
fi

if [ ${#failed[@]} -gt 0 ]; then
    printf '!! FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "== All checks passed"
