#!/usr/bin/env bash
# Refresh the translation catalogues after adding or changing user-visible strings:
#   1. collect the strings into agritrace/locale/{vi,en}/LC_MESSAGES/django.po (makemessages),
#   2. compile them to the .mo files the service reads (compilemessages; commit both),
#   3. report how many Vietnamese entries still need a translation (untranslated or fuzzy).
# Needs the GNU gettext tools (xgettext, msgmerge, msgfmt, msgattrib). Exits non-zero when an
# entry is left untranslated or fuzzy, so CI can use it as a check.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

for tool in xgettext msgmerge msgfmt msgattrib; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "!! $tool is missing: install GNU gettext (apt-get install gettext)." >&2
        exit 1
    fi
done

# Run from the package folder so the catalogues land in agritrace/locale and compilemessages
# does not walk into .venv (it would compile every installed package's catalogues).
cd "$ROOT/agritrace"
mkdir -p locale
"$PYTHON" "$ROOT/manage.py" makemessages -l vi -l en \
    --ignore '*/tests/*' --ignore 'static/vendor/*' --no-obsolete
"$PYTHON" "$ROOT/manage.py" compilemessages -l vi -l en

PO=locale/vi/LC_MESSAGES/django.po
count() {
    # msgattrib prints the header too whenever it prints anything.
    local n
    n="$(msgattrib "$@" --no-obsolete "$PO" | grep -c '^msgid ' || true)"
    echo $((n > 0 ? n - 1 : 0))
}
untranslated="$(count --untranslated)"
fuzzy="$(count --only-fuzzy)"
total="$(msgattrib --no-obsolete "$PO" | grep -c '^msgid ' || true)"
total=$((total - 1))
echo "Vietnamese catalogue: $total entries, $untranslated untranslated, $fuzzy fuzzy."
if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
    echo "Translate them in agritrace/locale/vi/LC_MESSAGES/django.po" \
        "(msgattrib --untranslated, msgattrib --only-fuzzy list them), then run this script again." >&2
    exit 1
fi
