#!/usr/bin/env bash
# Merge Vietnamese PO fragments (msgid/msgstr pairs written beside a change, e.g. by a branch
# that did not touch the catalogues) into agritrace/locale/vi/LC_MESSAGES/django.po:
#   scripts/merge-po-fragments.sh docs/plans/x-vi.po [more.po ...]
# New msgids are collected first (messages.sh); an entry the catalogue already translates keeps
# its translation; entries the code no longer has are dropped by the second messages.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PO=agritrace/locale/vi/LC_MESSAGES/django.po
bash scripts/messages.sh >/dev/null 2>&1 || true
msgcat --use-first "$PO" "$@" -o "$PO"
bash scripts/messages.sh
